"""The measures screen (`k`): the scorecard, one measure's history with a chart, and a
form to add (or correct) a reading.

Everything is read and written through the TUI's store facade (tracker.tui.data) in
thread workers that post messages; only the message handlers touch widgets. RAG is a word
as well as a colour, and the direction of travel is an arrow with its word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Sparkline, Static

from tracker.domain.dates import format_utc
from tracker.domain.errors import StaleWriteError, TrackerError
from tracker.domain.measures import (
    MeasurePlace,
    MeasureRow,
    PeriodError,
    ReadingRow,
    check_count,
    check_period_begun,
    current_period,
    format_number,
    parse_period,
    percentage,
    period_index,
    shown_value,
    travel_text,
)
from tracker.domain.records import HistoryEntry
from tracker.domain.text import one_line
from tracker.tui.data import StoreAccess
from tracker.tui.failures import ReportsFailures, describe_failure
from tracker.tui.screens.forms import ConfirmScreen
from tracker.tui.screens.measure_forms import (
    MeasureEditForm,
    MeasureEditResult,
    NewMeasureForm,
    NewMeasureResult,
    parse_number,
)
from tracker.tui.view import rag_text
from tracker.tui.widgets.measure_columns import ScoreColumn, score_cells, score_columns
from tracker.tui.widgets.measures import SPARK_PERIODS, Phrases, chart_phrases, target_text

__all__ = ["MeasureHistoryScreen", "MeasuresScreen", "ReadingForm", "ReadingInputs"]


class ScorecardLoaded(Message):
    """Measures with their scores: the first screenful, then (`complete`) all of them."""

    def __init__(
        self, rows: list[MeasureRow], read: int, *, complete: bool, stamp: object = None
    ) -> None:
        super().__init__()
        self.rows = rows
        self.read = read  # which read of the screen this answers: a later one supersedes it
        self.complete = complete
        self.stamp = stamp  # the measures' fingerprint, read just before them


class MeasuresStamp(Message):
    """The measures' fingerprint, read by the poll: a change means the scorecard is old."""

    def __init__(self, stamp: object) -> None:
        super().__init__()
        self.stamp = stamp


class ReadingsLoaded(Message):
    """One measure as stored now, its readings and its history."""

    def __init__(
        self,
        row: MeasureRow,
        readings: list[ReadingRow],
        history: list[HistoryEntry],
        stamp: object = None,
    ) -> None:
        super().__init__()
        self.row = row
        self.readings = readings
        self.history = history
        self.stamp = stamp  # the measures' fingerprint, read just before them


class ChartLoaded(Message):
    """The last twelve readings of one measure (period, value), for the chart."""

    def __init__(self, measure_id: int, points: list[tuple[str, float]]) -> None:
        super().__init__()
        self.measure_id = measure_id
        self.points = points


class ReadingSaved(Message):
    """A reading was recorded (or corrected); `text` says what happened."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class PlacesReady(Message):
    """The recommendations a new measure can go under, with their next refs."""

    def __init__(self, places: list[MeasurePlace]) -> None:
        super().__init__()
        self.places = places


class EditReady(Message):
    """A measure as stored now, for the edit form."""

    def __init__(self, row: MeasureRow) -> None:
        super().__init__()
        self.row = row


class MeasureChanged(Message):
    """A measure was added, changed, retired or reinstated; `text` says which."""

    def __init__(self, text: str, address: str) -> None:
        super().__init__()
        self.text = text
        self.address = address


class WriteDone(Message):
    """A change to a measure was written, or refused."""


class MeasureRefused(Message):
    """The store refused a change to a measure (stale, or against its rules); nothing
    was written."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class ReadingRefused(Message):
    """The store refused the reading; nothing was written."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


def _score_phrases(m: MeasureRow, value: str) -> list[Text]:
    """The latest reading's RAG and value, then each direction of travel, as phrases."""
    s = m.score
    if s.rag is None:
        return [Text("no reading yet", style="dim")]
    latest = Text()
    latest.append_text(rag_text(s.rag))  # its colour, not the value's
    latest.append(f" {value} ({s.period})")
    phrases = [latest]
    if s.vs_previous:
        phrases.append(Text(f"{travel_text(s.vs_previous)} on last period"))
    if s.vs_last_year:
        phrases.append(Text(f"{travel_text(s.vs_last_year)} on last year"))
    return phrases


def _next_period(row: MeasureRow, today: date) -> str:
    """The period after the latest reading: what a performance officer usually adds (but
    never one that has not begun: then the period today is in)."""
    latest = row.score.period
    if latest is None:
        return ""
    index = min(period_index(latest) + 1, period_index(current_period(today, row.frequency)))
    if row.frequency == "quarterly":
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


# --- the form ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReadingInputs:
    """What the form returns: a checked period and value, and the optional parts."""

    period: str
    value: float
    note: str | None
    count: float | None
    of: float | None


