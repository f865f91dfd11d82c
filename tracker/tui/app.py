"""The tracker app: bindings, screens and theme, nothing else.

`make_app` builds the App on a store it is given (tests use a temporary store);
`run_app` is what the command line calls: it opens the store, runs the UI and returns an
exit status.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import Provider
from textual.screen import Screen
from textual.widgets import Input

from tracker.domain.rules import RuleSettings
from tracker.tui.data import StoreAccess, StoreOrAccess
from tracker.tui.palette import TrackerCommands, commands_for
from tracker.tui.screens.main import MainScreen
from tracker.tui.session import Session

__all__ = ["TrackerApp", "make_app", "run_app"]


class TrackerApp(App[int]):
    """The terminal UI over one store."""

    CSS_PATH = "tracker.tcss"
    TITLE = "tracker"
    ENABLE_COMMAND_PALETTE = True
    # The palette's one provider (tracker/tui/palette.py), in place of Textual's own.
    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {TrackerCommands}

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("b", "board", "Board", id="board"),
        # A priority key, so the actions table (which has the focus) does not take it;
        # in the search box it is a letter like any other (see check_action).
        Binding(
            "k",
            "measures",
            "Measures",
            id="measures",
            priority=True,
            tooltip="The scorecard of measures",
        ),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.theme = "textual-dark"

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.session))
        if self.session.demo:
            # Short, and soon gone: it sits over the table's first rows. The top bar names
            # the store and the help page says the rest.
            self.notify(
                "Changes are kept; `tracker demo --reset` starts afresh. ? for help.",
                title="DEMO",
                timeout=6,
            )

    def _store_location(self) -> str:
        return self.session.location or self.session.store.location

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In a form, `q` and `?` are for typing, never for leaving with the work unsaved.
        in_form = getattr(self.screen, "IS_FORM", False)
        if action == "measures" and isinstance(self.screen.focused, Input):
            return False
        if action in ("board", "measures"):  # from the main screen only
            return isinstance(self.screen, MainScreen)
        return not (in_form and action in ("quit", "help"))

    def action_board(self) -> None:
        from tracker.tui.screens.board import BoardScreen  # loads on first use

        if isinstance(self.screen, MainScreen):
            session = self.session
            self.push_screen(
                BoardScreen(session.store, session.settings, poll_interval=session.poll_interval)
            )

    def action_measures(self) -> None:
        from tracker.tui.screens.measures import MeasuresScreen  # loads on first use

        screen = self.screen
        if isinstance(screen, MainScreen):
            session = self.session
            self.push_screen(
                MeasuresScreen(
                    session.store,
                    user=session.user,
                    # The flag, or what the main screen's write check found since.
                    read_only=screen.controller.refusal is not None,
                    today=session.settings.today.isoformat(),
                    poll_interval=session.poll_interval,
                )
            )

    def action_help(self) -> None:
        from tracker.tui.screens.help import HelpScreen  # Markdown loads on first use

        if not isinstance(self.screen, HelpScreen):
            demo = self._store_location() if self.session.demo else None
            self.push_screen(HelpScreen(self.session.settings, demo_store=demo))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette's commands on `screen` (tracker/tui/palette.py)."""
        return commands_for(self, screen)


def make_app(
    *,
    store: StoreOrAccess,
    settings: RuleSettings,
    user: str,
    read_only: bool = False,
    demo: bool = False,
    poll_interval: float = 1.0,
    location: str | None = None,
) -> TrackerApp:
    """The App on a store (a Store already open, or access to one); the caller closes it.

    Whether the user may write is asked once the screen is up, in a worker.
    """
    access = StoreAccess.of(store)
    session = Session(
        store=access,
        settings=settings,
        user=user,
        read_only=read_only or access.read_only,
        demo=demo,
        poll_interval=poll_interval,
        location=location,
    )
    return TrackerApp(session)


def run_app(
    *, db: str | None, settings: RuleSettings, user: str, read_only: bool, demo: bool
) -> int:
    """Open the store named by `db` and run the UI on it; the exit status."""
    access = StoreAccess.open(db, read_only=read_only)
    try:
        app = make_app(store=access, settings=settings, user=user, read_only=read_only, demo=demo)
        app.run()
        return app.return_code or 0
    finally:
        access.close()
