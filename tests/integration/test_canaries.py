"""Secret canaries: every command and every scenario runs with known secrets planted, and none
of them may reach stdout, stderr, JSON, reports, files written, screenshots or exception text.

Covering a new command is one line in COMMANDS; a new scenario is covered by being listed.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from checks import report, session
from checks.context import Context
from checks.lab import list_scenarios, load_scenario, open_lab
from checks.lab.scenario import parse_scenario
from tests.canary import (
    CANARY_AWS_SECRET,
    CANARY_PASSWORD,
    CANARY_USER,
    Canaries,
    assert_no_canary,
)

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "checks" / "lab" / "scenarios" / "seed.toml"
MAILPATH = [sys.executable, "-m", "tui"]


@dataclass(frozen=True)
class Cmd:
    """One command line. `{scenario}`, `{bounce}`, `{home}` are filled in; `before` runs
    first; `writes` names a file (in {home}) the command must have written."""

    name: str
    args: tuple[str, ...]
    stdin: str = ""
    lab: bool = False  # run with the exports of a running canary lab
    keyring: str = "file"  # file | locked | none
    before: tuple[tuple[str, ...], ...] = ()
    writes: str = ""


_SET = ("creds", "set", "canary", "--from", "admin@sender.example",
        "--relay-host", "email-smtp.us-east-1.amazonaws.com", "--relay-user", CANARY_USER,
        "--password-stdin")
_PW = CANARY_PASSWORD + "\n"
_RELAY = ("--relay-host", "email-smtp.us-east-1.amazonaws.com", "--relay-user", CANARY_USER,
          "--relay-password-stdin")

#: every command, one line each
COMMANDS = (
    Cmd("demo-headless", ("demo", "--headless", "--scenario", "{scenario}")),
    Cmd("demo-json", ("demo", "--headless", "--json", "--scenario", "{scenario}")),
    Cmd("check-text", ("check",), lab=True),
    Cmd("check-json", ("check", "--json"), lab=True),
    Cmd("check-relay-flags", ("check", "--json", "--layers", "gmail_relay", *_RELAY),
        stdin=_PW, lab=True),
    Cmd("check-unreachable", ("check", "--from", "a@sender.example", "--to", "b@recipient.example",
                              "--nameserver", "127.0.0.1:9", "--timeout", "2", *_RELAY),
        stdin=_PW),
    Cmd("check-bounce", ("check", "--json", "--bounce", "{bounce}"), lab=True),
    Cmd("bounce-text", ("bounce", "{bounce}")),
    Cmd("bounce-json", ("bounce", "--json", "{bounce}")),
    Cmd("creds-set", _SET, stdin=_PW),
    Cmd("creds-show", ("creds", "show", "canary"), before=(_SET,)),
    Cmd("creds-test", ("creds", "test", "canary"), lab=True, before=(_SET,)),
    Cmd("creds-delete", ("creds", "delete", "canary"), before=(_SET,)),
    Cmd("check-profile", ("check", "--json", "--profile-name", "canary"), lab=True,
        before=(_SET,)),
    Cmd("creds-set-locked", _SET, stdin=_PW, keyring="locked"),
    Cmd("creds-show-locked", ("creds", "show", "canary"), keyring="locked"),
    Cmd("creds-set-no-backend", _SET, stdin=_PW, keyring="none"),
    Cmd("bad-scenario", ("demo", "--headless", "--scenario", "{bad_scenario}")),
    Cmd("suppression-list", ("suppression", "list", "--details"), lab=True),
    Cmd("suppression-list-json", ("suppression", "list", "--json", "--details"), lab=True),
    Cmd("suppression-show", ("suppression", "show", "--json", "pat@recipient.example"), lab=True),
    Cmd("suppression-add", ("suppression", "add", "--reason", "BOUNCE", "new@recipient.example"),
        lab=True),
    Cmd("suppression-remove", ("suppression", "remove", "--yes", "gone@recipient.example"),
        lab=True, before=(("suppression", "add", "--reason", "BOUNCE", "gone@recipient.example"),)),
    Cmd("suppression-export", ("suppression", "export", "--details", "{home}/suppression.csv"),
        lab=True, writes="suppression.csv"),
    Cmd("suppression-export-stdout", ("suppression", "export", "--details"), lab=True),
    Cmd("suppression-stats", ("suppression", "stats", "--json"), lab=True),
)


def canary_scenario_text() -> str:
    """The seed story with the planted relay password as what Gmail stored."""
    text = SEED.read_text()
    old = 'password = { smtp_password_of = "old", region = "us-east-1" }'
    assert old in text, "seed.toml changed: update the canary scenario"
    return text.replace(old, f'password = {{ literal = "{CANARY_PASSWORD}" }}').replace(
        'name = "seed"', 'name = "canary"')


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("canary-files")
    scenario = base / "canary.toml"
    scenario.write_text(canary_scenario_text())
    bad = base / "bad.toml"
    bad.write_text(canary_scenario_text().replace('region = "us-east-1"\n', "", 1)
                   + f'\nbogus = "{CANARY_PASSWORD}"\n')
    bounce = base / "relay-bounce.eml"
    bounce.write_text(GMAIL_RELAY_BOUNCE)
    return {"scenario": scenario, "bad_scenario": bad, "bounce": bounce}


@pytest.fixture(scope="module")
def canary_lab(files: dict[str, Path]) -> Iterator[Any]:
    from checks.lab import start_lab

    with start_lab(str(files["scenario"])) as lab:
        yield lab


def _env(cmd: Cmd, home: Path, lab: Any) -> dict[str, str]:
    keep = {"PATH", "LANG", "LC_ALL", "TMPDIR", "VIRTUAL_ENV"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {"HOME": str(home), "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"), "PYTHONPATH": str(REPO),
            "MAILPATH_TEST_KEYRING": str(home / "keyring.json"),
            "AWS_ACCESS_KEY_ID": CANARY_USER, "AWS_SECRET_ACCESS_KEY": CANARY_AWS_SECRET}
    backends = {"file": "tests.canary.CanaryFileKeyring", "locked": "tests.canary.LockedKeyring",
                "none": "keyring.backends.fail.Keyring"}
    env["PYTHON_KEYRING_BACKEND"] = backends[cmd.keyring]
    if cmd.lab:
        from tui.commands.lab import lab_env, write_password_file

        env |= lab_env(lab, write_password_file(lab))
        env["AWS_SECRET_ACCESS_KEY"] = CANARY_AWS_SECRET  # moto takes any secret
    return env


def _run(args: tuple[str, ...], env: dict[str, str], stdin: str,
         fill: dict[str, Path]) -> subprocess.CompletedProcess[str]:
    argv = [a.format(**{k: str(v) for k, v in fill.items()}) for a in args]
    return subprocess.run([*MAILPATH, *argv], input=stdin, capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: c.name)
def test_no_canary_in_command_output(cmd: Cmd, files: dict[str, Path], canary_lab: Any,
                                     tmp_path: Path) -> None:
    env = _env(cmd, tmp_path, canary_lab)
    fill = {**files, "home": tmp_path}
    for step in cmd.before:
        _run(step, env, _PW, fill)
    proc = _run(cmd.args, env, cmd.stdin, fill)
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    assert proc.returncode in (0, 1, 2, 3), proc.stderr[-2000:]
    assert proc.stdout or proc.stderr, "the command said nothing"
    if cmd.writes:
        assert (tmp_path / cmd.writes).stat().st_size > 0, proc.stderr[-2000:]
    assert_no_canary(proc.stdout, proc.stderr, tmp_path, canaries=Canaries.of_lab(canary_lab),
                     allow=[tmp_path / "keyring.json"])


def test_locked_and_missing_keyring_say_what_to_do(files: dict[str, Path], canary_lab: Any,
                                                   tmp_path: Path) -> None:
    for kind, word in (("locked", "locked"), ("none", "No usable OS keyring")):
        proc = _run(_SET, _env(Cmd("x", (), keyring=kind), tmp_path, canary_lab), _PW, files)
        assert proc.returncode == 2 and word in proc.stderr, proc.stderr


def test_nothing_stored_is_lost_when_the_keyring_locks(files: dict[str, Path], canary_lab: Any,
                                                       tmp_path: Path) -> None:
    """A profile stored while the keyring was open is still there after a locked attempt."""
    env = _env(Cmd("x", ()), tmp_path, canary_lab)
    assert _run(_SET, env, _PW, files).returncode == 0
    locked = _env(Cmd("x", (), keyring="locked"), tmp_path, canary_lab)
    assert _run(("creds", "delete", "canary"), locked, "", files).returncode == 2
    show = _run(("creds", "show", "canary"), env, "", files)
    assert show.returncode == 0, show.stdout + show.stderr
    assert f"password: set, {len(CANARY_PASSWORD)} characters" in show.stdout
    assert CANARY_PASSWORD[-4:] not in show.stdout


def test_lab_command_prints_no_secret(files: dict[str, Path], canary_lab: Any,
                                      tmp_path: Path) -> None:
    env = _env(Cmd("lab", ()), tmp_path, canary_lab)
    proc = subprocess.Popen([*MAILPATH, "lab", "--scenario", str(files["scenario"])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    head = [proc.stdout.readline() for _ in range(3)]
    proc.terminate()
    out, err = proc.communicate(timeout=20)
    assert any(line.startswith("export ") for line in head), head
    assert_no_canary("".join(head) + out, err, canaries=Canaries.of_lab(canary_lab))


# --------------------------------------------------------------------------- in-process


def _every_report(diagnosis: Any) -> list[str]:
    return [report.to_text(diagnosis), report.to_markdown(diagnosis), report.to_json(diagnosis),
            repr(diagnosis)]


@pytest.mark.parametrize("name", list_scenarios())
async def test_no_lab_secret_in_any_report_of_any_scenario(name: str) -> None:
    async with open_lab(name) as lab:
        ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
        diagnosis = await session.run_diagnosis(ctx)
        canaries = Canaries.of_lab(lab)
    assert_no_canary(*_every_report(diagnosis), canaries=canaries)


async def test_no_canary_when_every_check_fails_with_an_exception(files: dict[str, Path]) -> None:
    """Endpoints that are all down: errors name causes, never the planted password."""
    from checks.endpoints import Endpoints

    async with open_lab(str(files["scenario"])) as lab:
        dead = Endpoints(aws_endpoint_url="http://127.0.0.1:9", aws_static_credentials=(
            CANARY_USER, CANARY_AWS_SECRET), nameservers=(("127.0.0.1", 9),),
            smtp_routes={"*:587": ("127.0.0.1", 9)}, timeout=2)
        ctx = Context(endpoints=dead, inputs=lab.inputs)
        diagnosis = await session.run_diagnosis(ctx)
        canaries = Canaries.of_lab(lab)
    assert_no_canary(*_every_report(diagnosis), canaries=canaries)


@dataclass(frozen=True)
class Tour:
    """One stop of the TUI tour: keys from the walkthrough, then exports as (key, file name)
    through the screen's path prompt. Covering a new screen is one line in TUI_TOUR."""

    name: str
    keys: tuple[str, ...]
    exports: tuple[tuple[str, str], ...] = ()


