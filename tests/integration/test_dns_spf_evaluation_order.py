"""SPF on the lab DNS server, evaluated left to right as receivers do (RFC 7208 4.6, 5):
terms after `all` are never tested (5.1), the first match decides (a qualifier on the SES
include turns its match into a fail), a broken term after a match does not matter for the
addresses matched, and what receivers get follows the all qualifier (or neutral, 4.7).
"Authorises SES" is check_host() for addresses of each SES range in amazonses.com's SPF."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.faults import timed_results
from checks.model import CheckResult, Status

MF_SPF = 'mail        TXT   "v=spf1 include:amazonses.com ~all"'
RECORD = "dns.spf.record"
SES = "dns.spf.authorises_ses"


async def _results(lab_factory: Any, record: str, extra: str = "",
                   sending_ips: tuple[str, ...] = ()) -> dict[str, CheckResult]:
    base = load_scenario("healthy")
    assert MF_SPF in base.zones["sender.example"]
    zone = base.zones["sender.example"].replace(MF_SPF, f'mail TXT "{record}"\n{extra}')
    lab = lab_factory(dataclasses.replace(base, zones={**base.zones, "sender.example": zone}))
    inputs = dataclasses.replace(lab.inputs, sending_ips=sending_ips)
    ctx = Context(endpoints=dataclasses.replace(lab.endpoints, timeout=3.0), inputs=inputs)
    results, _ = await timed_results(ctx)
    return results  # type: ignore[no-any-return]


def _fix_value(r: CheckResult) -> str:
    assert r.outcome.fix is not None, r.summary
    return str(r.outcome.fix.action_args["value"])


async def test_a_broken_include_after_all_is_never_evaluated(lab_factory: Any) -> None:
    """Tester's finding 1: not broken, not 'authorises nobody', no contradiction with the IP."""
    record = "v=spf1 include:amazonses.com -all include:gone.sender.example"
    results = await _results(lab_factory, record, sending_ips=("54.240.8.10",))
    spf, ses = results[RECORD], results[SES]
    assert spf.status is Status.WARN, spf.summary
    assert spf.summary == ("SPF of mail.sender.example has terms after -all that receivers "
                           "never evaluate: include:gone.sender.example")
    assert "RFC 7208 5.1 never tests what follows it" in spf.outcome.explanation
    assert "1 of 10 DNS lookups, 0 of 2 void lookups" in spf.outcome.explanation
    assert _fix_value(spf) == "v=spf1 include:amazonses.com -all"
    assert ses.status is Status.PASS, ses.summary
    assert ses.summary == ("SPF of mail.sender.example authorises Amazon SES "
                           "(include:amazonses.com); 54.240.8.10: pass")
    assert "broken" not in ses.summary and "nobody" not in ses.summary
    assert "each of SES's 10 sending ranges match include:amazonses.com" in (
        ses.outcome.explanation)


async def test_all_before_the_ses_include_fails_with_the_moved_record(lab_factory: Any) -> None:
    """Tester's finding 2a: -all matches first, the include after it is dead."""
    results = await _results(lab_factory, "v=spf1 -all include:amazonses.com")
    ses = results[SES]
    assert ses.status is Status.FAIL, ses.summary
    assert ses.summary == ("SPF of mail.sender.example does not authorise Amazon SES: "
                           "its mail gets SPF fail")
    text = ses.outcome.explanation
    assert "-all matches every address" in text
    assert "include:amazonses.com comes after it" in text and "never tested" in text
    assert "Receivers give mail SES sends SPF fail (from -all)." in text
    assert _fix_value(ses) == "v=spf1 include:amazonses.com -all"
    assert results[RECORD].status is Status.WARN  # the dead include, explained by SES's check
    assert RECORD in ses.outcome.explains


async def test_a_qualified_ses_include_fails(lab_factory: Any) -> None:
    """Tester's finding 2b: -include: matches SES's addresses and gives them fail."""
    results = await _results(lab_factory, "v=spf1 -include:amazonses.com ~all")
    ses = results[SES]
    assert ses.status is Status.FAIL, ses.summary
    assert ses.summary.endswith("does not authorise Amazon SES: its mail gets SPF fail")
    assert ("-include:amazonses.com matches SES's addresses, but its '-' qualifier turns "
            "the match into fail") in ses.outcome.explanation
    assert _fix_value(ses) == "v=spf1 include:amazonses.com ~all"


