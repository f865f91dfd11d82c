"""What a user trial found on the command line (issue 12, items 12 and 14-17): tables that
fit the terminal with whole flags and are never cut when piped, `show` broken between
words, counts in the singular, hints for plan files as people write them, a `make run`
that installs only what running needs, and a demo store that keeps its changes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLES
from trial_support import ROOT, on_terminal, piped, tracker_env

from tracker import cli
from tracker.cli.context import fit_table
from tracker.domain.errors import PlanFileError
from tracker.formats.plan_toml import parse_plan_text

SAMPLE_FILES = [str(p) for p in sorted(SAMPLES.glob("*.toml"))]
PLAN = """\
[plan]
key = "trial"
authority = "Trial Council"
title = "Trial plan"

[[recommendations]]
ref = "R1"
title = "One"

[[recommendations.actions]]
ref = "R1.1"
description = "Do it"
owner = "Someone"
deadline = {deadline}
status = "{status}"
"""


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store with the sample plans, shared by the subprocess tests."""
    path = str(tmp_path_factory.mktemp("trial") / "t.db")
    done = piped("--db", path, "import", *SAMPLE_FILES)
    assert done.status == 0, done.err
    return path


# --- 14: tables fit the terminal, whole flags, nothing cut when piped -----------------------


@pytest.mark.parametrize("columns", [80, 100, 120, 160])
def test_overdue_fits_the_terminal_with_whole_flags(store_file: str, columns: int) -> None:
    done = on_terminal("--db", store_file, "overdue", columns=columns, env=tracker_env())
    assert done.status == 0
    lines = done.out.splitlines()
    assert all(len(line) <= columns for line in lines), max(lines, key=len)
    flags = re.findall(r"OVERDUE \d+d", done.out)
    assert len(flags) == 16  # every overdue action's flag, whole on one line
    assert "OVERD\n" not in done.out
    # Status, owner and description go beneath each row, in full, between words.
    assert "    STATUS · OWNER · DESCRIPTION\n" in done.out
    assert (
        "blocked · LADO Manager · Move LADO records onto the case management system so "
        "that allegations, strategy meetings and outcomes are recorded in one place."
        in " ".join(done.out.split())
    )


def test_a_wide_terminal_keeps_one_line_per_action(store_file: str) -> None:
    done = on_terminal("--db", store_file, "overdue", columns=250, env=tracker_env())
    rows = [line for line in done.out.splitlines() if ":R" in line]
    assert len(rows) == 16
    assert all("OVERDUE" in row for row in rows)
    assert "LADO Manager" in done.out
    # The description takes the slack: cut, if at all, at 50 characters or more.
    assert "Move LADO records onto the case management system so" in done.out


def test_piped_output_is_never_cut(store_file: str) -> None:
    done = piped("--db", store_file, "overdue", env=tracker_env(COLUMNS="40"))
    assert done.status == 0
    assert "…" not in done.out
    assert (
        "Improve the timeliness of assessments through a weekly assessment tracker, "
        "performance clinics for teams below target and escalation to the Head of Service "
        "at day 35." in done.out
    )
    assert len(done.out.splitlines()) == 18  # header, 16 rows, the count


def test_fit_table_cuts_the_flexible_column_first_and_never_a_fixed_one() -> None:
    widths = [29, 5, 13, 40, 120]
    layout = fit_table(widths, 120, flex=4, squeeze={4: 20, 3: 10}, drop=(), below=())
    assert layout.widths[:3] == [29, 5, 13]
    assert sum(layout.widths) + 2 * 4 == 120
    assert layout.widths[3] == 40  # the owner is whole while the description can give
    narrow = fit_table(widths, 80, flex=4, squeeze={4: 20, 3: 10}, drop=(), below=(3, 4))
    assert narrow.below == [3, 4]
    assert narrow.inline == [0, 1, 2]


def test_counts_are_singular_for_one(store_file: str) -> None:
    done = piped("--db", store_file, "list", "--search", "LADO records", env=tracker_env())
    assert done.out.splitlines()[-1].startswith("1 action, 1 overdue,")
    done = piped("--db", store_file, "show", "staffordshire-2024-ilacs:R3.6", env=tracker_env())
    assert "Slippage:          304 days, 1 revision\n" in done.out


