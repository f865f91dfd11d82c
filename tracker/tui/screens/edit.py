"""The edit form: every field of an action (status, progress, owner, partner, start,
deadline with a reason, description, measure, evidence, notes) and a note, in sections
that scroll, so an 80x24 terminal reaches every field with Save and Cancel always shown.

Evidence may run to several lines, so it is edited in a small text area that keeps its line
breaks (enter starts a new line there; ctrl+s saves).

Each field says what is wrong beside it and Save stays disabled until all is well. The
form returns an `EditResult` (the row it was based on and only the fields the user
changed); the caller saves it with a version check, so a newer change is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.validation import ValidationResult, Validator
from textual.widgets import Button, Input, Label, Select, Static, TextArea
from textual.widgets.text_area import Document

from tracker.domain.dates import DateError, parse_date
from tracker.domain.plan import MAX_OWNER, MAX_TEXT
from tracker.domain.records import ActionChanges, ActionRow
from tracker.domain.rules import STATUSES, RuleSettings
from tracker.domain.text import one_line, printable
from tracker.domain.updates import ActionState, plan_update
from tracker.tui.screens.forms import date_echo
from tracker.tui.view import status_label

__all__ = ["EditResult", "EditScreen"]


@dataclass(frozen=True, slots=True)
class EditResult:
    """The action as the form showed it, and the changes the user asked for."""

    row: ActionRow
    changes: ActionChanges


# Digits 0-9 only: `int()` also reads other scripts' digits (`٥٠`), which nobody means here.
PROGRESS_PATTERN = re.compile(r"[ ]*([0-9]+)[ ]*%?[ ]*")


def parse_progress(value: str) -> int | None:
    """The percentage typed (`50`, ` 50 `, `50%`), or None when it is not one."""
    found = PROGRESS_PATTERN.fullmatch(value)
    return int(found.group(1)) if found else None


class ProgressValidator(Validator):
    """A whole number from 0 to 100."""

    def validate(self, value: str) -> ValidationResult:
        number = parse_progress(value)
        if number is None:
            return self.failure("a whole number 0-100")
        if not 0 <= number <= 100:
            return self.failure("must be between 0 and 100")
        return self.success()


class OwnerValidator(Validator):
    """Someone must own the action."""

    def validate(self, value: str) -> ValidationResult:
        if not value.strip():
            return self.failure("an owner is needed")
        if len(value) > MAX_OWNER:
            return self.failure(f"at most {MAX_OWNER} characters")
        return self.success()


class DateValidator(Validator):
    """A date as people type it, day first."""

    def __init__(self, today: date, *, optional: bool = False) -> None:
        super().__init__()
        self.today = today
        self.optional = optional

    def validate(self, value: str) -> ValidationResult:
        if self.optional and not value.strip():
            return self.success()
        try:
            parse_date(value, today_=self.today)
        except DateError as exc:
            return self.failure(str(exc))
        return self.success()


class LengthValidator(Validator):
    """Long text has a limit."""

    def validate(self, value: str) -> ValidationResult:
        if len(value) > MAX_TEXT:
            return self.failure(f"at most {MAX_TEXT:,} characters")
        return self.success()


FIELDS = (
    "status",
    "progress",
    "owner",
    "partner",
    "start",
    "deadline",
    "reason",
    "description",
    "measure",
    "evidence",
    "notes",
    "note",
)
EVIDENCE_EXPECTED = "Evidence is expected when an action is complete: what shows it is done?"
# The fields typed on one line; evidence is a text area of its own.
INPUTS = (
    "progress",
    "owner",
    "partner",
    "start",
    "deadline",
    "reason",
    "description",
    "measure",
    "notes",
    "note",
)
# Text fields of one line whose empty value means "none" (partner, measure, notes).
OPTIONAL_TEXT = ("partner", "measure", "notes")


def as_shown(value: str | None) -> str:
    """Evidence as its text area holds it: printable, line breaks kept.

    The text area splits lines as `str.splitlines` does and joins them with `\\n`, so
    the stored value and the text typed are compared in the same form.
    """
    return Document(printable(value, keep_newlines=True)).text


class EditScreen(ModalScreen[EditResult | None]):
    """Edit one action. `pending` re-applies changes refused because `seen` was stale.

    `refused` is the store's reason for refusing `pending` (the field it names, if any,
    and the message): it shows beside that field until the field is changed.
    """

    # Keys here are for typing: the app leaves `q` and `?` to the form.
    IS_FORM: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="save", priority=True),
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    DEFAULT_CSS = """
    EditScreen { align: center middle; }
    EditScreen > #dialog {
        width: 90; max-width: 100%; height: 100%; max-height: 32;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    EditScreen #title { text-style: bold; }
    EditScreen #conflict { color: $warning; border: round $warning; padding: 0 1; }
    EditScreen #refused { color: $error; }
    EditScreen #fields { height: 1fr; }
    EditScreen #heading-description { height: 1; color: $text-muted; }
    EditScreen .row { height: auto; }
    EditScreen .row > Label { width: 12; padding: 0 1 0 0; }
    EditScreen .section { text-style: bold; color: $accent; }
    EditScreen .echo { width: 18; padding-left: 1; color: $success; }
    EditScreen .row > Input, EditScreen .row > Select { width: 1fr; }
    EditScreen .row > TextArea {
        width: 1fr; height: 4; padding: 0; background-tint: $foreground 5%;
    }
    EditScreen .row > TextArea.-invalid { background-tint: $error 20%; }
    EditScreen .error { color: $error; padding-left: 12; height: auto; }
    /* The open status list: a border and its own background, so its words do not read as
       part of the form lines behind it. */
    EditScreen Select > SelectOverlay {
        border: round $accent; background: $panel; color: $foreground;
    }
    EditScreen .warning { color: $warning; padding-left: 12; height: auto; }
    EditScreen #buttons { height: auto; align-horizontal: right; margin-top: 1; }
    EditScreen #buttons Button { margin-left: 2; }
    """

    def __init__(
        self,
        row: ActionRow,
        settings: RuleSettings,
        *,
        pending: ActionChanges | None = None,
        seen: ActionRow | None = None,
        refused: tuple[str | None, str] | None = None,
        their_notes: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.their_notes = their_notes  # the other person's notes, for the conflict box
        self.row = row
        self.settings = settings
        self.pending = pending
        self.seen = seen
        field, message = refused if refused is not None else (None, "")
        self.refused_field = field if field in FIELDS else None
        self.refused_message = one_line(message)
        # The value the store refused: the error stays until the field holds another.
        self._refused_value = self._start(self.refused_field) if self.refused_field else None

    # --- layout -------------------------------------------------------------------------

    def _stored(self, name: str) -> str:
        """A stored value as the form shows it (printable; one line but for evidence)."""
        row = self.row
        if name == "status":
            return row.status
        if name == "progress":
            return str(row.progress)
        if name == "owner":
            return one_line(row.owner)
        if name == "deadline":
            return row.deadline.isoformat()
        if name == "evidence":
            return as_shown(row.evidence).strip()
        if name == "start":
            return row.start.isoformat() if row.start else ""
        if name == "description":
            return one_line(row.description)
        if name in OPTIONAL_TEXT:
            return one_line(getattr(row, name) or "")
        return ""

    def _start(self, name: str) -> str:
        """The value a field starts with: the user's refused change, else the stored value."""
        wanted = getattr(self.pending, name) if self.pending is not None else None
        if wanted is None:
            return self._stored(name)
        if isinstance(wanted, date):
            return wanted.isoformat()
        if name == "evidence":
            return as_shown(str(wanted))
        return one_line(str(wanted))

    def compose(self) -> ComposeResult:
        row = self.row
        with Vertical(id="dialog"):
            title = Text("Edit ", style="bold")
            title.append(one_line(row.address))
            yield Static(title, id="title")
            yield Static(
                Text(one_line(row.description), overflow="ellipsis", no_wrap=True),
                id="heading-description",
            )
            if self.seen is not None:
                yield Static(self._conflict_text(), id="conflict")
            if self.refused_message and self.refused_field is None:
                yield Static(Text(self.refused_message), id="refused")
            with VerticalScroll(id="fields"):
                yield Static("Status", classes="section")
                with Horizontal(classes="row"):
                    yield Label("Status")
                    yield Select(
                        [(status_label(s), s) for s in STATUSES],
                        value=self._start("status"),
                        allow_blank=False,
                        compact=True,
                        id="status",
                    )
                yield Static("", classes="error", id="status-error")
                yield from self._input_row("Progress", "progress", [ProgressValidator()], "0-100")
                yield Static("Who and when", classes="section")
                yield from self._input_row("Owner", "owner", [OwnerValidator()], "who owns it")
                yield from self._input_row(
                    "Partner", "partner", [LengthValidator()], "a partner agency (optional)"
                )
                today = self.settings.today
                yield from self._input_row(
                    "Start", "start", [DateValidator(today, optional=True)], "optional"
                )
                yield from self._input_row(
                    "Deadline", "deadline", [DateValidator(today)], "2025-03-31, 31/03/2025, +2w"
                )
                yield from self._input_row(
                    "Reason", "reason", [LengthValidator()], "why the deadline moves"
                )
                yield Static("What", classes="section")
                yield from self._input_row(
                    "Description", "description", [LengthValidator()], "what will be done"
                )
                yield from self._input_row(
                    "Measure", "measure", [LengthValidator()], "how success is measured"
                )
                with Horizontal(classes="row"):
                    yield Label("Evidence")
                    # Text areas never read markup: plan text shows as written.
                    yield TextArea(
                        self._start("evidence"),
                        soft_wrap=True,
                        tab_behavior="focus",
                        show_line_numbers=False,
                        compact=True,
                        highlight_cursor_line=False,
                        placeholder="what shows it is done (enter starts a new line)",
                        id="evidence",
                    )
                yield Static("", classes="error", id="evidence-error")
                # A warning, not a refusal: a complete action may be saved without evidence.
                warning = Static(EVIDENCE_EXPECTED, classes="warning", id="evidence-warning")
                warning.display = False
                yield warning
                yield from self._input_row("Notes", "notes", [LengthValidator()], "optional")
                yield Static("History", classes="section")
                yield from self._input_row(
                    "Note", "note", [LengthValidator()], "a note for the history"
                )
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel-button")
                yield Button("Save (ctrl+s)", variant="primary", id="save-button")

    def _input_row(
        self, label: str, name: str, validators: list[Validator], placeholder: str
    ) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label(label)
            yield Input(
                self._start(name),
                placeholder=placeholder,
                validators=validators,
                validate_on=["changed"],
                compact=True,
                id=name,
            )
            if name in ("start", "deadline"):
                yield Static("", classes="echo", id=f"{name}-echo")
        yield Static("", classes="error", id=f"{name}-error")

    def _conflict_text(self) -> Text:
        seen, now = self.seen, self.row
        assert seen is not None
        text = Text("Someone else changed this action since you opened it; nothing was saved.\n")
        text.append(
            f"Now stored (by {one_line(now.updated_by)}): "
            f"status {status_label(now.status)}, progress {now.progress}%, "
            f"owner {one_line(now.owner)}, deadline {now.deadline.isoformat()}.\n"
        )
        for note in self.their_notes:
            text.append("Their note: ", style="bold")
            text.append(one_line(note) + "\n", style="italic")
        text.append("Your changes are filled in below: Save to re-apply them, Escape to drop them.")
        return text

    def on_mount(self) -> None:
        for widget in self.query(Input):
            widget.cursor_blink = not self.app.is_headless
        self.query_one("#evidence", TextArea).cursor_blink = not self.app.is_headless
        self.query_one("#status", Select).focus()
        self.validate_form()

    # --- validation -----------------------------------------------------------------------

    def _value(self, name: str) -> str:
        if name == "evidence":
            return self.query_one("#evidence", TextArea).text
        return self.query_one(f"#{name}", Input).value

    def errors(self) -> dict[str, str]:
        """What is wrong with each field (empty when the form can be saved)."""
        problems: dict[str, str] = {}
        for name in INPUTS:
            widget = self.query_one(f"#{name}", Input)
            result = widget.validate(widget.value)
            if result is not None and not result.is_valid:
                problems[name] = "; ".join(result.failure_descriptions)
        evidence = LengthValidator().validate(self._value("evidence"))
        if not evidence.is_valid:
            problems["evidence"] = "; ".join(evidence.failure_descriptions)
        if "deadline" not in problems:
            # Complete means 100, a moved deadline needs a reason, not before the start:
            # the same rules the store applies (domain.updates), shown beside their fields.
            outcome = plan_update(ActionState.of(self.row), self.changes())
            for rule_field, message in outcome.by_field().items():
                if rule_field in FIELDS and rule_field not in problems:
                    problems[str(rule_field)] = message
        field = self.refused_field
        if field and field not in problems and self._current(field) == self._refused_value:
            problems[field] = self.refused_message
        return problems

    def _current(self, name: str) -> str:
        """A field's value as typed (the status as its stored word)."""
        if name == "status":
            return str(self.query_one("#status", Select).value)
        return self._value(name)

    def _deadline_changed(self) -> bool:
        try:
            typed = parse_date(self._value("deadline"), today_=self.settings.today)
        except DateError:
            return False
        return typed != self.row.deadline

    def validate_form(self) -> bool:
        """Show each field's problem beside it; Save is enabled only when there are none."""
        problems = self.errors()
        for name in FIELDS:
            message = problems.get(name, "")
            error = self.query_one(f"#{name}-error", Static)
            error.update(Text(message))
            error.display = bool(message)
        self.query_one("#evidence", TextArea).set_class("evidence" in problems, "-invalid")
        self.query_one("#save-button", Button).disabled = bool(problems)
        status = self.query_one("#status", Select).value
        no_evidence = not self._value("evidence").strip()
        self.query_one("#evidence-warning").display = status == "complete" and no_evidence
        for name in ("start", "deadline"):
            meant = self._date(name)
            self.query_one(f"#{name}-echo", Static).update(
                Text(f"→ {date_echo(meant)}" if meant else "")
            )
        return not problems

    def _date(self, name: str) -> date | None:
        typed = self._value(name).strip()
        if not typed:
            return None
        try:
            return parse_date(typed, today_=self.settings.today)
        except DateError:
            return None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        self.validate_form()

    @on(Select.Changed, "#status")
    def _status_changed(self, event: Select.Changed) -> None:
        if event.value == "complete":
            self.query_one("#progress", Input).value = "100"

    # --- result ---------------------------------------------------------------------------

    def changes(self) -> ActionChanges:
        """Only the fields that differ from the stored action (plus the note)."""
        row = self.row
        status = str(self.query_one("#status", Select).value)
        progress = parse_progress(self._value("progress"))
        owner = self._value("owner").strip()
        deadline = parse_date(self._value("deadline"), today_=self.settings.today)
        evidence = self._value("evidence").strip()
        reason = self._value("reason").strip()
        note = self._value("note").strip()
        start = self._date("start")
        clear_start = not self._value("start").strip() and row.start is not None
        texts = {
            name: self._value(name).strip()
            for name in ("description", "partner", "measure", "notes")
        }
        changed = {name: value for name, value in texts.items() if value != self._stored(name)}
        return ActionChanges(
            description=changed.get("description"),
            partner=changed.get("partner"),
            measure=changed.get("measure"),
            notes=changed.get("notes"),
            start=start if start is not None and start != row.start else None,
            clear_start=clear_start,
            status=status if status != row.status else None,
            progress=progress if progress not in (None, row.progress) else None,
            owner=owner if owner != self._stored("owner") else None,
            deadline=deadline if deadline != row.deadline else None,
            reason=reason if deadline != row.deadline else None,
            evidence=evidence if evidence != self._stored("evidence") else None,
            note=note or None,
        )

    def action_save(self) -> None:
        if not self.validate_form():
            self.notify("Fix the fields marked in red first.", severity="warning", timeout=3)
            return
        self.dismiss(EditResult(self.row, self.changes()))

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#save-button")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel-button")
    def _cancel_pressed(self) -> None:
        self.action_cancel()
