"""Deterministic synthetic data for the benchmark: plan files, stores and Taskwarrior tasks.

For each size N it writes, under bench/data/:

- `plan-N.toml`: one plan file of N actions (what `tracker import` is timed on);
- `store-N.db`: a tracker store of N actions spread over many plans of 60-240 actions,
  several recommendations each and a few dozen owners (what the read commands are timed on);
- `tasks-N.json`: the same actions as Taskwarrior tasks (project = plan), each due at the
  last second of its deadline day in local time, moved by the gap between the pinned
  today and the real one. Taskwarrior judges +OVERDUE (due before now) by the real clock,
  so its overdue tasks are exactly tracker's: open, deadline strictly before today.
  Made again when the real date or the time zone changes (`tasks-N.json.clock`).

About a fifth of the actions are overdue at the pinned today (2026-11-25 unless --today or
TRACKER_TODAY says otherwise, read day first as tracker reads dates). Field sizes follow
the sample plans: descriptions of 100-300 characters, measures, evidence and notes on most
actions, now and then a cell that begins with `=` or `-` so the CSV neutralising is
exercised.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
DEFAULT_TODAY = "2026-11-25"
SIZES = (1_000, 10_000, 100_000)
MILLION = 1_000_000
# About 560 bytes an action: beyond this a plan file passes tracker's 200 MB limit.
MAX_PLAN_FILE_ACTIONS = 300_000

AUTHORITIES = [
    "Staffordshire",
    "Stoke-on-Trent",
    "Derbyshire",
    "Nottinghamshire",
    "Leicestershire",
    "Shropshire",
    "Telford and Wrekin",
    "Cheshire East",
    "Birmingham",
    "Sandwell",
    "Walsall",
    "Wolverhampton",
    "Dudley",
    "Coventry",
    "Warwickshire",
    "Worcestershire",
    "Herefordshire",
    "Lincolnshire",
    "Norfolk",
    "Suffolk",
    "Essex",
    "Kent",
    "Surrey",
    "Devon",
    "Cornwall",
    "Cumberland",
    "Northumberland",
    "Durham",
    "Sunderland",
    "Leeds",
]
KINDS = ["County Council", "City Council", "Metropolitan Borough Council", "Council"]
FRAMEWORKS = [("ILACS standard inspection", "ILACS"), ("Focused visit", "ILACS"), ("JTAI", "JTAI")]
GRADES = ["Good", "Requires improvement to be good", "Inadequate", "Outstanding"]
AREAS = [
    "Impact of leaders on social work practice with children and families",
    "The experiences and progress of children who need help and protection",
    "The experiences and progress of children in care",
    "The experiences and progress of care leavers",
]
TOPICS = [
    "Front door management oversight",
    "Quality of assessments",
    "Child protection planning",
    "Permanence planning for children in care",
    "Pathway plans for care leavers",
    "Supervision and management oversight",
    "Workforce stability and caseloads",
    "Private fostering arrangements",
    "Disabled children's services",
    "Return home interviews",
    "Sufficiency of placements",
    "Voice of the child in plans",
]
OWNERS = [
    "Director of Children's Services",
    "Assistant Director, Children's Social Care",
    "Assistant Director, Early Help",
    "Head of Service, Front Door",
    "Head of Service, Children in Care",
    "Head of Service, Care Leavers",
    "Head of Service, Quality Assurance",
    "Head of Service, Disabled Children",
    "Principal Social Worker",
    "Team Manager, First Response",
    "Team Manager, Assessment",
    "Team Manager, Fostering",
    "Team Manager, Leaving Care",
    "Service Manager, Safeguarding",
    "Service Manager, Permanence",
    "Independent Reviewing Service Manager",
    "Workforce Development Lead",
    "Performance and Intelligence Manager",
    "Commissioning Manager, Placements",
    "Designated Nurse for Looked After Children",
    "Virtual School Head",
    "Head of HR Business Partnering",
    "Chair of the Safeguarding Partnership",
    "Quality Assurance Manager",
    "Practice Improvement Lead",
    "Lead Member for Children",
    "Strategic Lead, Exploitation",
    "Participation and Engagement Officer",
]
PARTNERS = [
    "Police safeguarding lead",
    "Integrated Care Board",
    "Human Resources",
    "Education and Skills",
    "Youth Justice Service",
    None,
    None,
]
VERBS = [
    "Implement",
    "Embed",
    "Review and relaunch",
    "Audit",
    "Strengthen",
    "Introduce",
    "Deliver",
    "Monitor",
]
OBJECTS = [
    "the revised supervision policy across all front door teams",
    "management decisions on every contact and referral within 24 hours",
    "a monthly multi-agency audit of strategy discussions",
    "the practice standards for assessments and child protection plans",
    "training on contextual safeguarding for all practitioners",
    "a permanence tracking panel chaired by the Head of Service",
    "pathway plans co-produced with every care leaver",
    "the recruitment and retention strategy for qualified social workers",
    "the quality assurance framework and its learning loop",
    "direct work tools that capture the child's wishes and feelings",
]
TAILS = [
    "with compliance reported to the Children's Improvement Board each month",
    "recording the rationale and next steps on the child's file",
    "so that caseloads stay within the agreed limit of 18 children",
    "and report exceptions to the Director of Children's Services",
    "with findings shared at the quarterly practice week",
    "",
]
MEASURES = [
    "At least 90% of practitioners receive supervision within policy timescales.",
    "95% of referrals have a management decision recorded within 24 hours.",
    "Audit grades of good or better rise to 70% by the end of the year.",
    "Every eligible care leaver has an up-to-date pathway plan.",
    "Agency staff below 15% of the qualified workforce.",
    None,
]
EVIDENCE = [
    "Monthly compliance reports to the Children's Improvement Board.",
    "Audit reports and the quality assurance framework's quarterly summary.",
    "Performance dashboard extracts; minutes of the permanence panel.",
    "-5% variance noted in the last dashboard; remedial plan agreed.",
    None,
    None,
]
NOTES = [
    "Relaunched at the DCS-led staff briefings; compliance sustained since.",
    "Delayed by recruitment; interim cover in place from agency staff.",
    "=SUM(A1:A9) was pasted here by mistake in an earlier spreadsheet version.",
    "Progress reviewed at the improvement board; on track for the revised date.",
    None,
    None,
    None,
]


class TodayError(ValueError):
    """The pinned today cannot be read; the message names where it came from."""


def pinned_today(text: str | None) -> date:
    """--today, else TRACKER_TODAY, else the default, read as tracker reads dates (day first)."""
    from tracker.domain.dates import DateError, parse_date

    env = os.environ.get("TRACKER_TODAY", "").strip()
    if text is not None:
        source, raw = "--today", text
    elif env:
        source, raw = "TRACKER_TODAY", env
    else:
        source, raw = "the default today", DEFAULT_TODAY
    try:
        return parse_date(raw, today_=date.today())
    except DateError as exc:
        raise TodayError(f"{source}: {exc}") from None


def _sentence(rng: random.Random) -> str:
    tail = rng.choice(TAILS)
    return f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}{', ' + tail if tail else ''}."


def _action(rng: random.Random, ref: str, today: date) -> dict[str, object]:
    """One action's fields; about a fifth are open and past their deadline."""
    u = rng.random()
    if u < 0.20:
        status = rng.choice(("not_started", "in_progress", "in_progress", "blocked"))
        deadline = today - timedelta(days=rng.randint(1, 400))
    elif u < 0.45:
        status = "complete"
        deadline = today - timedelta(days=rng.randint(-200, 600))
    elif u < 0.50:
        status = "cancelled"
        deadline = today + timedelta(days=rng.randint(-300, 300))
    else:
        status = rng.choice(("not_started", "in_progress", "in_progress", "in_progress"))
        deadline = today + timedelta(days=rng.randint(0, 500))
    progress = (
        100 if status == "complete" else (0 if status == "not_started" else rng.randint(5, 95))
    )
    description = _sentence(rng)
    if rng.random() < 0.5:
        description += " " + _sentence(rng)
    action: dict[str, object] = {
        "ref": ref,
        "description": description,
        "owner": rng.choice(OWNERS),
    }
    partner = rng.choice(PARTNERS)
    if partner:
        action["partner"] = partner
    if rng.random() < 0.7:
        action["start"] = deadline - timedelta(days=rng.randint(30, 300))
    action["deadline"] = deadline
    if rng.random() < 0.15:
        action["original_deadline"] = deadline - timedelta(days=rng.randint(30, 120))
    action["status"] = status
    action["progress"] = progress
    for key, pool in (("measure", MEASURES), ("evidence", EVIDENCE), ("notes", NOTES)):
        value = rng.choice(pool)
        if value:
            action[key] = value
    return action


