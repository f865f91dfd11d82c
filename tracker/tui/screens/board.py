"""The board view: each plan and recommendation with its RAG and a progress bar, and a
month-by-month chart of open, overdue and complete actions drawn from history.

The numbers come from `tracker.reports.paper.board_view`, read through the TUI's store
facade (`StoreAccess.board_view`) in a thread worker; this screen only draws them. Bars
are text, so they print, copy and snapshot as they look; the RAG is always shown as its
word as well as its colour.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from tracker.domain.measures import MeasureRow
from tracker.domain.rules import RuleSettings, roll_up
from tracker.domain.text import one_line, truncate
from tracker.reports.paper import BoardView
from tracker.tui.data import StoreAccess
from tracker.tui.failures import ReportsFailures
from tracker.tui.view import middle_truncate, rag_text
from tracker.tui.widgets.measures import MeasureList

if TYPE_CHECKING:
    from tracker.tui.data import TrendPoint

__all__ = ["BoardScreen", "progress_bar", "trend_chart"]

BAR_WIDTH = 20
TITLE_WIDTH = 36
CHART_WIDTH = 22
WIDE = 110  # below this many columns the table and chart take narrower widths
VERY_WIDE = 150  # from here they grow to use the width (issue 12: no wasted columns)
TITLE_WIDTH_WIDE = 80
CHART_WIDTH_WIDE = 36
SERIES: tuple[tuple[str, str, Style], ...] = (
    ("open", "open", Style(color="#8fb8ff")),
    ("overdue", "overdue", Style(color="#ff6b6b", bold=True)),
    ("complete", "complete", Style(color="#6cb6ff")),
)
ALL_PLANS = ""


def progress_bar(progress: float | None, width: int = BAR_WIDTH) -> Text:
    """`██████████░░░░░░░░░░  50%`: eighth blocks, so small steps still show."""
    if progress is None:
        return Text("no actions".ljust(width + 5), style="dim")
    value = max(0.0, min(100.0, progress))
    eighths = round(width * 8 * value / 100)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (" ▏▎▍▌▋▊▉"[part] if part else "")
    text = Text(bar, style="#6cb6ff")
    text.append("░" * (width - len(bar)), style="#3a3f4b")
    text.append(f" {round(value):>3}%")
    return text


def trend_chart(points: list[TrendPoint], width: int = CHART_WIDTH) -> Text:
    """One line per month: open, overdue and complete as bars on one scale, with numbers."""
    text = Text()
    if not points:
        text.append("No history yet.", style="dim")
        return text
    top = max(max(p.open, p.overdue, p.complete) for p in points) or 1
    text.append("Month     ", style="bold")
    for _, label, style in SERIES:
        text.append(label.ljust(width + 7), style=style + Style(bold=True))
    for p in points:
        text.append("\n")
        text.append(p.label.ljust(10))
        for name, _, style in SERIES:
            value = int(getattr(p, name))
            length = round(width * value / top)
            if value and not length:
                length = 1
            text.append("▇" * length, style=style)
            text.append(" " * (width - length))
            text.append(f" {value:>5,} ")
    last = points[-1]
    text.append("\n")
    text.append(
        f"at {last.as_at.isoformat()}: {last.open:,} open, {last.overdue:,} overdue, "
        f"{last.complete:,} complete of {last.total:,}",
        style="dim",
    )
    return text


class BoardStamp(Message):
    """The store's fingerprints, read by the poll: a change of the plans' means the board
    is out of date; of the measures' only, that the measures shown are."""

    def __init__(self, stamp: object, measures: object) -> None:
        super().__init__()
        self.stamp = stamp
        self.measures = measures


class BoardLoaded(Message):
    """The board's numbers, fresh from the store."""

    def __init__(self, view: BoardView, stamp: object, measures: object = None) -> None:
        super().__init__()
        self.view = view
        self.stamp = stamp
        self.measures = measures


class BoardMeasures(Message):
    """The measures of the highlighted plan or recommendation."""

    def __init__(self, rows: list[MeasureRow], heading: str) -> None:
        super().__init__()
        self.rows = rows
        self.heading = heading


