"""The store: import (all or none, --replace), update semantics and history once per change.

History entries are checked exactly: one per changed field carrying the note, the reason
on the deadline entry, a note alone as a `note` entry, nothing at all when nothing changed.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import SAMPLES, sample_plan_files
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tracker.domain.errors import (
    NotFoundError,
    PlanFileError,
    StaleWriteError,
    TrackerError,
    ValidationError,
)
from tracker.domain.records import ActionChanges, Filters, HistoryEntry
from tracker.domain.rules import STATUSES, RuleSettings
from tracker.formats.plan_toml import ActionData, PlanData, RecommendationData, load_plan_file
from tracker.storage.models import SCHEMA_VERSION
from tracker.storage.store import Store

KEY = "staffordshire-2024-ilacs"
R14 = f"{KEY}:R1.4"  # in progress, 80%, deadline 2026-09-30, revised from 2025-03-31
NOW = datetime(2026, 11, 25, 10, 0, 0)


def fields(entries: list[HistoryEntry]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(e.field, e.old, e.new, e.note) for e in entries]


def a_plan(key: str = "p", refs: tuple[str, ...] = ("R1.1", "R1.2")) -> PlanData:
    actions = [
        ActionData(
            ref=ref,
            description=f"Action {ref}",
            owner="Head of Service",
            deadline=date(2026, 12, 31),
            status="not_started",
            progress=0,
        )
        for ref in refs
    ]
    return PlanData(
        key=key,
        authority="Testshire County Council",
        title="Plan",
        recommendations=[RecommendationData(ref="R1", title="Front door", actions=actions)],
    )


# --- import --------------------------------------------------------------------------------


def test_the_longest_keys_and_refs_import_and_sort_on_every_engine(
    empty_store: Store, settings: RuleSettings
) -> None:
    """A 200-character plan key and 100-character refs full of numbers and folded letters.

    Their natural-order keys are several times longer than the refs themselves; the store
    takes them on PostgreSQL as on SQLite and still lists the refs in natural order.
    """
    key = "a1" * 100
    refs = ("\ufb031" * 48 + "\ufb0310", "\ufb031" * 48 + "\ufb032")  # "ﬃ" folds to "ffi"
    plan = a_plan(key=key, refs=refs)
    plan = replace(
        plan,
        recommendations=[
            replace(plan.recommendations[0], ref="R" + "1a" * 49 + "1"),
        ],
    )
    empty_store.import_plans([("long.toml", plan)], user="seed")
    rows = empty_store.page_actions(settings=settings)
    assert [r.ref for r in rows] == [refs[1], refs[0]]  # ...2 before ...10
    assert empty_store.get_action(f"{key}:{refs[0]}").ref == refs[0]


def test_import_loads_every_sample_action(sample_store: Store, settings: RuleSettings) -> None:
    rows = list(sample_store.iter_actions(settings=settings))
    expected = sum(load_plan_file(p).action_count() for p in sample_plan_files())
    assert len(rows) == expected
    assert sample_store.plan_keys() == [
        "staffordshire-2024-ilacs",
        "staffordshire-2025-focused-visit",
        "stoke-on-trent-2022-ilacs",
    ]
    assert {r.updated_by for r in rows} == {"seed"}
    assert {r.updated_at for r in rows} == {NOW}


def test_import_writes_no_history(one_plan_store: Store, settings: RuleSettings) -> None:
    for row in one_plan_store.iter_actions(settings=settings):
        assert one_plan_store.history(row.id) == []


def test_an_existing_plan_key_is_refused_without_replace(one_plan_store: Store) -> None:
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    with pytest.raises(TrackerError) as caught:
        one_plan_store.import_plans([(path.name, load_plan_file(path))], user="x")
    assert str(caught.value) == (
        "staffordshire-2024-ilacs.toml: plan.key: the store already has a plan "
        "'staffordshire-2024-ilacs'; use --replace to update it from this file"
    )


def test_every_existing_key_is_listed(sample_store: Store) -> None:
    files = sample_plan_files()
    with pytest.raises(PlanFileError) as caught:
        sample_store.import_plans(
            [("new.toml", a_plan("new-plan"))] + [(p.name, load_plan_file(p)) for p in files],
            user="x",
        )
    assert [line.split(": ")[0] for line in caught.value.problems] == [p.name for p in files]
    assert "new-plan" not in sample_store.plan_keys()


def test_several_plans_go_in_together_or_not_at_all(one_plan_store: Store) -> None:
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    before = one_plan_store.data_stamp()
    with pytest.raises(TrackerError):
        one_plan_store.import_plans(
            [("new.toml", a_plan("new-plan")), (path.name, load_plan_file(path))], user="x"
        )
    assert one_plan_store.plan_keys() == [KEY]
    assert one_plan_store.data_stamp() == before


def test_a_replace_that_only_renames_a_recommendation_changes_the_data_stamp(
    one_plan_store: Store,
) -> None:
    """Open screens poll the stamp: a new recommendation title must show there too."""
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    plan = load_plan_file(path)
    before = one_plan_store.data_stamp()
    plan.recommendations[0] = replace(plan.recommendations[0], title="Front door, renamed")
    one_plan_store.import_plans([(path.name, plan)], replace=True, user="x")
    assert one_plan_store.data_stamp() != before
    (node,) = one_plan_store.tree(settings=RuleSettings(date(2026, 11, 25)))
    assert node.children[0].title == "Front door, renamed"


def test_replace_keeps_ids_and_records_each_changed_field(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    store = one_plan_store
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    plan = load_plan_file(path)
    ids = {r.ref: r.id for r in store.iter_actions(settings=settings)}
    rec = plan.recommendations[0]
    first, *rest = rec.actions
    changed = replace(first, owner="Director of Children's Services", notes="Moved to the DCS")
    gone = rest[0].ref
    added = ActionData(
        ref="R1.99",
        description="A new action",
        owner="Head of Service",
        deadline=date(2027, 3, 31),
        status="not_started",
        progress=0,
    )
    rec.actions = [changed, *rest[1:], added]

    results = store.import_plans([("v2.toml", plan)], replace=True, user="board.secretary")

    assert (results[0].replaced, results[0].added, results[0].updated, results[0].cancelled) == (
        True,
        1,
        1,
        1,
    )
    after = {r.ref: r for r in store.iter_actions(settings=settings)}
    for ref, action_id in ids.items():
        assert after[ref].id == action_id  # same id, never deleted
    assert after[first.ref].owner == "Director of Children's Services"
    assert after[first.ref].updated_by == "board.secretary"
    assert fields(store.history(ids[first.ref])) == [
        ("owner", first.owner, "Director of Children's Services", "replaced from v2.toml"),
        ("notes", first.notes, "Moved to the DCS", "replaced from v2.toml"),
    ]
    assert after[gone].status == "cancelled"
    gone_history = fields(store.history(ids[gone]))
    assert len(gone_history) == 1
    assert gone_history[0][:3] == ("status", rest[0].status, "cancelled")
    assert gone_history[0][3] is not None
    assert gone_history[0][3].startswith("replaced from v2.toml")
    assert after["R1.99"].status == "not_started"
    assert store.history(after["R1.99"].id) == []
    untouched = rest[1].ref
    assert store.history(ids[untouched]) == []


def test_replace_moving_an_action_records_both_recommendations(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    plan = load_plan_file(path)
    first, second = plan.recommendations[0], plan.recommendations[1]
    moved = first.actions[0]
    plan.recommendations[0] = replace(first, actions=first.actions[1:])
    plan.recommendations[1] = replace(second, actions=[*second.actions, moved])
    action_id = one_plan_store.resolve(f"{KEY}:{moved.ref}")
    one_plan_store.import_plans([("moved.toml", plan)], replace=True, user="secretary")
    assert fields(one_plan_store.history(action_id)) == [
        ("recommendation", first.ref, second.ref, "replaced from moved.toml")
    ]
    assert one_plan_store.get_action(action_id, settings=settings).rec_ref == second.ref


def test_replace_with_the_same_file_changes_nothing(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    before = list(one_plan_store.iter_actions(settings=settings))
    results = one_plan_store.import_plans(
        [(path.name, load_plan_file(path))], replace=True, user="x"
    )
    assert (results[0].added, results[0].updated, results[0].cancelled) == (0, 0, 0)
    assert list(one_plan_store.iter_actions(settings=settings)) == before
    assert all(one_plan_store.history(r.id) == [] for r in before)


# --- update --------------------------------------------------------------------------------


def test_each_changed_field_writes_one_entry_carrying_the_note(one_plan_store: Store) -> None:
    result = one_plan_store.update_action(
        R14,
        ActionChanges(status="blocked", owner="Head of Service, Front Door", note="Staffing"),
        user="tl",
    )
    expected = [
        ("status", "in_progress", "blocked", "Staffing"),
        (
            "owner",
            "Assistant Director, Children's Social Care",
            "Head of Service, Front Door",
            "Staffing",
        ),
    ]
    assert fields(result.entries) == expected
    assert fields(one_plan_store.history(result.row.id)) == expected
    history = one_plan_store.history(result.row.id)
    assert {(h.by, h.at) for h in history} == {("tl", NOW)}
    assert result.row.version == 2
    assert result.row.updated_by == "tl"


def test_complete_sets_progress_100_as_its_own_entry(one_plan_store: Store) -> None:
    result = one_plan_store.update_action(
        R14, ActionChanges(status="complete", note="Audit signed off"), user="tl"
    )
    assert fields(result.entries) == [
        ("status", "in_progress", "complete", "Audit signed off"),
        ("progress", "80", "100", "Audit signed off"),
    ]
    assert (result.row.status, result.row.progress) == ("complete", 100)


def test_complete_with_other_progress_is_refused(one_plan_store: Store) -> None:
    with pytest.raises(ValidationError, match="a complete action has progress 100, not 90"):
        one_plan_store.update_action(R14, ActionChanges(status="complete", progress=90), user="x")
    assert one_plan_store.history(one_plan_store.resolve(R14)) == []


def test_a_note_alone_writes_one_note_entry(one_plan_store: Store) -> None:
    result = one_plan_store.update_action(
        R14, ActionChanges(note="Discussed at the board"), user="tl"
    )
    assert fields(result.entries) == [("note", None, None, "Discussed at the board")]
    assert fields(one_plan_store.history(result.row.id)) == fields(result.entries)
    assert result.row.version == 2


def test_values_equal_to_the_current_ones_write_nothing(one_plan_store: Store) -> None:
    before = one_plan_store.get_action(R14)
    result = one_plan_store.update_action(
        R14,
        ActionChanges(
            status="in_progress",
            progress=80,
            owner="Assistant Director, Children's Social Care",
            deadline=date(2026, 9, 30),
            reason="same date",
        ),
        user="tl",
    )
    assert not result.changed
    assert result.entries == []
    assert one_plan_store.history(before.id) == []
    assert one_plan_store.get_action(R14) == before  # version and updated_at untouched


def test_only_the_fields_that_change_are_recorded(one_plan_store: Store) -> None:
    result = one_plan_store.update_action(
        R14, ActionChanges(status="in_progress", progress=85, note="Up"), user="tl"
    )
    assert fields(result.entries) == [("progress", "80", "85", "Up")]


def test_history_grows_by_exactly_one_entry_per_change(one_plan_store: Store) -> None:
    action_id = one_plan_store.resolve(R14)
    one_plan_store.update_action(R14, ActionChanges(progress=85), user="a")
    one_plan_store.update_action(R14, ActionChanges(progress=85), user="b")  # no change
    one_plan_store.update_action(R14, ActionChanges(evidence="Audit report"), user="c")
    one_plan_store.update_action(R14, ActionChanges(evidence=""), user="d")  # cleared
    assert fields(one_plan_store.history(action_id)) == [
        ("progress", "80", "85", None),
        ("evidence", one_plan_store.history(action_id)[1].old, "Audit report", None),
        ("evidence", "Audit report", None, None),
    ]
    assert [h.by for h in one_plan_store.history(action_id)] == ["a", "c", "d"]
    assert one_plan_store.get_action(R14).version == 4


def _first_unrevised(store: Store, settings: RuleSettings) -> str:
    for row in store.iter_actions(filters=Filters(plan=KEY), settings=settings):
        if row.original_deadline is None and row.status == "in_progress":
            return row.address
    raise AssertionError("the sample plan has no in-progress action on its first deadline")


def test_deadline_revision_keeps_the_original_and_carries_the_reason(
    one_plan_store: Store, settings: RuleSettings
) -> None:
    address = _first_unrevised(one_plan_store, settings)
    before = one_plan_store.get_action(address)
    result = one_plan_store.update_action(
        address,
        ActionChanges(deadline=date(2027, 1, 31), reason="Recruitment delayed", note="ignored"),
        user="tl",
    )
    assert fields(result.entries) == [
        ("deadline", before.deadline.isoformat(), "2027-01-31", "Recruitment delayed")
    ]
    row = result.row
    assert (row.deadline, row.original_deadline, row.revisions) == (
        date(2027, 1, 31),
        before.deadline,
        1,
    )
    assert row.slippage_days == (date(2027, 1, 31) - before.deadline).days
    # A second revision keeps the first baseline.
    second = one_plan_store.update_action(
        address, ActionChanges(deadline=date(2027, 3, 31), reason="Again"), user="tl"
    ).row
    assert (second.original_deadline, second.revisions) == (before.deadline, 2)


def test_a_revised_deadline_keeps_its_existing_baseline(one_plan_store: Store) -> None:
    row = one_plan_store.update_action(
        R14, ActionChanges(deadline=date(2026, 12, 31), reason="Board agreed"), user="tl"
    ).row
    assert row.original_deadline == date(2025, 3, 31)


def test_changing_a_deadline_needs_a_reason(one_plan_store: Store) -> None:
    for reason in (None, "   "):
        with pytest.raises(ValidationError, match="changing a deadline needs a reason"):
            one_plan_store.update_action(
                R14, ActionChanges(deadline=date(2027, 1, 31), reason=reason), user="tl"
            )
    assert one_plan_store.history(one_plan_store.resolve(R14)) == []
    assert one_plan_store.get_action(R14).deadline == date(2026, 9, 30)


def test_a_deadline_before_the_start_is_refused_and_on_the_start_is_taken(
    one_plan_store: Store,
) -> None:
    """A plan keeps start on or before deadline, so export-plan always imports back."""
    before = one_plan_store.get_action(R14)
    assert before.start == date(2024, 2, 1)
    with pytest.raises(ValidationError, match="2024-01-31 is before the action's start 2024-02-01"):
        one_plan_store.update_action(
            R14, ActionChanges(deadline=date(2024, 1, 31), reason="Typo"), user="tl"
        )
    assert one_plan_store.get_action(R14) == before
    assert one_plan_store.history(before.id) == []
    row = one_plan_store.update_action(
        R14, ActionChanges(deadline=date(2024, 2, 1), reason="Backdated by the board"), user="tl"
    ).row
    assert row.deadline == row.start


def test_an_expected_version_ahead_of_the_store_says_so(one_plan_store: Store) -> None:
    with pytest.raises(StaleWriteError, match="the action is at version 1, not 99"):
        one_plan_store.update_action(R14, ActionChanges(note="x"), user="tl", expected_version=99)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (ActionChanges(status="done"), "'done' is not a status"),
        (ActionChanges(progress=101), "progress must be a whole number 0-100, not 101"),
        (ActionChanges(owner="  "), "the owner must not be empty"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_written(
    one_plan_store: Store, changes: ActionChanges, message: str
) -> None:
    before = one_plan_store.get_action(R14)
    with pytest.raises(ValidationError, match=message):
        one_plan_store.update_action(R14, changes, user="tl")
    assert one_plan_store.get_action(R14) == before
    assert one_plan_store.history(before.id) == []


def test_a_stale_version_is_refused(one_plan_store: Store) -> None:
    one_plan_store.update_action(R14, ActionChanges(progress=85), user="a", expected_version=1)
    with pytest.raises(StaleWriteError, match="someone else changed this action"):
        one_plan_store.update_action(R14, ActionChanges(progress=90), user="b", expected_version=1)
    row = one_plan_store.get_action(R14)
    assert (row.progress, row.version) == (85, 2)
    assert len(one_plan_store.history(row.id)) == 1


def test_actions_are_named_plan_key_colon_ref(sample_store: Store) -> None:
    assert sample_store.get_action(R14).ref == "R1.4"
    with pytest.raises(NotFoundError, match="no plan 'nope' in the store"):
        sample_store.resolve("nope:R1.4")
    with pytest.raises(NotFoundError, match=f"no action 'R9.9' in plan '{KEY}'"):
        sample_store.resolve(f"{KEY}:R9.9")
    with pytest.raises(NotFoundError, match=r"'R1\.4' is in more than one plan: say which"):
        sample_store.resolve("R1.4")


# --- filters -------------------------------------------------------------------------------


def test_filters(sample_store: Store, settings: RuleSettings) -> None:
    every = list(sample_store.iter_actions(settings=settings))

    def refs(filters: Filters) -> list[str]:
        return [r.address for r in sample_store.iter_actions(filters=filters, settings=settings)]

    assert refs(Filters(plan=KEY)) == [r.address for r in every if r.plan_key == KEY]
    assert refs(Filters(plan=KEY, rec="R2")) == [
        r.address for r in every if r.plan_key == KEY and r.rec_ref == "R2"
    ]
    assert refs(Filters(owner="head of service")) == [
        r.address for r in every if "head of service" in r.owner.lower()
    ]
    assert refs(Filters(statuses=("blocked", "complete"))) == [
        r.address for r in every if r.status in ("blocked", "complete")
    ]
    overdue = refs(Filters(overdue=True))
    due_soon = refs(Filters(due_soon=True))
    assert overdue == [r.address for r in every if r.overdue(settings.today)]
    assert due_soon == [r.address for r in every if r.due_soon(settings)]
    assert refs(Filters(rag="RED")) == [r.address for r in every if r.rag(settings) == "RED"]
    assert refs(Filters(search="R1.4")) == [r.address for r in every if "R1.4" in r.ref]
    assert overdue  # the sample plans have overdue actions at the pinned today
    counts = sample_store.view_counts(settings=settings)
    assert counts.total == len(every)
    assert counts.overdue == len(overdue)
    assert counts.due_soon == len(due_soon)


RAG_ORDER = ["RED", "AMBER", "GREEN", "BLUE", None]


def test_sort_by_rag_lists_the_worst_first_in_natural_order_within_each(
    sample_store: Store, settings: RuleSettings
) -> None:
    every = list(sample_store.iter_actions(settings=settings))
    ratings = [r.rag(settings) for r in every]
    assert set(RAG_ORDER) <= set(ratings)  # the sample plans hold every RAG and a cancelled
    expected = [r.address for rating in RAG_ORDER for r in every if r.rag(settings) == rating]
    page = sample_store.page_actions(settings=settings, sort="rag", limit=len(every) + 1)
    assert [r.address for r in page] == expected
    streamed = sample_store.iter_actions(settings=settings, sort="rag")
    assert [r.address for r in streamed] == expected

    # Reversed: BLUE first, RED last, ties still in natural order; no RAG still comes last.
    reversed_order = ["BLUE", "GREEN", "AMBER", "RED", None]
    backwards = [r.address for rating in reversed_order for r in every if r.rag(settings) == rating]
    page = sample_store.page_actions(
        settings=settings, sort="rag", descending=True, limit=len(every) + 1
    )
    assert [r.address for r in page] == backwards


def test_sort_by_rag_follows_the_settings(sample_store: Store, settings: RuleSettings) -> None:
    later = replace(settings, today=date(2027, 6, 1), tolerance_days=5, due_soon_days=60)
    every = list(sample_store.iter_actions(settings=later))
    expected = [r.address for rating in RAG_ORDER for r in every if r.rag(later) == rating]
    got = [r.address for r in sample_store.iter_actions(settings=later, sort="rag")]
    assert got == expected
    assert got != [r.address for rating in RAG_ORDER for r in every if r.rag(settings) == rating]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(
    "filters", [Filters(), Filters(statuses=("not_started", "in_progress", "cancelled"))]
)
def test_action_position_under_the_rag_sort_is_the_index_in_the_sorted_list(
    sample_store: Store, settings: RuleSettings, descending: bool, filters: Filters
) -> None:
    rows = list(
        sample_store.iter_actions(
            filters=filters, settings=settings, sort="rag", descending=descending
        )
    )
    assert len(rows) > 4
    picks = {0, len(rows) // 2, len(rows) - 1}
    # The first and last action of each RAG too: the edges of every tie.
    for rating in RAG_ORDER:
        group = [i for i, r in enumerate(rows) if r.rag(settings) == rating]
        picks.update(group[:1] + group[-1:])
    for index in sorted(picks):
        position = sample_store.action_position(
            rows[index].id, filters=filters, settings=settings, sort="rag", descending=descending
        )
        assert position == index, rows[index].address
    shown = {r.id for r in rows}
    for row in sample_store.iter_actions(settings=settings):
        if row.id not in shown:
            position = sample_store.action_position(
                row.id, filters=filters, settings=settings, sort="rag", descending=descending
            )
            assert position is None
            break


# --- the SQLite store ----------------------------------------------------------------------


def test_owner_and_search_ignore_case_beyond_ascii(
    empty_store: Store, settings: RuleSettings, db_url: str
) -> None:
    """ "équipe" finds "Équipe Sécurité" on every engine, and through the fast reader."""
    plan = a_plan(refs=("R1.1", "R1.2"))
    first, second = plan.recommendations[0].actions
    actions = [replace(first, owner="Équipe Sécurité"), replace(second, owner="Head of Service")]
    plan = replace(plan, recommendations=[replace(plan.recommendations[0], actions=actions)])
    empty_store.import_plans([("p.toml", plan)], user="seed")
    for filters in (Filters(owner="équipe"), Filters(owner="SÉCURITÉ"), Filters(search="éQUIPE")):
        rows = list(empty_store.iter_actions(filters=filters, settings=settings))
        assert [r.ref for r in rows] == ["R1.1"], filters
    if db_url.startswith("sqlite"):
        from tracker.storage.fastread import FastReader

        reader = FastReader.open(db_url.removeprefix("sqlite:///"))
        assert reader is not None
        try:
            rows = list(reader.iter_actions(filters=Filters(owner="équipe"), settings=settings))
            assert [r.ref for r in rows] == ["R1.1"]
        finally:
            reader.close()


def test_sqlite_is_opened_with_wal_foreign_keys_a_busy_timeout_and_a_schema_version(
    sqlite_url: str,
) -> None:
    store = Store.open(sqlite_url)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
            version = conn.exec_driver_sql(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).scalar()
        assert version == str(SCHEMA_VERSION)
    finally:
        store.close()


# --- history, as a property -----------------------------------------------------------------

_CHANGES = st.builds(
    ActionChanges,
    status=st.none() | st.sampled_from(STATUSES),
    progress=st.none() | st.sampled_from([0, 50, 100]),
    owner=st.none() | st.sampled_from(["Head of Service", "Team Manager"]),
    evidence=st.none() | st.sampled_from(["", "Audit report"]),
    note=st.none() | st.sampled_from(["", "Board asked", "Chased"]),
)


@hyp_settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_CHANGES, min_size=1, max_size=6))
def test_every_update_writes_one_entry_per_changed_field_and_nothing_else(
    steps: list[ActionChanges],
) -> None:
    """Against a model of the rules: which fields change, what history says, what is refused."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'h.db'}")
        try:
            store.import_plans([("p.toml", a_plan(refs=("R1.1",)))], user="seed")
            state: dict[str, object] = {
                "status": "not_started",
                "progress": 0,
                "owner": "Head of Service",
                "evidence": None,
            }
            written = 0
            for change in steps:
                status = change.status or state["status"]
                progress = change.progress
                if status == "complete" and change.status is not None and progress is None:
                    progress = 100
                if status == "complete" and progress is not None and progress != 100:
                    with pytest.raises(ValidationError):
                        store.update_action("p:R1.1", change, user="u")
                    continue
                new = {
                    "status": status,
                    "progress": state["progress"] if progress is None else progress,
                    "owner": change.owner or state["owner"],
                    "evidence": state["evidence"]
                    if change.evidence is None
                    else (change.evidence or None),
                }
                expected = [name for name in state if new[name] != state[name]]
                if not expected and change.note:
                    expected = ["note"]
                result = store.update_action("p:R1.1", change, user="u")
                assert [e.field for e in result.entries] == expected
                assert {e.note for e in result.entries} <= {change.note or None}
                state = new
                written += len(expected)
                row = result.row
                assert (row.status, row.progress, row.owner, row.evidence) == tuple(new.values())
            assert len(store.history(store.resolve("p:R1.1"))) == written
        finally:
            store.close()
