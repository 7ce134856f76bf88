"""mailpath's benchmarks, each a ratio measured side by side in one run (machines are noisy).

    python tests/bench/run.py [--quick] [--json FILE]

Prints a table; `--json FILE` writes a list of {"name", "value", "unit", "target", "ok"}.
Not part of the pytest run. Sections run in child processes so each has its own peak RSS.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make `tests.bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.bench import procs  # noqa: E402

DELAY = 0.05


@dataclass(frozen=True)
class Row:
    name: str
    value: float
    unit: str
    target: str = ""
    ok: bool | None = None


def _ok(value: float, op: str, limit: float) -> bool:
    return value <= limit if op == "<=" else value >= limit


def row(name: str, value: float, unit: str, op: str = "", limit: float = 0.0) -> Row:
    target = f"{op} {limit:g}{unit if unit != 'x' else '×'}" if op else ""
    return Row(name, round(value, 3), unit, target, _ok(value, op, limit) if op else None)


# --------------------------------------------------------------------------- sections


def engine_rows(quick: bool) -> Iterator[Row]:
    """Child process: the seed diagnosis with DELAY per round trip (lab in its own process)."""
    code = ("import asyncio, json; from tests.bench.engine import measure; "
            f"f = asyncio.run(measure('seed', {DELAY}, {2 if quick else 4})); "
            "print(json.dumps([f.wall, f.critical_path, f.sequential, f.checks, f.chain, "
            "f.one_shot]))")
    res = procs.run([sys.executable, "-c", code])
    wall, crit, seq, n, chain, one_shot = json.loads(res.stdout.strip().splitlines()[-1])
    ms = f"ms ({DELAY * 1000:g} ms per round trip, {n} checks)"
    yield row(f"diagnosis wall time {ms}", wall * 1000, "ms")
    yield row("diagnosis critical path " + " → ".join(c.split(".", 1)[1] for c in chain),
              crit * 1000, "ms")
    yield row("diagnosis one-after-another", seq * 1000, "ms")
    yield row("wall / critical path", wall / crit, "x", "<=", 1.25)
    yield row("one-after-another / wall (speed-up)", seq / wall, "x", ">=", 5)
    yield row("one-shot `mailpath check --json` process, start to exit (imports, boto3 "
              "models)", one_shot * 1000, "ms")
    yield row("diagnosis process peak RSS (lab in another process)", res.peak_rss_mb, "MB")


def startup_rows(quick: bool) -> Iterator[Row]:
    n = 5 if quick else 15
    mailpath = [str(procs.BIN / "mailpath"), "check", "--help"]
    (base, base_rss), (ours, ours_rss) = procs.paired([sys.executable, "-c", "pass"],
                                                      mailpath, n)
    yield row("python -c pass", base * 1000, "ms")
    yield row("mailpath check --help", ours * 1000, "ms")
    yield row("mailpath check --help minus python -c pass", (ours - base) * 1000, "ms", "<=", 150)
    yield row("peak RSS python -c pass", base_rss, "MB")
    yield row("peak RSS mailpath check --help", ours_rss, "MB")


def tui_rows(quick: bool) -> Iterator[Row]:
    """Process start to first frame on a real pty: `mailpath demo` against a bare Textual app
    (tests/bench/first_frame.py); the walkthrough-ready time is an extra row."""
    from tests.bench import first_frame

    figures = first_frame.measure(3 if quick else 9)
    bare, demo, walk = figures["bare"], figures["demo"], figures["demo-walkthrough"]
    yield row("bare Textual app, process start to first frame (pty)", bare.seconds * 1000, "ms")
    yield row("mailpath demo, process start to first frame (pty)", demo.seconds * 1000, "ms")
    yield row("mailpath demo / bare Textual first frame", demo.seconds / bare.seconds, "x",
              "<=", 1.3)
    yield row("mailpath demo, start to walkthrough drawn (lab up, diagnosis running)",
              walk.seconds * 1000, "ms")
    yield row("peak RSS bare Textual app (at first frame)", bare.peak_rss_mb, "MB")
    yield row("peak RSS mailpath demo (at first frame)", demo.peak_rss_mb, "MB")
    yield row("peak RSS mailpath demo (walkthrough drawn)", walk.peak_rss_mb, "MB")


_FIGURE = re.compile(r"^\s*([A-Za-z][^:=]{2,60}?)\s*[:=]\s*(?:\d+/\d+\s*=\s*)?"
                     r"([0-9]+(?:\.[0-9]+)?)\s*(%|x|×|ms|s|files/s|MB)?\s*$")


#: `total  163ms  439ms  2.7x` (bench_dns.py's summary line)
_TOTAL = re.compile(r"^total\s+([0-9.]+)ms\s+([0-9.]+)ms\s+([0-9.]+)x")


def helper_rows(script: str, label: str, args: tuple[str, ...] = ()) -> Iterator[Row]:
    """Figures a teammate's bench script prints as `name: value unit` lines."""
    path = Path(__file__).with_name(script)
    if not path.exists():
        yield Row(f"{label}: {script} not present yet", 0.0, "")
        return
    res = procs.run([sys.executable, str(path), *args])
    found = [m for line in res.stdout.splitlines() if (m := _FIGURE.match(line))]
    for m in found:
        yield Row(f"{label}: {m.group(1).strip()}", float(m.group(2)), m.group(3) or "")
    for m in filter(None, map(_TOTAL.match, res.stdout.splitlines())):
        found.append(m)
        yield Row(f"{label}: total mailpath", float(m.group(1)), "ms")
        yield Row(f"{label}: total checkdmarc", float(m.group(2)), "ms")
        yield Row(f"{label}: checkdmarc time / mailpath time", float(m.group(3)), "x")
    yield Row(f"{label}: peak RSS", round(res.peak_rss_mb, 1), "MB")
    if res.returncode != 0 or not found:
        yield Row(f"{label}: {script} exited {res.returncode}, {len(found)} figures", 0.0, "")


