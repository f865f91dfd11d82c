"""The update rules, once, for every door (the store, the CLI, the TUI's forms).

`plan_update` takes an action's current values and the changes a user asked for and
returns either the field changes to record (each with its history entry) or the list of
problems, each naming its field. The rules: a status is one of five words; progress is a
whole number 0-100 and a complete action has 100 (completing sets it); owner and
description are never empty; text has a length limit and no NUL; changing a deadline needs
a reason, keeps the first deadline as `original_deadline` and counts a revision; the
deadline is never before the start. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from tracker.domain.errors import ValidationError
from tracker.domain.plan import LONG, MEDIUM, SHORT
from tracker.domain.records import ActionChanges, ActionRow
from tracker.domain.rules import STATUSES
from tracker.domain.text import is_blank

__all__ = [
    "REF_MAX",
    "TEXT_LIMITS",
    "ActionEdit",
    "ActionState",
    "FieldChange",
    "NewAction",
    "Problem",
    "UpdatePlan",
    "check_key",
    "check_new_action",
    "check_ref",
    "check_text",
    "next_action_ref",
    "next_rec_ref",
    "plan_update",
]

REF_MAX = 100

# The longest text each field may hold (the same limits a plan file has).
TEXT_LIMITS: dict[str, int] = {
    "description": LONG,
    "owner": SHORT,
    "partner": MEDIUM,
    "measure": LONG,
    "evidence": LONG,
    "notes": LONG,
    "note": LONG,
    "reason": LONG,
    "title": MEDIUM,
    "text": LONG,
    "area": MEDIUM,
    "authority": SHORT,
    "inspection_type": SHORT,
    "framework": SHORT,
    "overall_judgement": SHORT,
    "grade": SHORT,
}


@dataclass(frozen=True, slots=True)
class ActionState:
    """The values of an action the rules look at (what the store holds now)."""

    status: str
    progress: int
    owner: str
    deadline: date
    description: str = ""
    original_deadline: date | None = None
    start: date | None = None
    partner: str | None = None
    measure: str | None = None
    evidence: str | None = None
    notes: str | None = None
    revisions: int = 0

    @classmethod
    def of(cls, row: ActionRow) -> ActionState:
        """The state of an action as the store returned it."""
        return cls(
            status=row.status,
            progress=row.progress,
            owner=row.owner,
            deadline=row.deadline,
            description=row.description,
            original_deadline=row.original_deadline,
            start=row.start,
            partner=row.partner,
            measure=row.measure,
            evidence=row.evidence,
            notes=row.notes,
            revisions=row.revisions,
        )


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One history entry to write: the field, its old and new value as text, the note."""

    field: str
    old: str | None
    new: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one requested change; `field` names it (None: the whole change)."""

    field: str | None
    message: str


@dataclass(frozen=True, slots=True)
class UpdatePlan:
    """The outcome of the rules: column values to write and their history, or problems."""

    values: dict[str, Any] = field(default_factory=dict)
    entries: list[FieldChange] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def changed(self) -> bool:
        return bool(self.entries)

    def by_field(self) -> dict[str | None, str]:
        """Each field's first problem, for a form that shows it beside the field."""
        out: dict[str | None, str] = {}
        for problem in self.problems:
            out.setdefault(problem.field, problem.message)
        return out

    def raise_first(self) -> None:
        """Raise the first problem as a ValidationError (for doors that stop at one)."""
        if self.problems:
            first = self.problems[0]
            raise ValidationError(first.message, field=first.field)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def check_text(name: str, value: str | None, *, required: bool = False) -> str | None:
    """What is wrong with a text value for field `name` (None when it is acceptable)."""
    if value is None:
        return None
    if "\x00" in value:
        # No engine keeps text with NUL faithfully (PostgreSQL refuses it outright).
        return f"the {name} must not contain a NUL character"
    limit = TEXT_LIMITS.get(name, LONG)
    if len(value) > limit:
        return f"the {name} is longer than {limit:,} characters ({len(value):,})"
    if required and is_blank(value):  # zero-width characters alone are blank too
        return f"the {name} must not be empty"
    return None


