"""Plan files (TOML) in and out.

`load_plan_file` reads and checks one file against every rule of the plan format and
reports each problem as `FILE: PLACE: what is wrong`; `dump_plan` writes a plan back out
as TOML that imports field for field the same.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tracker.domain.dates import FIRST_YEAR, LAST_YEAR, DateError, in_range, parse_date
from tracker.domain.errors import PlanFileError
from tracker.domain.plan import (
    GRADES,
    LONG,
    MEDIUM,
    SHORT,
    ActionData,
    JudgementData,
    MeasureData,
    PlanData,
    RecommendationData,
)
from tracker.domain.rules import STATUSES
from tracker.domain.text import is_blank

__all__ = [
    "MAX_FILE_BYTES",
    "ActionData",
    "JudgementData",
    "PlanData",
    "RecommendationData",
    "check_unique_keys",
    "dump_plan",
    "load_plan_file",
    "parse_plan_text",
]

MAX_FILE_BYTES = 200 * 1024 * 1024


# --- reading ----------------------------------------------------------------------------

_PLAN_KEYS: dict[str, tuple[str, int]] = {
    "key": ("key", SHORT),
    "authority": ("text", SHORT),
    "title": ("text", MEDIUM),
    "inspection_type": ("text", SHORT),
    "framework": ("text", SHORT),
    "inspection_start": ("date", 0),
    "inspection_end": ("date", 0),
    "published": ("date", 0),
    "plan_due": ("date", 0),
    "overall_judgement": ("text", SHORT),
}
_REC_KEYS: dict[str, tuple[str, int]] = {
    "ref": ("ref", 0),
    "title": ("text", MEDIUM),
    "text": ("text", LONG),
    "area": ("text", MEDIUM),
}
_ACTION_KEYS: dict[str, tuple[str, int]] = {
    "ref": ("ref", 0),
    "description": ("text", LONG),
    "owner": ("text", SHORT),
    "partner": ("text", MEDIUM),
    "start": ("date", 0),
    "deadline": ("date", 0),
    "original_deadline": ("date", 0),
    "status": ("status", 0),
    "progress": ("progress", 0),
    "measure": ("text", LONG),
    "evidence": ("text", LONG),
    "notes": ("text", LONG),
    # Written by export-plan: the action's version, so `import --replace` can tell what
    # changed in the store since (product.md, "Changing the plan").
    "version": ("version", 0),
}
_ACTION_KEY_SET = frozenset(_ACTION_KEYS)
# The text fields of an action: name, whether it is required, its longest length.
_ACTION_TEXTS = tuple(
    (key, key in ("description", "owner"), limit)
    for key, (kind, limit) in _ACTION_KEYS.items()
    if kind == "text"
)
_JUDGEMENT_KEYS = ("area", "grade")
_REF_MAX = 100
_KEY_MAX = 200


class _Checker:
    """Collects every problem in one file instead of stopping at the first."""

    def __init__(self, name: str, today: date | None = None) -> None:
        self.name = name
        self.problems: list[str] = []
        self.today = today  # readings for periods not begun by then are refused

    def fail(self, place: str, what: str) -> None:
        self.problems.append(f"{self.name}: {place}: {what}" if place else f"{self.name}: {what}")

    def table(self, value: object, place: str) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.fail(place, f"must be a table, not {_kind(value)}")
        return None

    def tables(self, value: object, place: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each table of an array of tables, with its place (`place[2]`); anything else in
        it, or a value that is no list at all, is a problem at its place."""
        if not isinstance(value, list):
            self.fail(place, f"must be a list of tables, not {_kind(value)}")
            return
        for i, item in enumerate(value, start=1):
            where = f"{place}[{i}]"
            table = self.table(item, where)
            if table is not None:
                yield where, table

    def unknown(self, table: dict[str, Any], allowed: Iterable[str], place: str) -> None:
        allowed_set = allowed if isinstance(allowed, frozenset) else frozenset(allowed)
        if table.keys() <= allowed_set:
            return
        for key in table:
            if key not in allowed_set:
                hint = _closest(key, allowed_set)
                extra = f" (did you mean {hint!r}?)" if hint else ""
                self.fail(_join(place, key), f"unknown key{extra}")

    def text(
        self, table: dict[str, Any], key: str, place: str, *, required: bool, limit: int
    ) -> str | None:
        value = table.get(key)
        if (
            value.__class__ is str
            and (not limit or len(value) <= limit)
            and value.isprintable()  # no NUL, no zero-width or other invisible character
            and not value.isspace()
            and value
        ):
            return value  # the common case, checked without building the place's name
        where = _join(place, key)
        if key not in table:
            if required:
                self.fail(where, "is required")
            return None
        if not isinstance(value, str):
            self.fail(where, f"must be text, not {_kind(value)}")
            return None
        if "\x00" in value:
            self.fail(where, "contains a NUL character")
            return None
        if is_blank(value):
            if required:
                self.fail(where, "must not be empty")
            return None
        if limit and len(value) > limit:
            self.fail(where, f"is {len(value):,} characters long; at most {limit:,} are allowed")
            return None
        return value

    def date_value(
        self, table: dict[str, Any], key: str, place: str, *, required: bool
    ) -> date | None:
        value = table.get(key)
        if value.__class__ is date and in_range(value):
            return value  # a TOML date: the common case
        where = _join(place, key)
        if key not in table:
            if required:
                self.fail(where, "is required")
            return None
        value = table[key]
        if isinstance(value, datetime):
            self.fail(where, "must be a date without a time, such as 2024-04-23")
            return None
        if isinstance(value, date):
            if not in_range(value):
                self.fail(where, f"{check_range_message(value)}")
                return None
            return value
        if isinstance(value, str):
            try:
                return (
                    parse_date(value, today_=date(2000, 1, 1))
                    if _looks_absolute(value)
                    else _no(value)
                )
            except DateError as exc:
                self.fail(where, str(exc))
                return None
        self.fail(where, f"must be a date such as 2024-04-23, not {_kind(value)}")
        return None


