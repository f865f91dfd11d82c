"""The plain-Python floors: the standard library doing the jobs tracker does, nothing more.

`export STORE [--overdue]`: stdlib sqlite3 and csv write the same 23-column snapshot as
`tracker export` (rules applied, BOM, CRLF, formula-like cells neutralised) to stdout.
`import PLAN.toml STORE SCHEMA.sql`: tomllib parses the plan file and sqlite3 inserts its
plan, judgements, recommendations and actions (with their natural-order keys) into a new
store in one transaction. Deliberately free of tracker imports: this is the cost of the
work itself, the yardstick each tracker command is compared with.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import sys
import tomllib
from datetime import date, datetime, timedelta

COLUMNS = (
    "as_of",
    "plan",
    "authority",
    "recommendation",
    "recommendation_title",
    "action",
    "description",
    "owner",
    "partner",
    "start",
    "deadline",
    "original_deadline",
    "status",
    "progress",
    "rag",
    "overdue",
    "days_overdue",
    "due_soon",
    "measure",
    "evidence",
    "notes",
    "last_updated",
    "last_updated_by",
)
OPEN = ("not_started", "in_progress", "blocked")
FORMULA = ("=", "+", "-", "@", "\t", "\r")

SELECT = (
    "SELECT p.key, p.authority, r.ref, r.title, a.ref, a.description, a.owner, a.partner,"
    " a.start, a.deadline, a.original_deadline, a.status, a.progress, a.measure, a.evidence,"
    " a.notes, a.updated_at, a.updated_by"
    ' FROM action a JOIN "plan" p ON p.id = a.plan_id JOIN recommendation r'
    " ON r.id = a.recommendation_id"
)


def _n(cell: str | None) -> str:
    if not cell:
        return ""
    return "'" + cell if cell.startswith(FORMULA) else cell


def export(path: str, today: date, *, overdue: bool) -> None:
    conn = sqlite3.connect(path)
    sql = SELECT
    params: tuple[str, ...] = ()
    if overdue:
        sql += " WHERE a.status IN ('not_started', 'in_progress', 'blocked') AND a.deadline < ?"
        params = (today.isoformat(),)
    sql += " ORDER BY a.order_key"
    as_of = today.isoformat()
    red_before = today - timedelta(days=30)
    soon = today + timedelta(days=14)
    out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for (
        plan,
        authority,
        rec,
        rec_title,
        ref,
        description,
        owner,
        partner,
        start,
        deadline_text,
        original,
        status,
        progress,
        measure,
        evidence,
        notes,
        updated_at,
        updated_by,
    ) in conn.execute(sql, params):
        deadline = date.fromisoformat(deadline_text)
        is_open = status in OPEN
        late = (today - deadline).days if is_open and deadline < today else 0
        if status == "complete":
            rag = "BLUE"
        elif status == "cancelled":
            rag = ""
        elif status == "blocked" or deadline < red_before:
            rag = "RED"
        elif late or (status == "not_started" and deadline <= soon):
            rag = "AMBER"
        else:
            rag = "GREEN"
        writer.writerow(
            (
                as_of,
                _n(plan),
                _n(authority),
                _n(rec),
                _n(rec_title),
                _n(ref),
                _n(description),
                _n(owner),
                _n(partner),
                start or "",
                deadline_text,
                original or "",
                status,
                progress,
                rag,
                "yes" if late else "no",
                late,
                "yes" if is_open and today <= deadline <= soon else "no",
                _n(measure),
                _n(evidence),
                _n(notes),
                f"{updated_at[:10]}T{updated_at[11:19]}Z",
                _n(updated_by),
            )
        )
    out.flush()
    out.detach()


_PARTS = re.compile(r"(\d+)")


def _sort_key(ref: str) -> str:
    parts = [p.zfill(12) if p.isdigit() else p.casefold() for p in _PARTS.split(ref) if p]
    return "".join(parts) + "\x01" + ref


def load(plan_file: str, store: str, schema_file: str) -> None:
    with open(plan_file, "rb") as handle:
        data = tomllib.load(handle)
    now = datetime(2026, 11, 25, 10, 0, 0).isoformat(" ")
    conn = sqlite3.connect(store, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("BEGIN IMMEDIATE")
    with open(schema_file, encoding="utf-8") as handle:
        for statement in handle.read().split(";\n"):
            if statement.strip():
                conn.execute(statement)
    plan = data["plan"]
    key = plan["key"]
    plan_id = conn.execute(
        'INSERT INTO "plan" (key, sort_key, authority, title, inspection_type, framework,'
        " inspection_start, inspection_end, published, plan_due, overall_judgement, source,"
        " imported_at, imported_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            key,
            _sort_key(key),
            plan["authority"],
            plan["title"],
            plan.get("inspection_type"),
            plan.get("framework"),
            plan.get("inspection_start"),
            plan.get("inspection_end"),
            plan.get("published"),
            plan.get("plan_due"),
            plan.get("overall_judgement"),
            plan_file,
            now,
            "floor",
        ),
    ).lastrowid
    conn.executemany(
        "INSERT INTO judgement (plan_id, position, area, grade) VALUES (?,?,?,?)",
        [(plan_id, i, j["area"], j["grade"]) for i, j in enumerate(data.get("judgements", []))],
    )
    plan_sort = _sort_key(key)
    rows = []
    for position, rec in enumerate(data["recommendations"], start=1):
        rec_sort = _sort_key(rec["ref"])
        rec_id = conn.execute(
            "INSERT INTO recommendation (plan_id, ref, sort_key, position, title, text, area)"
            " VALUES (?,?,?,?,?,?,?)",
            (
                plan_id,
                rec["ref"],
                rec_sort,
                position,
                rec["title"],
                rec.get("text"),
                rec.get("area"),
            ),
        ).lastrowid
        for a in rec.get("actions", []):
            action_sort = _sort_key(a["ref"])
            rows.append(
                (
                    plan_id,
                    rec_id,
                    a["ref"],
                    action_sort,
                    rec_sort,
                    f"{plan_sort}\x02{rec_sort}\x02{action_sort}",
                    a["description"],
                    a["owner"],
                    a.get("partner"),
                    a.get("start"),
                    a["deadline"],
                    a.get("original_deadline"),
                    a["status"],
                    a.get("progress", 100 if a["status"] == "complete" else 0),
                    a.get("measure"),
                    a.get("evidence"),
                    a.get("notes"),
                    1 if a.get("original_deadline") else 0,
                    1,
                    now,
                    now,
                    "floor",
                )
            )
    conn.executemany(
        "INSERT INTO action (plan_id, recommendation_id, ref, sort_key, rec_sort_key, order_key,"
        " description, owner, partner, start, deadline, original_deadline, status, progress,"
        " measure, evidence, notes, revisions, version, created_at, updated_at, updated_by)"
        " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        rows,
    )
    conn.execute("COMMIT")
    conn.close()


def main(argv: list[str]) -> int:
    if argv[0] == "export":
        today = date.fromisoformat(argv[2])
        export(argv[1], today, overdue="--overdue" in argv)
        return 0
    if argv[0] == "import":
        load(argv[1], argv[2], argv[3])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
