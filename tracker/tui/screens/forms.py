"""The forms that change the plan: add an action, a new plan, a recommendation (new or
edited), move an action, bulk edit of marked actions, and a yes/no confirmation (undo).

Every form is a `PlanForm`: labelled fields in sections inside a scrolling area, so an
80x24 terminal still reaches every field, with Save and Cancel always below it. Each
field's problem shows beside it and Save stays disabled until there is none; a typed date
is echoed as the day it means ("+2w → Mon 14 Dec 2026"). The rules are the store's own
(tracker.domain.updates), so what the form accepts the store accepts. Each form returns a
typed result (a frozen dataclass) or None when cancelled; the main screen saves it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar, Generic, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from tracker.domain.dates import DateError, parse_date
from tracker.domain.records import ActionChanges, ActionRow
from tracker.domain.rules import STATUSES
from tracker.domain.text import one_line
from tracker.domain.updates import (
    ActionState,
    NewAction,
    check_key,
    check_new_action,
    check_text,
    plan_update,
)
from tracker.tui.view import status_label

__all__ = [
    "AddActionForm",
    "BulkEditForm",
    "BulkEditResult",
    "ConfirmScreen",
    "FormField",
    "ImportForm",
    "MoveForm",
    "MoveResult",
    "NewActionResult",
    "NewPlanForm",
    "NewPlanResult",
    "PlanForm",
    "RecForm",
    "RecResult",
    "date_echo",
]

T = TypeVar("T")

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
UNCHANGED = "(unchanged)"


def date_echo(value: date) -> str:
    """`Mon 14 Dec 2026`: the day a typed date means, in English whatever the locale."""
    return f"{_DAYS[value.weekday()]} {value.day} {_MONTHS[value.month - 1]} {value.year}"


@dataclass(frozen=True, slots=True)
class FormField:
    """One field: its name, label, kind (text, date or select), start value and hint."""

    name: str
    label: str
    kind: str = "text"
    value: str = ""
    placeholder: str = ""
    section: str | None = None  # a heading shown above this field
    options: tuple[tuple[str, str], ...] = ()  # (label, value) for a select


class PlanForm(ModalScreen[T | None], Generic[T]):
    """A form of `fields`; subclasses say what is wrong (`check`) and what it means (`result`)."""

    IS_FORM: ClassVar[bool] = True  # the app leaves q and ? to the form
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="save", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    DEFAULT_CSS = """
    PlanForm { align: center middle; }
    PlanForm > #dialog {
        width: 90; max-width: 100%; height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    PlanForm #form-title { text-style: bold; }
    PlanForm #form-intro { color: $text-muted; }
    PlanForm #fields { height: 1fr; }
    PlanForm .section { text-style: bold; color: $accent; margin-top: 1; }
    PlanForm .row { height: auto; }
    PlanForm .row > Label { width: 12; padding: 0 1 0 0; }
    PlanForm .row > Input, PlanForm .row > Select { width: 1fr; }
    PlanForm .echo { width: 20; padding-left: 1; color: $success; }
    PlanForm .error { color: $error; padding-left: 12; height: auto; }
    PlanForm #buttons { height: auto; align-horizontal: right; }
    PlanForm #buttons Button { margin-left: 2; }
    """

    title_text = "Form"
    save_label = "Save"

    def __init__(self, fields: Sequence[FormField], *, today: date, intro: str = "") -> None:
        super().__init__()
        self.fields = list(fields)
        self.today = today
        self.intro = intro

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(self.title_text, style="bold"), id="form-title")
            if self.intro:
                yield Static(Text(self.intro), id="form-intro")
            with VerticalScroll(id="fields"):
                for spec in self.fields:
                    if spec.section:
                        yield Static(Text(spec.section), classes="section")
                    with Horizontal(classes="row"):
                        yield Label(spec.label)
                        if spec.kind == "select":
                            yield Select(
                                list(spec.options),
                                value=spec.value,
                                allow_blank=False,
                                compact=True,
                                id=spec.name,
                            )
                        else:
                            yield Input(
                                spec.value,
                                placeholder=spec.placeholder,
                                compact=True,
                                id=spec.name,
                            )
                        if spec.kind == "date":
                            yield Static("", classes="echo", id=f"{spec.name}-echo")
                    yield Static("", classes="error", id=f"{spec.name}-error")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel-button")
                yield Button(f"{self.save_label} (ctrl+s)", variant="primary", id="save-button")

    def natural_height(self) -> int:
        """The dialog's height with every field shown (and room for a few problems):
        a short terminal gets less, the fields scroll, and Save and Cancel stay shown."""
        sections = sum(2 for spec in self.fields if spec.section)
        intro = 2 if self.intro else 0
        return len(self.fields) + sections + intro + 1 + 3 + 2 + 4

    def on_mount(self) -> None:
        self.query_one("#dialog").styles.max_height = self.natural_height()
        for widget in self.query(Input):
            widget.cursor_blink = not self.app.is_headless
        first = self.fields[0].name if self.fields else None
        if first:
            self.query_one(f"#{first}").focus()
        self.validate_form()

    # --- values ---------------------------------------------------------------------------

    def value(self, name: str) -> str:
        """A field's value as typed (a select's chosen value)."""
        widget = self.query_one(f"#{name}")
        if isinstance(widget, Select):
            return str(widget.value)
        assert isinstance(widget, Input)
        return widget.value

    def text(self, name: str) -> str | None:
        """A text field stripped, None when empty."""
        return self.value(name).strip() or None

    def date_of(self, name: str) -> date | None:
        """A date field as the date it means (None when empty or not a date)."""
        try:
            return self._date(name)
        except DateError:
            return None

    def _date(self, name: str) -> date | None:
        typed = self.value(name).strip()
        return parse_date(typed, today_=self.today) if typed else None

    def problems(self) -> dict[str, str]:
        """Each field's problem: dates that are not dates, then the form's own rules."""
        found: dict[str, str] = {}
        for spec in self.fields:
            if spec.kind == "date":
                try:
                    self._date(spec.name)
                except DateError as exc:
                    found[spec.name] = str(exc)
        for name, message in self.check().items():
            found.setdefault(name, message)
        return found

    def check(self) -> dict[str, str]:
        """The form's own rules (subclasses): field name to problem."""
        return {}

    def result(self) -> T:
        """What the form means once valid (subclasses)."""
        raise NotImplementedError

    def validate_form(self) -> bool:
        """Show each problem and each date's meaning beside its field; Save only when valid."""
        problems = self.problems()
        names = {spec.name for spec in self.fields}
        for spec in self.fields:
            message = problems.get(spec.name, "")
            error = self.query_one(f"#{spec.name}-error", Static)
            error.update(Text(one_line(message)))
            error.display = bool(message)
            if spec.kind == "date":
                meant = self.date_of(spec.name)
                self.query_one(f"#{spec.name}-echo", Static).update(
                    Text(f"→ {date_echo(meant)}" if meant else "")
                )
        # A problem no field owns shows under the first field.
        stray = [m for n, m in problems.items() if n not in names]
        if stray and self.fields:
            first = self.query_one(f"#{self.fields[0].name}-error", Static)
            first.update(Text(one_line("; ".join(stray))))
            first.display = True
        self.query_one("#save-button", Button).disabled = bool(problems)
        return not problems

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.validate_form()

    def action_save(self) -> None:
        if not self.validate_form():
            self.notify("Fix the fields marked in red first.", severity="warning", timeout=3)
            return
        self.dismiss(self.result())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        if self.validate_form():
            self.action_save()

    @on(Button.Pressed, "#save-button")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel-button")
    def _cancel_pressed(self) -> None:
        self.action_cancel()