def test_the_import_line_counts_in_the_singular(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = tmp_path / "trial.toml"
    plan.write_text(PLAN.format(deadline="2027-03-31", status="in_progress"), encoding="utf-8")
    assert cli.main(["--db", str(tmp_path / "t.db"), "import", str(plan)]) == 0
    assert capsys.readouterr().out.endswith("imported plan trial: 1 action\n")


def test_show_breaks_long_lines_between_words_on_a_terminal(store_file: str) -> None:
    address = "staffordshire-2024-ilacs:R1.4"
    done = on_terminal("--db", store_file, "show", address, columns=72, env=tracker_env())
    assert done.status == 0
    lines = done.out.splitlines()
    assert all(len(line) <= 72 for line in lines)
    start = next(i for i, line in enumerate(lines) if line.startswith("Description:"))
    end = next(i for i, line in enumerate(lines) if line.startswith("Owner:"))
    pieces = [line[19:] for line in lines[start:end]]
    assert len(pieces) > 1
    assert all(not p.startswith(" ") and not p.endswith(" ") for p in pieces)
    text = " ".join(pieces)
    assert text.startswith("Improve the timeliness of assessments through a weekly")
    assert text.endswith("escalation to the Head of Service at day 35.")
    piped_out = piped("--db", store_file, "show", address, env=tracker_env()).out
    assert f"Description:       {text}\n" in piped_out  # one line when piped


# --- 15: plan files as people write them ------------------------------------------------------


def test_an_unquoted_uk_date_gets_a_hint() -> None:
    text = PLAN.format(deadline="31/03/2027", status="in_progress")
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(text, name="plan.toml", default_key="plan")
    (line,) = caught.value.problems
    assert line.startswith("plan.toml: line 14, column 14: TOML syntax error: ")
    assert line.endswith('; write the date as 2027-03-31 or "31/03/2027"')


def test_the_hint_on_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.toml"
    plan.write_text(PLAN.format(deadline="31/3/27", status="in_progress"), encoding="utf-8")
    assert cli.main(["--db", str(tmp_path / "t.db"), "import", str(plan)]) == 1
    err = capsys.readouterr().err
    assert 'write the date as 2027-03-31 or "31/3/27"' in err
    assert err.endswith("tracker: error: nothing was imported\n")


@pytest.mark.parametrize(
    ("written", "status"),
    [
        ("In progress", "in_progress"),
        ("in-progress", "in_progress"),
        ("In Progress", "in_progress"),
        ("Complete", "complete"),
        ("NOT STARTED", "not_started"),
        ("not-started", "not_started"),
        ("Blocked", "blocked"),
    ],
)
def test_status_words_are_read_as_people_write_them(written: str, status: str) -> None:
    plan = parse_plan_text(
        PLAN.format(deadline="2027-03-31", status=written), name="p.toml", default_key="p"
    )
    assert plan.recommendations[0].actions[0].status == status


def test_an_unknown_status_word_is_named_as_written() -> None:
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(
            PLAN.format(deadline="2027-03-31", status="Nearly done"), name="p.toml", default_key="p"
        )
    assert "'Nearly done' is not a status" in caught.value.problems[0]


# --- 17: make run installs only what running needs ----------------------------------------


def test_make_run_installs_only_what_running_needs(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    plan = subprocess.run(
        ["make", "-n", "run", f"VENV={venv}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    installs = [line for line in plan.splitlines() if "pip install" in line]
    assert len(installs) == 1
    assert " -e . >" in installs[0]
    assert "[test" not in installs[0]
    assert "postgres" not in installs[0]
    assert ">" in installs[0]  # pip's output goes to the log, shown only on failure
    full = subprocess.run(
        ["make", "-n", "pytest", f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "'.[test,postgres]'" in full


# --- 12: the demo store is kept until --reset --------------------------------------------------


def test_the_demo_store_is_kept_until_reset(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracker.cli.demo import open_demo_store

    path, made = open_demo_store(user="demo", folder=tmp_path)
    assert made
    assert Path(path) == tmp_path / "demo.db"
    assert (
        cli.main(
            ["--db", path, "update", "staffordshire-2024-ilacs:R1.4", "--note", "my demo edit"]
        )
        == 0
    )
    again, made = open_demo_store(user="demo", folder=tmp_path)
    assert (again, made) == (path, False)
    capsys.readouterr()
    cli.main(["--db", path, "show", "staffordshire-2024-ilacs:R1.4"])
    assert "my demo edit" in capsys.readouterr().out
    fresh, made = open_demo_store(user="demo", folder=tmp_path, reset=True)
    assert (fresh, made) == (path, True)
    cli.main(["--db", path, "show", "staffordshire-2024-ilacs:R1.4"])
    assert "my demo edit" not in capsys.readouterr().out


def test_a_broken_demo_store_is_made_again(tmp_path: Path) -> None:
    from tracker.cli.demo import open_demo_store

    (tmp_path / "demo.db").write_bytes(b"not a database")
    path, made = open_demo_store(user="demo", folder=tmp_path)
    assert made
    assert Path(path).stat().st_size > 1000


def test_the_help_page_says_where_the_demo_store_is() -> None:
    from conftest import TODAY

    from tracker.domain.rules import RuleSettings
    from tracker.tui.screens.help import help_text

    text = help_text(RuleSettings(today=TODAY), demo_store="/home/me/.cache/tracker/demo.db")
    assert "`/home/me/.cache/tracker/demo.db`" in text
    assert "tracker demo --reset" in text
    assert "demo.db" not in help_text(RuleSettings(today=TODAY))
