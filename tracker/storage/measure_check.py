"""`tracker check` on measures of impact: readings, versions and history, and where each
measure belongs.

Each problem is one line naming the measure (`PLAN:REF`) and, for a reading, its period:

- a reading's period is written as tracker writes it, is of its measure's frequency, and
  its stored `period_index` is that period's;
- a reading with `count` and `of` agrees with its value (the rule readings are added by);
- a measure at version N has at least N - 1 history entries about its fields, and a
  reading at version N at least N - 1 corrections in history (every change writes one);
- every measure's plan and recommendation exist, and the recommendation is the plan's;
- every reading and history entry names a measure that exists.

Read only, and dialect-neutral: it runs on the connection `check_store` opened.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, func, select

from tracker.domain.measures import (
    PeriodError,
    check_count,
    parse_period,
    period_frequency,
    period_index,
)
from tracker.storage.measure_tables import MEASURE, MEASURE_HISTORY, READING
from tracker.storage.models import PLAN, RECOMMENDATION

__all__ = ["MEASURE_CHECK_TABLES", "measure_problems"]

M = MEASURE
RD = READING
MH = MEASURE_HISTORY

MEASURE_CHECK_TABLES = frozenset(
    {"plan", "recommendation", "measure", "reading", "measure_history"}
)
_READING = "reading "
_NOTE = " note"


def _version(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and raw >= 1 else None


def measure_problems(conn: Connection, most: int = 50) -> list[str]:
    """Every problem found with the measures, readings and measure history, one line each
    (at most `most` lines of each kind, then a line saying more were not listed)."""
    lines: dict[str, list[str]] = {}
    extra: Counter[str] = Counter()

    def say(kind: str, text: str) -> None:
        found = lines.setdefault(kind, [])
        if len(found) < most:
            found.append(text)
        else:
            extra[kind] += 1

    plans: dict[int, str] = {pid: key for pid, key in conn.execute(select(PLAN.id, PLAN.key))}  # noqa: C416
    recs = {
        rid: (plan_id, ref)
        for rid, plan_id, ref in conn.execute(
            select(RECOMMENDATION.id, RECOMMENDATION.plan_id, RECOMMENDATION.ref)
        )
    }
    # History by measure: entries about its fields, and corrections by reading period.
    field_entries: Counter[int] = Counter()
    corrections: Counter[tuple[int, str]] = Counter()
    history_measures: Counter[int] = Counter()
    for mid, name, n, with_old in conn.execute(
        select(MH.measure_id, MH.field, func.count(), func.count(MH.old)).group_by(
            MH.measure_id, MH.field
        )
    ):
        history_measures[mid] += n
        text = str(name or "")
        if text.startswith(_READING):
            period = text[len(_READING) :]
            if period.endswith(_NOTE):
                corrections[(mid, period[: -len(_NOTE)])] += n  # a note changed: a correction
            else:
                corrections[(mid, period)] += with_old  # the first entry has no old value
        elif text != "created":
            field_entries[mid] += n

    measures: dict[int, tuple[str, str]] = {}
    for mid, plan_id, rec_id, ref, frequency, raw_version in conn.execute(
        select(M.id, M.plan_id, M.recommendation_id, M.ref, M.frequency, M.version).order_by(M.id)
    ):
        key = plans.get(plan_id)
        address = f"{key}:{ref}" if key is not None else f"measure {mid} ({ref})"
        measures[mid] = (address, str(frequency))
        if key is None:
            say("plan", f"{address}: its plan (id {plan_id}) is not in the store")
        rec = recs.get(rec_id)
        if rec is None:
            say("plan", f"{address}: its recommendation (id {rec_id}) is not in the store")
        elif rec[0] != plan_id:
            other = plans.get(rec[0], f"plan id {rec[0]}")
            say(
                "plan",
                f"{address}: its recommendation {rec[1]} belongs to another plan ({other})",
            )
        version = _version(raw_version)
        if version is None:
            say("version", f"{address}: version {raw_version!r} is not 1 or more")
        elif field_entries[mid] < version - 1:
            say(
                "version",
                f"{address}: at version {version} but only {field_entries[mid]} history "
                "entries about its fields (history was lost)",
            )

    orphans: Counter[int] = Counter()
    for mid, period, stored_index, value, count, of, raw_version in conn.execute(
        select(
            RD.measure_id,
            RD.period,
            RD.period_index,
            RD.value,
            RD.numerator,
            RD.denominator,
            RD.version,
        ).order_by(RD.measure_id, RD.id)
    ):
        known = measures.get(mid)
        if known is None:
            orphans[mid] += 1
            continue
        address, frequency = known
        where = f"{address} {period}"
        try:
            written = parse_period(str(period))
        except PeriodError as exc:
            say("period", f"{where}: {exc}")
            continue
        if written != period:
            say("period", f"{where}: the period is not written as {written}")
        found = period_frequency(written)
        if found != frequency:
            say("period", f"{where}: a {found} period in a {frequency} measure")
        if stored_index != period_index(written):
            say(
                "period",
                f"{where}: period_index {stored_index!r} is not the period's "
                f"({period_index(written)})",
            )
        try:
            problem = check_count(value, count, of)
        except (TypeError, ValueError, ArithmeticError):
            problem = f"value {value!r}, count {count!r} and of {of!r} are not numbers"
        if problem:
            say("count", f"{where}: {problem}")
        version = _version(raw_version)
        done = corrections[(mid, str(period))]
        if version is None:
            say("version", f"{where}: the reading's version {raw_version!r} is not 1 or more")
        elif done < version - 1:
            say(
                "version",
                f"{where}: the reading is at version {version} but history has only {done} "
                "corrections of it (history was lost)",
            )
    for mid, n in sorted(orphans.items()):
        say("orphan", f"{n} readings name measure {mid}, which is not in the store")
    for mid, n in sorted(history_measures.items()):
        if mid not in measures:
            say(
                "orphan",
                f"{n} measure history entries name measure {mid}, which is not in the store",
            )
    out = [line for found in lines.values() for line in found]
    out += [f"{n} more problems of the same kind not listed" for n in extra.values()]
    return out
