"""The diagnosis as Markdown and JSON, in the same words the TUI shows."""

from __future__ import annotations

import json
import re

from checks.diagnosis import Diagnosis
from checks.model import CheckResult, Layer


def to_json(diagnosis: Diagnosis) -> str:
    return json.dumps(diagnosis.to_json(), indent=2, ensure_ascii=False)


def to_markdown(diagnosis: Diagnosis, *, title: str = "mailpath diagnosis") -> str:
    lines = [f"# {title}", "", f"**{diagnosis.headline()}**", ""]
    if diagnosis.intake is not None:
        ev = diagnosis.intake.evidence()
        lines += ["## Started from", "", f"**{ev.label}**", "", "```", ev.content.rstrip(),
                  "```", ""]
    lines += _section("Root causes", diagnosis.root_causes, with_fix=True)
    lines += _section("Consequences (explained by a root cause)", diagnosis.consequences)
    lines += _section("Warnings", diagnosis.warnings, with_fix=True)
    lines += _section("Could not check", diagnosis.could_not_check)
    if diagnosis.unchecked_layers:
        lines += ["## Not checked", ""]
        lines += [f"- {line}" for line in not_checked_lines(diagnosis)] + [""]
    if diagnosis.healthy_layers:
        lines += ["## Healthy layers", ""]
        lines += [f"- ✓ {layer.display_name}" for layer in diagnosis.healthy_layers] + [""]
    lines += ["## All checks", ""]
    for layer in Layer:
        rows = [r for r in diagnosis.results if r.layer is layer]
        if rows:
            lines += [f"### {layer.display_name}{diagnosis.layer_note(layer)}", ""]
            lines += [f"- {r.status.label} `{r.check_id}`: {r.summary}" for r in rows] + [""]
    lines += _evidence(diagnosis)
    return "\n".join(lines).rstrip() + "\n"


#: control characters (C0 but tab and newline, DEL, C1) and bidi overrides: text from bounces,
#: SMTP replies and DNS records is written by others and must not drive the user's terminal
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str) -> str:
    """Show control characters as visible escapes (ESC becomes \\x1b) instead of sending them."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 256
                       else f"\\u{ord(m.group()):04x}", text)


def to_text(diagnosis: Diagnosis) -> str:
    """A compact plain-text report for the terminal (control characters made visible)."""
    return terminal_safe(_plain_text(diagnosis))


def _plain_text(diagnosis: Diagnosis) -> str:
    lines = [diagnosis.headline(), ""]
    if diagnosis.intake is not None:
        ev = diagnosis.intake.evidence()
        lines += [f"Started from {ev.label}:", *(f"  {row}" for row in ev.content.splitlines()),
                  ""]
    causes = (*diagnosis.root_causes, *diagnosis.context_causes)  # context: outside --layers
    for n, r in enumerate(causes, 1):
        lines.append(f"{n}. [{r.layer.display_name}] {r.summary}  ({r.check_id})")
        if r.outcome.explanation:
            lines.append(f"   {r.outcome.explanation}")
        if r.outcome.fix:
            lines.append(f"   Fix: {r.outcome.fix.summary}")
            lines += [f"     - {s}" for s in r.outcome.fix.steps]
    if causes:
        lines.append("")
    if diagnosis.unchecked_layers:
        lines += [*not_checked_lines(diagnosis), ""]
    unchecked = set(diagnosis.unchecked_layers)
    for layer in Layer:
        rows = [r for r in diagnosis.results if r.layer is layer]
        if rows:
            note = " (not checked)" if layer in unchecked else diagnosis.layer_note(layer)
            lines.append(layer.display_name + note)
            lines += [f"  {r.status.label:<8} {r.check_id:<34} {r.summary}" for r in rows]
    return "\n".join(lines) + "\n"


#: how to get a layer checked that was not (every check skipped), in command-line words
HOW_TO_CHECK = {
    Layer.GMAIL_RELAY: "use --relay-host … or --profile-name",
}


def not_checked_lines(diagnosis: Diagnosis) -> list[str]:
    """'Gmail relay: not checked — no relay settings given (use --relay-host …)', one per
    layer whose checks were all skipped; a warning when the path sends through that relay."""
    lines = []
    for layer in diagnosis.unchecked_layers:
        why = diagnosis.unchecked_reason(layer)
        reason = why.summary if why is not None else "every check was skipped"
        reason = reason[:1].lower() + reason[1:]
        hint = f" ({HOW_TO_CHECK[layer]})" if layer in HOW_TO_CHECK else ""
        line = f"{layer.display_name}: not checked — {reason}{hint}"
        if layer is Layer.GMAIL_RELAY and diagnosis.off_path(layer):
            line += (f"; the path {diagnosis.path} does not use a relay: if the message went "
                     "through one, give --path gmail_send_as or ses_smtp with its settings")
        if layer is Layer.GMAIL_RELAY and diagnosis.relay_not_checked():
            line = (f"Warning: {line}; on the path {diagnosis.path}, the SMTP relay's "
                    "settings, credentials and region were not checked")
        lines.append(line)
    return lines


def _section(heading: str, rows: tuple[CheckResult, ...], *, with_fix: bool = False) -> list[str]:
    if not rows:
        return []
    out = [f"## {heading}", ""]
    for r in rows:
        out.append(f"### {r.status.label} {r.layer.display_name}: {r.summary}")
        out.append(f"Check `{r.check_id}`.")
        if r.outcome.explanation:
            out += ["", r.outcome.explanation]
        if with_fix and r.outcome.fix:
            out += ["", f"**Fix:** {r.outcome.fix.summary}"]
            out += [f"{i}. {s}" for i, s in enumerate(r.outcome.fix.steps, 1)]
        out.append("")
    return out


def _evidence(diagnosis: Diagnosis) -> list[str]:
    out = ["## Evidence", ""]
    for r in diagnosis.results:
        for ev in r.outcome.evidence:
            out += [f"**{r.check_id}: {ev.label}**", "", "```", ev.content.rstrip(), "```", ""]
    return out if len(out) > 2 else []
