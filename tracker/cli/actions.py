"""Commands on actions: `plans`, `list`, `overdue`, `show` and `update`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from tracker.cli.args import (
    CommandAdder,
    add_filters,
    add_snapshot_options,
    int_arg,
    status_arg,
    text_arg,
)
from tracker.cli.context import (
    Command,
    Context,
    check_plan,
    filters_from_args,
    flag,
    output,
    reads_store,
    snapshot_source,
    table,
    terminal_width,
    writes_store,
)
from tracker.domain.dates import DateError, format_date, format_utc, parse_date
from tracker.domain.errors import UsageError
from tracker.domain.records import ActionChanges
from tracker.domain.text import counted, json_text, one_line, printable, wrap

if TYPE_CHECKING:
    pass


@reads_store
def cmd_plans(ctx: Context) -> int:
    settings = ctx.settings
    store = ctx.open_store(create=False)
    try:
        summaries = store.plan_summaries(settings=settings)
    finally:
        store.close()
    records = [
        {
            "plan": s.key,
            "authority": s.authority,
            "title": s.title,
            "actions": s.actions,
            "red": s.counts.rag.get("RED", 0),
            "amber": s.counts.rag.get("AMBER", 0),
            "green": s.counts.rag.get("GREEN", 0),
            "blue": s.counts.rag.get("BLUE", 0),
            "overdue": s.counts.overdue,
            "due_soon": s.counts.due_soon,
            "progress": round(s.progress) if s.progress is not None else None,
            "rag": s.rag.value if s.rag else None,
        }
        for s in summaries
    ]
    fmt = ctx.args.format
    if fmt == "json":
        ctx.out.write(json_text(records, indent=1) + "\n")
        return 0
    if fmt == "csv":
        import csv

        from tracker.formats.snapshot import neutralise

        with output(None, ctx.out) as out:
            out.write("\ufeff")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(records[0].keys() if records else ["plan"])
            for rec in records:
                writer.writerow(
                    neutralise(str(v)) if isinstance(v, str) else ("" if v is None else v)
                    for v in rec.values()
                )
        return 0
    if not records:
        ctx.out.write("no plans in the store yet: load one with 'tracker import FILE.toml'\n")
        return 0
    headers = (
        "PLAN",
        "RAG",
        "ACTIONS",
        "RED",
        "AMBER",
        "GREEN",
        "BLUE",
        "OVERDUE",
        "PROGRESS",
        "AUTHORITY",
    )
    rows = (
        (
            str(r["plan"]),
            str(r["rag"] or ""),
            str(r["actions"]),
            str(r["red"]),
            str(r["amber"]),
            str(r["green"]),
            str(r["blue"]),
            str(r["overdue"]),
            f"{r['progress']}%" if r["progress"] is not None else "",
            one_line(str(r["authority"])),
        )
        for r in records
    )
    table(headers, rows, ctx.out)
    return 0


@reads_store
def cmd_list(ctx: Context, *, overdue: bool = False) -> int:
    args = ctx.args
    filters = filters_from_args(args, overdue=overdue)
    store, settings = snapshot_source(ctx)
    try:
        check_plan(store, filters.plan)
        rows = store.iter_actions(filters=filters, settings=settings)
        if args.format == "csv":
            from tracker.formats.snapshot import write_snapshot

            with output(None, ctx.out) as out:
                write_snapshot(rows, settings, out, slippage=args.slippage)
            return 0
        if args.format == "json":
            from tracker.formats.snapshot import write_json

            with output(None, ctx.out) as out:
                write_json(rows, settings, out, slippage=args.slippage)
            return 0
        table_rows = (
            (
                row.address,
                (r.value if (r := row.rag(settings)) else ""),
                row.status,
                f"{row.progress}%",
                format_date(row.deadline),
                f"{row.slippage_days:+d}d" if row.revisions or row.slippage_days else "",
                str(row.revisions) if row.revisions else "",
                flag(row, settings),
                one_line(row.owner),
                one_line(row.description),
            )
            for row in rows
        )
        headers = (
            "ACTION",
            "RAG",
            "STATUS",
            "PROG",
            "DEADLINE",
            "SLIP",
            "REV",
            "FLAG",
            "OWNER",
            "DESCRIPTION",
        )
        # The flag is never cut; the description takes the slack. On a narrow terminal the
        # status, owner and description go on their own lines beneath each row.
        count = table(
            headers,
            table_rows,
            ctx.out,
            squeeze={9: 50, 8: 24},
            drop=(6, 5, 3),
            below=(2, 8, 9),
        )
        counts = store.view_counts(filters=filters, settings=settings)
    finally:
        store.close()
    if count == 0:
        ctx.out.write("no actions match\n")
    ctx.out.write(
        f"{counted(counts.total, 'action')}, {counts.overdue} overdue, "
        f"{counts.due_soon} due soon, "
        f"{counts.blocked} blocked, {counts.complete} complete (as at {settings.today})\n"
    )
    return 0


@reads_store
def cmd_show(ctx: Context) -> int:
    settings = ctx.settings
    store = ctx.open_store(create=False)
    try:
        row = store.get_action(ctx.args.action, settings=settings)
        history = store.history(row.id)
    finally:
        store.close()
    if ctx.args.format == "json":
        from tracker.formats.snapshot import snapshot_dicts

        obj = next(snapshot_dicts([row], settings))
        obj["version"] = row.version  # what `update --expect-version` takes
        obj["history"] = [
            {
                "at": format_utc(h.at),
                "by": h.by,
                "field": h.field,
                "old": h.old,
                "new": h.new,
                "note": h.note,
            }
            for h in history
        ]
        ctx.out.write(json_text(obj, indent=1) + "\n")
        return 0
    rating = row.rag(settings)
    late = row.days_overdue(settings.today)
    fields = [
        ("Action", row.address),
        ("Plan", f"{row.plan_key} ({row.authority})"),
        ("Recommendation", f"{row.rec_ref}: {row.rec_title}"),
        ("Description", row.description),
        ("Owner", row.owner),
        ("Partner", row.partner or ""),
        ("Start", format_date(row.start)),
        ("Deadline", format_date(row.deadline)),
        ("Original deadline", format_date(row.original_deadline)),
        (
            "Slippage",
            f"{counted(row.slippage_days, 'day')}, {counted(row.revisions, 'revision')}"
            if row.revisions
            else "",
        ),
        ("Status", row.status),
        ("Progress", f"{row.progress}%"),
        ("RAG", rating.value if rating else "(cancelled: no RAG)"),
        ("Overdue", f"OVERDUE {late}d" if late else "no"),
        ("Due soon", "yes" if row.due_soon(settings) else "no"),
        ("Success measure", row.measure or ""),
        ("Evidence", row.evidence or ""),
        ("Notes", row.notes or ""),
        (
            "Last updated",
            f"{format_utc(row.updated_at)} by {row.updated_by} (version {row.version})",
        ),
    ]
    width = max(len(k) for k, _ in fields)
    out = ctx.out
    # On a terminal, long values break between words under their own column; to a file or
    # a pipe each value keeps its own lines.
    columns = terminal_width(out)
    room = max(columns - width - 2, 30) if columns else 0
    for key, value in fields:
        text = printable(value)
        lines = (wrap(text, room) if room else text.split("\n")) if text else [""]
        out.write(f"{key + ':':<{width + 1}} {lines[0]}".rstrip() + "\n")
        for extra in lines[1:]:
            out.write(f"{'':<{width + 1}} {extra}".rstrip() + "\n")
    out.write(f"\nHistory (as at {settings.today}):\n")
    if not history:
        out.write("  no changes since it was imported\n")
    for h in history:
        change = (
            "note"
            if h.field == "note"
            else f"{h.field}: {one_line(h.old) or '(empty)'} -> {one_line(h.new) or '(empty)'}"
        )
        note = (
            f"  ({one_line(h.note)})"
            if h.note and h.field != "note"
            else (f" {one_line(h.note)}" if h.note else "")
        )
        entry = f"{format_utc(h.at)}  {one_line(h.by)}  {change}{note}"
        lines = wrap(entry, columns - 4) if columns else [entry]
        out.write(f"  {lines[0]}\n")
        for extra in lines[1:]:
            out.write(f"    {extra}\n")
    return 0


@writes_store
def cmd_update(ctx: Context) -> int:
    args = ctx.args
    deadline = None
    if args.deadline is not None:
        try:
            deadline = parse_date(args.deadline, today_=ctx.settings.today)
        except DateError as exc:
            raise UsageError(f"--deadline: {exc}") from None
    if args.reason is not None and deadline is None:
        raise UsageError("--reason goes with --deadline (it says why the deadline moved)")
    if deadline is not None and not (args.reason or "").strip():
        raise UsageError("--deadline needs --reason: say why the deadline moved")
    start = None
    clear_start = False
    if args.start is not None:
        if args.start.strip().lower() in ("", "none"):
            clear_start = True
        else:
            try:
                start = parse_date(args.start, today_=ctx.settings.today)
            except DateError as exc:
                raise UsageError(f"--start: {exc}") from None
    changes = ActionChanges(
        status=args.status,
        progress=args.progress,
        owner=args.owner,
        deadline=deadline,
        reason=args.reason,
        evidence=args.evidence,
        note=args.note,
        description=args.description,
        measure=args.measure,
        partner=args.partner,
        start=start,
        notes=args.notes,
        clear_start=clear_start,
    )
    if changes.is_empty():
        raise UsageError(
            "say what to change: --status, --progress, --owner, --deadline with --reason, "
            "--evidence, --description, --measure, --partner, --start, --notes or --note"
        )
    store = ctx.open_store(create=False)
    try:
        result = store.update_action(
            args.action,
            changes,
            user=ctx.user,
            expected_version=args.expect_version,
            settings=ctx.settings,
        )
    finally:
        store.close()
    address = result.row.address
    if not result.changed:
        ctx.out.write(f"{address}: no change\n")
        return 0
    parts = []
    for entry in result.entries:
        if entry.field == "note":
            parts.append("note added")
        else:
            old = one_line(entry.old) or "(empty)"
            new = one_line(entry.new) or "(empty)"
            parts.append(f"{entry.field} {old} -> {new}")
    ctx.out.write(f"{address}: {'; '.join(parts)} (by {ctx.user})\n")
    completed = any(e.field == "status" and e.new == "complete" for e in result.entries)
    if completed and not (result.row.evidence or "").strip():
        # A warning, not a refusal: the board paper shows each completed action's evidence.
        sys.stderr.write(
            f"tracker: warning: {address} is complete with no evidence recorded; "
            "add it with --evidence TEXT\n"
        )
    return 0


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
    p = command("plans", "one row per plan with counts by RAG and overdue")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table")

    for name, text in (("list", "list actions"), ("overdue", "list overdue actions")):
        p = command(name, text)
        add_filters(p)
        p.add_argument("--format", choices=("table", "csv", "json"), default="table")
        add_snapshot_options(p)

    p = command("show", "every field and the history of one action")
    p.add_argument("action", metavar="ACTION", help="PLAN-KEY:REF")
    p.add_argument("--format", choices=("text", "json"), default="text")

    p = command("update", "change an action; each change is recorded in its history")
    p.add_argument("action", metavar="ACTION", help="PLAN-KEY:REF")
    p.add_argument("--status", type=status_arg, metavar="S")
    p.add_argument("--progress", type=int_arg("--progress", 0, 100), metavar="N")
    p.add_argument("--owner", type=text_arg("--owner"), metavar="TEXT")
    p.add_argument("--deadline", metavar="DATE")
    p.add_argument(
        "--reason", type=text_arg("--reason"), metavar="TEXT", help="why the deadline moved"
    )
    p.add_argument("--evidence", type=text_arg("--evidence"), metavar="TEXT")
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT")
    p.add_argument("--description", type=text_arg("--description"), metavar="TEXT")
    p.add_argument(
        "--measure", type=text_arg("--measure"), metavar="TEXT", help="the success measure"
    )
    p.add_argument("--partner", type=text_arg("--partner"), metavar="TEXT", help="empty clears it")
    p.add_argument("--start", metavar="DATE", help="the start date ('none' clears it)")
    p.add_argument(
        "--notes",
        type=text_arg("--notes"),
        metavar="TEXT",
        help="the action's notes field (--note is the note on the history entry)",
    )
    p.add_argument(
        "--expect-version",
        type=int_arg("--expect-version", 1, 2**31),
        metavar="N",
        help="refuse the change unless the action is still at version N",
    )
    return {
        "plans": cmd_plans,
        "list": cmd_list,
        "overdue": reads_store(lambda ctx: cmd_list(ctx, overdue=True)),
        "show": cmd_show,
        "update": cmd_update,
    }
