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
#: one perl process: start-up and module load timed apart from ROUNDS passes over all files
SISIMAI = (
    "use Time::HiRes qw(time); my $t0 = time; require Sisimai; my $t1 = time; "
    "printf qq(load %.4f\\n), $t1 - $t0; for my $r (1..$ENV{ROUNDS}) { my $s = time; "
    "for my $f (@ARGV) { my $d = Sisimai->make($f) } printf qq(round %.4f\\n), time - $s }"
)
ROUNDS = 3


def load_labels(corpus: Path) -> list[dict[str, object]]:
    with (corpus / "labels.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


Pair = tuple[dict[str, Any], dict[str, Any]]


def run_ours(corpus: Path, labels: list[dict[str, Any]]) -> tuple[list[Pair], list[float]]:
    """Reports for every file, and the seconds each of ROUNDS passes took (files in memory)."""
    blobs = [(corpus / str(lab["file"])).read_bytes() for lab in labels]
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        named = zip(blobs, labels, strict=True)
        reports = [parse_bounce(b, name=str(lab["file"])).to_json() for b, lab in named]
        rounds.append(time.perf_counter() - start)
    return list(zip(labels, reports, strict=True)), rounds


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


def run_sisimai(corpus: Path, labels: list[dict[str, object]]) -> tuple[float, list[float]] | None:
    """Sisimai in one perl process: (start-up seconds, seconds per pass over all files)."""
    if shutil.which("perl") is None:
        return None
    files = [str(corpus / str(lab["file"])) for lab in labels]
    start = time.perf_counter()
    env = {"ROUNDS": str(ROUNDS), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["perl", "-e", SISIMAI, *files], capture_output=True, text=True,
                          timeout=600, check=False, env=env)
    if done.returncode != 0:
        print(f"sisimai not usable: {done.stderr.strip()[:200]}")
        return None
    lines = done.stdout.splitlines()
    rounds = [float(line.split()[1]) for line in lines if line.startswith("round")]
    wall = time.perf_counter() - start
    return wall - sum(rounds), rounds


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
    print(f"\nthroughput (best of {ROUNDS} passes over {n} files, start-up excluded)")
    print(f"  mailpath {n / min(ours):,.0f} msg/s (best {min(ours):.3f} s, first {ours[0]:.3f} s)")
    theirs = None if args.no_sisimai else run_sisimai(args.corpus, labels)
    if theirs:
        startup, rounds = theirs
        print(f"  sisimai  {n / min(rounds):,.0f} msg/s (best {min(rounds):.3f} s, "
              f"first {rounds[0]:.3f} s; perl start-up and load {startup:.3f} s)")
        print(f"  ratio    {min(rounds) / min(ours):.1f}x (best passes), "
              f"{rounds[0] / ours[0]:.1f}x (first passes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
