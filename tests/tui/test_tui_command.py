"""`mailpath tui`: the TUI on a real setup, built from the same inputs as `mailpath check`.

Recorded, not run: the app itself needs a terminal (the other TUI tests drive it)."""

from __future__ import annotations

import pytest

from tui.cli import build_parser


@pytest.fixture
def opened(monkeypatch):
    """What `mailpath tui` would open: the context and the first screen."""
    seen: dict[str, object] = {}

    def fake_run_tui(ctx, *, start="walkthrough", **kw):
        seen.update(ctx=ctx, start=start)
        return 0

    monkeypatch.setattr("tui.app.run_tui", fake_run_tui)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    for name in ("MAILPATH_FROM", "MAILPATH_TO", "MAILPATH_RELAY_HOST", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    return seen


def _run(argv: list[str]) -> int:
    args = build_parser("tui").parse_args(["tui", *argv])
    return args.func(args)


def test_without_addresses_the_intake_opens(opened) -> None:
    assert _run(["--region", "eu-west-1", "--nameserver", "192.0.2.53"]) == 0
    assert opened["start"] == "intake"
    ctx = opened["ctx"]
    assert ctx.endpoints.aws_region == "eu-west-1"  # type: ignore[attr-defined]
    assert ctx.endpoints.nameservers == (("192.0.2.53", 53),)  # type: ignore[attr-defined]


def test_with_addresses_the_walkthrough_starts_and_asks_the_path(opened) -> None:
    assert _run(["--from", "admin@sender.example", "--to", "pat@recipient.example"]) == 0
    assert opened["start"] == "walkthrough"
    inputs = opened["ctx"].inputs  # type: ignore[attr-defined]
    assert inputs.sender == "admin@sender.example" and inputs.path is None
    assert _run(["--from", "admin@sender.example", "--to", "pat@recipient.example",
                 "--path", "ses_api"]) == 0
    assert opened["ctx"].inputs.path == "ses_api"  # type: ignore[attr-defined]
