"""Plan files: every rule of plan-format.md with its exact message and place, and export-plan.

Messages read `FILE: PLACE: what is wrong`, places counted from 1. A bad file imports
nothing; several files go in together or not at all. A plan exported and imported again
comes back field for field the same (sample plans, and a property test over made-up plans).
"""

from __future__ import annotations

import string
import tempfile
from datetime import date
from pathlib import Path

import pytest
from conftest import sample_plan_files
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from tracker.domain.errors import PlanFileError
from tracker.domain.rules import STATUSES, natural_key
from tracker.domain.text import is_blank
from tracker.formats import plan_toml as plans
from tracker.formats.plan_toml import (
    GRADES,
    ActionData,
    JudgementData,
    PlanData,
    RecommendationData,
    check_unique_keys,
    dump_plan,
    load_plan_file,
    parse_plan_bytes,
    parse_plan_text,
)
from tracker.storage.store import Store

F = "plan.toml"

PLAN = """\
[plan]
key = "test-2024-ilacs"
authority = "Testshire County Council"
title = "Improvement plan"
"""

REC = """
[[recommendations]]
ref = "{ref}"
title = "Front door"
"""

ACTION = """
[[recommendations.actions]]
ref = "{ref}"
description = "Audit supervision"
owner = "Head of Service"
deadline = 2024-06-30
status = "in_progress"
"""


def good(*extra: str) -> str:
    """A valid plan of two recommendations with two actions each, plus `extra` text."""
    return (
        PLAN
        + REC.format(ref="R1")
        + ACTION.format(ref="R1.1")
        + ACTION.format(ref="R1.2")
        + REC.format(ref="R2")
        + ACTION.format(ref="R2.1")
        + ACTION.format(ref="R2.2")
        + "".join(extra)
    )


def problems(text: str) -> list[str]:
    """The problems a plan's text has; fails the test if it has none."""
    with pytest.raises(PlanFileError) as caught:
        parse_plan_text(text, name=F, default_key="plan")
    return caught.value.problems


def with_action_line(line: str, *, drop: str | None = None, at: int = 4) -> str:
    """The good plan with `line` added to (or `drop` removed from) its `at`-th action."""
    text = good()
    parts = text.split("[[recommendations.actions]]\n")
    body = parts[at]
    if drop is not None:
        body = "\n".join(x for x in body.split("\n") if not x.startswith(f"{drop} ="))
    parts[at] = line + "\n" + body
    return "[[recommendations.actions]]\n".join(parts)


# --- a good plan --------------------------------------------------------------------------


def test_a_good_plan_reads_every_field() -> None:
    plan = parse_plan_text(good(), name=F, default_key="plan")
    assert plan.key == "test-2024-ilacs"
    assert plan.authority == "Testshire County Council"
    assert [r.ref for r in plan.recommendations] == ["R1", "R2"]
    assert [a.ref for a in plan.recommendations[1].actions] == ["R2.1", "R2.2"]
    action = plan.recommendations[0].actions[0]
    assert action.deadline == date(2024, 6, 30)
    assert action.status == "in_progress"
    assert action.progress == 0
    assert action.partner is None
    assert plan.judgements == []


def test_the_key_defaults_to_the_file_name() -> None:
    text = good().replace('key = "test-2024-ilacs"\n', "")
    plan = parse_plan_text(text, name="x/derby-2023-jtai.toml", default_key="derby-2023-jtai")
    assert plan.key == "derby-2023-jtai"


def test_a_quoted_date_is_read_day_first() -> None:
    plan = parse_plan_text(
        with_action_line('start = "01/02/2024"', at=1).replace(
            "deadline = 2024-06-30", 'deadline = "23/04/2024"', 1
        ),
        name=F,
        default_key="plan",
    )
    action = plan.recommendations[0].actions[0]
    assert action.start == date(2024, 2, 1)
    assert action.deadline == date(2024, 4, 23)


def test_progress_absent_means_100_for_complete_and_0_for_others() -> None:
    text = with_action_line('status = "complete"', drop="status", at=1)
    plan = parse_plan_text(text, name=F, default_key="plan")
    assert plan.recommendations[0].actions[0].progress == 100
    assert plan.recommendations[0].actions[1].progress == 0


