"""The mailpath Textual app: theme, bindings, screens, and the one place errors end up.

Only what the first frame needs is imported at the top; the screens (Markdown, the engine)
load after it, so `mailpath demo` draws as fast as a bare Textual app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from checks.context import Context
from tui.errors import Guarded, error_details
from tui.screens.start import StartScreen
from tui.startup import ContextHolder, ContextProvider, StartupRefused

if TYPE_CHECKING:
    from checks.creds.rotation import RotationOptions
    from checks.registry import Registry
    from tui.messages import ActionRequested, IntakeSubmitted
    from tui.screens.credentials import ProfileChanged
    from tui.screens.settings import Settings
    from tui.screens.walkthrough import EventSource, WalkthroughScreen

THEMES = ("textual-dark", "textual-light")
EXIT_USAGE = 2
EXIT_COULD_NOT_CHECK = 3


class MailpathApp(Guarded, App[int]):
    """Opens on the walkthrough (checks running) or on the intake; returns an exit code."""

    CSS_PATH = "mailpath.tcss"
    TITLE = "mailpath"
    #: under 90 columns every screen has the class -narrow (the tree pane takes more room)
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (90, "-wide")]
    #: the footer shows only the first few keys (a screen's own keys come first); the
    #: palette (ctrl+p) and help list every one
    #: `?` and `q` type into a text field: there the footer shows F1 and ctrl+q, which work
    #: everywhere (each key its own binding, so Textual drops only the one a field takes)
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("f1", "help", "Help", key_display="F1"),
        Binding("i", "intake", "Intake"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
        Binding("s", "settings", "Settings", show=False),
        Binding("u", "suppression", "Suppression", show=False),
        Binding("k", "credentials", "Credentials", show=False),
        Binding("t", "toggle_theme", "Theme", show=False),
    ]

    def __init__(self, ctx: Context | None = None, *, registry: Registry | None = None,
                 scenario_name: str | None = None, start: str = "walkthrough",
                 theme: str = THEMES[0], source: EventSource | None = None,
                 provider: ContextProvider | None = None, config: Path | None = None) -> None:
        super().__init__()
        self.base_ctx, self.registry, self.start = ctx or Context(), registry, start
        #: the settings file (profiles, recent inputs, rotation state); None: the user's own
        self.config = config
        self.initial_theme, self.source = theme, source
        self.sub_title = f"lab scenario: {scenario_name}" if scenario_name else ""
        self._walkthrough: WalkthroughScreen | None = None
        self.holder = ContextHolder(provider) if provider is not None else None
        #: set once the first diagnosis has begun (or the intake is up and the checks loaded)
        self.ready = asyncio.Event()
        #: the provider refused to start (bad input): the app ended, run_tui_with raises it
        self.refusal: StartupRefused | None = None
        #: how the credentials screen rotates (None: the real waits; tests make them short)
        self.rotation_options: RotationOptions | None = None
        #: q was pressed once during a rotation (and warned about it): the next q quits
        self.quit_warned = False

    @property
    def walkthrough(self) -> WalkthroughScreen:
        if self._walkthrough is None:
            from tui.screens.walkthrough import WalkthroughScreen

            self._walkthrough = WalkthroughScreen(self.registry, self.source)
        return self._walkthrough

    # ---- start-up ---------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.theme = self.initial_theme
        if self.holder is not None:
            await self.push_screen(StartScreen("Starting the local lab…"))
            self.call_after_refresh(self.holder.open, self._context_ready, self._context_failed)
            return
        await self._show_main()
        self.call_after_refresh(self.prepare, self.base_ctx)

    async def _show_main(self) -> None:
        """The walkthrough (in place of the start screen), and the intake on top if asked."""
        if isinstance(self.screen, StartScreen):
            await self.switch_screen(self.walkthrough)
        else:
            await self.push_screen(self.walkthrough)
        if self.start == "intake":
            self.action_intake()

    async def on_unmount(self) -> None:
        if self.holder is not None:
            await self.holder.close()

    def _context_ready(self, ctx: Context) -> None:
        self.base_ctx = ctx
        self.prepare(ctx)

    def _context_failed(self, error: Exception) -> None:
        if isinstance(error, StartupRefused):
            self.refusal = error
            self.exit(EXIT_USAGE)
            return
        self.waiting(f"Could not start: {error}")
        self.show_error(f"Could not start: {type(error).__name__}", error_details(error))
        self.ready.set()

    def waiting(self, text: str) -> None:
        """Say what is being prepared, on the start screen or the walkthrough."""
        if isinstance(self.screen, StartScreen):
            self.screen.note(text)
        elif self._walkthrough is not None and self._walkthrough.is_mounted:
            self._walkthrough.waiting(text)

    @work(exit_on_error=False, group="prepare")
    async def prepare(self, ctx: Context) -> None:
        """Load the checks off the event loop (after the first frame), then begin."""
        if self.registry is None:
            from checks.registry import load_all_checks

            self.waiting("Loading the checks…")
            await asyncio.to_thread(load_all_checks)
        if self.walkthrough not in self.screen_stack:
            await self._show_main()
        if self.start != "intake":
            self.walkthrough.start(ctx)
        self.ready.set()

    # ---- screens ---------------------------------------------------------------------------

    def action_intake(self) -> None:
        from tui.screens.intake import IntakeScreen

        if isinstance(self.screen, IntakeScreen):
            return
        inputs = self.base_ctx.inputs
        recipient = inputs.recipients[0] if inputs.recipients else None
        relay_user = inputs.relay.username if inputs.relay else None
        self.push_screen(IntakeScreen(inputs.sender, recipient, config=self.config,
                                      relay_user=relay_user))

    def on_intake_submitted(self, message: IntakeSubmitted) -> None:
        from checks.tree import SYMPTOMS
        from tui.screens.intake import IntakeScreen
        from tui.screens.walkthrough import replace_inputs

        inputs = self.base_ctx.inputs
        ctx = replace_inputs(self.base_ctx, sender=message.sender or inputs.sender,
                             recipients=message.recipients or inputs.recipients,
                             bounce=message.bounce, relay=message.relay or inputs.relay,
                             path=self._path_for(message))
        while isinstance(self.screen, IntakeScreen):
            self.pop_screen()
        entry = SYMPTOMS[message.symptom][1]
        if message.symptom == "check_setup" and ctx.inputs.relay is not None:
            entry = "relay"  # the setup includes the relay Gmail sends through
        self.walkthrough.start(ctx, entry)

    def _path_for(self, message: IntakeSubmitted) -> str | None:
        """A bounce or a missing message leaves the path open (the walkthrough asks),
        unless the bounce shows it; checking the setup keeps the session's."""
        if message.symptom == "check_setup":
            return self.base_ctx.inputs.path
        return message.path

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`i` on the intake itself would do nothing: the footer leaves it out there."""
        return not (action == "intake" and self.screen.id == "intake")

    def action_settings(self) -> None:
        from tui.screens.settings import SettingsScreen, settings_of

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen(settings_of(self.base_ctx)), self._settings_saved)

    def _settings_saved(self, settings: Settings | None) -> None:
        from tui.persist import save_settings
        from tui.screens.settings import apply_settings

        if settings is None:
            return
        self.base_ctx = apply_settings(self.base_ctx, settings)
        if self.walkthrough.ctx is not None:
            self.walkthrough.ctx = apply_settings(self.walkthrough.ctx, settings)
        where, error = save_settings(settings, self.config)
        if error:
            self.notify(f"Settings apply to this session; not saved: {error}", severity="error")
            return
        self.notify(f"Settings saved to {where}; press a to run the checks again.")

    def action_suppression(self, address: str | None = None) -> None:
        from tui.screens.suppression import SuppressionScreen

        if not isinstance(self.screen, SuppressionScreen):
            self.push_screen(SuppressionScreen(self.base_ctx, address))

    def action_credentials(self, rotate: bool = False) -> None:
        from tui.screens.credentials import CredentialsScreen

        if not isinstance(self.screen, CredentialsScreen):
            self.push_screen(CredentialsScreen(self.base_ctx, rotate=rotate, config=self.config,
                                               options=self.rotation_options))

    def on_profile_changed(self, message: ProfileChanged) -> None:
        """A rotation changed a stored profile: a diagnosis using it (its relay user is one
        the profile has had) now uses the profile as stored, so `a` tests the new key."""
        from tui.screens.intake import profile_relay
        from tui.screens.walkthrough import replace_inputs

        relay = self.base_ctx.inputs.relay
        if relay is None or relay.username not in message.users:
            return
        stored, _ = profile_relay(message.name, self.config)
        if stored is None or stored == relay:
            return
        self.base_ctx = replace_inputs(self.base_ctx, relay=stored)
        walk = self._walkthrough
        if walk is not None and walk.ctx is not None and walk.ctx.inputs.relay is not None \
                and walk.ctx.inputs.relay.username in message.users:
            walk.relay_changed(replace_inputs(walk.ctx, relay=stored), message.name)
            self.notify(f"The walkthrough now uses profile {message.name} as stored (SMTP "
                        f"user {stored.username}); press a there to run the checks again.",
                        timeout=12)

    def on_action_requested(self, message: ActionRequested) -> None:
        """A walkthrough fix button: open the screen that applies that fix."""
        if message.action == "remove_suppression":
            self.action_suppression(message.args.get("email"))
        elif message.action == "rotate_credentials":
            self.action_credentials(rotate=True)

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self._focused_help()))

    def _focused_help(self) -> str | None:
        node = self.focused
        while node is not None:
            text = getattr(node, "HELP", None)
            if isinstance(text, str):
                return text
            node = node.parent  # type: ignore[assignment]
        return None

    def action_toggle_theme(self) -> None:
        self.theme = THEMES[1] if self.theme == THEMES[0] else THEMES[0]

    async def action_quit(self) -> None:
        """Exit with the diagnosis's code; quitting mid-run is "some checks could not run".
        During a credential rotation the first q warns (quitting stops it wherever it is,
        e.g. with a new key not yet verified); a second q quits anyway."""
        running = self._rotation_running()
        self.quit_warned, warned = running, self.quit_warned and running
        if running and not warned:
            self.notify("A credential rotation is running: c cancels it cleanly. Press q "
                        "again to quit anyway (o resumes the rotation later).",
                        severity="warning", timeout=10)
            return
        screen = self._walkthrough
        if screen is not None and screen.running:
            self.exit(EXIT_COULD_NOT_CHECK)
            return
        done = screen is not None and bool(screen.results)
        self.exit(self.walkthrough.diagnosis().exit_code if done else 0)

    def _rotation_running(self) -> bool:
        from tui.screens.credentials import CredentialsScreen

        return any(isinstance(s, CredentialsScreen) and s.rotating for s in self.screen_stack)

    # ---- errors ----------------------------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_changed(event)

    def worker_changed(self, event: Worker.StateChanged) -> None:
        """A worker ended with an exception: show it in a copyable modal, keep running."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        self.show_error(f"Unexpected {type(worker.error).__name__} in "
                        f"{worker.name or 'a background task'}", error_details(worker.error))

    def show_error(self, title: str, details: str) -> None:
        """The copyable error modal, secrets redacted; the app keeps running."""
        from tui.screens.modals import ErrorModal

        self.push_screen(ErrorModal(title, self.base_ctx.redactor(details)))

    # ---- command palette: every binding of the screen and the app, by name -----------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        own = {b.description for b in self.BINDINGS if isinstance(b, Binding)}
        seen: set[str] = set()
        for command in super().get_system_commands(screen):
            if command.title not in own:  # ours (with its key) below stands for it
                seen.add(command.title)
                yield command
        for owner in (screen, self):
            for binding in owner.BINDINGS:
                if isinstance(binding, Binding) and binding.description not in seen:
                    seen.add(binding.description)
                    run = partial(self.call_later, owner.run_action, binding.action)
                    keys = ", ".join(self._keys(b) for b in owner.BINDINGS
                                     if isinstance(b, Binding) and b.action == binding.action)
                    yield SystemCommand(binding.description, f"Key: {keys}", run)
        extra = getattr(screen, "palette_commands", None)
        if extra is not None:
            yield from extra()

    def _keys(self, binding: Binding) -> str:
        """The keys as the footer shows them: "?, F1", not "question_mark,f1"."""
        keys = [self.get_key_display(Binding(k.strip(), binding.action))
                for k in binding.key.split(",")]
        return ", ".join(k.upper() if k[:1] == "f" and k[1:].isdigit() else k for k in keys)


def _exit_code(result: object) -> int:
    return result if isinstance(result, int) else 0


def run_tui(ctx: Context, *, scenario_name: str | None = None, start: str = "walkthrough",
            registry: Registry | None = None) -> int:
    """Run the TUI on `ctx`; returns the diagnosis exit code (0 when nothing ran)."""
    return _exit_code(MailpathApp(ctx, registry=registry, scenario_name=scenario_name,
                                  start=start).run())


def run_tui_with(provider: ContextProvider, *, scenario_name: str | None = None,
                 start: str = "walkthrough", registry: Registry | None = None,
                 config: Path | None = None) -> int:
    """Run the TUI at once; `provider` makes its context after the first frame. `config`
    is the settings file to use (None: the user's own).

    Raises the provider's StartupRefused (bad input) after the app has closed.
    """
    app = MailpathApp(None, registry=registry, scenario_name=scenario_name, start=start,
                      provider=provider, config=config)
    result = app.run()
    if app.refusal is not None:
        raise app.refusal
    return _exit_code(result)
