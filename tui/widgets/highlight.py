"""Highlighting for evidence: SMTP replies, enhanced status codes, DNS records, redactions."""

from __future__ import annotations

from rich.text import Text

#: pattern -> Rich style; what an engineer looks at first in a transcript or record
EVIDENCE_STYLES: tuple[tuple[str, str], ...] = (
    (r"(?m)^[23]\d\d(?=[ -]|$)", "bold green"),
    (r"(?m)^[45]\d\d(?=[ -]|$)", "bold red"),
    (r"\b[245]\.\d{1,3}\.\d{1,3}\b", "bold yellow"),
    (r"\b(?:TXT|MX|CNAME|AAAA|NS|SOA)\b", "bold cyan"),
    (r"\"[^\"\n]*\"", "green"),
    (r"\[REDACTED\]", "reverse"),
    (r"(?m)^(?:C:|>>>|-->).*$", "italic"),
)


def highlight_evidence(content: str) -> Text:
    """The evidence as Rich text with the interesting parts styled."""
    text = Text(content)
    for pattern, style in EVIDENCE_STYLES:
        text.highlight_regex(pattern, style)
    return text
