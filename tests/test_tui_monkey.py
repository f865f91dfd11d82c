"""A seeded monkey at the terminal UI: hundreds of random keys, and the app stays whole.

Each run presses a fixed-seed random sequence of the product's keys and everyday typing
(with the odd terminal resize) on the sample store, then checks that nothing crashed, no
failure was reported, every save is in the history as it was reported, and that `q`
still quits. A failure names the seed and the last keys pressed, so it reproduces.
"""

from __future__ import annotations

import logging
import random
import string
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SAMPLES
from textual import events
from textual.message import Message
from textual.notifications import Notify
from textual.pilot import Pilot
from textual.widgets import Input
from tui_support import build, main_screen, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp
from tracker.tui.messages import PlanChanged
from tracker.tui.screens.edit import EditScreen
from tracker.tui.screens.export import ExportScreen
from tracker.tui.screens.main import MainScreen, Saved

USER = "test.secretary"
SIZES = ((80, 24), (120, 40))
# Sizes a resize may pick: the two test sizes, and one either side of the layout's breaks.
RESIZES = ((80, 24), (120, 40), (100, 30), (160, 50), (60, 18))
KEYS_PER_RUN = 300
# (seed, starting size): fixed, so a failure reproduces.
RUNS = ((20261125, SIZES[0]), (4071, SIZES[1]), (1992, SIZES[0]))

# The product's keys, weighted: escape often enough that the monkey does not live in a
# dialog, the palette seldom (its filter box takes every letter typed after it).
PRODUCT_KEYS = {
    "o": 2, "e": 3, "enter": 3, "h": 2, "x": 1, "s": 2, "S": 1, "t": 1, "b": 1,
    "question_mark": 1, "escape": 4, "tab": 3, "shift+tab": 1, "up": 3, "down": 4,
    "left": 1, "right": 1, "pageup": 1, "pagedown": 1, "home": 1, "end": 1,
    "ctrl+p": 0.5, "ctrl+s": 3, "backspace": 2,
}  # fmt: skip
# Everyday typing; never `q`, which quits (quitting is checked once, at the end).
TYPING = [c for c in string.ascii_letters + string.digits if c != "q"] + [
    "space",
    "slash",
    "minus",
]
RESIZE = "resize"
# The character a named key types, as a terminal sends it.
CHARACTERS = {
    "space": " ",
    "slash": "/",
    "minus": "-",
    "question_mark": "?",
    "tab": "\t",
    "escape": "\x1b",
    "backspace": "\x08",
}


def monkey_keys(seed: int, count: int) -> list[str]:
    """The keys of one run: mostly the product's keys, then typing, a few resizes.

    Now and then the keys are a gesture someone makes (open the form, move to a field,
    type, save), so the forms are filled in, not only opened. The sequence depends on the
    seed alone, never on what the app shows, so a seed always presses the same keys.
    """
    rng = random.Random(seed)
    keys, weights = list(PRODUCT_KEYS), list(PRODUCT_KEYS.values())

    def word() -> list[str]:
        return rng.choices(TYPING, k=rng.randint(1, 6))

    pressed: list[str] = []
    while len(pressed) < count:
        roll = rng.random()
        if roll < 0.02:
            pressed.append(RESIZE)
        elif roll < 0.08:  # edit a field
            pressed += [
                "e",
                *["tab"] * rng.randint(0, 7),
                *rng.choices(["backspace"], k=rng.randint(0, 3)),
                *word(),
            ]
            pressed += rng.choices([["ctrl+s"], ["enter"], []], [3, 1, 1])[0]
        elif roll < 0.11:  # pick a status
            pressed += ["e", "enter", *["down"] * rng.randint(0, 4), "enter", "ctrl+s"]
        elif roll < 0.65:
            pressed.extend(rng.choices(keys, weights))
        else:  # a word or a number, as people type them
            pressed.extend(word())
    return pressed[:count]


