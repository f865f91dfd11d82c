"""The demo store: a fresh store made from the plans in `sample_plans/`."""

from __future__ import annotations

import os
from pathlib import Path

from tracker.domain.errors import TrackerError

__all__ = ["build_demo_store", "sample_plans_dir"]


def sample_plans_dir() -> Path:
    """`TRACKER_SAMPLES`, else the `sample_plans/` folder of the source checkout."""
    override = os.environ.get("TRACKER_SAMPLES", "").strip()
    candidates = [Path(override)] if override else []
    candidates.append(Path(__file__).resolve().parent.parent.parent / "sample_plans")
    candidates.append(Path.cwd() / "sample_plans")
    for folder in candidates:
        if folder.is_dir() and any(folder.glob("*.toml")):
            return folder
    raise TrackerError("no sample_plans/ folder found: set TRACKER_SAMPLES to a folder of plans")


def build_demo_store(*, user: str, folder: Path | None = None) -> str:
    """Make a new demo store from the sample plans; return its path."""
    from platformdirs import user_cache_dir

    from tracker.formats.plan_toml import load_plan_file
    from tracker.storage.store import Store

    samples = sample_plans_dir()
    target_dir = folder or Path(
        os.environ.get("TRACKER_DEMO_DIR") or user_cache_dir("tracker", appauthor=False)
    )
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    plans = [(p.name, load_plan_file(p, display=p.name)) for p in sorted(samples.glob("*.toml"))]
    store = Store.open(str(path))
    try:
        store.import_plans(plans, user=user)
    finally:
        store.close()
    return str(path)