#: every main screen of the TUI, and every file it writes
TUI_TOUR = (
    Tour("walkthrough", ()),
    Tour("report", ("p",), exports=(("m", "report.md"), ("j", "report.json"))),
    Tour("suppression", ("u",), exports=(("x", "suppression.csv"),)),
    Tour("credentials", ("k",)),
    Tour("credentials-login-test", ("k", "e")),
    Tour("settings", ("s",)),
    Tour("help", ("question_mark",)),
    Tour("intake", ("i",)),
)


async def _visit(app: Any, pilot: Any, stop: Tour, out: Path) -> None:
    """Open the stop's screen, shoot it, write its exports, and go back to the walkthrough."""
    shots = pytest.importorskip("tui.screenshots")
    await pilot.press(*stop.keys)
    await shots.settle(pilot)
    app.save_screenshot(str(out / f"canary-{stop.name}.svg"))
    for key, name in stop.exports:
        await pilot.press(key)
        await pilot.pause()
        app.screen.query_one("#path").value = str(out / name)
        await pilot.press("enter")
        await shots.settle(pilot)
        assert (out / name).stat().st_size > 0, f"{stop.name}: {name} not written"
    for _ in range(4):
        if app.screen is app.walkthrough:
            return
        await pilot.press("escape")
        await pilot.pause()
    assert app.screen is app.walkthrough, f"{stop.name}: escape did not lead back"


