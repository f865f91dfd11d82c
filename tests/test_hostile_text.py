"""Plan text is data: markup, escape sequences and control characters never act on a terminal
or a spreadsheet, and any text survives the CSV snapshot and the plan file unchanged.

Property tests (hypothesis): arbitrary Unicode through the CSV snapshot and through the
plan TOML (with hostile refs and text), and the rules over the whole calendar.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import string
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from conftest import TODAY
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tracker import cli
from tracker.domain.dates import DateError, parse_date
from tracker.domain.errors import PlanFileError
from tracker.domain.records import ActionChanges, ActionRow
from tracker.domain.rules import (
    OPEN_STATUSES,
    STATUSES,
    Rag,
    RuleSettings,
    days_overdue,
    is_due_soon,
    is_overdue,
    rag,
)
from tracker.domain.text import is_blank
from tracker.formats.plan_toml import (
    ActionData,
    PlanData,
    RecommendationData,
    dump_plan,
    parse_plan_text,
)
from tracker.formats.snapshot import COLUMNS, neutralise, write_snapshot
from tracker.storage.store import Store

MARKUP = "[bold red]URGENT[/bold red] [link=https://x.example]click[/link]"
ANSI = "\x1b[31mred\x1b[0m"
OSC_LINK = "\x1b]8;;https://evil.example\x1b\\here\x1b]8;;\x1b\\"
TITLE = "\x1b]0;pwned\x07"
CONTROLS = "bell\x07 back\x08space del\x7f c1\x9b31m nul-free \u202eoverride\u202c"
HOSTILE = f"{MARKUP} {ANSI} {OSC_LINK} {TITLE} {CONTROLS}"

# What must never reach a terminal: ESC, BEL, other C0 controls but newline, DEL, C1 and
# the bidirectional overrides that reorder what a line shows.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _hostile_plan() -> PlanData:
    def action(ref: str, **extra: object) -> ActionData:
        values: dict[str, object] = {
            "ref": ref,
            "description": f"{HOSTILE}\nsecond line {ANSI}",
            "owner": f"{ANSI}Owner {MARKUP}",
            "deadline": date(2026, 10, 1),
            "status": "in_progress",
            "progress": 10,
            "partner": OSC_LINK,
            "measure": TITLE + "measure",
            "evidence": CONTROLS,
            "notes": '=HYPERLINK("https://evil.example")',
        }
        values.update(extra)
        return ActionData(**values)  # type: ignore[arg-type]

    return PlanData(
        key="hostile",
        authority=f"{ANSI}Council {MARKUP}",
        title=f"Plan {OSC_LINK}",
        recommendations=[
            RecommendationData(
                ref="R1",
                title=f"{TITLE}Recommendation [red]one[/red]",
                actions=[action("R1.1"), action("[b]R1.2[/b]", status="not_started")],
            )
        ],
    )


@pytest.fixture
def hostile_url(empty_store: Store, db_url: str) -> str:
    empty_store.import_plans([("hostile.toml", _hostile_plan())], user=f"{ANSI}importer")
    empty_store.update_action(
        "hostile:R1.1",
        ActionChanges(owner=f"{TITLE}New owner [i]x[/i]", note=f"note {ANSI} {MARKUP}"),
        user="lead",
    )
    return db_url


def _run(url: str, capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(["--db", url, *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    "argv",
    [
        ["list"],
        ["overdue"],
        ["list", "--search", "URGENT"],
        ["plans"],
        ["show", "hostile:R1.1"],
        ["show", "hostile:[b]R1.2[/b]"],
        ["update", "hostile:R1.1", "--evidence", f"{ANSI}{MARKUP}", "--note", TITLE],
        ["update", "hostile:R1.1", "--owner", f"{OSC_LINK}x"],
    ],
    ids=lambda argv: "-".join(argv[:2]),
)
def test_terminal_output_never_carries_escapes(
    argv: list[str], hostile_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(hostile_url, capsys, *argv)
    assert status == 0, err
    assert err == ""
    assert not RAW_CONTROL.search(out), repr(RAW_CONTROL.search(out))
    assert "\x1b" not in out


def test_markup_is_shown_as_it_was_written(
    hostile_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _, out, _ = _run(hostile_url, capsys, "show", "hostile:R1.1")
    assert MARKUP in out
    assert "Recommendation [red]one[/red]" in out
    assert "red" in out  # the text of an escape sequence stays, only the sequence goes
    assert "New owner [i]x[/i]" in out
    assert "second line" in out.split("Description:")[1].split("Owner:")[0]
    _, listed, _ = _run(hostile_url, capsys, "list")
    assert "hostile:[b]R1.2[/b]" in listed


def test_error_messages_never_carry_escapes(
    hostile_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(hostile_url, capsys, "show", f"hostile:{ANSI}{TITLE}")
    assert status == 1
    assert out == ""
    assert err.startswith("tracker: error: ")
    assert not RAW_CONTROL.search(err)


def test_json_output_escapes_control_characters(
    hostile_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """JSON is for programs: the text is kept whole, its control characters \\u-escaped."""
    import json

    for argv in (["list", "--format", "json"], ["show", "hostile:R1.1", "--format", "json"]):
        status, out, _ = _run(hostile_url, capsys, *argv)
        assert status == 0
        assert not RAW_CONTROL.search(out)  # ESC, BEL, DEL, C1... are all \\u-escaped
        data = json.loads(out)
        item = data if isinstance(data, dict) else data[-1]
        assert item["description"] == f"{HOSTILE}\nsecond line {ANSI}"
        assert item["evidence"] == CONTROLS  # DEL and the 8-bit CSI come back whole


def test_every_json_output_escapes_del_and_c1_controls(
    hostile_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    for argv in (
        ["plans", "--format", "json"],
        ["overdue", "--format", "json"],
        ["changes", "--since", "2000-01-01", "--format", "json"],
    ):
        status, out, _ = _run(hostile_url, capsys, *argv)
        assert status == 0, argv
        assert not RAW_CONTROL.search(out), argv
        assert json.loads(out), argv


def _read_csv(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def test_export_neutralises_formulas_and_keeps_text_whole(
    hostile_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "snapshot.csv"
    status, _, _ = _run(hostile_url, capsys, "export", "--output", str(target))
    assert status == 0
    rows = _read_csv(target.read_bytes().decode("utf-8"))
    first = next(r for r in rows if r["action"] == "R1.1")
    assert first["notes"] == '\'=HYPERLINK("https://evil.example")'
    assert first["description"] == f"{HOSTILE}\nsecond line {ANSI}"  # data, kept whole
    assert first["owner"] == f"{TITLE}New owner [i]x[/i]"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_through_an_update(
    start: str, one_plan_store: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    address = "staffordshire-2024-ilacs:R1.3"
    evidence = f'{start}SUM(A1:A9), "quoted"\r\nnext line'
    one_plan_store.update_action(address, ActionChanges(evidence=evidence), user="lead")
    status, out, _ = _run(db_url, capsys, "export", "--plan", "staffordshire-2024-ilacs")
    assert status == 0
    row = next(r for r in _read_csv(out) if r["action"] == "R1.3")
    assert row["evidence"] == "'" + evidence


# --- properties -----------------------------------------------------------------------------

# Any character but surrogates (not text) and NUL (refused on the way in).
_ANY = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_NASTY = st.sampled_from(
    ["\x1b[31m", "\x1b]0;t\x07", "[bold]", "[/]", "\r\n", "\r", "\n", '"', ",", "'", "=", "\t"]
)
_TEXT = st.lists(st.one_of(_ANY, _NASTY), min_size=1, max_size=30).map("".join)


def _row(text: str, owner: str) -> ActionRow:
    return ActionRow(
        id=1,
        plan_key="p",
        authority=text,
        rec_ref="R1",
        rec_title=owner,
        ref="R1.1",
        description=text,
        owner=owner,
        partner=None,
        start=None,
        deadline=TODAY,
        original_deadline=None,
        status="in_progress",
        progress=50,
        measure=text,
        evidence=None,
        notes=text,
        revisions=0,
        version=1,
        updated_at=datetime(2026, 11, 25, 10, 0, 0),
        updated_by="u",
    )


@hyp_settings(max_examples=300, deadline=None)
@given(text=_TEXT, owner=_TEXT)
def test_any_text_survives_the_csv_snapshot(text: str, owner: str) -> None:
    """Read back with any CSV reader, a cell is the text itself, with `'` before a formula."""
    buffer = io.StringIO(newline="")
    write_snapshot([_row(text, owner)], RuleSettings(today=TODAY), buffer)
    rows = _read_csv(buffer.getvalue())
    assert len(rows) == 1
    assert list(rows[0]) == list(COLUMNS)
    for column in ("authority", "description", "measure", "notes"):
        assert rows[0][column] == neutralise(text)
    assert rows[0]["owner"] == rows[0]["recommendation_title"] == neutralise(owner)
    if not text.startswith(("=", "+", "-", "@", "\t", "\r")):
        assert rows[0]["description"] == text


@pytest.fixture(scope="module")
def round_trip_store() -> object:
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'csv.db'}")
        store.import_plans(
            [
                (
                    "rt.toml",
                    PlanData(
                        key="rt",
                        authority="A",
                        title="T",
                        recommendations=[
                            RecommendationData(
                                ref="R1",
                                title="t",
                                actions=[
                                    ActionData(
                                        ref="R1.1",
                                        description="d",
                                        owner="o",
                                        deadline=TODAY,
                                        status="in_progress",
                                        progress=0,
                                    )
                                ],
                            )
                        ],
                    ),
                )
            ],
            user="seed",
        )
        yield store
        store.close()


@hyp_settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=_TEXT)
def test_any_text_survives_the_store_and_the_export_command(
    text: str, round_trip_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    round_trip_store.update_action("rt:R1.1", ActionChanges(evidence=text), user="u")
    capsys.readouterr()
    assert cli.main(["--db", str(round_trip_store.location), "export"]) == 0
    rows = _read_csv(capsys.readouterr().out)
    stored = round_trip_store.get_action("rt:R1.1").evidence
    assert stored == text
    assert rows[0]["evidence"] == neutralise(text)


# Refs a user might type, hostile ones included: printable, no ':', single inner spaces.
_REF_CHAR = st.characters(
    blacklist_categories=("Cs", "Cc", "Cf", "Co", "Cn", "Zl", "Zp", "Zs"),
    blacklist_characters=":",
)
_REF = st.one_of(
    st.lists(_REF_CHAR, min_size=1, max_size=12).map("".join),
    st.sampled_from(["[bold]R1[/bold]", "R1.10", "R1.2", "[link=x]R[/link]", "=SUM(1)", "-1"]),
)
_FIELD = _TEXT.filter(lambda s: not is_blank(s))  # zero-width alone is blank too


@st.composite
def _plans(draw: st.DrawFn) -> PlanData:
    refs = draw(st.lists(_REF, min_size=2, max_size=8, unique=True))
    rec_ref, action_refs = refs[0], refs[1:]
    actions = []
    for ref in action_refs:
        deadline = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)))
        status = draw(st.sampled_from(STATUSES))
        actions.append(
            ActionData(
                ref=ref,
                description=draw(_FIELD),
                owner=draw(_FIELD.filter(lambda s: len(s) <= 300)),
                deadline=deadline,
                status=status,
                progress=100 if status == "complete" else draw(st.integers(0, 100)),
                start=draw(st.none() | st.dates(min_value=date(1900, 1, 1), max_value=deadline)),
                evidence=draw(st.none() | _FIELD),
                notes=draw(st.none() | _FIELD),
            )
        )
    return PlanData(
        key=draw(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)),
        authority=draw(_FIELD),
        title=draw(_FIELD),
        recommendations=[
            RecommendationData(ref=rec_ref, title=draw(_FIELD), actions=actions),
        ],
    )


@hyp_settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=_plans())
def test_any_plan_text_survives_the_plan_file(plan: PlanData) -> None:
    """dump_plan then parse: the same plan, whatever markup, escapes or quotes it holds."""
    text = dump_plan(plan)
    try:
        again = parse_plan_text(text, name="p.toml", default_key="unused")
    except PlanFileError as exc:  # pragma: no cover - shown when the property fails
        pytest.fail("\n".join(exc.problems))
    assert again == plan
    assert dump_plan(again) == text
    assert "\x1b" not in text  # control characters are written as \u escapes


def test_a_ref_with_an_escape_is_refused() -> None:
    text = dump_plan(
        PlanData(
            key="k",
            authority="A",
            title="T",
            recommendations=[RecommendationData(ref="R\x1b[2J1", title="t")],
        )
    )
    with pytest.raises(PlanFileError, match=r"recommendations\[1\]\.ref: .*control characters"):
        parse_plan_text(text, name="p.toml", default_key="k")


_DAY = st.dates(min_value=date.min, max_value=date.max)


@hyp_settings(max_examples=500)
@given(
    today=_DAY,
    deadline=_DAY,
    status=st.sampled_from(STATUSES),
    due_soon_days=st.integers(0, 3650),
    tolerance_days=st.integers(0, 3650),
)
def test_the_rules_hold_on_any_dates(
    today: date, deadline: date, status: str, due_soon_days: int, tolerance_days: int
) -> None:
    """Over the whole calendar: the product's rules, and never an exception."""
    rules = RuleSettings(today=today, due_soon_days=due_soon_days, tolerance_days=tolerance_days)
    is_open = status in OPEN_STATUSES
    late = days_overdue(status, deadline, today)
    assert is_overdue(status, deadline, today) == (is_open and deadline < today)
    assert late == ((today - deadline).days if is_open and deadline < today else 0)
    assert late >= 0
    soon = is_due_soon(status, deadline, rules)
    assert soon == (is_open and 0 <= (deadline - today).days <= due_soon_days)
    assert not (soon and late)
    rating = rag(status, deadline, rules)
    if status == "complete":
        assert rating is Rag.BLUE
    elif status == "cancelled":
        assert rating is None
    elif status == "blocked" or late > tolerance_days:
        assert rating is Rag.RED
    elif late > 0 or (status == "not_started" and soon):
        assert rating is Rag.AMBER
    else:
        assert rating is Rag.GREEN


