"""The board paper: golden Markdown and HTML for a sample plan, and plan text kept inert.

The golden files are the paper for Staffordshire's plan after its autumn of updates, as at
25 November 2026 with changes since 1 October. After a deliberate change to the paper,
regenerate them with `TRACKER_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py`
and read the difference before committing it.
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from board_support import PLAN, tell_story
from conftest import DATA

from tracker.cli import main
from tracker.domain.records import ActionChanges
from tracker.storage.store import Store

GOLDEN = DATA / "golden"


@pytest.fixture
def story(empty_store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    return tell_story(empty_store, monkeypatch)


def _paper(db_url: str, fmt: str, *extra: str) -> str:
    out = io.StringIO()
    args = ["--db", db_url, "report", "--plan", PLAN, "--since", "2026-10-01", "--format", fmt]
    assert main([*args, *extra], out=out) == 0
    return out.getvalue()


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TRACKER_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
    assert text == path.read_text(encoding="utf-8"), f"{name} differs from the golden file"


def test_board_paper_markdown_golden(story: Store, db_url: str) -> None:
    """The Markdown paper for the sample plan, as the board would read it."""
    _check_golden("board-paper.md", _paper(db_url, "markdown"))


def test_board_paper_html_golden(story: Store, db_url: str) -> None:
    """The HTML paper for the sample plan: one self-contained printable page."""
    _check_golden("board-paper.html", _paper(db_url, "html"))


def test_board_paper_says_what_the_board_needs(story: Store, db_url: str) -> None:
    text = _paper(db_url, "markdown")
    assert "### Inspection judgements" in text
    assert "| R3 | LADO effectiveness and oversight | RED | 61% | 6 | 2 |" in text
    assert "#### Overdue (7)" in text  # R1.7, added in October, is overdue too
    assert "| Principal Social Worker | 31 Mar 2027 | 30 Jun 2027 | 91 | 1 | complete |" in text
    assert "### Changes since 1 October 2026" in text
    moved = "| staffordshire-2024-ilacs:R1.3 | 31 Mar 2027 | 30 Jun 2027 |"
    assert f"{moved} Extended for the new cohort | ben |" in text


def test_html_is_self_contained_and_printable(story: Store, db_url: str) -> None:
    html = _paper(db_url, "html")
    assert html.startswith("<!DOCTYPE html>")
    assert "<script" not in html
    assert "@media print" in html
    assert "@page" in html
    # Nothing is fetched: no external stylesheets, images or scripts; links only within.
    assert not re.search(r'\b(?:src|href)="(?!#)', html)
    assert "<link" not in html
    # RAG as a word on a coloured chip, progress as an inline SVG bar.
    assert '<span class="rag" style="background:#c62828;color:#ffffff">RED</span>' in html
    assert 'aria-label="61% complete"' in html


def test_plan_text_is_escaped(story: Store, db_url: str, tmp_path: Path) -> None:
    story.update_action(
        f"{PLAN}:R3.6",
        ActionChanges(owner="<script>alert('x')</script> | Lead", note="**bold** & <b>"),
        user="<i>mallory</i>",
    )
    html = _paper(db_url, "html")
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; | Lead" in html
    assert "&lt;i&gt;mallory&lt;/i&gt;" in html
    assert "**bold** &amp; &lt;b&gt;" in html
    md = _paper(db_url, "markdown")
    assert "\\<script\\>alert('x')\\</script\\> \\| Lead" in md
    assert "\\*\\*bold\\*\\* & \\<b\\>" in md


def test_report_writes_html_when_the_file_says_so(
    story: Store, db_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "board.html"
    assert main(["--db", db_url, "report", "--output", str(target)]) == 0
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    # Without --since the paper covers the month before today.
    assert "changes since 25 October 2026" in html


def test_report_on_an_unknown_plan(
    story: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--db", db_url, "report", "--plan", "nope"]) == 1
    assert "tracker: error: no plan 'nope' in the store" in capsys.readouterr().err


def test_last_months_paper_can_be_produced_again(story: Store, db_url: str) -> None:
    """`--as-of` rolls the actions back: R1.3 was still in progress with its first deadline."""
    out = io.StringIO()
    args = [
        "--db",
        db_url,
        "report",
        "--plan",
        PLAN,
        "--as-of",
        "2026-10-15",
        "--format",
        "markdown",
    ]
    assert main(args, out=out) == 0
    text = out.getvalue()
    assert text.count("As at **15 October 2026**. Changes since 15 September 2026.") == 1
    assert "#### Slipped deadlines (8)" in text  # R1.3's deadline moved on 20 October
    assert "| R1.3 | Principal Social Worker |" not in text
    assert "0 completed" in text
    assert "R1.7" in text  # added on 12 October
    # R3.3 (due 16 October) was not yet overdue; R1.4 (due 30 September) was, by 15 days.
    assert "| R1.4 | Assistant Director, Children's Social Care | 30 Sep 2026 | 15 |" in text
    assert "| R3.3 | Head of Safeguarding | 16 Oct 2026 |" not in text


def test_a_plan_with_no_actions_yet(empty_store: Store, db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tiny.toml"
    path.write_text(
        'judgements = []\n[plan]\nkey = "tiny"\nauthority = "Tiny <Council> & Co"\n'
        'title = "A | plan"\n[[recommendations]]\nref = "R1"\ntitle = "Something"\n',
        encoding="utf-8",
    )
    assert main(["--db", db_url, "import", str(path)]) == 0
    md = _paper_of(db_url, "tiny", "markdown")
    assert "- No actions are recorded for this plan yet." in md
    assert "## Tiny \\<Council\\> & Co: A \\| plan" in md
    html = _paper_of(db_url, "tiny", "html")
    assert "<h2>Tiny &lt;Council&gt; &amp; Co: A | plan</h2>" in html


def _paper_of(db_url: str, plan: str, fmt: str) -> str:
    out = io.StringIO()
    assert main(["--db", db_url, "report", "--plan", plan, "--format", fmt], out=out) == 0
    return out.getvalue()


def test_slippage_sentence_tells_later_from_earlier() -> None:
    from tracker.reports.paper import _slippage_sentence

    assert (
        _slippage_sentence([91])
        == "1 deadline has moved from the original date: 1 later, by 91 days."
    )
    assert _slippage_sentence([114, 12, -453, 0]) == (
        "4 deadlines have moved from the original date: 2 later, by 12 to 114 days; "
        "1 earlier; 1 back on the original date."
    )
