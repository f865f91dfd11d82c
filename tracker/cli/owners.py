"""Owners' commands: `owners` (each owner's counts and address), `owner set|rename|show`,
and `remind` (one message per owner about their overdue, due-soon and stale actions).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tracker.cli.args import CommandAdder, Parser, add_globals, text_arg
from tracker.cli.context import (
    Command,
    Context,
    check_plan,
    output,
    reads_store,
    table,
    writes_store,
)
from tracker.domain.dates import format_utc
from tracker.domain.errors import TrackerError, UsageError, ValidationError
from tracker.domain.owners import check_email, check_owner_name
from tracker.domain.records import Filters
from tracker.domain.text import json_text, one_line, printable

if TYPE_CHECKING:
    from email.message import EmailMessage

    from tracker.formats.mail import OwnerReminder
    from tracker.storage.store import Store

OWNER_COLUMNS = ("owner", "email", "actions", "open", "overdue", "due_soon", "stale")


def _writing_store(ctx: Context) -> Store:
    return ctx.open_store(read_only=bool(getattr(ctx.args, "read_only", False)), create=False)


@reads_store
def cmd_owners(ctx: Context) -> int:
    from tracker.storage.owners import owner_summaries

    args, settings = ctx.args, ctx.settings
    store = ctx.open_store(create=False)
    try:
        check_plan(store, args.plan)
        summaries = owner_summaries(
            store, settings=settings, filters=Filters(plan=args.plan, owner=args.owner)
        )
    finally:
        store.close()
    records = [
        {
            "owner": s.name,
            "email": s.email,
            "actions": s.actions,
            "open": s.open,
            "overdue": s.overdue,
            "due_soon": s.due_soon,
            "stale": s.stale,
        }
        for s in summaries
    ]
    if args.format == "json":
        ctx.out.write(json_text(records, indent=1) + "\n")
        return 0
    if args.format == "csv":
        import csv

        from tracker.formats.snapshot import neutralise

        with output(None, ctx.out) as out:
            out.write("\ufeff")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(OWNER_COLUMNS)
            for rec in records:
                writer.writerow(
                    neutralise(v) if isinstance(v, str) else ("" if v is None else v)
                    for v in rec.values()
                )
        return 0
    if not records:
        ctx.out.write("no owners: no actions match\n")
        return 0
    headers = ("OWNER", "OPEN", "OVERDUE", "DUE SOON", "STALE", "EMAIL")
    rows = (
        (
            one_line(str(r["owner"])),
            str(r["open"]),
            str(r["overdue"]),
            str(r["due_soon"]),
            str(r["stale"]),
            str(r["email"] or "(no address)"),
        )
        for r in records
    )
    table(headers, rows, ctx.out, flex=0)
    missing = sum(1 for r in records if not r["email"] and r["open"])
    ctx.out.write(
        f"{len(records)} owners, {missing} with open actions and no address "
        f"(as at {settings.today}; stale: no update for over {settings.update_days} days)\n"
    )
    return 0


def cmd_owner_set(ctx: Context) -> int:
    from tracker.storage.owners import set_email

    args = ctx.args
    if args.clear == (args.email is not None):
        raise UsageError("say either --email ADDRESS or --clear")
    if args.email is not None:
        try:
            check_email(args.email)
        except ValidationError as exc:
            raise UsageError(f"--email: {exc}") from None
    store = _writing_store(ctx)
    try:
        change = set_email(
            store,
            args.name,
            None if args.clear else args.email,
            user=ctx.user,
            expected_version=args.expect_version,
            note=args.note,
        )
    finally:
        store.close()
    name = one_line(args.name)
    if not change.changed:
        ctx.out.write(f"{name}: no change\n")
        return 0
    ctx.out.write(
        f"{name}: email {change.old or '(none)'} -> {change.new or '(none)'} (by {ctx.user})\n"
    )
    return 0


def cmd_owner_rename(ctx: Context) -> int:
    from tracker.storage.owners import rename_owner

    args = ctx.args
    try:
        check_owner_name(args.new)
    except ValidationError as exc:
        raise UsageError(f"NEW: {exc}") from None
    store = _writing_store(ctx)
    try:
        result = rename_owner(store, args.old, args.new, user=ctx.user, note=args.note)
    finally:
        store.close()
    noun = "action" if result.actions == 1 else "actions"
    line = (
        f"renamed {one_line(result.old)!r} to {one_line(result.new)!r}: "
        f"{result.actions} {noun} (by {ctx.user})"
    )
    if result.email:
        line += f"; address {result.email}"
    ctx.out.write(line + "\n")
    if result.dropped_email:
        ctx.out.write(
            f"{one_line(result.new)!r} keeps its own address; {result.dropped_email} "
            "(the old name's) is no longer used\n"
        )
    return 0


def cmd_owner_show(ctx: Context) -> int:
    from tracker.storage.owners import owner_history, owner_summaries

    args = ctx.args
    store = ctx.open_store(create=False)
    try:
        found = [s for s in owner_summaries(store, settings=ctx.settings) if s.name == args.name]
        history = owner_history(store, args.name)
    finally:
        store.close()
    if not found:
        from tracker.domain.errors import NotFoundError

        raise NotFoundError(f"no owner {args.name!r} ('tracker owners' lists them)")
    s = found[0]
    out = ctx.out
    out.write(f"Owner:    {one_line(s.name)}\n")
    out.write(f"Email:    {s.email or '(no address)'}\n")
    out.write(
        f"Actions:  {s.actions} ({s.open} open, {s.overdue} overdue, {s.due_soon} due soon, "
        f"{s.stale} stale)\n"
    )
    out.write("\nHistory:\n")
    if not history:
        out.write("  no changes recorded\n")
    for h in history:
        note = f"  ({one_line(h.note)})" if h.note else ""
        out.write(
            f"  {format_utc(h.at)}  {one_line(h.by)}  {h.field}: {one_line(h.old) or '(none)'} "
            f"-> {one_line(h.new) or '(none)'}{note}\n"
        )
    return 0


def _seconds(text: str) -> float:
    """A --timeout: a number of seconds from 0.1 to 600."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--timeout must be a number of seconds, not {text!r}"
        ) from None
    if not 0.1 <= value <= 600:
        raise argparse.ArgumentTypeError(f"--timeout must be 0.1 to 600 seconds, not {text}")
    return value


