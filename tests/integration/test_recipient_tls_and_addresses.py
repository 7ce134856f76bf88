"""Tester's findings on the recipient layer, against the lab's own servers:

- no STARTTLS on port 25 is a warning (SES delivers in cleartext) unless the recipient
  requires TLS (MTA-STS enforce, DANE TLSA records); a 454 reply to STARTTLS is named as a
  refusal of an offered STARTTLS, not as "not offered";
- the port-25 probe resolves the MX host through the configured nameserver (the lab's DNS),
  A and AAAA, never the system resolver; an IPv6-only MX host has an address;
- an MX host whose provider is unknown is worded as such.
"""

from __future__ import annotations

from typing import Any

import pytest

from checks.context import Context
from checks.diagnosis import diagnose
from checks.lab.scenario import parse_scenario
from checks.model import Layer, Status
from checks.runner import collect
from checks.session import plan

MX = "mx.recipient.example"
PROBE = "recipient.mta.reachable"
PROVIDER = "recipient.mx.provider"

POLICY = '''
[mta_sts."mta-sts.recipient.example"]
body = """
version: STSv1
mode: {mode}
mx: mx.recipient.example
max_age: 604800
"""
'''


def scenario(records: str, mtas: str, extra: str = "", mx: str = MX) -> Any:
    text = f'''
region = "us-east-1"
[input]
from = "a@sender.example"
to = ["pat@recipient.example"]
path = "ses_api"
[expected]
exit_code = 0
[zones]
"recipient.example" = """
@ SOA ns.recipient.example. h.recipient.example. 1 2 3 4 5
@ NS ns.recipient.example.
ns A 192.0.2.53
@ MX 10 {mx}.
{records}
"""
{mtas}
{extra}
'''
    return parse_scenario(text, default_name="recipient-tls")


async def recipient_results(lab: Any) -> dict[str, Any]:
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    results = await collect(plan([Layer.RECIPIENT_MTA]), ctx)
    return {r.check_id: r for r in results}


def text_of(result: Any) -> str:
    return f"{result.status.value}: {result.summary} / {result.outcome.explanation}"


def evidence_of(result: Any) -> str:
    return "\n".join(e.content for e in result.outcome.evidence)


NO_TLS_MTA = f'[[mta]]\nhost = "{MX}"\nstarttls = false\n'
REFUSING_MTA = f'[[mta]]\nhost = "{MX}"\nreject_starttls = true\n'


async def test_no_starttls_without_mta_sts_is_a_warning(lab_factory: Any) -> None:
    lab = lab_factory(scenario(f"{MX.split('.')[0]} A 192.0.2.25", NO_TLS_MTA))
    results = await recipient_results(lab)
    probe = results[PROBE]
    assert probe.status is Status.WARN, text_of(probe)
    assert probe.summary == f"{MX}:25 does not offer STARTTLS: SES delivers to it without TLS"
    assert "TlsPolicy Require" in probe.outcome.explanation
    assert "the recipient publishes neither" in probe.outcome.explanation
    assert "fault is on their side" not in text_of(probe)
    diagnosis = diagnose(list(results.values()))
    assert not diagnosis.root_causes


async def test_no_starttls_with_mta_sts_enforce_is_a_root_cause(lab_factory: Any) -> None:
    records = 'mx A 192.0.2.25\n_mta-sts TXT "v=STSv1; id=1"'
    lab = lab_factory(scenario(records, NO_TLS_MTA, POLICY.format(mode="enforce")))
    results = await recipient_results(lab)
    assert results["dns.mta_sts.policy"].status is Status.PASS
    probe = results[PROBE]
    assert probe.status is Status.FAIL, text_of(probe)
    assert probe.summary == f"{MX}:25 does not offer STARTTLS; the recipient requires TLS"
    assert "MTA-STS policy is in enforce mode" in probe.outcome.explanation


async def test_no_starttls_with_mta_sts_testing_stays_a_warning(lab_factory: Any) -> None:
    records = 'mx A 192.0.2.25\n_mta-sts TXT "v=STSv1; id=1"'
    lab = lab_factory(scenario(records, NO_TLS_MTA, POLICY.format(mode="testing")))
    probe = (await recipient_results(lab))[PROBE]
    assert probe.status is Status.WARN, text_of(probe)
    assert "MTA-STS policy is in testing mode" in probe.outcome.explanation


async def test_no_starttls_with_dane_tlsa_is_a_root_cause(lab_factory: Any) -> None:
    tlsa = "_25._tcp.mx TLSA 3 1 1 " + "ab" * 32
    lab = lab_factory(scenario(f"mx A 192.0.2.25\n{tlsa}", NO_TLS_MTA))
    probe = (await recipient_results(lab))[PROBE]
    assert probe.status is Status.FAIL, text_of(probe)
    assert "TLSA records (DANE" in probe.outcome.explanation
    assert f"_25._tcp.{MX}" in evidence_of(probe)


