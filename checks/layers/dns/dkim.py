"""DKIM: SES Easy DKIM CNAMEs, and the key records of the selectors the user named."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from checks.context import Context
from checks.dnsauth import dkim
from checks.layers.dns.common import (
    DKIM,
    DNS_ERROR_TEXT,
    DOMAIN,
    evidence_of,
    sender_domain,
    unusable,
)
from checks.model import Evidence, Fix, Layer, Outcome, failed, passed, skipped, warned
from checks.net.dns import DnsAnswer, lookup
from checks.registry import CheckError, Deps, check


@check("dns.dkim.cnames", Layer.DNS, "Easy DKIM CNAMEs point to SES", needs=(DKIM, DOMAIN))
async def dkim_cnames(ctx: Context, deps: Deps) -> Outcome:
    tokens = list(deps.known(DKIM, "tokens") or [])
    if not tokens:
        return skipped(
            "No SES DKIM tokens to check",
            "The DKIM tokens come from SES (ses.identity.dkim); without SES access "
            "mailpath does not guess selectors.",
        )
    domain = sender_domain(ctx, deps)
    if str(deps.get(DKIM, "origin") or "AWS_SES").upper() == "EXTERNAL":
        return await _byodkim_keys(ctx, tokens, domain)
    region = deps.get(DOMAIN, "region") or ctx.endpoints.aws_region
    results = await asyncio.gather(*(_one_token(ctx, t, domain, region) for t in tokens))
    evidence = tuple(e for r in results for e in r.evidence)
    wrong = [r.line for r in results if r.state == "wrong"]
    unknown = [r.line for r in results if r.state == "unknown"]
    if wrong:
        return _cnames_wrong(tokens, domain, wrong, unknown, evidence)
    if unknown:
        raise CheckError(
            f"Could not read {len(unknown)} of {len(tokens)} DKIM CNAMEs: {unknown[0]}",
            explanation=DNS_ERROR_TEXT + "\n" + "\n".join(unknown),
            evidence=evidence,
        )
    return passed(
        f"All {len(tokens)} DKIM CNAMEs of {domain} point to SES",
        "Each <token>._domainkey CNAME resolves to <token>.dkim.amazonses.com.",
        evidence=evidence,
        facts={"domain": domain},
    )


async def _byodkim_keys(ctx: Context, selectors: Sequence[str], domain: str) -> Outcome:
    """BYODKIM: SES gives the selector as the token; the key is your own TXT record at
    <selector>._domainkey.<domain> (no CNAME to SES)."""
    return await _keys_outcome(
        ctx, [s.lower() for s in selectors], domain, "the BYODKIM key",
        lambda worst, _: f"BYODKIM key of {domain}: {worst.line}",
        "SES signs with your own key (BYODKIM, SigningAttributesOrigin EXTERNAL): receivers "
        "fetch it as TXT from <selector>._domainkey.<domain>; no CNAME to SES is involved.")


def _cnames_wrong(
    tokens: Sequence[str],
    domain: str,
    wrong: Sequence[str],
    unknown: Sequence[str],
    evidence: tuple[Evidence, ...],
) -> Outcome:
    """Definitely wrong CNAMEs (those the DNS server did not answer for are named apart)."""
    unread = f"; {len(unknown)} could not be read" if unknown else ""
    return failed(
        f"{len(wrong)} of {len(tokens)} DKIM CNAMEs wrong{unread}: {wrong[0]}",
        "SES signs with the key behind each token's CNAME; a missing or wrong "
        "CNAME makes DKIM fail for mail signed with that token.\n"
        + "\n".join([*wrong, *(f"not checked: {u}" for u in unknown)]),
        evidence=evidence,
        fix=_dkim_fix(tokens, domain),
        facts={"domain": domain},
    )


@dataclass(frozen=True)
class _Token:
    """One Easy DKIM CNAME: ok, wrong (a definite answer) or unknown (no usable answer)."""

    state: str
    line: str
    evidence: tuple[Evidence, ...]


def _dkim_targets(token: str, region: str) -> set[str]:
    return {f"{token}.dkim.amazonses.com", f"{token}.dkim.{region}.amazonses.com"}


async def _one_token(ctx: Context, token: str, domain: str, region: str) -> _Token:
    name = f"{token}._domainkey.{domain}"
    answer = await lookup(ctx, name, "CNAME")
    evidence = (evidence_of(answer),)
    if unusable(answer):
        return _Token("unknown", f"{name}: {answer.plain()}", evidence)
    if not answer.ok:
        return await _diagnose_missing(ctx, name, domain, answer)
    target = answer.records[0].rstrip(".").lower()
    if target in _dkim_targets(token, region):
        return _Token("ok", "", evidence)
    return _Token("wrong", f"{name} points to {target}, not {token}.dkim.amazonses.com", evidence)


async def _diagnose_missing(ctx: Context, name: str, domain: str, answer: DnsAnswer) -> _Token:
    """A definite NXDOMAIN/NODATA: say what is there instead, when something is."""
    doubled = await lookup(ctx, f"{name}.{domain}", "CNAME")
    if doubled.ok:
        return _Token(
            "wrong",
            f"the CNAME exists as {name}.{domain}: the DNS provider appended the domain "
            "twice (enter only the part before your domain)",
            (evidence_of(answer), evidence_of(doubled)),
        )
    txt = await lookup(ctx, name, "TXT")
    if txt.ok:
        return _Token(
            "wrong",
            f"{name} has a TXT record where the CNAME belongs",
            (evidence_of(answer), evidence_of(txt)),
        )
    return _Token("wrong", f"{name} has no CNAME ({answer.plain()})", (evidence_of(answer),))


def _dkim_fix(tokens: Sequence[str], domain: str) -> Fix:
    lines = tuple(f"{t}._domainkey.{domain}. CNAME {t}.dkim.amazonses.com." for t in tokens)
    return Fix(
        f"Publish the {len(tokens)} Easy DKIM CNAME records of {domain}",
        (
            *lines,
            "Some DNS providers add the domain themselves: then enter only "
            "'<token>._domainkey' as the name.",
        ),
        action="copy_record",
        action_args={"records": "\n".join(lines)},
    )


@dataclass(frozen=True)
class _KeyFinding:
    """What one user-given selector's key record says: a level, a line, its evidence."""

    level: str  # fail | warn | error | pass
    line: str
    evidence: tuple[Evidence, ...] = ()
    key: str = ""


