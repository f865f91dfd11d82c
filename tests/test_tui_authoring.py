"""The plan changed from the TUI alone: new plan, recommendations, actions (a), move (m),
bulk edit of marked rows (space, e), undo (u) with its confirmation; read-only offers none.

Each flow drives the real app on a real store (SQLite, and PostgreSQL where available) and
reads the store back.
"""

from __future__ import annotations

from datetime import date

from textual.widgets import Input, Select, Static
from tui_support import SIZE, build, main_screen, notifications, settle, table

from tracker.domain.records import Filters
from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.tui.app import TrackerApp
from tracker.tui.screens.forms import (
    AddActionForm,
    BulkEditForm,
    ConfirmScreen,
    MoveForm,
    NewPlanForm,
    PlanForm,
    RecForm,
    date_echo,
)
from tracker.tui.widgets.bars import SummaryLine
from tracker.tui.widgets.plan_tree import PlanTree
from tracker.tui.widgets.welcome import Welcome


def _fill(form: PlanForm[object], **values: str) -> None:
    for name, value in values.items():
        widget = form.query_one(f"#{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            assert isinstance(widget, Input)
            widget.value = value


def _error(form: PlanForm[object], name: str) -> str:
    widget = form.query_one(f"#{name}-error", Static)
    return str(widget.render()) if widget.display else ""


def _save_disabled(app: TrackerApp) -> bool:
    return bool(app.screen.query_one("#save-button").disabled)


def _rows(store: Store, settings: RuleSettings) -> list[tuple[str, str, str]]:
    return [
        (r.address, r.status, r.owner)
        for r in store.iter_actions(filters=Filters(), settings=settings)
    ]


async def _build_plan(app: TrackerApp, pilot: object) -> None:
    """New plan, two recommendations, five actions: keys and forms only."""
    await pilot.press("p")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    form = app.screen
    assert isinstance(form, NewPlanForm)
    assert _save_disabled(app)  # nothing typed yet
    _fill(form, key="town-2026", authority="Town Council", title="ILACS plan")
    _fill(form, published="12/01/2024")
    await pilot.pause()  # type: ignore[attr-defined]
    assert "Fri 12 Jan 2024" in str(form.query_one("#published-echo", Static).render())
    await pilot.press("ctrl+s")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    for title in ("Supervision", "Care leavers"):
        await pilot.press("r")  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[arg-type]
        assert isinstance(app.screen, RecForm)
        _fill(app.screen, title=title)
        await pilot.press("ctrl+s")  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]
    for number, owner in enumerate(["Ann", "Ann", "Bob", "Bob", "Cy"], start=1):
        await pilot.press("a")  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[arg-type]
        form = app.screen
        assert isinstance(form, AddActionForm), app.screen
        _fill(form, description=f"Task {number}", owner=owner, deadline="+2w")
        await pilot.press("ctrl+s")  # type: ignore[attr-defined]
        await settle(pilot)  # type: ignore[arg-type]