DEFAULT_SENDER = "tracker@tracker.invalid"  # for --dry-run and --outbox without --from


@dataclass(slots=True)
class _Outcome:
    sent: list[OwnerReminder] = field(default_factory=list)
    failed: list[tuple[OwnerReminder, str]] = field(default_factory=list)
    already: list[OwnerReminder] = field(default_factory=list)


def _counts(r: OwnerReminder) -> str:
    from tracker.formats.mail import DUE_SOON, OVERDUE, STALE

    n = len(r.items)
    return (
        f"{r.count(OVERDUE)} overdue, {r.count(DUE_SOON)} due soon, "
        f"{r.count(STALE)} not updated ({n} action{'s' if n != 1 else ''})"
    )


def _who(r: OwnerReminder) -> str:
    return f"{one_line(r.owner)!r} <{r.email}>"


@writes_store(when=lambda args: bool(args.smtp))  # --dry-run and --outbox record nothing
def cmd_remind(ctx: Context) -> int:
    import os

    from tracker.domain.dates import now_utc
    from tracker.formats.mail import build_message, owner_reminders, parse_server
    from tracker.storage.owners import owner_emails

    args, settings = ctx.args, ctx.settings
    modes = [name for name in ("dry_run", "outbox", "smtp") if getattr(args, name)]
    if len(modes) != 1:
        raise UsageError("say how to deliver, once: --dry-run, --outbox DIR or --smtp HOST[:PORT]")
    sender_text = args.sender or os.environ.get("TRACKER_MAIL_FROM", "").strip()
    if args.smtp and not sender_text:
        raise UsageError("--smtp needs a sender: --from ADDRESS or TRACKER_MAIL_FROM")
    try:
        sender = check_email(sender_text) if sender_text else DEFAULT_SENDER
    except ValidationError as exc:
        raise UsageError(f"{'--from' if args.sender else 'TRACKER_MAIL_FROM'}: {exc}") from None
    server: tuple[str, int] | None = None
    if args.smtp:
        try:
            server = parse_server(args.smtp)
        except ValueError as exc:
            raise UsageError(f"--smtp: {exc}") from None
    store = _writing_store(ctx) if args.smtp else ctx.open_store(create=False)
    try:
        check_plan(store, args.plan)
        rows = store.iter_actions(
            filters=Filters(plan=args.plan, owner=args.owner), settings=settings
        )
        reminders = owner_reminders(rows, settings, owner_emails(store))
        for r in reminders:
            if not r.email:
                sys.stderr.write(
                    f"tracker: {one_line(r.owner)!r} has no address ({_counts(r)}): skipped; "
                    "record one with 'tracker owner set NAME --email ADDRESS'\n"
                )
        ready = [r for r in reminders if r.email]
        now = now_utc()
        messages = [
            (
                r,
                build_message(r, sender=sender, settings=settings, when=now, sender_name=ctx.user),
            )
            for r in ready
        ]
        skipped = len(reminders) - len(ready)
        if args.dry_run:
            return _dry_run(ctx, messages, skipped)
        if args.outbox:
            return _outbox(ctx, Path(args.outbox), messages, skipped)
        assert server is not None
        outcome = _send(ctx, store, server, messages)
    finally:
        store.close()
    return _summary(ctx, outcome, skipped)


