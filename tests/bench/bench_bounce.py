"""Bounce intake against the labelled corpus, and throughput side by side with Sisimai and
flufl.bounce.

Run as a script (not collected by pytest):

    python tests/bench/bench_bounce.py [--misses] [--no-sisimai] [--no-flufl] [--rounds N] [--json]

flufl.bounce (PyPI) extracts failed addresses only, so it is compared on addresses: files
where it finds one, and whether its addresses are Sisimai's (the labels carry only the
recipient count; Sisimai's own output gives the addresses) and its count the label's.
Either tool may be missing: the figures then say so and the rest still runs.

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
from typing import Any, NamedTuple

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
    if ($line =~ /^addr/) {
        for my $m (@mails) {
            my $d = Sisimai->make($m) || [];
            print join("\t", "addr", map { lc $_->recipient->address } @$d), "\n";
        }
        print "done\n";
        next;
    }
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

    #: why Sisimai could not run, when it could not
    missing = ""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.passes: list[float] = []
        self.cpu: list[float] = []
        self.results = 0
        self.addresses: list[set[str]] = []

    @classmethod
    def start(cls, files: list[str]) -> Sisimai | None:
        if shutil.which("perl") is None:
            cls.missing = "perl is not installed"
            return None
        proc = subprocess.Popen(["perl", "-e", SISIMAI, *files], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env={"PATH": "/usr/bin:/bin"})
        first, ready = cls._line(proc), cls._line(proc)
        if not first.startswith("load") or not ready.startswith("ready"):
            err = proc.stderr.read()[:200] if proc.stderr else ""
            cls.missing = ("libsisimai-perl is not installed" if "Sisimai.pm" in err
                           else f"not usable: {err.strip() or first or 'no output'}")
            print(f"sisimai {cls.missing}", file=sys.stderr)
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

    def read_addresses(self) -> None:
        """Sisimai's recipient addresses of every file (one more pass, not timed)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write("addr\n")
        self.proc.stdin.flush()
        while (line := self._line(self.proc)).startswith("addr"):
            self.addresses.append({a for a in line.split("\t")[1:] if a})

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Flufl:
    """flufl.bounce's address extraction, one pass per `run()`; None from `start` when it is
    not installed (`missing` says so)."""

    missing = ""

    def __init__(self, scan: Any) -> None:
        self.scan = scan
        self.passes: list[float] = []
        self.cpu: list[float] = []
        self.addresses: list[set[str]] = []

    @classmethod
    def start(cls) -> Flufl | None:
        try:
            from flufl.bounce import all_failures
        except ImportError:
            cls.missing = "flufl.bounce is not installed (pip install flufl.bounce)"
            return None
        return cls(all_failures)

    def run(self, blobs: list[bytes]) -> None:
        """Parse each file into a Message (flufl needs one) and scan it."""
        import email

        start, cpu = time.perf_counter(), time.process_time()
        found = [self._one(email.message_from_bytes(b)) for b in blobs]
        self.passes.append(time.perf_counter() - start)
        self.cpu.append(time.process_time() - cpu)
        self.addresses = found

    def _one(self, message: Any) -> set[str]:
        try:
            permanent, temporary = self.scan(message)
        except Exception:  # noqa: BLE001 - a crash counts as nothing found
            return set()
        return {a.decode("utf-8", "replace").lower() if isinstance(a, bytes) else str(a).lower()
                for a in (*permanent, *temporary)}


class Sides(NamedTuple):
    """What one measurement gathered: our reports and pass times, and the other tools."""

    pairs: list[Pair]
    ours: tuple[list[float], list[float]]
    sisimai: Sisimai | None
    flufl: Flufl | None


def measure(corpus: Path, labels: list[dict[str, Any]], rounds: int, sisimai: bool,
            flufl: bool = True) -> Sides:
    """Our reports and (wall, CPU) pass times, and the other tools' (passes alternate)."""
    names = [str(lab["file"]) for lab in labels]
    blobs = [(corpus / n).read_bytes() for n in names]
    theirs = Sisimai.start([str(corpus / n) for n in names]) if sisimai else None
    other = Flufl.start() if flufl else None
    ours: tuple[list[float], list[float]] = ([], [])
    reports: list[dict[str, Any]] = []
    try:
        for _ in range(rounds):
            seconds, cpu, reports = our_pass(blobs, names)
            ours[0].append(seconds)
            ours[1].append(cpu)
            if theirs:
                theirs.run()
            if other:
                other.run(blobs)
        if theirs:
            theirs.read_addresses()
    finally:
        if theirs:
            theirs.close()
    return Sides(list(zip(labels, reports, strict=True)), ours, theirs, other)


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


