"""Small pure pieces of the TUI: status words, the bar's line, record text, settings checks."""

from __future__ import annotations

from checks.model import Fix, Layer, Status
from tui.screens.settings import Settings, problem
from tui.widgets.check_detail import record_text
from tui.widgets.highlight import highlight_evidence
from tui.widgets.layer_tree import layer_text
from tui.widgets.status_bar import HINT, fit


def test_layer_shows_its_worst_status_with_glyph_and_word() -> None:
    text = layer_text(Layer.DNS, [Status.PASS, Status.WARN, Status.SKIP], 3).plain
    assert text.startswith("! warn    1/3 DNS")
    assert layer_text(Layer.DNS, [Status.PASS, Status.SKIP], 2).plain.startswith("✓ pass    DNS")
    assert layer_text(Layer.DNS, [Status.PASS], 2).plain.startswith("… running DNS")


def test_record_text_for_each_shape_of_copy_record() -> None:
    txt = Fix("x", action="copy_record",
              action_args={"name": "sender.example", "type": "TXT", "value": "v=spf1 -all"})
    assert record_text(txt) == 'sender.example. TXT "v=spf1 -all"'
    mx = Fix("x", action="copy_record",
             action_args={"name": "mail.sender.example.", "type": "MX", "value": "10 f.example."})
    assert record_text(mx) == "mail.sender.example. MX 10 f.example."
    assert record_text(Fix("x", action="copy_record", action_args={"records": "a\nb"})) == "a\nb"
    assert record_text(Fix("Publish it", action="copy_record")) == "Publish it"


def test_settings_problems_are_plain_words() -> None:
    assert problem(Settings(relay_port="70000")).startswith("Relay port “70000” must be")
    assert problem(Settings(nameserver="127.0.0.1:x")).startswith("Nameserver: bad port")
    assert problem(Settings(sender="nobody")) == "“nobody” is not an email address (sender)."
    assert problem(Settings(sender="a@sender.example", nameserver="127.0.0.1:53")) is None


def test_evidence_highlights_smtp_replies_and_redactions() -> None:
    text = highlight_evidence("250 ok\nC: AUTH PLAIN [REDACTED]\n535 5.7.8 Invalid")
    styles = {text.plain[s.start:s.end]: str(s.style) for s in text.spans}
    assert styles["535"] == "bold red" and styles["250"] == "bold green"
    assert styles["[REDACTED]"] == "reverse" and styles["5.7.8"] == "bold yellow"


def test_the_bar_takes_the_longest_wording_that_fits_and_never_cuts_the_hint() -> None:
    wordings = [f"2 root causes: Gmail relay, Amazon SES · 27 checks · {HINT}",
                f"2 root causes: Gmail relay, Amazon SES · {HINT}",
                f"2 root causes: Gmail relay, Amazon SES\n{HINT}"]
    assert fit(wordings, 78) == wordings[0]  # 76 columns: whole at 80
    assert fit(wordings, 70) == wordings[1]
    assert fit(wordings, 58) == wordings[2]
    assert fit(wordings, 20) == wordings[2]  # nothing fits: the last wraps, hint on its own
    assert fit(["Nothing checked yet."], 5) == "Nothing checked yet."
