"""`--timeout` (of `check` and `tui`, the commands that take it) is a usage error, naming
the allowed range, outside 0.1-600 s: zero, negative, NaN, infinite, absurdly small or
large. It is refused before any work and before the TUI says it has no terminal."""

from __future__ import annotations

import math

import pytest

from checks import validate
from tui.cli import EXIT_USAGE, build_parser, main

COMMANDS = ("check", "tui")
BAD = ("1e-9", "0.05", "0.0999", "0", "-0", "-1", "-0.5", "nan", "NaN", "inf", "-inf",
       "Infinity", "1e300", "600.001", "86400")
RANGE = "--timeout must be a number of seconds from 0.1 to 600"


@pytest.fixture(autouse=True)
def _no_lab(monkeypatch: pytest.MonkeyPatch) -> None:
    """No inputs from the environment: a timeout that passes meets the next usage error."""
    for name in ("MAILPATH_FROM", "MAILPATH_TO", "MAILPATH_RELAY_HOST", "AWS_ENDPOINT_URL",
                 "MAILPATH_NAMESERVER", "MAILPATH_CA_FILE"):
        monkeypatch.delenv(name, raising=False)


def test_the_commands_that_take_timeout() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and a.choices)
    taking = {name for name, p in sub.choices.items()  # type: ignore[union-attr]
              if any("--timeout" in a.option_strings for a in p._actions)}
    assert taking == set(COMMANDS)


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("spelled", ["=", " "])
def test_out_of_range_is_a_usage_error(command: str, value: str, spelled: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    if spelled == " " and value == "-inf":
        pytest.skip("argparse reads a lone -inf as an option (its own usage error, exit 2)")
    args = [f"--timeout={value}"] if spelled == "=" else ["--timeout", value]
    code = main([command, "--from", "a@b.example", "--to", "c@d.example", *args])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE == 2
    assert err.startswith(f"mailpath: {RANGE}, not "), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "no terminal" not in err  # the bad value first, even for the TUI


@pytest.mark.parametrize("value", ["0.1", "0.3", "10", "600"])
def test_in_range_passes_on_to_the_next_check(value: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--timeout", value])  # no --from: the next usage error
    err = capsys.readouterr().err
    assert code == EXIT_USAGE and "--timeout" not in err and "--from" in err, err


def test_validator() -> None:
    assert validate.timeout(0.1) == 0.1 and validate.timeout(600.0) == 600.0
    for bad in (0.0999, 600.5, math.nan, math.inf, -math.inf, 0.0, -1.0):
        with pytest.raises(validate.InvalidValue, match="from 0.1 to 600"):
            validate.timeout(bad)


@pytest.mark.parametrize("value", ["abc", "", "10s", "1,5", "0x10"])
@pytest.mark.parametrize("command", COMMANDS)
def test_no_number_names_the_range(command: str, value: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    """A value that is no number gets the same range in its message as one out of range,
    not argparse's 'invalid float value'."""
    with pytest.raises(SystemExit) as exited:
        main([command, "--from", "a@b.example", "--to", "c@d.example", f"--timeout={value}"])
    err = capsys.readouterr().err
    assert exited.value.code == EXIT_USAGE
    assert f"argument --timeout: must be a number of seconds from 0.1 to 600, not {value!r}" \
        in err, err
    assert "invalid float" not in err and "Traceback" not in err
