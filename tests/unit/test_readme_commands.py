"""README's command table says what `--help` says: every flag of every command and action is
in it, and it names no flag the parser does not know."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from tui.cli import COMMANDS, build_parser

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTION = README[README.index("## Command line"):README.index("## Scenarios")]
TABLE = "\n".join(line for line in SECTION.splitlines() if line.startswith("| "))


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def _flags(parser: argparse.ArgumentParser) -> set[str]:
    return {o for a in parser._actions for o in a.option_strings  # noqa: SLF001
            if o.startswith("--") and o != "--help"}


def _parsers() -> dict[str, argparse.ArgumentParser]:
    """'check' -> its parser; 'creds set' -> the action's parser."""
    found = {}
    for name, parser in _subparsers(build_parser()).items():
        actions = _subparsers(parser)
        found |= {f"{name} {a}": p for a, p in actions.items()} if actions else {name: parser}
    return found


@pytest.mark.parametrize("command", sorted(_parsers()))
def test_every_flag_and_action_is_in_the_table(command: str) -> None:
    parser = _parsers()[command]
    name, _, action = command.partition(" ")
    assert f"mailpath {name}" in TABLE, command
    if action:
        assert re.search(rf"[ |\\`]{action}\b", TABLE), f"{command} not in the README table"
    missing = sorted(f for f in _flags(parser) if f not in TABLE)
    assert not missing, f"README's table lacks {missing} of `mailpath {command}`"


def test_the_table_names_no_flag_the_parsers_lack() -> None:
    known = set().union(*(_flags(p) for p in _parsers().values()))
    named = set(re.findall(r"--[a-z][a-z-]*", TABLE))
    assert named <= known, sorted(named - known)


def test_every_command_has_a_row() -> None:
    assert all(f"mailpath {name}" in TABLE for name in COMMANDS)
