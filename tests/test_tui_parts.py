"""The terminal UI's pure parts: filter wording, the summary line, column fitting, paths."""

from __future__ import annotations

from pathlib import Path

from tracker.domain.records import Filters, ViewCounts
from tracker.domain.rules import RuleSettings
from tracker.tui.failures import describe_failure
from tracker.tui.screens.export import check_path
from tracker.tui.view import ViewState, middle_truncate, summary_text
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


def test_summary_line_names_the_sort_and_its_direction() -> None:
    counts = ViewCounts(total=3)
    assert "by" not in summary_text(counts, ViewState()).plain
    # In words (issue 12 item 7): a reader need not know which way an arrow points.
    assert summary_text(counts, ViewState(sort="rag")).plain.endswith("by RAG, worst first")
    worst_last = summary_text(counts, ViewState(sort="rag", descending=True)).plain
    assert worst_last.endswith("by RAG, best first")
    assert summary_text(counts, ViewState(sort="owner")).plain.endswith("by owner, A to Z")


def test_view_state_knows_when_it_is_filtered() -> None:
    assert not ViewState().is_filtered
    assert ViewState(Filters(search="lado")).is_filtered
    assert ViewState().with_filters(statuses=("blocked",)).describe() == "status blocked"


def test_narrow_tables_keep_the_flag_and_rag(settings: RuleSettings) -> None:
    table = ActionTable(settings)
    narrow = [c.key for c, _ in table._layout(79)]
    assert {"plan", "ref", "description", "deadline", "rag", "flag"} <= set(narrow)
    assert "progress" not in narrow
    wide = [c.key for c, _ in table._layout(200)]
    assert {"plan", "owner", "status", "progress"} <= set(wide)
    assert sum(w for _, w in table._layout(79)) + len(narrow) <= 79
    table.show_plan = False  # one plan chosen: the owner has the plan's room at 80
    assert "owner" in [c.key for c, _ in table._layout(79)]


def test_flag_column_fits_the_whole_mark_at_every_width(settings: RuleSettings) -> None:
    """Issue 12 item 1: `OVERDUE 1057d` and `no update 45d` are never cut."""
    table = ActionTable(settings)
    for width in (78, 91, 110, 115, 160, 200):
        flag = {c.key: w for c, w in table._layout(width)}.get("flag")
        assert flag is not None
        assert flag >= len("OVERDUE 1057d") >= len("no update 45d")


def test_plan_column_shows_when_the_view_spans_plans(settings: RuleSettings) -> None:
    """Issue 12 items 2 and 3: every row names its plan, at 80 columns too; wide, it grows."""
    table = ActionTable(settings)
    for width in (60, 78, 91, 110, 150, 200):
        layout = table._layout(width)
        assert "plan" in [c.key for c, _ in layout]
        assert sum(w for _, w in layout) + len(layout) <= width
        assert {c.key: w for c, w in layout}["description"] >= 20
    # 120 columns with the tree open (a 91-cell table): plan and owner both show.
    assert {"plan", "owner"} <= {c.key for c, _ in table._layout(91)}
    # 160 columns, no tree: owners (up to 36) and plan keys (up to 30) whole.
    wide = {c.key: w for c, w in table._layout(160)}
    assert wide["owner"] == 36
    assert wide["plan"] == 30
    assert wide["description"] >= 30
    table.show_plan = False  # one plan or recommendation chosen in the tree
    for width in (80, 110, 200):
        assert "plan" not in [c.key for c, _ in table._layout(width)]


def test_middle_truncate_keeps_what_tells_plans_apart() -> None:
    keys = [
        "staffordshire-2024-ilacs",
        "staffordshire-2025-focused-visit",
        "stoke-on-trent-2022-ilacs",
    ]
    for width in (14, 16, 24):
        cut = [middle_truncate(k, width) for k in keys]
        assert len(set(cut)) == 3, cut
        assert all(len(c) <= width for c in cut)
    assert middle_truncate(keys[0], 16) == "staff…2024-ilacs"
    assert middle_truncate("short", 16) == "short"
    assert middle_truncate("abc", 1) == "…"
    assert middle_truncate("abc", 0) == ""


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
