"""Diagnosis: root causes vs consequences, exit codes, JSON shape; and the tree walker."""

from __future__ import annotations

from checks.diagnosis import diagnose
from checks.model import CheckResult, Fix, Layer, Outcome, Status
from checks.tree import SEND_PATH, walk


def _r(cid: str, layer: Layer, status: Status, explains: tuple[str, ...] = ()) -> CheckResult:
    fix = Fix("rotate", ("step",), "rotate_credentials") if status is Status.FAIL else None
    outcome = Outcome(status, f"{cid} {status}", fix=fix, explains=explains)
    return CheckResult(cid, layer, cid, outcome)


SEED_LIKE = [
    _r("gmail_relay.smtp.auth", Layer.GMAIL_RELAY, Status.FAIL),
    _r("gmail_relay.ses.key_state", Layer.GMAIL_RELAY, Status.FAIL, ("gmail_relay.smtp.auth",)),
    _r("ses.suppression.recipient", Layer.SES, Status.FAIL),
    _r("dns.spf.record", Layer.DNS, Status.PASS),
    _r("recipient.mx.provider", Layer.RECIPIENT_MTA, Status.PASS),
]


def test_every_unexplained_failure_is_a_root_cause():
    d = diagnose(SEED_LIKE)
    assert [r.check_id for r in d.root_causes] == [
        "gmail_relay.ses.key_state",
        "ses.suppression.recipient",
    ]
    assert [r.check_id for r in d.consequences] == ["gmail_relay.smtp.auth"]
    assert d.healthy_layers == [Layer.DNS, Layer.RECIPIENT_MTA]
    assert d.exit_code == 1


def test_exit_codes():
    assert diagnose([_r("a", Layer.DNS, Status.PASS)]).exit_code == 0
    assert diagnose([_r("a", Layer.DNS, Status.ERROR)]).exit_code == 3
    mixed = [_r("a", Layer.DNS, Status.ERROR), _r("b", Layer.SES, Status.FAIL)]
    assert diagnose(mixed).exit_code == 1
    assert diagnose([_r("a", Layer.DNS, Status.WARN)]).exit_code == 0


def test_json_has_the_public_shape():
    j = diagnose(SEED_LIKE).to_json()
    cause = j["diagnosis"]["root_causes"][0]
    assert set(cause) >= {"layer", "check", "status", "summary", "fix"}
    assert cause["layer"] == "gmail_relay" and cause["fix"]["action"] == "rotate_credentials"
    assert isinstance(j["diagnosis"]["consequences"], list)
    row = j["results"][0]
    assert set(row) >= {"id", "layer", "status", "summary", "explanation", "evidence", "fix",
                        "duration_ms"}


def test_walk_asks_how_it_was_sent_first():
    w = walk("start", {})
    assert w.question is SEND_PATH and w.layers == ()


def test_walk_visits_every_layer_for_gmail_and_skips_relay_for_the_api():
    assert walk("start", {"path": "gmail_send_as"}).layers == tuple(Layer)
    assert walk("start", {"path": "ses_api"}).layers == (Layer.SES, Layer.DNS, Layer.RECIPIENT_MTA)


def test_a_bounce_moves_its_layer_to_the_front_and_keeps_the_others():
    w = walk("start", {"path": "gmail_send_as"}, start_layer=Layer.RECIPIENT_MTA)
    assert w.layers[0] is Layer.RECIPIENT_MTA and set(w.layers) == set(Layer)


def test_terminal_output_shows_control_characters_instead_of_sending_them():
    """Bounces, SMTP replies and DNS records are written by others (tester's F10)."""
    from checks.report import terminal_safe, to_text

    hostile = "550 User unknown \x1b]0;PWNED\x07\x1b[2J\x1b[31mRED\x1b[0m \u202eevil\x00"
    shown = terminal_safe(hostile)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert "\\x1b[31mRED" in shown and "\\u202e" in shown and terminal_safe("\n") == "\n"
    outcome = Outcome(Status.FAIL, hostile)
    text = to_text(diagnose([CheckResult("recipient.mx.provider", Layer.RECIPIENT_MTA, "t",
                                         outcome)]))
    assert "\x1b" not in text


def test_headline_counts_checks_that_could_not_run_beside_the_faults():
    d = diagnose([_r("a", Layer.DNS, Status.ERROR), _r("b", Layer.SES, Status.FAIL)])
    assert d.headline() == "1 root cause: Amazon SES; 1 of 2 checks could not run"


def test_sandbox_recipient_phrase_is_grammatical():
    from checks.layers.ses import _recipients_phrase

    assert _recipients_phrase(["a@x.example"]) == "recipient a@x.example is"
    assert _recipients_phrase(["a@x.example", "b@x.example"]) == (
        "recipients a@x.example and b@x.example are")
    assert _recipients_phrase(["a@x", "b@x", "c@x"]) == "recipients a@x, b@x and c@x are"


def test_scope_keeps_other_layers_as_context_only():
    d = diagnose(SEED_LIKE, scope=[Layer.SES])
    assert [r.check_id for r in d.root_causes] == ["ses.suppression.recipient"]
    assert d.consequences == () and d.context_causes == ()
    payload = d.to_json()
    context = {r["id"] for r in payload["results"] if r.get("context")}
    assert context == {"gmail_relay.smtp.auth", "gmail_relay.ses.key_state", "dns.spf.record",
                       "recipient.mx.provider"}
    assert payload["diagnosis"]["layers"] == ["ses"]
    assert d.layer_note(Layer.GMAIL_RELAY) and not d.layer_note(Layer.SES)


def test_context_failures_never_decide_the_exit_code():
    only_context = [_r("ses.suppression.recipient", Layer.SES, Status.FAIL),
                    _r("dns.spf.record", Layer.DNS, Status.PASS),
                    _r("ses.account.sending", Layer.SES, Status.ERROR)]
    d = diagnose(only_context, scope=[Layer.DNS])
    assert d.root_causes == () and d.could_not_check == () and d.exit_code == 0
    assert d.headline() == "No faults found"


def test_an_in_scope_consequence_names_its_cause_outside_the_scope():
    results = [_r("ses.identity.domain", Layer.SES, Status.FAIL),
               _r("gmail_relay.ses.region", Layer.GMAIL_RELAY, Status.FAIL,
                  ("ses.identity.domain",))]
    d = diagnose(results, scope=[Layer.SES])
    assert d.root_causes == ()
    assert [r.check_id for r in d.consequences] == ["ses.identity.domain"]
    assert [r.check_id for r in d.context_causes] == ["gmail_relay.ses.region"]
    assert d.exit_code == 1 and "Gmail relay" in d.headline()
