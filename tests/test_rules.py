"""The product's rules: overdue, days overdue, due soon, RAG, roll-ups and natural order.

Each boundary of product.md is pinned at a fixed today, and a property test proves that
the SQL form of the rules (used to filter and count 100,000 actions) selects exactly the
actions the Python rules select.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import ColumnElement, select

from tracker.cli.context import settings_from_args
from tracker.cli.main import build_parser
from tracker.domain.errors import UsageError
from tracker.domain.records import ActionRow
from tracker.domain.rules import (
    STATUSES,
    Rag,
    RuleSettings,
    days_overdue,
    is_due_soon,
    is_open,
    is_overdue,
    natural_key,
    rag,
    roll_up,
    sort_key,
)
from tracker.formats.plan_toml import ActionData, PlanData, RecommendationData
from tracker.storage.sqlrules import A, due_soon_clause, overdue_clause, rag_case, rag_clause
from tracker.storage.store import Store

TODAY = date(2026, 11, 25)
S = RuleSettings(today=TODAY)


def day(offset: int) -> date:
    """The date `offset` days from the pinned today (negative: in the past)."""
    return TODAY + timedelta(days=offset)


# --- overdue and days overdue -------------------------------------------------------------


@pytest.mark.parametrize("status", ["not_started", "in_progress", "blocked"])
def test_on_the_deadline_day_an_open_action_is_not_overdue(status: str) -> None:
    assert not is_overdue(status, TODAY, TODAY)
    assert days_overdue(status, TODAY, TODAY) == 0


@pytest.mark.parametrize("status", ["not_started", "in_progress", "blocked"])
def test_the_day_after_the_deadline_an_open_action_is_one_day_overdue(status: str) -> None:
    assert is_overdue(status, day(-1), TODAY)
    assert days_overdue(status, day(-1), TODAY) == 1


@pytest.mark.parametrize("status", ["complete", "cancelled"])
def test_a_closed_action_is_never_overdue(status: str) -> None:
    assert not is_overdue(status, day(-400), TODAY)
    assert days_overdue(status, day(-400), TODAY) == 0
    assert not is_due_soon(status, day(3), S)


def test_days_overdue_counts_whole_days_across_a_year() -> None:
    assert days_overdue("in_progress", date(2025, 11, 25), TODAY) == 365
    assert days_overdue("in_progress", day(5), TODAY) == 0


def test_open_statuses_are_the_first_three() -> None:
    assert [s for s in STATUSES if is_open(s)] == ["not_started", "in_progress", "blocked"]


# --- RAG ---------------------------------------------------------------------------------


def test_one_day_overdue_is_amber() -> None:
    assert rag("in_progress", day(-1), S) is Rag.AMBER


def test_thirty_days_overdue_is_amber_and_thirty_one_is_red() -> None:
    assert rag("in_progress", day(-30), S) is Rag.AMBER
    assert rag("in_progress", day(-31), S) is Rag.RED
    assert rag("not_started", day(-30), S) is Rag.AMBER
    assert rag("not_started", day(-31), S) is Rag.RED


def test_due_in_fourteen_days_is_due_soon_and_fifteen_is_not() -> None:
    assert is_due_soon("in_progress", day(14), S)
    assert not is_due_soon("in_progress", day(15), S)
    assert is_due_soon("in_progress", TODAY, S)  # due today: not overdue, due soon
    assert not is_due_soon("in_progress", day(-1), S)  # overdue is not due soon


def test_due_soon_and_not_started_is_amber_but_in_progress_is_green() -> None:
    assert rag("not_started", day(14), S) is Rag.AMBER
    assert rag("not_started", TODAY, S) is Rag.AMBER
    assert rag("in_progress", day(14), S) is Rag.GREEN
    assert rag("not_started", day(15), S) is Rag.GREEN
    assert rag("in_progress", day(15), S) is Rag.GREEN


@pytest.mark.parametrize("offset", [-400, -31, -1, 0, 10, 400])
def test_blocked_is_always_red(offset: int) -> None:
    assert rag("blocked", day(offset), S) is Rag.RED


@pytest.mark.parametrize("offset", [-400, 0, 400])
def test_complete_is_blue_and_cancelled_has_no_rag(offset: int) -> None:
    assert rag("complete", day(offset), S) is Rag.BLUE
    assert rag("cancelled", day(offset), S) is None


def test_blocked_due_soon_counts_as_due_soon() -> None:
    assert is_due_soon("blocked", day(3), S)


def test_custom_thresholds_move_the_boundaries() -> None:
    custom = RuleSettings(today=TODAY, due_soon_days=7, tolerance_days=10)
    assert is_due_soon("in_progress", day(7), custom)
    assert not is_due_soon("in_progress", day(8), custom)
    assert rag("not_started", day(8), custom) is Rag.GREEN
    assert rag("in_progress", day(-10), custom) is Rag.AMBER
    assert rag("in_progress", day(-11), custom) is Rag.RED


def test_zero_tolerance_makes_any_overdue_action_red() -> None:
    strict = RuleSettings(today=TODAY, tolerance_days=0)
    assert rag("in_progress", day(-1), strict) is Rag.RED
    assert rag("in_progress", TODAY, strict) is Rag.GREEN


# --- thresholds from the command line and the environment ------------------------------


def _settings_for(argv: list[str]) -> RuleSettings:
    return settings_from_args(build_parser()[0].parse_args(argv))


def test_thresholds_default_to_14_and_30() -> None:
    got = _settings_for(["list"])
    assert (got.today, got.due_soon_days, got.tolerance_days) == (TODAY, 14, 30)


def test_thresholds_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_DUE_SOON_DAYS", "7")
    monkeypatch.setenv("TRACKER_TOLERANCE_DAYS", "60")
    got = _settings_for(["list"])
    assert (got.due_soon_days, got.tolerance_days) == (7, 60)


def test_command_line_thresholds_win_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKER_DUE_SOON_DAYS", "7")
    monkeypatch.setenv("TRACKER_TOLERANCE_DAYS", "60")
    got = _settings_for(["list", "--due-soon-days", "21", "--tolerance-days", "5"])
    assert (got.due_soon_days, got.tolerance_days) == (21, 5)
    got = _settings_for(["--due-soon-days", "3", "list"])
    assert got.due_soon_days == 3


def test_a_bad_threshold_in_the_environment_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRACKER_TOLERANCE_DAYS", "a month")
    with pytest.raises(UsageError, match="TRACKER_TOLERANCE_DAYS must be a whole number"):
        _settings_for(["list"])


def test_today_from_the_command_line_wins_over_tracker_today() -> None:
    assert _settings_for(["--today", "01/12/2026", "list"]).today == date(2026, 12, 1)


# --- roll-ups ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratings", "expected"),
    [
        ([Rag.GREEN, Rag.RED, Rag.BLUE, None], Rag.RED),
        ([Rag.GREEN, Rag.AMBER, Rag.BLUE], Rag.AMBER),
        ([Rag.GREEN, Rag.BLUE, None], Rag.GREEN),
        ([Rag.BLUE, Rag.BLUE], Rag.BLUE),
        ([Rag.BLUE, None], Rag.BLUE),
        ([None, None], Rag.BLUE),  # every action cancelled: nothing left open
        ([], None),  # no actions at all
    ],
)
def test_roll_up(ratings: list[Rag | None], expected: Rag | None) -> None:
    assert roll_up(ratings) is expected


def test_store_roll_ups_and_progress(sample_store: Store, settings: RuleSettings) -> None:
    """Each recommendation's and plan's roll-up equals the rule over its own actions."""
    rows = list(sample_store.iter_actions(settings=settings))
    for plan in sample_store.tree(settings=settings):
        plan_rows = [r for r in rows if r.plan_key == plan.plan_key]
        assert plan.actions == len(plan_rows)
        assert plan.rag is roll_up(r.rag(settings) for r in plan_rows)
        live = [r.progress for r in plan_rows if r.status != "cancelled"]
        assert plan.progress == pytest.approx(sum(live) / len(live))
        assert plan.overdue == sum(r.overdue(settings.today) for r in plan_rows)
        for rec in plan.children:
            rec_rows = [r for r in plan_rows if r.rec_ref == rec.ref]
            assert rec.rag is roll_up(r.rag(settings) for r in rec_rows)
            assert rec.actions == len(rec_rows)


# --- natural order -----------------------------------------------------------------------


def test_natural_order_compares_numbers_as_numbers() -> None:
    refs = ["R1.10", "R2", "R1.2", "R10.1", "R1.1", "R1"]
    expected = ["R1", "R1.1", "R1.2", "R1.10", "R2", "R10.1"]
    assert sorted(refs, key=natural_key) == expected
    assert sorted(refs, key=sort_key) == expected


def test_sort_key_ignores_case_and_agrees_with_natural_key() -> None:
    refs = ["a10", "A9", "b1", "B10", "b2", "x", "X2", "x1"]
    assert sorted(refs, key=sort_key) == sorted(refs, key=natural_key)


def test_numbers_sort_before_punctuation_and_long_numbers_compare_as_numbers() -> None:
    refs = ["R-1", "R1", "R.1", "R 1", "R1.2", "R1-2", "R12345678901234", "R99"]
    expected = ["R1", "R1-2", "R1.2", "R99", "R12345678901234", "R 1", "R-1", "R.1"]
    assert sorted(refs, key=natural_key) == expected
    assert sorted(refs, key=sort_key) == expected


_REF = st.from_regex(
    r"([A-Za-z.()/ -]{0,2}[0-9]{1,4}){1,3}[A-Za-z.-]{0,2}|[A-Za-z.-]{1,3}", fullmatch=True
)


@hyp_settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_REF, min_size=2, max_size=12, unique=True))
def test_sort_key_orders_refs_as_natural_key_does(refs: list[str]) -> None:
    """The string key stored for SQL ordering sorts refs exactly as the Python rule does."""
    by_sort_key = sorted(refs, key=sort_key)
    assert [natural_key(r) for r in by_sort_key] == sorted(natural_key(r) for r in refs)


def test_store_lists_actions_in_natural_order(sample_store: Store, settings: RuleSettings) -> None:
    rows = list(sample_store.iter_actions(settings=settings))
    keys = [(natural_key(r.plan_key), natural_key(r.rec_ref), natural_key(r.ref)) for r in rows]
    assert keys == sorted(keys)


# --- the rules in SQL agree with the rules in Python -------------------------------------

# One action for every status and every deadline from 200 days before to 200 days after
# the pinned today: with today moving up to 120 days and thresholds up to 60, every case
# of every rule (and both sides of every boundary) is in the store.
_OFFSETS = range(-200, 201)


def _grid_plan() -> PlanData:
    recs = []
    for status in STATUSES:
        actions = [
            ActionData(
                ref=f"{status}.{i}",
                description=f"{status} due {day(offset)}",
                owner="Head of Service",
                deadline=day(offset),
                status=status,
                progress=100 if status == "complete" else 0,
            )
            for i, offset in enumerate(_OFFSETS)
        ]
        recs.append(RecommendationData(ref=status, title=status, actions=actions))
    return PlanData(key="grid", authority="Test Council", title="Grid", recommendations=recs)


@pytest.fixture(scope="module")
def grid_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'grid.db'}")
        store.import_plans([("grid.toml", _grid_plan())], user="seed")
        yield store
        store.close()


def _selected(store: Store, clause: ColumnElement[bool]) -> set[int]:
    with store.engine.connect() as conn:
        return {action_id for (action_id,) in conn.execute(select(A.id).where(clause))}


@hyp_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    shift=st.integers(min_value=-120, max_value=120),
    due_soon_days=st.integers(min_value=0, max_value=60),
    tolerance_days=st.integers(min_value=0, max_value=60),
)
def test_sql_filters_select_exactly_what_the_rules_select(
    grid_store: Store, shift: int, due_soon_days: int, tolerance_days: int
) -> None:
    rules = RuleSettings(
        today=day(shift), due_soon_days=due_soon_days, tolerance_days=tolerance_days
    )
    rows = list(grid_store.iter_actions(settings=rules))
    assert len(rows) == len(STATUSES) * len(_OFFSETS)

    def python(pick: Callable[[ActionRow], bool]) -> set[int]:
        return {r.id for r in rows if pick(r)}

    assert _selected(grid_store, overdue_clause(rules)) == python(
        lambda r: is_overdue(r.status, r.deadline, rules.today)
    )
    assert _selected(grid_store, due_soon_clause(rules)) == python(
        lambda r: is_due_soon(r.status, r.deadline, rules)
    )
    for word in Rag:
        expected = {r.id for r in rows if rag(r.status, r.deadline, rules) is word}
        assert _selected(grid_store, rag_clause(word.value, rules)) == expected, word
    with grid_store.engine.connect() as conn:
        words = {row[0]: row[1] for row in conn.execute(select(A.id, rag_case(rules)))}
    assert words == {
        r.id: (v.value if (v := rag(r.status, r.deadline, rules)) else None) for r in rows
    }
