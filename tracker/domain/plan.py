"""A plan as plain records (what a plan file or a sheet describes), and the text limits.

Every door that brings a plan in (plan TOML, a sheet, the store's import) builds these;
the store loads them. Pure data: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = [
    "GRADES",
    "LONG",
    "MAX_OWNER",
    "MAX_TEXT",
    "MEDIUM",
    "SHORT",
    "ActionData",
    "JudgementData",
    "MeasureData",
    "PlanData",
    "ReadingData",
    "RecommendationData",
]

GRADES = (
    "Outstanding",
    "Good",
    "Requires improvement to be good",
    "Inadequate",
    "Not graded",
)

# The longest text each field may hold: generous for real plans, refusing runaway data.
SHORT = 300
MEDIUM = 2_000
LONG = 20_000
# What an update may set: an owner's name, and a free-text field (evidence, notes). The
# store refuses longer values and the edit form says so beside the field.
MAX_OWNER = SHORT
MAX_TEXT = LONG


@dataclass(slots=True)
class ActionData:
    """One action as a plan file describes it."""

    ref: str
    description: str
    owner: str
    deadline: date
    status: str
    progress: int
    partner: str | None = None
    start: date | None = None
    original_deadline: date | None = None
    measure: str | None = None
    evidence: str | None = None
    notes: str | None = None
    # The version the action was exported at (export-plan); None in a hand-written file.
    # Not part of the plan's content, so two plans that differ only here are equal.
    version: int | None = field(default=None, compare=False)


@dataclass(slots=True)
class ReadingData:
    """One value of a measure for one period (`YYYY-MM` or `YYYY-Qn`).

    `count` and `of` are optional: a percentage's numerator and denominator (102 of 120).
    """

    period: str
    value: float
    note: str | None = None
    count: float | None = None
    of: float | None = None


@dataclass(slots=True)
class MeasureData:
    """One measure of impact (a key performance indicator) of a recommendation."""

    ref: str
    name: str
    direction: str
    target: float
    unit: str | None = None
    baseline: float | None = None
    baseline_period: str | None = None
    tolerance: float = 10.0
    frequency: str = "monthly"
    status: str = "active"
    readings: list[ReadingData] = field(default_factory=list)


@dataclass(slots=True)
class RecommendationData:
    """One recommendation, its actions and its measures."""

    ref: str
    title: str
    text: str | None = None
    area: str | None = None
    actions: list[ActionData] = field(default_factory=list)
    measures: list[MeasureData] = field(default_factory=list)


@dataclass(slots=True)
class JudgementData:
    """One row of the judgement table."""

    area: str
    grade: str


@dataclass(slots=True)
class PlanData:
    """A whole plan as a file describes it."""

    key: str
    authority: str
    title: str
    inspection_type: str | None = None
    framework: str | None = None
    inspection_start: date | None = None
    inspection_end: date | None = None
    published: date | None = None
    plan_due: date | None = None
    overall_judgement: str | None = None
    judgements: list[JudgementData] = field(default_factory=list)
    recommendations: list[RecommendationData] = field(default_factory=list)

    def action_count(self) -> int:
        return sum(len(r.actions) for r in self.recommendations)
