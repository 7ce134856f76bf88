"""The suppression explorer against the lab's SES stand-in (moto behind the lab middleware):
paging, look-up, remove, add (sandbox refusal), AccessDenied naming the permission, and the
CLI in a subprocess (streamed output, --yes, exit codes)."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from checks.context import Context
from checks.lab.faults import FaultServer
from checks.net.aws import AwsError
from checks.suppression import (
    RemovalStatus,
    SuppressionRefused,
    add,
    export_csv,
    list_all,
    lookup,
    pages,
    remove,
)

PAT = "pat@recipient.example"


def _ctx(lab: Any) -> Context:
    return Context(endpoints=lab.endpoints)


def test_pages_stream_every_entry(lab_factory: Any) -> None:
    lab = lab_factory("seed")
    lab.seed_suppressed(2500)

    async def go() -> list[int]:
        return [len(page) async for page in pages(_ctx(lab), "us-east-1", page_size=1000)]

    assert asyncio.run(go()) == [1000, 1000, 501]
    complaints = asyncio.run(list_all(_ctx(lab), "us-east-1", reasons=["complaint"]))
    assert len(complaints) == 1 + len(range(0, 2500, 7))
    assert asyncio.run(list_all(_ctx(lab), "eu-west-1")) == []  # the list is per region


def test_lookup_says_why(seed_lab: Any) -> None:
    entry = asyncio.run(lookup(_ctx(seed_lab), "Pat@Recipient.example", "us-east-1"))
    assert entry is not None and entry.reason == "COMPLAINT"
    assert entry.message_id and entry.feedback_id
    assert asyncio.run(lookup(_ctx(seed_lab), "lee@recipient.example", "us-east-1")) is None


def test_remove_reports_each_address(fresh_seed_lab: Any) -> None:
    result = asyncio.run(remove(_ctx(fresh_seed_lab), [PAT, "nobody@example.com", "bad"],
                                "us-east-1"))
    assert [r.status for r in result.items] == [RemovalStatus.REMOVED, RemovalStatus.NOT_FOUND,
                                                RemovalStatus.ERROR]
    assert not result.ok
    assert asyncio.run(lookup(_ctx(fresh_seed_lab), PAT, "us-east-1")) is None


def test_add_then_sandbox_refusal(fresh_seed_lab: Any) -> None:
    ctx = _ctx(fresh_seed_lab)
    entry = asyncio.run(add(ctx, "new@example.com", "bounce", "us-east-1"))
    assert entry.reason == "BOUNCE"
    with pytest.raises(SuppressionRefused, match="sandbox"):
        asyncio.run(add(_ctx(fresh_seed_lab), "new@example.com", "BOUNCE", "eu-west-1"))


def test_access_denied_names_the_permission(seed_lab: Any) -> None:
    async def go() -> tuple[str, Any]:
        async with FaultServer.aws("access_denied") as srv:
            ctx = Context(endpoints=replace(seed_lab.endpoints, aws_endpoint_url=srv.url))
            with pytest.raises(AwsError) as listing:
                await list_all(ctx, "us-east-1")
            removal = await remove(ctx, [PAT], "us-east-1")
            return listing.value.explanation, removal

    explanation, removal = asyncio.run(go())
    assert "ses:ListSuppressedDestinations" in explanation
    assert removal.items[0].status is RemovalStatus.ERROR
    assert "ses:DeleteSuppressedDestination" in removal.items[0].message


def test_export_csv_of_a_page(seed_lab: Any) -> None:
    out = io.StringIO()
    assert export_csv(asyncio.run(list_all(_ctx(seed_lab), "us-east-1")), out) == 1
    assert PAT in out.getvalue()


# --------------------------------------------------------------------------- CLI


def _cli(lab: Any, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep} | lab.endpoints.to_env()
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", main, "suppression", *args],
                          capture_output=True, text=True, env=env, timeout=60,
                          input=stdin if stdin is not None else "",
                          cwd=Path(__file__).resolve().parents[2])


def test_cli_list_show_remove(fresh_seed_lab: Any) -> None:
    lab = fresh_seed_lab
    lab.seed_suppressed(1200)
    listed = _cli(lab, "list", "--json", "--reason", "COMPLAINT", "--domain",
                  "recipient.example")
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["email"] for line in listed.stdout.splitlines()] == [PAT]
    assert _cli(lab, "list").stdout.count("\n") == 1201
    shown = _cli(lab, "show", PAT)
    assert shown.returncode == 1 and "COMPLAINT" in shown.stdout
    assert "Gmail sends SES no complaint" in shown.stderr
    refused = _cli(lab, "remove", PAT)  # no terminal, no --yes
    assert refused.returncode == 2 and "--yes" in refused.stderr
    removed = _cli(lab, "remove", PAT, "--yes")
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert _cli(lab, "show", PAT).returncode == 0
    assert _cli(lab, "list", "--since", "yesterday").returncode == 2
    stats = json.loads(_cli(lab, "stats", "--json").stdout)
    assert stats["total"] == 1200 and sum(stats["by_day"].values()) == 1200