async def test_454_to_starttls_is_a_refusal_not_not_offered(lab_factory: Any) -> None:
    lab = lab_factory(scenario("mx A 192.0.2.25", REFUSING_MTA))
    probe = (await recipient_results(lab))[PROBE]
    assert probe.status is Status.WARN, text_of(probe)
    assert "not offered" not in text_of(probe)
    assert "does not offer" not in text_of(probe)
    assert probe.summary.startswith(f"{MX}:25 offers STARTTLS but refused it temporarily "
                                    "when asked (454 4.7.0")


async def test_454_with_mta_sts_enforce_is_a_root_cause(lab_factory: Any) -> None:
    records = 'mx A 192.0.2.25\n_mta-sts TXT "v=STSv1; id=1"'
    lab = lab_factory(scenario(records, REFUSING_MTA, POLICY.format(mode="enforce")))
    probe = (await recipient_results(lab))[PROBE]
    assert probe.status is Status.FAIL, text_of(probe)
    assert "refused it temporarily" in probe.summary and "requires TLS" in probe.summary


def address_mta(address: str) -> str:
    """An MTA the lab routes by address only: reached only if the probe looks the MX host
    up in the lab's DNS (the system resolver knows nothing of it)."""
    return f'[[mta]]\nhost = "{address}"\ncertificate_names = ["{MX}"]\n'


@pytest.mark.parametrize(("record", "address"), [
    ("mx A 192.0.2.26", "192.0.2.26"),
    ("mx AAAA 2001:db8::26", "2001:db8::26"),
])
async def test_probe_resolves_the_mx_host_in_the_configured_dns(
    lab_factory: Any, record: str, address: str
) -> None:
    lab = lab_factory(scenario(record, address_mta(address)))
    results = await recipient_results(lab)
    provider = results[PROVIDER]
    assert provider.status is Status.PASS, text_of(provider)
    assert "has no address" not in text_of(provider)
    probe = results[PROBE]
    assert probe.status is Status.PASS, text_of(probe) + evidence_of(probe)
    assert probe.summary.startswith(f"{MX} answers on port 25 with STARTTLS")
    assert f"via {address}" in evidence_of(probe)


async def test_ipv6_only_mx_host_is_not_no_address(lab_factory: Any) -> None:
    lab = lab_factory(scenario("mx AAAA 2001:db8::25", ""))
    provider = (await recipient_results(lab))[PROVIDER]
    assert provider.status is Status.PASS, text_of(provider)
    assert "AAAA" in evidence_of(provider)


async def test_no_a_and_no_aaaa_is_no_address(lab_factory: Any) -> None:
    lab = lab_factory(scenario('mx TXT "no address here"', ""))
    results = await recipient_results(lab)
    provider = results[PROVIDER]
    assert provider.status is Status.WARN, text_of(provider)
    assert provider.summary == (f"recipient.example: MX host {MX} has no address (the name "
                                "exists but has neither an A nor an AAAA record (NODATA))")
    probe = results[PROBE]
    assert "Name or service not known" not in text_of(probe)
    assert "no A or AAAA record" in text_of(probe), text_of(probe)
    assert lab.endpoints.nameservers[0][0] in text_of(probe)  # asked the lab DNS


async def test_probe_dns_failure_is_could_not_check(lab_factory: Any) -> None:
    lab = lab_factory(scenario("mx A 192.0.2.25", "",
                               f'[dns]\nfaults = {{ "{MX}." = "servfail" }}\n'))
    probe = (await recipient_results(lab))[PROBE]
    assert probe.status is Status.ERROR, text_of(probe)
    assert "SERVFAIL" in text_of(probe)


async def test_unknown_provider_is_worded_plainly(lab_factory: Any) -> None:
    lab = lab_factory(scenario("mx A 192.0.2.25", ""))
    provider = (await recipient_results(lab))[PROVIDER]
    assert provider.summary == (f"recipient.example is hosted by a provider mailpath does "
                                f"not recognise (MX {MX})")
    assert "is provider not recognised" not in provider.summary


async def test_mx_host_only_in_the_lab_dns_is_looked_up_there(lab_factory: Any) -> None:
    """Tester's repro 10: the MX host's A record exists only in the lab zone; the probe
    reaches for that address (unanswered from here: could not check), never 'does not
    resolve' from the system resolver."""
    lab = lab_factory(scenario("mx A 192.0.2.26", ""))
    probe = (await recipient_results(lab))[PROBE]
    assert probe.status is Status.ERROR, text_of(probe)
    assert probe.summary.startswith(f"Could not reach {MX}:25 (192.0.2.26) from here")
    assert "does not resolve" not in text_of(probe)