def _status_options(*, unchanged: bool = False) -> tuple[tuple[str, str], ...]:
    options = tuple((status_label(s), s) for s in STATUSES)
    return ((UNCHANGED, ""), *options) if unchanged else options


def _progress(text: str) -> int | None:
    text = text.strip().rstrip("%").strip()
    return int(text) if text.isascii() and text.isdigit() else None


# --- add an action ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewActionResult:
    """An action to add under `plan_key:rec_ref`."""

    plan_key: str
    rec_ref: str
    action: NewAction


class AddActionForm(PlanForm[NewActionResult]):
    """Every field of a new action; the ref starts as the next free one."""

    title_text = "Add an action"
    save_label = "Add"

    def __init__(
        self, plan_key: str, rec_ref: str, rec_title: str, suggested_ref: str, *, today: date
    ) -> None:
        fields = [
            FormField("ref", "Ref", value=suggested_ref, placeholder=suggested_ref),
            FormField("description", "Description", placeholder="what will be done"),
            FormField("owner", "Owner", placeholder="who owns it"),
            FormField("deadline", "Deadline", "date", placeholder="31/03/2027, +2w, +3m"),
            FormField("start", "Start", "date", placeholder="optional"),
            FormField("partner", "Partner", placeholder="optional"),
            FormField("status", "Status", "select", value="not_started", options=_status_options()),
            FormField("progress", "Progress", value="0", placeholder="0-100"),
            FormField("measure", "Measure", section="Measure and evidence", placeholder="optional"),
            FormField("evidence", "Evidence", placeholder="optional"),
            FormField("notes", "Notes", placeholder="optional"),
        ]
        intro = f"Under {one_line(plan_key)}:{one_line(rec_ref)} {one_line(rec_title)}"
        super().__init__(fields, today=today, intro=intro)
        self.plan_key = plan_key
        self.rec_ref = rec_ref

    def _new(self) -> NewAction | None:
        deadline = self.date_of("deadline")
        if deadline is None:
            return None
        return NewAction(
            description=self.value("description").strip(),
            owner=self.value("owner").strip(),
            deadline=deadline,
            ref=self.text("ref"),
            status=self.value("status"),
            progress=_progress(self.value("progress")),
            partner=self.text("partner"),
            start=self.date_of("start"),
            measure=self.text("measure"),
            evidence=self.text("evidence"),
            notes=self.text("notes"),
        )

    def check(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if not self.value("deadline").strip():
            found["deadline"] = "a deadline is needed"
        if self.value("progress").strip() and _progress(self.value("progress")) is None:
            found["progress"] = "a whole number 0-100"
        new = self._new()
        if new is None:
            for name in ("description", "owner"):
                if not self.value(name).strip():
                    found[name] = f"the {name} must not be empty"
            return found
        for problem in check_new_action(new):
            found.setdefault(problem.field or "ref", problem.message)
        return found

    def result(self) -> NewActionResult:
        new = self._new()
        assert new is not None
        return NewActionResult(self.plan_key, self.rec_ref, new)


# --- a new plan -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewPlanResult:
    """A plan to create (its due date is 70 working days after publication if not given)."""

    key: str
    authority: str
    title: str
    inspection_type: str | None
    published: date | None


class NewPlanForm(PlanForm[NewPlanResult]):
    """A new, empty plan: key, authority, title, inspection type, publication date."""

    title_text = "New plan"
    save_label = "Create"

    def __init__(self, *, today: date, store: str = "") -> None:
        fields = [
            FormField("key", "Key", placeholder="e.g. staffs-2026 (letters, digits, - _ .)"),
            FormField("authority", "Authority", placeholder="the council"),
            FormField("title", "Title", placeholder="e.g. ILACS improvement plan"),
            FormField("inspection_type", "Inspection", placeholder="optional, e.g. ILACS"),
            FormField("published", "Published", "date", placeholder="optional: report date"),
        ]
        intro = f"Written to {one_line(store)}" if store else ""
        super().__init__(fields, today=today, intro=intro)

    def check(self) -> dict[str, str]:
        found: dict[str, str] = {}
        key = self.value("key").strip()
        if message := check_key(key):
            found["key"] = message if key else "a key is needed"
        for name in ("authority", "title", "inspection_type"):
            required = name != "inspection_type"
            if message := check_text(name, self.value(name), required=required):
                found[name] = message
        return found

    def result(self) -> NewPlanResult:
        return NewPlanResult(
            key=self.value("key").strip(),
            authority=self.value("authority").strip(),
            title=self.value("title").strip(),
            inspection_type=self.text("inspection_type"),
            published=self.date_of("published"),
        )


# --- a recommendation ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecResult:
    """A recommendation to add (`ref` None) or the changed fields of one to edit."""

    plan_key: str
    ref: str | None
    title: str
    text: str | None
    area: str | None
    changes: dict[str, str | None] | None = None  # an edit: only the fields changed


class RecForm(PlanForm[RecResult]):
    """Add a recommendation to a plan, or edit one's title, text and area."""

    def __init__(
        self,
        plan_key: str,
        *,
        today: date,
        ref: str | None = None,
        title: str = "",
        text: str = "",
        area: str = "",
    ) -> None:
        self.title_text = (
            f"Edit recommendation {one_line(plan_key)}:{one_line(ref)}"
            if ref
            else f"New recommendation in {one_line(plan_key)}"
        )
        self.save_label = "Save" if ref else "Add"
        fields = [
            FormField("title", "Title", value=one_line(title), placeholder="what must improve"),
            FormField("text", "Text", value=one_line(text), placeholder="the inspectors' words"),
            FormField("area", "Area", value=one_line(area), placeholder="optional"),
        ]
        super().__init__(fields, today=today)
        self.plan_key = plan_key
        self.ref = ref
        self.initial = {"title": one_line(title), "text": one_line(text), "area": one_line(area)}

    def changed(self) -> dict[str, str | None]:
        """The fields an edit changes: an empty text or area the form did not know is
        left as stored (the tree knows only titles), never cleared by mistake."""
        out: dict[str, str | None] = {}
        for name, before in self.initial.items():
            now = self.value(name).strip()
            if now != before and (now or before):
                out[name] = now
        return out

    def check(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for name in ("title", "text", "area"):
            if message := check_text(name, self.value(name), required=name == "title"):
                found[name] = message
        return found

    def result(self) -> RecResult:
        return RecResult(
            self.plan_key,
            self.ref,
            self.value("title").strip(),
            self.text("text"),
            self.text("area"),
            self.changed() if self.ref else None,
        )


# --- move an action -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MoveResult:
    """Move `row` under the recommendation `rec_ref` of its plan."""

    row: ActionRow
    rec_ref: str


class MoveForm(PlanForm[MoveResult]):
    """Choose the recommendation an action moves to (it takes the next ref there)."""

    save_label = "Move"

    def __init__(self, row: ActionRow, recs: Sequence[tuple[str, str]], *, today: date) -> None:
        self.title_text = f"Move {one_line(row.address)}"
        options = tuple((f"{one_line(ref)} {one_line(title)}", ref) for ref, title in recs)
        others = [o for o in options if o[1] != row.rec_ref]
        start = others[0][1] if others else row.rec_ref
        fields = [FormField("rec", "To", "select", value=start, options=options)]
        intro = f"{one_line(row.description)} (now under {one_line(row.rec_ref)})"
        super().__init__(fields, today=today, intro=intro)
        self.row = row

    def check(self) -> dict[str, str]:
        if self.value("rec") == self.row.rec_ref:
            return {"rec": "it is already under this recommendation"}
        return {}

    def result(self) -> MoveResult:
        return MoveResult(self.row, self.value("rec"))


# --- bulk edit ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BulkEditResult:
    """The same changes for every marked action (each saved against the version seen)."""

    rows: tuple[ActionRow, ...]
    changes: ActionChanges


class BulkEditForm(PlanForm[BulkEditResult]):
    """Status, owner, deadline with reason, and a note, for every marked action at once."""

    save_label = "Apply to all"

    def __init__(self, rows: Sequence[ActionRow], *, today: date) -> None:
        self.rows = tuple(rows)
        self.title_text = f"Bulk edit: {len(self.rows)} marked actions"
        refs = ", ".join(one_line(row.ref) for row in self.rows[:8])
        more = f" and {len(self.rows) - 8} more" if len(self.rows) > 8 else ""
        fields = [
            FormField(
                "status", "Status", "select", value="", options=_status_options(unchanged=True)
            ),
            FormField("owner", "Owner", placeholder="(unchanged)"),
            FormField("deadline", "Deadline", "date", placeholder="(unchanged)"),
            FormField("reason", "Reason", placeholder="why the deadlines move"),
            FormField("note", "Note", placeholder="a note for each action's history"),
        ]
        intro = f"{refs}{more}. Empty fields stay as they are; one change, one undo."
        super().__init__(fields, today=today, intro=intro)

    def changes(self) -> ActionChanges:
        return ActionChanges(
            status=self.value("status") or None,
            owner=self.text("owner"),
            deadline=self.date_of("deadline"),
            reason=self.text("reason"),
            note=self.text("note"),
        )

    def check(self) -> dict[str, str]:
        changes = self.changes()
        found: dict[str, str] = {}
        if changes.is_empty():
            found["status"] = "choose something to change"
            return found
        if changes.reason and not changes.deadline:
            found["reason"] = "a reason goes with a new deadline"
        for row in self.rows:
            # The store's rules for each action, named by the action they refuse.
            outcome = plan_update(ActionState.of(row), changes)
            for name, message in outcome.by_field().items():
                found.setdefault(name or "status", f"{one_line(row.ref)}: {message}")
        return found

    def result(self) -> BulkEditResult:
        return BulkEditResult(self.rows, self.changes())


# --- import a plan file ---------------------------------------------------------------------


class ImportForm(PlanForm[Path]):
    """The path of a plan file to import into this store."""

    title_text = "Import a plan file"
    save_label = "Import"

    def __init__(self, *, today: date, store: str = "") -> None:
        fields = [FormField("path", "File", placeholder="my-plan.toml (docs/plan-format.md)")]
        intro = f"Imported into {one_line(store)}" if store else ""
        super().__init__(fields, today=today, intro=intro)

    def check(self) -> dict[str, str]:
        typed = self.value("path").strip()
        if not typed:
            return {"path": "the path of a plan file (.toml)"}
        path = Path(typed).expanduser()
        if not path.is_file():
            return {"path": f"no file at {path}"}
        return {}

    def result(self) -> Path:
        return Path(self.value("path").strip()).expanduser()


# --- yes or no ------------------------------------------------------------------------------


class ConfirmScreen(ModalScreen[bool]):
    """Ask before doing something (undo): what it will do, then y / n."""

    IS_FORM: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes", id="yes"),
        Binding("n,escape", "answer(False)", "No", id="no"),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > #dialog {
        width: 80; max-width: 100%; height: auto; max-height: 100%;
        border: thick $warning; background: $surface; padding: 0 1;
    }
    ConfirmScreen #lines { height: auto; max-height: 1fr; }
    ConfirmScreen #buttons { height: auto; align-horizontal: right; }
    ConfirmScreen #buttons Button { margin-left: 2; }
    """

    def __init__(self, title: str, lines: Sequence[str], question: str, yes: str) -> None:
        super().__init__()
        self.title_text = title
        self.lines = [one_line(line) for line in lines]
        self.question = question
        self.yes = yes

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(Text(one_line(self.title_text), style="bold"))
            with VerticalScroll(id="lines"):
                yield Static(Text("\n".join(f"  {line}" for line in self.lines)))
            yield Static(Text(self.question))
            with Horizontal(id="buttons"):
                yield Button("No (n)", id="no-button")
                yield Button(f"{self.yes} (y)", variant="warning", id="yes-button")

    def on_mount(self) -> None:
        self.query_one("#no-button", Button).focus()

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)

    @on(Button.Pressed, "#yes-button")
    def _yes(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no-button")
    def _no(self) -> None:
        self.dismiss(False)
