"""DMARC identifier alignment (RFC 7489 3.1) and a prediction for one sending path."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from checks.dnsauth.orgdomain import org_domain


def aligned(from_domain: str, other: str | None, mode: str) -> bool:
    """Strict: the same name; relaxed: the same organisational domain."""
    if not other:
        return False
    a, b = from_domain.lower().rstrip("."), other.lower().rstrip(".")
    return a == b if mode == "s" else org_domain(a) == org_domain(b)


@dataclass(frozen=True)
class AlignmentPrediction:
    from_domain: str
    mail_from_domain: str
    dkim_domains: tuple[str, ...]
    #: SPF passes *and* its domain aligns (what DMARC counts)
    spf_aligned: bool
    dkim_aligned: bool
    spf_passes: bool = True
    #: the MAIL FROM domain aligns, whether or not its SPF passes
    spf_domain_aligned: bool = False

    @property
    def passes(self) -> bool:
        """DMARC passes when SPF or DKIM passes *and* aligns (RFC 7489 4.2)."""
        return self.spf_aligned or self.dkim_aligned


def predict(
    from_domain: str,
    mail_from_domain: str,
    dkim_domains: Sequence[str],
    *,
    adkim: str = "r",
    aspf: str = "r",
    spf_passes: bool = True,
) -> AlignmentPrediction:
    """Assume DKIM passes for each d= given; SPF passes only when spf_passes says so."""
    spf_domain = aligned(from_domain, mail_from_domain, aspf)
    dkim_ok = any(aligned(from_domain, d, adkim) for d in dkim_domains)
    return AlignmentPrediction(
        from_domain,
        mail_from_domain,
        tuple(dkim_domains),
        spf_passes and spf_domain,
        dkim_ok,
        spf_passes,
        spf_domain,
    )
