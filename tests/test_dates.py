"""Typed dates as a UK user writes them: day first, words, today and relative dates.

A date that does not exist is an error with a clear message, never moved to a nearby day.
"""

from __future__ import annotations

import warnings
from datetime import date, datetime

import pytest

from tracker.domain.dates import (
    DateError,
    format_date,
    format_utc,
    now_utc,
    parse_date,
    parse_timestamp,
    today,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-04-23", date(2024, 4, 23)),
        ("23/04/2024", date(2024, 4, 23)),
        ("23 April 2024", date(2024, 4, 23)),
        ("23 april 2024", date(2024, 4, 23)),
        ("23 Apr 2024", date(2024, 4, 23)),
        ("23rd April 2024", date(2024, 4, 23)),
        ("  23/04/2024  ", date(2024, 4, 23)),
        ("01/02/2025", date(2025, 2, 1)),  # day first: the 1st of February
        ("1/2/2025", date(2025, 2, 1)),
        ("29/02/2024", date(2024, 2, 29)),  # a leap day that exists
        ("today", TODAY),
        ("Today", TODAY),
        ("+2w", date(2026, 12, 9)),
        ("+3m", date(2027, 2, 25)),
        ("+10d", date(2026, 12, 5)),
        ("-5d", date(2026, 11, 20)),
        ("+1y", date(2027, 11, 25)),
    ],
)
def test_the_date_forms_a_user_types(text: str, expected: date) -> None:
    assert parse_date(text, today_=TODAY) == expected


def test_months_ahead_stay_in_a_short_month() -> None:
    assert parse_date("+1m", today_=date(2027, 1, 31)) == date(2027, 2, 28)


def test_today_and_relative_dates_count_from_tracker_today() -> None:
    # conftest pins TRACKER_TODAY to 2026-11-25.
    assert today() == TODAY
    assert parse_date("today") == TODAY
    assert parse_date("+2w") == date(2026, 12, 9)


def test_tracker_today_accepts_the_same_forms(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_TODAY", "01/03/2027")
    assert today() == date(2027, 3, 1)


@pytest.mark.parametrize(
    "text", ["31/02/2025", "2025-02-30", "29/02/2025", "31/04/2024", "32/01/2024", "2024-13-01"]
)
def test_a_date_that_does_not_exist_is_an_error(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, today_=TODAY)
    assert str(caught.value) == f"{text!r} is not a real date"


def test_a_day_in_words_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(DateError, match="'30 February 2025' is not a real date"):
        parse_date("30 February 2025", today_=TODAY)


@pytest.mark.parametrize("text", ["next week", "soon", "23/04", "April 2024", "2024", "+2x"])
def test_something_that_is_not_a_whole_date_is_an_error_with_a_hint(text: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, today_=TODAY)
    message = str(caught.value)
    assert repr(text) in message
    assert "2024-04-23, 23/04/2024, 23 April 2024, today, +2w or +3m" in message


def test_an_empty_date_is_an_error() -> None:
    with pytest.raises(DateError, match="a date is needed"):
        parse_date("   ", today_=TODAY)


def test_now_utc_honours_tracker_now() -> None:
    # conftest pins TRACKER_NOW to 2026-11-25T10:00:00Z.
    assert now_utc() == datetime(2026, 11, 25, 10, 0, 0)


def test_timestamps_are_read_as_naive_utc() -> None:
    assert parse_timestamp("2026-11-25T11:30:00+01:00") == datetime(2026, 11, 25, 10, 30)
    assert parse_timestamp("2026-11-25T10:30:00Z") == datetime(2026, 11, 25, 10, 30)
    with pytest.raises(DateError, match="not an ISO timestamp"):
        parse_timestamp("yesterday at noon")


def test_formats() -> None:
    assert format_date(date(2024, 4, 3)) == "2024-04-03"
    assert format_date(None) == ""
    assert format_utc(datetime(2026, 11, 25, 9, 5, 7)) == "2026-11-25T09:05:07Z"
    assert format_utc(None) == ""


@pytest.mark.parametrize("text", ["1/2/3", "23/04/224", "1.2.345"])
def test_numbers_without_a_two_or_four_digit_year_are_not_a_date(text: str) -> None:
    with pytest.raises(DateError, match=r"is not a date: use a date such as"):
        parse_date(text, today_=date(2026, 11, 25))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0001-01-01", "'0001-01-01': a date must be in the years 1900 to 2199"),
        ("31/12/1899", "'31/12/1899' is 1899-12-31: a date must be in the years 1900 to 2199"),
        ("+200y", "'+200y' is 2226-11-25: a date must be in the years 1900 to 2199"),
    ],
)
def test_a_date_outside_the_working_years_is_refused(text: str, message: str) -> None:
    with pytest.raises(DateError) as caught:
        parse_date(text, today_=date(2026, 11, 25))
    assert str(caught.value) == message


def test_the_first_and_last_working_days_are_dates() -> None:
    assert parse_date("01/01/1900") == date(1900, 1, 1)
    assert parse_date("2199-12-31") == date(2199, 12, 31)


def test_a_word_taken_for_a_time_zone_is_refused_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning would fail the test
        with pytest.raises(DateError, match="is not a date"):
            parse_date("23 April 2024 10:00 C", today_=date(2026, 11, 25))