def throughput(n: int, sides: Sides) -> dict[str, Any]:
    """Messages per second on the best pass of each side (CPU time, and wall time), and the
    ratios (the other tool's best time over ours: how many times faster mailpath is)."""
    wall, cpu = sides.ours
    theirs, other = sides.sisimai, sides.flufl
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
    else:
        out["sisimai_missing"] = Sisimai.missing or "not run (--no-sisimai)"
    if other and other.cpu:
        best = min(other.cpu)
        out |= {"flufl_msg_s": round(n / best, 1), "flufl_best_s": round(best, 4),
                "flufl_ratio": round(best / min(cpu), 2)}
    else:
        out["flufl_missing"] = Flufl.missing or "not run (--no-flufl)"
    return out


#: label reasons that are not delivery failures (no failed address to find)
NOT_FAILURES = frozenset({"delivered", "feedback", "vacation"})


def addresses(sides: Sides) -> dict[str, Any]:
    """Per tool, over the failure files: files with an address found, recipient count as
    labelled, and addresses equal to Sisimai's (over the files Sisimai found one in)."""
    keep = [i for i, (lab, _) in enumerate(sides.pairs) if lab["reason"] not in NOT_FAILURES]
    ours = [{r["address"].lower() for r in rep["recipients"] if r.get("address")}
            for _, rep in sides.pairs]
    tools = {"mailpath": ours}
    if sides.flufl:
        tools["flufl.bounce"] = sides.flufl.addresses
    reference = sides.sisimai.addresses if sides.sisimai else []
    known = [i for i in keep if len(reference) == len(ours) and reference[i]]
    out: dict[str, Any] = {"failure_files": len(keep), "sisimai_found": len(known)}
    for name, found in tools.items():
        out[name] = {
            "found": sum(bool(found[i]) for i in keep),
            "count_as_labelled": sum(len(found[i]) == sides.pairs[i][0]["recipients"]
                                     for i in keep),
        }
        if known:
            out[name]["as_sisimai"] = sum(found[i] == reference[i] for i in known)
    return out


def misses(pairs: list[Pair]) -> list[str]:
    return [f"  {lab['file']:<28} want {lab['reason']}/{lab['status']} "
            f"got {rep['reason']}/{rep['status']}  [{lab['lhost']}]"
            for lab, rep in pairs
            if lab["reason"] != rep["reason"] or lab["status"] != (rep["status"] or "")]


def print_addresses(found: dict[str, Any], speed: dict[str, Any]) -> None:
    """Address extraction side by side (flufl.bounce finds addresses only)."""
    n = found["failure_files"]
    print(f"\naddresses in the {n} failure files (labels: recipient count; Sisimai: addresses)")
    if "flufl_missing" in speed:
        print(f"flufl.bounce: {speed['flufl_missing']}")
    for tool in ("mailpath", "flufl.bounce"):
        if tool not in found:
            continue
        got = found[tool]
        print(f"{tool} files with an address found: {got['found']}/{n} = {got['found'] / n:.1%}")
        print(f"{tool} recipient count as labelled: {got['count_as_labelled']}/{n} = "
              f"{got['count_as_labelled'] / n:.1%}")
        if "as_sisimai" in got:
            k = found["sisimai_found"]
            print(f"{tool} addresses as Sisimai's (files it read): {got['as_sisimai']}/{k} = "
                  f"{got['as_sisimai'] / k:.1%}")


def print_text(figures: dict[str, Any], speed: dict[str, Any], missed: list[str] | None,
               found: dict[str, Any]) -> None:
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
    print_addresses(found, speed)
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
    if "flufl_ratio" in speed:
        print(f"flufl.bounce throughput: {speed['flufl_msg_s']:.0f} files/s")
        print(f"speed ratio mailpath over flufl.bounce: {speed['flufl_ratio']:.2f}x")
    if "ratio" not in speed:
        print(f"sisimai: {speed['sisimai_missing']}")
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
    parser.add_argument("--no-flufl", action="store_true")
    parser.add_argument("--misses", action="store_true", help="list every disagreement")
    parser.add_argument("--rounds", type=_positive, default=ROUNDS, help="passes per side")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    try:
        labels = load_labels(args.corpus)
    except OSError as exc:
        parser.error(f"cannot read the corpus labels: {exc}")
    sides = measure(args.corpus, labels, args.rounds, not args.no_sisimai, not args.no_flufl)
    figures, speed = agreement(sides.pairs), throughput(len(labels), sides)
    found = addresses(sides)
    missed = misses(sides.pairs) if args.misses else None
    if args.json:
        print(json.dumps({**figures, "throughput": speed, "addresses": found, "misses": missed}))
    else:
        print_text(figures, speed, missed, found)
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


if __name__ == "__main__":
    sys.exit(main())
