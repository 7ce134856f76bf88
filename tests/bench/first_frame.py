"""Process start to first frame, in a real pseudo-terminal: `mailpath demo` vs a bare app.

    python tests/bench/first_frame.py [--runs 7]

Each run spawns the program on a pty (100x30) and stops the clock when the screen first
shows the marker text (the bare app's label; mailpath's first frame, "Starting the local
lab…"; and, for reference, the walkthrough's footer once the lab is up and the diagnosis
runs), then kills it. The programs take turns, so machine noise hits all alike. Prints the
median of each and their ratio. tests/bench/run.py's TUI section uses `measure`.
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
from dataclasses import dataclass
from fcntl import ioctl
from pathlib import Path

BIN = Path(sys.executable).parent
BARE = ("from textual.app import App\nfrom textual.widgets import Label\n"
        "class Bare(App):\n    def compose(self):\n        yield Label('hello-bare')\n"
        "Bare().run()\n")
#: name -> (argv, the text that shows the frame is drawn)
PROGRAMS: dict[str, tuple[list[str], bytes]] = {
    "bare": ([sys.executable, "-c", BARE], b"hello-bare"),
    "demo": ([str(BIN / "mailpath"), "demo"], b"Starting the local lab"),
    "demo-walkthrough": ([str(BIN / "mailpath"), "demo"], b"palette"),
}
TIMEOUT = 30.0
CSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class Frame:
    seconds: float
    peak_rss_mb: float


@dataclass(frozen=True)
class Figure:
    """Median seconds and the largest peak RSS of one program over its runs."""

    seconds: float
    fastest: float
    slowest: float
    peak_rss_mb: float


def first_frame(argv: list[str], marker: bytes) -> Frame:
    """Seconds from spawn to the marker on the terminal, and the child's peak RSS."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execvpe(argv[0], argv, {**os.environ, "TERM": "xterm-256color"})
    seconds = 0.0
    try:
        seconds = _wait_for(fd, marker, start)
    finally:
        os.kill(pid, signal.SIGKILL)
        _, _, usage = os.wait4(pid, 0)
        os.close(fd)
    return Frame(seconds, usage.ru_maxrss / 1024)


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


def measure(runs: int) -> dict[str, Figure]:
    """Every program `runs` times, in turns; name -> its figure."""
    frames: dict[str, list[Frame]] = {name: [] for name in PROGRAMS}
    for _ in range(runs):
        for name, (argv, marker) in PROGRAMS.items():
            frames[name].append(first_frame(argv, marker))
    return {name: _figure(got) for name, got in frames.items()}


def _figure(frames: list[Frame]) -> Figure:
    times = [f.seconds for f in frames]
    return Figure(statistics.median(times), min(times), max(times),
                  max(f.peak_rss_mb for f in frames))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    figures = measure(args.runs)
    for name, fig in figures.items():
        print(f"{name} first frame: {fig.seconds * 1000:.0f} ms (min {fig.fastest * 1000:.0f}, "
              f"max {fig.slowest * 1000:.0f}, peak RSS {fig.peak_rss_mb:.0f} MB)")
    print(f"demo / bare: {figures['demo'].seconds / figures['bare'].seconds:.2f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
