"""The forms that add and edit a measure of impact (product.md, "Measures of impact").

Both are `PlanForm`s: labelled fields in sections that scroll, each problem beside its
field, Save disabled until there is none, escape cancels and ctrl+s saves. The rules are
the domain's own (`check_measure`), the ones the store applies, so what the form accepts
the store accepts. The add form returns a `NewMeasureResult`; the edit form returns only
the fields the user changed (`MeasureEditResult`), saved against the version it was read
at, so a change made elsewhere meanwhile is refused, never overwritten.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from textual import on
from textual.widgets import Input, Select

from tracker.domain.measures import (
    DEFAULT_TOLERANCE,
    MEASURE_FIELDS,
    MeasurePlace,
    MeasureRow,
    PeriodError,
    check_measure,
    format_number,
    parse_period,
)
from tracker.domain.plan import MeasureData
from tracker.domain.text import one_line
from tracker.domain.updates import check_ref
from tracker.tui.screens.forms import FormField, PlanForm

__all__ = [
    "MeasureEditForm",
    "MeasureEditResult",
    "NewMeasureForm",
    "NewMeasureResult",
    "parse_number",
]

T = TypeVar("T")

DIRECTION_OPTIONS = (("up: higher is better", "up"), ("down: lower is better", "down"))
FREQUENCY_OPTIONS = (("monthly", "monthly"), ("quarterly", "quarterly"))
# The optional fields an edit can empty (MeasureChanges.clear).
CLEARABLE = ("unit", "baseline", "baseline_period")


def parse_number(text: str) -> float | None:
    """A number as people type it (`85`, `81.5%`, `1,200`); None when empty.

    ValueError when it is not a usable number: the caller says so beside the field.
    """
    cleaned = text.strip().replace(",", "").removesuffix("%").strip()
    if not cleaned:
        return None
    value = float(cleaned)
    if value != value or abs(value) >= 1e15:
        raise ValueError(text)
    return value


def _shown(value: float | None) -> str:
    return "" if value is None else format_number(value)


def _measure_fields(row: MeasureRow | None, *, section: str | None) -> list[FormField]:
    """The fields a new measure and an edit share, prefilled from `row` when given."""
    return [
        FormField(
            "name",
            "Name",
            value=one_line(row.name) if row else "",
            placeholder="what is measured, e.g. assessments within 45 working days",
            section=section,
        ),
        FormField(
            "unit",
            "Unit",
            value=one_line(row.unit) if row and row.unit else "",
            placeholder="optional: %, days, children, ...",
        ),
        FormField(
            "direction",
            "Direction",
            "select",
            value=row.direction if row else "up",
            options=DIRECTION_OPTIONS,
        ),
        FormField(
            "frequency",
            "Frequency",
            "select",
            value=row.frequency if row else "monthly",
            options=FREQUENCY_OPTIONS,
        ),
        FormField(
            "target",
            "Target",
            value=_shown(row.target) if row else "",
            placeholder="85",
            section="Target",
        ),
        FormField(
            "tolerance",
            "Tolerance %",
            value=_shown(row.tolerance) if row else format_number(DEFAULT_TOLERANCE),
            placeholder="percent of the target a reading may miss by and be GREEN",
        ),
        FormField(
            "baseline",
            "Baseline",
            value=_shown(row.baseline) if row else "",
            placeholder="optional: the value before the plan",
            section="Baseline (optional)",
        ),
        FormField(
            "baseline_period",
            "Base period",
            value=row.baseline_period or "" if row else "",
            placeholder="optional: 2023-10, or 2023-Q3 for a quarterly measure",
        ),
    ]


class _MeasureForm(PlanForm[T]):
    """What the add and edit forms share: reading the fields as a measure, and checking
    it by the domain's rules."""

    def numbers(self) -> tuple[dict[str, float | None], dict[str, str]]:
        """Target, tolerance and baseline as numbers, and what is wrong with them."""
        values: dict[str, float | None] = {}
        problems: dict[str, str] = {}
        for name in ("target", "tolerance", "baseline"):
            typed = self.value(name)
            try:
                values[name] = parse_number(typed)
            except ValueError:
                values[name] = None
                problems[name] = f"{typed.strip()!r} is not a number"
        if "target" not in problems and values["target"] is None:
            problems["target"] = "a target is needed"
        if "tolerance" not in problems and values["tolerance"] is None:
            problems["tolerance"] = (
                f"a tolerance is needed ({format_number(DEFAULT_TOLERANCE)} is usual)"
            )
        return values, problems

    def measure(self, ref: str) -> MeasureData:
        """The fields as a measure (numbers that are not numbers left at 0 for the check)."""
        values, _ = self.numbers()
        period = self.text("baseline_period")
        if period is not None:
            with contextlib.suppress(PeriodError):  # the check says what is wrong with it
                period = parse_period(period, self.value("frequency"))
        return MeasureData(
            ref=ref,
            name=self.value("name").strip(),
            direction=self.value("direction"),
            target=values["target"] if values["target"] is not None else 0.0,
            unit=self.text("unit"),
            baseline=values["baseline"],
            baseline_period=period,
            tolerance=values["tolerance"] if values["tolerance"] is not None else DEFAULT_TOLERANCE,
            frequency=self.value("frequency"),
        )

    def measure_problems(self, ref: str) -> dict[str, str]:
        _, found = self.numbers()
        for problem in check_measure(self.measure(ref)):
            found.setdefault(problem.field or "name", problem.message)
        return found


# --- add ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewMeasureResult:
    """A measure to add under `plan_key:rec_ref`; with `auto_ref` the store takes the next
    free `M<n>.<k>` when it writes (the one suggested, unless someone took it meanwhile)."""

    plan_key: str
    rec_ref: str
    data: MeasureData
    auto_ref: bool


