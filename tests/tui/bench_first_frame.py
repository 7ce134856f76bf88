"""Process start to first frame, in a real pseudo-terminal: `mailpath demo` vs a bare app.

    python tests/tui/bench_first_frame.py [--runs 7]

Each run spawns the program on a pty (100x30) and stops the clock when the screen first
shows the marker text (the bare app's label; mailpath's first frame, "Starting the local
lab…"; and, for reference, the walkthrough's footer once the lab is up), then ends it.
Prints the median of each and their ratio. A benchmark, not a test.
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import termios
import time
from fcntl import ioctl
from pathlib import Path

BIN = Path(sys.executable).parent
BARE = ("from textual.app import App\nfrom textual.widgets import Label\n"
        "class Bare(App):\n    def compose(self):\n        yield Label('hello-bare')\n"
        "Bare().run()\n")
PROGRAMS = {
    "bare": ([sys.executable, "-c", BARE], b"hello-bare"),
    "demo": ([str(BIN / "mailpath"), "demo"], b"Starting the local lab"),
    "demo-walkthrough": ([str(BIN / "mailpath"), "demo"], b"palette"),
}
TIMEOUT = 30.0
CSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


def first_frame(argv: list[str], marker: bytes) -> float:
    """Seconds from spawn to the marker on the terminal."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color"})
    try:
        return _wait_for(fd, marker, start)
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def _wait_for(fd: int, marker: bytes, start: float) -> float:
    seen = b""
    while time.perf_counter() - start < TIMEOUT:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
            if marker in CSI.sub(b"", seen):
                return time.perf_counter() - start
    tail = seen[-400:].decode(errors="replace")
    raise RuntimeError(f"no first frame within {TIMEOUT} s; the terminal showed: {tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    figures: dict[str, float] = {}
    for name, (argv, marker) in PROGRAMS.items():
        times = [first_frame(argv, marker) for _ in range(args.runs)]
        figures[name] = statistics.median(times)
        print(f"{name} first frame: {figures[name] * 1000:.0f} ms "
              f"(min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})")
    print(f"demo / bare: {figures['demo'] / figures['bare']:.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
