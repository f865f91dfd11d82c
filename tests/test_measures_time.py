"""Measures of impact over time: no reading for a period that has not begun, at any door.

Today is pinned (conftest: 25 November 2026), so November 2026 and the fourth quarter of
2026 are the periods in progress: allowed; December 2026 and 2027-Q1 are refused.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import TODAY
from test_measures import KEY, PLAN, Run
from textual.widgets import Button, Input, Static
from tui_support import SIZE, build, settle

from tracker.domain.errors import PlanFileError
from tracker.domain.measures import PeriodError, ReadingInput, check_period_begun, current_period
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file, parse_plan_text
from tracker.storage.measures import MeasureStore
from tracker.storage.store import Store
from tracker.tui.screens.measures import MeasuresScreen, ReadingForm


@pytest.fixture
def run(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Run:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    runner = Run(db_url, capsys)
    status, _, err = runner("import", str(path))
    assert status == 0, err
    return runner


def periods(run: Run, measure: str = f"{KEY}:M1.1") -> list[str]:
    status, out, err = run("reading", "list", measure, "--format", "json")
    assert status == 0, err
    return [r["period"] for r in json.loads(out)["readings"]]


# --- the rule ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "today", "begun"),
    [
        ("2026-11", date(2026, 11, 25), True),  # the month in progress
        ("2026-11", date(2026, 11, 1), True),  # its first day
        ("2026-10", date(2026, 11, 1), True),
        ("2026-12", date(2026, 11, 30), False),  # tomorrow's month
        ("2027-01", date(2026, 11, 25), False),
        ("2026-Q4", date(2026, 10, 1), True),  # the quarter in progress
        ("2026-Q4", date(2026, 9, 30), False),
        ("2027-Q1", date(2026, 12, 31), False),
        ("1999-Q1", date(2026, 12, 31), True),
    ],
)
def test_a_period_must_have_begun(period: str, today: date, begun: bool) -> None:
    if begun:
        check_period_begun(period, today)
        return
    with pytest.raises(PeriodError, match=f"^{period} has not begun yet"):
        check_period_begun(period, today)


def test_current_period() -> None:
    assert current_period(date(2026, 11, 25), "monthly") == "2026-11"
    assert current_period(date(2026, 11, 25), "quarterly") == "2026-Q4"
    assert current_period(date(2026, 3, 31), "quarterly") == "2026-Q1"
    assert current_period(date(2026, 4, 1), "quarterly") == "2026-Q2"


# --- the doors ---------------------------------------------------------------------------


def test_reading_add_refuses_a_period_not_begun(run: Run) -> None:
    status, out, err = run("reading", "add", f"{KEY}:M1.1", "--period", "2026-12", "--value", "80")
    assert status == 1
    assert out == ""
    assert err == (
        "tracker: error: 2026-12 has not begun yet (today is 25 November 2026, in 2026-11): "
        "a reading is for a period that has begun\n"
        "tracker: error: no reading was recorded\n"
    )
    assert "2026-12" not in periods(run)
    # The month in progress is allowed; so is December once --today is in it.
    status, _, err = run("reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "80")
    assert status == 0, err
    status, _, err = run(
        "--today", "2026-12-01", "reading", "add", f"{KEY}:M1.1", "--period", "2026-12",
        "--value", "81",
    )  # fmt: skip
    assert status == 0, err
    assert periods(run)[-2:] == ["2026-11", "2026-12"]


def test_reading_add_quarterly_in_progress_allowed_next_refused(run: Run) -> None:
    status, _, err = run("reading", "add", f"{KEY}:M1.2", "--period", "2026-Q4", "--value", "19")
    assert status == 0, err
    status, _, err = run("reading", "add", f"{KEY}:M1.2", "--period", "2027-Q1", "--value", "19")
    assert status == 1
    assert "2027-Q1 has not begun yet (today is 25 November 2026, in 2026-Q4)" in err
    assert periods(run, f"{KEY}:M1.2") == ["2026-Q3", "2026-Q4"]


def test_tracker_today_moves_the_rule(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_TODAY", "2026-10-31")
    status, _, err = run("reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "80")
    assert status == 1
    assert "2026-11 has not begun yet (today is 31 October 2026, in 2026-10)" in err


def test_reading_import_names_each_future_line_and_records_nothing(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "figures.csv"
    path.write_text(
        "measure,period,value,note\n"
        f"{KEY}:M1.1,2026-11,80,fine\n"
        f"{KEY}:M1.1,2026-12,81,next month\n"
        f"{KEY}:M1.2,2026-Q4,19,\n"
        f"{KEY}:M1.2,2027-Q1,18,\n",
        encoding="utf-8",
    )
    status, out, err = run("reading", "import", str(path))
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        f"tracker: error: {path}: line 3: 2026-12 has not begun yet (today is 25 November "
        "2026, in 2026-11): a reading is for a period that has begun",
        f"tracker: error: {path}: line 5: 2027-Q1 has not begun yet (today is 25 November "
        "2026, in 2026-Q4): a reading is for a period that has begun",
        "tracker: error: no reading was recorded",
    ]
    assert periods(run) == ["2025-10", "2026-09", "2026-10"]
    assert periods(run, f"{KEY}:M1.2") == ["2026-Q3"]


def test_the_store_refuses_whoever_calls_it(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url)
    try:
        store.import_plans([("p.toml", parse_plan_text(PLAN, name="p", default_key=KEY))], user="a")
        ms = MeasureStore(store)
        with pytest.raises(PlanFileError) as caught:
            ms.add_readings(
                [ReadingInput(f"{KEY}:M1.1", "2026-12", 80.0, place="row 1")],
                user="a",
                today=TODAY,
            )
        assert caught.value.problems[0].startswith("row 1: 2026-12 has not begun yet")
        assert [r.period for r in ms.readings(ms.measure(f"{KEY}:M1.1").id)] == [
            "2025-10",
            "2026-09",
            "2026-10",
        ]
        done = ms.add_readings(
            [ReadingInput(f"{KEY}:M1.1", "2026-12", 80.0)], user="a", today=date(2026, 12, 1)
        )
        assert done.added == 1
    finally:
        store.close()


FUTURE_PLAN = (
    PLAN.replace(
        'period = "2026-Q3"\nvalue = 20.5\n',
        'period = "2026-Q3"\nvalue = 20.5\n\n'
        '[[recommendations.measures.readings]]\nperiod = "2027-Q1"\nvalue = 19\n',
    )
    + '\n[[recommendations.measures.readings]]\nperiod = "2026-12"\nvalue = 19\n'
)


def test_a_plan_file_with_a_future_reading_is_refused_with_its_place(
    run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "future.toml"
    path.write_text(FUTURE_PLAN.replace(KEY, "futureshire-2026"), encoding="utf-8")
    status, out, err = run("import", str(path))
    assert status == 1
    assert out == ""
    assert err.splitlines() == [
        f"tracker: error: {path}: recommendations[1].measures[2].readings[2].period: 2027-Q1 "
        "has not begun yet (today is 25 November 2026, in 2026-Q4): a reading is for a "
        "period that has begun",
        f"tracker: error: {path}: recommendations[1].measures[2].readings[3].period: '2026-12' "
        "is not a period of this quarterly measure: write a quarter such as 2026-Q3",
        "tracker: error: nothing was imported",
    ]
    status, out, _ = run("plans")
    assert "futureshire-2026" not in out
    # The same file, on a day when both periods have begun (and 2026-12 made a quarter).
    path.write_text(
        FUTURE_PLAN.replace(KEY, "futureshire-2026").replace('"2026-12"', '"2026-Q2"'),
        encoding="utf-8",
    )
    status, _, err = run("--today", "2027-01-02", "import", str(path))
    assert status == 0, err


def test_import_replace_refuses_a_future_reading(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "plan.toml"
    path.write_text(PLAN.replace('period = "2025-10"', 'period = "2026-12"'), encoding="utf-8")
    status, _, err = run("import", "--replace", str(path))
    assert status == 1
    assert (
        f"{path}: recommendations[1].measures[1].readings[1].period: 2026-12 has not begun yet"
        in err
    )
    assert periods(run) == ["2025-10", "2026-09", "2026-10"]


def test_loading_a_file_without_today_reads_what_is_there() -> None:
    """Reading a file for a check of its own (export round trips, the samples) is not a
    door: only a load given `today` judges its periods."""
    plan = parse_plan_text(FUTURE_PLAN.replace('"2026-12"', '"2026-Q2"'), name="p", default_key=KEY)
    assert [r.period for r in plan.recommendations[0].measures[1].readings][-1] == "2026-Q2"
    with pytest.raises(PlanFileError):
        parse_plan_text(FUTURE_PLAN, name="p", default_key=KEY, today=TODAY)


# --- the terminal UI ---------------------------------------------------------------------

SAMPLES = Path(__file__).resolve().parent.parent / "sample_plans"


@pytest.fixture
def sample_store(tmp_path: Path) -> Any:
    store = Store.open(f"sqlite:///{tmp_path / 'tui.db'}")
    store.import_plans(
        [(p.name, load_plan_file(p)) for p in sorted(SAMPLES.glob("*.toml"))], user="s"
    )
    yield store
    store.close()


async def test_the_reading_form_says_a_future_period_beside_the_field(
    sample_store: Store, settings: RuleSettings
) -> None:
    app = build(sample_store, settings, location="sample-plans.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReadingForm)
        assert form.query_one("#period", Input).value == "2026-11"  # the next period, begun
        form.query_one("#period", Input).value = "2026-12"
        form.query_one("#value", Input).value = "80"
        await settle(pilot)
        problem = str(form.query_one("#period-problem", Static).render())
        assert "2026-12 has not begun yet (today is 25 November 2026, in 2026-11)" in problem
        assert form.query_one("#save-button", Button).disabled
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # nothing saved, the form stays
        form.query_one("#period", Input).value = "2026-11"
        await settle(pilot)
        assert str(form.query_one("#period-problem", Static).render()) == ""
        assert not form.query_one("#save-button", Button).disabled
    ms = MeasureStore(sample_store)
    row = ms.measure("staffordshire-2024-ilacs:M1.1")
    assert "2026-12" not in [r.period for r in ms.readings(row.id)]


async def test_the_form_never_suggests_a_period_not_begun(
    sample_store: Store, settings: RuleSettings
) -> None:
    ms = MeasureStore(sample_store)
    ms.add_readings(
        [ReadingInput("staffordshire-2024-ilacs:M1.1", "2026-11", 84.0)], user="s", today=TODAY
    )
    app = build(sample_store, settings, location="sample-plans.db")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ReadingForm)
        # November is the latest and in progress: the form offers it again (to correct).
        assert form.query_one("#period", Input).value == "2026-11"


# --- tracker check ------------------------------------------------------------------------

OTHER = (
    PLAN.replace(KEY, "otherton-2025-ilacs")
    .replace("Testshire", "Otherton")
    .replace('ref = "R1"\ntitle = "Front door"', 'ref = "R1"\ntitle = "Otherton front door"')
)


@pytest.fixture
def checked(run: Run, tmp_path: Path) -> Run:
    """A store that has been used: two plans, a reading corrected, a note changed and a
    measure edited, so versions above 1 stand on their history entries."""
    other = tmp_path / "other.toml"
    other.write_text(OTHER, encoding="utf-8")
    for argv in (
        ("import", str(other)),
        ("reading", "add", f"{KEY}:M1.1", "--period", "2026-10", "--value", "71",
         "--count", "85.2", "--of", "120"),
        ("reading", "add", f"{KEY}:M1.1", "--period", "2026-09", "--value", "74.5",
         "--note", "Recovered staff"),
        ("reading", "add", f"{KEY}:M1.1", "--period", "2026-11", "--value", "79"),
        ("edit-measure", f"{KEY}:M1.1", "--target", "90", "--note", "raised"),
        ("edit-measure", f"{KEY}:M1.2", "--status", "retired"),
    ):  # fmt: skip
        status, _, err = run(*argv)
        assert status == 0, (argv, err)
    return run


def plant(db: str, *statements: str) -> None:
    """Change the store behind tracker's back (no guard, no history), as damage would."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def check_lines(run: Run) -> list[str]:
    status, out, err = run("check")
    if status == 0:
        return []
    assert status == 1, err
    assert out == ""
    return [line.split(": ", 3)[-1] for line in err.splitlines()]  # after the store


