"""One plan, two engines: imported into SQLite, changed, exported with `export-plan`,
imported into PostgreSQL, and both stores give the same `tracker export`.

Natural order (R2 before R10), non-ASCII text, dates and the deadline history all have
to come through the plan file and the second engine unchanged.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from conftest import SAMPLES
from pg_support import PgServer

from tracker.cli import main
from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store

pytestmark = pytest.mark.postgres

ORDER_PLAN = """\
[plan]
key = "order-2026"
authority = "Sandwell Children's Trust"
title = "Plan with refs that sort naturally: R2 before R10, 1.9 before 1.10"

[[recommendations]]
ref = "R10"
title = "Ten"

[[recommendations.actions]]
ref = "R10.1"
description = "Last recommendation, first in the file"
owner = "Zoë Ångström"
deadline = 2027-01-31
status = "not_started"

[[recommendations]]
ref = "R2"
title = "Two — with a dash and “quotes”"

[[recommendations.actions]]
ref = "R2.10"
description = "Tenth"
owner = "ada"
deadline = 2026-12-01
status = "in_progress"
progress = 20

[[recommendations.actions]]
ref = "R2.9"
description = "Ninth, overdue"
owner = "Ada"
deadline = 2026-10-01
status = "in_progress"
progress = 50

[[recommendations.actions]]
ref = "R2.a"
description = "Letter after numbers"
owner = "_underscore"
deadline = 2026-11-30
status = "blocked"
"""


def run(*argv: str) -> str:
    out = io.StringIO()
    status = main(list(argv), out=out)
    assert status == 0, f"tracker {' '.join(argv)} exited {status}"
    return out.getvalue()


@pytest.fixture
def plan_files(tmp_path: Path) -> list[Path]:
    order = tmp_path / "order-2026.toml"
    order.write_text(ORDER_PLAN, encoding="utf-8")
    return [*sorted(SAMPLES.glob("*.toml")), order]


def test_plan_moves_from_sqlite_to_postgresql_unchanged(
    tmp_path: Path, sqlite_url: str, pg_server: PgServer, plan_files: list[Path]
) -> None:
    with pg_server.schema() as pg_url:
        run("--db", sqlite_url, "import", *map(str, plan_files))
        # Changes on SQLite first, so the copy carries a revised deadline and new evidence.
        run(
            "--db", sqlite_url, "update", "order-2026:R2.9",
            "--deadline", "15/12/2026", "--reason", "Court delays",
        )  # fmt: skip
        run(
            "--db", sqlite_url, "update", "staffordshire-2024-ilacs:R1.3",
            "--status", "complete", "--evidence", "Audit report, 20 Nov 2026",
        )  # fmt: skip
        keys = [line.split()[0] for line in run("--db", sqlite_url, "plans").splitlines()[1:]]
        assert len(keys) == len(plan_files)

        copies = []
        for key in keys:
            path = tmp_path / f"copy-{key}.toml"
            run("--db", sqlite_url, "export-plan", key, "--output", str(path))
            copies.append(str(path))
        run("--db", pg_url, "import", *copies)

        on_sqlite = run("--db", sqlite_url, "export")
        on_pg = run("--db", pg_url, "export")
        assert on_pg == on_sqlite
        assert on_sqlite.count("\n") == 1 + 54 + 4
        for key in keys:
            assert run("--db", pg_url, "export-plan", key) == run(
                "--db", sqlite_url, "export-plan", key
            )
        assert run("--db", pg_url, "list") == run("--db", sqlite_url, "list")
        assert run("--db", pg_url, "plans") == run("--db", sqlite_url, "plans")


def test_natural_order_is_the_same_on_both_engines(
    tmp_path: Path, sqlite_url: str, pg_server: PgServer, plan_files: list[Path]
) -> None:
    order = str(plan_files[-1])
    with pg_server.schema() as pg_url:
        listings = []
        for url in (sqlite_url, pg_url):
            run("--db", url, "import", order)
            lines = run("--db", url, "list").splitlines()[1:]
            listings.append([line.split()[0] for line in lines if line.startswith("order")])
        assert listings[0] == listings[1]
        assert listings[0] == [
            "order-2026:R2.9",
            "order-2026:R2.10",
            "order-2026:R2.a",
            "order-2026:R10.1",
        ]


def test_views_sorted_by_text_are_the_same_on_both_engines(
    sqlite_url: str, pg_server: PgServer, plan_files: list[Path], settings: RuleSettings
) -> None:
    plans = [(p.name, load_plan_file(p)) for p in plan_files]
    with pg_server.schema() as pg_url:
        stores = [Store.open(sqlite_url), Store.open(pg_url)]
        try:
            views = []
            for store in stores:
                store.import_plans(plans, user="seed")
                view = [store.owners()]
                for sort in ("owner", "description", "status", "deadline", "progress"):
                    for descending in (False, True):
                        rows = store.page_actions(
                            settings=settings, sort=sort, descending=descending, limit=100
                        )
                        keys = [f"{r.plan_key}:{r.ref}" for r in rows]
                        view.append(keys)
                        row = rows[len(rows) // 2]
                        position = store.action_position(
                            row.id, settings=settings, sort=sort, descending=descending
                        )
                        assert position == len(rows) // 2
                views.append(view)
            assert views[0] == views[1]
            # Byte order, as SQLite's default: capitals before small letters.
            owners = views[0][0]
            assert owners.index("Ada") < owners.index("_underscore") < owners.index("ada")
        finally:
            for store in stores:
                store.close()