@pytest.fixture
def monkey_store(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Store]:
    """The sample plans in a SQLite store; files the monkey writes land in its own folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)  # the export dialog's default path is relative
    monkeypatch.setenv("HOME", str(work))  # a screenshot from the palette goes to Downloads
    monkeypatch.setenv("XDG_CONFIG_HOME", str(work / "config"))
    monkeypatch.setenv("XDG_DOWNLOAD_DIR", str(work))
    store = Store.open(sqlite_url)
    plans = [(p.name, load_plan_file(p)) for p in sorted(SAMPLES.glob("*.toml"))]
    store.import_plans(plans, user="seed")
    yield store
    store.close()


class Recorder:
    """What the app said and saved during a run, read from its messages."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, str, str]] = []  # (severity, title, message)
        self.saves: Counter[int] = Counter()  # action id: field changes reported saved
        self.saved_actions: Counter[int] = Counter()  # action id: saves that changed it
        self.plan_changes = 0  # writes through the plan-changing forms (add, bulk, undo...)

        # The hook sees a message at each node it bubbles through: count each one once.
        self._seen: dict[int, Message] = {}

    def __call__(self, message: Message) -> None:
        if not isinstance(message, Notify | Saved | PlanChanged) or id(message) in self._seen:
            return
        self._seen[id(message)] = message  # held, so its id is not reused
        if isinstance(message, Notify):
            note = message.notification
            self.notices.append((note.severity, note.title or "", note.message))
        elif isinstance(message, PlanChanged):
            self.plan_changes += 1
        elif isinstance(message, Saved) and message.changes:
            self.saves[message.row.id] += message.changes
            self.saved_actions[message.row.id] += 1

    def failures(self) -> list[tuple[str, str, str]]:
        return [
            n
            for n in self.notices
            if n[0] == "error" or "Something went wrong" in n[1] or "unexpected" in n[2].lower()
        ]


def _report(seed: int, size: tuple[int, int], pressed: list[str], what: str) -> str:
    return f"seed {seed} at {size[0]}x{size[1]}: {what}; the last keys: {pressed[-30:]}"


async def _type(pilot: Pilot[int], key: str) -> None:
    """Press a key as a quick typist does: the app handles it (a dialog it opens is up)
    before the next, but the store's workers may still be loading or saving.

    (`pilot.press` waits for the whole app to go idle after every key: slower than anyone
    types, and it never presses a key while a load or a save is on its way.)
    """
    app = pilot.app
    event = events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))
    event.set_sender(app)
    app.post_message(event)
    await pilot.pause(0)  # the key is handled...
    await pilot.pause(0)  # ...and a screen it pushed or popped is in place


