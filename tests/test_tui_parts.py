"""The terminal UI's pure parts: filter wording, the summary line, column fitting, paths."""

from __future__ import annotations

from pathlib import Path

from tracker.records import Filters, ViewCounts
from tracker.rules import RuleSettings
from tracker.tui.failures import describe_failure
from tracker.tui.screens.export import check_path
from tracker.tui.view import ViewState, summary_text
from tracker.tui.widgets.action_table import ActionTable


def test_summary_line_counts_and_filters() -> None:
    counts = ViewCounts(total=12, overdue=3, due_soon=2, blocked=1, complete=4)
    state = ViewState().with_filters(overdue=True, owner="Head of [bold]x")
    line = summary_text(counts, state).plain
    assert line.startswith("12 actions · 3 overdue · 2 due soon · 1 blocked · 4 complete")
    assert "overdue only" in line
    assert "owner ~ 'Head of [bold]x'" in line
    assert summary_text(ViewCounts(total=1), ViewState()).plain.startswith("1 action ·")
    assert "all actions" in summary_text(ViewCounts(), ViewState()).plain


def test_view_state_knows_when_it_is_filtered() -> None:
    assert not ViewState().is_filtered
    assert ViewState(Filters(search="lado")).is_filtered
    assert ViewState().with_filters(statuses=("blocked",)).describe() == "status blocked"


def test_narrow_tables_keep_the_flag_and_rag(settings: RuleSettings) -> None:
    table = ActionTable(settings)
    narrow = [c.key for c, _ in table._layout(79)]
    assert {"ref", "description", "deadline", "rag", "flag", "owner"} <= set(narrow)
    assert "progress" not in narrow
    wide = [c.key for c, _ in table._layout(200)]
    assert {"plan", "status", "progress"} <= set(wide)
    assert sum(w for _, w in table._layout(79)) + len(narrow) <= 79


def test_export_path_checks(tmp_path: Path) -> None:
    path, message = check_path(str(tmp_path / "out.csv"))
    assert path == tmp_path / "out.csv"
    assert message == ""
    (tmp_path / "out.csv").write_text("x")
    assert "will be replaced" in check_path(str(tmp_path / "out.csv"))[1]
    assert check_path("  ")[0] is None
    assert check_path(str(tmp_path))[1].endswith("add a file name")
    assert check_path(str(tmp_path / "missing" / "out.csv"))[1].startswith("no folder")


def test_failures_read_as_one_line() -> None:
    assert (
        describe_failure(ValueError("bad\nvalue")) == "unexpected failure (ValueError: bad value)"
    )
    missing = FileNotFoundError(2, "No such file or directory", "/nowhere/x.csv")
    assert describe_failure(missing) == "No such file or directory: /nowhere/x.csv"