@given(today=_DAY, deadline=_DAY)
def test_on_the_deadline_day_nothing_is_overdue_and_the_next_day_it_is(
    today: date, deadline: date
) -> None:
    assert not is_overdue("in_progress", today, today)
    if deadline < date.max:
        assert days_overdue("in_progress", deadline, deadline + timedelta(days=1)) == 1


@given(
    today=_DAY,
    amount=st.integers(0, 9999),
    unit=st.sampled_from("dwmy"),
    sign=st.sampled_from("+-"),
)
def test_a_relative_date_is_a_date_or_a_clear_error(
    today: date, amount: int, unit: str, sign: str
) -> None:
    typed = f"{sign}{amount}{unit}"
    try:
        parsed = parse_date(typed, today_=today)
    except DateError as exc:
        message = str(exc)
    else:
        assert (parsed >= today) if sign == "+" else (parsed <= today)
        return
    assert message == f"{typed!r} is beyond the calendar (years 1 to 9999)" or (
        message.startswith(f"{typed!r} is ")
        and message.endswith(": a date must be in the years 1900 to 2199")
    )


@given(text=st.text(alphabet=string.printable + "/-. ", max_size=25))
def test_any_typed_date_is_a_date_or_a_clear_error(text: str) -> None:
    with contextlib.suppress(DateError):
        parse_date(text, today_=TODAY)


