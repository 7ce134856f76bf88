"""The DMARC policy that applies to a From domain (RFC 7489 6.6.3, 6.6.4: p=, sp=, pct=) and
what Gmail and Exchange Online do with mail that fails it (deliverability.md 3a, 3b; Microsoft's
2023 "honor DMARC policy" default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_LOWER = {"reject": "quarantine", "quarantine": "none", "none": "none"}

#: policy -> receiver -> what it does with failing mail
RECEIVERS: dict[str, dict[str, str]] = {
    "reject": {
        "Gmail": "rejects it (550 5.7.26 \"… is not accepted due to domain's DMARC policy\")",
        "Exchange Online": (
            "rejects it (550 5.7.509 \"… does not pass DMARC verification\") when the tenant "
            "honours the sender's DMARC policy, Microsoft's default since 2023 for domains "
            "whose MX points to Microsoft 365; a tenant that turned that off, or filters mail "
            "elsewhere first, delivers it to Junk instead (Authentication-Results: "
            "action=oreject)"
        ),
    },
    "quarantine": {
        "Gmail": "delivers it to the spam folder",
        "Exchange Online": "delivers it to Junk Email or quarantine (its anti-phishing policy "
        "decides which)",
    },
    "none": {
        "Gmail": "takes no DMARC action; its own filters decide, and bulk senders must align "
        "(421 4.7.32)",
        "Exchange Online": "takes no DMARC action; its own filters decide",
    },
}


@dataclass(frozen=True)
class AppliedPolicy:
    """The policy a receiver applies to failing mail from one From domain."""

    name: str  # none | quarantine | reject
    tag: str  # p or sp, or "" when no record applies
    pct: int = 100

    @property
    def rest(self) -> str:
        """The policy for the mail pct= leaves out (RFC 7489 6.6.4: the next less strict)."""
        return _LOWER[self.name] if self.pct < 100 else self.name

    @property
    def enforced(self) -> bool:
        """Some failing mail is rejected or quarantined."""
        return self.name != "none" and (self.pct > 0 or self.rest != "none")

    @property
    def summary(self) -> str:
        if not self.tag:
            return "no DMARC policy applies, so receivers do not act on it yet"
        head = f"{self.tag}={self.name}" + (f" (pct={self.pct})" if self.pct < 100 else "")
        if self.name == "none":
            return f"{head}, so receivers do not reject it yet"
        gmail = "Gmail rejects it" if self.name == "reject" else "Gmail files it as spam"
        exo = "Exchange Online rejects it or files it as Junk" if self.name == "reject" else (
            "Exchange Online files it as Junk or quarantines it")
        return f"{head}: {gmail}, {exo}"


def applied_policy(facts: Mapping[str, Any]) -> tuple[AppliedPolicy, str]:
    """(policy, why) from dns.dmarc.record's facts."""
    domain = str(facts.get("domain") or "")
    if not facts.get("record"):
        return AppliedPolicy("none", ""), f"No DMARC record applies to {domain}."
    owner = str(facts.get("owner") or domain)
    pct = int(facts.get("pct", 100))
    if owner != domain:
        name, tag = str(facts.get("sp") or facts.get("p")), "sp" if facts.get("sp_given") else "p"
        why = (
            f"{domain} has no DMARC record of its own: the record of the organisational domain "
            f"{owner} applies, and for a subdomain its {tag}={name} (RFC 7489 6.6.3"
            f"{'' if tag == 'sp' else '; no sp=, so p= applies'})."
        )
    else:
        name, tag = str(facts.get("p")), "p"
        why = f"The record at _dmarc.{domain} applies: p={name}."
    policy = AppliedPolicy(name, tag, pct)
    if pct < 100 and name != "none":
        why += (
            f" pct={pct}: {name} applies to {pct}% of failing mail, the rest is treated as "
            f"{policy.rest} (RFC 7489 6.6.4)."
        )
    return policy, why


def receiver_lines(policy: AppliedPolicy) -> dict[str, str]:
    """What each receiver does with failing mail under the policy."""
    lines = dict(RECEIVERS[policy.name])
    if policy.rest != policy.name:
        rest = RECEIVERS[policy.rest]
        lines = {k: f"{v}; for the other {100 - policy.pct}%: {rest[k]}" for k, v in lines.items()}
    return lines
