"""`tracker check`: verify a store (integrity, schema, readable values, history and versions)."""

from __future__ import annotations

from tracker.cli.args import CommandAdder
from tracker.cli.context import Command, Context, reads_store
from tracker.domain.errors import TrackerError


class StoreProblems(TrackerError):
    """The problems `check` found, one line each, ending with what to do."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__(lines[0])
        self._lines = lines

    def lines(self) -> list[str]:
        return list(self._lines)


@reads_store
def cmd_check(ctx: Context) -> int:
    from tracker.domain.text import counted
    from tracker.storage.check import check_store
    from tracker.storage.engine import make_engine, resolve_db

    engine = make_engine(resolve_db(ctx.args.db), read_only=True, create=False)
    try:
        report = check_store(engine)
    finally:
        engine.dispose()
    if report.ok:
        counts = report.counts
        ctx.out.write(
            f"{report.where}: ok: {counted(counts.get('plan', 0), 'plan')}, "
            f"{counted(counts.get('action', 0), 'action')}, "
            f"{counted(counts.get('history', 0), 'history entry', 'history entries')}, "
            f"{counted(counts.get('measure', 0), 'measure')}, "
            f"{counted(counts.get('reading', 0), 'reading')} checked\n"
        )
        return 0
    lines = [f"{report.where}: {p}" for p in report.problems]
    lines.append(
        f"{report.where}: {len(report.problems)} problem(s): restore the latest backup "
        "(README: Backups and restore), or keep this file and ask for help"
    )
    raise StoreProblems(lines)


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
    command("check", "verify the store: integrity, schema, history and versions")
    return {"check": cmd_check}
