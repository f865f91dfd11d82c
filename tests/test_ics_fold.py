"""Folding keeps every escape whole, whatever the text: checked over generated text."""

from __future__ import annotations

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.formats.ics import escape_text, fold

TEXT = st.text(alphabet=st.sampled_from("ab\\,;\n é社👩🏽"), max_size=400)


def _escape_split(physical: str) -> bool:
    """Whether a physical line ends inside an escape (an odd run of backslashes)."""
    run = len(physical) - len(physical.rstrip("\\"))
    return run % 2 == 1


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_folded_lines_keep_escapes_whole_and_parse_back(text: str) -> None:
    line = "DESCRIPTION:" + escape_text(text)
    folded = fold(line)
    physical = folded.split("\r\n")[:-1]
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)
    assert not any(_escape_split(p) for p in physical[:-1])
    assert "".join(p[1:] if i else p for i, p in enumerate(physical)) == line
    event = icalendar.Event.from_ical("BEGIN:VEVENT\r\n" + folded + "END:VEVENT\r\n")
    assert str(event["description"]) == text


def test_a_backslash_escape_at_the_fold_moves_to_the_next_line() -> None:
    line = "SUMMARY:" + "x" * 66 + "\\,tail"  # the escape would straddle octet 75
    physical = fold(line).split("\r\n")
    assert physical[0] == "SUMMARY:" + "x" * 66
    assert physical[1] == " \\,tail"
