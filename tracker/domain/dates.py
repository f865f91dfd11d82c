"""Typed dates as a UK user writes them, and the clock seams `today()` and `now_utc()`.

Day first everywhere: `23/04/2024` is the 23rd of April. A date that does not exist
(`31/02/2025`) is an error, never moved to a nearby day.
"""

from __future__ import annotations

import os
import re
import warnings
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "DateError",
    "format_date",
    "format_utc",
    "long_date",
    "now_utc",
    "parse_date",
    "parse_timestamp",
    "short_date",
    "today",
]


class DateError(ValueError):
    """A typed date that cannot be read; the message says what was typed and why."""


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_NUMBERS = re.compile(r"^\d+[/.\-]\d+[/.\-]\d+$")
_RELATIVE = re.compile(r"^([+-])\s*(\d{1,4})\s*([dwmy])$", re.IGNORECASE)
_HINT = "use a date such as 2024-04-23, 23/04/2024, 23 April 2024, today, +2w or +3m"


def _build(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise DateError(f"{text!r} is not a real date") from None


# Typed dates outside these years are typing slips ("23/04/224", "1/2/3"), not plans.
FIRST_YEAR = 1900
LAST_YEAR = 2199


def in_range(value: date) -> bool:
    """Whether a date falls in the years every door accepts (FIRST_YEAR to LAST_YEAR)."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def check_range(value: date) -> date:
    """The date, or DateError when it falls outside FIRST_YEAR to LAST_YEAR."""
    if not in_range(value):
        raise DateError(
            f"{value.isoformat()}: a date must be in the years {FIRST_YEAR} to {LAST_YEAR}"
        )
    return value


def parse_date(text: str, *, today_: date | None = None) -> date:
    """Read a typed date, day first; `today` and `+2w`/`+3m`/`-5d` count from `today_`.

    The date must fall in the years FIRST_YEAR to LAST_YEAR.
    """
    result = _parse_date(text, today_)
    if not FIRST_YEAR <= result.year <= LAST_YEAR:
        raw = text.strip()
        shown = f"{raw!r}:" if raw == result.isoformat() else f"{raw!r} is {result.isoformat()}:"
        raise DateError(f"{shown} a date must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return result


def _parse_date(text: str, today_: date | None) -> date:
    raw = text.strip()
    if not raw:
        raise DateError(f"a date is needed: {_HINT}")
    lowered = raw.lower()
    base = today_ if today_ is not None else today()
    if lowered == "today":
        return base
    if lowered == "tomorrow":
        return base + timedelta(days=1)
    if lowered == "yesterday":
        return base - timedelta(days=1)
    if m := _RELATIVE.match(raw):
        try:
            return _relative(base, m.group(1), int(m.group(2)), m.group(3).lower())
        except (OverflowError, ValueError):
            raise DateError(f"{raw!r} is beyond the calendar (years 1 to 9999)") from None
    if m := _ISO.match(raw):
        return _build(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
    if m := _DMY.match(raw):
        year = int(m.group(3))
        if year < 100:
            year += 2000
        return _build(year, int(m.group(2)), int(m.group(1)), raw)
    if _NUMBERS.match(raw):  # "1/2/3", "23/04/224": the year is not two or four digits
        raise DateError(f"{raw!r} is not a date: {_HINT}")
    return _parse_words(raw)


def _relative(base: date, sign: str, amount: int, unit: str) -> date:
    from dateutil.relativedelta import relativedelta

    n = amount if sign == "+" else -amount
    if unit == "d":
        return base + timedelta(days=n)
    if unit == "w":
        return base + timedelta(weeks=n)
    if unit == "m":
        return base + relativedelta(months=n)
    return base + relativedelta(years=n)


def _parse_words(raw: str) -> date:
    """Dates written in words, such as `23 April 2024` or `23rd Apr 2024`."""
    from dateutil import parser

    # dateutil fills missing parts from a default; two different defaults expose a date
    # that was not fully given (e.g. "April 2024" has no day) instead of guessing it.
    first = datetime(2000, 1, 1)
    second = datetime(2001, 2, 2)
    try:
        with warnings.catch_warnings():
            # A word dateutil takes for an unknown time zone ("23 April 2024 C") is not
            # part of a date: refuse it rather than warn on the user's terminal.
            warnings.simplefilter("error", parser.UnknownTimezoneWarning)
            a = parser.parse(raw, dayfirst=True, default=first)
            b = parser.parse(raw, dayfirst=True, default=second)
    except parser.UnknownTimezoneWarning:
        raise DateError(f"{raw!r} is not a date: {_HINT}") from None
    except (parser.ParserError, ValueError, OverflowError) as exc:
        if "out of range" in str(exc) or "must be in" in str(exc):
            raise DateError(f"{raw!r} is not a real date") from None
        raise DateError(f"{raw!r} is not a date: {_HINT}") from None
    if a != b or a.time() != datetime.min.time():
        raise DateError(f"{raw!r} is not a whole date: {_HINT}")
    return a.date()


def today() -> date:
    """The user's local date, unless `TRACKER_TODAY` pins it (tests, back-filling)."""
    pinned = os.environ.get("TRACKER_TODAY", "").strip()
    if pinned:
        return parse_date(pinned, today_=date.today())
    return date.today()


def now_utc() -> datetime:
    """The current UTC time to the second, unless `TRACKER_NOW` pins it."""
    pinned = os.environ.get("TRACKER_NOW", "").strip()
    if pinned:
        return parse_timestamp(pinned)
    return datetime.now(UTC).replace(microsecond=0, tzinfo=None)


def parse_timestamp(text: str) -> datetime:
    """An ISO timestamp as naive UTC; one without a zone is taken as UTC."""
    raw = text.strip()
    if raw.endswith(("Z", "z")):
        raw = raw[:-1] + "+00:00"
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise DateError(f"{text!r} is not an ISO timestamp such as 2024-04-23T09:30:00Z") from None
    if value.tzinfo is not None:
        try:
            value = value.astimezone(UTC).replace(tzinfo=None)
        except OverflowError:
            value = value.replace(tzinfo=None)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise DateError(f"{text!r}: a timestamp must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value.replace(microsecond=0)


def format_date(value: date | None) -> str:
    """`YYYY-MM-DD`, or empty for no date."""
    return value.isoformat() if value is not None else ""


def format_utc(value: datetime | None) -> str:
    """`YYYY-MM-DDTHH:MM:SSZ` for a naive UTC time, or empty."""
    if value is None:
        return ""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# English month names whatever the locale (strftime's %B follows LC_TIME).
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def short_date(value: date | None) -> str:
    """`31 Jul 2026`: a date in a table, as a UK reader writes it."""
    return f"{value.day} {_MONTHS[value.month - 1][:3]} {value.year}" if value else ""


def long_date(value: date | None) -> str:
    """`31 July 2026`: a date in a heading or a sentence, as a UK reader writes it."""
    return f"{value.day} {_MONTHS[value.month - 1]} {value.year}" if value else ""
