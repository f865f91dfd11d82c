"""Shared fixtures: stores in layers (empty, one plan, the sample plans) under a fixed today.

Every test runs with `TRACKER_TODAY` and `TRACKER_NOW` pinned and with its own user data
folders, so nothing depends on the real clock or touches the user's own store.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from pg_support import PG_ENV, PgServer

from tracker.domain.rules import RuleSettings
from tracker.formats.plan_toml import load_plan_file
from tracker.storage.store import Store

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_plans"
DATA = Path(__file__).resolve().parent / "data"
TODAY = date(2026, 11, 25)
NOW = "2026-11-25T10:00:00Z"


@pytest.fixture(autouse=True)
def _pinned_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed clock and private folders for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TRACKER_TODAY", TODAY.isoformat())
    monkeypatch.setenv("TRACKER_NOW", NOW)
    monkeypatch.setenv("TRACKER_USER", "test.secretary")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("TRACKER_LOG_DIR", str(home / "log"))
    for name in (
        "TRACKER_DB",
        "TRACKER_DUE_SOON_DAYS",
        "TRACKER_TOLERANCE_DAYS",
        "TRACKER_UPDATE_DAYS",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def settings() -> RuleSettings:
    return RuleSettings(today=TODAY)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new, empty SQLite store's URL, for tests of SQLite-only behaviour (files, pragmas)."""
    return f"sqlite:///{tmp_path / 'tracker.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty store's URL: SQLite in the test's folder, then PostgreSQL.

    The PostgreSQL store is a fresh schema in the `TRACKER_TEST_PG` database, dropped
    afterwards; without a server those runs skip (and fail under CI).
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'tracker.db'}"
        return
    pg = request.getfixturevalue("pg_server")
    with pg.schema() as url:
        yield url


@pytest.fixture
def empty_store(db_url: str) -> Iterator[Store]:
    store = Store.open(db_url)
    yield store
    store.close()


def sample_plan_files() -> list[Path]:
    return sorted(SAMPLES.glob("*.toml"))


@pytest.fixture
def one_plan_store(empty_store: Store) -> Store:
    """The store with Staffordshire's 2024 ILACS plan."""
    path = SAMPLES / "staffordshire-2024-ilacs.toml"
    empty_store.import_plans([(path.name, load_plan_file(path))], user="seed")
    return empty_store


@pytest.fixture
def sample_store(empty_store: Store) -> Store:
    """The store with every sample plan."""
    plans = [(p.name, load_plan_file(p)) for p in sample_plan_files()]
    empty_store.import_plans(plans, user="seed")
    return empty_store


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def pg_unavailable() -> str:
    """Why the PostgreSQL tests cannot run here, or "" when they can."""
    if not os.environ.get(PG_ENV, "").strip():
        return (
            f"no PostgreSQL server: run `make test-pg`, or set {PG_ENV}="
            "postgresql+psycopg://user@host/dbname (a database you may create schemas in)"
        )
    if importlib.util.find_spec("psycopg") is None:
        return "no PostgreSQL driver: pip install -e '.[postgres]'"
    return ""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Without a server, skip the PostgreSQL tests up front (one summary line per file)."""
    reason = pg_unavailable()
    if reason and not in_ci():
        for item in items:
            if item.get_closest_marker("postgres") is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """The PostgreSQL server named by `TRACKER_TEST_PG` (skip without one; fail under CI)."""
    message = pg_unavailable()
    if message:
        if in_ci():
            pytest.fail(f"CI=true needs the PostgreSQL tests: {message}", pytrace=False)
        pytest.skip(message)
    server = PgServer(os.environ[PG_ENV].strip())
    yield server
    server.close()
