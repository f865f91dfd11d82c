"""The tracker app: bindings, screens and theme, nothing else.

`make_app` builds the App on a store it is given (tests use a temporary store);
`run_app` is what the command line calls: it opens the store, runs the UI and returns an
exit status.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tracker.domain.rules import RuleSettings
from tracker.tui.data import StoreAccess
from tracker.tui.screens.main import MainScreen, Session

if TYPE_CHECKING:
    from tracker.storage.store import Store

__all__ = ["TrackerApp", "make_app", "run_app"]


class TrackerApp(App[int]):
    """The terminal UI over one store."""

    CSS_PATH = "tracker.tcss"
    TITLE = "tracker"
    ENABLE_COMMAND_PALETTE = True

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("b", "board", "Board", id="board"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.theme = "textual-dark"

    def on_mount(self) -> None:
        self.push_screen(MainScreen(self.session))
        if self.session.demo:
            self.notify(
                f"Demo store: {self._store_location()}. Your changes are kept until "
                "`tracker demo --reset`. Press ? for help.",
                title="DEMO",
                timeout=10,
            )

    def _store_location(self) -> str:
        return self.session.location or self.session.store.location

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # In a form, `q` and `?` are for typing, never for leaving with the work unsaved.
        in_form = getattr(self.screen, "IS_FORM", False)
        if action == "board":  # from the main screen only
            return isinstance(self.screen, MainScreen)
        return not (in_form and action in ("quit", "help"))

    def action_board(self) -> None:
        from tracker.tui.screens.board import BoardScreen  # loads on first use

        if isinstance(self.screen, MainScreen):
            session = self.session
            self.push_screen(
                BoardScreen(session.store, session.settings, poll_interval=session.poll_interval)
            )

    def action_help(self) -> None:
        from tracker.tui.screens.help import HelpScreen  # Markdown loads on first use

        if not isinstance(self.screen, HelpScreen):
            demo = self._store_location() if self.session.demo else None
            self.push_screen(HelpScreen(self.session.settings, demo_store=demo))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        if isinstance(screen, MainScreen):
            yield from screen.commands()
        if isinstance(screen, MainScreen):
            yield SystemCommand(
                "board: RAG, progress and trend",
                "Each recommendation's RAG and progress, and the monthly trend (key b)",
                self.action_board,
            )
        yield SystemCommand("help: Keys and concepts", "The help page (key ?)", self.action_help)
        yield from super().get_system_commands(screen)


def make_app(
    *,
    store: Store | StoreAccess,
    settings: RuleSettings,
    user: str,
    read_only: bool = False,
    demo: bool = False,
    poll_interval: float = 1.0,
    location: str | None = None,
) -> TrackerApp:
    """The App on a store (a Store already open, or access to one); the caller closes it."""
    access = store if isinstance(store, StoreAccess) else StoreAccess.wrap(store)
    session = Session(
        store=access,
        settings=settings,
        user=user,
        read_only=read_only or not access.can_write(),
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
