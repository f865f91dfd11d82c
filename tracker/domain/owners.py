"""Owners: who an owner is, what a well-formed address looks like, and an owner's counts.

An owner is the exact owner text of actions ("Head of Service, Front Door"); an address
is recorded per owner so that reminders can reach them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tracker.domain.errors import ValidationError
from tracker.domain.text import is_blank

__all__ = ["MAX_OWNER", "OwnerSummary", "check_email", "check_owner_name"]

MAX_OWNER = 300

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.[A-Za-z]{{2,63}}")


def check_email(text: str) -> str:
    """The address, trimmed, if it has the shape `name@example.org`; else a ValidationError.

    Only plain ASCII addresses are taken (what council mail systems accept): no display
    names, no spaces, no commas or angle brackets, so an address can never carry a second
    recipient or a mail header.
    """
    address = text.strip()
    shown = repr(text if len(text) <= 80 else text[:77] + "...")
    if not address:
        raise ValidationError("an email address is needed (name@example.org)", field="email")
    if len(address) > 254 or not _EMAIL.fullmatch(address):
        raise ValidationError(
            f"{shown} is not an email address of the shape name@example.org", field="email"
        )
    local = address.partition("@")[0]
    if len(local) > 64:
        raise ValidationError(
            f"{shown}: the part before @ is longer than 64 characters", field="email"
        )
    return address


def check_owner_name(text: str) -> str:
    """An owner name as typed for a rename, trimmed; refused if empty, too long or not one line."""
    name = text.strip()
    if is_blank(name):
        raise ValidationError("the owner must not be empty", field="owner")
    if len(name) > MAX_OWNER:
        raise ValidationError(f"the owner is longer than {MAX_OWNER} characters", field="owner")
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationError(
            "the owner must be one line of text without control characters", field="owner"
        )
    return name


@dataclass(slots=True)
class OwnerSummary:
    """One owner with their counts of open, overdue, due-soon and stale actions."""

    name: str
    email: str | None = None
    actions: int = 0
    open: int = 0
    overdue: int = 0
    due_soon: int = 0
    stale: int = 0
    version: int = 0  # the owner record's version (0: no record yet)
