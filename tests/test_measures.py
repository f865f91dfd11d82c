"""Measures of impact: the RAG rule, periods, plan files, readings and the scorecard.

The RAG rule is tested against a plain restatement of product.md's rule over random
targets, tolerances, directions and readings, and at its boundaries (exactly at the
tolerance is GREEN). The commands run in process against real stores.
"""

from __future__ import annotations

import itertools
import json
from fractions import Fraction
from pathlib import Path

import pytest
from conftest import TODAY
from hypothesis import given
from hypothesis import strategies as st

from tracker import cli
from tracker.domain.errors import PlanFileError
from tracker.domain.measures import (
    PeriodError,
    ReadingPoint,
    measure_rag,
    parse_period,
    previous_period,
    score,
    travel,
    year_before,
)
from tracker.domain.rules import Rag
from tracker.domain.text import is_blank
from tracker.formats.plan_toml import dump_plan, parse_plan_text
from tracker.storage.store import Store

KEY = "testshire-2025-ilacs"

PLAN = """\
[plan]
key = "testshire-2025-ilacs"
authority = "Testshire County Council"
title = "Improvement plan"

[[recommendations]]
ref = "R1"
title = "Front door"

[[recommendations.actions]]
ref = "R1.1"
description = "Audit supervision"
owner = "Head of Service"
deadline = 2026-06-30
status = "in_progress"

[[recommendations.measures]]
ref = "M1.1"
name = "Assessments completed within 45 working days"
unit = "%"
direction = "up"
target = 85
baseline = 72
baseline_period = "2023-10"

[[recommendations.measures.readings]]
period = "2025-10"
value = 65

[[recommendations.measures.readings]]
period = "2026-09"
value = 74.5
note = "Two teams short of staff"

[[recommendations.measures.readings]]
period = "2026-10"
value = 70
count = 84
of = 120
note = "Agency cover ended"

[[recommendations.measures]]
ref = "M1.2"
name = "Average caseload per social worker"
unit = "children"
direction = "down"
target = 18
frequency = "quarterly"

[[recommendations.measures.readings]]
period = "2026-Q3"
value = 20.5
"""


# --- the rule -----------------------------------------------------------------------------


def plain_rule(
    value: float, target: float, direction: str, tolerance: float, comparison: float | None
) -> str:
    """product.md, read aloud: GREEN when the target is met or missed by no more than
    tolerance per cent of the target; else AMBER when better than the comparison; else RED."""
    v, t = Fraction(repr(value)), Fraction(repr(target))
    allowed = abs(t) * Fraction(repr(tolerance)) / 100
    met = v >= t if direction == "up" else v <= t
    missed_by = abs(v - t)
    if met or missed_by <= allowed:
        return "GREEN"
    if comparison is not None:
        c = Fraction(repr(comparison))
        if (direction == "up" and v > c) or (direction == "down" and v < c):
            return "AMBER"
    return "RED"


numbers = st.decimals(min_value=-1000, max_value=100000, places=2, allow_nan=False).map(float)


@given(
    value=numbers,
    target=numbers,
    direction=st.sampled_from(["up", "down"]),
    tolerance=st.decimals(min_value=0, max_value=50, places=1).map(float),
    comparison=st.none() | numbers,
)
def test_rag_matches_the_rule_as_written(
    value: float, target: float, direction: str, tolerance: float, comparison: float | None
) -> None:
    got = measure_rag(
        value, target=target, direction=direction, tolerance=tolerance, comparison=comparison
    )
    assert got.value == plain_rule(value, target, direction, tolerance, comparison)