class ReadingForm(ModalScreen[ReadingInputs | None]):
    """Add or correct one period's reading; Save stays disabled until the form is valid."""

    IS_FORM = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
        Binding("ctrl+s", "save", "Save", id="save", priority=True),
    ]
    DEFAULT_CSS = """
    ReadingForm { align: center middle; }
    ReadingForm > #form {
        width: 76; height: auto; max-height: 100%; overflow-y: auto;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    ReadingForm .label { height: 1; margin-top: 1; }
    ReadingForm #count-row { height: auto; }
    ReadingForm #count-row > Input { width: 1fr; }
    ReadingForm #count-row > .of { width: auto; height: 3; content-align: center middle; }
    ReadingForm .problem { color: $error; height: auto; }
    ReadingForm #buttons { height: 3; margin-top: 1; }
    """

    def __init__(self, row: MeasureRow, readings: list[ReadingRow], *, today: date) -> None:
        super().__init__()
        self.row = row
        self.readings = {r.period: r for r in readings}
        self.today = today

    def compose(self) -> ComposeResult:
        row = self.row
        with VerticalScroll(id="form"):
            title = Text("Reading for ", style="bold")
            title.append(one_line(row.address))
            title.append(f" · {one_line(row.name)}", style="not bold")
            yield Static(title)
            yield Static(
                f"Target {target_text(row)}; a {row.frequency} measure. A period that has a "
                "value already is corrected (the old value stays in history).",
                classes="hint",
            )
            yield Static("Period (2026-10, or 2026-Q3 for a quarterly measure)", classes="label")
            yield Input(_next_period(row, self.today), id="period")
            yield Static("", id="period-problem", classes="problem")
            yield Static("Value", classes="label")
            yield Input("", id="value", placeholder="81.5")
            yield Static("", id="value-problem", classes="problem")
            yield Static("For a percentage, optionally: count of total", classes="label")
            with Horizontal(id="count-row"):
                yield Input("", id="count", placeholder="102")
                yield Static(" of ", classes="of")
                yield Input("", id="of", placeholder="120")
            yield Static("", id="count-problem", classes="problem")
            yield Static("Commentary (the board paper shows it)", classes="label")
            yield Input("", id="note")
            with Horizontal(id="buttons"):
                yield Button("Save", id="save-button", variant="primary", disabled=True)
                yield Button("Cancel", id="cancel-button")

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()
        self._check()

    def _field(self, name: str) -> str:
        return self.query_one(f"#{name}", Input).value

    def _check(self) -> ReadingInputs | None:
        """The checked inputs, or None; each problem is said beside its field."""
        problems = {"period": "", "value": "", "count": ""}
        period = value = count = of = None
        try:
            period = parse_period(self._field("period"), self.row.frequency)
            check_period_begun(period, self.today)
        except PeriodError as exc:
            period = None
            problems["period"] = str(exc) if self._field("period").strip() else "a period is needed"
        try:
            value = parse_number(self._field("value"))
        except ValueError:
            problems["value"] = f"{self._field('value').strip()!r} is not a number"
        try:
            count, of = parse_number(self._field("count")), parse_number(self._field("of"))
        except ValueError:
            problems["count"] = "count and total must be numbers"
        if not problems["count"]:
            if value is None and count is not None and of is not None and of > 0:
                value = percentage(count, of)
            problem = check_count(value, count, of)
            if problem:
                problems["count"] = problem
        if value is None and not problems["value"]:
            problems["value"] = "a value is needed (or a count and total)"
        for name, text in problems.items():
            self.query_one(f"#{name}-problem", Static).update(text)
        if period is not None and period in self.readings:
            old = self.readings[period]
            self.query_one("#period-problem", Static).update(
                Text(f"corrects {shown_value(old.value, self.row.unit)} recorded by "
                     f"{one_line(old.updated_by)}", style="italic")
            )  # fmt: skip
        ok = not any(problems.values()) and period is not None and value is not None
        self.query_one("#save-button", Button).disabled = not ok
        if not ok or period is None or value is None:
            return None
        note = self._field("note").strip() or None
        return ReadingInputs(period=period, value=value, note=note, count=count, of=of)

    @on(Input.Changed)
    def _changed(self) -> None:
        self._check()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#save-button")
    def _save_pressed(self) -> None:
        self.action_save()

    @on(Button.Pressed, "#cancel-button")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        result = self._check()
        if result is not None:
            self.dismiss(result)

    def action_cancel(self) -> None:
        self.dismiss(None)


# --- writing, shared by both screens ------------------------------------------------------


