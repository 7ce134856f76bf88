"""Required words of a sign pattern: a match is never ruled out by the `in` pre-test."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.bounce import layout, scan
from checks.bounce.mta import FAMILIES
from checks.bounce.needles import is_literal, needles

CASES = [
    ("settings for the .send mail as. address|are misconfigured",
     ("settings for the ", "are misconfigured")),
    ("amazonses\\.com|mailer-daemon@.*amazonaws", ("amazonses.com", "mailer-daemon@")),
    ("(?:hotmail|outlook)\\.(?:com|jp)", None),
    ("^Returned mail: (?!see transcript)(?-i:[A-Z])", ("Returned mail: ",)),
    ("abcs?def", ("abc",)),
    ("x{2,3}yyy", ("yyy",)),
    ("ab\\d+xyz", ("xyz",)),
    (".", None),
]


@pytest.mark.parametrize(("pattern", "words"), CASES)
def test_required_words(pattern: str, words: tuple[str, ...] | None) -> None:
    assert needles(pattern) == words


def test_literal_patterns_are_told_apart() -> None:
    assert is_literal("microsoftexchange|onmicrosoft\\.com")
    assert not is_literal("mailer-daemon@.*amazonaws")


SIGN_PATTERNS = sorted({rx.pattern for _, rules in FAMILIES for _, rx in rules}
                       | {rx.pattern for lay in layout.LAYOUTS.values() for _, rx in lay.signs})


@pytest.mark.parametrize("pattern", SIGN_PATTERNS)
def test_every_table_sign_match_holds_its_words(pattern: str) -> None:
    """Text built from each alternative's own words still matches only when a word is in it."""
    words = needles(pattern)
    if words is None:
        return
    rx = re.compile(pattern, re.I | re.M)
    for probe in (pattern, pattern.replace("\\", ""), " ".join(words)):
        if rx.search(probe):
            assert any(w.lower() in probe.lower() for w in words)


@given(st.sampled_from([p for p in SIGN_PATTERNS if needles(p)]),
       st.text(alphabet="abcdefghijklmnopqrstuvwxyz .-@:>\"'", max_size=60))
def test_a_match_always_contains_a_required_word(pattern: str, filler: str) -> None:
    rx = re.compile(pattern, re.I | re.M)
    words = needles(pattern) or ()
    for text in (filler, filler + " ".join(words), " ".join(words) + filler):
        if rx.search(text):
            assert any(w.lower() in text.lower() for w in words)


def test_address_scan_takes_whole_local_parts() -> None:
    assert scan.addresses("<a.b+c@example.org>, x@y") == ["a.b+c@example.org"]
    assert scan.addresses("--_@b.a+@1._") == ["--_@b.a"]
    assert scan.addresses("x" * 70 + "@example.org") == []
    assert scan.addresses("mail to " + "u@example.org " * 300) == ["u@example.org"]
