"""The light SQLite reader returns exactly what the Store returns, for every filter."""

from __future__ import annotations

import io
import random
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from tracker import cli
from tracker.domain.errors import ValidationError
from tracker.domain.records import ActionChanges, ActionRow, Filters
from tracker.domain.rules import STATUSES, RuleSettings
from tracker.formats.plan_toml import ActionData, PlanData, RecommendationData
from tracker.storage.fastread import READS_SCHEMA, FastReader
from tracker.storage.location import store_file
from tracker.storage.models import SCHEMA_VERSION
from tracker.storage.store import Store, order_key

TODAY = date(2026, 11, 25)
OWNERS = [
    "Head of Service, Front Door",
    "head of service, FRONT door",
    "Team Manager 100% / Assessment",
    "Principal_Social_Worker",
    "Élodie Brontë, Virtual School",
    "Director of Children's Services",
]
WORDS = ["supervision", "Audit", "front door", "100%", "a_b", "x/y", "ÉTÉ", "plan", "R1"]


def _plan(rng: random.Random, key: str, recs: int) -> PlanData:
    recommendations = []
    for r in range(1, recs + 1):
        actions = []
        for j in range(1, rng.randint(1, 9) + 1):
            status = rng.choice(STATUSES)
            deadline = TODAY + timedelta(days=rng.randint(-80, 60))
            start = deadline - timedelta(days=rng.randint(0, 90)) if rng.random() < 0.6 else None
            original = deadline - timedelta(days=10) if rng.random() < 0.2 else None
            actions.append(
                ActionData(
                    ref=f"R{r}.{j}" if rng.random() < 0.9 else f"r{r}.{j}a",
                    description=" ".join(rng.choices(WORDS, k=rng.randint(1, 6))),
                    owner=rng.choice(OWNERS),
                    deadline=deadline,
                    status=status,
                    progress=100 if status == "complete" else rng.randint(0, 99),
                    partner=rng.choice([None, "Police", "=HYPERLINK()"]),
                    start=start,
                    original_deadline=original,
                    measure=rng.choice([None, "90% on time"]),
                    evidence=rng.choice([None, "-audit"]),
                    notes=rng.choice([None, "Note\nwith two lines"]),
                )
            )
        recommendations.append(
            RecommendationData(ref=f"R{r}", title=f"Rec {r}", text=None, area=None, actions=actions)
        )
    return PlanData(
        key=key,
        authority=f"{key.title()} Council",
        title=f"Plan {key}",
        inspection_type=None,
        framework=None,
        inspection_start=None,
        inspection_end=None,
        published=None,
        plan_due=None,
        overall_judgement=None,
        judgements=[],
        recommendations=recommendations,
    )


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store of several plans with every status, deadlines around today, edits."""
    path = tmp_path_factory.mktemp("fastread") / "tracker.db"
    rng = random.Random(11)
    store = Store.open(str(path))
    plans = [(f"{k}.toml", _plan(rng, k, rng.randint(2, 6))) for k in ("alpha", "beta", "gamma-2")]
    store.import_plans(plans, user="seed")
    store.update_action(
        "alpha:R1.1",
        ActionChanges(deadline=TODAY + timedelta(days=3), reason="moved"),
        user="someone",
    )
    store.update_action("beta:R2.1", ActionChanges(status="blocked"), user="other")
    store.close()
    return path


filters_strategy = st.builds(
    Filters,
    plan=st.sampled_from([None, "alpha", "beta", "gamma-2", "missing"]),
    rec=st.sampled_from([None, "R1", "R2", "R5"]),
    owner=st.sampled_from([None, "", "front", "FRONT DOOR", "100%", "_", "/", "é", "É", "x"]),
    statuses=st.lists(st.sampled_from(STATUSES), max_size=3, unique=True).map(tuple),
    rag=st.sampled_from([None, "RED", "AMBER", "GREEN", "BLUE", "amber"]),
    overdue=st.booleans(),
    due_soon=st.booleans(),
    search=st.sampled_from([None, "r1.", "audit", "a_b", "100%", "x/y", "été", "zzz"]),
)
settings_strategy = st.builds(
    RuleSettings,
    today=st.dates(min_value=TODAY - timedelta(days=60), max_value=TODAY + timedelta(days=60)),
    due_soon_days=st.integers(0, 40),
    tolerance_days=st.integers(0, 60),
)


@hsettings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    filters=filters_strategy,
    rules=settings_strategy,
    sort=st.sampled_from(
        [None, "ref", "description", "owner", "deadline", "status", "progress", "rag"]
    ),
    descending=st.booleans(),
)
def test_rows_and_counts_match_the_store(
    store_path: Path, filters: Filters, rules: RuleSettings, sort: str | None, descending: bool
) -> None:
    store = Store.open(str(store_path), create=False)
    reader = FastReader.open(str(store_path))
    assert reader is not None
    try:
        expected = list(
            store.iter_actions(filters=filters, settings=rules, sort=sort, descending=descending)
        )
        got = list(
            reader.iter_actions(filters=filters, settings=rules, sort=sort, descending=descending)
        )
        assert got == expected
        assert [type(v) for r in got for v in r] == [type(v) for r in expected for v in r]
        if sort == "rag":
            # Worst first (BLUE first reversed), no RAG last either way, ties in natural order.
            ranks = {"RED": 1, "AMBER": 2, "GREEN": 3, "BLUE": 4}

            def rank(row: ActionRow) -> int:
                rating = row.rag(rules)
                if rating is None:
                    return 5
                return 5 - ranks[rating] if descending else ranks[rating]

            keys = [(rank(r), order_key(r.plan_key, r.rec_ref, r.ref)) for r in got]
            assert keys == sorted(keys)
        assert reader.view_counts(filters=filters, settings=rules) == store.view_counts(
            filters=filters, settings=rules
        )
    finally:
        reader.close()
        store.close()


@hsettings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    filters=filters_strategy,
    rules=settings_strategy,
    sort=st.sampled_from(
        [None, "ref", "description", "owner", "deadline", "status", "progress", "rag"]
    ),
    descending=st.booleans(),
    offset=st.integers(0, 60),
    limit=st.integers(0, 40),
)
def test_pages_match_the_store(
    store_path: Path,
    filters: Filters,
    rules: RuleSettings,
    sort: str | None,
    descending: bool,
    offset: int,
    limit: int,
) -> None:
    store = Store.open(str(store_path), create=False)
    reader = FastReader.open(str(store_path), any_thread=True)
    assert reader is not None
    try:
        expected = store.page_actions(
            filters=filters,
            settings=rules,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
        )
        got = reader.page_actions(
            filters=filters,
            settings=rules,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
        )
        assert got == expected
        assert [type(v) for r in got for v in r] == [type(v) for r in expected for v in r]
    finally:
        reader.close()
        store.close()


def test_a_reader_opened_for_any_thread_serves_another_thread(store_path: Path) -> None:
    reader = FastReader.open(str(store_path), any_thread=True)
    assert reader is not None
    rules = RuleSettings(today=TODAY)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            page = pool.submit(reader.page_actions, settings=rules, limit=5).result()
        assert page == list(reader.iter_actions(settings=rules))[:5]
    finally:
        reader.close()


def test_the_generated_store_exercises_the_filters(store_path: Path) -> None:
    reader = FastReader.open(str(store_path))
    assert reader is not None
    rules = RuleSettings(today=TODAY)
    try:
        counts = reader.view_counts(settings=rules)
        assert counts.total > 20
        assert min(counts.overdue, counts.due_soon, counts.blocked, counts.complete) > 0
        assert set(counts.rag) == {"RED", "AMBER", "GREEN", "BLUE"}
        moved = next(
            r
            for r in reader.iter_actions(filters=Filters(plan="alpha"), settings=rules)
            if r.ref == "R1.1"
        )
        assert (moved.version, moved.updated_by) == (2, "someone")
        assert moved.revisions >= 1
    finally:
        reader.close()


def test_bad_filters_are_refused_as_the_store_refuses_them(store_path: Path) -> None:
    reader = FastReader.open(str(store_path))
    assert reader is not None
    rules = RuleSettings(today=TODAY)
    try:
        with pytest.raises(ValidationError, match="'late' is not a status"):
            reader.iter_actions(filters=Filters(statuses=("late",)), settings=rules)
        with pytest.raises(ValidationError, match="'PINK' is not a RAG"):
            reader.iter_actions(filters=Filters(rag="PINK"), settings=rules)
        with pytest.raises(ValidationError, match="cannot sort by 'colour'"):
            reader.iter_actions(settings=rules, sort="colour")
    finally:
        reader.close()


def test_reader_serves_only_sqlite_files_at_its_schema(tmp_path: Path, store_path: Path) -> None:
    assert READS_SCHEMA == SCHEMA_VERSION
    assert FastReader.open(str(tmp_path / "missing.db")) is None
    assert FastReader.open(str(tmp_path)) is None
    assert store_file("postgresql+psycopg://u@h/db") is None
    assert store_file("sqlite:///:memory:") is None
    assert store_file(f"sqlite:///{store_path}") == store_path
    assert store_file(str(store_path)) == store_path
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE meta (key TEXT, value TEXT)")
    conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION + 1),))
    conn.commit()
    conn.close()
    assert FastReader.open(str(other)) is None
    not_db = tmp_path / "notes.txt"
    not_db.write_text("hello")
    assert FastReader.open(str(not_db)) is None


def test_default_store_is_the_one_db_names(monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.storage.location import resolve_db

    assert f"sqlite:///{store_file(None)}" == resolve_db(None)
    monkeypatch.setenv("TRACKER_DB", "elsewhere.db")
    assert f"sqlite:///{store_file(None)}" == resolve_db(None)


@pytest.mark.parametrize(
    "argv",
    [
        ["export"],
        ["overdue", "--format", "csv"],
        ["list", "--owner", "front"],
        ["list", "--rag", "AMBER", "--format", "json"],
        ["overdue", "--plan", "beta"],
    ],
)
def test_commands_print_the_same_through_either_reader(
    store_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    fast, slow = io.StringIO(), io.StringIO()
    assert cli.main(["--db", str(store_path), *argv], out=fast) == 0
    monkeypatch.setattr(FastReader, "open", classmethod(lambda cls, db: None))
    assert cli.main(["--db", str(store_path), *argv], out=slow) == 0
    assert fast.getvalue() == slow.getvalue()
    assert fast.getvalue().count("\n") > 2


def test_read_commands_do_not_load_the_orm(store_path: Path) -> None:
    code = (
        "import sys; from tracker.cli import main; "
        f"main(['--db', {str(store_path)!r}, 'overdue', '--format', 'csv']); "
        "print('sqlalchemy' in sys.modules, 'sqlmodel' in sys.modules, file=sys.stderr)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stderr.split() == ["False", "False"]
    assert result.stdout.startswith("\ufeffas_of,plan,")


@pytest.mark.parametrize("slippage", [False, True])
def test_snapshot_cells_are_the_generic_cells_of_each_value(
    store_path: Path, slippage: bool
) -> None:
    from tracker.formats.snapshot import _cell, row_values, snapshot_cells

    reader = FastReader.open(str(store_path))
    assert reader is not None
    try:
        for today in (TODAY - timedelta(days=40), TODAY, TODAY + timedelta(days=40)):
            rules = RuleSettings(today=today, due_soon_days=10, tolerance_days=20)
            rows = list(reader.iter_actions(settings=rules))
            expected = [
                [_cell(v) for v in row_values(r, rules)]
                + ([str(r.slippage_days), str(r.revisions)] if slippage else [])
                for r in rows
            ]
            assert list(snapshot_cells(rows, rules, slippage=slippage)) == expected
            assert any(c.startswith("'") for cells in expected for c in cells)
    finally:
        reader.close()


def test_import_leaves_statistics_so_a_page_of_overdue_walks_the_order_index(
    store_path: Path,
) -> None:
    conn = sqlite3.connect(store_path)
    try:
        tables = {t for (t,) in conn.execute("SELECT tbl FROM sqlite_stat1")}
        assert {"action", "plan", "recommendation"} <= tables
        sql = (
            "SELECT a.id FROM action AS a JOIN plan AS p ON p.id = a.plan_id"
            " JOIN recommendation AS r ON r.id = a.recommendation_id"
            " WHERE a.status IN (?, ?, ?) AND a.deadline < ? ORDER BY a.order_key LIMIT 200"
        )
        params = ("blocked", "in_progress", "not_started", TODAY.isoformat())
        plan = " / ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        assert "ix_action_order" in plan
        assert "TEMP B-TREE" not in plan
    finally:
        conn.close()