class BoardScreen(ReportsFailures, Screen[None]):
    """Plans and recommendations with RAG and progress; the trend of the highlighted plan."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,b,q", "close", "Close", id="close"),
    ]

    DEFAULT_CSS = """
    BoardScreen { layout: vertical; }
    BoardScreen #board-title { height: 1; background: $primary-muted; padding: 0 1; }
    BoardScreen #board-table { height: 1fr; }
    BoardScreen #trend {
        height: auto; max-height: 26; border-top: tall $panel; background: $surface;
        padding: 0 1;
    }
    BoardScreen #trend-title { text-style: bold; height: 1; }
    """

    def __init__(
        self,
        store: StoreAccess,
        settings: RuleSettings,
        *,
        months: int = 6,
        poll_interval: float = 0,
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.months = months
        self.poll_interval = poll_interval
        self._stamp: object = None  # None until the first load, and while one is on its way
        self._measure_stamp: object = None
        self._measures_of: tuple[str | None, str | None] | None = None  # (plan, rec) shown
        self.view: BoardView | None = None
        self.plan_key = ALL_PLANS
        self.bar_width = BAR_WIDTH
        self.ref_width = 24
        self.title_width = TITLE_WIDTH
        self.chart_width = CHART_WIDTH

    def compose(self) -> ComposeResult:
        title = Text("Board view", style="bold")
        title.append(f" · as at {self.settings.today.isoformat()}")
        title.append(" · RAG and progress by recommendation", style="dim")
        yield Static(title, id="board-title")
        yield DataTable(id="board-table", cursor_type="row", zebra_stripes=False)
        with Vertical(id="trend"):
            yield MeasureList(limit=5, id="board-measures")
            yield Static("", id="trend-title")
            yield Static(Text("Loading…", style="dim"), id="trend-chart")
        yield Footer()

    def _fit(self, columns: int) -> int:
        """Choose bar, title and chart widths for a terminal `columns` wide; the ref width."""
        ref_width = 24 if columns >= WIDE else 16
        self.bar_width = BAR_WIDTH if columns >= WIDE else 10
        # Each of the six cells has one column of padding either side.
        fixed = ref_width + 6 + (self.bar_width + 5) + 7 + 7 + 12 + 2
        self.title_width = max(12, min(TITLE_WIDTH, columns - fixed))
        self.chart_width = max(4, min(CHART_WIDTH, (columns - 10 - 3 * 7 - 4) // 3))
        return ref_width

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        ref_width = self.ref_width = self._fit(self.app.size.width)
        table.add_column("Ref", key="ref", width=ref_width)
        table.add_column("Recommendation", key="title", width=self.title_width)
        table.add_column("RAG", key="rag", width=6)
        table.add_column("Progress", key="progress", width=self.bar_width + 5)
        table.add_column("Actions", key="actions", width=7)
        table.add_column("Overdue", key="overdue", width=7)
        table.loading = True
        self._load()
        if self.poll_interval > 0:
            # Changes made elsewhere (another terminal, the command line) show while the
            # board is open, as on the main screen.
            self.set_interval(self.poll_interval, self._poll)

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        stamp = self.store.data_stamp()
        measures = self.store.measure_stamp()
        view = self.store.board_view(settings=self.settings, months=self.months)
        self.post_message(BoardLoaded(view, stamp, measures))

    def _poll(self) -> None:
        if self._stamp is not None:
            self._read_stamp()

    @work(thread=True, exclusive=True, group="poll", exit_on_error=False)
    def _read_stamp(self) -> None:
        self.post_message(BoardStamp(self.store.data_stamp(), self.store.measure_stamp()))

    def on_board_stamp(self, message: BoardStamp) -> None:
        if self._stamp is None:
            return
        if message.stamp != self._stamp:
            self._stamp = None
            self._load()
        elif message.measures != self._measure_stamp:
            # A reading or measure changed elsewhere: the board's numbers are the actions',
            # so only the measures shown are read again.
            self._measure_stamp = message.measures
            if self._measures_of is not None:
                self._load_measures(*self._measures_of)

    def on_board_loaded(self, message: BoardLoaded) -> None:
        first = self.view is None
        self.view = message.view
        self._stamp = message.stamp
        self._measure_stamp = message.measures
        table = self.query_one(DataTable)
        table.loading = False
        kept_row = table.cursor_row
        kept_key = self._row_key(kept_row)
        table.clear()
        rows: list[tuple[Text, ...]] = []
        keys: list[str] = []
        plans = message.view.plans
        if len(plans) > 1:
            bold = Style(bold=True)
            rows.append(
                (
                    Text("All plans", style=bold),
                    Text(f"{len(plans)} plans", style=bold),
                    rag_text(roll_up(p.rag for p in plans if p.actions)),
                    progress_bar(message.view.progress, self.bar_width),
                    Text(f"{sum(p.actions for p in plans):,}", justify="right"),
                    Text(f"{sum(p.overdue for p in plans):,}", justify="right"),
                )
            )
            keys.append("all")
        for plan in plans:
            bold = Style(bold=True)
            rows.append(
                (
                    # Cut in the middle: the end of a key tells one authority's plans apart.
                    Text(middle_truncate(one_line(plan.plan_key), self.ref_width), style=bold),
                    Text(truncate(one_line(plan.title), self.title_width), style=bold),
                    rag_text(plan.rag),
                    progress_bar(plan.progress, self.bar_width),
                    Text(f"{plan.actions:,}", justify="right"),
                    Text(f"{plan.overdue:,}", justify="right"),
                )
            )
            keys.append(f"plan:{plan.plan_key}")
            for rec in plan.children:
                rows.append(
                    (
                        Text("  " + one_line(rec.ref or "")),
                        Text(truncate(one_line(rec.title), self.title_width)),
                        rag_text(rec.rag),
                        progress_bar(rec.progress, self.bar_width),
                        Text(f"{rec.actions:,}", justify="right"),
                        Text(f"{rec.overdue:,}", justify="right"),
                    )
                )
                keys.append(f"rec:{plan.plan_key}:{rec.ref}")
        for key, row in zip(keys, rows, strict=True):
            table.add_row(*row, key=key)
        if not rows:
            self.query_one("#trend-chart", Static).update(
                Text("No plans in the store yet.", style="dim")
            )
            return
        if first:
            self._show_trend(ALL_PLANS)
            table.focus()
            return
        # A refresh keeps the reader's place: the same row, else the same position.
        place = keys.index(kept_key) if kept_key in keys else min(kept_row, len(keys) - 1)
        table.move_cursor(row=place, animate=False)
        self._show_trend(self.plan_key if self.plan_key in self._plan_keys() else ALL_PLANS)

    def _row_key(self, row: int) -> str | None:
        table = self.query_one(DataTable)
        if not 0 <= row < table.row_count:
            return None
        return table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value

    def _plan_keys(self) -> set[str]:
        return {p.plan_key for p in self.view.plans} if self.view else set()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value or ""
        plan_key = key.split(":", 2)[1] if ":" in key else ALL_PLANS
        if plan_key != self.plan_key:
            self._show_trend(plan_key)
        rec = key.split(":", 2)[2] if key.startswith("rec:") else None
        self._measures_of = (plan_key or None, rec)
        self._load_measures(plan_key or None, rec)

    @work(thread=True, exclusive=True, group="measures", exit_on_error=False)
    def _load_measures(self, plan_key: str | None, rec: str | None) -> None:
        """The highlighted plan's or recommendation's measures (none for all plans)."""
        rows = self.store.measures(plan=plan_key, rec=rec) if plan_key else []
        heading = f"Measures of impact, {one_line(plan_key or '')}"
        if rec is not None:
            heading += f" {one_line(rec)}"
        self.post_message(BoardMeasures(rows, heading))

    def on_board_measures(self, message: BoardMeasures) -> None:
        self.query_one(MeasureList).show(message.rows, heading=message.heading)

    def _show_trend(self, plan_key: str) -> None:
        if self.view is None:
            return
        self.plan_key = plan_key
        if plan_key == ALL_PLANS:
            points = self.view.overall()
            heading = "Trend, all plans: actions at the end of each month"
        else:
            points = self.view.trends.get(plan_key, [])
            heading = f"Trend, {one_line(plan_key)}: actions at the end of each month"
        self.query_one("#trend-title", Static).update(Text(heading))
        self.query_one("#trend-chart", Static).update(trend_chart(points, self.chart_width))

    def action_close(self) -> None:
        self.dismiss(None)
