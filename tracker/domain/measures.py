"""Measures of impact: periods, a measure's RAG and its direction of travel.

Pure rules from product.md, "Measures of impact". Arithmetic is done on decimals made
from each number's shortest text, so a reading exactly at the tolerance (85 less 10 per
cent is 76.5) is GREEN however binary floating point would have rounded it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tracker.domain.plan import MEDIUM, SHORT, MeasureData
from tracker.domain.rules import Rag
from tracker.domain.text import is_blank
from tracker.domain.updates import Problem

__all__ = [
    "DEFAULT_TOLERANCE",
    "DIRECTIONS",
    "FREQUENCIES",
    "MEASURE_FIELDS",
    "MEASURE_NUMBERS",
    "MEASURE_STATUSES",
    "SCORECARD_KEYS",
    "TRAVEL_ARROWS",
    "MeasurePlace",
    "MeasureRow",
    "MeasureScore",
    "PeriodError",
    "ReadingInput",
    "ReadingPoint",
    "ReadingRow",
    "check_count",
    "check_measure",
    "check_period_begun",
    "current_period",
    "format_number",
    "history_text",
    "last_periods",
    "measure_rag",
    "measure_rows",
    "parse_period",
    "percentage",
    "period_frequency",
    "period_index",
    "period_label",
    "previous_period",
    "reading_text",
    "score",
    "shown_value",
    "travel",
    "travel_text",
    "year_before",
]

DIRECTIONS = ("up", "down")
FREQUENCIES = ("monthly", "quarterly")
MEASURE_STATUSES = ("active", "retired")
DEFAULT_TOLERANCE = 10.0
# A measure's own fields after its ref, in plan-file order: what a plan file, a form or a
# command can set, what history records one by one and what undo and as-of roll back.
MEASURE_FIELDS = (
    "name",
    "unit",
    "direction",
    "target",
    "baseline",
    "baseline_period",
    "tolerance",
    "frequency",
    "status",
)
MEASURE_NUMBERS = frozenset({"target", "baseline", "tolerance"})
# Words first: the arrow only helps the eye (style.md: never colour or a symbol alone).
TRAVEL_ARROWS = {"improved": "▲", "worse": "▼", "same": "▶", "": ""}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH_NAMES = (
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()  # noqa: SIM905
)


class PeriodError(ValueError):
    """A period that is not `YYYY-MM` or `YYYY-Qn`, or not of the measure's frequency."""


def parse_period(text: str, frequency: str | None = None) -> str:
    """The period in its one written form (`2026-10`, `2026-Q3`), or PeriodError.

    With a frequency, a monthly measure takes months and a quarterly one quarters.
    """
    raw = text.strip()
    month = _MONTH.match(raw)
    quarter = _QUARTER.match(raw)
    if month:
        year, number = int(month.group(1)), int(month.group(2))
        if not 1 <= number <= 12:
            raise PeriodError(f"{text!r} is not a period: the month must be 01 to 12")
        found = "monthly"
        period = f"{year:04d}-{number:02d}"
    elif quarter:
        year = int(quarter.group(1))
        found = "quarterly"
        period = f"{year:04d}-Q{quarter.group(2)}"
    else:
        raise PeriodError(
            f"{text!r} is not a period: write a month as 2026-10 or a quarter as 2026-Q3"
        )
    if not 1900 <= year <= 2199:
        raise PeriodError(f"{text!r} is not a period between 1900 and 2199")
    if frequency is not None and found != frequency:
        wanted = (
            "a month such as 2026-10" if frequency == "monthly" else "a quarter such as 2026-Q3"
        )
        raise PeriodError(f"{text!r} is not a period of this {frequency} measure: write {wanted}")
    return period


def period_frequency(period: str) -> str:
    """`monthly` or `quarterly`, from a period in its written form."""
    return "quarterly" if "Q" in period else "monthly"


def period_index(period: str) -> int:
    """A number that counts periods of one frequency: consecutive periods differ by one."""
    year = int(period[:4])
    if period[5] == "Q":
        return year * 4 + int(period[6]) - 1
    return year * 12 + int(period[5:7]) - 1


