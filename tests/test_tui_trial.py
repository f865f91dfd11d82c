"""Issue 12 (what a user trial found), items 4, 10 and 11: the detail and conflict texts."""

from __future__ import annotations

from datetime import timedelta

from tracker.domain.rules import RuleSettings
from tracker.storage.store import Store
from tracker.tui.screens.edit import EditScreen
from tracker.tui.widgets.detail import action_text


def test_a_deadline_moved_before_import_says_it_came_with_the_plan_file(
    sample_store: Store, settings: RuleSettings
) -> None:
    """Item 11: `moved +564d, 1 revision` and no history: the revision came with the file."""
    row = sample_store.page_actions(settings=settings, limit=1)[0]
    moved = row._replace(original_deadline=row.deadline - timedelta(days=564), revisions=1)
    text = action_text(moved, settings, []).plain
    assert "moved +564d, 1 revision" in text
    assert "the deadline's revision came with the plan file" in text
    assert "came with the plan file" not in action_text(row, settings, []).plain


def test_the_conflict_box_shows_the_other_persons_note(
    sample_store: Store, settings: RuleSettings
) -> None:
    """Item 10: what the other person changed, and their note."""
    row = sample_store.page_actions(settings=settings, limit=1)[0]
    newer = row._replace(progress=70, updated_by="alice")
    form = EditScreen(newer, settings, seen=row, their_notes=("agreed at the October board",))
    text = form._conflict_text().plain
    assert "Now stored (by alice)" in text
    assert "Their note: agreed at the October board" in text