def check_ref(ref: str, *, what: str = "ref") -> str | None:
    """What is wrong with a recommendation's or action's ref (None when it is usable)."""
    if not ref:
        return f"the {what} must not be empty"
    if len(ref) > REF_MAX:
        return f"the {what} is {len(ref):,} characters long; at most {REF_MAX} are allowed"
    if ref != ref.strip() or ":" in ref or not ref.isprintable():
        return (
            f"the {what} {ref!r} must not contain ':', tabs, newlines, control characters "
            "or outer spaces"
        )
    return None


def plan_update(current: ActionState, changes: ActionChanges) -> UpdatePlan:
    """The field changes `changes` makes to an action in `current`, or what is wrong.

    Values equal to the current ones change nothing; a note alone is one entry with field
    `note`. `--reason` is the note of the deadline entry.
    """
    problems: list[Problem] = []
    for name in (
        "owner",
        "description",
        "partner",
        "measure",
        "evidence",
        "notes",
        "note",
        "reason",
    ):
        message = check_text(
            name, getattr(changes, name), required=name in ("owner", "description")
        )
        if message:
            problems.append(Problem(name, message))
    if changes.status is not None and changes.status not in STATUSES:
        problems.append(
            Problem(
                "status", f"{changes.status!r} is not a status: use one of {', '.join(STATUSES)}"
            )
        )
    if changes.progress is not None and not 0 <= changes.progress <= 100:
        problems.append(
            Problem("progress", f"progress must be a whole number 0-100, not {changes.progress}")
        )

    note = changes.note if changes.note and changes.note.strip() else None
    values: dict[str, Any] = {}
    entries: list[FieldChange] = []

    def change(name: str, old: object, new: object, entry_note: str | None = note) -> None:
        values[name] = new
        entries.append(FieldChange(name, _text(old), _text(new), entry_note))

    if changes.status is not None and changes.status != current.status:
        change("status", current.status, changes.status)
    new_status = values.get("status", current.status)
    new_progress = changes.progress
    if new_status == "complete" and changes.status is not None and new_progress is None:
        new_progress = 100
    if new_status == "complete" and new_progress is not None and new_progress != 100:
        problems.append(
            Problem("progress", f"a complete action has progress 100, not {new_progress}")
        )
    if new_progress is not None and new_progress != current.progress:
        change("progress", current.progress, new_progress)
    if changes.owner is not None and changes.owner.strip() != current.owner:
        change("owner", current.owner, changes.owner.strip())

    new_start = current.start
    if changes.clear_start:
        new_start = None
    elif changes.start is not None:
        new_start = changes.start
    new_deadline = changes.deadline if changes.deadline is not None else current.deadline
    if changes.deadline is not None and changes.deadline != current.deadline:
        reason = changes.reason.strip() if changes.reason else ""
        if not reason:
            problems.append(Problem("reason", "changing a deadline needs a reason"))
        if new_start is not None and changes.deadline < new_start:
            # A plan keeps start on or before deadline, so export-plan stays importable.
            problems.append(
                Problem(
                    "deadline",
                    f"the deadline {changes.deadline.isoformat()} is before the action's "
                    f"start {new_start.isoformat()}",
                )
            )
        change("deadline", current.deadline, changes.deadline, changes.reason)
        values["revisions"] = current.revisions + 1
        if current.original_deadline is None:
            values["original_deadline"] = current.deadline
    elif changes.deadline is not None and changes.reason is not None and not changes.reason.strip():
        problems.append(Problem("reason", "changing a deadline needs a reason"))
    if new_start != current.start:
        if new_start is not None and new_start > new_deadline and "deadline" not in values:
            problems.append(
                Problem(
                    "start",
                    f"the start {new_start.isoformat()} is after the action's deadline "
                    f"{new_deadline.isoformat()}",
                )
            )
        change("start", current.start, new_start)

    if changes.description is not None and changes.description.strip() != current.description:
        change("description", current.description, changes.description.strip())
    for name in ("partner", "measure", "evidence", "notes"):
        requested = getattr(changes, name)
        if requested is None:
            continue
        new_value = requested if name in ("evidence", "notes") else requested.strip()
        new_value = new_value or None
        if new_value != getattr(current, name):
            change(name, getattr(current, name), new_value)

    if not entries and note:
        entries.append(FieldChange("note", None, None, note))
    if problems:
        return UpdatePlan(problems=problems)
    return UpdatePlan(values=values, entries=entries)


