"""The Store's doors for changing the plan: every one a thin wrapper that opens one write
transaction, runs the matching function of `authoring` (or `undo`) with a `Recorder`, and
returns a plain result. The CLI and the TUI both call these; neither writes SQL.

`Store` inherits this class; it needs the Store's `_write`, `resolve` and `get_action`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from tracker.domain import dates
from tracker.domain.errors import ValidationError
from tracker.domain.plan import JudgementData
from tracker.domain.records import ActionChanges, ActionRow, HistoryEntry, UpdateResult
from tracker.domain.rules import RuleSettings
from tracker.domain.updates import ActionEdit, FieldChange, NewAction
from tracker.storage import authoring, undo
from tracker.storage.authoring import PlanFields, Recorder

__all__ = ["ChangingStore", "PlanFields", "UndoResult"]

T = TypeVar("T")

UndoResult = undo.UndoResult


@dataclass(frozen=True, slots=True)
class BulkResult:
    """What one bulk edit wrote: per action, its address and the entries written."""

    changed: list[tuple[str, list[HistoryEntry]]]

    @property
    def count(self) -> int:
        return sum(1 for _, entries in self.changed if entries)


class ChangingStore:
    """Creating and reshaping plans, recommendations and actions; undo. Mixed into Store."""

    if TYPE_CHECKING:

        def _write(self, work: Callable[[Session], T]) -> T: ...

        def _reading(self) -> AbstractContextManager[Session]: ...

        def resolve(self, address: str | int) -> int: ...

        def get_action(
            self, address: str | int, *, settings: RuleSettings | None = None
        ) -> ActionRow: ...

    def _record(self, user: str, command: str, work: Callable[[Session, Recorder], T]) -> T:
        """Run `work` in one write transaction and write its change group with it."""
        now = dates.now_utc()

        def run(session: Session) -> T:
            recorder = Recorder(session, user=user, now=now, command=command)
            result = work(session, recorder)
            recorder.finish()
            return result

        return self._write(run)

    # --- actions --------------------------------------------------------------------------

    def update_action(
        self,
        address: str | int,
        changes: ActionChanges,
        *,
        user: str,
        expected_version: int | None = None,
        settings: RuleSettings | None = None,
        command: str = "update",
    ) -> UpdateResult:
        """Apply a user's changes to one action, writing one history entry per changed field.

        The rules are `domain.updates.plan_update`. The read and the write are one
        transaction. With `expected_version` (what the user saw), a change made by someone
        else since then refuses the write.
        """
        action_id = self.resolve(address)
        now = dates.now_utc()

        def work(session: Session) -> list[HistoryEntry]:
            recorder = Recorder(session, user=user, now=now, command=command)
            authoring.apply_update(
                session, recorder, action_id, address, changes, expected_version=expected_version
            )
            return recorder.finish()

        entries = self._write(work)
        return UpdateResult(entries=entries, row=self.get_action(action_id, settings=settings))

    def update_actions(
        self, edits: Sequence[ActionEdit], *, user: str, command: str = "bulk edit"
    ) -> BulkResult:
        """Apply changes to several actions in one transaction and one change group.

        Each action gets its own history entries; one stale or refused action refuses the
        whole edit (nothing is written), naming that action.
        """
        ids = [(edit, self.resolve(edit.target)) for edit in edits]
        now = dates.now_utc()

        def work(session: Session) -> BulkResult:
            recorder = Recorder(session, user=user, now=now, command=command)
            marks: list[tuple[str, int]] = []
            for edit, action_id in ids:
                before = len(recorder.actions)
                try:
                    authoring.apply_update(
                        session,
                        recorder,
                        action_id,
                        edit.target,
                        edit.changes,
                        expected_version=edit.expected_version,
                    )
                except ValidationError as exc:
                    # Several actions: say which one the rules refused.
                    raise ValidationError(f"{edit.target}: {exc}", field=exc.field) from None
                marks.append((str(edit.target), before))
            entries = recorder.finish()
            out: list[tuple[str, list[HistoryEntry]]] = []
            bounds = [m[1] for m in marks] + [len(entries)]
            for i, (target, start) in enumerate(marks):
                out.append((target, entries[start : bounds[i + 1]]))
            return BulkResult(out)

        return self._write(work)

    def add_action(
        self,
        plan_key: str,
        rec_ref: str,
        new: NewAction,
        *,
        user: str,
        note: str | None = None,
    ) -> str:
        """Add an action under `plan_key:rec_ref`; return its address (`KEY:REF`)."""
        return self._record(
            user,
            "add-action",
            lambda s, r: authoring.add_action(
                s, r, plan_key=plan_key, rec_ref=rec_ref, new=new, note=note
            ),
        )

    def move_action(
        self,
        address: str | int,
        *,
        to_plan_key: str,
        to_rec_ref: str,
        user: str,
        ref: str | None = None,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> tuple[str, str]:
        """Move an action under another recommendation of its plan: (old, new) address."""
        action_id = self.resolve(address)
        return self._record(
            user,
            "move",
            lambda s, r: authoring.move_action(
                s,
                r,
                action_id,
                address,
                to_plan_key=to_plan_key,
                to_rec_ref=to_rec_ref,
                ref=ref,
                note=note,
                expected_version=expected_version,
            ),
        )

    def carry_forward(
        self, old_key: str, new_key: str, *, user: str, note: str | None = None
    ) -> list[tuple[str, str]]:
        """Move every open action of `old_key` to `new_key`: (old, new) address each."""
        return self._record(
            user,
            "carry-forward",
            lambda s, r: authoring.carry_forward(s, r, old_key=old_key, new_key=new_key, note=note),
        )

    # --- plans and recommendations ----------------------------------------------------------

    def new_plan(
        self,
        key: str,
        fields: PlanFields,
        *,
        user: str,
        judgements: Sequence[JudgementData] = (),
        note: str | None = None,
    ) -> date | None:
        """Create an empty plan; return the due date it set (70 working days if not given)."""
        return self._record(
            user,
            "new-plan",
            lambda s, r: authoring.new_plan(
                s, r, key=key, fields=fields, judgements=judgements, note=note
            ),
        )

    def edit_plan(
        self,
        key: str,
        fields: PlanFields,
        *,
        user: str,
        judgements: Sequence[JudgementData] = (),
        remove_judgements: Sequence[str] = (),
        note: str | None = None,
        expected: Mapping[str, Any] | None = None,
    ) -> int:
        """Change a plan's own fields and judgements; return how many changes were made."""
        return self._record(
            user,
            "edit-plan",
            lambda s, r: authoring.edit_plan(
                s,
                r,
                key=key,
                fields=fields,
                judgements=judgements,
                remove_judgements=remove_judgements,
                note=note,
                expected=expected,
            ),
        )

    def add_recommendation(
        self,
        plan_key: str,
        *,
        title: str,
        user: str,
        ref: str | None = None,
        text: str | None = None,
        area: str | None = None,
        note: str | None = None,
    ) -> str:
        """Add a recommendation; return its ref."""
        return self._record(
            user,
            "add-rec",
            lambda s, r: authoring.add_recommendation(
                s, r, plan_key=plan_key, title=title, ref=ref, text=text, area=area, note=note
            ),
        )

    def edit_recommendation(
        self,
        plan_key: str,
        ref: str,
        changes: Mapping[str, str | None],
        *,
        user: str,
        note: str | None = None,
        expected: Mapping[str, Any] | None = None,
    ) -> list[FieldChange]:
        """Change a recommendation's title, text or area; return what changed."""
        return self._record(
            user,
            "edit-rec",
            lambda s, r: authoring.edit_recommendation(
                s, r, plan_key=plan_key, ref=ref, changes=changes, note=note, expected=expected
            ),
        )

    def plan_history(self, plan_key: str) -> list[dict[str, Any]]:
        """Changes to a plan's own fields, judgements and recommendations, oldest first."""
        with self._reading() as session:
            return authoring.plan_history(session, plan_key)

    # --- undo -----------------------------------------------------------------------------

    def undo(self, *, user: str, dry_run: bool = False) -> UndoResult:
        """Revert the user's latest change group (one command or one save) with new history.

        Refused, naming the change, when someone has changed any of those fields since.
        With `dry_run`, says what it would revert and changes nothing.
        """
        now = dates.now_utc()

        if dry_run:
            with self._reading() as session:
                return undo.undo_latest(session, user=user, now=now, dry_run=True)
        return self._write(
            lambda session: undo.undo_latest(session, user=user, now=now, dry_run=False)
        )
