"""Every dns-* scenario end to end on the lab: the expected root causes, and the DNS/recipient
check statuses that carry them (expected values from RFC 7208/7489/7505/8461 and cases.jsonl)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from checks.context import Context
from checks.lab.scenario import SCENARIO_DIR, load_scenario
from checks.session import run_diagnosis

NAMES = sorted(p.stem for p in SCENARIO_DIR.glob("dns-*.toml"))

#: scenario -> {check id: expected status} for the checks the scenario is about
STATUSES: dict[str, dict[str, str]] = {
    "dns-spf-too-many-lookups": {"dns.spf.record": "fail", "dns.spf.authorises_ses": "fail"},
    "dns-spf-two-records": {"dns.spf.record": "fail", "dns.spf.authorises_ses": "fail"},
    "dns-spf-include-loop": {"dns.spf.record": "fail", "dns.spf.authorises_ses": "fail"},
    "dns-spf-void-lookups": {"dns.spf.record": "fail", "dns.spf.authorises_ses": "fail"},
    "dns-spf-missing-amazonses": {"dns.spf.record": "pass", "dns.spf.authorises_ses": "fail",
                                  "dns.dmarc.alignment": "pass"},
    "dns-dkim-domain-doubled": {"dns.dkim.cnames": "fail", "dns.dmarc.alignment": "pass"},
    "dns-dkim-cname-missing": {"dns.dkim.cnames": "fail"},
    "dns-dkim-txt-not-cname": {"dns.dkim.cnames": "fail"},
    "dns-dmarc-syntax-error": {"dns.dmarc.record": "fail"},
    "dns-dmarc-reject-not-aligned": {"dns.dmarc.alignment": "fail", "dns.mail_from.mx": "skip"},
    "dns-mail-from-two-mx": {"dns.mail_from.mx": "fail", "dns.dmarc.alignment": "pass"},
    "dns-recipient-null-mx": {"recipient.mx.provider": "fail",
                              "recipient.mta.reachable": "skip"},
    "dns-mta-sts-policy-mismatch": {"dns.mta_sts.policy": "fail"},
    "dns-propagation-mismatch": {"dns.propagation": "fail", "dns.spf.authorises_ses": "fail",
                                 "dns.spf.record": "pass"},
    "dns-byodkim-key": {"dns.dkim.cnames": "pass", "dns.dmarc.alignment": "pass"},
    # cases.jsonl gmail-dmarc-reject-send-as-alias: Gmail's own servers send the alias
    "dns-gmail-alias-dmarc-reject": {"dns.dmarc.alignment": "fail", "dns.dmarc.record": "pass"},
}

#: words the finding must contain, so the right cause is named (not just "some failure")
WORDS: dict[str, tuple[str, str]] = {
    "dns-spf-too-many-lookups": ("dns.spf.record", "more than 10 DNS lookups"),
    "dns-spf-two-records": ("dns.spf.record", "2 SPF records"),
    "dns-spf-include-loop": ("dns.spf.record", "loop"),
    "dns-spf-void-lookups": ("dns.spf.record", "void"),
    "dns-dkim-domain-doubled": ("dns.dkim.cnames", "appended the domain twice"),
    "dns-dkim-cname-missing": ("dns.dkim.cnames", "1 of 3"),
    "dns-dkim-txt-not-cname": ("dns.dkim.cnames", "TXT record where the CNAME belongs"),
    "dns-recipient-null-mx": ("recipient.mx.provider", "null MX"),
    "dns-mta-sts-policy-mismatch": ("dns.mta_sts.policy", "firewall.recipient.example"),
    "dns-spf-missing-amazonses": ("dns.spf.authorises_ses", "does not authorise"),
    "dns-propagation-mismatch": ("dns.propagation", "ns1.sender.example (192.0.2.53) serves"),
    "dns-byodkim-key": ("dns.dkim.cnames", "rsa 2048-bit key"),
    "dns-gmail-alias-dmarc-reject": ("dns.dmarc.alignment", "via Gmail's own servers"),
}


def test_every_dns_scenario_has_expectations() -> None:
    assert set(NAMES) == set(STATUSES)


@pytest.mark.parametrize("name", NAMES)
def test_dns_scenario(name: str, lab_factory: Any) -> None:
    expected = load_scenario(name).expected
    lab = lab_factory(name)
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    diagnosis = asyncio.run(run_diagnosis(ctx))
    by_id = {r.check_id: r for r in diagnosis.results}
    got = {cid: by_id[cid].status.value for cid in STATUSES[name]}
    assert got == STATUSES[name], {c: by_id[c].summary for c in STATUSES[name]}
    roots = {r.check_id for r in diagnosis.root_causes}
    assert roots == {c.check for c in expected.root_causes}, diagnosis.headline()
    assert diagnosis.exit_code == expected.exit_code
    if name in WORDS:
        cid, words = WORDS[name]
        text = by_id[cid].summary + by_id[cid].outcome.explanation
        assert words in text