_LEVELS = ("fail", "warn", "error", "pass")


@check("dns.dkim.selectors", Layer.DNS, "DKIM key records of the selectors given", needs=(DOMAIN,))
async def dkim_selectors(ctx: Context, deps: Deps) -> Outcome:
    selectors = list(dict.fromkeys(s.lower().strip(".") for s in ctx.inputs.dkim_selectors))
    if not selectors:
        return skipped(
            "No DKIM selector given",
            "Name a selector of your own key (SES BYODKIM, or another signer) with "
            "--dkim-selector SEL; SES Easy DKIM tokens are checked by dns.dkim.cnames.",
        )
    return await _keys_outcome(
        ctx, selectors, sender_domain(ctx, deps), "a DKIM key",
        lambda worst, n: worst.line if n == 1 else f"{n} selectors; {worst.line}",
        _SELECTOR_TEXT)


async def _keys_outcome(ctx: Context, selectors: list[str], domain: str, what: str,
                        summary: Callable[[_KeyFinding, int], str], explanation: str) -> Outcome:
    """Each selector's key read at once; the worst of them decides the outcome."""
    found = await asyncio.gather(*(_selector_key(ctx, s, domain) for s in selectors))
    worst = min(found, key=lambda f: _LEVELS.index(f.level))
    evidence = tuple(e for f in found for e in f.evidence)
    if worst.level == "error":
        raise CheckError(f"Could not read {what}: {worst.line}", evidence=evidence)
    make = {"fail": failed, "warn": warned, "pass": passed}[worst.level]
    return make(
        summary(worst, len(found)),
        explanation + "\n" + "\n".join(f.line for f in found),
        evidence=evidence,
        fix=_selector_fix(domain, selectors) if worst.level == "fail" else None,
        facts={"domain": domain, "keys": {s: f.key for s, f in zip(selectors, found, strict=True)}},
    )


_SELECTOR_TEXT = (
    "A DKIM signature names its selector (s=) and domain (d=); receivers fetch the key "
    "from <selector>._domainkey.<domain>, published as TXT (SES BYODKIM, your own key) or "
    "as a CNAME to the signer's own record (Easy DKIM, Microsoft 365 and others)."
)


async def _selector_key(ctx: Context, selector: str, domain: str) -> _KeyFinding:
    name = f"{selector}._domainkey.{domain}"
    if not dkim.valid_selector(selector):
        return _KeyFinding("fail", f"{selector!r} is not a selector (DNS labels only)")
    answer = await lookup(ctx, name, "TXT")
    evidence = (evidence_of(answer),)
    if unusable(answer):
        return _KeyFinding("error", f"{name}: {answer.plain()}", evidence)
    via = f"CNAME to {answer.chain[-1].split(' -> ')[-1].rstrip('.')}" if answer.chain else "TXT"
    keys = [r for r in answer.records if dkim.is_key_record(r)]
    if not keys:
        what = "only TXT text that is not a DKIM key" if answer.ok else answer.plain()
        return _KeyFinding("fail", f"{name}: no DKIM key record ({what})", evidence)
    try:
        key = dkim.parse_key(keys[0])
    except dkim.DkimKeyError as exc:
        return _KeyFinding("fail", f"{name} ({via}): invalid key record: {exc}", evidence)
    faults, warnings = dkim.problems(key)
    if len(keys) > 1:
        warnings.append(f"{len(keys)} key records: receivers may pick either one")
    level = "fail" if faults else "warn" if warnings else "pass"
    notes = "; ".join([*faults, *warnings])
    line = f"{name} ({via}): {key.describe()}" + (f": {notes}" if notes else "")
    return _KeyFinding(level, line, evidence, key.describe())


def _selector_fix(domain: str, selectors: Sequence[str]) -> Fix:
    return Fix(
        "Publish the key record your DKIM signer gives you for each selector",
        (
            *(f'{s}._domainkey.{domain}. TXT "v=DKIM1; k=rsa; p=<public key>"' for s in selectors),
            "Or the CNAME your signer names, if it hosts the key; never both on one name.",
            "Use an RSA key of 2048 bits (or ed25519 beside it); an empty p= revokes the key.",
        ),
    )