class _WritesReadings(ReportsFailures):
    """Opens the form for a measure, then writes what it returns in a worker."""

    store: StoreAccess
    user: str
    read_only: bool
    today: str  # the day readings are judged by (ISO); blank: the local date

    def _today(self) -> date:
        return date.fromisoformat(self.today) if self.today else date.today()

    def open_form(self, row: MeasureRow) -> None:
        if self.read_only:
            self.app.notify(
                "The store is open read-only: readings cannot be added.",
                title="Read-only",
                severity="warning",
                markup=False,
            )
            return
        self._load_for_form(row)

    @work(thread=True, exclusive=True, group="form", exit_on_error=False)
    def _load_for_form(self, row: MeasureRow) -> None:
        self.post_message(FormReady(row, self.store.readings(row.id)))

    def on_form_ready(self, message: FormReady) -> None:
        versions = {r.period: r.version for r in message.readings}

        def done(result: ReadingInputs | None) -> None:
            if result is not None:
                self._write(message.row, result, versions.get(result.period, 0))

        form = ReadingForm(message.row, message.readings, today=self._today())
        self.app.push_screen(form, callback=done)

    @work(thread=True, exclusive=False, group="write", exit_on_error=False)
    def _write(self, row: MeasureRow, inputs: ReadingInputs, version: int) -> None:
        try:
            result = self.store.add_reading(
                row.address,
                period=inputs.period,
                value=inputs.value,
                note=inputs.note,
                count=inputs.count,
                of=inputs.of,
                user=self.user,
                today=self._today(),
                expected_version=version,
            )
        except StaleWriteError as exc:
            self.post_message(ReadingRefused(str(exc)))
            return
        except TrackerError as exc:
            self.post_message(ReadingRefused(describe_failure(exc)))
            return
        shown = shown_value(inputs.value, row.unit, inputs.count, inputs.of)
        if result.unchanged:
            text = f"{row.address} {inputs.period}: no change"
        elif result.corrected:
            text = f"{row.address} {inputs.period}: corrected to {shown}"
        else:
            text = f"{row.address} {inputs.period}: recorded {shown}"
        self.post_message(ReadingSaved(text))


class FormReady(Message):
    def __init__(self, row: MeasureRow, readings: list[ReadingRow]) -> None:
        super().__init__()
        self.row = row
        self.readings = readings


# --- editing, retiring and reinstating a measure, shared by both screens -----------------


class _ChangesMeasures(_WritesReadings):
    """`e` edits the measure the screen is on, `x` retires it or reinstates it (after
    asking); the footer says which `x` does."""

    show_retired: bool = False
    _writes = 0  # changes written in a worker and not yet done

    def _measure(self) -> MeasureRow | None:
        """The measure the keys act on."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`x` is shown as Retire or Reinstate by the measure it would act on."""
        if action in ("retire_measure", "reinstate_measure"):
            row = self._measure()
            retired = row is not None and row.status == "retired"
            return retired == (action == "reinstate_measure")
        return True

    def _reload(self, address: str | None) -> None:
        """Read again after a change to the measure at `address` (None: nothing written)."""
        raise NotImplementedError

    def _may_change(self) -> bool:
        """Whether a measure form may open now; if not, the user is told why."""
        if self.app.screen is not self.screen:
            return False  # a key queued behind one that opened a form
        if self._writes:
            # A form read now could hold the measure as it was before that change.
            self.app.notify("Saving the last change: press the key again in a moment.", timeout=3)
            return False
        if self.read_only:
            self.app.notify(
                "The store is open read-only: measures cannot be added or changed.",
                title="Read-only",
                severity="warning",
                markup=False,
            )
            return False
        return True

    def action_edit_measure(self) -> None:
        """`e`: the highlighted measure's fields in a form, read afresh first."""
        row = self._measure()
        if row is None:
            self.app.notify("No measure is highlighted: n adds one.", timeout=3)
        elif self._may_change():
            self._load_for_edit(row.address)

    @work(thread=True, exclusive=True, group="form", exit_on_error=False)
    def _load_for_edit(self, address: str) -> None:
        self.post_message(EditReady(self.store.measure(address)))

    def on_edit_ready(self, message: EditReady) -> None:
        if self.app.screen is not self.screen:
            return
        form = MeasureEditForm(message.row, today=self._today())
        self.app.push_screen(form, callback=self._edited_measure)

    def _edited_measure(self, result: MeasureEditResult | None) -> None:
        if result is None:
            return
        row = result.row
        if not result.changes and not result.clear:
            self.app.notify(f"{row.address}: nothing changed.", markup=False, timeout=3)
            return
        store, user = self.store, self.user

        def change() -> tuple[str, str]:
            entries = store.edit_measure(
                row.address,
                result.changes,
                clear=result.clear,
                user=user,
                expected_version=row.version,
            )
            fields = ", ".join(e.field.replace("_", " ") for e in entries) or "nothing"
            return f"Saved {row.address}: {fields} changed", row.address

        self._change(change)

    def action_reinstate_measure(self) -> None:
        """`x` on a retired measure: reinstate it, after asking."""
        self.action_retire_measure()

    def action_retire_measure(self) -> None:
        """`x`: retire the measure (or reinstate a retired one), after asking."""
        row = self._measure()
        if row is None:
            self.app.notify("No measure is highlighted: n adds one.", timeout=3)
            return
        if not self._may_change():
            return
        retired = row.status == "retired"
        if retired:
            title = f"Reinstate {row.address}?"
            lines = [
                one_line(row.name),
                "It returns to the scorecard, the board view and the board paper, "
                "and takes readings again.",
            ]
            question, yes = "Reinstate this measure?", "Reinstate"
        else:
            title = f"Retire {row.address}?"
            lines = [
                one_line(row.name),
                "Its readings and history are kept; it leaves the scorecard, the board view "
                "and the board paper, and takes no more readings.",
                "r shows retired measures; x on one reinstates it.",
            ]
            question, yes = "Retire this measure?", "Retire"

        def answered(answer: bool | None) -> None:
            if not answer:
                return
            store, user = self.store, self.user
            status = "active" if retired else "retired"

            def change() -> tuple[str, str]:
                # Read afresh: an edit saved a moment before (its new version not yet
                # shown here) is no reason to refuse; a change of status by anyone is.
                fresh = store.measure(row.address)
                if fresh.status != row.status:
                    return f"{row.address} is {fresh.status} already: nothing written", row.address
                store.edit_measure(
                    row.address,
                    {"status": status},
                    user=user,
                    expected_version=fresh.version,
                )
                verb = "Reinstated" if retired else "Retired"
                hint = "" if retired or self.show_retired else " (r shows retired measures)"
                return f"{verb} {row.address}{hint}", row.address

            self._change(change)

        self.app.push_screen(ConfirmScreen(title, lines, question, yes), callback=answered)

    def _change(self, change: Callable[[], tuple[str, str]]) -> None:
        """Run one write in a worker; no form opens until it is done (see `_may_change`)."""
        self._writes += 1
        self._run_change(change)

    @work(thread=True, exclusive=False, group="write", exit_on_error=False)
    def _run_change(self, change: Callable[[], tuple[str, str]]) -> None:
        """Run one write; say what it did, or why nothing was written."""
        try:
            text, address = change()
        except TrackerError as exc:
            self.post_message(MeasureRefused(describe_failure(exc)))
            return
        finally:
            self.post_message(WriteDone())
        self.post_message(MeasureChanged(text, address))

    def on_write_done(self, _message: WriteDone) -> None:
        self._writes -= 1

    def on_measure_changed(self, message: MeasureChanged) -> None:
        self.app.notify(message.text, title="Saved", markup=False)
        self._reload(message.address)

    def on_measure_refused(self, message: MeasureRefused) -> None:
        self.app.notify(message.text, title="Not saved", severity="error", markup=False)
        self._reload(None)


