"""The DMARC policy that applies to failing mail: p= for the domain itself, sp= for a
subdomain that inherits the organisational domain's record (RFC 7489 6.6.3), pct= sampling
with the rest one step less strict (RFC 7489 6.6.4)."""

from __future__ import annotations

from checks.dnsauth.alignment import predict
from checks.layers.dns.receivers import applied_policy, receiver_lines


def _facts(domain: str, owner: str, **tags: object) -> dict[str, object]:
    p = tags.get("p", "none")
    return {"domain": domain, "owner": owner, "record": "v=DMARC1", "p": p,
            "sp": tags.get("sp", p), "sp_given": "sp" in tags, "pct": tags.get("pct", 100)}


def test_own_record_uses_p_even_with_sp() -> None:
    policy, _ = applied_policy(_facts("example.com", "example.com", p="reject", sp="none"))
    assert (policy.tag, policy.name, policy.enforced) == ("p", "reject", True)


def test_subdomain_inheriting_uses_sp() -> None:
    policy, why = applied_policy(_facts("sub.example.com", "example.com", p="reject", sp="none"))
    assert (policy.tag, policy.name, policy.enforced) == ("sp", "none", False)
    assert "6.6.3" in why


def test_subdomain_without_sp_uses_p() -> None:
    policy, _ = applied_policy(_facts("sub.example.com", "example.com", p="quarantine"))
    assert (policy.tag, policy.name) == ("p", "quarantine")


def test_pct_reject_leaves_the_rest_quarantined() -> None:
    policy, why = applied_policy(_facts("example.com", "example.com", p="reject", pct=20))
    assert policy.rest == "quarantine" and policy.enforced
    assert "20%" in why
    assert "other 80%" in receiver_lines(policy)["Gmail"]


def test_pct_zero_quarantine_enforces_nothing() -> None:
    policy, _ = applied_policy(_facts("example.com", "example.com", p="quarantine", pct=0))
    assert policy.rest == "none" and not policy.enforced


def test_no_record_means_no_policy() -> None:
    policy, _ = applied_policy({"domain": "example.com", "record": None})
    assert not policy.enforced and policy.tag == ""


def test_receivers_name_their_codes() -> None:
    policy, _ = applied_policy(_facts("example.com", "example.com", p="reject"))
    lines = receiver_lines(policy)
    assert "5.7.26" in lines["Gmail"] and "5.7.509" in lines["Exchange Online"]
    assert "oreject" in lines["Exchange Online"]


def test_aligned_spf_domain_without_spf_pass_does_not_pass() -> None:
    # RFC 7489 4.2: an aligned identifier counts only when its SPF/DKIM result is a pass.
    pred = predict("example.com", "mail.example.com", ["amazonses.com"], spf_passes=False)
    assert pred.spf_domain_aligned and not pred.spf_aligned and not pred.passes
    assert predict("example.com", "mail.example.com", ["amazonses.com"]).passes


# --- record parsing (RFC 7489 6.3, 6.6.3) ----------------------------------------------

def test_invalid_p_with_valid_rua_reads_as_none() -> None:
    from checks.dnsauth import dmarc

    record = dmarc.parse("v=DMARC1; p=bogus; rua=mailto:d@example.com")
    assert (record.p, record.sp) == ("none", "none")
    assert "6.6.3" in record.warnings[0]


def test_invalid_sp_with_valid_rua_reads_as_none() -> None:
    from checks.dnsauth import dmarc

    assert dmarc.parse("v=DMARC1; p=reject; sp=bogus; rua=mailto:d@example.com").p == "none"


def test_invalid_p_without_rua_is_invalid() -> None:
    import pytest

    from checks.dnsauth import dmarc

    with pytest.raises(dmarc.DmarcSyntaxError, match="p=bogus"):
        dmarc.parse("v=DMARC1; p=bogus")


def test_fo_rf_ri_are_validated() -> None:
    from checks.dnsauth import dmarc

    good = dmarc.parse("v=DMARC1; p=none; rua=mailto:d@example.com; fo=0:d:s; rf=afrf; ri=3600")
    assert not [w for w in good.warnings if w.startswith(("fo=", "rf=", "ri="))]
    bad = dmarc.parse("v=DMARC1; p=none; rua=mailto:d@example.com; fo=2; rf=iodef; ri=-1")
    assert [w.split("=")[0] for w in bad.warnings if w.startswith(("fo=", "rf=", "ri="))] == [
        "fo", "rf", "ri"]
