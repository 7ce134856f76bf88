"""What kind of input this is, judged by its content alone."""

from __future__ import annotations

import re

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,60}:(?:[ \t]?\S|[ \t]*$)", re.M)
_FROM_LINE = re.compile(rb"^From \S+")
_TRANSCRIPT = re.compile(rb"^\s*(?:[SC]:|<<<|>>>|<-|->)\s", re.M)
_REPLY_LINE = re.compile(rb"^\s*[245]\d\d[ -]")


def kind_of(data: bytes) -> str:
    """One of "json", "email", "transcript", "text"."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:4096]
    if head.startswith((b"{", b"[")):
        return "json"
    if _looks_like_email(head):
        return "email"
    if _TRANSCRIPT.search(head) or _REPLY_LINE.match(head):
        return "transcript"
    return "text"


def _looks_like_email(head: bytes) -> bool:
    """Starts with header lines (or an mbox From_ line followed by them)."""
    lines = [line.rstrip(b"\r") for line in head.split(b"\n", 14)[:14]]
    if lines and _FROM_LINE.match(lines[0]):
        lines = lines[1:]
    count = 0
    for line in lines[:12]:
        if not line.strip():
            break
        if _HEADER_LINE.match(line):
            count += 1
        elif line[:1] not in (b" ", b"\t"):
            return False
    return count >= 2
