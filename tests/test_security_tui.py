"""Issue 16 in the terminal UI: a damaged store is said on screen, never a blank table."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from conftest import SAMPLES
from tui_support import SIZE, notifications, settle

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store
from tracker.tui.app import make_app
from tracker.tui.data import StoreAccess


def _damaged(path: Path) -> None:
    store = Store.open(str(path))
    sample = SAMPLES / "staffordshire-2024-ilacs.toml"
    store.import_plans([(sample.name, load_plan_file(sample))], user="seed")
    store.close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE action SET deadline = 'not-a-date' WHERE ref = 'R1.3'")
    conn.commit()
    conn.close()


async def test_a_damaged_store_is_said_on_screen(tmp_path: Path, settings: RuleSettings) -> None:
    path = tmp_path / "tracker.db"
    _damaged(path)
    access = StoreAccess.open(str(path))
    app = make_app(store=access, settings=settings, user="test.secretary", poll_interval=0)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            said = notifications(app)
            assert any(
                f"{path}: the store is damaged (" in n and "tracker check" in n for n in said
            ), said
    finally:
        access.close()
