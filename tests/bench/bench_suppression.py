"""Listing 100,000 suppression entries from the lab through `checks.suppression.pages`, then
filtering them, side by side with a plain boto3 `NextToken` loop over the same server.

Run as a script (not collected by pytest):  python tests/bench/bench_suppression.py [-n N]
Prints per-run timings and a summary line `total  OURS  BOTO3  RATIO` (ours / boto3).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

from checks.context import Context
from checks.lab import start_lab
from checks.suppression import filter_entries, list_all

ROUNDS = 3


def plain_boto3(lab: Any, region: str) -> list[dict[str, Any]]:
    """What a script would write by hand: one client, a NextToken loop, dicts."""
    client = lab.boto3_client("sesv2", region)
    out: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        extra = {"NextToken": token} if token else {}
        reply = client.list_suppressed_destinations(PageSize=1000, **extra)
        out.extend(reply["SuppressedDestinationSummaries"])
        token = reply.get("NextToken")
        if not token:
            return out


def ours(lab: Any, region: str) -> tuple[int, int]:
    """Entries listed, and how many a domain + reason filter keeps."""
    entries = asyncio.run(list_all(Context(endpoints=lab.endpoints), region))
    kept = filter_entries(entries, domain="bulk07.example", reasons=["COMPLAINT"])
    return len(entries), len(kept)


def timed(fn: Any, *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000, help="entries to seed (default 100000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with start_lab("seed") as lab:
        lab.seed_suppressed(args.n)
        region = lab.scenario.region
        rows = []
        for _ in range(ROUNDS):
            t_ours, (listed, kept) = timed(ours, lab, region)
            t_boto, plain = timed(plain_boto3, lab, region)
            assert listed == len(plain), (listed, len(plain))
            rows.append((t_ours, t_boto))
            print(f"ours {t_ours:.2f}s ({listed} listed, {kept} kept by the filter)   "
                  f"boto3 {t_boto:.2f}s")
    best_ours, best_boto = min(r[0] for r in rows), min(r[1] for r in rows)
    ratio = best_ours / best_boto
    if args.json:
        print(json.dumps({"entries": args.n, "ours_s": best_ours, "boto3_s": best_boto,
                          "ratio": ratio}))
    print(f"total  {best_ours * 1000:.0f}ms  {best_boto * 1000:.0f}ms  {ratio:.2f}x")


if __name__ == "__main__":
    main()