def _from_index(index: int, frequency: str) -> str:
    if frequency == "quarterly":
        return f"{index // 4:04d}-Q{index % 4 + 1}"
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_period(period: str) -> str:
    """The period just before (`2026-01` gives `2025-12`)."""
    return _from_index(period_index(period) - 1, period_frequency(period))


def year_before(period: str) -> str:
    """The same period a year before (`2026-10` gives `2025-10`)."""
    return f"{int(period[:4]) - 1:04d}{period[4:]}"


def current_period(today: date, frequency: str) -> str:
    """The period `today` falls in: its month, or its quarter for a quarterly measure."""
    if frequency == "quarterly":
        return f"{today.year:04d}-Q{(today.month - 1) // 3 + 1}"
    return f"{today.year:04d}-{today.month:02d}"


def check_period_begun(period: str, today: date) -> None:
    """PeriodError when `period` has not begun by `today`; the period today falls in,
    only partly through, is allowed (a month's figure can be entered as it stands).

    The one rule every door that records a reading applies (product.md, "Measures of
    impact"): the commands, the CSV import, the terminal UI's form and plan files.
    """
    now = current_period(today, period_frequency(period))
    if period_index(period) > period_index(now):
        raise PeriodError(
            f"{period} has not begun yet (today is {today.day} {today:%B %Y}, in {now}): "
            "a reading is for a period that has begun"
        )


def period_label(period: str) -> str:
    """A short label for charts and papers: `Oct 2026`, `Q3 2026`."""
    if period[5] == "Q":
        return f"{period[5:]} {period[:4]}"
    return f"{_MONTH_NAMES[int(period[5:7]) - 1]} {period[:4]}"


def _dec(value: float) -> Decimal:
    # repr is the shortest text that reads back as the same float: what the user wrote.
    return Decimal(repr(float(value)))


def format_number(value: float | None) -> str:
    """A number as people write it: `85`, `81.5`, `0.25`; blank for none."""
    if value is None:
        return ""
    if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def percentage(count: float, of: float) -> float:
    """`count` of `of` as a percentage to one decimal place (102 of 120 is 85.0)."""
    return float(round(_dec(count) * 100 / _dec(of), 1))


def measure_rag(
    value: float,
    *,
    target: float,
    direction: str,
    tolerance: float = DEFAULT_TOLERANCE,
    comparison: float | None = None,
) -> Rag:
    """A measure's RAG from its latest reading (product.md, "Measures of impact").

    GREEN when the target is met or missed by no more than `tolerance` per cent of the
    target; otherwise AMBER when the reading is better than `comparison` (the same period
    a year before, else the baseline); otherwise RED.
    """
    v, t = _dec(value), _dec(target)
    allowed = abs(t) * _dec(tolerance) / 100
    shortfall = t - v if direction == "up" else v - t
    if shortfall <= allowed:
        return Rag.GREEN
    if comparison is not None and _better(v, _dec(comparison), direction):
        return Rag.AMBER
    return Rag.RED


def _better(value: Decimal, other: Decimal, direction: str) -> bool:
    return value > other if direction == "up" else value < other


def travel(value: float | None, other: float | None, direction: str) -> str:
    """`improved`, `worse` or `same` against another reading, by the measure's direction."""
    if value is None or other is None:
        return ""
    v, o = _dec(value), _dec(other)
    if v == o:
        return "same"
    return "improved" if _better(v, o, direction) else "worse"


@dataclass(frozen=True, slots=True)
class ReadingPoint:
    """One reading as the rules need it: its period and value; with, for those who show
    it (the workbook's Readings sheet), its count of total and its note."""

    period: str
    value: float
    count: float | None = None
    of: float | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MeasureScore:
    """What the scorecard says about one measure from its readings."""

    period: str | None
    value: float | None
    rag: Rag | None
    vs_previous: str
    vs_last_year: str
    previous: float | None
    last_year: float | None
    comparison: float | None


