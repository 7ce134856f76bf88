"""The DNS layer against checkdmarc on the same lab zones, with latency injected in the lab
DNS server: findings side by side and the time ratio.

Run as a script (not collected by pytest):

    pip install checkdmarc   # into the dev venv only, never a runtime dependency
    python tests/bench/bench_dns.py [--delay 0.02] [--rounds 3] [--with-ses] [--scenario NAME]

Both tools ask the same lab DNS server (UDP/TCP on 127.0.0.1, every answer delayed by
--delay seconds). mailpath runs its DNS-layer checks and the recipient MX lookup, without
AWS, so the MAIL FROM domain is unknown to it as it is to checkdmarc (--with-ses adds the
SES checks on the lab's AWS stand-in, as a real run has them); checkdmarc is given what a
careful user would ask: SPF, DMARC, MX and TLS-RPT of the From domain, and MX and TLS-RPT of
the recipient domain. Its MTA-STS check is left out: it fetches the policy from the real
host name with its own HTTPS client, which the lab cannot route (no network here).
Timings are wall-clock medians over --rounds runs, each with cold caches (checkdmarc's
module caches are cleared; mailpath's cache is per run by design).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from checks.context import Context
from checks.lab import start_lab
from checks.lab.lab import Lab
from checks.lab.scenario import SCENARIO_DIR
from checks.model import CheckResult, Layer, Status
from checks.registry import load_all_checks
from checks.runner import collect

DEFAULT_SCENARIOS = ["healthy", *sorted(p.stem for p in SCENARIO_DIR.glob("dns-*.toml"))]
WIDTH = 58


# -- mailpath -------------------------------------------------------------------------


#: checks beside the DNS layer that only read DNS (checkdmarc's MX check is the peer)
DNS_ONLY_EXTRAS = ("recipient.mx.provider",)


def mailpath_checks(with_ses: bool) -> list[Any]:
    """The DNS layer and the recipient MX lookup; with_ses adds the SES checks they read."""
    checks = load_all_checks().in_layers([Layer.DNS, Layer.RECIPIENT_MTA])
    keep = (Layer.DNS, Layer.SES) if with_ses else (Layer.DNS,)
    return [c for c in checks if c.layer in keep or c.id in DNS_ONLY_EXTRAS]


def run_mailpath(lab: Lab, with_ses: bool) -> tuple[list[CheckResult], float]:
    """One diagnosis on a fresh context (fresh per-run cache); (results, seconds)."""
    checks = mailpath_checks(with_ses)
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    started = time.perf_counter()
    results = asyncio.run(collect(checks, ctx))
    return results, time.perf_counter() - started


def mailpath_findings(results: list[CheckResult]) -> list[str]:
    shown = (Status.FAIL, Status.WARN, Status.ERROR)
    found = [
        f"{r.status.glyph} {r.check_id}: {r.summary}"
        for r in results
        if r.status in shown and r.layer is not Layer.SES
    ]
    mine = [r for r in results if r.layer is not Layer.SES]
    passed = sum(r.status is Status.PASS for r in mine)
    skipped = [r.check_id for r in mine if r.status is Status.SKIP]
    return [*found, f"✓ {passed} checks pass", f"– {len(skipped)} skipped: {', '.join(skipped)}"]


# -- checkdmarc -----------------------------------------------------------------------


def checkdmarc_calls(lab: Lab) -> list[tuple[str, Callable[[], Any]]]:
    """(label, call) for what checkdmarc can check of this scenario's domains."""
    import checkdmarc
    import dns.nameserver

    host, port = lab.endpoints.nameservers[0]
    kw: dict[str, Any] = {
        "nameservers": [dns.nameserver.Do53Nameserver(host, port=port)],
        "timeout": 2.0,
    }
    sender = lab.scenario.sender.rpartition("@")[2]
    recipient = lab.scenario.recipients[0].rpartition("@")[2]
    return [
        (f"spf {sender}", lambda: checkdmarc.check_spf(sender, **kw)),
        (f"dmarc {sender}", lambda: checkdmarc.check_dmarc(sender, **kw)),
        (f"mx {sender}", lambda: checkdmarc.check_mx(sender, **kw)),
        (f"tls-rpt {sender}", lambda: checkdmarc.check_smtp_tls_reporting(sender, **kw)),
        (f"mx {recipient}", lambda: checkdmarc.check_mx(recipient, **kw)),
        (f"tls-rpt {recipient}", lambda: checkdmarc.check_smtp_tls_reporting(recipient, **kw)),
    ]