async def test_tui_tour_of_the_canary_scenario_holds_no_secret(files: dict[str, Path],
                                                               tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch
                                                               ) -> None:
    """The real app on the canary lab (relay password stored in its keyring, as the demo
    does) through every main screen: screenshots, exports, settings and logs stay clean."""
    import keyring

    shots = pytest.importorskip("tui.screenshots")
    from tui.app import MailpathApp
    from tui.demo_home import private_state

    config = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("MAILPATH_CONFIG", str(config))
    before = keyring.get_keyring()
    try:
        async with open_lab(str(files["scenario"])) as lab:
            await asyncio.to_thread(private_state, lab, config)
            app = MailpathApp(Context(endpoints=lab.endpoints, inputs=lab.inputs),
                              scenario_name="canary", config=config)
            async with app.run_test(size=shots.SIZE) as pilot:
                await shots.settle(pilot)
                for stop in TUI_TOUR:
                    await _visit(app, pilot, stop, tmp_path)
                notes = [n.message for n in app._notifications]
            canaries = Canaries.of_lab(lab)
    finally:
        keyring.set_keyring(before)
    assert len(list(tmp_path.glob("canary-*.svg"))) == len(TUI_TOUR)
    assert_no_canary(tmp_path, notes, canaries=canaries)


@pytest.mark.parametrize("name", ["seed", "healthy"])
async def test_committed_screenshots_hold_no_lab_secret(name: str) -> None:
    async with open_lab(name) as lab:
        canaries = Canaries.of_lab(lab)
    assert_no_canary(REPO / "screenshots", REPO / "tests" / "tui" / "__snapshots__",
                     canaries=canaries)


def test_scenario_parse_errors_do_not_echo_a_literal_password() -> None:
    text = canary_scenario_text().replace("[relay]", f'[relay]\nnot_a_field = "{CANARY_PASSWORD}"')
    with pytest.raises(ValueError) as info:
        parse_scenario(text, source="canary.toml")
    assert_no_canary(info.value)


def test_canary_scenario_is_the_seed_story() -> None:
    data = tomllib.loads(canary_scenario_text())
    assert data["relay"]["password"] == {"literal": CANARY_PASSWORD}
    assert load_scenario("seed").relay is not None


GMAIL_RELAY_BOUNCE = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: admin@sender.example
Subject: Delivery Status Notification (Failure)
Date: Mon, 14 Sep 2026 12:00:00 +0000
Message-ID: <canary-bounce@mail.gmail.com>
Content-Type: text/plain; charset=UTF-8

** Message not delivered **

There was a problem delivering your message to pat@recipient.example. See the technical
details below.

The response from the remote server was:
SMTP relay settings are misconfigured or out of date. Update the relay settings for
admin@sender.example (email-smtp.us-east-1.amazonaws.com:587, TLS) in Gmail settings.
535 Authentication Credentials Invalid
"""
