"""Measures of impact in a panel: one line per measure with a sparkline.

Each line reads: ref, RAG as a word, latest value against its target, the direction of
travel as arrows with their words, then Textual's Sparkline of the last twelve periods.
Used by the detail panel (the selected action's recommendation), the board view (the
highlighted plan or recommendation) and the measures screen.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from tracker.domain.measures import MeasureRow, shown_value, travel, travel_text
from tracker.domain.text import one_line
from tracker.tui.view import rag_text

__all__ = [
    "SPARK_PERIODS",
    "MeasureLine",
    "MeasureList",
    "Phrases",
    "chart_caption",
    "chart_phrases",
    "flow",
    "measure_text",
    "target_text",
]

SPARK_PERIODS = 12


def target_text(m: MeasureRow) -> str:
    """`≥ 85%` or `≤ 18 children`."""
    return ("≥ " if m.direction == "up" else "≤ ") + shown_value(m.target, m.unit)


def chart_caption(m: MeasureRow, points: Sequence[tuple[str, float]]) -> Text:
    """What a chart of `points` (period, value; oldest first) shows, on one line."""
    return Text(" · ", style="dim").join(chart_phrases(m, points))


def chart_phrases(m: MeasureRow, points: Sequence[tuple[str, float]]) -> list[Text]:
    """What a chart of `points` (period, value; oldest first) shows: its periods, its
    lowest and highest (a sparkline's bars run from one to the other, not from zero) and
    how many periods met the target, which the bars cannot draw."""
    if not points:
        return [Text("No readings yet.", style="dim")]
    values = [v for _, v in points]
    met = sum(travel(v, m.target, m.direction) in ("improved", "same") for v in values)
    first, last = points[0][0], points[-1][0]
    low, high = shown_value(min(values), m.unit), shown_value(max(values), m.unit)
    return [
        Text(f"{first} to {last}" if len(points) > 1 else first, style="dim"),
        Text(f"lowest {low}, highest {high}", style="dim"),
        Text(f"target {target_text(m)} met in {met} of {len(points)}", style="dim"),
    ]


NAME_MIN = 10  # a name is shown, cut, only where at least this much of it fits


def flow(phrases: Sequence[Text], width: int, sep: str = " · ") -> Text:
    """`phrases` joined by `sep`, a new line before any phrase that would not fit whole in
    `width` (so `▲ improved on last year` is never split after its arrow)."""
    out = Text()
    line = 0
    for i, phrase in enumerate(phrases):
        if i and line + len(sep) + phrase.cell_len > width:
            out.append("\n")
            line = 0
        elif i:
            out.append(sep)
            line += len(sep)
        out.append_text(phrase)
        line += phrase.cell_len
    return out


class Phrases(Static):
    """Lines of text, some of them phrases flowed to the width (see `flow`)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._items: list[Text | list[Text]] = []

    def show(self, items: list[Text | list[Text]]) -> None:
        """Each item a line: a Text wraps as text does, a list of Text is flowed."""
        self._items = items
        self.refresh(layout=True)

    def render(self) -> Text:
        width = self.content_size.width or 10_000
        out = Text()
        for i, item in enumerate(self._items):
            if i:
                out.append("\n")
            out.append_text(item if isinstance(item, Text) else flow(item, width))
        return out

    def on_resize(self) -> None:
        self.refresh(layout=True)


def measure_text(m: MeasureRow, *, name: bool = True, width: int | None = None) -> Text:
    """One measure as a line of text: never markup, RAG and travel as words.

    Within `width`, the ref, RAG, value and target always show; each direction of travel
    shows whole or not at all (never `▼ worse on last`); the name takes what is left,
    cut with an ellipsis, or is left out where too little of it would show.
    """
    s = m.score
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(one_line(m.ref).ljust(6), style="bold")
    text.append(" ")
    if s.rag is None:
        text.append("no reading yet", style="dim")
    else:
        text.append_text(rag_text(s.rag, width=5))
        text.append(f" {shown_value(s.value, m.unit)} ({s.period}) vs target {target_text(m)}")
        for word, when in ((s.vs_previous, "last period"), (s.vs_last_year, "last year")):
            part = f"  {travel_text(word)} on {when}" if word else ""
            if part and (width is None or text.cell_len + cell_len(part) <= width):
                text.append(part)
    if name:
        part = f"  {one_line(m.name)}"
        room = None if width is None else width - text.cell_len
        if room is None or room >= min(cell_len(part), NAME_MIN + 2):
            shown = Text(part, style="dim")
            if room is not None:
                shown.truncate(room, overflow="ellipsis")
            text.append_text(shown)
    return text


class _MeasureText(Static):
    """A measure's line, laid out afresh for the width it has."""

    def __init__(self, measure: MeasureRow) -> None:
        super().__init__()
        self.measure = measure

    def render(self) -> Text:
        width = self.content_size.width
        return measure_text(self.measure, width=width or None)


class MeasureLine(Horizontal):
    """A measure's sparkline of its last twelve periods, then its line of text."""

    DEFAULT_CSS = """
    MeasureLine { height: 1; }
    MeasureLine > Sparkline { width: 12; height: 1; margin-right: 1; }
    MeasureLine > Static { width: 1fr; height: 1; }
    """

    def __init__(self, measure: MeasureRow) -> None:
        super().__init__()
        self.measure = measure

    def compose(self) -> ComposeResult:
        values = [p.value for p in self.measure.recent[-SPARK_PERIODS:]]
        # A lower-is-better measure is drawn as it is; the words say which way is better.
        yield Sparkline(values or [0.0], summary_function=max)
        yield _MeasureText(self.measure)


class MeasureList(Vertical):
    """Up to `limit` measures, one line each, with a heading; empty shows nothing."""

    DEFAULT_CSS = """
    MeasureList { height: auto; }
    MeasureList > .measures-heading { height: 1; text-style: bold; }
    """

    def __init__(self, *, limit: int = 6, id: str | None = None) -> None:
        super().__init__(id=id)
        self.limit = limit
        self.shown: list[MeasureRow] = []

    def show(self, measures: list[MeasureRow], *, heading: str = "Measures of impact") -> None:
        """Replace the lines; the heading says how many there are when some are left out."""
        if [m.id for m in measures] == [m.id for m in self.shown] and all(
            a.version == b.version and a.score == b.score
            for a, b in zip(measures, self.shown, strict=True)
        ):
            return
        self.shown = list(measures)
        self.remove_children()
        self.display = bool(measures)
        if not measures:
            return
        more = len(measures) - self.limit
        title = f"{heading} ({len(measures)}"
        title += f"; {self.limit} shown, k for the scorecard)" if more > 0 else ")"
        title += f" · bars: the last {SPARK_PERIODS} periods"
        lines: list[Static | MeasureLine] = [Static(title, classes="measures-heading")]
        lines += [MeasureLine(m) for m in measures[: self.limit]]
        self.mount_all(lines)
