"""The update rules (domain/updates.py), working days and next refs: pure, no store."""

from __future__ import annotations

from datetime import date

import pytest

from tracker.domain.records import ActionChanges
from tracker.domain.updates import (
    ActionState,
    NewAction,
    check_new_action,
    next_action_ref,
    next_rec_ref,
    plan_update,
)
from tracker.domain.workdays import is_working_day, plan_due, working_days_after

NOW = ActionState(
    status="in_progress",
    progress=40,
    owner="Head of Service",
    deadline=date(2027, 3, 31),
    description="Audit supervision",
    start=date(2026, 1, 5),
)


def test_completing_sets_progress_100_as_its_own_entry() -> None:
    plan = plan_update(NOW, ActionChanges(status="complete", note="done"))
    assert plan.ok
    assert [(e.field, e.old, e.new, e.note) for e in plan.entries] == [
        ("status", "in_progress", "complete", "done"),
        ("progress", "40", "100", "done"),
    ]
    assert plan.values == {"status": "complete", "progress": 100}


def test_complete_with_other_progress_is_a_problem_on_progress() -> None:
    plan = plan_update(NOW, ActionChanges(status="complete", progress=50))
    assert not plan.ok
    assert plan.by_field() == {"progress": "a complete action has progress 100, not 50"}
    assert plan.entries == []
    assert plan.values == {}


def test_a_moved_deadline_needs_a_reason_and_keeps_the_original() -> None:
    assert plan_update(NOW, ActionChanges(deadline=date(2027, 6, 30))).by_field() == {
        "reason": "changing a deadline needs a reason"
    }
    plan = plan_update(NOW, ActionChanges(deadline=date(2027, 6, 30), reason="new cohort"))
    assert plan.values == {
        "deadline": date(2027, 6, 30),
        "revisions": 1,
        "original_deadline": date(2027, 3, 31),
    }
    assert [(e.field, e.note) for e in plan.entries] == [("deadline", "new cohort")]


def test_a_deadline_before_the_start_and_a_start_after_the_deadline_are_refused() -> None:
    early = plan_update(NOW, ActionChanges(deadline=date(2025, 12, 1), reason="typo"))
    assert early.by_field() == {
        "deadline": "the deadline 2025-12-01 is before the action's start 2026-01-05"
    }
    late_start = plan_update(NOW, ActionChanges(start=date(2027, 4, 1)))
    assert late_start.by_field() == {
        "start": "the start 2027-04-01 is after the action's deadline 2027-03-31"
    }
    # Moving both together is judged on the new pair.
    both = plan_update(
        NOW, ActionChanges(start=date(2027, 4, 1), deadline=date(2027, 5, 1), reason="later")
    )
    assert both.ok


def test_every_field_changes_with_one_entry_each_and_equal_values_change_nothing() -> None:
    plan = plan_update(
        NOW,
        ActionChanges(
            description=" Audit supervision monthly ",
            partner="Police",
            measure="90% audited",
            notes="see minutes",
            start=date(2026, 2, 1),
            owner="Head of Service",  # the same: no entry
        ),
    )
    assert [e.field for e in plan.entries] == [
        "start",
        "description",
        "partner",
        "measure",
        "notes",
    ]
    assert plan.values["description"] == "Audit supervision monthly"
    assert not plan_update(NOW, ActionChanges(owner="Head of Service")).changed
    note_only = plan_update(NOW, ActionChanges(note="discussed at board"))
    assert [(e.field, e.note) for e in note_only.entries] == [("note", "discussed at board")]


def test_clearing_optional_fields() -> None:
    state = NOW
    with_partner = ActionState(
        status=state.status,
        progress=state.progress,
        owner=state.owner,
        deadline=state.deadline,
        description=state.description,
        start=state.start,
        partner="Police",
    )
    plan = plan_update(with_partner, ActionChanges(partner="", clear_start=True))
    assert [(e.field, e.old, e.new) for e in plan.entries] == [
        ("start", "2026-01-05", None),
        ("partner", "Police", None),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (ActionChanges(owner="  "), "owner", "the owner must not be empty"),
        (ActionChanges(description=""), "description", "the description must not be empty"),
        (ActionChanges(status="done"), "status", "'done' is not a status"),
        (ActionChanges(progress=101), "progress", "progress must be a whole number 0-100"),
        (ActionChanges(owner="x" * 301), "owner", "longer than 300 characters"),
        (ActionChanges(notes="a\x00b"), "notes", "must not contain a NUL character"),
    ],
)
def test_bad_values_are_problems_naming_their_field(
    changes: ActionChanges, field: str, message: str
) -> None:
    plan = plan_update(NOW, changes)
    assert field in plan.by_field()
    assert message in plan.by_field()[field]


def test_a_new_action_is_checked_by_the_same_rules() -> None:
    ok = NewAction(description="Audit", owner="AD", deadline=date(2027, 1, 1), status="complete")
    assert check_new_action(ok) == []
    assert ok.effective_progress == 100
    bad = NewAction(
        description=" ",
        owner="AD",
        deadline=date(2027, 1, 1),
        start=date(2027, 2, 1),
        ref="R1:1",
    )
    assert [p.field for p in check_new_action(bad)] == ["ref", "description", "start"]


def test_next_refs_in_natural_order() -> None:
    assert next_rec_ref(["R1", "R2", "R4", "Extra"]) == "R5"
    assert next_rec_ref([]) == "R1"
    under = [f"R2.{n}" for n in range(1, 11)]
    assert next_action_ref("R2", under) == "R2.11"
    assert next_action_ref("R3", []) == "R3.1"
    # A ref used elsewhere in the plan (or once held by a moved action) is skipped.
    assert next_action_ref("R3", [], taken=["R3.1"]) == "R3.2"


def test_seventy_working_days_after_publication() -> None:
    assert plan_due(date(2024, 1, 12)) == date(2024, 4, 23)
    # Good Friday, Easter Monday, Christmas Day and Boxing Day are not working days.
    assert not is_working_day(date(2024, 3, 29))
    assert not is_working_day(date(2024, 4, 1))
    assert not is_working_day(date(2025, 12, 25))
    assert not is_working_day(date(2025, 12, 26))
    assert not is_working_day(date(2024, 1, 13))  # a Saturday
    assert working_days_after(date(2025, 12, 24), 1) == date(2025, 12, 29)