def test_judgements_are_read_in_order() -> None:
    text = good(
        '\n[[judgements]]\narea = "Overall effectiveness"\ngrade = "Good"\n'
        '\n[[judgements]]\narea = "Children in care"\ngrade = "Not graded"\n'
    )
    plan = parse_plan_text(text, name=F, default_key="plan")
    assert plan.judgements == [
        JudgementData("Overall effectiveness", "Good"),
        JudgementData("Children in care", "Not graded"),
    ]


# --- every rule, with its message and place ------------------------------------------------


@pytest.mark.parametrize(
    ("field", "place"),
    [("authority", "plan.authority"), ("title", "plan.title")],
)
def test_plan_authority_and_title_are_required(field: str, place: str) -> None:
    text = "\n".join(x for x in good().split("\n") if not x.startswith(f"{field} =")) + "\n"
    # the recommendations' titles are removed too when field is "title": count only the plan's
    found = problems(text)
    assert f"{F}: {place}: is required" in found


def test_a_missing_plan_table_is_reported() -> None:
    assert problems(REC.format(ref="R1")) == [f"{F}: plan: is required (a [plan] table)"]


@pytest.mark.parametrize("field", ["ref", "title"])
def test_recommendation_ref_and_title_are_required(field: str) -> None:
    text = good().replace(f'{field} = "{"R2" if field == "ref" else "Front door"}"\n', "", 1)
    if field == "title":
        # the first recommendation's title is the first `title = "Front door"` line
        assert problems(text) == [f"{F}: recommendations[1].title: is required"]
    else:
        assert problems(text) == [f"{F}: recommendations[2].ref: is required"]


@pytest.mark.parametrize("field", ["ref", "description", "owner", "deadline", "status"])
def test_action_required_fields(field: str) -> None:
    """The place names the action by its recommendation and its position, from 1."""
    text = with_action_line("", drop=field, at=3)  # the first action of the second rec
    assert problems(text) == [f"{F}: recommendations[2].actions[1].{field}: is required"]


def test_an_empty_required_text_is_refused() -> None:
    text = with_action_line('owner = "   "', drop="owner", at=2)
    assert problems(text) == [f"{F}: recommendations[1].actions[2].owner: must not be empty"]


def test_a_text_field_must_be_text() -> None:
    text = with_action_line("owner = 42", drop="owner", at=2)
    assert problems(text) == [
        f"{F}: recommendations[1].actions[2].owner: must be text, not a number"
    ]


def test_a_date_must_be_a_date() -> None:
    text = with_action_line("deadline = 20240630", drop="deadline", at=4)
    assert problems(text) == [
        f"{F}: recommendations[2].actions[2].deadline: "
        "must be a date such as 2024-04-23, not a number"
    ]


def test_a_date_with_a_time_is_refused() -> None:
    text = with_action_line("deadline = 2024-06-30T09:00:00", drop="deadline", at=1)
    assert problems(text) == [
        f"{F}: recommendations[1].actions[1].deadline: "
        "must be a date without a time, such as 2024-04-23"
    ]


def test_a_quoted_date_that_does_not_exist_is_refused() -> None:
    text = with_action_line('deadline = "31/02/2025"', drop="deadline", at=3)
    assert problems(text) == [
        f"{F}: recommendations[2].actions[1].deadline: '31/02/2025' is not a real date"
    ]


def test_a_relative_date_is_not_a_fixed_date_in_a_file() -> None:
    text = with_action_line('deadline = "+2w"', drop="deadline", at=3)
    assert problems(text) == [
        f"{F}: recommendations[2].actions[1].deadline: "
        "'+2w' is not a fixed date: write it as 2024-04-23 or 23/04/2024"
    ]


def test_start_must_not_be_after_the_deadline() -> None:
    text = with_action_line("start = 2024-07-01", at=2)
    assert problems(text) == [
        f"{F}: recommendations[1].actions[2].start: 2024-07-01 is after the deadline 2024-06-30"
    ]
    # on the deadline itself is fine
    parse_plan_text(with_action_line("start = 2024-06-30", at=2), name=F, default_key="plan")


