"""The screens' one way to the data: the Store, with the first view read before it is open.

Importing and opening the Store (SQLAlchemy, SQLModel) takes longer than drawing the
first screen. For a SQLite file, `StoreAccess.open` answers the view's pages and counts
through the light standard-library reader (tracker.storage.fastread, proven equal to the Store by
tests/test_fastread.py) and opens the Store on first need of anything else: the tree,
history, writes, the change poll. The main screen asks for it in the background once the
first rows are drawn. Any other store (PostgreSQL, a URI with options) is opened at once.

The measures scorecard of a SQLite file is read through the light reader whether the Store
is open or not (tracker.storage.fastmeasures, proven equal by tests/test_measures.py):
10,000 measures read in a third of the time the ORM takes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from tracker.domain.owners import OwnerSummary
from tracker.domain.records import (
    ActionChanges,
    ActionRow,
    Filters,
    HistoryEntry,
    TreeNode,
    UpdateResult,
    ViewCounts,
)
from tracker.domain.rules import RuleSettings
from tracker.storage.fastread import FastReader
from tracker.storage.location import file_writable

if TYPE_CHECKING:
    from tracker.domain.measures import MeasurePlace, MeasureRow, ReadingRow
    from tracker.domain.plan import MeasureData
    from tracker.domain.updates import ActionEdit, NewAction
    from tracker.reports.paper import BoardView
    from tracker.storage.changing import BulkResult, UndoResult
    from tracker.storage.measures import ReadingResult
    from tracker.storage.owners import EmailChange
    from tracker.storage.store import Store
    from tracker.storage.timeline import TrendPoint  # SQLAlchemy: named for types only

# TrendPoint is named here so the screens take the store's shapes from this door too.
__all__ = ["StoreAccess", "StoreOrAccess", "TrendPoint"]

DEFAULT_READ_ONLY_REASON = "the store is open read-only"


class StoreAccess:
    """Reads and writes for the screens, from one store."""

    def __init__(
        self,
        *,
        store: Store | None = None,
        reader: FastReader | None = None,
        db: str | None = None,
        read_only: bool = False,
        owns_store: bool = True,
    ) -> None:
        self._store = store
        self._db = db
        self._read_only = read_only
        self._owns_store = owns_store
        self._lock = threading.Lock()
        self._readers: list[FastReader] = [reader] if reader is not None else []
        # Light readers for the scorecard, kept while the Store is open; None until the
        # first scorecard asks whether the store is a SQLite file the light reader serves.
        self._card_readers: list[FastReader] = []
        self._card_light: bool | None = None
        self._location = store.location if store is not None else reader.location if reader else ""
        self._closed = False

    @classmethod
    def wrap(cls, store: Store) -> StoreAccess:
        """Access to a Store already open (tests, tools); its caller keeps and closes it."""
        return cls(store=store, read_only=store.read_only, owns_store=False)

    @classmethod
    def of(cls, store: StoreOrAccess) -> StoreAccess:
        """`store` itself if it is access already, else access to that open Store."""
        return store if isinstance(store, StoreAccess) else cls.wrap(store)

    @classmethod
    def open(cls, db: str | None, *, read_only: bool = False) -> StoreAccess:
        """Access to the store `db` names, quick to return for a SQLite file.

        A store the light reader cannot serve is opened at once, so a bad `--db` is
        reported before the screen starts.
        """
        reader = FastReader.open(db, any_thread=True)
        if reader is None:
            from tracker.storage.store import Store

            return cls(store=Store.open(db, read_only=read_only), db=db, read_only=read_only)
        return cls(reader=reader, db=db, read_only=read_only)

    # --- the Store ------------------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether the Store is open; from then on every read comes from it."""
        return self._store is not None

    def full(self) -> Store:
        """The Store, opened on first call; it may block, so call it from a worker thread."""
        with self._lock:
            if self._store is None:
                from tracker.storage.store import Store

                self._store = Store.open(self._db, read_only=self._read_only)
                readers, self._readers = self._readers, []
                for reader in readers:
                    reader.close()
            return self._store

    def close(self) -> None:
        """Close the light readers, and the Store when this object opened it."""
        with self._lock:
            self._closed = True
            readers, self._readers = self._readers, []
            readers += self._card_readers
            self._card_readers = []
            store = self._store if self._owns_store else None
        for reader in readers:
            reader.close()
        if store is not None:
            store.close()

    @contextmanager
    def _reader(self) -> Iterator[FastReader | None]:
        """A light reader for this thread alone, or None once the Store is open."""
        with self._lock:
            if self._store is not None or self._closed:
                reader = None
            elif self._readers:
                reader = self._readers.pop()
            else:
                reader = FastReader.open(self._db, any_thread=True)
        try:
            yield reader
        finally:
            if reader is not None:
                with self._lock:
                    if self._store is None and not self._closed:
                        self._readers.append(reader)
                        reader = None
                if reader is not None:
                    reader.close()

    @contextmanager
    def _card_reader(self) -> Iterator[FastReader | None]:
        """A light reader for the scorecard, for this thread alone, or None when the store
        is not a file it serves (then the Store answers)."""
        with self._lock:
            light, closed, store = self._card_light, self._closed, self._store
            reader = self._card_readers.pop() if self._card_readers else None
        if reader is None and light is not False and not closed:
            db = self._db
            if db is None and store is not None and store.engine.dialect.name == "sqlite":
                db = store.location
            reader = FastReader.open(db, any_thread=True) if db is not None else None
            with self._lock:
                self._card_light = reader is not None
        try:
            yield reader
        finally:
            if reader is not None:
                with self._lock:
                    if not self._closed:
                        self._card_readers.append(reader)
                        reader = None
                if reader is not None:
                    reader.close()

    # --- what the screens ask -------------------------------------------------------------

    @property
    def location(self) -> str:
        """The store as users name it (path or URL without password)."""
        return self._location

    @property
    def read_only(self) -> bool:
        return self._store.read_only if self._store is not None else self._read_only

    @property
    def read_only_reason(self) -> str:
        if self._store is not None:
            return self._store.read_only_reason
        return DEFAULT_READ_ONLY_REASON

    def can_write(self) -> bool:
        """Whether changes are allowed: not read-only, and the file or role permits."""
        if self._store is not None:
            return self._store.can_write()
        return not self._read_only and file_writable(Path(self._location))

    def view_counts(self, *, filters: Filters, settings: RuleSettings) -> ViewCounts:
        with self._reader() as reader:
            if reader is not None:
                return reader.view_counts(filters=filters, settings=settings)
        return self.full().view_counts(filters=filters, settings=settings)

    def page_actions(
        self,
        *,
        filters: Filters,
        settings: RuleSettings,
        offset: int,
        limit: int,
        sort: str | None,
        descending: bool,
    ) -> list[ActionRow]:
        with self._reader() as reader:
            source: FastReader | Store = reader if reader is not None else self.full()
            return source.page_actions(
                filters=filters,
                settings=settings,
                offset=offset,
                limit=limit,
                sort=sort,
                descending=descending,
            )

    def iter_actions(self, *, filters: Filters, settings: RuleSettings) -> Iterator[ActionRow]:
        return self.full().iter_actions(filters=filters, settings=settings)

    def action_position(
        self,
        action_id: int,
        *,
        filters: Filters,
        settings: RuleSettings,
        sort: str | None,
        descending: bool,
    ) -> int | None:
        return self.full().action_position(
            action_id, filters=filters, settings=settings, sort=sort, descending=descending
        )

    def tree(self, *, settings: RuleSettings) -> list[TreeNode]:
        return self.full().tree(settings=settings)

    def owners(self) -> list[str]:
        return self.full().owners()

    def data_stamp(self) -> object:
        return self.full().data_stamp()

    def board_view(self, *, settings: RuleSettings, months: int) -> BoardView:
        """The board's plans, recommendations and monthly trends (tracker.reports.paper)."""
        from tracker.reports.paper import board_view

        return board_view(self.full(), settings=settings, months=months)

    def owner_summaries(self, *, settings: RuleSettings) -> list[OwnerSummary]:
        """Each owner with their counts and address (tracker.storage.owners)."""
        from tracker.storage.owners import owner_summaries

        return owner_summaries(self.full(), settings=settings)

    def set_owner_email(
        self, name: str, email: str | None, *, user: str, expected_version: int
    ) -> EmailChange:
        """Record (None: clear) an owner's address; refused if the owner changed since read."""
        from tracker.storage.owners import set_email

        return set_email(self.full(), name, email, user=user, expected_version=expected_version)

    def get_action(self, action_id: int, *, settings: RuleSettings) -> ActionRow:
        return self.full().get_action(action_id, settings=settings)

    def history(self, action_id: int) -> list[HistoryEntry]:
        return self.full().history(action_id)

    def update_action(
        self,
        address: int | str,
        changes: ActionChanges,
        *,
        user: str,
        expected_version: int,
        settings: RuleSettings,
    ) -> UpdateResult:
        return self.full().update_action(
            address, changes, user=user, expected_version=expected_version, settings=settings
        )

    # --- changing the plan (tracker.storage.changing) ------------------------------------

    def update_actions(self, edits: list[ActionEdit], *, user: str) -> BulkResult:
        """One bulk edit: every action in one transaction and one change group."""
        return self.full().update_actions(edits, user=user)

    def add_action(self, plan_key: str, rec_ref: str, new: NewAction, *, user: str) -> str:
        """Add an action under `plan_key:rec_ref`; its address."""
        return self.full().add_action(plan_key, rec_ref, new, user=user)

    def move_action(
        self, address: str, *, to_rec_ref: str, plan_key: str, user: str, expected_version: int
    ) -> tuple[str, str]:
        """Move an action under another recommendation of its plan: (old, new) address."""
        return self.full().move_action(
            address,
            to_plan_key=plan_key,
            to_rec_ref=to_rec_ref,
            user=user,
            expected_version=expected_version,
        )

    def new_plan(
        self,
        key: str,
        *,
        authority: str,
        title: str,
        inspection_type: str | None,
        published: date | None,
        user: str,
    ) -> date | None:
        """Create an empty plan; the due date it set."""
        from tracker.storage.changing import PlanFields

        fields = PlanFields(
            authority=authority,
            title=title,
            inspection_type=inspection_type,
            published=published,
        )
        return self.full().new_plan(key, fields, user=user)

    def add_recommendation(
        self, plan_key: str, *, title: str, text: str | None, area: str | None, user: str
    ) -> str:
        """Add a recommendation (the next `R<n>`); its ref."""
        return self.full().add_recommendation(
            plan_key, title=title, text=text, area=area, user=user
        )

    def edit_recommendation(
        self, plan_key: str, ref: str, changes: dict[str, str | None], *, user: str
    ) -> int:
        """Change a recommendation's title, text or area; how many fields changed."""
        return len(self.full().edit_recommendation(plan_key, ref, changes, user=user))

    def next_action_ref(self, plan_key: str, rec_ref: str, *, settings: RuleSettings) -> str:
        """The ref a new action under `plan_key:rec_ref` would get."""
        from tracker.domain.updates import next_action_ref

        store = self.full()
        rows = list(store.iter_actions(filters=Filters(plan=plan_key), settings=settings))
        under = [r.ref for r in rows if r.rec_ref == rec_ref]
        return next_action_ref(rec_ref, under, [r.ref for r in rows])

    def import_plan_file(self, path: Path, *, user: str, today: date) -> str:
        """Import one plan file (TOML, docs/plan-format.md) as `tracker import` does; what
        was imported, in a line."""
        from tracker.formats.plan_toml import load_plan_file

        plan = load_plan_file(path, display=str(path), today=today)
        (result,) = self.full().import_plans([(str(path), plan)], user=user)
        return f"Imported plan {result.plan_key} from {path}: {result.added} actions."

    def undo(self, *, user: str, dry_run: bool) -> UndoResult:
        """Revert (or with `dry_run`, say what would be reverted) the user's latest change."""
        return self.full().undo(user=user, dry_run=dry_run)

    # --- measures of impact ---------------------------------------------------------------

    def measures(
        self,
        *,
        plan: str | None = None,
        rec: str | None = None,
        recent: int = 12,
        include_retired: bool = False,
        first: int | None = None,
    ) -> list[MeasureRow]:
        """The scorecard's rows (active measures, and retired ones when asked), each with
        its latest `recent` readings; with `first`, only the first `first` of them."""
        with self._card_reader() as reader:
            if reader is not None:
                from tracker.storage.fastmeasures import fast_scorecard

                return fast_scorecard(
                    reader,
                    plan=plan,
                    rec=rec,
                    recent=recent,
                    include_retired=include_retired,
                    first=first,
                )
        from tracker.storage.measures import MeasureStore

        return MeasureStore(self.full()).scorecard(
            plan=plan, rec=rec, recent=recent, include_retired=include_retired, first=first
        )

    def measure_places(self) -> list[MeasurePlace]:
        """The recommendations a measure can be added under, with each one's next ref."""
        from tracker.storage.measures import MeasureStore

        return MeasureStore(self.full()).places()

    def add_measure(
        self, plan_key: str, rec_ref: str, data: MeasureData, *, user: str, auto_ref: bool
    ) -> str:
        """Add a measure under `plan_key:rec_ref` (with `auto_ref`, the next free
        `M<n>.<k>`); its address."""
        from tracker.storage.measures import MeasureStore

        return MeasureStore(self.full()).add_measure(
            f"{plan_key}:{rec_ref}", data, user=user, auto_ref=auto_ref
        )

    def edit_measure(
        self,
        address: str,
        changes: dict[str, object],
        *,
        clear: tuple[str, ...] = (),
        user: str,
        expected_version: int,
    ) -> list[HistoryEntry]:
        """Change a measure's fields (`status` retires or reinstates it); refused when it
        changed since it was read at `expected_version`. One history entry per field."""
        from tracker.storage.measures import MeasureChanges, MeasureStore

        return MeasureStore(self.full()).edit_measure(
            address,
            MeasureChanges(**changes, clear=clear),  # type: ignore[arg-type]
            user=user,
            expected_version=expected_version,
        )

    def measure(self, address: str) -> MeasureRow:
        from tracker.storage.measures import MeasureStore

        return MeasureStore(self.full()).measure(address)

    def readings(self, measure_id: int) -> list[ReadingRow]:
        from tracker.storage.measures import MeasureStore

        return MeasureStore(self.full()).readings(measure_id)

    def measure_history(self, measure_id: int) -> list[HistoryEntry]:
        from tracker.storage.measures import MeasureStore

        return MeasureStore(self.full()).history(measure_id)

    def add_reading(
        self,
        address: str,
        *,
        period: str,
        value: float,
        note: str | None,
        count: float | None,
        of: float | None,
        user: str,
        today: date,
        expected_version: int,
    ) -> ReadingResult:
        """Record or correct one reading; refused if it changed since the user saw it
        (`expected_version`: the reading's version then, 0 for none), or if its period
        has not begun by `today`."""
        from tracker.domain.measures import ReadingInput, parse_period
        from tracker.storage.measures import MeasureStore

        reading = ReadingInput(address, period, value, note=note, count=count, of=of)
        try:
            key = (address.strip(), parse_period(period))
        except ValueError:
            key = (address.strip(), period)
        return MeasureStore(self.full()).add_readings(
            [reading], user=user, today=today, expected_versions={key: expected_version}
        )

    def measure_stamp(self) -> object:
        """A cheap fingerprint of the measures and readings (two counts): it changes with
        every reading or measure written, here or by another process. None for a store
        from before measures, opened read-only (nothing there can change)."""
        from tracker.domain.errors import TrackerError
        from tracker.storage.measures import MeasureStore

        try:
            return MeasureStore(self.full()).stamp()
        except TrackerError:
            return None


# What the app can be started on: a Store already open (tests, tools) or access to one.
StoreOrAccess: TypeAlias = "Store | StoreAccess"