async def _escape_to_main(pilot: Pilot[int], app: TrackerApp) -> None:
    """Leave every modal, dialog and palette the monkey left open, and the search box."""
    for _ in range(10):
        if isinstance(app.screen, MainScreen) and not isinstance(app.focused, Input):
            return
        await pilot.press("escape")
        await settle(pilot, rounds=1)
    raise AssertionError(f"still on {app.screen!r}, focus on {app.focused!r}, after escapes")


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "size"), RUNS, ids=[f"seed{s}-{w}x{h}" for s, (w, h) in RUNS])
async def test_random_keys_leave_the_app_whole(
    seed: int,
    size: tuple[int, int],
    monkey_store: Store,
    settings: RuleSettings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = monkey_store
    versions = {row.id: row.version for row in store.iter_actions(settings=settings)}
    app = build(store, settings)
    quits: list[str] = []
    pressed: list[str] = []
    record = Recorder()
    rng = random.Random(seed + 1)  # when to wait: apart from the keys, so they stay put
    caplog.set_level(logging.ERROR, logger="tracker")

    async with app.run_test(size=size, message_hook=record) as pilot:
        # The palette's "Quit" would end the run early: count it instead (restored below).
        app.action_quit = lambda: quits.append(pressed[-1])  # type: ignore[method-assign,assignment]
        await settle(pilot)
        for key in monkey_keys(seed, KEYS_PER_RUN):
            if key == RESIZE:
                width, height = rng.choice(RESIZES)
                pressed.append(f"resize {width}x{height}")
                await pilot.resize_terminal(width, height)
            else:
                if key == "slash":
                    await pilot.pause()  # anything the keys before it opened is up now
                    if any(isinstance(s, ExportScreen) for s in app.screen_stack):
                        key = "minus"  # a path from "/" would be written outside the test
                pressed.append(key)
                await _type(pilot, key)
            # An unhandled exception is kept in `_exception` (and raised by run_test).
            assert app._exception is None, _report(seed, size, pressed, repr(app._exception))
            assert app.is_running, _report(seed, size, pressed, "the app stopped")
            roll = rng.random()
            if roll < 0.03:
                await settle(pilot)
            elif roll < 0.15:
                await pilot.pause()
        await settle(pilot)
        failures = record.failures()
        assert not failures, _report(seed, size, pressed, f"failures reported: {failures}")

        del app.action_quit  # `q` quits again
        await _escape_to_main(pilot, app)
        await pilot.press("q")
        await settle(pilot, rounds=1)
        assert not app.is_running, _report(seed, size, pressed, "q did not quit")
    assert app._exception is None
    assert app.return_code == 0

    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not logged, _report(seed, size, pressed, f"errors logged: {logged}")

    # The store holds exactly what the app said it saved, all of it by this user.
    mine: Counter[int] = Counter()
    for row in store.iter_actions(settings=settings):
        entries = [e for e in store.history(row.id) if e.by == USER]
        mine[row.id] = len(entries)
        if entries:
            assert row.updated_by == USER
        # Each edit-form save is counted per action; a plan change (add, bulk edit, move,
        # undo) is one write that moves each action it touches on by one version at most.
        extra = row.version - versions.get(row.id, 0) - record.saved_actions[row.id]
        assert 0 <= extra <= record.plan_changes, _report(
            seed, size, pressed, f"{row.address} is at version {row.version}"
        )
        assert extra == 0 or entries, _report(seed, size, pressed, f"{row.address}: no history")
        for field in ("status", "progress", "owner", "evidence"):
            changes = [e for e in entries if e.field == field]
            if changes:
                stored = getattr(row, field)
                assert changes[-1].new == (None if stored is None else str(stored)), _report(
                    seed, size, pressed, f"{row.address} {field} is not its last change"
                )
        deadlines = [e for e in entries if e.field == "deadline"]
        if deadlines:
            assert deadlines[-1].new == row.deadline.isoformat()
            assert all(e.note for e in deadlines)  # a moved deadline always has its reason
    if record.plan_changes == 0:
        assert +mine == +record.saves, _report(seed, size, pressed, "history and saves differ")
    else:  # plan changes write history of their own beside the edit form's saves
        short = {a: n for a, n in record.saves.items() if mine[a] < n}
        assert not short, _report(seed, size, pressed, f"saves with no history: {short}")
    assert store.view_counts(settings=settings).total == len(versions)
    print(f"seed {seed}: {sum(mine.values())} changes saved; palette quits: {quits}")


async def test_edit_waits_for_the_save_on_its_way(
    monkey_store: Store, settings: RuleSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`e` pressed while a save is being written opens no form on the action as it was.

    Such a form was refused on save as if "someone else changed this action": the
    change it was stale against was the user's own.
    """
    store = monkey_store
    gate = threading.Event()
    update_action = store.update_action

    def slow_update(*args: object, **kwargs: object) -> object:
        gate.wait(10)
        return update_action(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "update_action", slow_update)
    app = build(store, settings)
    async with app.run_test(size=SIZES[1]) as pilot:
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        await pilot.press("e")
        assert isinstance(app.screen, EditScreen)
        app.screen.query_one("#note", Input).value = "first look"
        await pilot.press("ctrl+s")
        await pilot.press("e")  # the save is still on its way
        assert not isinstance(app.screen, EditScreen)
        assert "Still saving the last change: edit again in a moment." in notifications(app)
        gate.set()
        await settle(pilot)
        await pilot.press("e")
        form = app.screen
        assert isinstance(form, EditScreen)
        assert form.row.version == row.version + 1
        form.query_one("#note", Input).value = "second look"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not any("Not saved" in n or "someone else" in n for n in notifications(app))
    notes = [e.note for e in store.history(row.id) if e.by == USER]
    assert notes == ["first look", "second look"]
