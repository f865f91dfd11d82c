"""Many writers on one store at once: the workload, its checks and its figures.

Used by `tests/test_concurrency.py` and by `bench/stress.py`, which prints the figures.
The store is named by a URL, so the same run works on SQLite and on PostgreSQL.

Each of N processes makes M updates, in turn of three kinds:

- **versioned** on the one action every process shares: read the action's counter (its
  evidence, a number) and version, write counter + 1 with that expected version. A write
  based on a stale read is refused; the Store workload reads again and retries until it
  is applied, the CLI workload counts the refusal and moves on.
- **blind** on the process's own action: counter + 1 without a version check (nobody
  else writes it, so nothing may be lost).
- **note** on the shared action, without a version check: always applied, one entry.

Afterwards `check` proves nothing was lost: each counter equals the number of applied
increments, the shared action's evidence history is an unbroken chain 0 -> 1 -> 2 ...
(a write applied over a newer change would break it), every applied change has exactly
one history entry, versions add up, and SQLite's `PRAGMA integrity_check` says ok.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text

from tracker.domain.errors import StaleWriteError, StoreBusyError, TrackerError
from tracker.domain.records import ActionChanges
from tracker.formats.plan_toml import ActionData, PlanData, RecommendationData
from tracker.storage.store import Store

PLAN_KEY = "stress"
SHARED = f"{PLAN_KEY}:S.1"
KINDS = ("versioned", "blind", "note")


def own_action(worker: int) -> str:
    return f"{PLAN_KEY}:W.{worker + 1}"


def stress_plan(workers: int) -> PlanData:
    """One shared action and one action per worker, each counter (evidence) at 0."""

    def action(ref: str) -> ActionData:
        return ActionData(
            ref=ref,
            description=f"Action {ref} under concurrent edits",
            owner="Head of Service",
            deadline=date(2027, 3, 31),
            status="in_progress",
            progress=10,
            evidence="0",
        )

    return PlanData(
        key=PLAN_KEY,
        authority="Stress Borough Council",
        title="Concurrent editing",
        recommendations=[
            RecommendationData(ref="S", title="Shared", actions=[action("S.1")]),
            RecommendationData(
                ref="W", title="Own", actions=[action(f"W.{i + 1}") for i in range(workers)]
            ),
        ],
    )


def seed(url: str, workers: int) -> None:
    store = Store.open(url)
    try:
        store.import_plans([("stress.toml", stress_plan(workers))], user="seed")
    finally:
        store.close()


@dataclass(slots=True)
class Tally:
    """What one worker (or all of them together) saw."""

    applied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    refused_stale: int = 0
    locked: int = 0
    busy_retries: int = 0
    entries: int = 0
    reads: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: Tally) -> None:
        for kind in KINDS:
            self.applied[kind] += other.applied[kind]
        self.refused_stale += other.refused_stale
        self.locked += other.locked
        self.busy_retries += other.busy_retries
        self.entries += other.entries
        self.reads += other.reads
        self.errors.extend(other.errors)


@dataclass(slots=True)
class Figures:
    """The result of one run, as the report prints it."""

    mode: str
    processes: int
    updates: int
    tally: Tally
    elapsed: float
    history_entries: int = 0
    integrity: str = "n/a"
    problems: list[str] = field(default_factory=list)

    @property
    def applied(self) -> int:
        return sum(self.tally.applied.values())

    def line(self) -> str:
        a = self.tally.applied
        return (
            f"{self.mode}: {self.processes} processes x {self.updates} updates: "
            f"{self.applied} applied ({a['versioned']} versioned, {a['blind']} blind, "
            f"{a['note']} notes), {self.tally.refused_stale} refused as stale, "
            f"{self.tally.locked} locked/busy errors, {self.tally.busy_retries} busy retries, "
            f"{self.tally.reads} `tracker list` reads meanwhile, "
            f"history entries {self.history_entries} for {self.tally.entries} changes, "
            f"integrity {self.integrity}, {len(self.problems)} problems, "
            f"{self.elapsed:.1f} s"
        )


def _counter(store: Store, address: str) -> tuple[int, int]:
    row = store.get_action(address)
    return int(row.evidence or "0"), row.version


def _store_worker(
    url: str, worker: int, updates: int, retry_stale: bool, start: Any, results: Any
) -> None:
    tally = Tally()
    user = f"worker{worker + 1}"
    store = Store.open(url, create=False)
    start.wait()
    try:
        for j in range(updates):
            kind = KINDS[(j + worker) % len(KINDS)]
            while True:
                try:
                    if kind == "versioned":
                        value, version = _counter(store, SHARED)
                        result = store.update_action(
                            SHARED,
                            ActionChanges(evidence=str(value + 1)),
                            user=user,
                            expected_version=version,
                        )
                    elif kind == "blind":
                        value, _ = _counter(store, own_action(worker))
                        result = store.update_action(
                            own_action(worker), ActionChanges(evidence=str(value + 1)), user=user
                        )
                    else:
                        result = store.update_action(
                            SHARED, ActionChanges(note=f"{user} note {j}"), user=user
                        )
                except StaleWriteError:
                    tally.refused_stale += 1
                    if retry_stale:
                        continue
                    break
                except StoreBusyError as exc:
                    tally.locked += 1
                    tally.errors.append(str(exc))
                    break
                except TrackerError as exc:
                    tally.errors.append(f"{type(exc).__name__}: {exc}")
                    break
                tally.applied[kind] += 1
                tally.entries += len(result.entries)
                break
    except Exception as exc:  # reported to the parent, which fails the run
        tally.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        tally.busy_retries += store.busy_retries
        store.close()
        results.put((worker, tally))


def _reader(url: str, start: Any, stop: Any, results: Any) -> None:
    """Someone reading while the others write: `tracker list` over and over."""
    import contextlib
    import io

    from tracker import cli

    tally = Tally()
    start.wait()
    try:
        while not stop.is_set():
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                status = cli.main(["--db", url, "list", "--format", "csv"], out=io.StringIO())
            tally.reads += 1
            time.sleep(0.02)  # a person re-reading often, not a busy loop
            if status != 0:
                if "locked" in err.getvalue() or "busy" in err.getvalue():
                    tally.locked += 1
                tally.errors.append(f"list: exit {status}: {err.getvalue().strip()}")
    except Exception as exc:
        tally.errors.append(f"list: {type(exc).__name__}: {exc}")
    finally:
        results.put((-1, tally))


def _cli_update(
    url: str, address: str, user: str, *options: str
) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tracker", "--db", url, "--user", user, "update", address]
    return subprocess.run([*command, *options], capture_output=True, text=True, check=False)


def _cli_worker(
    url: str, worker: int, updates: int, retry_stale: bool, start: Any, results: Any
) -> None:
    """The same workload through `python -m tracker update`, one process per update."""
    tally = Tally()
    user = f"cli{worker + 1}"
    store = Store.open(url, create=False)  # for reading the counters the user would see
    start.wait()
    try:
        for j in range(updates):
            kind = KINDS[(j + worker) % len(KINDS)]
            while True:
                if kind == "versioned":
                    value, version = _counter(store, SHARED)
                    done = _cli_update(
                        url,
                        SHARED,
                        user,
                        "--evidence",
                        str(value + 1),
                        "--expect-version",
                        str(version),
                    )
                elif kind == "blind":
                    value, _ = _counter(store, own_action(worker))
                    done = _cli_update(url, own_action(worker), user, "--evidence", str(value + 1))
                else:
                    done = _cli_update(url, SHARED, user, "--note", f"{user} note {j}")
                err = done.stderr.strip()
                if done.returncode == 0 and not err:
                    tally.applied[kind] += 1
                    tally.entries += 1
                    break
                if done.returncode == 1 and "someone else changed this action" in err:
                    tally.refused_stale += 1
                    if retry_stale:
                        continue
                    break
                if "locked" in err.lower() or "busy" in err.lower():
                    tally.locked += 1
                tally.errors.append(f"exit {done.returncode}: {err}")
                break
    except Exception as exc:
        tally.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        store.close()
        results.put((worker, tally))


def run(
    url: str,
    *,
    processes: int = 8,
    updates: int = 50,
    mode: str = "store",
    retry_stale: bool | None = None,
    readers: int = 0,
) -> Figures:
    """Seed a store at `url` (empty), run the workload in `processes` processes, check it."""
    seed(url, processes)
    target = _store_worker if mode == "store" else _cli_worker
    retry = (mode == "store") if retry_stale is None else retry_stale
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    results = context.Queue()
    workers = [
        context.Process(target=target, args=(url, i, updates, retry, start, results))
        for i in range(processes)
    ]
    stop = context.Event()
    reading = [
        context.Process(target=_reader, args=(url, start, stop, results)) for _ in range(readers)
    ]
    for w in workers + reading:
        w.start()
    time.sleep(0.2)
    began = time.perf_counter()
    start.set()
    total = Tally()
    # Generous: a CLI update is a whole Python process, and the machine may be busy.
    patience = 120 + processes * updates * (10 if mode == "cli" else 1)
    writers_done = readers_done = 0
    while writers_done < len(workers):
        try:
            who, tally = results.get(timeout=patience)
        except queue.Empty:
            for w in workers + reading:
                w.terminate()
            raise RuntimeError(f"the workers did not finish within {patience} s") from None
        total.add(tally)
        writers_done += who >= 0
        readers_done += who < 0
    elapsed = time.perf_counter() - began
    stop.set()
    for _ in range(len(reading) - readers_done):
        total.add(results.get(timeout=120)[1])
    for w in workers + reading:
        w.join(timeout=60)
    figures = Figures(mode=mode, processes=processes, updates=updates, tally=total, elapsed=elapsed)
    check(url, figures)
    return figures


def check(url: str, figures: Figures) -> None:
    """Prove nothing was lost: counters, the history chain, versions and integrity."""
    problems = figures.problems
    tally = figures.tally
    problems.extend(f"error reached the user: {e}" for e in tally.errors)
    store = Store.open(url, create=False)
    try:
        shared = store.get_action(SHARED)
        history = store.history(shared.id)
        evidence = [h for h in history if h.field == "evidence"]
        notes = [h for h in history if h.field == "note"]
        if shared.evidence != str(tally.applied["versioned"]):
            problems.append(
                f"shared counter is {shared.evidence}, but {tally.applied['versioned']} "
                "increments were applied: an update was lost"
            )
        for k, entry in enumerate(evidence):
            if (entry.old, entry.new) != (str(k), str(k + 1)):
                problems.append(f"history chain broken at entry {k}: {entry.old} -> {entry.new}")
                break
        if len(evidence) != tally.applied["versioned"]:
            problems.append(f"{len(evidence)} evidence entries for {tally.applied['versioned']}")
        if len(notes) != tally.applied["note"]:
            problems.append(f"{len(notes)} note entries for {tally.applied['note']} notes")
        if shared.version != 1 + tally.applied["versioned"] + tally.applied["note"]:
            problems.append(f"shared version {shared.version} does not add up")
        blind_total = 0
        for worker in range(figures.processes):
            row = store.get_action(own_action(worker))
            entries = store.history(row.id)
            blind_total += int(row.evidence or "0")
            if len(entries) != row.version - 1 or row.evidence != str(len(entries)):
                problems.append(
                    f"{row.address}: counter {row.evidence}, version {row.version}, "
                    f"{len(entries)} history entries: they must agree"
                )
        if blind_total != tally.applied["blind"]:
            problems.append(f"own counters sum to {blind_total}, {tally.applied['blind']} applied")
        with store.engine.connect() as conn:
            figures.history_entries = int(
                conn.execute(text("SELECT count(*) FROM history")).one()[0]
            )
            if store.engine.dialect.name == "sqlite":
                figures.integrity = str(conn.execute(text("PRAGMA integrity_check")).one()[0])
                if figures.integrity != "ok":
                    problems.append(f"integrity check: {figures.integrity}")
        if figures.history_entries != tally.entries:
            problems.append(
                f"{figures.history_entries} history entries for {tally.entries} applied changes"
            )
    finally:
        store.close()


def sqlite_url(folder: str) -> str:
    return f"sqlite:///{os.path.join(folder, 'stress.db')}"
