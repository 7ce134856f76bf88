"""The bounce bench's output is what the benchmark harness (tests/bench/run.py) reads."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bounces"
LABELS = CORPUS / "labels.jsonl"
pytestmark = pytest.mark.skipif(not LABELS.exists(), reason="bounce corpus not present")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _load("bench_bounce")


def test_text_output_ends_with_the_throughput_line(bench: ModuleType,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--no-sisimai", "--rounds", "1"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"throughput: mailpath \d+ msg/s, sisimai - msg/s, ratio -", lines[-1])
    figure = re.compile(r"^\s*([A-Za-z][^:=]{2,60}?)\s*[:=]\s*(?:\d+/\d+\s*=\s*)?"
                        r"([0-9]+(?:\.[0-9]+)?)\s*(%|x|×|ms|s|files/s|MB)?\s*$")
    names = {m.group(1) for line in lines if (m := figure.match(line))}
    assert {"reason agreement", "status agreement", "mailpath throughput"} <= names


def test_json_output_is_one_object(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--no-sisimai", "--rounds", "1", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == 350 and doc["reason_ok"] / doc["files"] >= 0.95
    assert doc["throughput"]["passes"] == 1 and doc["throughput"]["mailpath_msg_s"] > 0


def test_bad_round_count_is_one_clear_error(bench: ModuleType,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        bench.main(["--rounds", "0"])
    assert "must be at least 1" in capsys.readouterr().err