def test_status_must_be_one_of_the_five_words() -> None:
    text = with_action_line('status = "done"', drop="status", at=4)
    assert problems(text) == [
        f"{F}: recommendations[2].actions[2].status: 'done' is not a status: use one of "
        "not_started, in_progress, blocked, complete, cancelled"
    ]


@pytest.mark.parametrize(
    ("line", "what"),
    [
        ("progress = 101", "101 is not between 0 and 100"),
        ("progress = -1", "-1 is not between 0 and 100"),
        ("progress = 50.5", "must be a whole number 0-100, not a decimal number"),
        ('progress = "50"', "must be a whole number 0-100, not text"),
        ("progress = true", "must be a whole number 0-100, not true/false"),
    ],
)
def test_progress_is_a_whole_number_0_to_100(line: str, what: str) -> None:
    text = with_action_line(line, at=1)
    assert problems(text) == [f"{F}: recommendations[1].actions[1].progress: {what}"]


def test_a_complete_action_has_progress_100() -> None:
    text = with_action_line('status = "complete"\nprogress = 80', drop="status", at=1)
    assert problems(text) == [
        f"{F}: recommendations[1].actions[1].progress: a complete action has progress 100, not 80"
    ]


def test_action_refs_are_unique_within_the_plan() -> None:
    text = good().replace('ref = "R2.2"', 'ref = "R1.1"')
    assert problems(text) == [
        f"{F}: recommendations[2].actions[2].ref: 'R1.1' is used twice "
        "(also at recommendations[1].actions[1].ref)"
    ]


def test_recommendation_refs_are_unique_within_the_plan() -> None:
    text = good().replace('ref = "R2"', 'ref = "R1"')
    assert problems(text) == [
        f"{F}: recommendations[2].ref: 'R1' is used twice (also at recommendations[1].ref)"
    ]


def test_a_ref_with_a_colon_is_refused() -> None:
    """A colon would make `PLAN-KEY:REF` ambiguous."""
    text = good().replace('ref = "R2.2"', 'ref = "R2:2"')
    assert problems(text) == [
        f"{F}: recommendations[2].actions[2].ref: "
        "'R2:2' must not contain ':', tabs, newlines, control characters or outer spaces"
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            with_action_line("dealine = 2024-06-30", at=3),
            "recommendations[2].actions[1].dealine: unknown key (did you mean 'deadline'?)",
        ),
        (
            PLAN.replace("[plan]\n", '[plan]\nauthorty = "x"\n') + REC.format(ref="R1"),
            "plan.authorty: unknown key (did you mean 'authority'?)",
        ),
        (good().replace('title = "Front door"', 'titel = "x"\ntitle = "y"', 1), None),
        (good("\n[extra]\nx = 1\n"), "extra: unknown key"),
    ],
)
def test_unknown_keys_are_errors(text: str, expected: str | None) -> None:
    found = problems(text)
    if expected is None:
        assert found == [f"{F}: recommendations[1].titel: unknown key (did you mean 'title'?)"]
    else:
        assert found == [f"{F}: {expected}"]


def test_a_grade_must_be_one_of_ofsteds_words() -> None:
    text = good('\n[[judgements]]\narea = "Overall effectiveness"\ngrade = "Great"\n')
    assert problems(text) == [
        f"{F}: judgements[1].grade: 'Great' is not a grade: use one of {', '.join(GRADES)}"
    ]


def test_every_problem_in_a_file_is_listed() -> None:
    text = (
        with_action_line("dealine = 2024-06-30", drop="deadline", at=3)
        .replace('status = "in_progress"', 'status = "done"', 1)
        .replace('authority = "Testshire County Council"\n', "")
    )
    assert problems(text) == [
        f"{F}: plan.authority: is required",
        f"{F}: recommendations[1].actions[1].status: 'done' is not a status: use one of "
        "not_started, in_progress, blocked, complete, cancelled",
        f"{F}: recommendations[2].actions[1].dealine: unknown key (did you mean 'deadline'?)",
        f"{F}: recommendations[2].actions[1].deadline: is required",
    ]