def score(
    readings: Iterable[ReadingPoint],
    *,
    target: float,
    direction: str,
    tolerance: float = DEFAULT_TOLERANCE,
    baseline: float | None = None,
) -> MeasureScore:
    """The scorecard line of one measure: latest reading, RAG and direction of travel."""
    by_period = {r.period: r.value for r in readings}
    if not by_period:
        return MeasureScore(None, None, None, "", "", None, None, None)
    latest = max(by_period, key=period_index)
    value = by_period[latest]
    previous = by_period.get(previous_period(latest))
    last_year = by_period.get(year_before(latest))
    comparison = last_year if last_year is not None else baseline
    return MeasureScore(
        period=latest,
        value=value,
        rag=measure_rag(
            value, target=target, direction=direction, tolerance=tolerance, comparison=comparison
        ),
        vs_previous=travel(value, previous, direction),
        vs_last_year=travel(value, last_year, direction),
        previous=previous,
        last_year=last_year,
        comparison=comparison,
    )


def last_periods(readings: Sequence[ReadingPoint], count: int) -> list[ReadingPoint]:
    """The latest `count` readings, oldest first (for sparklines and small charts)."""
    ordered = sorted(readings, key=lambda r: period_index(r.period))
    return ordered[-count:] if count > 0 else []


SCORECARD_KEYS = (
    "plan",
    "recommendation",
    "measure",
    "name",
    "unit",
    "direction",
    "target",
    "period",
    "value",
    "rag",
    "vs_previous",
    "vs_last_year",
)


@dataclass(frozen=True, slots=True)
class MeasureRow:
    """One stored measure with its scorecard line and its latest readings (oldest first)."""

    id: int
    plan: str
    recommendation: str
    recommendation_title: str
    ref: str
    name: str
    unit: str | None
    direction: str
    target: float
    baseline: float | None
    baseline_period: str | None
    tolerance: float
    frequency: str
    status: str
    version: int
    score: MeasureScore
    recent: tuple[ReadingPoint, ...] = ()
    latest_note: str | None = None
    latest_count: float | None = None
    latest_of: float | None = None

    @property
    def address(self) -> str:
        return f"{self.plan}:{self.ref}"

    def record(self) -> dict[str, str | float | None]:
        """The scorecard's keys (product.md): numbers for target and value, None for empty."""
        s = self.score
        return {
            "plan": self.plan,
            "recommendation": self.recommendation,
            "measure": self.ref,
            "name": self.name,
            "unit": self.unit,
            "direction": self.direction,
            "target": self.target,
            "period": s.period,
            "value": s.value,
            "rag": s.rag.value if s.rag else None,
            "vs_previous": s.vs_previous or None,
            "vs_last_year": s.vs_last_year or None,
        }


@dataclass(frozen=True, slots=True)
class ReadingRow:
    """One stored reading, for a measure's history of readings."""

    period: str
    value: float
    count: float | None
    of: float | None
    note: str | None
    version: int
    updated_by: str
    updated_at: datetime


def shown_value(
    value: float | None, unit: str | None, count: float | None = None, of: float | None = None
) -> str:
    """A reading as a board reads it: `81.5%`, `12 days`, `85% (102 of 120)`."""
    if value is None:
        return ""
    text = format_number(value)
    if unit:
        text += unit if unit == "%" else f" {unit}"
    if count is not None and of is not None:
        text += f" ({format_number(count)} of {format_number(of)})"
    return text


def travel_text(word: str) -> str:
    """A direction of travel as an arrow and its word (`▲ improved`), blank for none."""
    return f"{TRAVEL_ARROWS[word]} {word}" if word else ""


@dataclass(frozen=True, slots=True)
class ReadingInput:
    """One reading to record: the measure's address, its period and value, and where from."""

    address: str
    period: str
    value: float
    note: str | None = None
    count: float | None = None
    of: float | None = None
    place: str = ""


def check_count(value: float | None, count: float | None, of: float | None) -> str | None:
    """Why a reading's `count` and `of` do not fit its value, or None when they do."""
    if count is None and of is None:
        return None
    if count is None or of is None:
        return "give both count and of (102 of 120), or neither"
    if of <= 0 or count < 0:
        return "count must be 0 or more and of more than 0"
    if value is not None and abs(percentage(count, of) - value) > 0.05:
        return (
            f"value {value:g} is not {count:g} of {of:g} as a percentage "
            f"({percentage(count, of):g})"
        )
    return None