def missing(label: str, what: str, target: str = "") -> Row:
    """A figure that could not be measured: said in its name, ok is None."""
    return Row(f"{label}: {what}", 0.0, "", target, None)


def dns_rows(quick: bool) -> Iterator[Row]:
    """The DNS layer against checkdmarc (tests/bench/bench_dns.py); a ratio, no target."""
    label = "DNS vs checkdmarc"
    if importlib.util.find_spec("checkdmarc") is None:
        yield missing(label, "checkdmarc is not installed (pip install checkdmarc)")
        return
    yield from helper_rows("bench_dns.py", label, ("--rounds", "1" if quick else "3"))


def bounce_rows(quick: bool) -> Iterator[Row]:
    """The bounce corpus against its labels, Sisimai and flufl.bounce (bench_bounce.py)."""
    label = "bounces"
    path = Path(__file__).with_name("bench_bounce.py")
    res = procs.run([sys.executable, str(path), "--json", "--rounds", "2" if quick else "5"])
    try:
        doc = json.loads(res.stdout)
    except json.JSONDecodeError:
        yield missing(label, f"bench_bounce.py exited {res.returncode} without figures")
        return
    n, speed = doc["files"], doc["throughput"]
    yield row(f"{label}: reason agreement with Sisimai's labels ({n} files)",
              100 * doc["reason_ok"] / n, "%", ">=", 95)
    yield row(f"{label}: status agreement with Sisimai's labels", 100 * doc["status_ok"] / n,
              "%", ">=", 97)
    yield row(f"{label}: mailpath throughput (CPU time)", speed["mailpath_msg_s"], "files/s")
    yield from _sisimai_rows(label, speed)
    yield from _flufl_rows(label, speed, doc["addresses"])
    yield row(f"{label}: bench process peak RSS (mailpath, flufl.bounce)", res.peak_rss_mb, "MB")


def _sisimai_rows(label: str, speed: dict[str, Any]) -> Iterator[Row]:
    if "ratio" not in speed:
        yield missing(label, f"Sisimai {speed.get('sisimai_missing', 'did not run')}", ">= 3×")
        return
    yield row(f"{label}: Sisimai throughput (CPU time, one perl process)",
              speed["sisimai_msg_s"], "files/s")
    yield row(f"{label}: mailpath / Sisimai throughput", speed["ratio"], "x", ">=", 3)


def _flufl_rows(label: str, speed: dict[str, Any], found: dict[str, Any]) -> Iterator[Row]:
    if "flufl_ratio" not in speed:
        yield missing(label, f"flufl.bounce: {speed.get('flufl_missing', 'did not run')}")
        return
    yield row(f"{label}: flufl.bounce throughput (CPU time, addresses only)",
              speed["flufl_msg_s"], "files/s")
    yield row(f"{label}: mailpath / flufl.bounce throughput", speed["flufl_ratio"], "x")
    n, known = found["failure_files"], found.get("sisimai_found", 0)
    for tool in ("mailpath", "flufl.bounce"):
        got = found[tool]
        yield row(f"{label}: {tool} finds a failed address ({n} failure files)",
                  100 * got["found"] / n, "%")
        if "as_sisimai" in got:
            yield row(f"{label}: {tool} addresses = Sisimai's ({known} files it read)",
                      100 * got["as_sisimai"] / known, "%")


SECTIONS: dict[str, Callable[[bool], Iterator[Row]]] = {
    "engine": engine_rows,
    "dns": dns_rows,
    "bounce": bounce_rows,
    "startup": startup_rows,
    "tui": tui_rows,
}


# --------------------------------------------------------------------------- output


def machine() -> str:
    cpus = len(__import__("os").sched_getaffinity(0))
    return f"{platform.system()} {platform.release()}, Python {platform.python_version()}, " \
           f"{cpus} CPUs, {platform.machine()}"


def table(rows: list[Row]) -> str:
    mark = {True: "ok", False: "MISS", None: ""}
    lines = [f"{'figure':<72} {'value':>10} {'unit':<7} {'target':<10} "]
    lines += [f"{r.name[:72]:<72} {r.value:>10g} {r.unit[:7]:<7} {r.target:<10} {mark[r.ok]}"
              for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the rows as JSON")
    parser.add_argument("--only", action="append", choices=sorted(SECTIONS))
    args = parser.parse_args(argv)
    rows: list[Row] = []
    for name in args.only or SECTIONS:
        rows.extend(SECTIONS[name](args.quick))
    print(f"# {machine()}\n{table(rows)}")
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
