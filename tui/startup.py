"""Getting to a Context without holding up the first frame.

`run_tui_with(provider)` opens the app at once; the provider (an async context manager
factory, e.g. "start the local lab") is entered only after the first frame and kept open
until the app ends, then left in order (the lab stops before the process exits).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from checks.context import Context

#: seconds to let a provider that is still starting finish (and be left properly) at exit
CLOSE_TIMEOUT = 15.0

#: makes the context the app runs on; entered after the first frame, left when the app ends
ContextProvider = Callable[[], AbstractAsyncContextManager[Context]]


class StartupRefused(Exception):
    """The provider cannot start for a reason the user must fix (a bad scenario, a missing
    package): the app ends at once and `run_tui_with` raises this for the command to print."""


class ContextHolder:
    """Enters a provider in a task of its own, keeps it open, leaves it on `close()`."""

    def __init__(self, provider: ContextProvider) -> None:
        self.provider = provider
        self._release = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def open(self, ready: Callable[[Context], None],
             failed: Callable[[Exception], None]) -> None:
        """Start entering the provider; `ready(ctx)` or `failed(error)` is called once."""
        self._task = asyncio.create_task(self._hold(ready, failed))

    async def _hold(self, ready: Callable[[Context], None],
                    failed: Callable[[Exception], None]) -> None:
        try:
            async with self.provider() as ctx:
                if not self._release.is_set():  # the app may have ended meanwhile
                    ready(ctx)
                await self._release.wait()
        except Exception as error:  # noqa: BLE001 - shown in the app, which keeps running
            if not self._release.is_set():
                failed(error)

    async def close(self) -> None:
        """Leave the provider (e.g. stop the lab) and wait until it is done.

        A provider still starting gets CLOSE_TIMEOUT seconds to finish, so that it is left
        in order; after that it is cancelled.
        """
        self._release.set()
        if self._task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(self._task), CLOSE_TIMEOUT)
        except TimeoutError:
            self._task.cancel()