# --- the scorecard ------------------------------------------------------------------------

_UNREAD = object()  # no scorecard read yet (or one on its way): nothing to compare with
FIRST_BATCH = 100  # the first screenful, read, scored and shown before the rest
BATCH = 2000  # rows added between frames: each batch costs the table a measure and a repaint


class MeasuresScreen(_ChangesMeasures, Screen[None]):
    """The scorecard: every active measure; enter opens one measure's history."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,k,q", "close", "Close", id="close"),
        Binding("enter", "open_history", "History", id="open", tooltip="Readings and chart"),
        Binding("a", "add_reading", "Reading", id="add", tooltip="Add or correct a reading"),
        Binding("n", "add_measure", "New", id="add-measure", tooltip="Add a measure"),
        Binding("e", "edit_measure", "Edit", id="edit-measure", tooltip="Edit this measure"),
        Binding("x", "retire_measure", "Retire", id="retire", tooltip="Retire this measure"),
        Binding(
            "x", "reinstate_measure", "Reinstate", id="reinstate", tooltip="Reinstate this measure"
        ),
        Binding("r", "toggle_retired", "Retired", id="retired", tooltip="Show retired measures"),
    ]
    DEFAULT_CSS = """
    MeasuresScreen { layout: vertical; }
    MeasuresScreen #measures-title { height: 1; background: $primary-muted; padding: 0 1; }
    MeasuresScreen #measures-table { height: 1fr; }
    MeasuresScreen #measure-panel {
        height: auto; border-top: tall $panel; background: $surface; padding: 0 1;
    }
    MeasuresScreen #measure-chart { height: 3; margin: 0 0 0 0; }
    MeasuresScreen #measure-text { height: auto; }
    MeasuresScreen #chart-label { height: auto; }
    """

    def __init__(
        self,
        store: StoreAccess,
        *,
        user: str,
        read_only: bool,
        today: str = "",
        poll_interval: float = 0,
    ) -> None:
        super().__init__()
        self.store = store
        self.user = user
        self.read_only = read_only
        self.today = today
        self.poll_interval = poll_interval
        self._stamp: object = _UNREAD  # the fingerprint the rows shown were read at
        self.rows: list[MeasureRow] = []
        self._added = 0
        self._generation = 0
        self._reads = 0  # scorecard reads asked for; only the latest one's answer is shown
        self._partial = False  # only the first screenful is shown; the rest is on its way
        self._charts: dict[int, list[tuple[str, float]]] = {}
        self._columns: tuple[ScoreColumn, ...] = ()
        self.show_retired = False
        self._focus_address: str | None = None  # the measure to put the cursor on next load

    def _title(self) -> Text:
        title = Text("Measures of impact", style="bold")
        if self.today:
            title.append(f" · as at {self.today}")
        if self.show_retired:
            title.append(" · retired shown (r hides them)")
        # The columns' headers say the same: the gloss shows only where it fits whole.
        gloss = " · latest reading, RAG and direction of travel"
        if title.cell_len + cell_len(gloss) <= (self.size.width or self.app.size.width) - 2:
            title.append(gloss, style="dim")
        return title

    def compose(self) -> ComposeResult:
        yield Static(self._title(), id="measures-title")
        yield DataTable(id="measures-table", cursor_type="row", zebra_stripes=False)
        with Vertical(id="measure-panel"):
            yield Phrases(id="measure-text")
            yield Phrases(id="chart-label")
            yield Sparkline([0.0], id="measure-chart", summary_function=max)
        yield Footer()

    def on_mount(self) -> None:
        # Text, not Textual's animated loading indicator: redrawing it many times a second
        # takes the interpreter from the worker reading the scorecard.
        self.query_one("#measure-text", Phrases).show([Text("Reading the scorecard…", style="dim")])
        self._load()
        if self.poll_interval > 0:
            # A reading or measure written elsewhere (another secretary's `tracker reading
            # add`) shows while the screen is open, as on the main screen.
            self.set_interval(self.poll_interval, self._poll)

    def _load(self) -> None:
        """Read the scorecard (again), keeping the cursor on the measure it is on."""
        current = self._current()
        if self._focus_address is None and current is not None:
            self._focus_address = current.address
        self._reads += 1
        self._stamp = _UNREAD  # no poll until this read is in
        cursor = max(self.query_one(DataTable).cursor_row, 0)
        # Every row listed already: read them all at once and change only what changed.
        whole = bool(self.rows) and not self._partial and self._added == len(self.rows)
        first = None if whole else max(FIRST_BATCH, cursor + FIRST_BATCH)
        self._read(self._reads, first, self.show_retired)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _read(self, read: int, first: int | None, retired: bool) -> None:
        # The latest, previous and year-before readings only: the chart of the highlighted
        # measure is read when it is highlighted. The first screenful is read and scored
        # on its own first, so it shows while the rest of 10,000 measures is read.
        # The fingerprint is read before the rows it stands for; but opening the full
        # store for it (a second or so) waits until the first screenful shows.
        stamp = self.store.measure_stamp() if self.store.is_open else _UNREAD
        if first is not None:
            rows = self.store.measures(recent=0, include_retired=retired, first=first)
            complete = len(rows) < first and stamp is not _UNREAD
            self.post_message(ScorecardLoaded(rows, read, complete=complete, stamp=stamp))
            if complete:
                return
        if stamp is _UNREAD:
            stamp = self.store.measure_stamp()
        rows = self.store.measures(recent=0, include_retired=retired)
        self.post_message(ScorecardLoaded(rows, read, complete=True, stamp=stamp))

    def _poll(self) -> None:
        if self._stamp is not _UNREAD:
            self._read_stamp()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _read_stamp(self) -> None:
        self.post_message(MeasuresStamp(self.store.measure_stamp()))

    def on_measures_stamp(self, message: MeasuresStamp) -> None:
        if self._stamp is not _UNREAD and message.stamp != self._stamp:
            self._load()

    def on_scorecard_loaded(self, message: ScorecardLoaded) -> None:
        if message.read != self._reads:
            return  # a later read is on its way
        if message.complete:
            self._stamp = message.stamp
        rows = message.rows
        table = self.query_one(DataTable)
        if message.complete and not self._partial and self._same_measures(rows):
            self._update_rows(rows)
            return
        if self._partial and rows[: self._added] == self.rows[: self._added]:
            self._rest_loaded(message)
            return
        kept = table.cursor_row
        table.clear()
        self.rows = rows
        self._added = 0
        self._generation += 1
        self._partial = not message.complete
        self._charts.clear()
        self._lay_out(force=True)
        place = self._place(rows)
        if place is not None or message.complete:
            self._focus_address = None  # found, or gone: the cursor stays where it is moved
        if not rows:
            self.query_one("#measure-text", Phrases).show(
                [Text("No measures yet: n adds one.", style="dim")]
            )
            self.query_one("#measure-chart", Sparkline).display = False
            return
        if place is None:
            place = min(max(kept, 0), len(rows) - 1)
        # The first screenful (to the kept measure) at once; the rest in batches between
        # frames, so the table answers keys while 10,000 measures are added.
        self._add_batch(max(FIRST_BATCH, place + 1), self._generation)
        table.move_cursor(row=place, animate=False)
        self._show(place)
        table.focus()

    def _rest_loaded(self, message: ScorecardLoaded) -> None:
        """The whole scorecard, whose first screenful shows already: add the rest behind."""
        self.rows = message.rows
        self._partial = not message.complete
        # The columns fit every row: wider values further down lay the table out again
        # (and add its first rows again).
        self._lay_out()
        self._generation += 1  # one chain of batches from here on
        # The kept measure, if it was not among the first screenful, is further down.
        place = self._place(self.rows)
        self._focus_address = None
        needed = BATCH if place is None else max(BATCH, place + 1 - self._added)
        self._add_batch(needed, self._generation)
        if place is not None:
            self.query_one(DataTable).move_cursor(row=place, animate=False)

    def _same_measures(self, rows: list[MeasureRow]) -> bool:
        """Whether `rows` are the measures listed, all of them, in the same order."""
        shown = self.rows
        return (
            bool(shown)
            and self._added == len(shown) == len(rows)
            and all(a.id == b.id for a, b in zip(shown, rows, strict=True))
        )

    def _update_rows(self, rows: list[MeasureRow]) -> None:
        """The same measures read again: change the cells of those that changed, in place,
        so 10,000 rows are not listed again for one new reading."""
        old, self.rows = self.rows, rows
        self._focus_address = None
        self._charts.clear()  # a reading before the latest may have changed a chart
        table = self.query_one(DataTable)
        width = (table.size.width or self.app.size.width) - table.styles.scrollbar_size_vertical
        if score_columns(width, rows) != self._columns:
            self._lay_out()  # a wider value: the columns fit again and the rows are redrawn
        else:
            columns = self._columns
            for index, (was, now) in enumerate(zip(old, rows, strict=True)):
                if was != now:
                    for column, cell in enumerate(score_cells(now, columns)):
                        table.update_cell_at(Coordinate(index, column), cell)
        self._show(table.cursor_row)

    def _place(self, rows: list[MeasureRow]) -> int | None:
        """Where the measure to keep the cursor on is in `rows` (None: not there)."""
        address = self._focus_address
        if address is None:
            return None
        return next((i for i, m in enumerate(rows) if m.address == address), None)

    def _add_batch(self, size: int, generation: int) -> None:
        if generation != self._generation:
            return  # a newer load started over, or more rows arrived
        table = self.query_one(DataTable)
        rows = self.rows
        start, end = self._added, min(self._added + size, len(rows))
        columns = self._columns
        if start < end:
            table.add_rows([score_cells(m, columns) for m in rows[start:end]])
        self._added = end
        if end < len(rows):
            self.set_timer(0.001, lambda: self._add_batch(BATCH, generation))

    def _lay_out(self, *, force: bool = False) -> None:
        """Fit the columns to the table's width; a new fit redraws the rows already shown."""
        table = self.query_one(DataTable)
        # Room for the scrollbar always: the panel below grows and shrinks with the
        # highlighted measure, and with it whether the rows overflow.
        width = (table.size.width or self.app.size.width) - table.styles.scrollbar_size_vertical
        columns = score_columns(width, self.rows)
        if columns == self._columns and not force:
            return
        self._columns = columns
        kept = table.cursor_row
        table.clear(columns=True)
        for column in columns:
            table.add_column(Text(column.label), key=column.key, width=column.width)
        if not force and self.rows:
            self._added = 0
            self._generation += 1
            self._add_batch(max(FIRST_BATCH, kept + 1), self._generation)
            table.move_cursor(row=min(max(kept, 0), len(self.rows) - 1), animate=False)

    def on_resize(self) -> None:
        self.query_one("#measures-title", Static).update(self._title())
        if self.rows:
            self._lay_out()

    def _show(self, index: int) -> None:
        if not 0 <= index < len(self.rows):
            return
        self.refresh_bindings()  # `x` says Retire or Reinstate by the measure
        m = self.rows[index]
        s = m.score
        head = Text(one_line(m.address), style="bold")
        if m.status == "retired":
            head.append(" RETIRED (x reinstates it)", style="bold italic")
        head.append(f"  {one_line(m.name)}", style="not bold")
        target = f"Target {target_text(m)} (tolerance {format_number(m.tolerance)}%)"
        facts = [Text(target)]
        if m.baseline is not None:
            facts.append(Text(f"baseline {shown_value(m.baseline, m.unit)}"))
        facts += _score_phrases(m, shown_value(s.value, m.unit, m.latest_count, m.latest_of))
        items: list[Text | list[Text]] = [head, facts]
        if m.latest_note:
            items.append(Text(one_line(m.latest_note), style="italic"))
        self.query_one("#measure-text", Phrases).show(items)
        chart = self.query_one("#measure-chart", Sparkline)
        chart.display = True
        points = self._charts.get(m.id)
        if points is None:
            chart.data = [0.0]
            self._load_chart(m.id)
        else:
            chart.data = [v for _, v in points] or [0.0]
        self._chart_caption(m)

    def _chart_caption(self, m: MeasureRow) -> None:
        points = self._charts.get(m.id)
        caption = (
            [Text("Loading the chart…", style="dim")]
            if points is None
            else chart_phrases(m, points)
        )
        self.query_one("#chart-label", Phrases).show([caption])

    @work(thread=True, exclusive=True, group="chart", exit_on_error=False)
    def _load_chart(self, measure_id: int) -> None:
        readings = self.store.readings(measure_id)[-SPARK_PERIODS:]
        self.post_message(ChartLoaded(measure_id, [(r.period, r.value) for r in readings]))

    def on_chart_loaded(self, message: ChartLoaded) -> None:
        self._charts[message.measure_id] = message.points
        current = self._current()
        if current is not None and current.id == message.measure_id:
            chart = self.query_one("#measure-chart", Sparkline)
            chart.data = [v for _, v in message.points] or [0.0]
            self._chart_caption(current)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    @on(DataTable.RowSelected, "#measures-table")
    def _selected(self) -> None:
        self.action_open_history()

    def _current(self) -> MeasureRow | None:
        index = self.query_one(DataTable).cursor_row
        return self.rows[index] if 0 <= index < len(self.rows) else None

    @property
    def current(self) -> MeasureRow | None:
        """The highlighted measure, if any."""
        return self._current()

    def _measure(self) -> MeasureRow | None:
        return self._current()

    def _reload(self, address: str | None) -> None:
        if address is not None:
            self._focus_address = address
        self._load()

    def action_open_history(self) -> None:
        row = self._current()
        if row is not None:
            self.app.push_screen(
                MeasureHistoryScreen(
                    self.store,
                    row,
                    user=self.user,
                    read_only=self.read_only,
                    today=self.today,
                    poll_interval=self.poll_interval,
                ),
                callback=self._history_closed,
            )

    def _history_closed(self, _result: None) -> None:
        self._load()

    def action_add_reading(self) -> None:
        row = self._current()
        if row is not None:
            self.open_form(row)

    def on_reading_saved(self, message: ReadingSaved) -> None:
        self.app.notify(message.text, title="Reading", markup=False)
        self._load()

    def on_reading_refused(self, message: ReadingRefused) -> None:
        self.app.notify(message.text, title="Not saved", severity="error", markup=False)
        self._load()

    def action_close(self) -> None:
        self.dismiss(None)

    # --- adding, editing, retiring and reinstating measures ------------------------------

    def action_add_measure(self) -> None:
        """`n`: a form for a new measure, under the highlighted measure's recommendation."""
        if self._may_change():
            self._load_places()

    @work(thread=True, exclusive=True, group="form", exit_on_error=False)
    def _load_places(self) -> None:
        self.post_message(PlacesReady(self.store.measure_places()))

    def on_places_ready(self, message: PlacesReady) -> None:
        if self.app.screen is not self:
            return
        places = message.places
        if not places:
            self.app.notify(
                "No recommendation to add a measure to: add one on the main screen (key r).",
                severity="warning",
            )
            return
        current = self._current()
        place = next(
            (
                p
                for p in places
                if current and (p.plan, p.rec_ref) == (current.plan, current.recommendation)
            ),
            places[0],
        )
        form = NewMeasureForm(places, plan=place.plan, rec=place.rec_ref, today=self._today())
        self.app.push_screen(form, callback=self._added_measure)

    def _added_measure(self, result: NewMeasureResult | None) -> None:
        if result is None:
            return
        store, user = self.store, self.user

        def change() -> tuple[str, str]:
            address = store.add_measure(
                result.plan_key, result.rec_ref, result.data, user=user, auto_ref=result.auto_ref
            )
            return f"Added {address}: {one_line(result.data.name)}", address

        self._change(change)

    def action_toggle_retired(self) -> None:
        """`r`: show retired measures too (to reinstate one), or hide them again."""
        self.show_retired = not self.show_retired
        # The title says so and the footer's x says Reinstate on a retired measure: no
        # notification to cover the rows just shown.
        self.query_one("#measures-title", Static).update(self._title())
        current = self._current()
        self._focus_address = current.address if current else None
        self._load()


