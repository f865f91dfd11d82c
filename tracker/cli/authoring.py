"""Commands that keep and change the plan itself: `new-plan`, `edit-plan`, `add-rec`,
`edit-rec`, `add-action`, `move`, `carry-forward` and `undo`.

Each is one transaction with history (who, when, old, new, note) and one change group that
`undo` can take back. A wrong command line (a bad date, an address without `:`) is exit 2;
what the store refuses (an unknown plan, a ref already used, a stale write) is exit 1.
Nothing is changed in either case.
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING

from tracker.cli.args import CommandAdder, int_arg, status_arg, text_arg
from tracker.cli.context import Command, Context, option_date, writes_store
from tracker.domain.dates import format_date
from tracker.domain.errors import UsageError
from tracker.domain.plan import GRADES, JudgementData
from tracker.domain.text import one_line
from tracker.domain.updates import NewAction

if TYPE_CHECKING:
    from tracker.storage.changing import PlanFields


def split_address(text: str, option: str, *, what: str = "REC") -> tuple[str, str]:
    """`KEY:REF` as (key, ref); anything else is a usage error."""
    key, sep, ref = text.strip().rpartition(":")
    if not sep or not key.strip() or not ref.strip():
        raise UsageError(f"{option}: {text!r} is not an address: write it as PLAN-KEY:{what}")
    return key.strip(), ref.strip()


def judgement_arg(text: str) -> JudgementData:
    """`AREA=GRADE`, the grade one of the five words (any case)."""
    area, sep, grade = text.rpartition("=")
    if not sep or not area.strip() or not grade.strip():
        raise argparse.ArgumentTypeError(
            f'{text!r} is not a judgement: write it as "AREA=GRADE" (e.g. '
            '"The experiences and progress of children in care=Good")'
        )
    wanted = grade.strip().casefold()
    for known in GRADES:
        if known.casefold() == wanted:
            return JudgementData(area=area.strip(), grade=known)
    raise argparse.ArgumentTypeError(
        f"{grade.strip()!r} is not a grade: use one of {', '.join(GRADES)}"
    )


def _date(ctx: Context, option: str, text: str | None) -> date | None:
    return option_date(option, text, ctx.settings.today) if text is not None else None


def _plan_fields(ctx: Context) -> PlanFields:
    from tracker.storage.changing import PlanFields

    args = ctx.args
    return PlanFields(
        authority=args.authority,
        title=args.title,
        inspection_type=args.inspection_type,
        framework=args.framework,
        inspection_start=_date(ctx, "--inspection-start", args.inspection_start),
        inspection_end=_date(ctx, "--inspection-end", args.inspection_end),
        published=_date(ctx, "--published", args.published),
        plan_due=_date(ctx, "--plan-due", args.plan_due),
        overall_judgement=args.overall_judgement,
    )


@writes_store
def cmd_new_plan(ctx: Context) -> int:
    args = ctx.args
    fields = _plan_fields(ctx)
    store = ctx.open_store()
    try:
        due = store.new_plan(
            args.key, fields, user=ctx.user, judgements=args.judgement or (), note=args.note
        )
    finally:
        store.close()
    if due is None:
        ctx.out.write(f"created plan {args.key}: no due date (give --published or --plan-due)\n")
    elif fields.plan_due is None and fields.published is not None:
        ctx.out.write(
            f"created plan {args.key}: due {format_date(due)} "
            f"(70 working days after publication on {format_date(fields.published)})\n"
        )
    else:
        ctx.out.write(f"created plan {args.key}: due {format_date(due)}\n")
    return 0


@writes_store
def cmd_edit_plan(ctx: Context) -> int:
    args = ctx.args
    fields = _plan_fields(ctx)
    if not (fields.given() or args.judgement or args.remove_judgement):
        raise UsageError(
            "say what to change: --authority, --title, --inspection-type, --framework, "
            "--published, --plan-due, --overall-judgement, --judgement or --remove-judgement"
        )
    store = ctx.open_store(create=False)
    try:
        count = store.edit_plan(
            args.key,
            fields,
            user=ctx.user,
            judgements=args.judgement or (),
            remove_judgements=args.remove_judgement or (),
            note=args.note,
        )
    finally:
        store.close()
    ctx.out.write(
        f"plan {args.key}: {count} change(s)\n" if count else f"plan {args.key}: no change\n"
    )
    return 0


@writes_store
def cmd_add_rec(ctx: Context) -> int:
    args = ctx.args
    store = ctx.open_store(create=False)
    try:
        ref = store.add_recommendation(
            args.key,
            title=args.title,
            ref=args.ref,
            text=args.text,
            area=args.area,
            user=ctx.user,
            note=args.note,
        )
    finally:
        store.close()
    ctx.out.write(f"{args.key}:{ref}\n")
    return 0


@writes_store
def cmd_edit_rec(ctx: Context) -> int:
    args = ctx.args
    key, ref = split_address(args.rec, "KEY:REF")
    changes = {"title": args.title, "text": args.text, "area": args.area}
    if all(v is None for v in changes.values()):
        raise UsageError("say what to change: --title, --text or --area")
    store = ctx.open_store(create=False)
    try:
        changed = store.edit_recommendation(key, ref, changes, user=ctx.user, note=args.note)
    finally:
        store.close()
    if not changed:
        ctx.out.write(f"{key}:{ref}: no change\n")
        return 0
    parts = [
        f"{c.field} {one_line(c.old) or '(empty)'} -> {one_line(c.new) or '(empty)'}"
        for c in changed
    ]
    ctx.out.write(f"{key}:{ref}: {'; '.join(parts)} (by {ctx.user})\n")
    return 0


@writes_store
def cmd_add_action(ctx: Context) -> int:
    args = ctx.args
    key, rec = split_address(args.rec, "KEY:REC")
    deadline = option_date("--deadline", args.deadline, ctx.settings.today)
    new = NewAction(
        description=args.description,
        owner=args.owner,
        deadline=deadline,
        ref=args.ref,
        status=args.status or "not_started",
        progress=args.progress,
        partner=args.partner,
        start=_date(ctx, "--start", args.start),
        measure=args.measure,
        evidence=args.evidence,
        notes=args.notes,
    )
    store = ctx.open_store(create=False)
    try:
        address = store.add_action(key, rec, new, user=ctx.user, note=args.note)
    finally:
        store.close()
    ctx.out.write(f"{address}\n")
    return 0


@writes_store
def cmd_move(ctx: Context) -> int:
    args = ctx.args
    key, rec = split_address(args.to, "--to")
    store = ctx.open_store(create=False)
    try:
        old, new = store.move_action(
            args.action,
            to_plan_key=key,
            to_rec_ref=rec,
            ref=args.ref,
            note=args.note,
            user=ctx.user,
            expected_version=args.expect_version,
        )
    finally:
        store.close()
    ctx.out.write(f"{old} -> {new} (by {ctx.user})\n")
    return 0


@writes_store
def cmd_carry_forward(ctx: Context) -> int:
    args = ctx.args
    store = ctx.open_store(create=False)
    try:
        moved = store.carry_forward(args.key, args.to, user=ctx.user, note=args.note)
    finally:
        store.close()
    for old, new in moved:
        ctx.out.write(f"{old} -> {new}\n")
    ctx.out.write(f"{len(moved)} open action(s) carried forward from {args.key} to {args.to}\n")
    return 0


@writes_store(unless="dry_run")
def cmd_undo(ctx: Context) -> int:
    store = ctx.open_store(create=False)
    try:
        result = store.undo(user=ctx.user, dry_run=ctx.args.dry_run)
    finally:
        store.close()
    head = "would undo" if result.dry_run else "undid"
    ctx.out.write(f"{head} {result.summary}:\n")
    for line in result.lines:
        ctx.out.write(f"  {one_line(line)}\n")
    if not result.lines:
        ctx.out.write("  (only notes: they stay in the history)\n")
    return 0


def _plan_options(p: argparse.ArgumentParser, *, new: bool) -> None:
    p.add_argument("--authority", type=text_arg("--authority"), metavar="NAME", required=new)
    p.add_argument("--title", type=text_arg("--title"), metavar="TEXT", required=new)
    p.add_argument("--inspection-type", type=text_arg("--inspection-type"), metavar="TEXT")
    p.add_argument("--framework", type=text_arg("--framework"), metavar="TEXT")
    p.add_argument("--inspection-start", metavar="DATE")
    p.add_argument("--inspection-end", metavar="DATE")
    p.add_argument("--published", metavar="DATE", help="when the report was published")
    p.add_argument(
        "--plan-due",
        metavar="DATE",
        help="when the plan is due (default: 70 working days after --published)",
    )
    p.add_argument("--overall-judgement", type=text_arg("--overall-judgement"), metavar="TEXT")
    p.add_argument(
        "--judgement",
        type=judgement_arg,
        action="append",
        metavar="AREA=GRADE",
        help="a judgement (repeatable); an area already there takes the new grade",
    )
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT")


def add_commands(command: CommandAdder) -> dict[str, Command]:
    """Add this group's subcommands; return what runs each."""
    p = command("new-plan", "start an empty plan (prints the due date it set)")
    p.add_argument("key", metavar="KEY")
    _plan_options(p, new=True)

    p = command("edit-plan", "change a plan's own fields and judgements, with history")
    p.add_argument("key", metavar="KEY")
    _plan_options(p, new=False)
    p.add_argument(
        "--remove-judgement", action="append", metavar="AREA", help="take a judgement out"
    )

    p = command("add-rec", "add a recommendation to a plan (prints its address)")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--title", type=text_arg("--title"), metavar="TEXT", required=True)
    p.add_argument("--ref", metavar="REF", help="default: one more than the highest R<n>")
    p.add_argument("--text", type=text_arg("--text"), metavar="TEXT")
    p.add_argument("--area", type=text_arg("--area"), metavar="TEXT")
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT")

    p = command("edit-rec", "change a recommendation's title, text or area, with history")
    p.add_argument("rec", metavar="KEY:REF")
    p.add_argument("--title", type=text_arg("--title"), metavar="TEXT")
    p.add_argument("--text", type=text_arg("--text"), metavar="TEXT", help="empty clears it")
    p.add_argument("--area", type=text_arg("--area"), metavar="TEXT", help="empty clears it")
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT")

    p = command("add-action", "add an action under a recommendation (prints its address)")
    p.add_argument("rec", metavar="KEY:REC")
    p.add_argument("--description", type=text_arg("--description"), metavar="TEXT", required=True)
    p.add_argument("--owner", type=text_arg("--owner"), metavar="TEXT", required=True)
    p.add_argument("--deadline", metavar="DATE", required=True)
    p.add_argument("--ref", metavar="REF", help="default: the next number under the recommendation")
    p.add_argument("--start", metavar="DATE")
    p.add_argument("--partner", type=text_arg("--partner"), metavar="TEXT")
    p.add_argument("--measure", type=text_arg("--measure"), metavar="TEXT", help="success measure")
    p.add_argument("--status", type=status_arg, metavar="S")
    p.add_argument("--progress", type=int_arg("--progress", 0, 100), metavar="N")
    p.add_argument("--evidence", type=text_arg("--evidence"), metavar="TEXT")
    p.add_argument("--notes", type=text_arg("--notes"), metavar="TEXT")
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT", help="note on the history")

    p = command("move", "move an action under another recommendation of its plan")
    p.add_argument("action", metavar="ACTION", help="PLAN-KEY:REF")
    p.add_argument("--to", metavar="KEY:REC", required=True)
    p.add_argument("--ref", metavar="REF", help="default: the next number there")
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT")
    p.add_argument(
        "--expect-version",
        type=int_arg("--expect-version", 1, 2**31),
        metavar="N",
        help="refuse the move unless the action is still at version N",
    )

    p = command("carry-forward", "move every open action of a plan to a new plan")
    p.add_argument("key", metavar="KEY")
    p.add_argument("--to", metavar="NEW-KEY", required=True)
    p.add_argument("--note", type=text_arg("--note"), metavar="TEXT")

    p = command("undo", "take back your latest change (one command or one save)")
    p.add_argument(
        "--dry-run", action="store_true", help="say what it would revert; change nothing"
    )

    return {
        "new-plan": cmd_new_plan,
        "edit-plan": cmd_edit_plan,
        "add-rec": cmd_add_rec,
        "edit-rec": cmd_edit_rec,
        "add-action": cmd_add_action,
        "move": cmd_move,
        "carry-forward": cmd_carry_forward,
        "undo": cmd_undo,
    }
