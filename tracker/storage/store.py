"""Store: the one way into the data. Keyword-only methods; each call opens its own session.

The Store is a facade over rooms that each do one job: where the store is and how it is
opened (engine.py), sessions, retries and error words (session.py), the reads (reads.py),
plan imports (importer.py), and the rules as SQL (sqlrules.py). Each write and its
history entries commit in one transaction. Only SQLAlchemy expressions are used: the
same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tracker.domain.errors import TrackerError
from tracker.domain.plan import MAX_OWNER, MAX_TEXT, PlanData
from tracker.domain.records import (
    ActionRow,
    Filters,
    HistoryEntry,
    PlanSummary,
    TreeNode,
    ViewCounts,
)
from tracker.domain.rules import RuleSettings
from tracker.storage import reads
from tracker.storage.changing import ChangingStore
from tracker.storage.engine import (
    can_write,
    describe,
    ensure_schema,
    make_engine,
    resolve_db,
)
from tracker.storage.importer import ImportResult, import_plans, order_key
from tracker.storage.location import file_writable, store_file
from tracker.storage.models import ACTION
from tracker.storage.session import READ_ONLY, Sessions

__all__ = ["MAX_OWNER", "MAX_TEXT", "ImportResult", "Store", "order_key"]

T = TypeVar("T")

A = ACTION


class Store(ChangingStore):
    """The only way into the data. Keyword-only methods; each call opens its own Session.

    Changes to the plan itself (new plans, recommendations and actions, updates of every
    field, bulk edits, moves, carry-forward, undo) come from `ChangingStore` (changing.py).
    """

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self.sessions = Sessions(engine, read_only=read_only)

    @property
    def engine(self) -> Engine:
        """The engine reads and writes go through (a read-only view may reopen it)."""
        return self.sessions.engine

    @classmethod
    def open(cls, db: str | None = None, *, read_only: bool = False, create: bool = True) -> Store:
        """Open (and on first use create) the store named by `db`, `TRACKER_DB` or the default."""
        reason = READ_ONLY
        path = store_file(db)
        if not read_only and path is not None and path.is_file() and not file_writable(path):
            read_only = True
            reason = f"{path}: the store file or its folder is read-only for you"
        engine = make_engine(resolve_db(db), read_only=read_only, create=create)
        try:
            ensure_schema(engine, create=create and not read_only, writable=not read_only)
        except TrackerError:
            engine.dispose()
            raise
        store = cls(engine, read_only=read_only)
        store.read_only_reason = reason
        if read_only and path is not None and engine.dialect.name == "sqlite":
            store.sessions.follow_file(path)
        if not read_only and engine.dialect.name == "postgresql" and not can_write(engine):
            # A reviewer's role granted only SELECT: read-only, as if opened with --read-only.
            store.read_only = True
            store.read_only_reason = "your database role may only read this store"
        return store

    # --- the store itself ---------------------------------------------------------------

    @property
    def read_only(self) -> bool:
        """Whether every write is refused (opened so, or the file or role allows no more)."""
        return self.sessions.read_only

    @read_only.setter
    def read_only(self, value: bool) -> None:
        self.sessions.read_only = value

    @property
    def read_only_reason(self) -> str:
        """Why writes are refused, as the refusal says it."""
        return self.sessions.read_only_reason

    @read_only_reason.setter
    def read_only_reason(self, value: str) -> None:
        self.sessions.read_only_reason = value

    @property
    def busy_retries(self) -> int:
        """Writes that found the store busy and were tried again."""
        return self.sessions.busy_retries

    def can_write(self) -> bool:
        """Whether changes are allowed: not opened read-only, and the file or role permits."""
        return not self.read_only and can_write(self.engine)

    @property
    def location(self) -> str:
        """The store as users name it (path or URL without password)."""
        return describe(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # --- sessions, for the storage modules beside the Store (history, owners, measures) --

    def reading(self) -> AbstractContextManager[Session]:
        """A read session; driver errors come out as StoreErrors."""
        return self.sessions.reading()

    def write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in one write transaction, retried while the store is busy."""
        return self.sessions.write(work)

    # The names the storage modules first used, kept for work begun before they changed.
    _reading = reading
    _write = write

    # --- reading ----------------------------------------------------------------------

    def iter_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> Iterator[ActionRow]:
        """Actions matching `filters`, in natural order (or by `sort`), streamed."""
        return reads.iter_actions(
            self.sessions, filters=filters, settings=settings, sort=sort, descending=descending
        )

    def page_actions(
        self,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        offset: int = 0,
        limit: int = 200,
        sort: str | None = None,
        descending: bool = False,
    ) -> list[ActionRow]:
        """One page of a view, for screens that show a window of a long list."""
        return reads.page_actions(
            self.sessions,
            filters=filters,
            settings=settings,
            offset=offset,
            limit=limit,
            sort=sort,
            descending=descending,
        )

    def action_position(
        self,
        action_id: int,
        *,
        filters: Filters | None = None,
        settings: RuleSettings,
        sort: str | None = None,
        descending: bool = False,
    ) -> int | None:
        """Where an action sits in a view (0-based, in the order of `page_actions`), or None."""
        return reads.action_position(
            self.sessions,
            action_id,
            filters=filters,
            settings=settings,
            sort=sort,
            descending=descending,
        )

    def view_counts(self, *, filters: Filters | None = None, settings: RuleSettings) -> ViewCounts:
        """How many actions a view shows, and how many are overdue, due soon and so on."""
        return reads.view_counts(self.sessions, filters=filters, settings=settings)

    def plan_summaries(self, *, settings: RuleSettings) -> list[PlanSummary]:
        """Every plan with its counts by RAG and overdue, in natural order."""
        return reads.plan_summaries(self.sessions, settings=settings)

    def tree(self, *, settings: RuleSettings) -> list[TreeNode]:
        """Plans and their recommendations with RAG roll-ups, progress and counts."""
        return reads.tree(self.sessions, settings=settings)

    def get_action(self, address: str | int, *, settings: RuleSettings | None = None) -> ActionRow:
        """One action by `PLAN-KEY:REF` (or a ref unique in the store, or its id).

        An action's row does not depend on the day, so `settings` changes nothing and no
        clock is read; the keyword stays so that callers may pass what every read takes.
        """
        return reads.get_action(self.sessions, address)

    def resolve(self, address: str | int) -> int:
        """The id of the action a user named."""
        return reads.resolve(self.sessions, address)

    def history(self, action_id: int) -> list[HistoryEntry]:
        """Every change of one action, oldest first."""
        return reads.history(self.sessions, action_id)

    def data_stamp(self) -> tuple[int, int, int, str | None]:
        """A cheap fingerprint that changes whenever any plan, action or history changes."""
        return reads.data_stamp(self.sessions)

    def plan_keys(self) -> list[str]:
        """The plans' keys in natural order."""
        return reads.plan_keys(self.sessions)

    def owners(self) -> list[str]:
        """Every owner named in the store, for pickers and filters."""
        return reads.owners(self.sessions)

    def plan_data(self, key: str) -> PlanData:
        """A stored plan in the shape of a plan file (for `export-plan`)."""
        return reads.plan_data(self.sessions, key)

    def average_progress(self) -> float | None:
        """The mean progress of every action not cancelled (None when there is none)."""
        return reads.average_progress(self.sessions)

    def plan_headers(self) -> dict[str, PlanData]:
        """Every plan's own fields and judgements by key, without its recommendations."""
        return reads.plan_headers(self.sessions)

    # --- writing ----------------------------------------------------------------------

    def import_plans(
        self,
        plans: Sequence[tuple[str, PlanData]],
        *,
        replace: bool = False,
        force: bool = False,
        user: str,
        progress: Callable[[int], None] | None = None,
    ) -> list[ImportResult]:
        """Load plans (source name, data) in one transaction: all of them or none;
        `progress` is told how many actions are written so far. With `replace`, an action
        changed in the store since the version a file records is refused unless `force`."""
        return import_plans(
            self.sessions, plans, replace=replace, force=force, user=user, progress=progress
        )
