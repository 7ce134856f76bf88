"""A layer whose checks were all skipped: not checked, never healthy; exit codes."""

from __future__ import annotations

from checks.diagnosis import diagnose
from checks.model import CheckResult, Layer, Outcome, Status
from checks.report import to_markdown, to_text


def _r(cid: str, layer: Layer, status: Status, summary: str = "") -> CheckResult:
    return CheckResult(cid, layer, cid, Outcome(status, summary or f"{cid} {status}"))


RELAY_SKIPPED = [
    _r("gmail_relay.smtp.connect", Layer.GMAIL_RELAY, Status.SKIP, "No relay settings given"),
    *(_r(f"gmail_relay.{cid}", Layer.GMAIL_RELAY, Status.SKIP, "Skipped: needs 'reached'")
      for cid in ("smtp.tls", "smtp.auth", "ses.key_state", "ses.password_shape",
                  "ses.region")),
]
DNS_OK = [_r("dns.spf.record", Layer.DNS, Status.PASS), _r("dns.dkim.selectors", Layer.DNS,
                                                           Status.SKIP)]


def test_an_all_skipped_layer_is_not_healthy_and_is_listed_as_not_checked():
    d = diagnose([*RELAY_SKIPPED, *DNS_OK])
    assert d.healthy_layers == [Layer.DNS]  # a skip next to a pass leaves DNS healthy
    assert d.unchecked_layers == [Layer.GMAIL_RELAY]
    assert d.unchecked_reason(Layer.GMAIL_RELAY) is RELAY_SKIPPED[0]
    j = d.to_json()["diagnosis"]
    assert j["unchecked_layers"] == ["gmail_relay"] and j["healthy_layers"] == ["dns"]
    assert j["not_checked"][0]["reason"] == "No relay settings given"
    assert d.headline() == "No faults found; not checked: Gmail relay"
    assert d.exit_code == 0  # not asked for with --layers: a note, not exit 3
    assert "Gmail relay: not checked — no relay settings given (use --relay-host" in to_text(d)
    assert "## Not checked" in to_markdown(d)


def test_asked_for_and_not_checked_is_exit_3():
    only = diagnose(RELAY_SKIPPED, scope=[Layer.GMAIL_RELAY])
    assert only.exit_code == 3 and only.healthy_layers == []
    assert only.headline() == "Nothing checked (Gmail relay: no relay settings given)"
    both = diagnose([*RELAY_SKIPPED, *DNS_OK], scope=[Layer.GMAIL_RELAY, Layer.DNS])
    assert both.exit_code == 3 and both.healthy_layers == [Layer.DNS]


def test_faults_win_over_unchecked_and_could_not_check():
    rows = [*RELAY_SKIPPED, _r("dns.spf.record", Layer.DNS, Status.FAIL),
            _r("dns.dmarc.record", Layer.DNS, Status.ERROR)]
    assert diagnose(rows, scope=[Layer.GMAIL_RELAY, Layer.DNS]).exit_code == 1


def test_a_relay_path_without_relay_settings_warns():
    for path in ("gmail_send_as", "ses_smtp"):
        d = diagnose([*RELAY_SKIPPED, *DNS_OK], path=path)
        assert d.warnings == (RELAY_SKIPPED[0],) and d.relay_not_checked()
        assert d.to_json()["diagnosis"]["not_checked"][0]["warning"] is True
        assert "Warning: Gmail relay: not checked" in to_text(d) and path in to_text(d)
    api = diagnose([*RELAY_SKIPPED, *DNS_OK], path="ses_api")
    assert api.warnings == () and not api.relay_not_checked()


def test_a_layer_run_only_for_an_explainer_is_not_reported_unchecked():
    d = diagnose([RELAY_SKIPPED[0], *DNS_OK], planned=[Layer.DNS])
    assert d.unchecked_layers == [] and d.healthy_layers == [Layer.DNS]


def test_without_a_plan_a_layer_counts_only_once_all_its_checks_are_in():
    """The TUI diagnoses results as they come, and an explainer (gmail_relay.ses.region)
    runs on the ses_api path too: neither is a layer left unchecked."""
    partial = diagnose([RELAY_SKIPPED[0], RELAY_SKIPPED[-1], *DNS_OK])
    assert partial.unchecked_layers == [] and partial.healthy_layers == [Layer.DNS]
    assert "not checked" not in partial.headline()