def _plan(rng: random.Random, index: int, actions: int, today: date) -> dict[str, object]:
    """One plan with `actions` actions, 4-12 per recommendation."""
    place = AUTHORITIES[index % len(AUTHORITIES)]
    kind = KINDS[index % len(KINDS)]
    year = 2022 + index % 5
    inspection_type, framework = FRAMEWORKS[index % len(FRAMEWORKS)]
    key = f"{place.lower().replace(' ', '-')}-{year}-{index:06d}"
    recs = []
    done = 0
    r = 0
    while done < actions:
        r += 1
        n = min(rng.randint(4, 12), actions - done)
        recs.append(
            {
                "ref": f"R{r}",
                "title": rng.choice(TOPICS),
                "text": f"The quality of {rng.choice(TOPICS).lower()} is not consistently good.",
                "area": rng.choice(AREAS),
                "actions": [_action(rng, f"R{r}.{j}", today) for j in range(1, n + 1)],
            }
        )
        done += n
    start = date(year - 1, 10, 1) + timedelta(days=index % 60)
    return {
        "plan": {
            "key": key,
            "authority": f"{place} {kind}",
            "title": f"Children's Services Improvement Plan following the {inspection_type} "
            f"of {start:%B %Y}",
            "inspection_type": inspection_type,
            "framework": framework,
            "inspection_start": start,
            "inspection_end": start + timedelta(days=4),
            "published": start + timedelta(days=60),
            "overall_judgement": rng.choice(GRADES),
        },
        "judgements": [{"area": a, "grade": rng.choice(GRADES)} for a in AREAS],
        "recommendations": recs,
    }


