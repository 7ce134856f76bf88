"""A light reader for bounce emails: headers, the report's own text, its DSN fields.

Works on bytes: headers and body are split at the first blank line, multipart bodies at
their boundary lines, and only the parts that are read get decoded. A returned copy of the
original message is set aside (and cut short), so its headers never pass for the report's.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import dataclass
from email.errors import HeaderParseError
from email.header import decode_header
from functools import lru_cache

#: nesting deeper than this is not followed (hostile input)
MAX_DEPTH = 32
#: parts are read at most this many
MAX_PARTS = 200
#: characters of a returned original message kept (its headers and the start of its body)
ORIGINAL_KEEP = 20000

_ORIGINAL_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"})
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_SKIPPED = ("image/", "audio/", "video/")
_TAG = re.compile(r"<[^>]{0,2000}>")
#: two blanks or more (tabs are made spaces first: a run of blanks becomes one space, and
#: a lone space, most of them, is no match to replace)
_SPACES = re.compile("  +")
_HTML_BREAK = re.compile(r"(?i)<br\s*/?>|</p>|</div>|</tr>")
_PARAM = {
    "boundary": re.compile(r"""boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;"]{1,200}))""", re.I),
    "charset": re.compile(r"""charset\s*=\s*(?:"([^"]{1,60})"|([^\s;"]{1,60}))""", re.I),
}


class Headers:
    """Header fields by lower-cased name (first occurrence wins), order kept for `items`.

    A field read from a message keeps its value as written, continuation lines joined by
    line breaks, and is unfolded only when asked for: most of a bounce's headers are never
    read."""

    __slots__ = ("_fields", "_first", "_type", "_type_value", "_decoded", "_names", "_text")

    def __init__(self, fields: list[tuple[str, str]], first: dict[str, str] | None = None,
                 text: str = "") -> None:
        """`first` and `text`: the index of a header block read by `_field_index` and the
        block, whose fields (`fields` left empty) are cut from it only if `items` asks."""
        self._fields, self._text = fields, text
        if first is None:
            first = {}
            for name, value in reversed(fields):  # (a loop: a comprehension is a call more)
                first[name.lower()] = value
        self._first = first
        self._type: str | None = None
        self._type_value: str | None = None
        self._decoded: dict[str, str] = {}
        self._names: frozenset[str] | None = None

    def content_type(self) -> str:
        """The lower-cased type/subtype, text/plain when none is given (worked out once)."""
        if self._type is None:
            self._type_value = self.get("content-type")
            value = (self._type_value or "text/plain").split(";", 1)[0].strip().lower()
            self._type = value if "/" in value else "text/plain"
        return self._type

    def type_param(self, name: str) -> str | None:
        """A parameter of the Content-Type field ("boundary", "charset"), None when absent."""
        if self._type is None:
            self.content_type()
        value = self._type_value
        if value is None or "=" not in value:  # (no parameter at all: no search for one)
            return None
        match = _PARAM[name].search(value)
        return (match.group(1) or match.group(2)) if match else None

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a field (`name` in any case; lower case is looked up directly)."""
        value = self._first.get(name)
        if value is None:
            lowered = name.lower()  # (`islower` reads the Unicode tables per character)
            if lowered == name:
                return default
            value = self._first.get(lowered)
            if value is None:
                return default
        return value.strip() if "\n" not in value else _unfolded(value)

    def decoded(self, name: str) -> str:
        """A field's value with encoded words decoded ("" when absent), worked out once."""
        value = self._decoded.get(name)
        if value is None:
            raw = self._first.get(name)  # (`get` inlined for a one-line field)
            raw = raw.strip() if raw is not None and "\n" not in raw else self.get(name)
            value = "" if raw is None else raw if "=?" not in raw else _decode_words(raw)
            self._decoded[name] = value
        return value

    def names(self) -> frozenset[str]:
        """The lower-cased names of the fields present (worked out once)."""
        if self._names is None:
            self._names = frozenset(self._first)
        return self._names

    def items(self) -> list[tuple[str, str]]:
        if self._text:
            self._fields, self._text = _whole_fields(self._text) or [], ""
        return [(name, value.strip() if "\n" not in value else _unfolded(value))
                for name, value in self._fields]


def _unfolded(value: str) -> str:
    """A folded value: its lines stripped and joined by single spaces (empty ones dropped)."""
    return " ".join(filter(None, map(str.strip, value.split("\n"))))


