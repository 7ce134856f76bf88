"""dns.dkim.selectors against a real lab DNS server: keys of user-given selectors (TXT or
CNAME), revoked and broken records, missing names. Keys are RFC 6376 / RFC 8463 examples."""

from __future__ import annotations

from typing import Any

from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.lab.dns_server import LabDnsServer
from checks.model import Layer
from checks.registry import load_all_checks
from checks.runner import collect

RSA_1024 = (  # RFC 6376 Appendix C
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
    "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4O"
    "uKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
)
ED25519 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="  # RFC 8463 Appendix A.2

ZONES = {
    "sender.example.": f"""\
@ SOA ns1.sender.example. hostmaster.sender.example. 1 3600 600 1209600 300
@ NS ns1.sender.example.
brisbane._domainkey TXT "v=DKIM1; p={RSA_1024}"
ed._domainkey       TXT "v=DKIM1; k=ed25519; p={ED25519}"
old._domainkey      TXT "v=DKIM1; k=rsa; p="
hosted._domainkey   CNAME hosted.keys.signer.example.
junk._domainkey     TXT "google-site-verification=abc"
slow._domainkey     TXT "v=DKIM1; k=ed25519; p={ED25519}"
""",
    "signer.example.": f"""\
@ SOA ns1.signer.example. hostmaster.signer.example. 1 3600 600 1209600 300
hosted.keys TXT "v=DKIM1; k=ed25519; p={ED25519}"
""",
}


async def selectors(*names: str, faults: dict[str, str] | None = None) -> Any:
    async with LabDnsServer(ZONES, faults=faults) as srv:
        ctx = Context(
            endpoints=Endpoints(nameservers=((srv.host, srv.port),), timeout=2.0),
            inputs=Inputs(sender="admin@sender.example", dkim_selectors=names),
        )
        checks = [c for c in load_all_checks().in_layers([Layer.DNS])
                  if c.id == "dns.dkim.selectors"]
        (result,) = await collect(checks, ctx)
    return result


async def test_no_selector_skips() -> None:
    result = await selectors()
    assert result.status.value == "skip"
    assert "--dkim-selector" in result.outcome.explanation


async def test_ed25519_txt_passes() -> None:
    result = await selectors("ed")
    assert result.status.value == "pass", result.summary
    assert "ed._domainkey.sender.example (TXT): ed25519 key" in result.summary


async def test_rsa_1024_warns() -> None:
    result = await selectors("brisbane")
    assert result.status.value == "warn", result.summary
    assert "rsa 1024-bit key" in result.summary and "2048" in result.summary


async def test_cname_to_signer_is_followed() -> None:
    result = await selectors("hosted")
    assert result.status.value == "pass", result.summary
    assert "CNAME to hosted.keys.signer.example" in result.summary


async def test_revoked_key_fails_with_fix() -> None:
    result = await selectors("old", "ed")
    assert result.status.value == "fail", result.summary
    assert "revoked" in result.summary
    assert result.outcome.fix is not None
    assert result.facts["keys"] == {"old": "revoked rsa key (empty p=)", "ed": "ed25519 key"}


async def test_missing_and_not_a_key() -> None:
    missing = await selectors("nothere")
    assert missing.status.value == "fail"
    assert "NXDOMAIN" in missing.summary
    junk = await selectors("junk")
    assert junk.status.value == "fail"
    assert "not a DKIM key" in junk.summary


async def test_bad_selector_is_a_finding_not_a_crash() -> None:
    result = await selectors("bad selector")
    assert result.status.value == "fail"
    assert "not a selector" in result.summary


async def test_timeout_is_an_error() -> None:
    result = await selectors("slow", faults={"slow._domainkey.sender.example.": "timeout"})
    assert result.status.value == "error"
    assert "did not answer (timeout)" in result.summary
