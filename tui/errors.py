"""Where unexpected errors end up: a copyable modal, never the end of the app.

Textual hands an exception raised by a message handler, an action or a callback to
`App._handle_exception`, which exits; worse, the message loop of the widget that raised
stops for good (`MessagePump._process_messages_loop` breaks after it). So the catch has to be
one level lower, around `_dispatch_message`, on every message pump whose handlers are ours:
the app, our screens and our widgets mix `Guarded` in. Worker errors come through
`Worker.StateChanged` instead (see `MailpathApp.worker_changed`).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from textual.app import App


def error_details(error: BaseException) -> str:
    """The traceback as text, for the modal and a bug report."""
    return "".join(traceback.format_exception(error))


def report_error(app: App[Any], error: BaseException, where: str) -> None:
    """Show `error` in the app's error modal (the app redacts and de-duplicates)."""
    show = getattr(app, "show_error", None)
    if show is None:  # an app of someone else's: let Textual do what it does
        raise error
    show(f"Unexpected {type(error).__name__} in {where}", error_details(error))


class Guarded:
    """Mixin for a MessagePump: an exception in one of its handlers opens the error modal."""

    async def _dispatch_message(self, message: Message) -> None:
        try:
            await super()._dispatch_message(message)  # type: ignore[misc]
        except Exception as error:  # noqa: BLE001 - this is the last line of defence
            where = f"{type(self).__name__} handling {type(message).__name__}"
            report_error(self.app, error, where)  # type: ignore[attr-defined]