async def test_what_receivers_get_follows_the_all_qualifier(lab_factory: Any) -> None:
    """Tester's finding 3: 'mx -all' gives SES's mail fail, not neutral."""
    for record, gets in [("v=spf1 mx -all", "fail"), ("v=spf1 mx ~all", "softfail"),
                         ("v=spf1 mx ?all", "neutral")]:
        ses = (await _results(lab_factory, record))[SES]
        assert ses.status is Status.FAIL, (record, ses.summary)
        assert ses.summary.endswith(f"its mail gets SPF {gets}"), (record, ses.summary)
        qualifier = record.split()[-1]
        assert f"SPF {gets} (from {qualifier})." in ses.outcome.explanation
        assert _fix_value(ses) == f"v=spf1 mx include:amazonses.com {qualifier}"
    ses = (await _results(lab_factory, "v=spf1 mx"))[SES]
    assert ses.summary.endswith("its mail gets SPF neutral")
    assert "neither all nor redirect=" in ses.outcome.explanation
    assert _fix_value(ses) == "v=spf1 mx include:amazonses.com"


async def test_a_broken_include_before_the_ses_include_is_permerror_for_ses(
    lab_factory: Any,
) -> None:
    record = "v=spf1 include:gone.sender.example include:amazonses.com -all"
    results = await _results(lab_factory, record)
    ses = results[SES]
    assert ses.status is Status.FAIL, ses.summary
    assert ses.summary.startswith("SPF of mail.sender.example is broken before it authorises "
                                  "SES: SES's mail gets permerror (include:gone.sender.example")
    assert "reach an error before any term matches" in ses.outcome.explanation
    assert results[RECORD].status is Status.FAIL


async def test_a_broken_include_after_the_ses_match_breaks_others_not_ses(
    lab_factory: Any,
) -> None:
    record = "v=spf1 include:amazonses.com include:gone.sender.example -all"
    results = await _results(lab_factory, record)
    spf, ses = results[RECORD], results[SES]
    assert spf.status is Status.FAIL and "include:gone.sender.example" in spf.summary
    assert "every sender no earlier term matches" in spf.outcome.explanation
    assert ses.status is Status.PASS, ses.summary
    assert "For other senders the record is broken" in ses.outcome.explanation
    assert "never reach it" in ses.outcome.explanation


async def test_a_term_excluding_part_of_ses_first_authorises_only_part(
    lab_factory: Any,
) -> None:
    results = await _results(lab_factory, "v=spf1 -ip4:54.240.0.0/18 include:amazonses.com ~all")
    ses = results[SES]
    assert ses.status is Status.FAIL, ses.summary
    assert ses.summary == ("SPF of mail.sender.example authorises only part of Amazon SES: "
                           "addresses in 54.240.0.0/18 get SPF fail")
    assert "-ip4:54.240.0.0/18 matches SES's addresses first" in ses.outcome.explanation
    assert _fix_value(ses) == "v=spf1 include:amazonses.com -ip4:54.240.0.0/18 ~all"


async def test_the_void_limit_is_stated_once(lab_factory: Any) -> None:
    """Tester's finding 3: one permerror, not a sentence per void lookup past the limit."""
    includes = " ".join(f"include:i{n}.sender.example" for n in range(5))
    extra = "\n".join(f'i{n} TXT "v=spf1 a:nx{n}a.sender.example a:nx{n}b.sender.example ~all"'
                      for n in range(5))
    results = await _results(lab_factory, f"v=spf1 {includes} include:amazonses.com -all",
                             extra)
    spf = results[RECORD]
    assert spf.status is Status.FAIL, spf.summary
    assert spf.summary == ("SPF of mail.sender.example is broken: more than 2 void lookups "
                           "(the 3rd is A nx1a.sender.example); more than 10 DNS lookups "
                           "(the 11th is a:nx3a.sender.example)")
    assert spf.outcome.explanation.count("void lookups") == 1
    assert "th is" not in spf.summary.replace("11th is", "")
    assert len(spf.outcome.explanation) < 700
    ses = results[SES]
    assert ses.status is Status.FAIL
    assert ses.outcome.explanation.count("void lookups") == 1
    assert "(the 3rd is A nx1a.sender.example)" in ses.summary
