"""Every property test at full size: 10,000 examples per parser (hypothesis profile "full").

    python tests/bench/fuzz.py [--examples N] [-k EXPR]

Runs pytest on each test file with a `@given` test, under the profile tests/conftest.py
registers, and prints per test (one per parser) how many examples passed, failed and were
invalid, read from hypothesis's statistics. Exit status 1 if any test failed. Not part of
the test run; `--examples` sets MAILPATH_FUZZ_EXAMPLES instead (e.g. a quicker look).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
#: `tests/unit/test_x.py::test_y:` opens one test's statistics
_HEADER = re.compile(r"^(tests/\S+::\S+):\s*$")
_COUNTS = re.compile(r"(\d+) passing(?: examples?)?, (\d+) failing(?: examples?)?, "
                     r"(?:and )?(\d+) invalid")
_RESULT = re.compile(r"^(tests/\S+::\S+?) (PASSED|FAILED|ERROR)")


@dataclass
class Count:
    passing: int = 0
    failing: int = 0
    invalid: int = 0
    outcome: str = ""


def property_files() -> list[Path]:
    """Test files holding a hypothesis `@given` test."""
    return sorted(p for p in (REPO / "tests").rglob("test_*.py")
                  if "@given" in p.read_text(encoding="utf-8"))


def run(files: list[Path], examples: int | None, keyword: str | None) -> tuple[int, str]:
    """pytest over the files with statistics on; (exit status, its output)."""
    env = dict(os.environ)
    profile = ["--hypothesis-profile=full"]
    if examples is not None:
        env["MAILPATH_FUZZ_EXAMPLES"], profile = str(examples), []
    argv = [sys.executable, "-m", "pytest", "-v", "-p", "no:randomly", *profile,
            "--hypothesis-show-statistics", *(["-k", keyword] if keyword else []),
            *(str(f.relative_to(REPO)) for f in files)]
    proc = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    return proc.returncode, proc.stdout + proc.stderr


def counts(output: str) -> dict[str, Count]:
    """Examples per test, summed over hypothesis's phases, with pytest's outcome."""
    found: dict[str, Count] = {}
    current: Count | None = None
    for line in output.splitlines():
        if result := _RESULT.match(line):
            found.setdefault(result.group(1), Count()).outcome = result.group(2)
        elif header := _HEADER.match(line):
            current = found.setdefault(header.group(1), Count())
        elif current is not None and (m := _COUNTS.search(line)):
            current.passing += int(m.group(1))
            current.failing += int(m.group(2))
            current.invalid += int(m.group(3))
    return {name: c for name, c in found.items() if c.passing or c.failing or c.invalid}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--examples", type=int, help="examples per test instead of 10,000")
    parser.add_argument("-k", dest="keyword", help="only tests matching (pytest -k)")
    args = parser.parse_args(argv)
    started = time.monotonic()
    status, output = run(property_files(), args.examples, args.keyword)
    table = counts(output)
    heads = ("passing", "failing", "invalid")
    print(f"{'property test (tests/...)':<72}", *(f"{h:>8}" for h in heads), " outcome")
    for name, c in sorted(table.items()):
        short = name.removeprefix("tests/")
        print(f"{short:<72} {c.passing:>8} {c.failing:>8} {c.invalid:>8}  {c.outcome}")
    print(f"property tests: {len(table)}")
    print(f"fewest passing examples: {min((c.passing for c in table.values()), default=0)}")
    print(f"wall time: {time.monotonic() - started:.0f} s")
    if status != 0:
        print(output[-4000:], file=sys.stderr)
    return 0 if status == 0 and table else 1


if __name__ == "__main__":
    sys.exit(main())
