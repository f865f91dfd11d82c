"""The demo store: made from the plans in `sample_plans/` the first time `tracker demo`
runs, then kept, so changes made while trying tracker out are still there next time.
`tracker demo --reset` makes it afresh.
"""

from __future__ import annotations

import os
from pathlib import Path

from tracker.domain.errors import TrackerError

__all__ = ["build_demo_store", "demo_store_path", "open_demo_store", "sample_plans_dir"]


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


def demo_store_path(folder: Path | None = None) -> Path:
    """Where the demo store lives: `TRACKER_DEMO_DIR`, else the user's cache folder."""
    from platformdirs import user_cache_dir

    target = folder or Path(
        os.environ.get("TRACKER_DEMO_DIR") or user_cache_dir("tracker", appauthor=False)
    )
    return target / "demo.db"


def build_demo_store(*, user: str, folder: Path | None = None) -> str:
    """Make a new demo store from the sample plans (replacing any); return its path."""
    from tracker.formats.plan_toml import load_plan_file
    from tracker.storage.store import Store

    samples = sample_plans_dir()
    path = demo_store_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    plans = [(p.name, load_plan_file(p, display=p.name)) for p in sorted(samples.glob("*.toml"))]
    store = Store.open(str(path))
    try:
        store.import_plans(plans, user=user)
    finally:
        store.close()
    return str(path)


def _usable(path: Path) -> bool:
    """Whether the demo store there opens and holds plans (else it is made again)."""
    from tracker.storage.store import Store

    try:
        store = Store.open(str(path), create=False)
    except TrackerError:
        return False
    try:
        return bool(store.plan_keys())
    except TrackerError:
        return False
    finally:
        store.close()


def open_demo_store(
    *, user: str, reset: bool = False, folder: Path | None = None
) -> tuple[str, bool]:
    """The demo store's path, and whether it was made just now: it is kept between runs
    and made again only when asked (`reset`), missing, or unreadable."""
    path = demo_store_path(folder)
    if not reset and path.is_file() and _usable(path):
        return str(path), False
    return build_demo_store(user=user, folder=folder), True