EMPTY = Headers([])


@dataclass(frozen=True, init=False)
class MailParts:
    """The text a bounce email is made of, sorted by role."""

    headers: Headers
    text: str
    dsn: str
    feedback: str
    content_type: str
    original_headers: str
    #: what of the message was not read (its MIME tree cut at MAX_PARTS or MAX_DEPTH), and
    #: how the delivery status was found anyway when it was
    notes: tuple[str, ...] = ()

    def __init__(self, headers: Headers, text: str, dsn: str, feedback: str,
                 content_type: str, original_headers: str, notes: tuple[str, ...] = ()) -> None:
        # (frozen, its fields stored in the instance's dict directly: the generated
        # __init__ makes an object.__setattr__ call per field, see model.py)
        stored = self.__dict__
        stored["headers"], stored["text"], stored["dsn"] = headers, text, dsn
        stored["feedback"], stored["content_type"] = feedback, content_type
        stored["original_headers"], stored["notes"] = original_headers, notes

    def lower_head(self, size: int) -> str:
        """The lower-cased first `size` (at most PREFIX) characters of the text, lower-cased
        once for every reader."""
        lowered = self.__dict__.get("_lowered")
        if lowered is None:
            lowered = _lowered(self.text)
            object.__setattr__(self, "_lowered", lowered)  # (a cache, not a field)
        lower, kept = lowered
        return lower[:size] if kept else self.text[:size].lower()


def _lowered(text: str) -> tuple[str, bool]:
    """The head of a text lower-cased, and whether every character kept its place (then a
    cut of it is the lower case of the same cut of the text)."""
    head, lower = text[:PREFIX], lower_prefix(text)
    # (lower case maps a character to one or more; only the capital sigma's depends
    # on its neighbours, so a cut could change it)
    return lower, head.isascii() or (len(lower) == len(head) and "\u03a3" not in head)


#: characters at the start of a text that `lower_prefix` lower-cases (as much as the
#: report's readers read: `MailParts.lower_head` cuts its head from the same)
PREFIX = 65536


@lru_cache(maxsize=4)
def lower_prefix(text: str) -> str:
    """`text[:PREFIX].lower()`, worked out once for the readers of one message's text (the
    text's head and the report section read from it)."""
    return text[:PREFIX].lower()


@dataclass
class _Roles:
    texts: list[str]
    #: HTML parts as read (headers, body), decoded only when there is no text part
    htmls: list[tuple[Headers, bytes]]
    dsn: list[str]
    feedback: list[str]
    original: list[str]
    #: why the walk stopped short of the whole MIME tree ("" when it read all of it)
    cut: str = ""


def read(data: bytes) -> MailParts:
    """Read one email from bytes into its roles, never raising for malformed MIME."""
    if data.find(b"\r") >= 0:  # (`in` on bytes raises and clears a TypeError inside first)
        data = data.replace(b"\r\n", b"\n")
    head, body = split_head(data)
    headers = parse_headers(head)
    if headers.get("content-type") is None:
        headers = _guessed_multipart(headers, body)
    roles = _Roles([], [], [], [], [])
    _walk(headers, body, roles)
    notes = _cut_short(roles, body) if roles.cut else ()
    text = "\n".join(roles.texts) if roles.texts else "\n".join(
        [_html_to_text(_decoded(part, html)) for part, html in roles.htmls])
    return MailParts(headers, text, "\n\n".join(roles.dsn), "\n".join(roles.feedback),
                     headers.content_type(), "\n".join(roles.original), notes)


def _cut_short(roles: _Roles, body: bytes) -> tuple[str, ...]:
    """A MIME tree cut at the limits (hostile input: thousands of parts, nesting thousands
    deep) may hide its delivery-status part past them: the body is then searched for that
    part directly (one scan, bounded by the input's size), and the note says what was cut."""
    why = f"the message {roles.cut}"
    if roles.dsn:
        return (why,)
    found = _DSN_PART.search(body)
    if found is None:
        return (f"{why}, and no delivery status part was found in the rest of it",)
    head_end = body.find(b"\n\n", found.start())
    if head_end < 0:
        return (f"{why}, and its delivery status part is cut off",)
    end = body.find(b"\n--", head_end + 2)
    part = parse_headers(body[found.start():head_end])
    roles.dsn.append(_decoded(part, body[head_end + 2:end if end >= 0 else len(body)]))
    return (f"{why}, but its delivery status part was found past them and read",)


