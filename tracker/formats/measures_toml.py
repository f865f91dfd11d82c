"""Measures of impact in plan files: `[[recommendations.measures]]` and their readings.

The reader checks each measure and reading like every other part of a plan file (unknown
keys, words from a fixed list, numbers that are numbers, periods of the measure's
frequency, a period twice), naming the place of each problem; the writer is the inverse.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from tracker.domain.measures import (
    DEFAULT_TOLERANCE,
    DIRECTIONS,
    FREQUENCIES,
    MEASURE_FIELDS,
    MEASURE_STATUSES,
    PeriodError,
    check_count,
    check_period_begun,
    parse_period,
)
from tracker.domain.plan import MEDIUM, SHORT, MeasureData, ReadingData

if TYPE_CHECKING:
    from tracker.formats.plan_toml import _Checker

__all__ = ["MEASURE_KEYS", "READING_KEYS", "dump_measures", "read_measure"]

MEASURE_KEYS = ("ref", *MEASURE_FIELDS)
READING_KEYS = ("period", "value", "note", "count", "of")
_LIMIT = 1e15  # larger magnitudes are a slip, and would not print as plain numbers


def _number(
    table: dict[str, Any], key: str, where: str, check: _Checker, *, required: bool
) -> float | None:
    if key not in table:
        if required:
            check.fail(f"{where}.{key}", "is required")
        return None
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = f"{value!r} (text)" if isinstance(value, str) else _kind(value)
        check.fail(f"{where}.{key}", f"must be a number, such as 85 or 81.5, not {shown}")
        return None
    number = float(value)
    if not math.isfinite(number) or abs(number) >= _LIMIT:
        check.fail(f"{where}.{key}", f"{value!r} is not a usable number")
        return None
    return number


def _kind(value: object) -> str:
    from tracker.formats.plan_toml import _kind as kind

    return kind(value)


def _word(
    table: dict[str, Any], key: str, where: str, check: _Checker, allowed: tuple[str, ...]
) -> str | None:
    if key not in table:
        return None
    value = table[key]
    word = value.strip().lower() if isinstance(value, str) else None
    if word not in allowed:
        shown = repr(value) if isinstance(value, str) else _kind(value)
        check.fail(f"{where}.{key}", f"{shown} is not one of {', '.join(allowed)}")
        return None
    return word


def read_measure(
    table: dict[str, Any], where: str, check: _Checker, ref: str | None
) -> MeasureData | None:
    """One `[[recommendations.measures]]` table, or None when it has a problem."""
    check.unknown(table, (*MEASURE_KEYS, "readings"), where)
    before = len(check.problems)
    name = check.text(table, "name", where, required=True, limit=MEDIUM)
    unit = check.text(table, "unit", where, required=False, limit=SHORT)
    direction = _word(table, "direction", where, check, DIRECTIONS)
    if "direction" not in table:
        check.fail(f"{where}.direction", "is required (up: higher is better; down: lower is)")
    target = _number(table, "target", where, check, required=True)
    baseline = _number(table, "baseline", where, check, required=False)
    tolerance = _number(table, "tolerance", where, check, required=False)
    if tolerance is not None and tolerance < 0:
        check.fail(f"{where}.tolerance", f"{tolerance:g} is below 0 (a percentage of the target)")
    frequency = _word(table, "frequency", where, check, FREQUENCIES) or "monthly"
    status = _word(table, "status", where, check, MEASURE_STATUSES) or "active"
    baseline_period = None
    if "baseline_period" in table:
        raw = table["baseline_period"]
        if not isinstance(raw, str):
            check.fail(
                f"{where}.baseline_period", f'must be text such as "2023-10", not {_kind(raw)}'
            )
        else:
            try:
                baseline_period = parse_period(raw, frequency)
            except PeriodError as exc:
                check.fail(f"{where}.baseline_period", str(exc))
    readings = _read_readings(table.get("readings", []), where, check, frequency)
    if len(check.problems) > before or ref is None or name is None:
        return None
    if direction is None or target is None:
        return None
    return MeasureData(
        ref=ref,
        name=name,
        direction=direction,
        target=target,
        unit=unit,
        baseline=baseline,
        baseline_period=baseline_period,
        tolerance=DEFAULT_TOLERANCE if tolerance is None else tolerance,
        frequency=frequency,
        status=status,
        readings=readings,
    )


def _read_readings(value: object, place: str, check: _Checker, frequency: str) -> list[ReadingData]:
    out: list[ReadingData] = []
    seen: dict[str, str] = {}
    for where, table in check.tables(value, f"{place}.readings"):
        check.unknown(table, READING_KEYS, where)
        before = len(check.problems)
        period = None
        raw = table.get("period")
        if "period" not in table:
            check.fail(f"{where}.period", "is required")
        elif not isinstance(raw, str):
            check.fail(f"{where}.period", f'must be text such as "2026-10", not {_kind(raw)}')
        else:
            try:
                period = parse_period(raw, frequency)
                if check.today is not None:
                    check_period_begun(period, check.today)
            except PeriodError as exc:
                check.fail(f"{where}.period", str(exc))
                period = None
        if period is not None:
            if period in seen:
                check.fail(f"{where}.period", f"{period} is given twice (also at {seen[period]})")
            else:
                seen[period] = f"{where}.period"
        value_ = _number(table, "value", where, check, required=True)
        note = check.text(table, "note", where, required=False, limit=MEDIUM)
        count = _number(table, "count", where, check, required=False)
        of = _number(table, "of", where, check, required=False)
        problem = check_count(value_, count, of)
        if problem:
            check.fail(where, problem)
        if len(check.problems) == before and period is not None and value_ is not None:
            out.append(ReadingData(period=period, value=value_, note=note, count=count, of=of))
    return out


def dump_measures(
    measures: Iterable[MeasureData], lines: Callable[[Iterable[tuple[str, object]]], list[str]]
) -> list[str]:
    """The TOML of one recommendation's measures and their readings (oldest first)."""
    out: list[str] = []
    for m in measures:
        out.append("[[recommendations.measures]]")
        out += lines(
            (
                ("ref", m.ref),
                ("name", m.name),
                ("unit", m.unit),
                ("direction", m.direction),
                ("target", m.target),
                ("baseline", m.baseline),
                ("baseline_period", m.baseline_period),
                ("tolerance", m.tolerance),
                ("frequency", m.frequency),
                ("status", None if m.status == "active" else m.status),
            )
        )
        out.append("")
        for r in m.readings:
            out.append("[[recommendations.measures.readings]]")
            out += lines(
                (
                    ("period", r.period),
                    ("value", r.value),
                    ("count", r.count),
                    ("of", r.of),
                    ("note", r.note),
                )
            )
            out.append("")
    return out
