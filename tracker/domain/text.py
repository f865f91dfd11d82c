"""Plan text is data: make it safe to print on a terminal.

ANSI escape sequences and control characters are stripped (a newline or tab may be kept
where a multi-line field is shown). Rich markup needs no escaping here because the CLI
prints plain text; the TUI wraps values in `rich.text.Text`, which never parses markup.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["counted", "json_text", "one_line", "printable", "truncate", "wrap"]

# CSI, OSC and other escape sequences, then any remaining C0/C1 control character.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"  # CSI ... final byte
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"  # OSC ... BEL or ST
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"  # DCS, SOS, PM, APC
    r"|\x1b[@-Z\\-_]"  # two-byte escapes
    r"|\x9b[0-?]*[ -/]*[@-~]"  # 8-bit CSI
)
# Bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069) reorder what
# follows them on screen, so a line could show other than what is stored; they go too.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROLS_NO_NL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACES = re.compile(r"\s+")
# JSON escapes C0 controls itself; DEL, the C1 range (0x9b is an 8-bit CSI) and the
# bidirectional overrides it leaves raw.
_JSON_RAW_CONTROLS = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(value: str | None, *, keep_newlines: bool = True) -> str:
    """The text with escape sequences and control characters removed."""
    if not value:
        return ""
    text = _ESCAPES.sub("", value)
    if keep_newlines:
        return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROLS_NO_NL.sub(" ", text)


# Characters that show nothing and are not white space: zero-width spaces and joiners,
# the word joiner, the BOM, soft hyphens, fillers and variation selectors.
_INVISIBLE = re.compile(
    r"[\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)


def is_blank(value: str | None) -> bool:
    """Whether text shows nothing: empty, white space, or only invisible characters.

    A description of zero-width spaces is as blank as an empty one: it would show as
    nothing on every screen and paper.
    """
    return not value or not _INVISIBLE.sub("", value)


def one_line(value: str | None) -> str:
    """Printable text on one line, runs of white space folded to one space."""
    return _SPACES.sub(" ", printable(value, keep_newlines=False)).strip()


def truncate(value: str, width: int) -> str:
    """At most `width` characters, ending in `…` when cut."""
    if width <= 0:
        return ""
    if len(value) <= width:
        return value
    return value[: max(width - 1, 0)] + "…"


def json_text(obj: Any, *, indent: int | None = None) -> str:
    """JSON with every control character escaped, so it is safe on a terminal.

    The values are kept whole (a reader gets back exactly the stored text); only DEL, the
    C1 controls and the bidirectional overrides, which `json.dumps` leaves raw, are
    written as `\\u` escapes.
    """
    text = json.dumps(obj, ensure_ascii=False, indent=indent)
    return _JSON_RAW_CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 action`, `2 actions`: a count with its noun in the number it needs."""
    return f"{n:,} {noun if n == 1 else (plural or noun + 's')}"


def wrap(value: str, width: int) -> list[str]:
    """Lines of at most `width` characters, broken between words (a word longer than a
    line is broken where it must be); the value's own line breaks are kept."""
    import textwrap

    if width <= 0:
        return value.split("\n")
    lines: list[str] = []
    for paragraph in value.split("\n"):
        lines.extend(
            textwrap.wrap(paragraph, width, break_on_hyphens=False, replace_whitespace=True) or [""]
        )
    return lines
