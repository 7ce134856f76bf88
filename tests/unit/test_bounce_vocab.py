"""The phrase scan (checks.bounce.vocab) against its definition: every phrase of the
vocabulary, as a substring anywhere in the text, with every position where it starts
(overlapping ones included), as `str.find` from each position would give them."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.bounce import reason, tables
from checks.bounce.vocab import Entry, Vocabulary, aligned

#: a small alphabet, so phrases overlap, nest and share beginnings and ends
_CHARS = "ab xyz.-5@"
_phrase = st.text(alphabet=_CHARS, min_size=1, max_size=6)
_text = st.text(alphabet=_CHARS + "é\n", max_size=80)


def _naive(phrases: list[str], text: str) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for phrase in set(phrases):
        at = text.find(phrase)
        while at >= 0:
            found.setdefault(phrase, []).append(at)
            at = text.find(phrase, at + 1)
    return found


@settings(max_examples=400, deadline=None)
@given(st.lists(_phrase, min_size=1, max_size=25), _text)
def test_hits_are_every_start_of_every_phrase(phrases: list[str], text: str) -> None:
    assert Vocabulary(phrases).hits(text) == _naive(phrases, text)


def _table_phrases() -> list[str]:
    """Every phrase of the reason and MTA-family tables (what reason._WORDS is made of)."""
    table = tables.load("reasons.json")["reasons"]
    words = [p for e in table.values()
             for p in [*e["index"], *e["isnot"], *(x for g in e["pairs"] for x in g)]]
    for _reason, index, pairs in tables.load("lhost.json")["phrases"]:
        words += [*index, *(x for g in pairs for x in g)]
    return words


_TABLE_PHRASES = _table_phrases()
_TABLE_VOCABULARY = Vocabulary(_TABLE_PHRASES)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_TABLE_PHRASES),
                          st.text(alphabet="abcdefghijklmnopqrstuvwxyz .:;-<>@0123456789",
                                  max_size=8)),
                max_size=12).map("".join))
def test_the_table_vocabulary_on_bounce_like_text(text: str) -> None:
    """The real tables: phrases glued together, cut and mixed with other text."""
    assert _TABLE_VOCABULARY.hits(text) == _naive(_TABLE_PHRASES, text)


def test_the_reason_module_scans_the_table_vocabulary() -> None:
    text = "550 5.1.1 <a@b.example>: recipient address rejected: user unknown in local table"
    assert reason.hits(text) == _naive(_TABLE_PHRASES, text) != {}


def test_ordered_groups_need_their_order() -> None:
    vocab = Vocabulary(["mailbox", "full", "is"])
    hits = vocab.hits("the mailbox is full")
    assert aligned(hits, ("mailbox", "full"))
    assert not aligned(hits, ("full", "mailbox"))
    assert Entry([], [("mailbox", "is", "full")]).found_in(hits)
    assert not Entry(["over quota"], [("full", "is")]).found_in(hits)


def test_empty_vocabulary_finds_nothing() -> None:
    assert Vocabulary([]).hits("anything at all") == {}
    assert Vocabulary([""]).hits("anything") == {}
