"""Bounce intake against the labelled corpus, and throughput side by side with Sisimai.

Run as a script (not collected by pytest):  python tests/bench/bench_bounce.py [--no-sisimai]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from checks.bounce import parse_bounce

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bounces"
SISIMAI = (
    "use Sisimai; my $n = 0; for my $f (@ARGV) { my $d = Sisimai->make($f); "
    "$n += scalar @{ $d // [] } } print qq($n\\n);"
)


def load_labels(corpus: Path) -> list[dict[str, object]]:
    with (corpus / "labels.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


Pair = tuple[dict[str, Any], dict[str, Any]]


def run_ours(corpus: Path, labels: list[dict[str, Any]]) -> tuple[list[Pair], float]:
    blobs = [(corpus / str(lab["file"])).read_bytes() for lab in labels]
    start = time.perf_counter()
    named = zip(blobs, labels, strict=True)
    reports = [parse_bounce(b, name=str(lab["file"])).to_json() for b, lab in named]
    return list(zip(labels, reports, strict=True)), time.perf_counter() - start


def agreement(pairs: list[tuple[dict, dict]]) -> None:
    by_reason: dict[str, list[bool]] = defaultdict(list)
    by_mta: dict[str, list[bool]] = defaultdict(list)
    confusion: Counter[tuple[str, str]] = Counter()
    status_ok = 0
    for lab, rep in pairs:
        ok = lab["reason"] == rep["reason"]
        by_reason[str(lab["reason"])].append(ok)
        by_mta[str(lab["lhost"])].append(ok)
        status_ok += lab["status"] == (rep["status"] or "")
        if not ok:
            confusion[(str(lab["reason"]), str(rep["reason"]))] += 1
    total = len(pairs)
    reason_ok = sum(sum(v) for v in by_reason.values())
    print(f"reason agreement: {reason_ok}/{total} = {reason_ok / total:.1%}")
    print(f"status agreement: {status_ok}/{total} = {status_ok / total:.1%}")
    _table("per reason", by_reason)
    _table("per MTA (label lhost)", by_mta)
    print("\nconfusion (expected -> ours: count)")
    for (want, got), n in confusion.most_common():
        print(f"  {want:>16} -> {got:<16} {n}")


def _table(title: str, groups: dict[str, list[bool]]) -> None:
    print(f"\n{title}")
    for key, oks in sorted(groups.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0])):
        print(f"  {key:<18} {sum(oks):>3}/{len(oks):<3} {sum(oks) / len(oks):6.1%}")


def misses(pairs: list[tuple[dict, dict]]) -> None:
    for lab, rep in pairs:
        if lab["reason"] != rep["reason"] or lab["status"] != (rep["status"] or ""):
            print(f"  {lab['file']:<28} want {lab['reason']}/{lab['status']} "
                  f"got {rep['reason']}/{rep['status']}  [{lab['lhost']}]")


def run_sisimai(corpus: Path, labels: list[dict[str, object]]) -> float | None:
    if shutil.which("perl") is None:
        return None
    files = [str(corpus / str(lab["file"])) for lab in labels]
    start = time.perf_counter()
    done = subprocess.run(["perl", "-e", SISIMAI, *files], capture_output=True, text=True,
                          timeout=600, check=False)
    if done.returncode != 0:
        print(f"sisimai not usable: {done.stderr.strip()[:200]}")
        return None
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-sisimai", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    args = parser.parse_args()
    labels = load_labels(args.corpus)
    pairs, ours = run_ours(args.corpus, labels)
    agreement(pairs)
    if args.misses:
        misses(pairs)
    n = len(labels)
    print(f"\nthroughput: mailpath {n / ours:,.0f} msg/s ({ours:.2f} s for {n})")
    theirs = None if args.no_sisimai else run_sisimai(args.corpus, labels)
    if theirs:
        print(f"            sisimai  {n / theirs:,.0f} msg/s ({theirs:.2f} s, incl. perl start)")
        print(f"            ratio    {theirs / ours:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