def measure_rows(
    rows: Iterable[Sequence[Any]], points: Iterable[Sequence[Any]], recent: int
) -> list[MeasureRow]:
    """Scorecard rows from the two queries both readers run (storage/measures.py): the
    measures' columns, then (measure id, period, value, note, count, of) oldest first."""
    by_measure: dict[int, list[Sequence[Any]]] = {}
    for point in points:
        by_measure.setdefault(point[0], []).append(point)
    out = []
    for row in rows:
        (mid, plan, rec, rec_title, ref, name, unit, direction, target, baseline, bp, tol,
         freq, status, version) = row  # fmt: skip
        mine = by_measure.get(mid, [])
        readings = [ReadingPoint(p[1], p[2], p[4], p[5], p[3]) for p in mine]
        s = score(readings, target=target, direction=direction, tolerance=tol, baseline=baseline)
        last = mine[-1] if mine else None
        out.append(
            MeasureRow(
                id=mid,
                plan=plan,
                recommendation=rec,
                recommendation_title=rec_title,
                ref=ref,
                name=name,
                unit=unit,
                direction=direction,
                target=target,
                baseline=baseline,
                baseline_period=bp,
                tolerance=tol,
                frequency=freq,
                status=status,
                version=version,
                score=s,
                recent=tuple(readings[-recent:]) if recent > 0 else (),
                latest_note=last[3] if last else None,
                latest_count=last[4] if last else None,
                latest_of=last[5] if last else None,
            )
        )
    return out


def _unusable(value: float, name: str) -> str | None:
    if not math.isfinite(value) or abs(value) >= 1e15:
        return f"{name} {value!r} is not a usable number"
    return None


def check_measure(data: MeasureData) -> list[Problem]:
    """What is wrong with a measure a user adds or changes, each with its field (empty
    when it can be stored): the rules a plan file's reader applies. The store refuses
    what this finds; forms show it beside the field."""
    problems: list[Problem] = []
    if not data.name or is_blank(data.name):
        problems.append(Problem("name", "a measure needs a name"))
    elif len(data.name) > MEDIUM:
        problems.append(Problem("name", f"the name is longer than {MEDIUM:,} characters"))
    for name in ("name", "unit"):
        if "\x00" in (getattr(data, name) or ""):
            # No engine keeps text with NUL faithfully (PostgreSQL refuses it outright).
            problems.append(Problem(name, f"the {name} must not contain a NUL character"))
    if data.unit is not None and len(data.unit) > SHORT:
        problems.append(Problem("unit", f"the unit is longer than {SHORT:,} characters"))
    if data.direction not in DIRECTIONS:
        problems.append(
            Problem(
                "direction",
                f"{data.direction!r} is not a direction: use up (higher is better) or down",
            )
        )
    if data.frequency not in FREQUENCIES:
        problems.append(
            Problem("frequency", f"{data.frequency!r} is not a frequency: use monthly or quarterly")
        )
    if data.status not in MEASURE_STATUSES:
        problems.append(
            Problem("status", f"{data.status!r} is not a measure status: use active or retired")
        )
    for name in ("target", "baseline", "tolerance"):
        value = getattr(data, name)
        if value is not None and (bad := _unusable(value, name)):
            problems.append(Problem(name, bad))
    if data.tolerance is not None and data.tolerance < 0:
        problems.append(Problem("tolerance", "tolerance is a percentage of the target: 0 or more"))
    if data.baseline_period is not None and data.frequency in FREQUENCIES:
        try:
            parse_period(data.baseline_period, data.frequency)
        except PeriodError as exc:
            problems.append(Problem("baseline_period", f"baseline period: {exc}"))
    return problems


@dataclass(frozen=True, slots=True)
class MeasurePlace:
    """A recommendation a measure can be added under: its plan, ref and title, the ref a
    new measure there would take (`M<n>.<k>`), and the refs its plan already uses."""

    plan: str
    rec_ref: str
    rec_title: str
    next_ref: str
    taken: frozenset[str]


def history_text(value: object) -> str | None:
    """A value as measure history writes it (numbers without a trailing .0)."""
    if value is None:
        return None
    if isinstance(value, float):
        return format_number(value)
    return str(value)


def reading_text(value: float, count: float | None, of: float | None) -> str:
    """A reading as measure history writes it: `85` or `85 (102 of 120)`."""
    text = format_number(value)
    if count is not None and of is not None:
        text += f" ({format_number(count)} of {format_number(of)})"
    return text
