"""What the main screen's workers send back: one message per answer from the store.

Workers run in threads and never touch a widget; they post one of these and the main
screen's handler (`on_<snake_case name>`) shows it. A new kind of answer gets a class
here and one handler there.
"""

from __future__ import annotations

from pathlib import Path

from textual.message import Message

from tracker.domain.measures import MeasureRow
from tracker.domain.records import ActionChanges, ActionRow, HistoryEntry, TreeNode, ViewCounts
from tracker.tui.view import ViewState

__all__ = [
    "ChangeRefused",
    "DetailLoaded",
    "Exported",
    "PlanChanged",
    "RefSuggested",
    "SaveInvalid",
    "SaveRefused",
    "Saved",
    "StampChecked",
    "TreeLoaded",
    "UndoPreviewed",
    "ViewLoaded",
    "WriteChecked",
]


class ViewLoaded(Message):
    """A view's counts and the page holding the cursor, fresh from the store."""

    def __init__(
        self,
        generation: int,
        state: ViewState,
        counts: ViewCounts,
        pages: dict[int, list[ActionRow]],
        cursor: int,
        keep_screen_row: bool,
    ) -> None:
        super().__init__()
        self.generation = generation
        self.state = state
        self.counts = counts
        self.pages = pages
        self.cursor = cursor
        self.keep_screen_row = keep_screen_row


class TreeLoaded(Message):
    """The plans and recommendations with their roll-ups, and the owners for filters."""

    def __init__(
        self, nodes: list[TreeNode], owners: list[str], stamp: object, measures: object = None
    ) -> None:
        super().__init__()
        self.nodes = nodes
        self.owners = owners
        self.stamp = stamp
        self.measures = measures  # the measures' fingerprint, read with the plans'


class DetailLoaded(Message):
    """The selected action as stored now, with its history and its recommendation's
    measures of impact (None: not read)."""

    def __init__(
        self,
        row: ActionRow,
        history: list[HistoryEntry],
        measures: list[MeasureRow] | None = None,
    ) -> None:
        super().__init__()
        self.row = row
        self.history = history
        self.measures = measures


class StampChecked(Message):
    """The store's change fingerprints, read by the poller: the plans' and the measures'."""

    def __init__(self, stamp: object, measures: object = None) -> None:
        super().__init__()
        self.stamp = stamp
        self.measures = measures


class WriteChecked(Message):
    """Whether this user may change the store: None, or why not (fit to show)."""

    def __init__(self, refusal: str | None) -> None:
        super().__init__()
        self.refusal = refusal


class Saved(Message):
    """An edit was written (or changed nothing)."""

    def __init__(self, row: ActionRow, changes: int) -> None:
        super().__init__()
        self.row = row
        self.changes = changes


class SaveRefused(Message):
    """Someone else changed the action first; nothing was written."""

    def __init__(
        self,
        message: str,
        seen: ActionRow,
        newer: ActionRow,
        changes: ActionChanges,
        notes: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.message = message
        self.seen = seen
        self.newer = newer
        self.changes = changes
        self.notes = notes  # the notes of the changes made since `seen` was read


class SaveInvalid(Message):
    """The store refused a value; `field` names the form field when it knows which."""

    def __init__(
        self, message: str, field: str | None, seen: ActionRow, changes: ActionChanges
    ) -> None:
        super().__init__()
        self.message = message
        self.field = field
        self.seen = seen
        self.changes = changes


class Exported(Message):
    """The current view was written to a CSV snapshot."""

    def __init__(self, path: Path, rows: int) -> None:
        super().__init__()
        self.path = path
        self.rows = rows


class PlanChanged(Message):
    """A change to the plan (add, move, bulk edit, undo...) was written; `text` says what."""

    def __init__(self, text: str, *, clear_marks: bool = False) -> None:
        super().__init__()
        self.text = text
        self.clear_marks = clear_marks


class ChangeRefused(Message):
    """The store refused a change to the plan (stale, invalid, nothing to undo); why."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class RefSuggested(Message):
    """The next free ref under a recommendation, for the add-action form."""

    def __init__(self, plan_key: str, rec_ref: str, rec_title: str, ref: str) -> None:
        super().__init__()
        self.plan_key = plan_key
        self.rec_ref = rec_ref
        self.rec_title = rec_title
        self.ref = ref


class UndoPreviewed(Message):
    """What undo would revert (`lines`, `summary`), or why there is nothing to undo."""

    def __init__(self, summary: str | None, lines: list[str], refusal: str | None) -> None:
        super().__init__()
        self.summary = summary
        self.lines = lines
        self.refusal = refusal