PK = f"(SELECT id FROM plan WHERE key = '{KEY}')"
M11 = f"(SELECT id FROM measure WHERE ref = 'M1.1' AND plan_id = {PK})"
M12 = f"(SELECT id FROM measure WHERE ref = 'M1.2' AND plan_id = {PK})"

FAULTS = {
    "period index": (
        [
            "UPDATE reading SET period_index = period_index + 1 "
            f"WHERE period = '2026-09' AND measure_id = {M11}"
        ],
        f"{KEY}:M1.1 2026-09: period_index 24321 is not the period's (24320)",
    ),
    "frequency": (
        [
            "UPDATE reading SET period = '2025-Q4', period_index = 8103 "
            f"WHERE period = '2025-10' AND measure_id = {M11}"
        ],
        f"{KEY}:M1.1 2025-Q4: a quarterly period in a monthly measure",
    ),
    "period form": (
        [f"UPDATE reading SET period = '2026-q3' WHERE measure_id = {M12}"],
        f"{KEY}:M1.2 2026-q3: the period is not written as 2026-Q3",
    ),
    "count": (
        [f"UPDATE reading SET numerator = 90 WHERE period = '2026-10' AND measure_id = {M11}"],
        f"{KEY}:M1.1 2026-10: value 71 is not 90 of 120 as a percentage (75)",
    ),
    "half a count": (
        [f"UPDATE reading SET denominator = NULL WHERE period = '2026-10' AND measure_id = {M11}"],
        f"{KEY}:M1.1 2026-10: give both count and of (102 of 120), or neither",
    ),
    "measure version": (
        [f"UPDATE measure SET version = 5 WHERE id = {M11}"],
        f"{KEY}:M1.1: at version 5 but only 1 history entries about its fields (history was lost)",
    ),
    "reading version": (
        [f"UPDATE reading SET version = 3 WHERE period = '2026-10' AND measure_id = {M11}"],
        f"{KEY}:M1.1 2026-10: the reading is at version 3 but history has only 1 "
        "corrections of it (history was lost)",
    ),
    "new reading version": (
        [f"UPDATE reading SET version = 2 WHERE period = '2026-11' AND measure_id = {M11}"],
        f"{KEY}:M1.1 2026-11: the reading is at version 2 but history has only 0 "
        "corrections of it (history was lost)",
    ),
    "recommendation of another plan": (
        [
            "UPDATE measure SET recommendation_id = (SELECT r.id FROM recommendation r "
            "JOIN plan p ON p.id = r.plan_id WHERE p.key = 'otherton-2025-ilacs' AND "
            f"r.ref = 'R1') WHERE id = {M12}"
        ],
        f"{KEY}:M1.2: its recommendation R1 belongs to another plan (otherton-2025-ilacs)",
    ),
}
# Orphans cannot be planted past PostgreSQL's foreign keys: SQLite only (its foreign keys
# are off for a plain connection, as for a file damaged or edited by another program).
SQLITE_FAULTS = {
    "no recommendation": (
        [f"UPDATE measure SET recommendation_id = 9999 WHERE id = {M12}"],
        f"{KEY}:M1.2: its recommendation (id 9999) is not in the store",
    ),
    "no plan": (
        [f"UPDATE measure SET plan_id = 9999 WHERE id = {M12}"],
        "(M1.2): its plan (id 9999) is not in the store",
    ),
    "history of no measure": (
        [
            "INSERT INTO measure_history (measure_id, at, by, field, old, new, note) VALUES "
            "(9999, '2026-11-25 10:00:00', 'x', 'target', '85', '90', NULL)"
        ],
        "1 measure history entries name measure 9999, which is not in the store",
    ),
    "reading of no measure": (
        [
            "INSERT INTO reading (measure_id, period, period_index, value, version, updated_at,"
            " updated_by) VALUES (9999, '2026-10', 24321, 1, 1, '2026-11-25 10:00:00', 'x')"
        ],
        "1 readings name measure 9999, which is not in the store",
    ),
}


