"""The TLS trust used by every adapter: the system store plus an optional CA file."""

from __future__ import annotations

import functools
import ssl


@functools.lru_cache(maxsize=8)
def trusted_context(ca_file: str | None) -> ssl.SSLContext:
    """A verifying client context. Loading the system store costs about 30 ms of CPU on the
    event loop, so one context per CA file is kept for the process (contexts are shareable;
    callers must not change them)."""
    context = ssl.create_default_context()
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context
