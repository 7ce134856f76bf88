"""Family layouts (checks/bounce/tables/layouts.json) and the single-pass vocabulary.

Layouts are data; these tests hold the data to its contract: every reason a layout names is
one the engine knows, every pattern compiles, and a family's signs do not claim bounces
that the corpus labels as another family's (a generality check: signs must describe the
family, not one sample). Vocabulary matching must give the same answer as plain
substring tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.bounce import detect, layout, mail, mta, tables, vocab

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bounces"
LABELS = CORPUS / "labels.jsonl"
KNOWN = set(tables.load("status_codes.json")["pseudo"]) | {"onhold", "undefined"}
#: layout name -> corpus labels (Sisimai lhost) the layout may be applied to
MAY_READ = {"V5sendmail": {"V5sendmail", "RFC3464", "X5"}, "ApacheJames": {"ApacheJames"},
            "EZweb": {"EZweb"}, "KDDI": {"KDDI"}, "X2": {"X2"}, "X1": {"X1"},
            "mFILTER": {"mFILTER"}, "Biglobe": {"Biglobe"}, "McAfee": {"McAfee"}}


def test_every_layout_reason_is_a_known_reason() -> None:
    for lay in layout.LAYOUTS.values():
        named = {r for r, _ in lay.messages} | set(lay.commands.values())
        named |= {r for _, r in lay.codes} | {r for _, _, r in lay.marks}
        assert named <= KNOWN, (lay.name, named - KNOWN)


def test_command_words_name_smtp_commands() -> None:
    commands = {"CONN", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA"}
    for lay in layout.LAYOUTS.values():
        assert {c for _, c in lay.words} <= commands, lay.name


def test_section_of_empty_and_marker_only_text() -> None:
    for lay in layout.LAYOUTS.values():
        assert lay.section("") == ""
        for marker in lay.start:
            assert lay.section(marker).startswith(marker)


def _corpus() -> list[tuple[str, bytes]]:
    if not LABELS.exists():
        return []
    rows = [json.loads(x) for x in LABELS.read_text("utf-8").splitlines() if x.strip()]
    return [(str(r["lhost"]), (CORPUS / str(r["file"])).read_bytes()) for r in rows]


@pytest.mark.skipif(not LABELS.exists(), reason="bounce corpus not present")
def test_family_signs_do_not_claim_other_families() -> None:
    wrong = []
    for lhost, raw in _corpus():
        if detect.kind_of(raw) != "email":
            continue
        parts = mail.read(raw)
        picked = layout.pick(parts, mta.reporter(parts))
        if picked is not None and picked.name in MAY_READ and lhost not in MAY_READ[picked.name]:
            wrong.append((picked.name, lhost))
    assert not wrong


WORDS = ["user unknown", "unknown", "user", "mailbox full", "full", "no such user here"]


@given(st.text(alphabet="usernkowmailbfx h", max_size=60))
def test_vocabulary_hits_agree_with_substring_tests(text: str) -> None:
    hits = vocab.Vocabulary(WORDS).hits(text)
    assert set(hits) == {w for w in WORDS if w in text}
    for word, starts in hits.items():
        assert starts == [i for i in range(len(text)) if text.startswith(word, i)]


@given(st.text(alphabet="abc xyz", max_size=40))
def test_ordered_groups_agree_with_a_plain_search(text: str) -> None:
    entry = vocab.Entry([], [["ab", "xy"]])
    hits = vocab.Vocabulary(["ab", "xy"]).hits(text)
    first = text.find("ab")
    expected = first >= 0 and text.find("xy", first + 2) >= 0
    assert entry.found_in(hits) == expected
