"""The headless side never loads Textual: importing it costs 0.3–0.4 s per CLI call."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import tui.commands

HEADLESS = ["checks", "checks.session", "checks.report", "tui.cli"] + [
    f"tui.commands.{m.name}"
    for m in pkgutil.iter_modules(tui.commands.__path__)
    if m.name != "demo"
]


def test_headless_modules_do_not_import_textual() -> None:
    code = (
        "import importlib, sys\n"
        f"for name in {HEADLESS!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "", f"textual loaded by the headless side: {out.stdout[:200]}"


def test_the_cli_parser_builds_without_textual() -> None:
    code = (
        "import sys\nfrom tui.cli import build_parser\nbuild_parser()\n"
        "print('textual' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "False"


def test_check_help_loads_neither_keyring_nor_asyncio() -> None:
    """`mailpath check --help` stays quick (README: start-up figure): the keyring (with its
    entry-point scan) and asyncio are loaded only when a command runs."""
    code = (
        "import sys\nfrom tui.cli import build_parser\nbuild_parser('check')\n"
        "print(sorted(m for m in ('keyring', 'asyncio', 'textual', 'boto3') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    assert out.stdout.strip() == "[]"
