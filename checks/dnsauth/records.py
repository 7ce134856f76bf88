"""What DKIM, DMARC, SPF and MTA-STS records share: picking the one record of a kind among
a name's TXT strings, and reading 'tag=value; ...' lists."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

_TAG = re.compile(r"^[a-z][a-z0-9_]*$", re.I)
#: a tag name as the tag-lists of RFC 6376 3.2 and RFC 7489 6.4 spell it
TAG_NAME = _TAG


def select_one(
    txts: Sequence[str], is_record: Callable[[str], bool], none: str, many: str
) -> tuple[str | None, str | None]:
    """(the record, None) when exactly one TXT string is one, else (None, why not);
    `many` may name the count as {n}."""
    found = [t for t in txts if is_record(t)]
    if len(found) == 1:
        return found[0], None
    return None, many.format(n=len(found)) if found else none


@dataclass(frozen=True)
class TagWording:
    """How one record kind words a malformed tag list, and the exception it raises."""

    error: type[ValueError]
    not_pair: str  # names the part as {part}
    twice: str  # names the tag as {name}
    lower: bool = False  # tag names are case-insensitive: keep them lower-case


def tag_list(text: str, wording: TagWording) -> dict[str, str]:
    """'v=DMARC1; p=none' -> {'v': 'DMARC1', 'p': 'none'}; a malformed or repeated tag
    raises `wording.error`."""
    tags: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, eq, value = part.partition("=")
        name = name.strip().lower() if wording.lower else name.strip()
        if not eq or not _TAG.match(name):
            raise wording.error(wording.not_pair.format(part=part))
        if name in tags:
            raise wording.error(wording.twice.format(name=name))
        tags[name] = value.strip()
    return tags