def test_a_toml_syntax_error_names_the_line() -> None:
    found = problems(PLAN + 'oops = "unclosed\n')
    assert len(found) == 1
    assert found[0].startswith(f"{F}: line 5, column ")
    assert "TOML syntax error" in found[0]


def test_an_empty_file_and_a_binary_file_are_refused() -> None:
    with pytest.raises(PlanFileError) as caught:
        parse_plan_bytes(b"  \n", name=F, default_key="plan")
    assert caught.value.problems == [f"{F}: the file is empty"]
    with pytest.raises(PlanFileError) as caught:
        parse_plan_bytes(b"\x00\x01binary", name=F, default_key="plan")
    assert caught.value.problems == [f"{F}: is a binary file, not a TOML plan"]


def test_a_file_that_is_not_utf8_names_the_line() -> None:
    data = good().encode("utf-8").replace(b"Head of Service", b"Head of Servi\xe7e", 1)
    with pytest.raises(PlanFileError) as caught:
        parse_plan_bytes(data, name=F, default_key="plan")
    assert caught.value.problems == [f"{F}: line 13: is not UTF-8 text (save the file as UTF-8)"]


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(tmp_path / "nope.toml", display="nope.toml")
    assert caught.value.problems == ["nope.toml: no such file"]


def test_a_bad_plan_key_is_refused() -> None:
    text = good().replace('key = "test-2024-ilacs"', 'key = "my plan!"')
    assert problems(text) == [
        f"{F}: plan.key: 'my plan!' is not a usable plan key: use letters, digits, '-', '_' or '.'"
    ]


def test_the_same_plan_key_twice_among_the_files_is_an_error() -> None:
    plan = parse_plan_text(good(), name=F, default_key="plan")
    with pytest.raises(PlanFileError) as caught:
        check_unique_keys([("a.toml", plan), ("b.toml", plan)])
    assert caught.value.problems == [
        "b.toml: plan.key: 'test-2024-ilacs' is also the key of a.toml"
    ]


# --- export-plan ---------------------------------------------------------------------------


def test_export_always_writes_key_and_judgements_and_leaves_out_empty_fields() -> None:
    text = good().replace('key = "test-2024-ilacs"\n', "")
    plan = parse_plan_text(text, name="derby.toml", default_key="derby")
    out = dump_plan(plan)
    assert 'key = "derby"' in out
    assert "judgements = []" in out
    assert "partner" not in out
    assert "original_deadline" not in out
    assert "deadline = 2024-06-30\n" in out  # a TOML date, not a string
    assert parse_plan_text(out, name="again.toml", default_key="other") == plan


def test_export_escapes_quotes_backslashes_and_control_characters() -> None:
    action = ActionData(
        ref="R1.1",
        description='Say "no" \\ twice\nthen\ttab \x01 and \x7f',
        owner="Head of Service",
        deadline=date(2024, 6, 30),
        status="in_progress",
        progress=10,
    )
    plan = PlanData(
        key="p",
        authority="A",
        title="T",
        recommendations=[RecommendationData(ref="R1", title="t", actions=[action])],
    )
    assert parse_plan_text(dump_plan(plan), name=F, default_key="x") == plan


@pytest.mark.parametrize("path", sample_plan_files(), ids=lambda p: p.name)
def test_every_sample_plan_round_trips_through_a_fresh_store(path: Path, tmp_path: Path) -> None:
    original = load_plan_file(path)
    first = Store.open(f"sqlite:///{tmp_path / 'first.db'}")
    second = Store.open(f"sqlite:///{tmp_path / 'second.db'}")
    try:
        first.import_plans([(path.name, original)], user="seed")
        stored = first.plan_data(original.key)
        exported = dump_plan(stored)
        again = parse_plan_text(exported, name="exported.toml", default_key="unused")
        second.import_plans([("exported.toml", again)], user="seed")
        assert second.plan_data(original.key) == stored
        assert stored == original
        assert dump_plan(second.plan_data(original.key)) == exported
    finally:
        first.close()
        second.close()


