"""A plan's autumn, told through the store with the clock pinned to each day.

Staffordshire's 2024 plan is loaded on 1 September, then updated on several days (progress,
a new action, a deadline moved with a reason, a completion, a new owner), as a board
secretary back-filling paper updates would. Used by the timeline and board paper tests.
"""

from __future__ import annotations

from datetime import date

import pytest
from conftest import SAMPLES

from tracker.domain.records import ActionChanges
from tracker.formats.plan_toml import ActionData, load_plan_file
from tracker.storage.store import Store

PLAN = "staffordshire-2024-ilacs"


def tell_story(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """Load the plan and apply the autumn's updates, each at its own pinned time."""
    path = SAMPLES / f"{PLAN}.toml"
    monkeypatch.setenv("TRACKER_NOW", "2026-09-01T09:00:00Z")
    store.import_plans([(path.name, load_plan_file(path))], user="seed")

    def on(moment: str, address: str, changes: ActionChanges, user: str) -> None:
        monkeypatch.setenv("TRACKER_NOW", moment)
        store.update_action(f"{PLAN}:{address}", changes, user=user)

    on("2026-10-05T10:00:00Z", "R1.3", ActionChanges(progress=70, note="Oct dip sample"), "amy")
    # An action added to the plan on 12 October.
    monkeypatch.setenv("TRACKER_NOW", "2026-10-12T08:30:00Z")
    plan = store.plan_data(PLAN)
    plan.recommendations[0].actions.append(
        ActionData(
            ref="R1.7",
            description="Audit out-of-hours decisions",
            owner="Emergency Duty Team Manager",
            deadline=date(2026, 10, 30),
            status="not_started",
            progress=0,
        )
    )
    store.import_plans([(path.name, plan)], replace=True, user="seed")
    on(
        "2026-10-20T10:00:00Z",
        "R1.3",
        ActionChanges(deadline=date(2027, 6, 30), reason="Extended for the new cohort"),
        "ben",
    )
    on("2026-11-02T10:00:00Z", "R1.3", ActionChanges(status="complete", note="Done"), "amy")
    on("2026-11-10T14:00:00Z", "R1.6", ActionChanges(owner="Head of Early Help"), "ben")
    monkeypatch.setenv("TRACKER_NOW", "2026-11-25T10:00:00Z")
    return store