@given(
    target=st.decimals(min_value=1, max_value=1000, places=1).map(float),
    tolerance=st.decimals(min_value=0, max_value=50, places=1).map(float),
    direction=st.sampled_from(["up", "down"]),
)
def test_exactly_at_the_tolerance_is_green(target: float, tolerance: float, direction: str) -> None:
    edge_fraction = Fraction(repr(target)) * (1 - Fraction(repr(tolerance)) / 100)
    if direction == "down":
        edge_fraction = Fraction(repr(target)) * (1 + Fraction(repr(tolerance)) / 100)
    edge = float(edge_fraction)
    if Fraction(repr(edge)) != edge_fraction:
        return  # the edge has no exact decimal of a float's shortest text: nothing to test
    assert measure_rag(edge, target=target, direction=direction, tolerance=tolerance) is Rag.GREEN


@pytest.mark.parametrize(
    ("value", "comparison", "expected"),
    [
        (85, None, Rag.GREEN),  # met
        (90, None, Rag.GREEN),  # beaten
        (77, None, Rag.GREEN),  # product.md: within 8.5
        (76.5, None, Rag.GREEN),  # exactly at the tolerance
        (76.4, None, Rag.RED),  # just beyond it, nothing to compare with
        (70, 65, Rag.AMBER),  # product.md: better than a year before
        (70, 72, Rag.RED),  # product.md: worse than a year before
        (70, 70, Rag.RED),  # the same is not better
    ],
)
def test_product_examples_up(value: float, comparison: float | None, expected: Rag) -> None:
    got = measure_rag(value, target=85, direction="up", tolerance=10, comparison=comparison)
    assert got is expected


@pytest.mark.parametrize(
    ("value", "expected"), [(18, Rag.GREEN), (19.8, Rag.GREEN), (19.81, Rag.RED), (12, Rag.GREEN)]
)
def test_lower_is_better(value: float, expected: Rag) -> None:
    assert measure_rag(value, target=18, direction="down", tolerance=10) is expected


def test_zero_tolerance_needs_the_target() -> None:
    assert measure_rag(84.99, target=85, direction="up", tolerance=0) is Rag.RED
    assert measure_rag(85, target=85, direction="up", tolerance=0) is Rag.GREEN


def test_score_uses_the_year_before_else_the_baseline() -> None:
    readings = [ReadingPoint("2026-09", 74.5), ReadingPoint("2026-10", 70)]
    s = score(readings, target=85, direction="up", baseline=72)
    assert (s.period, s.value, s.rag, s.vs_previous, s.vs_last_year) == (
        "2026-10",
        70,
        Rag.RED,
        "worse",
        "",
    )
    s = score([*readings, ReadingPoint("2025-10", 65)], target=85, direction="up", baseline=72)
    assert (s.rag, s.vs_last_year, s.comparison) == (Rag.AMBER, "improved", 65)
    assert score([], target=85, direction="up").rag is None


def test_travel_by_direction() -> None:
    assert travel(20, 18, "up") == "improved"
    assert travel(20, 18, "down") == "worse"
    assert travel(18, 18, "down") == "same"
    assert travel(18, None, "down") == ""


def test_periods() -> None:
    assert parse_period(" 2026-10 ") == "2026-10"
    assert parse_period("2026-q3") == "2026-Q3"
    assert previous_period("2026-01") == "2025-12"
    assert previous_period("2026-Q1") == "2025-Q4"
    assert year_before("2026-Q2") == "2025-Q2"
    for bad in ("2026-13", "2026-10-01", "Oct 2026", "2026-Q5", "1800-01"):
        with pytest.raises(PeriodError):
            parse_period(bad)
    with pytest.raises(PeriodError, match="monthly"):
        parse_period("2026-Q1", "monthly")


# --- plan files ---------------------------------------------------------------------------