@dataclass(frozen=True, slots=True)
class ActionEdit:
    """One action's changes in a bulk edit: which action, what, and the version seen."""

    target: str | int
    changes: ActionChanges
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class NewAction:
    """An action a user adds; `ref` None takes the next ref under its recommendation."""

    description: str
    owner: str
    deadline: date
    ref: str | None = None
    status: str = "not_started"
    progress: int | None = None
    partner: str | None = None
    start: date | None = None
    measure: str | None = None
    evidence: str | None = None
    notes: str | None = None

    @property
    def effective_progress(self) -> int:
        """The progress it is stored with: 100 for a complete action unless given."""
        if self.progress is not None:
            return self.progress
        return 100 if self.status == "complete" else 0


def check_new_action(new: NewAction) -> list[Problem]:
    """What is wrong with an action a user is adding (empty when it can be added)."""
    problems: list[Problem] = []
    if new.ref is not None and (message := check_ref(new.ref)):
        problems.append(Problem("ref", message))
    for name in ("description", "owner", "partner", "measure", "evidence", "notes"):
        message = check_text(name, getattr(new, name), required=name in ("description", "owner"))
        if message:
            problems.append(Problem(name, message))
    if new.status not in STATUSES:
        problems.append(
            Problem("status", f"{new.status!r} is not a status: use one of {', '.join(STATUSES)}")
        )
    if new.progress is not None and not 0 <= new.progress <= 100:
        problems.append(
            Problem("progress", f"progress must be a whole number 0-100, not {new.progress}")
        )
    elif new.status == "complete" and new.effective_progress != 100:
        problems.append(
            Problem("progress", f"a complete action has progress 100, not {new.progress}")
        )
    if new.start is not None and new.start > new.deadline:
        problems.append(
            Problem(
                "start",
                f"the start {new.start.isoformat()} is after the deadline "
                f"{new.deadline.isoformat()}",
            )
        )
    return problems


KEY_MAX = 200


def check_key(key: str) -> str | None:
    """What is wrong with a new plan's key (None when it is usable)."""
    if not (
        0 < len(key) <= KEY_MAX
        and key[0].isalnum()
        and all(c.isalnum() or c in "-_." for c in key)
        and key.isascii()
    ):
        return (
            f"{key[:KEY_MAX]!r} is not a usable plan key: use letters, digits, '-', '_' or '.' "
            f"(at most {KEY_MAX}, starting with a letter or digit)"
        )
    return None


# --- refs ---------------------------------------------------------------------------------

_TRAILING_NUMBER = re.compile(r"(\d+)$")


def next_rec_ref(refs: Iterable[str]) -> str:
    """One more than the highest `R<n>` among a plan's recommendations (`R5` after `R4`)."""
    highest = 0
    for ref in refs:
        found = re.fullmatch(r"[Rr](\d+)", ref)
        if found:
            highest = max(highest, int(found.group(1)))
    return f"R{highest + 1}"


def next_action_ref(rec_ref: str, under: Iterable[str], taken: Iterable[str] = ()) -> str:
    """The next ref under a recommendation: one more than the highest number there.

    `under` are the refs of the recommendation's actions: `R2.11` follows `R2.10`. A ref
    of the form `<rec>.<n>` counts by its `n`; others count by a trailing number. The ref
    skips any in `taken` (the rest of the plan), so it is always free.
    """
    highest = 0
    prefix = f"{rec_ref}."
    for ref in under:
        tail = ref[len(prefix) :] if ref.startswith(prefix) else ref
        found = _TRAILING_NUMBER.search(tail)
        if found:
            highest = max(highest, int(found.group(1)))
    used = set(taken) | set(under)
    candidate = highest + 1
    while f"{prefix}{candidate}" in used:
        candidate += 1
    return f"{prefix}{candidate}"
