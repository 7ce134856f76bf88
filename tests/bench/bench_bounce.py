"""Bounce intake against the labelled corpus, and throughput side by side with Sisimai.

Run as a script (not collected by pytest):

    python tests/bench/bench_bounce.py [--misses] [--no-sisimai] [--rounds N] [--json]

Throughput is measured fairly: every file is read into memory first on both sides, Sisimai
runs in one perl process (start-up and module load excluded), and the passes alternate
(one of ours, then one of Sisimai's, N times) so machine noise hits both alike; each side's
best pass counts. Each pass is timed both by the wall clock and by the process's own CPU
clock; the ratio is taken on CPU time, which other processes' load on a busy machine does
not inflate (on an idle machine the two agree). The last line of the text output is
machine-readable (CPU-time figures):

    throughput: mailpath X msg/s, sisimai Y msg/s, ratio Z

and `--json` prints one JSON object instead of the text.
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
#: default number of passes per side
ROUNDS = 5
#: one perl process: loads Sisimai and every file into memory, then runs one pass over all
#: of them per "go" line on its standard input and answers `round SECONDS` per pass
SISIMAI = r"""
use strict; use Time::HiRes qw(time clock_gettime CLOCK_PROCESS_CPUTIME_ID); $| = 1;
my $t0 = time; require Sisimai; printf "load %.4f\n", time - $t0;
my @mails = map { local $/; open(my $fh, '<:raw', $_) or die "$_: $!"; my $t = <$fh>; \$t } @ARGV;
printf "ready %d\n", scalar @mails;
while (my $line = <STDIN>) {
    last unless $line =~ /^go/;
    my ($s, $c, $n) = (time, clock_gettime(CLOCK_PROCESS_CPUTIME_ID), 0);
    for my $m (@mails) { my $d = Sisimai->make($m); $n += $d ? scalar @$d : 0 }
    printf "round %.6f %.6f %d\n", time - $s, clock_gettime(CLOCK_PROCESS_CPUTIME_ID) - $c, $n;
}
"""

Pair = tuple[dict[str, Any], dict[str, Any]]


def load_labels(corpus: Path) -> list[dict[str, Any]]:
    with (corpus / "labels.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def our_pass(blobs: list[bytes],
             names: list[str]) -> tuple[float, float, list[dict[str, Any]]]:
    """Wall and CPU seconds for one pass over every file in memory, and the reports made."""
    start, cpu = time.perf_counter(), time.process_time()
    reports = [parse_bounce(b, name=n).to_json() for b, n in zip(blobs, names, strict=True)]
    return time.perf_counter() - start, time.process_time() - cpu, reports


class Sisimai:
    """Sisimai in one perl process, one pass per `run()`; None from `start` when unusable."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.passes: list[float] = []
        self.cpu: list[float] = []
        self.results = 0

    @classmethod
    def start(cls, files: list[str]) -> Sisimai | None:
        if shutil.which("perl") is None:
            return None
        proc = subprocess.Popen(["perl", "-e", SISIMAI, *files], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={"PATH": "/usr/bin:/bin"})
        first, ready = cls._line(proc), cls._line(proc)
        if not first.startswith("load") or not ready.startswith("ready"):
            err = proc.stderr.read()[:200] if proc.stderr else ""
            print(f"sisimai not usable: {err.strip() or first or 'no output'}", file=sys.stderr)
            proc.kill()
            proc.wait()
            return None
        return cls(proc)

    @staticmethod
    def _line(proc: subprocess.Popen[str]) -> str:
        return proc.stdout.readline().strip() if proc.stdout else ""

    def run(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        _word, seconds, cpu, results = self._line(self.proc).split()
        self.passes.append(float(seconds))
        self.cpu.append(float(cpu))
        self.results = int(results)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def measure(corpus: Path, labels: list[dict[str, Any]], rounds: int,
            sisimai: bool) -> tuple[list[Pair], tuple[list[float], list[float]], Sisimai | None]:
    """Our reports, our (wall, CPU) pass times, and Sisimai's side (passes alternate)."""
    names = [str(lab["file"]) for lab in labels]
    blobs = [(corpus / n).read_bytes() for n in names]
    theirs = Sisimai.start([str(corpus / n) for n in names]) if sisimai else None
    ours: tuple[list[float], list[float]] = ([], [])
    reports: list[dict[str, Any]] = []
    try:
        for _ in range(rounds):
            seconds, cpu, reports = our_pass(blobs, names)
            ours[0].append(seconds)
            ours[1].append(cpu)
            if theirs:
                theirs.run()
    finally:
        if theirs:
            theirs.close()
    return list(zip(labels, reports, strict=True)), ours, theirs


def agreement(pairs: list[Pair]) -> dict[str, Any]:
    """Agreement figures: totals, per reason, per MTA, and the confusion list."""
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
    return {
        "files": len(pairs), "reason_ok": sum(sum(v) for v in by_reason.values()),
        "status_ok": status_ok, "per_reason": _counts(by_reason), "per_mta": _counts(by_mta),
        "confusion": [[w, g, n] for (w, g), n in confusion.most_common()],
    }


def _counts(groups: dict[str, list[bool]]) -> dict[str, list[int]]:
    return {k: [sum(v), len(v)] for k, v in sorted(groups.items())}


def throughput(n: int, ours: tuple[list[float], list[float]],
               theirs: Sisimai | None) -> dict[str, Any]:
    """Messages per second on the best pass of each side (CPU time, and wall time), and the
    ratios."""
    wall, cpu = ours
    out: dict[str, Any] = {
        "passes": len(cpu), "clock": "process CPU time",
        "mailpath_msg_s": round(n / min(cpu), 1), "mailpath_best_s": round(min(cpu), 4),
        "mailpath_wall_msg_s": round(n / min(wall), 1), "mailpath_passes_s": cpu,
        "mailpath_wall_passes_s": wall,
    }
    if theirs and theirs.cpu:
        best = min(theirs.cpu)
        out |= {"sisimai_msg_s": round(n / best, 1), "sisimai_best_s": round(best, 4),
                "sisimai_wall_msg_s": round(n / min(theirs.passes), 1),
                "sisimai_passes_s": theirs.cpu, "sisimai_wall_passes_s": theirs.passes,
                "sisimai_results": theirs.results, "ratio": round(best / min(cpu), 2),
                "wall_ratio": round(min(theirs.passes) / min(wall), 2)}
    return out


def misses(pairs: list[Pair]) -> list[str]:
    return [f"  {lab['file']:<28} want {lab['reason']}/{lab['status']} "
            f"got {rep['reason']}/{rep['status']}  [{lab['lhost']}]"
            for lab, rep in pairs
            if lab["reason"] != rep["reason"] or lab["status"] != (rep["status"] or "")]


def print_text(figures: dict[str, Any], speed: dict[str, Any], missed: list[str] | None) -> None:
    """Human-readable report; `name: value unit` lines are what tests/bench/run.py reads."""
    n = figures["files"]
    print(f"reason agreement: {figures['reason_ok']}/{n} = {figures['reason_ok'] / n:.1%}")
    print(f"status agreement: {figures['status_ok']}/{n} = {figures['status_ok'] / n:.1%}")
    _table("per reason", figures["per_reason"])
    _table("per MTA (label lhost)", figures["per_mta"])
    print("\nconfusion (expected -> ours: count)")
    for want, got, count in figures["confusion"]:
        print(f"  {want:>16} -> {got:<16} {count}")
    if missed is not None:
        print("\nmisses")
        print("\n".join(missed))
    _print_speed(n, speed)


def _table(title: str, groups: dict[str, list[int]]) -> None:
    print(f"\n{title}")
    for key, (ok, total) in sorted(groups.items(), key=lambda kv: (kv[1][0] / kv[1][1], kv[0])):
        print(f"  {key:<18} {ok:>3}/{total:<3} {ok / total:6.1%}")


def _print_speed(n: int, speed: dict[str, Any]) -> None:
    print(f"\nthroughput (best of {speed['passes']} alternating passes over {n} files in memory,"
          " process CPU time; wall clock alongside)")
    print(f"mailpath throughput: {speed['mailpath_msg_s']:.0f} files/s")
    print(f"mailpath best pass: {speed['mailpath_best_s'] * 1000:.1f} ms")
    print(f"mailpath wall-clock throughput: {speed['mailpath_wall_msg_s']:.0f} files/s")
    if "ratio" not in speed:
        print(f"throughput: mailpath {speed['mailpath_msg_s']:.0f} msg/s, sisimai - msg/s, ratio -")
        return
    print(f"sisimai throughput: {speed['sisimai_msg_s']:.0f} files/s")
    print(f"sisimai best pass: {speed['sisimai_best_s'] * 1000:.1f} ms")
    print(f"sisimai wall-clock throughput: {speed['sisimai_wall_msg_s']:.0f} files/s")
    print(f"speed ratio mailpath over sisimai: {speed['ratio']:.2f}x")
    print(f"wall-clock speed ratio mailpath over sisimai: {speed['wall_ratio']:.2f}x")
    print(f"throughput: mailpath {speed['mailpath_msg_s']:.0f} msg/s, "
          f"sisimai {speed['sisimai_msg_s']:.0f} msg/s, ratio {speed['ratio']:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--no-sisimai", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    parser.add_argument("--rounds", type=_positive, default=ROUNDS, help="passes per side")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        labels = load_labels(args.corpus)
    except OSError as exc:
        parser.error(f"cannot read the corpus labels: {exc}")
    pairs, ours, theirs = measure(args.corpus, labels, args.rounds, not args.no_sisimai)
    figures, speed = agreement(pairs), throughput(len(labels), ours, theirs)
    missed = misses(pairs) if args.misses else None
    if args.json:
        print(json.dumps({**figures, "throughput": speed, "misses": missed}))
    else:
        print_text(figures, speed, missed)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    sys.exit(main())