def clear_checkdmarc_caches() -> None:
    import checkdmarc.utils as utils

    for name in ("DNS_CACHE", "_NAMESERVER_FAILURES"):
        cache = getattr(utils, name, None)
        if cache is not None:
            cache.clear()


def run_checkdmarc(lab: Lab) -> tuple[list[tuple[str, Any]], float]:
    clear_checkdmarc_caches()
    calls = checkdmarc_calls(lab)
    started = time.perf_counter()
    results = [(label, _guarded(call)) for label, call in calls]
    return results, time.perf_counter() - started


def _guarded(call: Callable[[], Any]) -> Any:
    """checkdmarc raises for some broken records; keep the message as its finding."""
    try:
        return call()
    except Exception as exc:  # noqa: BLE001 - another tool's errors, reported as findings
        return {"error": f"{type(exc).__name__}: {exc}"}


def checkdmarc_findings(results: list[tuple[str, Any]]) -> list[str]:
    lines = []
    for label, result in results:
        data = result if isinstance(result, dict) else {}
        if data.get("error"):
            lines.append(f"✗ {label}: {str(data['error'])[:140]}")
            continue
        lines.append(f"✓ {label}: {_checkdmarc_summary(label, data)}")
        lines += [f"  ! {str(w)[:140]}" for w in data.get("warnings", [])]
    return lines


def _checkdmarc_summary(label: str, data: dict[str, Any]) -> str:
    if label.startswith("spf"):
        return f"valid ({data.get('dns_lookups', '?')}/10 lookups)"
    if label.startswith("mx"):
        hosts = [h.get("hostname", "?") for h in data.get("hosts", [])]
        return f"MX {', '.join(hosts) or 'none'}"
    return str(data.get("record") or "valid")[:100]


# -- the report ----------------------------------------------------------------------


def timed(run: Callable[[], tuple[Any, float]], rounds: int) -> tuple[Any, float]:
    """The last run's results and the median seconds over `rounds` runs."""
    results, times = None, []
    for _ in range(rounds):
        results, seconds = run()
        times.append(seconds)
    return results, statistics.median(times)


def side_by_side(left: list[str], right: list[str]) -> str:
    rows = max(len(left), len(right))
    cut = [(a[:WIDTH], b) for a, b in zip(left + [""] * rows, right + [""] * rows, strict=False)]
    return "\n".join(f"  {a:<{WIDTH}} | {b}" for a, b in cut[:rows])


def bench(name: str, delay: float, rounds: int, with_ses: bool) -> tuple[str, float, float]:
    with start_lab(name, delay=delay) as lab:
        ours, ours_s = timed(lambda: run_mailpath(lab, with_ses), rounds)
        theirs, theirs_s = timed(lambda: run_checkdmarc(lab), rounds)
    print(f"\n== {name}  (mailpath {ours_s * 1000:.0f} ms, checkdmarc {theirs_s * 1000:.0f} ms)")
    title = "mailpath (DNS layer" + (" + SES facts)" if with_ses else ")")
    print(f"  {title:<{WIDTH}} | checkdmarc")
    print(side_by_side(mailpath_findings(ours), checkdmarc_findings(theirs)))
    return name, ours_s, theirs_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.02, help="seconds per DNS answer")
    parser.add_argument("--rounds", type=int, default=3, help="runs per tool (median)")
    parser.add_argument("--scenario", action="append", help="a scenario (default: dns-*)")
    parser.add_argument("--with-ses", action="store_true",
                        help="also run the SES checks (lab AWS), so mailpath knows MAIL FROM")
    args = parser.parse_args(argv)
    try:
        import checkdmarc  # noqa: F401
    except ImportError:
        print("checkdmarc is not installed: pip install checkdmarc", file=sys.stderr)
        return 2
    names = args.scenario or DEFAULT_SCENARIOS
    rows = [bench(n, args.delay, args.rounds, args.with_ses) for n in names]
    print(f"\nDNS answer delay {args.delay * 1000:.0f} ms, median of {args.rounds} runs")
    print(f"{'scenario':<32} {'mailpath':>9} {'checkdmarc':>11} {'ratio':>6}")
    for name, ours, theirs in rows:
        print(f"{name:<32} {ours * 1000:>7.0f}ms {theirs * 1000:>9.0f}ms {theirs / ours:>5.1f}x")
    total_ours, total_theirs = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"{'total':<32} {total_ours * 1000:>7.0f}ms {total_theirs * 1000:>9.0f}ms "
          f"{total_theirs / total_ours:>5.1f}x  (checkdmarc time / mailpath time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