def test_plan_file_round_trip() -> None:
    plan = parse_plan_text(PLAN, name="p.toml", default_key="x")
    again = parse_plan_text(dump_plan(plan), name="again.toml", default_key="x")
    assert again == plan
    m = plan.recommendations[0].measures
    assert [x.ref for x in m] == ["M1.1", "M1.2"]
    assert m[0].readings[2].count == 84
    assert m[0].readings[2].of == 120
    assert m[1].frequency == "quarterly"
    assert m[0].tolerance == 10


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ('direction = "up"', None),
        ('direction = "sideways"', "measures[1].direction: 'sideways' is not one of up, down"),
        ("target = 85", None),
        ('target = "85%"', "measures[1].target: must be a number"),
        ("target = true", "measures[1].target: must be a number"),
        ('unit = "%"', None),
        ('unit = "%"\ntargte = 3', "measures[1].targte: unknown key (did you mean 'target'?)"),
        ('ref = "M1.1"', None),
        ('ref = "R1.1"', "measures[1].ref: 'R1.1' is used twice"),
        ('baseline_period = "2023-10"', None),
        ('baseline_period = "Oct 2023"', "measures[1].baseline_period: 'Oct 2023' is not a period"),
        ("tolerance = 10", None),
    ],
)
def test_plan_file_measure_problems_named_with_place(change: str, message: str | None) -> None:
    key = change.split(" =")[0]
    lines = PLAN.split("\n")
    start = lines.index("[[recommendations.measures]]")
    for i in range(start, len(lines)):
        if lines[i].startswith(f"{key} ="):
            lines[i] = change
            break
    text = "\n".join(lines)
    if message is None:
        parse_plan_text(text, name="p.toml", default_key="x")
        return
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(text, name="p.toml", default_key="x")
    assert any(f"p.toml: recommendations[1].{message}" in p for p in caught.value.problems), (
        caught.value.problems
    )


def test_reading_problems_named_with_place() -> None:
    text = PLAN.replace('period = "2026-09"', 'period = "2026-10"').replace(
        'period = "2026-Q3"', 'period = "2026-09"'
    )
    text = text.replace("count = 84", "count = 90")
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(text, name="p.toml", default_key="x")
    problems = caught.value.problems
    assert (
        "p.toml: recommendations[1].measures[1].readings[3].period: 2026-10 is given twice "
        "(also at recommendations[1].measures[1].readings[2].period)" in problems
    )
    assert any("readings[3]: value 70 is not 90 of 120 as a percentage (75)" in p for p in problems)
    assert any(
        "measures[2].readings[1].period: '2026-09' is not a period of this quarterly" in p
        for p in problems
    )


# --- commands -----------------------------------------------------------------------------