# --- one measure's history ----------------------------------------------------------------


SHORT = 32  # a terminal lower than this has a lower history chart


class MeasureHistoryScreen(_ChangesMeasures, ModalScreen[None]):
    """One measure: a chart of every reading, the readings, and each correction."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", id="close"),
        Binding("a", "add_reading", "Add reading", id="add"),
        Binding("e", "edit_measure", "Edit", id="edit-measure", tooltip="Edit this measure"),
        Binding("x", "retire_measure", "Retire", id="retire", tooltip="Retire this measure"),
        Binding(
            "x", "reinstate_measure", "Reinstate", id="reinstate", tooltip="Reinstate this measure"
        ),
    ]
    DEFAULT_CSS = """
    MeasureHistoryScreen { align: center middle; }
    MeasureHistoryScreen > #dialog {
        width: 95%; height: 90%; border: thick $primary; background: $surface; padding: 0 1;
    }
    MeasureHistoryScreen #history-title { height: auto; }
    MeasureHistoryScreen #history-chart { height: 5; margin: 1 0; }
    MeasureHistoryScreen #chart-caption { height: auto; color: $text-muted; }
    MeasureHistoryScreen DataTable { height: 1fr; }
    MeasureHistoryScreen #corrections { height: auto; max-height: 6; }
    MeasureHistoryScreen #hint { color: $text-muted; height: auto; }
    """

    def __init__(
        self,
        store: StoreAccess,
        row: MeasureRow,
        *,
        user: str,
        read_only: bool,
        today: str = "",
        poll_interval: float = 0,
    ) -> None:
        super().__init__()
        self.store = store
        self.row = row
        self.user = user
        self.read_only = read_only
        self.today = today
        self.poll_interval = poll_interval
        self._stamp: object = _UNREAD  # the fingerprint the readings shown were read at

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Phrases(id="history-title")
            yield Sparkline([0.0], id="history-chart", summary_function=max)
            yield Phrases(id="chart-caption")
            yield DataTable(id="readings", cursor_type="row", zebra_stripes=True)
            yield Static("", id="corrections")
            yield Static(self._hint(), id="hint")

    def on_resize(self) -> None:
        # A short terminal keeps rows for the readings: the chart is lower, without margins.
        chart = self.query_one("#history-chart", Sparkline)
        short = self.app.size.height < SHORT
        chart.styles.height = 3 if short else 5
        chart.styles.margin = (0, 0) if short else (1, 0)

    def on_mount(self) -> None:
        self.on_resize()
        table = self.query_one(DataTable)
        table.add_columns("Period", "Value", "Note", "Recorded by", "When (UTC)")
        table.loading = True
        self._load()
        if self.poll_interval > 0:
            # A reading or correction of this measure written elsewhere shows here too.
            self.set_interval(self.poll_interval, self._poll)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        stamp = self.store.measure_stamp()
        row = self.store.measure(self.row.address)
        self.post_message(
            ReadingsLoaded(
                row, self.store.readings(row.id), self.store.measure_history(row.id), stamp
            )
        )

    def _poll(self) -> None:
        if self._stamp is not _UNREAD:
            self._read_stamp()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _read_stamp(self) -> None:
        self.post_message(MeasuresStamp(self.store.measure_stamp()))

    def on_measures_stamp(self, message: MeasuresStamp) -> None:
        if self._stamp is not _UNREAD and message.stamp != self._stamp:
            self._stamp = _UNREAD  # no poll until this read is in
            self._load()

    def on_readings_loaded(self, message: ReadingsLoaded) -> None:
        self._stamp = message.stamp
        self.row = m = message.row
        s = m.score
        head = Text(one_line(m.address), style="bold")
        head.append(f"  {one_line(m.name)}", style="not bold")
        facts = [Text(f"Target {target_text(m)}"), *_score_phrases(m, shown_value(s.value, m.unit))]
        if m.status == "retired":
            facts.append(Text("RETIRED", style="bold"))
        self.query_one("#history-title", Phrases).show([head, facts])
        self.query_one("#hint", Static).update(self._hint())
        self.refresh_bindings()
        readings = message.readings
        self.query_one("#history-chart", Sparkline).data = [r.value for r in readings] or [0.0]
        caption = chart_phrases(m, [(r.period, r.value) for r in readings])
        self.query_one("#chart-caption", Phrases).show([caption])
        table = self.query_one(DataTable)
        # Read again (a reading here or elsewhere): the cursor stays on its period.
        kept = (
            str(table.get_row_at(table.cursor_row)[0])
            if table.row_count and 0 <= table.cursor_row < table.row_count
            else None
        )
        table.loading = False
        table.clear()
        table.add_rows(
            [
                (
                    Text(r.period),
                    Text(shown_value(r.value, m.unit, r.count, r.of)),
                    Text(one_line(r.note)[:80]),
                    Text(one_line(r.updated_by)),
                    Text(format_utc(r.updated_at)),
                )
                for r in readings
            ]
        )
        if readings:
            periods = [r.period for r in readings]
            row = periods.index(kept) if kept in periods else len(readings) - 1
            table.move_cursor(row=row, animate=False)
        corrections = [h for h in message.history if h.field.startswith("reading") and h.old]
        text = Text()
        if corrections:
            text.append("Corrections:", style="bold")
            for h in corrections[-5:]:
                text.append(
                    f"\n  {format_utc(h.at)} {one_line(h.by)} {one_line(h.field)}: "
                    f"{one_line(h.old)} → {one_line(h.new)}"
                )
        self.query_one("#corrections", Static).update(text)
        table.focus()

    def action_add_reading(self) -> None:
        self.open_form(self.row)

    def _measure(self) -> MeasureRow | None:
        return self.row

    def _hint(self) -> Text:
        x = "reinstate" if self.row.status == "retired" else "retire"
        return Text(f"a: add/correct a reading · e: edit · x: {x} · esc: close · times UTC")

    def _reload(self, address: str | None) -> None:
        self._load()

    def on_reading_saved(self, message: ReadingSaved) -> None:
        self.app.notify(message.text, title="Reading", markup=False)
        self._load()

    def on_reading_refused(self, message: ReadingRefused) -> None:
        self.app.notify(message.text, title="Not saved", severity="error", markup=False)
        self._load()

    def action_close(self) -> None:
        self.dismiss(None)
