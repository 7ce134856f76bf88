"""Reading one bounce input, bounded: a file by path or an open stream (standard input).

Both `mailpath bounce` and `mailpath check --bounce` read through here, so both stop at
MAX_BYTES, refuse what is not a regular file, and stop early on binary data.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

from checks.bounce.signs import SAMPLE, is_binary

#: input beyond this many bytes is not read (a bounce's report is near its start)
MAX_BYTES = 4 * 1024 * 1024


class Unreadable(Exception):
    """An input that cannot be read; the message says why in a few words."""


def read_stream(stream: BinaryIO | None, limit: int = MAX_BYTES) -> bytes | None:
    """At most `limit` bytes of an open stream; None when its start is binary.
    A stream that is None (standard input closed) is Unreadable."""
    if stream is None:
        raise Unreadable("standard input is closed")
    try:
        head = stream.read(min(SAMPLE, limit))
        if is_binary(head):
            return None
        return head + stream.read(limit - len(head))
    except OSError as exc:
        raise Unreadable(why(exc)) from None


def read_path(path: str, limit: int = MAX_BYTES) -> bytes | None:
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