class NewMeasureForm(_MeasureForm[NewMeasureResult]):
    """Every field of a new measure; the recommendation starts as the highlighted one's."""

    title_text = "Add a measure of impact"
    save_label = "Add"

    def __init__(self, places: Sequence[MeasurePlace], *, plan: str, rec: str, today: date) -> None:
        self.places = list(places)
        plans = list(dict.fromkeys(p.plan for p in self.places))
        fields: list[FormField] = []
        if len(plans) > 1:
            fields.append(
                FormField(
                    "plan",
                    "Plan",
                    "select",
                    value=plan,
                    options=tuple((one_line(k), k) for k in plans),
                    section="Where",
                )
            )
        place = self._place(plan, rec)
        fields.append(
            FormField(
                "rec",
                "Under",
                "select",
                value=place.rec_ref,
                options=self._rec_options(plan),
                section=None if len(plans) > 1 else "Where",
            )
        )
        fields.append(
            FormField("ref", "Ref", value=place.next_ref, placeholder=f"{place.next_ref}")
        )
        fields += _measure_fields(None, section="What is measured")
        intro = (
            "A reading is added each month or quarter; RAG is GREEN within the tolerance "
            "of the target, AMBER when better than a year before, else RED."
        )
        super().__init__(fields, today=today, intro=intro)
        self._plan = plan
        self._suggested = place.next_ref

    def _place(self, plan: str, rec: str | None) -> MeasurePlace:
        under = [p for p in self.places if p.plan == plan]
        for place in under:
            if place.rec_ref == rec:
                return place
        return under[0]

    def _rec_options(self, plan: str) -> tuple[tuple[str, str], ...]:
        return tuple(
            (f"{one_line(p.rec_ref)} {one_line(p.rec_title)}", p.rec_ref)
            for p in self.places
            if p.plan == plan
        )

    def chosen(self) -> MeasurePlace:
        return self._place(self._plan, self.value("rec"))

    @on(Select.Changed, "#plan")
    def _plan_changed(self, event: Select.Changed) -> None:
        plan = str(event.value)
        if plan == self._plan:
            return
        self._plan = plan
        rec = self.query_one("#rec", Select)
        options = self._rec_options(plan)
        rec.set_options(options)
        rec.value = options[0][1]
        self._suggest()

    @on(Select.Changed, "#rec")
    def _rec_changed(self) -> None:
        self._suggest()

    def _suggest(self) -> None:
        """A new recommendation's next ref, unless the user typed a ref of their own."""
        ref = self.query_one("#ref", Input)
        suggested = self.chosen().next_ref
        if ref.value.strip() in ("", self._suggested):
            ref.value = suggested
        ref.placeholder = suggested
        self._suggested = suggested
        self.validate_form()

    def _ref(self) -> str:
        return self.value("ref").strip()

    def check(self) -> dict[str, str]:
        place = self.chosen()
        ref = self._ref()
        found: dict[str, str] = {}
        if ref and ref != place.next_ref:
            if message := check_ref(ref):
                found["ref"] = message
            elif ref in place.taken:
                found["ref"] = f"{ref} is already a ref in {one_line(place.plan)}"
        found.update(self.measure_problems(ref or place.next_ref))
        return found

    def result(self) -> NewMeasureResult:
        place = self.chosen()
        ref = self._ref()
        auto = ref in ("", place.next_ref)
        return NewMeasureResult(
            place.plan, place.rec_ref, self.measure("" if auto else ref), auto_ref=auto
        )


# --- edit -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeasureEditResult:
    """The measure as the form read it (its version), and only the fields changed:
    new values in `changes`, optional fields emptied in `clear`."""

    row: MeasureRow
    changes: dict[str, object]
    clear: tuple[str, ...]


class MeasureEditForm(_MeasureForm[MeasureEditResult]):
    """Every field of a measure, prefilled; saves only what changed."""

    save_label = "Save"

    def __init__(self, row: MeasureRow, *, today: date) -> None:
        self.title_text = f"Edit measure {one_line(row.address)}"
        self.row = row
        fields = _measure_fields(row, section=None)
        intro = f"Under {one_line(row.recommendation)} {one_line(row.recommendation_title)}"
        if row.score.period is not None:
            intro += "; it has readings, so its frequency stays as it is"
        if row.status == "retired":
            intro += " · RETIRED"
        super().__init__(fields, today=today, intro=intro)

    def on_mount(self) -> None:
        super().on_mount()
        # A measure with readings keeps its frequency (the store refuses a change).
        self.query_one("#frequency", Select).disabled = self.row.score.period is not None

    def check(self) -> dict[str, str]:
        return self.measure_problems(self.row.ref)

    def changes(self) -> tuple[dict[str, object], tuple[str, ...]]:
        """The fields that differ from the measure as read; emptied optional ones apart."""
        row = self.row
        wanted = self.measure(row.ref)
        changes: dict[str, object] = {}
        clear: list[str] = []
        for name in MEASURE_FIELDS:
            if name == "status":
                continue  # retired and reinstated by x, never by this form
            new, old = getattr(wanted, name), getattr(row, name)
            if name in ("name", "unit") and old is not None:
                old = one_line(old)  # the form shows text on one line
            if new == old:
                continue
            if new is None and name in CLEARABLE:
                clear.append(name)
            elif new is not None:
                changes[name] = new
        return changes, tuple(clear)

    def result(self) -> MeasureEditResult:
        changes, clear = self.changes()
        return MeasureEditResult(self.row, changes, clear)
