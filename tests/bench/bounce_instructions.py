"""Instructions per pass of `parse_bounce` over the bounce corpus, counted by callgrind.

Run as a script (not collected by pytest; needs valgrind, Debian package `valgrind`):

    python tests/bench/bounce_instructions.py

The clock on a shared machine moves by 20 % from run to run; an instruction count moves by
well under 1 % (set PYTHONHASHSEED for steadier counts), so a tuning step is judged by it.
One pass is the difference between a run of three passes and a run of one (start-up, imports
and the warm-up pass cancel out).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bounces"


def passes(count: int) -> None:
    """The measured work: `count` passes over every corpus file, read into memory first."""
    from checks.bounce import parse_bounce

    blobs = [(f.read_bytes(), f.name) for f in sorted(CORPUS.glob("*.eml"))]
    for _ in range(count):
        for data, name in blobs:
            parse_bounce(data, name=name).to_json()


def counted(count: int, out: Path) -> int:
    """Instructions callgrind counts for a process making `count` passes."""
    subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                    sys.executable, __file__, "--passes", str(count)],
                   check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(
                       Path(__file__).resolve().parents[2])})
    line = next(ln for ln in out.read_text().splitlines() if ln.startswith("summary:"))
    return int(line.split()[1])


def main() -> int:
    if sys.argv[1:2] == ["--passes"]:
        passes(int(sys.argv[2]))
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt-get install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        one, three = counted(1, Path(tmp) / "one"), counted(3, Path(tmp) / "three")
    print(f"parse_bounce: {(three - one) / 2 / 1e6:.1f}M instructions per corpus pass "
          f"({len(list(CORPUS.glob('*.eml')))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