# Text a user may type: printable ASCII and any other character but surrogates and NUL,
# not blank, with no outer white space (a blank optional field is "absent").
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(string.printable),
        st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: not is_blank(s))  # zero-width characters alone are blank too
_OPTIONAL = st.none() | _TEXT
_DATE = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


@st.composite
def _actions(draw: st.DrawFn, rec_ref: str, count: int) -> list[ActionData]:
    out = []
    for i in range(1, count + 1):
        status = draw(st.sampled_from(STATUSES))
        deadline = draw(_DATE)
        start = draw(st.none() | st.dates(min_value=date(2000, 1, 1), max_value=deadline))
        progress = 100 if status == "complete" else draw(st.integers(0, 100))
        out.append(
            ActionData(
                ref=f"{rec_ref}.{i}",
                description=draw(_TEXT),
                owner=draw(_TEXT),
                deadline=deadline,
                status=status,
                progress=progress,
                partner=draw(_OPTIONAL),
                start=start,
                original_deadline=draw(st.none() | _DATE),
                measure=draw(_OPTIONAL),
                evidence=draw(_OPTIONAL),
                notes=draw(_OPTIONAL),
            )
        )
    return out


@st.composite
def _plans(draw: st.DrawFn) -> PlanData:
    recs = []
    for r in range(1, draw(st.integers(0, 4)) + 1):
        ref = f"R{r}"
        recs.append(
            RecommendationData(
                ref=ref,
                title=draw(_TEXT),
                text=draw(_OPTIONAL),
                area=draw(_OPTIONAL),
                actions=draw(_actions(ref, draw(st.integers(0, 4)))),
            )
        )
    judgements = draw(
        st.lists(st.builds(JudgementData, area=_TEXT, grade=st.sampled_from(GRADES)), max_size=3)
    )
    return PlanData(
        key=draw(st.from_regex(r"[a-z0-9][a-z0-9._-]{0,30}", fullmatch=True)),
        authority=draw(_TEXT),
        title=draw(_TEXT),
        inspection_type=draw(_OPTIONAL),
        framework=draw(_OPTIONAL),
        inspection_start=draw(st.none() | _DATE),
        inspection_end=None,
        published=draw(st.none() | _DATE),
        plan_due=draw(st.none() | _DATE),
        overall_judgement=draw(_OPTIONAL),
        judgements=judgements,
        recommendations=recs,
    )


@hyp_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=_plans())
def test_any_plan_round_trips_through_export_and_a_fresh_store(plan: PlanData) -> None:
    """Written out, read back and stored again, a plan comes back field for field the same."""
    assert all(
        [a.ref for a in r.actions] == sorted((a.ref for a in r.actions), key=natural_key)
        for r in plan.recommendations
    )
    text = dump_plan(plan)
    assert parse_plan_text(text, name=F, default_key="unused") == plan
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(f"sqlite:///{Path(folder) / 'rt.db'}")
        try:
            store.import_plans([(F, plan)], user="seed")
            stored = store.plan_data(plan.key)
        finally:
            store.close()
    assert stored == plan
    # export-plan adds each action's version (1: never changed since it was imported).
    assert dump_plan(stored).replace("version = 1\n", "") == text


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_file_that_never_ends_is_refused_as_too_big_without_reading_it_all(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`/dev/zero` says it is 0 bytes long; reading stops at the limit, not at the memory's end."""
    monkeypatch.setattr(plans, "MAX_FILE_BYTES", 4096)
    with pytest.raises(PlanFileError) as caught:
        load_plan_file(Path("/dev/zero"))
    assert caught.value.problems == [
        "/dev/zero: is larger than 200 MB, the most a plan file may be"
    ]


def test_a_plan_file_over_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * 5000)
    monkeypatch.setattr(plans, "MAX_FILE_BYTES", 4096)
    with pytest.raises(PlanFileError, match=r"big\.toml: is larger than 200 MB"):
        load_plan_file(path)