def check_range_message(value: date) -> str:
    return f"{value.isoformat()}: a date must be in the years {FIRST_YEAR} to {LAST_YEAR}"


def _no(value: str) -> date:
    raise DateError(f"{value!r} is not a fixed date: write it as 2024-04-23 or 23/04/2024")


def _looks_absolute(value: str) -> bool:
    lowered = value.strip().lower()
    return not (lowered in {"today", "tomorrow", "yesterday"} or lowered[:1] in {"+", "-"})


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, datetime):
        return "a date and time"
    if isinstance(value, date):
        return "a date"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__


def _join(place: str, key: str) -> str:
    return f"{place}.{key}" if place else key


def _closest(key: str, allowed: Iterable[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.75)
    return found[0] if found else None


def load_plan_file(
    path: Path, *, display: str | None = None, today: date | None = None
) -> PlanData:
    """Read and check one plan file; raise PlanFileError listing every problem in it.

    With `today`, a measure's reading for a period that has not begun by then is one of
    the problems (every command and form that loads a user's file passes it)."""
    name = display or str(path)
    data = read_input_file(
        path,
        name=name,
        what="a plan file",
        max_bytes=MAX_FILE_BYTES,
        too_big=lambda _size: "is larger than 200 MB, the most a plan file may be",
    )
    return parse_plan_bytes(data, name=name, default_key=path.stem, today=today)


def read_input_file(
    path: Path, *, name: str, what: str, max_bytes: int, too_big: Callable[[int], str]
) -> bytes:
    """The bytes of a file a user named, or one PlanFileError line saying why not.

    At most `max_bytes` are read, whatever the file claims: a device or a pipe that never
    ends (`/dev/zero`) is refused as too big instead of filling the memory.
    """
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise PlanFileError([f"{name}: is a folder, not {what}"])
        if size > max_bytes:
            raise PlanFileError([f"{name}: {too_big(size)}"])
        with path.open("rb") as stream:
            data = stream.read(max_bytes + 1)
        if len(data) > max_bytes:
            raise PlanFileError([f"{name}: {too_big(len(data))}"])
        return data
    except FileNotFoundError:
        raise PlanFileError([f"{name}: no such file"]) from None
    except PermissionError:
        raise PlanFileError([f"{name}: cannot be read (permission denied)"]) from None
    except IsADirectoryError:
        raise PlanFileError([f"{name}: is a folder, not {what}"]) from None
    except OSError as exc:
        raise PlanFileError([f"{name}: cannot be read ({exc.strerror or exc})"]) from None


def parse_plan_bytes(
    data: bytes, *, name: str, default_key: str, today: date | None = None
) -> PlanData:
    """Decode and check the bytes of a plan file."""
    if not data.strip():
        raise PlanFileError([f"{name}: the file is empty"])
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or _looks_utf16(data[:8192]):
        raise PlanFileError([f"{name}: is UTF-16 text, not UTF-8 (save the file as UTF-8)"])
    if b"\x00" in data[:8192]:
        raise PlanFileError([f"{name}: is a binary file, not a TOML plan"])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise PlanFileError(
            [f"{name}: line {line}: is not UTF-8 text (save the file as UTF-8)"]
        ) from None
    return parse_plan_text(text, name=name, default_key=default_key, today=today)


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 without a byte-order mark: every other byte of plain text is NUL."""
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) > len(even) * 0.9 or odd.count(0) > len(odd) * 0.9


def parse_plan_text(
    text: str, *, name: str, default_key: str, today: date | None = None
) -> PlanData:
    """Check the text of a plan file against every rule of the format."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanFileError([f"{name}: {_toml_place(str(exc))}{_date_hint(text, exc)}"]) from None
    except RecursionError:
        raise PlanFileError([f"{name}: the TOML is nested too deeply"]) from None
    check = _Checker(name, today)
    plan = _read_plan(raw, check, default_key)
    if check.problems or plan is None:
        raise PlanFileError(check.problems or [f"{name}: the plan is not valid"])
    return plan


_BARE_DATE = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=\s*(\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\s*(?:#.*)?$")


def _date_hint(text: str, exc: tomllib.TOMLDecodeError) -> str:
    """`; write the date as 2027-03-31 or "31/03/2027"` when the line the parser stopped
    at is a day-first date written without quotes, as a UK user types it."""
    lineno = getattr(exc, "lineno", None)
    if lineno is None:
        m = re.search(r"at line (\d+)", str(exc))
        lineno = int(m.group(1)) if m else None
    lines = text.splitlines()
    if lineno is None or not 1 <= lineno <= len(lines):
        return ""
    m = _BARE_DATE.match(lines[lineno - 1])
    if m is None:
        return ""
    written = m.group(2)
    try:
        day = parse_date(written)
    except DateError:
        return f'; a date goes in quotes ("{written}") or is written as YYYY-MM-DD'
    return f'; write the date as {day.isoformat()} or "{written}"'


def _toml_place(message: str) -> str:
    """tomllib says `Expected ... (at line 3, column 7)`; put the place first."""
    if message.endswith(")") and "(at line " in message:
        what, _, where = message.rpartition(" (at ")
        return f"{where[:-1]}: TOML syntax error: {what}"
    return f"TOML syntax error: {message}"


def _read_plan(raw: dict[str, Any], check: _Checker, default_key: str) -> PlanData | None:
    check.unknown(raw, ("plan", "judgements", "recommendations"), "")
    plan_table = check.table(raw["plan"], "plan") if "plan" in raw else None
    if "plan" not in raw:
        check.fail("plan", "is required (a [plan] table)")
    values: dict[str, Any] = {}
    if plan_table is not None:
        check.unknown(plan_table, _PLAN_KEYS, "plan")
        for key, (kind, limit) in _PLAN_KEYS.items():
            required = key in ("authority", "title")
            if kind == "date":
                values[key] = check.date_value(plan_table, key, "plan", required=False)
            elif kind == "key":
                values[key] = check.text(plan_table, key, "plan", required=False, limit=_KEY_MAX)
            else:
                values[key] = check.text(plan_table, key, "plan", required=required, limit=limit)
        start, end = values.get("inspection_start"), values.get("inspection_end")
        if start and end and start > end:
            check.fail("plan.inspection_end", f"{end} is before inspection_start {start}")
    key = values.get("key") or default_key
    if not valid_key(key):
        where = "plan.key" if values.get("key") else "the file name"
        check.fail(where, f"{key!r} is not a usable plan key: use letters, digits, '-', '_' or '.'")

    judgements = _read_judgements(raw.get("judgements", []), check)
    recommendations = _read_recommendations(raw.get("recommendations", []), check)
    if plan_table is None:
        return None
    return PlanData(
        key=key,
        authority=values.get("authority") or "",
        title=values.get("title") or "",
        inspection_type=values.get("inspection_type"),
        framework=values.get("framework"),
        inspection_start=values.get("inspection_start"),
        inspection_end=values.get("inspection_end"),
        published=values.get("published"),
        plan_due=values.get("plan_due"),
        overall_judgement=values.get("overall_judgement"),
        judgements=judgements,
        recommendations=recommendations,
    )


def valid_key(key: str) -> bool:
    return (
        0 < len(key) <= _KEY_MAX
        and key[0].isalnum()
        and all(c.isalnum() or c in "-_." for c in key)
        and key.isascii()
    )


def _read_judgements(value: object, check: _Checker) -> list[JudgementData]:
    out: list[JudgementData] = []
    for place, table in check.tables(value, "judgements"):
        check.unknown(table, _JUDGEMENT_KEYS, place)
        area = check.text(table, "area", place, required=True, limit=MEDIUM)
        grade = check.text(table, "grade", place, required=True, limit=SHORT)
        if grade is not None and grade not in GRADES:
            check.fail(
                f"{place}.grade", f"{grade!r} is not a grade: use one of {', '.join(GRADES)}"
            )
        if area and grade:
            out.append(JudgementData(area=area, grade=grade))
    return out


def _read_recommendations(value: object, check: _Checker) -> list[RecommendationData]:
    refs: dict[str, str] = {}
    out: list[RecommendationData] = []
    for place, table in check.tables(value, "recommendations"):
        check.unknown(table, (*_REC_KEYS, "actions", "measures"), place)
        ref = _read_ref(table, place, check, refs)
        title = check.text(table, "title", place, required=True, limit=MEDIUM)
        text = check.text(table, "text", place, required=False, limit=LONG)
        area = check.text(table, "area", place, required=False, limit=MEDIUM)
        actions = _read_actions(table.get("actions", []), place, check, refs)
        measures = (
            read_measures(table["measures"], place, check, refs) if "measures" in table else []
        )
        if ref and title:
            out.append(
                RecommendationData(
                    ref=ref, title=title, text=text, area=area, actions=actions, measures=measures
                )
            )
    return out


def _read_ref(
    table: dict[str, Any], place: str, check: _Checker, refs: dict[str, str]
) -> str | None:
    ref = check.text(table, "ref", place, required=True, limit=_REF_MAX)
    if ref is None:
        return None
    # Every whitespace character but the space is also not printable: one C-level check.
    if ref != ref.strip() or ":" in ref or not ref.isprintable():
        check.fail(
            f"{place}.ref",
            f"{ref!r} must not contain ':', tabs, newlines, control characters or outer spaces",
        )
        return None
    if ref in refs:
        check.fail(f"{place}.ref", f"{ref!r} is used twice (also at {refs[ref]})")
        return None
    refs[ref] = f"{place}.ref"
    return ref


def _read_actions(
    value: object, place: str, check: _Checker, refs: dict[str, str]
) -> list[ActionData]:
    out: list[ActionData] = []
    for where, table in check.tables(value, f"{place}.actions"):
        action = _read_action(table, where, check, refs)
        if action is not None:
            out.append(action)
    return out


def _read_action(
    table: dict[str, Any], where: str, check: _Checker, refs: dict[str, str]
) -> ActionData | None:
    check.unknown(table, _ACTION_KEY_SET, where)
    before = len(check.problems)
    ref = _read_ref(table, where, check, refs)
    texts: dict[str, str | None] = {
        key: check.text(table, key, where, required=required, limit=limit)
        for key, required, limit in _ACTION_TEXTS
    }
    start = check.date_value(table, "start", where, required=False)
    deadline = check.date_value(table, "deadline", where, required=True)
    original = check.date_value(table, "original_deadline", where, required=False)
    if start and deadline and start > deadline:
        check.fail(f"{where}.start", f"{start} is after the deadline {deadline}")
    status = _read_status(table, where, check)
    progress = _read_progress(table, where, check, status)
    version = _read_version(table, where, check)
    if len(check.problems) > before:
        return None
    if ref is None or deadline is None or status is None or progress is None:
        return None
    return ActionData(
        ref=ref,
        description=texts["description"] or "",
        owner=texts["owner"] or "",
        deadline=deadline,
        status=status,
        progress=progress,
        partner=texts["partner"],
        start=start,
        original_deadline=original,
        measure=texts["measure"],
        evidence=texts["evidence"],
        notes=texts["notes"],
        version=version,
    )


def _read_version(table: dict[str, Any], where: str, check: _Checker) -> int | None:
    """The version export-plan wrote (a whole number from 1), or None if there is none."""
    if "version" not in table:
        return None
    value: object = table["version"]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        check.fail(f"{where}.version", "must be a whole number from 1 (as export-plan writes it)")
        return None
    return value


def _read_status(table: dict[str, Any], where: str, check: _Checker) -> str | None:
    if "status" not in table:
        check.fail(f"{where}.status", "is required")
        return None
    raw = table["status"]
    status = raw
    if isinstance(raw, str):
        # As people write it: `In progress`, `in-progress` and `Complete` are statuses too.
        status = "_".join(raw.strip().lower().replace("-", " ").replace("_", " ").split())
    if not isinstance(status, str) or status not in STATUSES:
        shown = repr(raw) if isinstance(raw, str) else _kind(raw)
        check.fail(f"{where}.status", f"{shown} is not a status: use one of {', '.join(STATUSES)}")
        return None
    return status


def _read_progress(
    table: dict[str, Any], where: str, check: _Checker, status: str | None
) -> int | None:
    if "progress" not in table:
        return 100 if status == "complete" else 0
    value: object = table["progress"]
    if isinstance(value, bool) or not isinstance(value, int):
        check.fail(f"{where}.progress", f"must be a whole number 0-100, not {_kind(value)}")
        return None
    if not 0 <= value <= 100:
        check.fail(f"{where}.progress", f"{value} is not between 0 and 100")
        return None
    if status == "complete" and value != 100:
        check.fail(f"{where}.progress", f"a complete action has progress 100, not {value}")
        return None
    return value


def read_measures(
    value: object, place: str, check: _Checker, refs: dict[str, str]
) -> list[MeasureData]:
    """A recommendation's `[[recommendations.measures]]`, each problem with its place."""
    from tracker.formats.measures_toml import read_measure

    out: list[MeasureData] = []
    for where, table in check.tables(value, f"{place}.measures"):
        before = len(check.problems)
        ref = _read_ref(table, where, check, refs)
        measure = read_measure(table, where, check, ref)
        if measure is not None and len(check.problems) == before:
            out.append(measure)
    return out


def check_unique_keys(plans: Iterable[tuple[str, PlanData]]) -> None:
    """Refuse the same plan key twice among the files of one import."""
    seen: dict[str, str] = {}
    problems: list[str] = []
    for name, plan in plans:
        if plan.key in seen:
            problems.append(f"{name}: plan.key: {plan.key!r} is also the key of {seen[plan.key]}")
        else:
            seen[plan.key] = name
    if problems:
        raise PlanFileError(problems)


# --- writing ----------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    """A TOML basic string: quotes, backslashes and control characters escaped."""
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _toml_value(value: object) -> str:
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Finite by the time it is written (the reader refuses inf and nan); a whole
        # number is written without its ".0" and reads back as the same value.
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _lines(pairs: Iterable[tuple[str, object]]) -> list[str]:
    return [f"{k} = {_toml_value(v)}" for k, v in pairs if v is not None]


def dump_plan(plan: PlanData) -> str:
    """The plan as TOML: `key` and `judgements` always written, empty optionals left out."""
    out: list[str] = ["[plan]"]
    out += _lines((k, getattr(plan, k)) for k in _PLAN_KEYS)
    out.append("")
    if not plan.judgements:
        # A top-level key must come before any [[table]]: write it after [plan] as a
        # dotted key would be wrong, so place it at the top of the document instead.
        out.insert(0, "judgements = []")
        out.insert(1, "")
    for j in plan.judgements:
        out.append("[[judgements]]")
        out += _lines((("area", j.area), ("grade", j.grade)))
        out.append("")
    for rec in plan.recommendations:
        out.append("[[recommendations]]")
        out += _lines((k, getattr(rec, k)) for k in _REC_KEYS)
        out.append("")
        for action in rec.actions:
            out.append("[[recommendations.actions]]")
            out += _lines(_action_pairs(action))
            out.append("")
        if rec.measures:
            from tracker.formats.measures_toml import dump_measures

            out += dump_measures(rec.measures, _lines)
    return "\n".join(out).rstrip("\n") + "\n"


def _action_pairs(action: ActionData) -> Iterable[tuple[str, object]]:
    get: Callable[[str], object] = lambda k: getattr(action, k)  # noqa: E731
    for key in _ACTION_KEYS:
        yield key, get(key)
