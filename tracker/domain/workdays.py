"""Working days in England: weekends and England and Wales bank holidays are not.

Ofsted expects an ILACS improvement plan 70 working days after the report is published.
The bank holidays come from the `holidays` library (kept by its maintainers, with Good
Friday, Christmas Day and the one-off days such as coronations), not a hand-written table.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

__all__ = ["PLAN_DUE_WORKING_DAYS", "is_working_day", "plan_due", "working_days_after"]

PLAN_DUE_WORKING_DAYS = 70


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    import holidays

    # "ENG" is England; its bank holidays are also Wales's.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_after(start: date, days: int) -> date:
    """The date `days` working days after `start` (the start itself does not count)."""
    current = start
    counted = 0
    while counted < days:
        current += timedelta(days=1)
        if is_working_day(current):
            counted += 1
    return current


def plan_due(published: date) -> date:
    """When the plan is due: 70 working days after publication (12 Jan 2024: 23 Apr 2024)."""
    return working_days_after(published, PLAN_DUE_WORKING_DAYS)
