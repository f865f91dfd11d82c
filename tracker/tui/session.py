"""What the app was started with: the store, the rules' settings, the user and the flags."""

from __future__ import annotations

from dataclasses import dataclass

from tracker.domain.rules import RuleSettings
from tracker.tui.data import StoreAccess

__all__ = ["Session"]


@dataclass(frozen=True, slots=True)
class Session:
    """What the screens work with: the store, the rules' settings and the user.

    `read_only` is what is known before anything is asked of the store (the flag, or a
    store opened read-only); whether the user may write at all is checked in a worker
    once the screen is up (on PostgreSQL that is a round trip).
    """

    store: StoreAccess
    settings: RuleSettings
    user: str
    read_only: bool = False
    demo: bool = False
    poll_interval: float = 1.0
    location: str | None = None  # how the top bar names the store (default: its path)
