"""Endpoint settings from the environment, and secrets that never print themselves."""

from __future__ import annotations

import certifi
import pytest

from checks.endpoints import EndpointError, Endpoints
from checks.secrets import Redactor, Secret


def test_env_round_trip():
    e = Endpoints(
        aws_endpoint_url="http://127.0.0.1:5000",
        aws_region="eu-west-1",
        nameservers=(("127.0.0.1", 5353),),
        smtp_routes={"email-smtp.eu-west-1.amazonaws.com:587": ("127.0.0.1", 2525)},
        https_routes={"mta-sts.recipient.example": "https://127.0.0.1:4443"},
        ca_file=certifi.where(),
    )
    assert Endpoints.from_env(e.to_env()) == e


def test_routes_are_applied_and_wildcards_match_any_host():
    e = Endpoints(smtp_routes={"*:25": ("127.0.0.1", 2526)})
    assert e.smtp_address("mx.example", 25) == ("127.0.0.1", 2526)
    assert e.smtp_address("mx.example", 587) == ("mx.example", 587)
    assert e.https_url("mta-sts.x.example", "/p") == "https://mta-sts.x.example/p"


@pytest.mark.parametrize(
    "bad", ["MAILPATH_NAMESERVER=1.2.3.4:99999", "MAILPATH_SMTP_ROUTES=nonsense"]
)
def test_bad_settings_raise_a_clear_error(bad):
    key, _, value = bad.partition("=")
    with pytest.raises(EndpointError):
        Endpoints.from_env({key: value})


def test_secret_never_prints_itself():
    s = Secret("canary-9f3b1c")
    assert "canary" not in repr(s) and "canary" not in str(s) and "canary" not in f"{s}"
    assert s.reveal() == "canary-9f3b1c"


def test_redactor_masks_plain_and_base64_forms():
    r = Redactor([Secret("canary-9f3b1c")])
    r.add_auth_plain("AKIAUSER", Secret("canary-9f3b1c"))
    import base64

    plain = base64.b64encode(b"\0AKIAUSER\0canary-9f3b1c").decode()
    b64 = base64.b64encode(b"canary-9f3b1c").decode()
    text = r(f"pw canary-9f3b1c / {b64} / AUTH PLAIN {plain}")
    assert "canary" not in text and b64 not in text and plain not in text


@pytest.mark.parametrize("content", [None, "root:x:0:0:root:/root:/bin/bash\n", ""])
def test_a_ca_file_that_is_missing_or_not_pem_is_a_usage_error(tmp_path, content):
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_text(content)
    with pytest.raises(EndpointError, match="MAILPATH_CA_FILE"):
        Endpoints.from_env({"MAILPATH_CA_FILE": str(path)})


async def test_a_shared_lookup_that_fails_after_its_waiter_left_is_not_reported():
    """Regression: 'Task exception was never retrieved' printed at exit (tester's F18)."""
    import asyncio
    import gc

    from checks.context import Context

    ctx = Context()
    loop = asyncio.get_running_loop()
    seen: list[dict] = []
    loop.set_exception_handler(lambda _loop, context: seen.append(context))

    async def failing():
        await asyncio.sleep(0.01)
        raise OSError("endpoint stopped answering")

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.001):
            await ctx.memo("k", failing)
    await asyncio.sleep(0.05)
    ctx._memo.clear()
    gc.collect()
    assert seen == []