_DSN_PART = re.compile(rb"^content-type:[ \t]*message/(?:global-)?delivery-status", re.I | re.M)
_BOUNDARY_LINE = re.compile(rb"^--([^\s]{6,200})[ \t]*$", re.M)


def _guessed_multipart(headers: Headers, body: bytes) -> Headers:
    """Headers cut off above the MIME ones: a body of boundary-separated parts, one of them a
    delivery-status report, is read as multipart."""
    if (b"elivery-" not in body and b"ELIVERY-" not in body) or _DSN_PART.search(body) is None:
        return headers
    match = _BOUNDARY_LINE.search(body, 0, 4096)
    if match is None or body.count(b"\n--" + match.group(1)) < 2:
        return headers
    boundary = match.group(1).decode("latin-1")
    return Headers(headers.items() + [("Content-Type", f'multipart/mixed; boundary="{boundary}"')])


def split_head(data: bytes) -> tuple[bytes, bytes]:
    """Header block and body, split at the first blank line (a leading mbox From_ line dropped)."""
    if data[:5] == b"From ":  # (a slice compared: cheaper than a startswith call)
        data = data.partition(b"\n")[2]
    if data[:1] == b"\n":
        return b"", data[1:]
    head, _sep, body = data.partition(b"\n\n")
    return head, body


def parse_headers(head: bytes) -> Headers:
    """The fields of a header block; lines that are neither field nor continuation are skipped."""
    if not head:
        return Headers([])
    text = head.decode("utf-8", "replace")
    first = _field_index(text)
    if first is not None:
        return Headers([], first, text)
    return Headers(_fields_by_line(text))


#: a line break that ends a field (the next line is no continuation)
_FIELD_END = re.compile("\n(?![ \t])")


def _whole_fields(text: str) -> list[tuple[str, str]] | None:
    """The fields of a block in which every line is a field's or a continuation (None
    otherwise): cut at the lines that start a field, one cut per field, not per line."""
    fields: list[tuple[str, str]] = []
    for chunk in _FIELD_END.split(text):
        name, sep, value = chunk.partition(":")
        if not sep or "\n" in name:  # (no colon in the field's first line)
            return None
        name = name.strip()
        if not name or " " in name:
            return None
        fields.append((name, value))
    return fields


def _field_index(text: str) -> dict[str, str] | None:
    """`Headers`' index of the fields `_whole_fields` reads in a block (None when it reads
    none), built as they are cut: no list of them is made (most blocks are never listed).
    They are read from the last one on, so the index is made as `Headers` makes it."""
    first: dict[str, str] = {}
    for chunk in reversed(_FIELD_END.split(text)):
        name, sep, value = chunk.partition(":")
        if not sep or "\n" in name:  # (the same tests as `_whole_fields`)
            return None
        name = name.strip()
        if not name or " " in name:
            return None
        first[name.lower()] = value
    return first


def _fields_by_line(text: str) -> list[tuple[str, str]]:
    """Fields read line by line, lines that are neither field nor continuation skipped
    (their continuation lines go to the field before them)."""
    fields: list[list[str]] = []
    for line in text.split("\n"):
        if line[:1] in _BLANKS and fields:
            fields[-1].append(line)
            continue
        name, sep, value = line.partition(":")
        if sep and name:
            name = name.strip()
            if " " not in name:
                fields.append([name, value])
    return [(entry[0], "\n".join(entry[1:])) for entry in fields]


_BLANKS = (" ", "\t")


def content_type(headers: Headers) -> str:
    """The lower-cased type/subtype of a part, text/plain when none is given."""
    return headers.content_type()


