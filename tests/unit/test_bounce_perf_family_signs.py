"""The family body signs left out as outvoted (a literal word holding another literal word
of the same family) never change which family a body names."""

from __future__ import annotations

from checks.bounce import mta


def test_pruned_body_signs_name_the_same_family() -> None:
    full = mta._BY_KEY["body"]
    assert len(mta._BODY) <= len(full)
    words = [w for _r, w, _rx in full]
    texts = ["", "nothing here", *("x " + w + " y" for w in words), " ".join(words),
             *(" ".join(words[i:]) for i in range(len(words)))]
    for text in texts:
        for best in range(len(mta.FAMILIES) + 1):
            assert mta._first_shown(mta._BODY, text, best) == mta._first_shown(full, text, best)