def store_plans(n: int, today: date, seed: int = 5) -> Iterator[dict[str, object]]:
    """Plans of 60-240 actions adding up to exactly n actions."""
    rng = random.Random(seed * 1_000_003 + n)
    done = 0
    index = 0
    while done < n:
        size = min(rng.randint(60, 240), n - done)
        yield _plan(rng, index, size, today)
        done += size
        index += 1


# --- TOML -------------------------------------------------------------------------------


def _toml(value: object) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value))


def _pairs(table: dict[str, object]) -> str:
    return "".join(f"{k} = {_toml(v)}\n" for k, v in table.items() if not isinstance(v, list))


def plan_toml(plan: dict[str, object]) -> str:
    """The plan as a plan file in the format of docs/plan-format.md."""
    out = ["[plan]\n", _pairs(plan["plan"])]  # type: ignore[arg-type]
    for j in plan["judgements"]:  # type: ignore[attr-defined]
        out.append("\n[[judgements]]\n" + _pairs(j))
    for rec in plan["recommendations"]:  # type: ignore[attr-defined]
        out.append("\n[[recommendations]]\n" + _pairs(rec))
        for action in rec["actions"]:
            out.append("\n[[recommendations.actions]]\n" + _pairs(action))
    return "".join(out)


def write_plan_file(n: int, today: date, path: Path) -> None:
    rng = random.Random(7_000_001 + n)
    plan = _plan(rng, n, n, today)
    plan["plan"]["key"] = f"bench-import-{n}"  # type: ignore[index]
    path.write_text(plan_toml(plan), encoding="utf-8")


# --- store ------------------------------------------------------------------------------