class Run:
    def __init__(self, db: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.db = db
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        status = cli.main(["--db", self.db, *argv])
        out, err = self.capsys.readouterr()
        return status, out, err


@pytest.fixture
def run(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    runner = Run(db_url, capsys)
    status, _, err = runner("import", str(path))
    assert status == 0, err
    return runner


def test_scorecard_json_keys_and_values(run: Run) -> None:
    status, out, _ = run("measures", "--format", "json")
    assert status == 0
    rows = json.loads(out)
    assert list(rows[0]) == [
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
    ]
    assert rows[0] == {
        "plan": KEY,
        "recommendation": "R1",
        "measure": "M1.1",
        "name": "Assessments completed within 45 working days",
        "unit": "%",
        "direction": "up",
        "target": 85,
        "period": "2026-10",
        "value": 70,
        "rag": "AMBER",
        "vs_previous": "worse",
        "vs_last_year": "improved",
    }
    assert rows[1]["rag"] == "RED"
    assert rows[1]["vs_previous"] is None


def test_scorecard_csv_and_table(run: Run) -> None:
    status, out, _ = run("measures", "--format", "csv")
    assert out.splitlines()[0].lstrip("\ufeff") == (
        "plan,recommendation,measure,name,unit,direction,target,period,value,rag,vs_previous,"
        "vs_last_year"
    )
    assert out.splitlines()[1] == (
        f"{KEY},R1,M1.1,Assessments completed within 45 working days,%,up,85,2026-10,70,AMBER,"
        "worse,improved"
    )
    status, out, _ = run("measures", "--plan", KEY)
    assert "AMBER  70%" in out
    assert "▼ worse" in out
    assert "▲ improved" in out
    assert "2 measures: 1 RED, 1 AMBER, 0 GREEN, 0 with no reading yet" in out
    status, _, err = run("measures", "--plan", "nope")
    assert status == 1
    assert "no plan 'nope'" in err


def test_reading_add_and_correct_with_history(run: Run) -> None:
    status, out, err = run(
        "reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "77", "--note", "Up"
    )
    assert status == 0, err
    assert out == (
        f"{KEY}:M1.1 2026-11: recorded 77%; latest 2026-11 77%, GREEN against target 85%\n"
    )
    status, out, _ = run(
        "reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--count", "90", "--of", "120"
    )
    assert "corrected 75% (90 of 120)" in out
    assert "AMBER" in out
    status, out, _ = run(
        "reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--count", "90", "--of", "120"
    )
    assert out.endswith("2026-11: no change\n")
    status, out, _ = run("reading", "list", f"{KEY}:M1.1", "--format", "json")
    obj = json.loads(out)
    entries = [(h["field"], h["old"], h["new"]) for h in obj["history"]]
    assert entries == [("reading 2026-11", None, "77"), ("reading 2026-11", "77", "75 (90 of 120)")]
    assert obj["readings"][-1] == {
        "period": "2026-11",
        "value": 75,
        "count": 90,
        "of": 120,
        "note": "Up",
    }


@pytest.mark.parametrize(
    ("argv", "status", "message"),
    [
        (["--period", "2026-13", "--value", "3"], 1, "'2026-13' is not a period"),
        (["--period", "2026-Q1", "--value", "3"], 1, "not a period of this monthly measure"),
        (["--period", "2026-11", "--value", "lots"], 2, "--value must be a number"),
        (["--period", "2026-11", "--count", "3"], 2, "--count and --of go together"),
        (["--period", "2026-11", "--value", "80", "--count", "3", "--of", "4"], 1, "not 3 of 4"),
        (["--period", "2026-11"], 2, "--value is required"),
    ],
)
def test_reading_add_refuses_bad_input(
    run: Run, argv: list[str], status: int, message: str
) -> None:
    got, out, err = run("reading", "add", f"{KEY}:M1.1", *argv)
    assert got == status
    assert message in err
    assert out == ""
    assert err.startswith("tracker: error: ")


def test_reading_add_to_unknown_measure(run: Run) -> None:
    status, _, err = run("reading", "add", f"{KEY}:M9", "--period", "2026-11", "--value", "1")
    assert status == 1
    assert f"no measure 'M9' in plan '{KEY}'" in err


def test_reading_import_all_or_nothing(run: Run, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        f"measure,period,value,note\n{KEY}:M1.1,2026-11,80.5,Recovering\n{KEY}:M1.2,2026-Q4,18,\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "measure,period,value,note\n"
        f"{KEY}:M1.1,2026-08,81,\n"
        f"{KEY}:M1.1,2026-08,82,\n"
        f"{KEY}:M7,2026-08,1,\n"
        f"{KEY}:M1.2,2026-08,1,\n"
        f"{KEY}:M1.1,2027-01,eighty,\n",
        encoding="utf-8",
    )
    status, _, err = run("reading", "import", str(bad))
    assert status == 1
    assert err.splitlines() == [f"tracker: error: {bad}: line 6: value: 'eighty' is not a number"]
    bad.write_text(bad.read_text().replace("eighty", "80"), encoding="utf-8")
    status, _, err = run("reading", "import", str(bad))
    assert status == 1
    lines = err.splitlines()
    assert f"tracker: error: {bad}: line 3: {KEY}:M1.1 2026-08 is given twice" in lines[0]
    assert f"line 4: no measure 'M7' in plan '{KEY}'" in lines[1]
    assert "line 5: '2026-08' is not a period of this quarterly measure" in lines[2]
    assert f"{bad}: line 6: 2027-01 has not begun yet" in lines[3]
    assert lines[-1] == "tracker: error: no reading was recorded"
    assert len(lines) == 5
    _, out, _ = run("reading", "list", f"{KEY}:M1.1", "--format", "json")
    assert [r["period"] for r in json.loads(out)["readings"]] == ["2025-10", "2026-09", "2026-10"]
    status, out, err = run("reading", "import", str(good))
    assert status == 0, err
    assert out == f"{good}: 2 readings added, 0 corrected, 0 unchanged\n"


def test_export_and_import_again_give_the_same(run: Run, tmp_path: Path) -> None:
    run("reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "79", "--note", 'a "q"')
    _, first, _ = run("export-plan", KEY)
    path = tmp_path / "again.toml"
    path.write_text(first, encoding="utf-8")
    status, _out, err = run("import", "--replace", str(path))
    assert status == 0, err
    _, second, _ = run("export-plan", KEY)
    assert second == first
    assert "[[recommendations.measures.readings]]" in first
    assert "count = 84" in first


def test_import_replace_keeps_readings(run: Run, tmp_path: Path) -> None:
    run("reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "79")
    path = tmp_path / "plan.toml"
    # The original file: its readings stop at 2026-10 and it lacks M1.2's readings' later ones.
    text = PLAN.replace("target = 85", "target = 90")
    path.write_text(text, encoding="utf-8")
    status, _, err = run("import", "--replace", str(path))
    assert status == 0, err
    _, out, _ = run("reading", "list", f"{KEY}:M1.1", "--format", "json")
    obj = json.loads(out)
    assert [r["period"] for r in obj["readings"]][-1] == "2026-11"
    assert obj["target"] == 90
    assert ("target", "85", "90") in [(h["field"], h["old"], h["new"]) for h in obj["history"]]
    # A measure left out of a file is retired, never deleted; its readings stay.
    path.write_text(PLAN.split('[[recommendations.measures]]\nref = "M1.2"')[0], encoding="utf-8")
    run("import", "--replace", str(path))
    _, out, _ = run("measures", "--format", "json")
    assert [r["measure"] for r in json.loads(out)] == ["M1.1"]
    _, out, _ = run("reading", "list", f"{KEY}:M1.2", "--format", "json")
    assert json.loads(out)["status"] == "retired"
    assert len(json.loads(out)["readings"]) == 1


def test_import_replace_corrects_a_stored_reading_with_history(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    text = PLAN.replace("value = 70\ncount = 84", "value = 75\ncount = 90")
    path.write_text(text.replace("Agency cover ended", "Recounted"), encoding="utf-8")
    status, _, err = run("import", "--replace", str(path))
    assert (status, err) == (0, "")
    _, out, _ = run("reading", "list", f"{KEY}:M1.1", "--format", "json")
    obj = json.loads(out)
    assert obj["readings"][-1] == {
        "period": "2026-10",
        "value": 75.0,
        "count": 90.0,
        "of": 120.0,
        "note": "Recounted",
    }
    assert ("reading 2026-10", "70 (84 of 120)", "75 (90 of 120)") in [
        (h["field"], h["old"], h["new"]) for h in obj["history"]
    ]


def test_add_edit_and_retire_measures(run: Run) -> None:
    status, out, err = run(
        "add-measure",
        f"{KEY}:R1",
        "--name",
        "Children seen within 10 days",
        "--direction",
        "up",
        "--target",
        "95",
        "--unit",
        "%",
    )
    assert (status, out) == (0, f"{KEY}:M1.3\n"), err
    status, _, err = run(
        "add-measure", f"{KEY}:R1", "--ref", "R1.1", "--name", "x", "--direction", "up",
        "--target", "1",
    )  # fmt: skip
    assert status == 1
    assert "already a ref" in err
    status, _, err = run(
        "add-measure", f"{KEY}:R1", "--name", "x", "--direction", "sideways", "--target", "1"
    )
    assert status == 2
    assert "--direction 'sideways'" in err
    status, out, _ = run("edit-measure", f"{KEY}:M1.3", "--target", "90", "--note", "Agreed")
    assert out == f"{KEY}:M1.3: target: 95 -> 90\n"
    status, out, _ = run("edit-measure", f"{KEY}:M1.3", "--target", "90")
    assert out == "no change\n"
    status, out, _ = run("edit-measure", f"{KEY}:M1.3", "--baseline-period", " 2024-03 ")
    assert out == f"{KEY}:M1.3: baseline_period: (empty) -> 2024-03\n"  # stored as written
    status, out, _ = run("edit-measure", f"{KEY}:M1.3", "--baseline-period", "2024-03")
    assert out == "no change\n"
    status, out, _ = run("edit-measure", f"{KEY}:M1.3", "--status", "retired")
    assert out == f"{KEY}:M1.3: status: active -> retired\n"
    status, _, err = run("reading", "add", f"{KEY}:M1.3", "--period", "2026-11", "--value", "1")
    assert status == 1
    assert "is retired" in err
    _, out, _ = run("measures", "--all", "--format", "json")
    assert [r["measure"] for r in json.loads(out)] == ["M1.1", "M1.2", "M1.3"]
    status, _, err = run("edit-measure", f"{KEY}:M1.2", "--frequency", "monthly")
    assert status == 1
    assert "frequency cannot change" in err


def test_read_only_store_refuses_readings(run: Run, db_url: str) -> None:
    from tracker.domain.errors import ReadOnlyError
    from tracker.domain.measures import ReadingInput
    from tracker.storage.measures import MeasureStore

    store = Store.open(db_url, read_only=True)
    try:
        ms = MeasureStore(store)
        with pytest.raises(ReadOnlyError):
            ms.add_readings([ReadingInput(f"{KEY}:M1.1", "2026-11", 1.0)], user="x", today=TODAY)
        assert len(ms.readings(ms.measure(f"{KEY}:M1.1").id)) == 3
    finally:
        store.close()


def test_sample_plans_carry_measures_with_two_years_of_readings() -> None:
    from conftest import sample_plan_files

    from tracker.formats.plan_toml import load_plan_file

    measures = [
        m
        for path in sample_plan_files()
        for rec in load_plan_file(path).recommendations
        for m in rec.measures
    ]
    assert len(measures) >= 10
    monthly = [m for m in measures if m.frequency == "monthly"]
    assert all(len(m.readings) == 24 for m in monthly)
    assert {m.readings[-1].period for m in monthly} == {"2026-10"}
    names = " ".join(m.name for m in measures)
    for topic in ("45 working days", "LADO", "suitable accommodation", "caseload"):
        assert topic in names


# --- the board paper ----------------------------------------------------------------------


@pytest.fixture
def sample_run(db_url: str, capsys: pytest.CaptureFixture[str]) -> Run:
    from conftest import sample_plan_files

    runner = Run(db_url, capsys)
    status, _, err = runner("import", *map(str, sample_plan_files()))
    assert status == 0, err
    return runner


def test_paper_scorecard_and_red_measures(sample_run: Run) -> None:
    plan = "staffordshire-2024-ilacs"
    _, text, _ = sample_run("report", "--plan", plan, "--format", "markdown")
    card = text.split("### Measures of impact", 1)[1].split("\n### ", 1)[0]
    assert "| M4.1 | Care leavers aged 19-21 in suitable accommodation | at least 95% |" in card
    assert "87, 86.8, 84.9, 87, 84.7, 84.8 (May 2026 to Oct 2026)" in card
    assert "| 84.8% (531 of 626) (Oct 2026) | RED | ▲ improved | ▼ worse |" in card
    exceptions = text.split("### Exceptions", 1)[1]
    red = exceptions.split("#### Measures at RED (2)", 1)[1].split("\n#### ", 1)[0]
    assert "twelve young people in bed and breakfast" in red
    assert "M1.1" not in red


def test_paper_html_scorecard_is_accessible(sample_run: Run) -> None:
    import re

    _, page, _ = sample_run("report", "--plan", "staffordshire-2024-ilacs", "--format", "html")
    card = page.split("<h3>Measures of impact</h3>", 1)[1].split("<h3>", 1)[0]
    assert card.startswith("<table><caption>Measures of impact: ")
    assert card.count('<th scope="row">') == 5
    assert '<th scope="col">RAG</th>' in card
    charts = re.findall(r'<svg class="spark"[^>]*aria-label="([^"]*)"', card)
    assert len(charts) == 5
    assert charts[3] == (
        "Care leavers aged 19-21 in suitable accommodation: May 2026 87%, Jun 2026 86.8%, "
        "Jul 2026 84.9%, Aug 2026 87%, Sep 2026 84.7%, Oct 2026 84.8%; target 95%"
    )
    assert card.count('stroke-dasharray="3 2"') == 5  # each chart's target line
    assert ">RED</span>" in card
    # Headings stay in order: the RED measures are an h4 under the h3 of the exceptions.
    levels = [int(n) for n in re.findall(r"<h([1-6])", page)]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    assert "<h4>Measures at RED (2)</h4>" in page.split("<h3>Exceptions</h3>", 1)[1]


# --- the light reader ---------------------------------------------------------------------


def test_measures_sql_is_current() -> None:
    from tracker.storage import measures_sql
    from tracker.storage.measures import sqlite_module

    written = Path(measures_sql.__file__).read_text(encoding="utf-8")
    assert written == sqlite_module(), (
        "tracker/storage/measures_sql.py is stale: run "
        "`python -m tracker.storage.measures > tracker/storage/measures_sql.py`"
    )


@pytest.mark.parametrize(
    ("plan", "rec", "retired"),
    [
        (None, None, False),
        (None, None, True),
        ("staffordshire-2024-ilacs", None, False),
        ("staffordshire-2024-ilacs", "R4", True),
        ("nope", None, False),
    ],
)
def test_light_reader_scorecard_equals_the_store(
    sample_run: Run, db_url: str, plan: str | None, rec: str | None, retired: bool
) -> None:
    from tracker.storage.fastmeasures import fast_scorecard
    from tracker.storage.fastread import FastReader
    from tracker.storage.measures import MeasureStore

    if not db_url.startswith("sqlite"):
        pytest.skip("the light reader serves SQLite files")
    sample_run("edit-measure", "stoke-on-trent-2022-ilacs:M3.2", "--status", "retired")
    sample_run("edit-measure", "staffordshire-2024-ilacs:M4.2", "--status", "retired")
    store = Store.open(db_url)
    reader = FastReader.open(db_url)
    assert reader is not None
    try:
        for recent in (0, 6, 12):
            expected = MeasureStore(store).scorecard(
                plan=plan, rec=rec, include_retired=retired, recent=recent
            )
            got = fast_scorecard(reader, plan=plan, rec=rec, include_retired=retired, recent=recent)
            assert got == expected
        assert (len(expected) > 0) == (plan != "nope")
    finally:
        reader.close()
        store.close()


def test_the_first_rows_are_the_scorecards_first(sample_run: Run, db_url: str) -> None:
    from tracker.storage.measures import MeasureStore

    sample_run("edit-measure", "staffordshire-2024-ilacs:M4.2", "--status", "retired")
    store = Store.open(db_url)
    try:
        ms = MeasureStore(store)
        for plan, retired, recent in ((None, False, 0), ("staffordshire-2024-ilacs", True, 12)):
            whole = ms.scorecard(plan=plan, include_retired=retired, recent=recent)
            assert len(whole) >= 5
            for first in (1, 3, len(whole), len(whole) + 3):
                got = ms.scorecard(plan=plan, include_retired=retired, recent=recent, first=first)
                assert got == whole[:first]
    finally:
        store.close()


def test_light_reader_first_rows_equal_the_store(sample_run: Run, db_url: str) -> None:
    from tracker.storage.fastmeasures import fast_scorecard
    from tracker.storage.fastread import FastReader
    from tracker.storage.measures import MeasureStore

    if not db_url.startswith("sqlite"):
        pytest.skip("the light reader serves SQLite files")
    store = Store.open(db_url)
    reader = FastReader.open(db_url)
    assert reader is not None
    try:
        for plan, rec in ((None, None), ("staffordshire-2024-ilacs", None), (None, "R4")):
            for first in (1, 3, 100):
                expected = MeasureStore(store).scorecard(plan=plan, rec=rec, recent=0, first=first)
                assert fast_scorecard(reader, plan=plan, rec=rec, recent=0, first=first) == (
                    expected
                )
                assert expected
    finally:
        reader.close()
        store.close()


@given(
    # Text the plan reader keeps: not blank by its rule (zero-width and format characters
    # alone count as blank) and no NUL.
    name=st.text(min_size=1, max_size=40).filter(lambda t: not is_blank(t) and "\x00" not in t),
    note=st.none() | st.text(max_size=40).filter(lambda t: not is_blank(t) and "\x00" not in t),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
    target=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False),
)
def test_measures_round_trip_any_text_and_number(
    name: str, note: str | None, value: float, target: float
) -> None:
    from tracker.domain.plan import MeasureData, PlanData, ReadingData, RecommendationData

    plan = PlanData(
        key="k",
        authority="A",
        title="T",
        recommendations=[
            RecommendationData(
                ref="R1",
                title="t",
                measures=[
                    MeasureData(
                        ref="M1.1",
                        name=name,
                        direction="down",
                        target=target,
                        readings=[ReadingData("2026-10", value, note=note)],
                    )
                ],
            )
        ],
    )
    assert parse_plan_text(dump_plan(plan), name="p", default_key="k") == plan


def test_measure_history_is_append_only(run: Run, db_url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    run("reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "79")
    store = Store.open(db_url)
    try:
        for statement in ("UPDATE measure_history SET new = 'x'", "DELETE FROM measure_history"):
            with pytest.raises(DBAPIError, match="append-only"), store.engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        store.close()


def test_places_give_each_recommendation_its_next_measure_ref(sample_run: Run) -> None:
    from tracker.storage.measures import MeasureStore

    store = Store.open(sample_run.db)
    try:
        places = MeasureStore(store).places()
    finally:
        store.close()
    found = {(p.plan, p.rec_ref): p.next_ref for p in places}
    assert found[("staffordshire-2024-ilacs", "R1")] == "M1.3"  # after M1.1 and M1.2
    assert found[("stoke-on-trent-2022-ilacs", "R2")] == "M2.2"
    first = [p for p in places if p.plan == "staffordshire-2024-ilacs"]
    assert [p.rec_ref for p in first][:2] == ["R1", "R2"]  # natural order
    assert {"M1.1", "R1", "R1.1"} <= first[0].taken


def test_check_measure_names_each_problem_by_field() -> None:
    from tracker.domain.measures import check_measure
    from tracker.domain.plan import MeasureData

    good = MeasureData(ref="M1.1", name="Visits", direction="up", target=85.0)
    assert check_measure(good) == []
    bad = MeasureData(
        ref="M1.1",
        name=" ",
        direction="sideways",
        target=float("nan"),
        tolerance=-1.0,
        baseline_period="2023-Q3",
    )
    fields = {p.field: p.message for p in check_measure(bad)}
    assert fields["name"] == "a measure needs a name"
    assert "is not a direction" in fields["direction"]
    assert "not a usable number" in fields["target"]
    assert fields["tolerance"] == "tolerance is a percentage of the target: 0 or more"
    assert "not a period of this monthly measure" in fields["baseline_period"]
    nul = MeasureData(ref="M1.1", name="Vis\x00its", direction="up", target=1.0, unit="%\x00")
    assert {p.field for p in check_measure(nul)} == {"name", "unit"}
