"""Helpers for driving the terminal UI in tests: build the app on a store, wait, read it."""

from __future__ import annotations

import contextlib

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tracker.domain.records import Filters
from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp, make_app
from tracker.tui.screens.main import MainScreen
from tracker.tui.widgets.action_table import ActionTable

SIZE = (120, 36)


def build(store: Store, settings: RuleSettings, **options: object) -> TrackerApp:
    """The app on a test store, without polling unless asked for."""
    options.setdefault("poll_interval", 0)
    return make_app(store=store, settings=settings, user="test.secretary", **options)  # type: ignore[arg-type]


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    """Wait until the workers are done and their messages handled.

    A worker in an exclusive group (the change poller, a page load) may be cancelled by
    a newer one while we wait: that is the app working as meant, not a failure.
    """
    for _ in range(rounds):
        for worker in list(pilot.app.workers):
            with contextlib.suppress(WorkerCancelled):
                await worker.wait()
        await pilot.pause()


def main_screen(app: TrackerApp) -> MainScreen:
    for screen in app.screen_stack:
        if isinstance(screen, MainScreen):
            return screen
    raise AssertionError("the main screen is not open")


def table(app: TrackerApp) -> ActionTable:
    return main_screen(app).query_one(ActionTable)


def visible_lines(app: TrackerApp) -> list[str]:
    """The table's lines as a person sees them (header first)."""
    widget = table(app)
    return [widget.render_line(y).text for y in range(widget.size.height)]


def notifications(app: TrackerApp) -> list[str]:
    return [n.message for n in app._notifications]


def count(store: Store, settings: RuleSettings, **filters: object) -> int:
    return store.view_counts(filters=Filters(**filters), settings=settings).total  # type: ignore[arg-type]