class _Terminal(io.TextIOWrapper):
    """Standard output as a terminal: what a person sees, byte for byte."""

    def __init__(self) -> None:
        super().__init__(io.BytesIO(), encoding="utf-8", newline="")

    def isatty(self) -> bool:
        return True

    def shown(self) -> str:
        self.flush()
        raw = self.buffer
        assert isinstance(raw, io.BytesIO)
        return raw.getvalue().decode("utf-8")


@pytest.mark.parametrize(
    "argv",
    [
        ["export"],
        ["list", "--format", "csv"],
        ["export-plan", "hostile"],
        ["changes", "--since", "2000-01-01", "--format", "csv"],
    ],
)
def test_csv_and_toml_on_a_terminal_carry_no_escape_sequences(
    hostile_url: str, argv: list[str]
) -> None:
    """On a terminal the escapes are taken out; into a file or a pipe the text stays whole."""
    terminal = _Terminal()
    assert cli.main(["--db", hostile_url, *argv], out=terminal) == 0
    shown = terminal.shown()
    assert "URGENT" in shown or "importer" in shown or "New owner" in shown
    assert not RAW_CONTROL.search(shown.replace("\r\n", "\n"))
    piped = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", newline="")
    assert cli.main(["--db", hostile_url, *argv], out=piped) == 0
    piped.flush()
    assert isinstance(piped.buffer, io.BytesIO)
    assert RAW_CONTROL.search(piped.buffer.getvalue().decode("utf-8"))  # kept whole