def _dry_run(ctx: Context, messages: list[tuple[OwnerReminder, EmailMessage]], skipped: int) -> int:
    from tracker.formats.mail import iter_lines

    out = ctx.out
    for i, (_, message) in enumerate(messages):
        if i:
            out.write("\n" + "=" * 72 + "\n\n")
        for line in iter_lines(message):
            out.write(printable(line) + "\n")
    if messages:
        out.write("\n")
    out.write(
        f"{len(messages)} reminder{'s' if len(messages) != 1 else ''} would be sent "
        f"(dry run: nothing sent, nothing recorded); {skipped} owner"
        f"{'s' if skipped != 1 else ''} without an address skipped\n"
    )
    return 0


def _outbox(
    ctx: Context, folder: Path, messages: list[tuple[OwnerReminder, EmailMessage]], skipped: int
) -> int:
    from email.policy import SMTP

    from tracker.formats.mail import eml_name
    from tracker.formats.outfile import open_output

    if folder.exists() and not folder.is_dir():
        raise TrackerError(f"--outbox: {folder} is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrackerError(f"--outbox: cannot make {folder}: {exc.strerror or exc}") from None
    taken: set[str] = set()
    for reminder, message in messages:
        path = folder / eml_name(reminder, ctx.settings.today, taken)
        with open_output(path) as out:
            out.write(message.as_string(policy=SMTP))
        ctx.out.write(f"wrote {path}: {_who(reminder)}, {_counts(reminder)}\n")
    ctx.out.write(
        f"{len(messages)} message{'s' if len(messages) != 1 else ''} written to {folder} "
        f"(nothing sent, nothing recorded); {skipped} without an address skipped\n"
    )
    return 0


def _send(
    ctx: Context,
    store: Store,
    server: tuple[str, int],
    messages: list[tuple[OwnerReminder, EmailMessage]],
) -> _Outcome:
    import os

    from tracker.formats.mail import MailError, SmtpSender
    from tracker.storage.owners import claim_reminder, finish_reminder

    args, today = ctx.args, ctx.settings.today
    user = os.environ.get("TRACKER_SMTP_USER", "").strip() or None
    password = os.environ.get("TRACKER_SMTP_PASSWORD") or None
    sender = SmtpSender(server[0], server[1], user=user, password=password, timeout=args.timeout)
    outcome = _Outcome()
    unusable: str | None = None  # the server cannot be used at all: why
    try:
        for reminder, message in messages:
            if unusable is not None:
                outcome.failed.append((reminder, unusable))
                continue
            claimed = claim_reminder(
                store,
                owner=reminder.owner,
                email=reminder.email or "",
                day=today,
                subject=str(message["Subject"]),
                actions=[(i.action_id, i.flag) for i in reminder.items],
                user=ctx.user,
                again=args.again,
            )
            if claimed is None:
                outcome.already.append(reminder)
                continue
            try:
                sender.send(message)
            except MailError as exc:
                finish_reminder(store, claimed, sent=False, detail=str(exc))
                outcome.failed.append((reminder, str(exc)))
                if exc.fatal:
                    unusable = str(exc)
                continue
            finish_reminder(store, claimed, sent=True, detail=None)
            outcome.sent.append(reminder)
    finally:
        sender.close()
    return outcome


def _summary(ctx: Context, outcome: _Outcome, skipped: int) -> int:
    out = ctx.out
    for r in outcome.sent:
        out.write(f"sent to {_who(r)}: {_counts(r)}\n")
    for r in outcome.already:
        out.write(f"not sent to {_who(r)}: already reminded today (--again sends another)\n")
    for r, why in outcome.failed:
        out.write(f"FAILED {_who(r)}: {one_line(why)}\n")
        sys.stderr.write(f"tracker: error: {_who(r)}: {one_line(why)}; nothing recorded as sent\n")
    out.write(
        f"{len(outcome.sent)} sent, {len(outcome.failed)} failed, "
        f"{len(outcome.already)} already reminded today, {skipped} without an address\n"
    )
    return 1 if outcome.failed else 0


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
    p = command("owners", "each owner with open, overdue, due-soon and stale counts and address")
    p.add_argument("--plan", metavar="KEY", help="only this plan's actions")
    p.add_argument("--owner", metavar="TEXT", help="owner contains TEXT (any case)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    p = command("owner", "an owner's address, name and history")
    sub = p.add_subparsers(dest="owner_command", metavar="SUBCOMMAND", parser_class=Parser)
    sub.required = True

    def subcommand(name: str, help_text: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=help_text, description=help_text)
        add_globals(q, top=False)
        return q

    q = subcommand("set", "record (or clear) an owner's email address")
    q.add_argument("name", metavar="NAME", type=text_arg("NAME"), help="the exact owner text")
    q.add_argument("--email", metavar="ADDRESS", type=text_arg("--email"))
    q.add_argument("--clear", action="store_true", help="remove the owner's address")
    q.add_argument("--note", metavar="TEXT", type=text_arg("--note"))
    q.add_argument(
        "--expect-version",
        type=int,
        metavar="N",
        help="refuse unless the owner's record is still at version N (0: none yet)",
    )

    q = subcommand("rename", "give every action owned by OLD the owner NEW, with history")
    q.add_argument("old", metavar="OLD", type=text_arg("OLD"))
    q.add_argument("new", metavar="NEW", type=text_arg("NEW"))
    q.add_argument("--note", metavar="TEXT", type=text_arg("--note"))

    q = subcommand("show", "an owner's address, counts and the history of their record")
    q.add_argument("name", metavar="NAME", type=text_arg("NAME"))

    @writes_store(when=lambda args: args.owner_command != "show")
    def owner(ctx: Context) -> int:
        run = {"set": cmd_owner_set, "rename": cmd_owner_rename, "show": cmd_owner_show}
        return run[ctx.args.owner_command](ctx)

    p = command("remind", "one reminder per owner: their overdue, due-soon and stale actions")
    p.add_argument("--plan", metavar="KEY", help="only this plan's actions")
    p.add_argument("--owner", metavar="TEXT", help="owner contains TEXT (any case)")
    p.add_argument("--dry-run", action="store_true", help="print the messages; send nothing")
    p.add_argument("--outbox", metavar="DIR", help="write one .eml file per owner into DIR")
    p.add_argument("--smtp", metavar="HOST[:PORT]", help="send through this SMTP server")
    p.add_argument(
        "--from", dest="sender", metavar="ADDRESS", help="the sender (else TRACKER_MAIL_FROM)"
    )
    p.add_argument(
        "--again", action="store_true", help="send even to owners already reminded today"
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="give up on a server that does not answer (default 30)",
    )
    return {"owners": cmd_owners, "owner": owner, "remind": cmd_remind}