def write_store(n: int, today: date, path: Path) -> None:
    """A tracker store built through tracker's own import, from plans made in memory."""
    from tracker.formats.plan_toml import parse_plan_text
    from tracker.storage.store import Store

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store.open(str(path))
    try:
        batch = []
        for plan in store_plans(n, today):
            key = plan["plan"]["key"]  # type: ignore[index]
            batch.append(
                (f"{key}.toml", parse_plan_text(plan_toml(plan), name=key, default_key=key))
            )
            if len(batch) >= 200:
                store.import_plans(batch, user="bench")
                batch = []
        if batch:
            store.import_plans(batch, user="bench")
    finally:
        store.close()


# --- Taskwarrior ------------------------------------------------------------------------

_TW_STATUS = {"complete": "completed", "cancelled": "deleted"}


def tasks_clock() -> str:
    """What the Taskwarrior tasks depend on besides the pinned today: the real date and zone."""
    return f"real today {date.today().isoformat()}, UTC offset {datetime.now().astimezone():%z}"


def task_due(deadline: date, shift: timedelta) -> str:
    """A Taskwarrior due time: the last second of the (shifted) deadline day, local time.

    Taskwarrior counts a task overdue once its due time has passed, so a task due on the
    last second of its deadline day is overdue from the next day on, as tracker's actions
    are (overdue = open and deadline strictly before today).
    """
    end = datetime.combine(deadline + shift, clock_time(23, 59, 59)).astimezone(UTC)
    return f"{end:%Y%m%dT%H%M%SZ}"


def write_tasks(n: int, today: date, path: Path) -> None:
    """The store's actions as Taskwarrior tasks, one JSON object a line, for `task import`."""
    shift = date.today() - today
    entry = datetime(2024, 1, 1, 9, 0, 0)
    with open(path, "w", encoding="utf-8") as out:
        i = 0
        for plan in store_plans(n, today):
            key = plan["plan"]["key"]  # type: ignore[index]
            for rec in plan["recommendations"]:  # type: ignore[attr-defined]
                for action in rec["actions"]:
                    i += 1
                    task = {
                        "uuid": f"00000000-0000-4000-8000-{i:012d}",
                        "description": f"{action['ref']} {action['description']}",
                        "project": key,
                        "status": _TW_STATUS.get(action["status"], "pending"),
                        "entry": f"{entry:%Y%m%dT%H%M%SZ}",
                        "due": task_due(action["deadline"], shift),
                        "tags": [action["status"]],
                    }
                    if task["status"] != "pending":
                        task["end"] = task["entry"]
                    out.write(json.dumps(task, ensure_ascii=False) + "\n")
    path.with_name(path.name + ".clock").write_text(tasks_clock(), encoding="utf-8")


def generate(
    sizes: list[int], today: date, *, data: Path = DATA, force: bool = False, quiet: bool = False
) -> None:
    """Make each size's files unless they are there already for this today."""
    data.mkdir(parents=True, exist_ok=True)
    stamp = data / f"today-{today.isoformat()}"
    if not stamp.exists():
        for old in data.glob("today-*"):
            old.unlink()
    for n in sizes:
        for name, make in (
            (f"plan-{n}.toml", write_plan_file),
            (f"store-{n}.db", write_store),
            (f"tasks-{n}.json", write_tasks),
        ):
            path = data / name
            current = path.exists() and stamp.exists() and not force
            if name.startswith("tasks-"):
                clock = path.with_name(path.name + ".clock")
                current = current and clock.exists() and clock.read_text() == tasks_clock()
            if current:
                continue
            if name.startswith("plan-") and n > MAX_PLAN_FILE_ACTIONS:
                continue  # larger than a plan file may be (200 MB): no import is timed
            started = time.perf_counter()
            make(n, today, path)
            if not quiet:
                print(f"  made {name} in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    stamp.touch()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--million", action="store_true", help="also 1,000,000 actions")
    parser.add_argument("--today", help=f"the pinned today (default {DEFAULT_TODAY})")
    parser.add_argument("--force", action="store_true", help="make the files again")
    parser.add_argument("--data", default=str(DATA), help=f"where to write (default {DATA})")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    sizes = list(args.sizes) + ([MILLION] if args.million else [])
    try:
        today = pinned_today(args.today)
    except TodayError as exc:
        parser.exit(2, f"{parser.prog}: {exc}\n")
    generate(sizes, today, data=Path(args.data), force=args.force, quiet=args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
