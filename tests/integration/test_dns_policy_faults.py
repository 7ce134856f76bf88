"""Policy records with faults, end to end on the lab (DNS server, HTTPS server for MTA-STS):
the verdict, its words and whether it is a root cause.

Expected values: RFC 7489 6.3 and 6.6.3 (a DMARC syntax error outside v= and the policy is
discarded, the policy stays), 6.6.4 (pct=0: the next less strict policy for all failing
mail); RFC 8461 3.1, 3.3 and 5 (an unusable MTA-STS record or policy means senders deliver as
if there were none: a warning, not a delivery failure); RFC 8460 3 (TLS-RPT: exactly
v=TLSRPTv1, rua= of mailto: or https: URIs); RFC 3279 2.3.1 (one RSAPublicKey inside a
SubjectPublicKeyInfo)."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.scenario import MtaStsPolicy
from checks.model import Status
from checks.net.https import MAX_BYTES
from checks.session import Diagnosis, run_diagnosis

DMARC = '_dmarc      TXT   "v=DMARC1; p=quarantine; rua=mailto:dmarc@sender.example"'
STS_TXT = '_mta-sts    TXT   "v=STSv1; id=20260901T000000Z"'
STS_A = "mta-sts     A     192.0.2.80"
TLSRPT = '_smtp._tls  TXT   "v=TLSRPTv1; rua=mailto:tlsrpt@recipient.example"'
STS_HOST = "mta-sts.recipient.example"
POLICY = "version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n"


async def _diagnose(
    lab_factory: Any,
    *,
    sender: tuple[str, str] | None = None,
    recipient: tuple[str, str] | None = None,
    policy: MtaStsPolicy | None = None,
    selectors: tuple[str, ...] = (),
    unrouted: bool = False,
) -> Diagnosis:
    """The healthy scenario with one zone line replaced (and/or the MTA-STS policy served)."""
    base = load_scenario("healthy")
    zones = dict(base.zones)
    for domain, edit in (("sender.example", sender), ("recipient.example", recipient)):
        if edit is not None:
            old, new = edit
            assert old in zones[domain], old
            zones[domain] = zones[domain].replace(old, new)
    mta_sts = (policy,) if policy is not None else base.mta_sts
    lab = lab_factory(dataclasses.replace(base, zones=zones, mta_sts=mta_sts))
    inputs = dataclasses.replace(lab.inputs, dkim_selectors=selectors)
    endpoints = lab.endpoints
    if unrouted:  # the policy host is resolved through the lab nameserver (--nameserver)
        endpoints = dataclasses.replace(endpoints, https_routes={})
    return await run_diagnosis(Context(endpoints=endpoints, inputs=inputs))


def _result(diagnosis: Diagnosis, check_id: str) -> Any:
    return {r.check_id: r for r in diagnosis.results}[check_id]


def _text(result: Any) -> str:
    fix = result.outcome.fix
    steps = "\n".join(fix.steps) if fix else ""
    return f"{result.summary}\n{result.outcome.explanation}\n{fix.summary if fix else ''}\n{steps}"


# --------------------------------------------------------------------------- DMARC


@pytest.mark.parametrize(
    ("record", "named", "default"),
    [
        ("v=DMARC1; p=reject; pct=abc; rua=mailto:d@sender.example", "pct=abc", "pct=100"),
        ("v=DMARC1; p=reject; adkim=x; rua=mailto:d@sender.example", "adkim=x", "adkim=r"),
        ("v=DMARC1; p=reject; garbage; rua=mailto:d@sender.example", "'garbage'", "ignore"),
    ],
)
async def test_dmarc_bad_tag_keeps_reject(
    lab_factory: Any, record: str, named: str, default: str
) -> None:
    diagnosis = await _diagnose(lab_factory, sender=(DMARC, f'_dmarc TXT "{record}"'))
    dmarc = _result(diagnosis, "dns.dmarc.record")
    text = _text(dmarc)
    assert dmarc.status is Status.WARN, text
    assert dmarc.summary.startswith("DMARC record of sender.example: p=reject, but"), text
    assert named in dmarc.summary and default in dmarc.summary, text
    assert dmarc.outcome.facts["p"] == "reject"
    assert "p=none" not in text and "Keep p=reject" in text, text  # never a weaker policy
    alignment = _result(diagnosis, "dns.dmarc.alignment")
    assert alignment.status is Status.PASS, _text(alignment)
    assert "will pass DMARC" in alignment.summary, alignment.summary
    assert "no DMARC record applies" not in _text(alignment)
    assert not diagnosis.root_causes and diagnosis.exit_code == 0, diagnosis.headline()


async def test_dmarc_pct_zero_warns_that_reject_applies_to_no_mail(lab_factory: Any) -> None:
    record = "v=DMARC1; p=reject; pct=0; rua=mailto:d@sender.example"
    diagnosis = await _diagnose(lab_factory, sender=(DMARC, f'_dmarc TXT "{record}"'))
    dmarc = _result(diagnosis, "dns.dmarc.record")
    assert dmarc.status is Status.WARN, _text(dmarc)
    assert "pct=0: p=reject applies to no failing mail" in dmarc.summary, dmarc.summary
    assert "as quarantine instead (RFC 7489 6.6.4)" in dmarc.summary, dmarc.summary
    assert diagnosis.exit_code == 0, diagnosis.headline()


async def test_dmarc_invalid_sp_without_rua_fix_keeps_published_reject(lab_factory: Any) -> None:
    """The record is invalid (6.6.3: bad sp= and no rua=), but the fix must not say p=none."""
    record = "v=DMARC1; p=reject; sp=bogus"
    diagnosis = await _diagnose(lab_factory, sender=(DMARC, f'_dmarc TXT "{record}"'))
    dmarc = _result(diagnosis, "dns.dmarc.record")
    text = _text(dmarc)
    assert dmarc.status is Status.FAIL, text
    assert "sp=bogus" in dmarc.summary, text
    assert "Keep p=reject" in text and "p=none" not in text, text


# --------------------------------------------------------------------------- MTA-STS


async def test_sts_policy_served_as_html_is_a_warning(lab_factory: Any) -> None:
    html = MtaStsPolicy(STS_HOST, "<html>version: STSv1</html>", "text/html")
    diagnosis = await _diagnose(lab_factory, policy=html)
    sts = _result(diagnosis, "dns.mta_sts.policy")
    text = _text(sts)
    assert sts.status is Status.WARN, text
    assert sts.summary == ("MTA-STS of recipient.example is not in effect: its policy is "
                           "invalid: the policy must contain 'version: STSv1'"), sts.summary
    assert "served as 'text/html', not text/plain" in text, text
    assert "deliver as if recipient.example had no MTA-STS policy (RFC 8461 5)" in text, text
    assert not diagnosis.root_causes and diagnosis.exit_code == 0, diagnosis.headline()


async def test_sts_policy_host_unresolvable_is_a_warning(lab_factory: Any) -> None:
    diagnosis = await _diagnose(lab_factory, recipient=(STS_A, ""), unrouted=True)
    sts = _result(diagnosis, "dns.mta_sts.policy")
    text = _text(sts)
    assert sts.status is Status.WARN, text
    assert sts.summary.startswith("MTA-STS of recipient.example is not in effect: the policy "
                                  "cannot be fetched: mta-sts.recipient.example has no "
                                  "address (the name does not exist (NXDOMAIN))"), sts.summary
    assert "RFC 8461 5" in text
    assert not diagnosis.root_causes and diagnosis.exit_code == 0, diagnosis.headline()


async def test_sts_two_records_warn_naming_both(lab_factory: Any) -> None:
    two = '_mta-sts TXT "v=STSv1; id=1"\n_mta-sts TXT "v=STSv1; id=2"'
    diagnosis = await _diagnose(lab_factory, recipient=(STS_TXT, two))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    text = _text(sts)
    assert sts.status is Status.WARN, text
    assert "2 v=STSv1 records at _mta-sts.recipient.example" in sts.summary, text
    assert '"v=STSv1; id=1"' in sts.summary and '"v=STSv1; id=2"' in sts.summary, text
    assert "publishes no MTA-STS policy" not in text
    assert "RFC 8461 3.1" in text
    assert diagnosis.exit_code == 0, diagnosis.headline()


async def test_sts_record_without_separator_names_the_missing_semicolon(
    lab_factory: Any,
) -> None:
    diagnosis = await _diagnose(lab_factory, recipient=(STS_TXT, '_mta-sts TXT "v=STSv1id=123"'))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    text = _text(sts)
    assert sts.status is Status.WARN, text
    assert "has no ';' after v=STSv1" in sts.summary, text
    assert "write v=STSv1; id=123" in sts.summary, text
    assert "must start with v=STSv1" not in text


async def test_sts_policy_over_64_kb_says_so(lab_factory: Any) -> None:
    filler = "".join(f"mx: filler{i:05d}.example.net\n" for i in range(2600))
    body = f"version: STSv1\nmode: enforce\n{filler}mx: *.mail.protection.outlook.com\n" \
        "max_age: 604800\n"
    assert len(body) > MAX_BYTES
    diagnosis = await _diagnose(lab_factory, policy=MtaStsPolicy(STS_HOST, body))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    text = _text(sts)
    assert sts.status is Status.WARN, text
    assert "the policy is 64 KB or larger, over the limit" in sts.summary, text
    assert "RFC 8461 3.3" in text
    assert "not covered" not in text, text
    assert diagnosis.exit_code == 0, diagnosis.headline()


async def test_sts_policy_just_under_64_kb_is_judged(lab_factory: Any) -> None:
    filler = "".join(f"mx: filler{i:05d}.example.net\n" for i in range(2000))
    body = f"version: STSv1\nmode: enforce\n{filler}mx: *.mail.protection.outlook.com\n" \
        "max_age: 604800\n"
    assert len(body) < MAX_BYTES
    diagnosis = await _diagnose(lab_factory, policy=MtaStsPolicy(STS_HOST, body))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    assert sts.status is Status.PASS, _text(sts)
    assert "covers all its MX hosts" in sts.summary


async def test_sts_mx_not_covered_in_enforce_is_still_a_failure(lab_factory: Any) -> None:
    body = "version: STSv1\nmode: enforce\nmx: mx.elsewhere.example\nmax_age: 604800\n"
    diagnosis = await _diagnose(lab_factory, policy=MtaStsPolicy(STS_HOST, body))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    assert sts.status is Status.FAIL, _text(sts)
    assert "is not covered by any mx: line" in sts.summary


# --------------------------------------------------------------------------- TLS-RPT


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ("v=TLSRPTv1; rua=mailto:", "rua=mailto: names no address"),
        ("v=TLSRPTv1x; rua=mailto:a@recipient.example", "not exactly v=TLSRPTv1"),
        ("v=TLSRPTv1; rua=tls@recipient.example", "is not a mailto:address or https:// URL"),
    ],
)
async def test_tlsrpt_faults_warn(lab_factory: Any, record: str, words: str) -> None:
    diagnosis = await _diagnose(lab_factory, recipient=(TLSRPT, f'_smtp._tls TXT "{record}"'))
    rpt = _result(diagnosis, "dns.tls_rpt.record")
    text = _text(rpt)
    assert rpt.status is Status.WARN, text
    assert rpt.summary.startswith("TLS-RPT record of recipient.example is not usable: "), text
    assert words in rpt.summary, text
    assert "RFC 8460 3" in text and f"Current record: {record}" in text, text
    assert diagnosis.exit_code == 0, diagnosis.headline()


# --------------------------------------------------------------------------- DKIM


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _nested_key(depth: int) -> str:
    """An RSAPublicKey wrapped in `depth` SubjectPublicKeyInfo layers, base64."""
    key = _der(0x30, _der(0x02, b"\x00" + b"\xc5" * 128) + _der(0x02, b"\x01\x00\x01"))
    algorithm = _der(0x30, _der(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    for _ in range(depth):
        key = _der(0x30, algorithm + _der(0x03, b"\x00" + key))
    return base64.b64encode(key).decode()


def _txt(value: str) -> str:
    return " ".join(f'"{value[i:i + 250]}"' for i in range(0, len(value), 250))


@pytest.mark.parametrize(("depth", "status"), [(1, Status.WARN), (2, Status.FAIL),
                                               (1500, Status.FAIL)])
async def test_dkim_nested_key_is_not_a_valid_key(
    lab_factory: Any, depth: int, status: Status
) -> None:
    line = f"deep._domainkey TXT {_txt('v=DKIM1; k=rsa; p=' + _nested_key(depth))}"
    diagnosis = await _diagnose(lab_factory, sender=(DMARC, f"{DMARC}\n{line}"),
                                selectors=("deep",))
    dkim = _result(diagnosis, "dns.dkim.selectors")
    text = _text(dkim)
    assert dkim.status is status, text
    assert "internal error" not in text and "RecursionError" not in text, text
    if depth == 1:  # one wrapper is a real key: 1024 bits, under the 2048 RFC 8301 advises
        assert "rsa 1024-bit key" in dkim.summary, text
    else:
        assert "p= is not a valid RSA public key" in dkim.summary, text


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("max_age: 3600\n", "max_age 3600 is under a day"),
        ("mx: 192.0.2.25\nmax_age: 604800\n", "is an IP address"),
    ],
)
async def test_sts_enforce_short_max_age_or_ip_entry_is_a_warning(
    lab_factory: Any, extra: str, words: str,
) -> None:
    """RFC 8461 3.2: a short max_age only makes senders fetch the policy more often, and an
    mx: entry that is an IP address matches no host; while every MX host is covered by
    another line, mail is delivered, so neither fails the check."""
    body = f"version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\n{extra}"
    diagnosis = await _diagnose(lab_factory, policy=MtaStsPolicy(STS_HOST, body))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    assert sts.status is Status.WARN, _text(sts)
    assert words in _text(sts)
    assert "not covered" not in _text(sts)
