"""The core never imports Textual: the CLI, store and export load without it."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "tracker.cli",
        "tracker.storage.store",
        "tracker.formats.snapshot",
        "tracker.formats.plan_toml",
        "tracker.domain.rules",
        "tracker.storage.timeline",
        "tracker.reports.paper",
        "tracker.formats.sheets",
        "tracker.formats.ics",
        "tracker.cli.board",
    ],
)
def test_core_module_does_not_load_textual(module: str) -> None:
    code = f"import sys, {module}; print('textual' in sys.modules, 'rich' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_cli_module_does_not_load_sqlalchemy_until_needed() -> None:
    code = "import sys, tracker.cli; print('sqlalchemy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