def test_check_passes_a_used_store(checked: Run) -> None:
    status, out, err = checked("check")
    assert status == 0, err
    assert ": ok: 2 plans, " in out
    # The line counts what was checked, measures and readings among it.
    assert re.search(r", [1-9][\d,]* measures?, [1-9][\d,]* readings? checked$", out.strip())


@pytest.mark.parametrize("fault", list(FAULTS))
def test_check_names_each_measure_fault(checked: Run, fault: str) -> None:
    statements, expected = FAULTS[fault]
    plant(checked.db, *statements)
    lines = check_lines(checked)
    assert lines[:-1] == [expected]  # that problem alone, in one line
    assert lines[-1].startswith("1 problem(s): restore the latest backup")


@pytest.mark.parametrize("fault", list(SQLITE_FAULTS))
def test_check_names_each_orphan(checked: Run, fault: str) -> None:
    if not checked.db.startswith("sqlite"):
        pytest.skip("foreign keys keep these out of PostgreSQL")
    statements, expected = SQLITE_FAULTS[fault]
    plant(checked.db, *statements)
    lines = check_lines(checked)
    assert any(line.endswith(expected) for line in lines), lines


# --- as at a date -------------------------------------------------------------------------


@pytest.fixture
def measured(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Staffordshire's autumn (board_support), and its measures' November: a reading
    corrected before the end of October, then after it a new reading, a correction with
    its own commentary, a commentary changed alone, a target moved, a measure added and
    one retired."""
    from board_support import tell_story

    from tracker.domain.plan import MeasureData
    from tracker.storage.measures import MeasureChanges

    store = tell_story(empty_store, monkeypatch)
    ms = MeasureStore(store)

    def at(moment: str) -> date:
        monkeypatch.setenv("TRACKER_NOW", moment)
        return date.fromisoformat(moment[:10])

    s = "staffordshire-2024-ilacs"
    day = at("2026-10-20T09:00:00Z")
    ms.add_readings([ReadingInput(f"{s}:M1.1", "2026-09", 83.9)], user="pat", today=day)
    day = at("2026-11-03T09:00:00Z")
    ms.add_readings([ReadingInput(f"{s}:M1.1", "2026-11", 86.0)], user="pat", today=day)
    day = at("2026-11-04T09:00:00Z")
    ms.add_readings(
        [ReadingInput(f"{s}:M1.2", "2026-10", 96.0, note="Recounted: duplicates removed")],
        user="pat",
        today=day,
    )
    day = at("2026-11-05T09:00:00Z")
    ms.add_readings(
        [ReadingInput(f"{s}:M4.1", "2026-10", 84.8, count=531, of=626, note="Panel agreed")],
        user="pat",
        today=day,
    )
    at("2026-11-06T09:00:00Z")
    ms.edit_measure(f"{s}:M3.1", MeasureChanges(target=92.0), user="lee", note="board")
    at("2026-11-07T09:00:00Z")
    ms.add_measure(
        f"{s}:R1",
        MeasureData(ref="", name="Visits within 10 days", direction="up", target=95.0, unit="%"),
        user="lee",
        auto_ref=True,
    )
    at("2026-11-08T09:00:00Z")
    ms.edit_measure(f"{s}:M4.2", MeasureChanges(status="retired"), user="lee")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T10:00:00Z")
    return store


def paper(db_url: str, fmt: str, *extra: str) -> str:
    import io

    from tracker.cli import main

    out = io.StringIO()
    argv = ["--db", db_url, "report", "--plan", "staffordshire-2024-ilacs", "--format", fmt]
    assert main([*argv, *extra], out=out) == 0
    return out.getvalue()


def section(text: str, start: str, end: str) -> str:
    return text[text.index(start) : text.index(end, text.index(start))]


def test_the_paper_as_of_a_date_reads_the_measures_as_they_stood(
    measured: Store, db_url: str
) -> None:
    then = paper(db_url, "markdown", "--as-of", "2026-10-31")
    card = section(then, "### Measures of impact", "### Trend")
    assert card.splitlines()[4:] == [
        "| M1.1 | Child and family assessments completed within 45 working days | at least "
        "85% | 82.8, 82.8, 81.2, 81, 83.9, 82.6 (May 2026 to Oct 2026) | 82.6% (336 of 407) "
        "(Oct 2026) | GREEN | ▼ worse | ▲ improved |",
        "| M1.2 | Contacts with a recorded management decision within 24 hours | at least "
        "95% | 85.6, 88.9, 87.4, 88, 90.5, 84.7 (May 2026 to Oct 2026) | 84.7% (1454 of "
        "1717) (Oct 2026) | RED | ▼ worse | ▼ worse |",
        "| M3.1 | LADO referrals with an initial consideration within one working day | at "
        "least 100% | 90.2, 87.6, 87.1, 89.4, 90, 92.3 (May 2026 to Oct 2026) | 92.3% (84 of "
        "91) (Oct 2026) | AMBER | ▲ improved | ▲ improved |",
        "| M4.1 | Care leavers aged 19-21 in suitable accommodation | at least 95% | 87, "
        "86.8, 84.9, 87, 84.7, 84.8 (May 2026 to Oct 2026) | 84.8% (531 of 626) (Oct 2026) "
        "| RED | ▲ improved | ▼ worse |",
        "| M4.2 | Care leavers placed in unsuitable temporary accommodation | at most 0 "
        "young people | 5, 2, 5, 4, 3, 2 (May 2026 to Oct 2026) | 2 young people (Oct 2026) "
        "| AMBER | ▲ improved | ▲ improved |",
        "",
    ]
    red = section(then, "#### Measures at RED", "#### Slipped")
    assert "#### Measures at RED (2)" in red
    assert (
        "| M1.2 | Contacts with a recorded management decision within 24 hours | 84.7% (1454 "
        "of 1717) (Oct 2026) | at least 95% | Fell in October: 40% more contacts after the "
        "schools' return" in red
    )
    assert "| M4.1 | Care leavers aged 19-21 in suitable accommodation | 84.8% (531 of 626) " in red
    assert "Below last year: twelve young people in bed and breakfast" in red
    for later in ("Recounted", "Panel agreed", "Visits within 10 days", "86%", "Nov 2026"):
        assert later not in card + red


def test_the_paper_today_reads_the_measures_as_they_are(measured: Store, db_url: str) -> None:
    now = paper(db_url, "markdown")
    card = section(now, "### Measures of impact", "### Trend")
    assert "| 86% (Nov 2026) | GREEN |" in card
    assert "| 96% (Oct 2026) | GREEN |" in card
    assert (
        "| M3.1 | LADO referrals with an initial consideration within one working day | "
        "at least 92% |" in card
    )
    assert "| M1.3 | Visits within 10 days | at least 95% | – | no reading yet |" in card
    assert "M4.2" not in card  # retired since
    red = section(now, "#### Measures at RED", "#### Slipped")
    assert "#### Measures at RED (1)" in red
    assert "| Panel agreed |" in red


def test_the_html_paper_as_of_a_date(measured: Store, db_url: str) -> None:
    html = paper(db_url, "html", "--as-of", "2026-10-31")
    card = section(html, "<h3>Measures of impact</h3>", "</table>")
    assert "84.7% (1454 of 1717) (Oct 2026)" in card
    assert "at least 100%" in card
    assert "M4.2" in card
    assert "Visits within 10 days" not in card
    # The chart's text alternative lists the readings as they then were.
    assert "Sep 2026 83.9%, Oct 2026 82.6%" in card
    red = section(html, "<h4>Measures at RED (2)</h4>", "</table>")
    assert "Fell in October: 40% more contacts after the schools&#x27; return" in red
    assert "Recounted" not in red
    assert "Panel agreed" not in red


def test_a_correction_after_the_day_is_undone_and_one_before_it_kept(
    measured: Store, db_url: str
) -> None:
    from tracker.storage.measure_timeline import scorecard_as_of

    def m11(day: date) -> tuple[object, ...]:
        rows = {
            r.ref: r for r in scorecard_as_of(measured, day=day, plan="staffordshire-2024-ilacs")
        }
        r = rows["M1.1"]
        return r.score.period, r.score.value, [p.value for p in r.recent][-2:]

    # 15 September: October had not begun; September's figure was 83.6 until 20 October.
    assert m11(date(2026, 9, 15)) == ("2026-09", 83.6, [81.0, 83.6])
    assert m11(date(2026, 10, 19)) == ("2026-10", 82.6, [83.6, 82.6])
    assert m11(date(2026, 10, 20)) == ("2026-10", 82.6, [83.9, 82.6])
    assert m11(date(2026, 11, 3)) == ("2026-11", 86.0, [82.6, 86.0])
    # Before the plan was imported there were no measures at all.
    assert scorecard_as_of(measured, day=date(2026, 8, 31)) == []


def test_measures_as_of(measured: Store, db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    from tracker.cli import main

    def scorecard(*extra: str) -> list[dict[str, Any]]:
        capsys.readouterr()
        assert main(["--db", db_url, "measures", "--format", "json", *extra]) == 0
        return list(json.loads(capsys.readouterr().out))

    then = {r["measure"]: r for r in scorecard("--as-of", "31/10/2026")}
    assert sorted(then) == ["M1.1", "M1.2", "M3.1", "M4.1", "M4.2"]
    assert (then["M1.2"]["value"], then["M1.2"]["rag"]) == (84.7, "RED")
    assert (then["M3.1"]["target"], then["M3.1"]["rag"]) == (100, "AMBER")
    assert then["M1.1"]["period"] == "2026-10"
    # As at today, the scorecard is the scorecard: the same rows, field for field.
    assert scorecard("--as-of", "2026-11-25") == scorecard()
    assert scorecard("--as-of", "2026-11-25", "--all") == scorecard("--all")
    capsys.readouterr()
    assert main(["--db", db_url, "measures", "--as-of", "2026-10-31"]) == 0
    out = capsys.readouterr().out
    assert (
        out.splitlines()[-1]
        == "5 measures as at 2026-10-31: 2 RED, 2 AMBER, 1 GREEN, 0 with no reading yet"
    )
    assert main(["--db", db_url, "measures", "--as-of", "2026-11-26"]) == 2
    assert "--as-of 2026-11-26 is after today (2026-11-25)" in capsys.readouterr().err


def test_what_undo_took_back_later_is_there_as_of_before(
    measured: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reading added, and a reading corrected with new commentary, before the day; both
    undone after it: the day's scorecard has them, today's has not."""
    from tracker.storage.measure_timeline import scorecard_as_of

    s = "staffordshire-2024-ilacs"
    ms = MeasureStore(measured)
    monkeypatch.setenv("TRACKER_NOW", "2026-10-30T09:00:00Z")
    ms.add_readings(
        [
            ReadingInput(f"{s}:M1.1", "2024-10", 70.0, note="Back-filled"),
            ReadingInput(f"{s}:M3.1", "2026-10", 93.4, count=85, of=91, note="A late return"),
        ],
        user="sam",
        today=date(2026, 10, 30),
        command="reading import",
    )
    monkeypatch.setenv("TRACKER_NOW", "2026-11-09T09:00:00Z")
    measured.undo(user="sam", dry_run=False)
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T10:00:00Z")

    def card(day: date) -> dict[str, Any]:
        rows = scorecard_as_of(measured, day=day, plan=s, include_retired=True, recent=30)
        return {r.ref: r for r in rows}

    then, now = card(date(2026, 10, 31)), card(TODAY)
    assert [(p.period, p.value) for p in then["M1.1"].recent[:2]] == [
        ("2024-10", 70.0),
        ("2024-11", now["M1.1"].recent[0].value),
    ]
    assert now["M1.1"].recent[0].period == "2024-11"
    assert (then["M3.1"].score.value, then["M3.1"].latest_note) == (93.4, "A late return")
    assert (then["M3.1"].latest_count, then["M3.1"].latest_of) == (85, 91)
    assert (now["M3.1"].score.value, now["M3.1"].latest_count) == (92.3, 84)
    assert now["M3.1"].latest_note not in (None, "A late return")
    # Before the readings were added, neither was there.
    before = card(date(2026, 10, 29))
    assert before["M1.1"].recent[0].period == "2024-11"
    assert before["M3.1"].score.value == 92.3
    assert before["M3.1"].latest_note == now["M3.1"].latest_note


def test_import_replace_writes_each_change_and_the_day_before_reads_as_it_was(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.storage.measure_timeline import scorecard_as_of

    run = Run(db_url, capsys)
    path = tmp_path / "plan.toml"
    path.write_text(PLAN, encoding="utf-8")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-01T09:00:00Z")
    assert run("import", str(path))[0] == 0
    monkeypatch.setenv("TRACKER_NOW", "2026-11-20T09:00:00Z")
    changed = PLAN.replace('note = "Agency cover ended"', 'note = "Cover restored"').replace(
        "value = 74.5", "value = 75"
    )
    path.write_text(changed, encoding="utf-8")
    status, _, err = run("import", "--replace", str(path))
    assert status == 0, err
    _, out, _ = run("reading", "list", f"{KEY}:M1.1", "--format", "json")
    fields = [(h["field"], h["old"], h["new"]) for h in json.loads(out)["history"]]
    assert fields[-2:] == [
        ("reading 2026-09", "74.5", "75"),
        ("reading 2026-10 note", "Agency cover ended", "Cover restored"),
    ]  # the note alone changed on 2026-10: no entry about its value
    store = Store.open(db_url)
    try:
        then = scorecard_as_of(store, day=date(2026, 11, 10), plan=KEY)[0]
        now = scorecard_as_of(store, day=TODAY, plan=KEY)[0]
    finally:
        store.close()
    assert [p.value for p in then.recent] == [65, 74.5, 70]
    assert then.latest_note == "Agency cover ended"
    assert [p.value for p in now.recent] == [65, 75, 70]
    assert now.latest_note == "Cover restored"
    assert run("check")[0] == 0


def test_a_measure_moved_by_a_plan_file_is_under_its_old_recommendation_before(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = Run(db_url, capsys)
    two = PLAN + '\n[[recommendations]]\nref = "R2"\ntitle = "Care leavers"\n'
    path = tmp_path / "plan.toml"
    path.write_text(two, encoding="utf-8")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-01T09:00:00Z")
    assert run("import", str(path))[0] == 0
    # M1.2 moves from R1 to R2: its table goes after R2's heading.
    start = two.index('[[recommendations.measures]]\nref = "M1.2"')
    end = two.index('\n[[recommendations]]\nref = "R2"')
    moved = two[:start] + two[end:] + "\n" + two[start:end]
    path.write_text(moved, encoding="utf-8")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-20T09:00:00Z")
    status, _, err = run("import", "--replace", str(path))
    assert status == 0, err
    _, out, _ = run("reading", "list", f"{KEY}:M1.2", "--format", "json")
    assert [(h["field"], h["old"], h["new"]) for h in json.loads(out)["history"]][-1] == (
        "recommendation",
        "R1",
        "R2",
    )

    def places(*extra: str) -> list[tuple[str, str]]:
        _, out, _ = run("measures", "--format", "json", *extra)
        return [(r["recommendation"], r["measure"]) for r in json.loads(out)]

    assert places() == [("R1", "M1.1"), ("R2", "M1.2")]
    assert places("--as-of", "2026-11-10") == [("R1", "M1.1"), ("R1", "M1.2")]
    assert run("check")[0] == 0