def _walk(headers: Headers, body: bytes, roles: _Roles) -> None:
    """Visit the MIME tree in document order without recursion, depth- and count-limited."""
    stack: list[tuple[Headers, bytes, int]] = [(headers, body, 0)]
    seen = 0
    while stack and seen < MAX_PARTS:
        part, data, depth = stack.pop()
        seen += 1
        ctype = part.content_type()
        boundary = part.type_param("boundary") if ctype.startswith("multipart/") else None
        if boundary and depth >= MAX_DEPTH:
            roles.cut = roles.cut or (f"nests MIME parts deeper than {MAX_DEPTH} levels; the "
                                      "deeper ones were not read as parts")
            boundary = None
        children = _children(data, boundary) if boundary else None
        if children is None:
            _sort(part, ctype, data, roles)
            continue
        if len(children) > MAX_PARTS:  # (one part more than are read: the list was cut)
            roles.cut = roles.cut or _TOO_MANY
            del children[MAX_PARTS:]
        stack.extend([(parse_headers(head), body, depth + 1)
                      for head, body in map(split_head, reversed(children))])
    if stack and not roles.cut:
        roles.cut = _TOO_MANY


_TOO_MANY = f"has more than {MAX_PARTS} MIME parts; only the first {MAX_PARTS} were read as parts"


def _children(body: bytes, boundary: str) -> list[bytes] | None:
    """The parts between boundary lines, or None when the boundary never appears; at most
    MAX_PARTS + 1 (one more tells the caller the list was cut).

    Each part is sliced out once (found by `bytes.find`, not split and re-partitioned)."""
    mark = b"\n--" + boundary.encode("latin-1", "replace")
    opens = body.startswith(mark[1:])
    at = -1 if opens else body.find(mark)
    if at == -1 and not opens:
        return None
    out: list[bytes] = []
    while len(out) <= MAX_PARTS:
        start = at + len(mark)
        if body[start:start + 2] == b"--":
            break
        following = body.find(mark, start)
        end = following if following >= 0 else len(body)
        if body[start:start + 1] == b"\n" and start < end:  # (mostly: no find call then)
            line_end = start
        else:
            line_end = body.find(b"\n", start, end)
        out.append(body[line_end + 1:end] if line_end >= 0 else b"")
        if following < 0:
            break
        at = following
    return out


def _sort(part: Headers, ctype: str, data: bytes, roles: _Roles) -> None:
    if ctype in _DSN_TYPES:
        roles.dsn.append(_decoded(part, data))
    elif ctype == "message/feedback-report":
        roles.feedback.append(_decoded(part, data))
    elif ctype in _ORIGINAL_TYPES:
        roles.original.append(_decoded(part, data[: ORIGINAL_KEEP * 2])[:ORIGINAL_KEEP])
    elif ctype == "text/html":
        roles.htmls.append((part, data))
    elif not ctype.startswith(_SKIPPED):
        roles.texts.append(_decoded(part, data))


def _decoded(part: Headers, data: bytes) -> str:
    """A part's body, transfer encoding undone, as text in its declared charset."""
    encoding = (part.get("content-transfer-encoding") or "").lower()  # (`get` strips)
    try:
        if encoding == "base64":
            # (bytes that are no base64 characters are skipped by the decoder itself: it
            # reads the same as with them deleted first, see _NOT_BASE64)
            data = base64.b64decode(data + b"==")
        elif encoding == "quoted-printable":
            data = quopri.decodestring(data)
    except (ValueError, binascii.Error):
        pass
    return decode_bytes(data, part.type_param("charset"))


#: a header's value, encoded words decoded, never raising ("" when absent): the method
#: itself, so a read is one call
header = Headers.decoded


def _decode_words(raw: str) -> str:
    """Encoded words in a header value decoded, never raising (the value as it is when
    they cannot be)."""
    try:
        return "".join(_decode_chunk(b, c) for b, c in decode_header(raw))
    except (ValueError, LookupError, UnicodeError, TypeError, HeaderParseError):
        return raw


def _decode_chunk(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    return decode_bytes(chunk, charset)


#: bytes that are no base64 characters (line ends, blanks, junk): the non-strict decoder
#: (`b64decode`, validate=False) passes over them without a change of its state, so they
#: need no deleting first (tests/unit/test_bounce_perf_base64.py holds it to that)
_NOT_BASE64 = bytes(sorted(set(range(256)) - set(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=")))


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text by the declared charset, falling back to UTF-8 then Latin-1."""
    for name in (charset, "utf-8"):
        if not name:
            continue
        try:
            return data.decode(name)
        except (LookupError, UnicodeError):
            continue
    return data.decode("latin-1")


def _html_to_text(html: str) -> str:
    text = _HTML_BREAK.sub("\n", html)
    return _SPACES.sub(" ", _TAG.sub(" ", text).replace("\t", " ")).replace("&nbsp;", " ")
