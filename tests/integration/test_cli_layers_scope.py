"""`--layers`: the diagnosis covers only the layers asked for; checks of other layers that
ran for their facts are marked context and never decide root causes or the exit code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from checks.context import Context
from checks.model import Layer
from checks.registry import load_all_checks
from checks.session import plan, run_diagnosis


def _diagnose(lab: Any, *layers: Layer) -> Any:
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    return asyncio.run(run_diagnosis(ctx, layers, scope=layers))


@pytest.mark.parametrize(("layer", "roots", "code"), [
    (Layer.GMAIL_RELAY, {"gmail_relay.ses.key_state"}, 1),
    (Layer.SES, {"ses.suppression.recipient"}, 1),
    (Layer.DNS, set(), 0),
    (Layer.RECIPIENT_MTA, set(), 0),
])
def test_seed_per_layer(seed_lab: Any, layer: Layer, roots: set[str], code: int) -> None:
    d = _diagnose(seed_lab, layer)
    assert {r.check_id for r in d.root_causes} == roots, d.headline()
    for group in (d.root_causes, d.consequences, d.warnings, d.could_not_check):
        assert all(r.layer is layer for r in group)
    assert d.exit_code == code
    context = [r for r in d.to_json()["results"] if r.get("context")]
    assert all(r["layer"] != layer.value for r in context)


def test_ses_alone_still_runs_what_names_the_535(seed_lab: Any) -> None:
    d = _diagnose(seed_lab, Layer.SES)
    by_id = {r.check_id: r for r in d.results}
    assert by_id["gmail_relay.ses.key_state"].outcome.explains == ("gmail_relay.smtp.auth",)
    assert "gmail_relay.smtp.auth" not in {r.check_id for r in d.root_causes}


def test_an_explainer_of_another_layer_is_planned() -> None:
    registry = load_all_checks()
    ids = [c.id for c in plan([Layer.SES])]
    assert "gmail_relay.ses.region" in ids and "gmail_relay.ses.key_state" in ids
    for i, cid in enumerate(ids):  # dependency-safe order
        assert all(ids.index(n) < i for n in registry.get(cid).needs), cid


def test_identity_in_another_region_names_the_relay_cause(lab_factory: Any) -> None:
    d = _diagnose(lab_factory("ses-identity-other-region"), Layer.SES)
    assert d.exit_code == 1 and d.root_causes == ()
    assert [r.check_id for r in d.consequences] == ["ses.identity.domain"]
    assert [r.check_id for r in d.context_causes] == ["gmail_relay.ses.region"]
    assert d.headline().endswith("the faults come from Gmail relay")


def test_the_text_report_shows_a_context_cause_with_its_fix(lab_factory: Any) -> None:
    from checks.report import to_text

    text = to_text(_diagnose(lab_factory("ses-identity-other-region"), Layer.SES))
    assert "1. [Gmail relay]" in text and "(gmail_relay.ses.region)" in text
    assert "Fix:" in text and "Gmail relay (context: not requested)" in text
