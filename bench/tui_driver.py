"""Drive the terminal UI headless on one store, for the benchmark; print what it timed.

`python bench/tui_driver.py STORE TODAY` opens the store and the app as `tracker` does
(StoreAccess.open, make_app, the default one-second poll), runs it with Textual's `run_test`
and prints one JSON object: the monotonic time at which the first screen showed rows
(the parent subtracts its own start time, so interpreter start and imports count), the
seconds from pressing `o` until the table showed the overdue view, and the seconds from
pressing `e` on the selected action until the saved edit was confirmed and the view reloaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable
from datetime import date

TIMEOUT = 120.0


async def _until(check: Callable[[], bool], what: str) -> None:
    give_up = time.monotonic() + TIMEOUT
    while not check():
        if time.monotonic() > give_up:
            raise SystemExit(f"tui_driver: gave up waiting for {what}")
        await asyncio.sleep(0.002)


async def drive(db: str, today: date) -> dict[str, float | int]:
    from textual import events
    from textual.widgets import Input
    from textual.worker import WorkerCancelled

    from tracker.domain.records import Filters
    from tracker.domain.rules import RuleSettings
    from tracker.tui.app import make_app
    from tracker.tui.data import StoreAccess
    from tracker.tui.screens.main import MainScreen
    from tracker.tui.widgets.action_table import ActionTable

    settings = RuleSettings(today=today)
    store = StoreAccess.open(db)
    app = make_app(store=store, settings=settings, user="bench")
    out: dict[str, float | int] = {}

    def main() -> MainScreen | None:
        for screen in app.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def table() -> ActionTable:
        screen = main()
        assert screen is not None
        return screen.query_one(ActionTable)

    def shows_rows() -> bool:
        try:
            screen = main()
            if screen is None or not screen.is_mounted:
                return False
            widget = screen.query(ActionTable)
            return bool(widget) and widget.first().row_at(0) is not None
        except Exception:  # the app is still starting
            return False

    def press(key: str, char: str | None) -> None:
        """A key as the terminal would send it, without the test pilot's idle waits."""
        event = events.Key(key, char)
        event.set_sender(app)
        assert app._driver is not None
        app._driver.send_message(event)

    async def settle() -> None:
        """Let the loads in flight finish (one cancelled by a newer load is fine)."""
        with contextlib.suppress(WorkerCancelled):
            await app.workers.wait_for_complete()

    async def first_rows() -> float:
        await _until(shows_rows, "the first rows")
        return time.monotonic()

    # Watched from its own task, so the harness's own start-up waits do not count.
    watcher = asyncio.create_task(first_rows())
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            out["rows_at"] = await watcher
            out["rows"] = table().total
            overdue = store.view_counts(filters=Filters(overdue=True), settings=settings).total
            out["overdue_rows"] = overdue
            await pilot.pause()

            await settle()
            started = time.monotonic()
            press("o", "o")
            screen = main()
            assert screen is not None

            def overdue_shown() -> bool:
                widget = table()
                return (
                    screen.state.filters.overdue
                    and widget.total == overdue
                    and (overdue == 0 or widget.row_at(0) is not None)
                    and screen.controller.counts.total == overdue
                )

            await _until(overdue_shown, "the overdue view")
            out["overdue_s"] = time.monotonic() - started
            await pilot.pause()
            await settle()

            from tracker.tui.screens.edit import EditScreen

            row = screen.selected
            if row is not None:
                versions = row.version
                started = time.monotonic()
                press("e", "e")
                await _until(lambda: isinstance(app.screen, EditScreen), "the edit form")
                form = app.screen
                await _until(lambda: bool(form.query("#progress")), "the form's fields")
                form.query_one("#progress", Input).value = str(7 if row.progress != 7 else 8)
                await asyncio.sleep(0)
                press("ctrl+s", None)

                def saved() -> bool:
                    selected = screen.selected
                    return (
                        not isinstance(app.screen, EditScreen)
                        and selected is not None
                        and selected.id == row.id
                        and selected.version > versions
                        and any("Saved" in str(n.message) for n in app._notifications)
                    )

                await _until(saved, "the saved edit")
                out["edit_s"] = time.monotonic() - started
            await settle()
    finally:
        store.close()
    return out


def main(argv: list[str]) -> int:
    db, today = argv[0], date.fromisoformat(argv[1])
    print(json.dumps(asyncio.run(drive(db, today))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
