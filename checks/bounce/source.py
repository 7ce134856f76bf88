"""Reading one bounce input, bounded: a file by path or an open stream (standard input).

Both `mailpath bounce` and `mailpath check --bounce` (and the TUI intake's file field) read
through here, so all stop at MAX_BYTES, refuse what is not a regular file, and stop early on
binary data. What is read says whether it was cut (`Bounded.truncated`); a cut input ends at
its last blank line, so a recipient group (or header block) cut at the limit is dropped,
never handed on half-read. A UTF-8 byte-order mark opening the input (a file saved by
Notepad or PowerShell) is read as utf-8-sig reads it: a mark, not text.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from checks.bounce.signs import SAMPLE, is_binary

#: input beyond this many bytes is not read (a bounce's report is near its start)
MAX_BYTES = 4 * 1024 * 1024
#: the UTF-8 byte-order mark (what utf-8-sig drops)
UTF8_BOM = b"\xef\xbb\xbf"


class Unreadable(Exception):
    """An input that cannot be read; the message says why in a few words."""


class Bounded(bytes):
    """The bytes read, and whether the input went on past `limit` (then they end at the
    last blank line before the limit: no part-read group)."""

    truncated: bool
    limit: int

    def __new__(cls, data: bytes, *, truncated: bool = False,
                limit: int = MAX_BYTES) -> Bounded:
        made = super().__new__(cls, data)
        made.truncated, made.limit = truncated, limit
        return made


def limit_text(limit: int) -> str:
    """A byte limit in words: "4 MB" (MiB, as MAX_BYTES is set), else bytes."""
    mib = 1024 * 1024
    return f"{limit // mib} MB" if limit % mib == 0 else f"{limit} bytes"


def truncation_note(name: str, limit: int) -> str:
    """What to tell the user about an input cut at `limit`."""
    return (f"{name}: larger than {limit_text(limit)}; read only its first {limit_text(limit)} "
            "(a recipient cut at the limit is left out)")


def whole_groups(data: bytes) -> bytes:
    """`data` up to and including its last blank line (else its last line break): what a
    cut at the limit left half-read is dropped."""
    cut = max(data.rfind(b"\n\n"), data.rfind(b"\n\r\n"))
    if cut >= 0:
        return data[:data.index(b"\n", cut + 1) + 1]
    line = data.rfind(b"\n")
    return data[:line + 1] if line >= 0 else data


def read_stream(stream: BinaryIO | None, limit: int = MAX_BYTES) -> Bounded | None:
    """At most `limit` bytes of an open stream, without a UTF-8 byte-order mark opening
    them; None when its start is binary. A stream that is None (standard input closed) is
    Unreadable."""
    if stream is None:
        raise Unreadable("standard input is closed")
    try:
        head = stream.read(min(SAMPLE, limit))
        if is_binary(head):
            return None
        data = head + stream.read(limit - len(head))
        more = len(data) >= limit and bool(stream.read(1))
    except OSError as exc:
        raise Unreadable(why(exc)) from None
    data = data.removeprefix(UTF8_BOM)  # (the limit counts it: it was read)
    if more:
        return Bounded(whole_groups(data), truncated=True, limit=limit)
    return Bounded(data, limit=limit)


def read_path(path: str, limit: int = MAX_BYTES) -> Bounded | None:
    """At most `limit` bytes of a regular file; None when its start is binary."""
    kind_of(path, want_file=True)
    try:
        with open(path, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise Unreadable("not a regular file")
            return read_stream(fh, limit)
    except OSError as exc:
        raise Unreadable(why(exc, path)) from None


def kind_of(path: str, *, want_file: bool = False) -> str:
    """ "file" or "dir" for a path that can be read; anything else is Unreadable."""
    if not path:
        raise Unreadable("an empty path names no file")
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise Unreadable(why(exc, path)) from None
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        if want_file:
            raise Unreadable("is a directory, not a file")
        return "dir"
    raise Unreadable("not a regular file")


def why(exc: OSError, path: str = "") -> str:
    """A few words for an OS error: a symbolic link loop or a broken link is named as such."""
    if exc.errno == errno.ELOOP:
        return "symbolic link loop (too many levels of symbolic links)"
    if exc.errno == errno.ENOENT:
        if path and os.path.islink(path):
            return "broken symbolic link (its target does not exist)"
        return "no such file or directory"
    text = exc.strerror or str(exc)
    return text[:1].lower() + text[1:]


def display(name: str) -> str:
    """A file name as text that can always be printed: bytes that were not valid UTF-8
    (kept by the OS layer as surrogates) are shown as \\xNN escapes."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