async def test_a_plan_made_in_the_ui_alone(empty_store: Store, settings: RuleSettings) -> None:
    app = build(empty_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        welcome = str(main_screen(app).query_one(Welcome).render())
        assert "start a plan here" in welcome
        assert "import-sheet" in welcome
        assert empty_store.location in welcome
        await _build_plan(app, pilot)
        await settle(pilot)
        # The tree shows the recommendations added to the plan made empty.
        tree = main_screen(app).query_one(PlanTree)
        assert [c.data.rec for c in tree.root.children[0].children if c.data] == ["R1", "R2"]
    rows = _rows(empty_store, settings)
    assert len(rows) == 5
    assert {r[0] for r in rows} == {f"town-2026:R1.{n}" for n in range(1, 6)}
    assert len(empty_store.tree(settings=settings)[0].children) == 2
    plan = empty_store.tree(settings=settings)[0]
    assert plan.plan_key == "town-2026"


async def test_add_form_suggests_the_ref_and_echoes_dates(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    app = build(one_plan_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, AddActionForm)
        ref = form.query_one("#ref", Input).value
        under = [
            r.ref
            for r in one_plan_store.iter_actions(filters=Filters(), settings=settings)
            if r.rec_ref == row.rec_ref
        ]
        assert ref.startswith(f"{row.rec_ref}.")
        assert ref not in under
        assert _save_disabled(app)
        form.query_one("#deadline", Input).focus()
        await pilot.press("+", "2", "w")
        await pilot.pause()
        meant = date(2026, 12, 9) if settings.today == date(2026, 11, 25) else None
        echo = str(form.query_one("#deadline-echo", Static).render())
        assert echo.startswith("→ ")
        if meant:
            assert echo == f"→ {date_echo(meant)}"
        _fill(form, start="32/13/2026")
        await pilot.pause()
        assert "32/13/2026" in _error(form, "start") or _error(form, "start")
        _fill(form, start="", description="Audit", owner="Dee", status="complete", progress="50")
        await pilot.pause()
        assert "100" in _error(form, "progress")
        assert _save_disabled(app)
        _fill(form, progress="100")
        await pilot.pause()
        assert not _save_disabled(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
    added = one_plan_store.get_action(f"{row.plan_key}:{ref}")
    assert (added.description, added.owner, added.status, added.progress) == (
        "Audit",
        "Dee",
        "complete",
        100,
    )


async def test_bulk_edit_of_three_marked_actions_is_one_undo(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    app = build(one_plan_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        chosen = []
        for _ in range(3):
            chosen.append(main_screen(app).selected)
            await pilot.press("space")
            await settle(pilot)
        assert "3 marked" in str(main_screen(app).query_one(SummaryLine).render())
        assert table(app).render_line(1).text.startswith("*")
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BulkEditForm)
        _fill(form, status="complete", owner="Quality Lead", note="board 25 Nov")
        await pilot.pause()
        assert not _save_disabled(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert not main_screen(app).controller.marked
        for row in chosen:
            assert row is not None
            now = one_plan_store.get_action(row.id)
            assert (now.status, now.owner, now.progress) == ("complete", "Quality Lead", 100)
            assert any(e.note == "board 25 Nov" for e in one_plan_store.history(row.id))
        await pilot.press("u")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        assert "bulk edit" in confirm.title_text
        assert any("Quality Lead" in line for line in confirm.lines)
        await pilot.press("y")
        await settle(pilot)
        # Back on the main screen the keys reach the table again: space marks.
        await pilot.press("space")
        await settle(pilot)
        assert len(main_screen(app).controller.marked) == 1
        for row in chosen:
            assert row is not None
            back = one_plan_store.get_action(row.id)
            assert (back.status, back.owner) == (row.status, row.owner)


async def test_bulk_edit_refuses_a_stale_row_naming_it(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    app = build(one_plan_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        first = main_screen(app).selected
        assert first is not None
        await pilot.press("space", "space")
        await settle(pilot)
        one_plan_store.update_action(
            first.id, _owner("Someone Else"), user="colleague", expected_version=first.version
        )
        await pilot.press("e")
        await settle(pilot)
        _fill(app.screen, owner="Quality Lead")  # type: ignore[arg-type]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(first.ref in n for n in notifications(app))
    assert one_plan_store.get_action(first.id).owner == "Someone Else"


def _owner(name: str):  # type: ignore[no-untyped-def]
    from tracker.domain.records import ActionChanges

    return ActionChanges(owner=name)


async def test_undo_refused_over_a_newer_change(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    row = next(iter(one_plan_store.iter_actions(filters=Filters(), settings=settings)))
    one_plan_store.update_action(
        row.id, _owner("Mine"), user="test.secretary", expected_version=row.version
    )
    newer = one_plan_store.get_action(row.id)
    one_plan_store.update_action(
        row.id, _owner("Theirs"), user="colleague", expected_version=newer.version
    )
    app = build(one_plan_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        if isinstance(app.screen, ConfirmScreen):
            await pilot.press("y")
            await settle(pilot)
        assert any("colleague" in n or "since" in n for n in notifications(app)), notifications(app)
    assert one_plan_store.get_action(row.id).owner == "Theirs"


async def test_move_to_another_recommendation(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    app = build(one_plan_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        await pilot.press("m")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, MoveForm)
        target = form.value("rec")
        await pilot.press("ctrl+s")
        await settle(pilot)
    moved = one_plan_store.get_action(row.id)
    assert moved.rec_ref == target != row.rec_ref


async def test_read_only_offers_no_change(
    one_plan_store: Store, settings: RuleSettings, db_url: str
) -> None:
    reader = Store.open(db_url, read_only=True)
    try:
        app = build(reader, settings, read_only=True)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            screen = main_screen(app)
            for action in ("add_action", "new_plan", "new_rec", "edit_rec", "move", "undo"):
                assert screen.check_action(action, ()) is False
            titles = [c.title for c in app.get_system_commands(screen)]
            assert not any(t.startswith(("plan:", "recommendation:")) for t in titles)
            assert "action: Add" not in titles
            for key in ("a", "p", "r", "u", "m", "space"):
                await pilot.press(key)
                await settle(pilot)
                assert app.screen is screen
    finally:
        reader.close()


async def test_import_a_plan_file_from_the_empty_store(
    empty_store: Store, settings: RuleSettings
) -> None:
    from pathlib import Path

    from tracker.tui.screens.forms import ImportForm

    sample = Path(__file__).resolve().parent.parent / "sample_plans"
    path = sample / "staffordshire-2024-ilacs.toml"
    app = build(empty_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ImportForm)
        _fill(form, path=str(path.parent / "no-such.toml"))
        await pilot.pause()
        assert "no file" in _error(form, "path")
        assert _save_disabled(app)
        _fill(form, path=str(path))
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Imported plan staffordshire-2024-ilacs" in n for n in notifications(app))
    assert [n.plan_key for n in empty_store.tree(settings=settings)] == ["staffordshire-2024-ilacs"]


async def test_edit_recommendation_title(one_plan_store: Store, settings: RuleSettings) -> None:
    app = build(one_plan_store, settings)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        row = main_screen(app).selected
        assert row is not None
        await pilot.press("R")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RecForm)
        assert form.value("title") == row.rec_title
        _fill(form, title="Front door: management oversight")
        await pilot.press("ctrl+s")
        await settle(pilot)
    plan = one_plan_store.tree(settings=settings)[0]
    titles = {child.ref: child.title for child in plan.children}
    assert titles[row.rec_ref] == "Front door: management oversight"
    # Only the title changed: the text and area the form did not show are kept.
    fields = [e.get("field") for e in one_plan_store.plan_history(row.plan_key)]
    assert "title" in fields
    assert "text" not in fields
    assert "area" not in fields
