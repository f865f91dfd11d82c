"""The layer contracts hold, and a module importing across a layer breaks them.

The contracts live in pyproject.toml (`[tool.importlinter]`); `make lint` runs them on the
tree. Here a copy of the package gets one forbidden import and the check must fail.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(folder: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(folder / "pyproject.toml")],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(folder), "PATH": "/usr/bin:/bin"},
        check=False,
    )


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    shutil.copytree(
        ROOT / "tracker", tmp_path / "tracker", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract(tree_copy: Path) -> None:
    done = _lint(tree_copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "BROKEN" not in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("domain/rules.py", "import tracker.storage.store", "Layers"),
        ("storage/store.py", "import tracker.cli.main", "Layers"),
        ("formats/snapshot.py", "import tracker.tui.app", "Layers"),
        ("domain/text.py", "import sqlalchemy", "The domain is pure"),
        ("reports/paper.py", "import textual", "The core never imports Textual"),
        ("tui/widgets/detail.py", "import tracker.storage.store", "The TUI reaches the store"),
        ("reports/paper.py", "import tracker.storage.models", "Reports use the store's public API"),
        ("reports/html.py", "import sqlalchemy", "Reports use the store's public API"),
    ],
)
def test_an_import_across_a_layer_breaks_a_contract(
    tree_copy: Path, module: str, line: str, contract: str
) -> None:
    path = tree_copy / "tracker" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # noqa\n", encoding="utf-8")
    done = _lint(tree_copy)
    assert done.returncode != 0
    broken = [ln for ln in done.stdout.splitlines() if "BROKEN" in ln]
    assert any(ln.startswith(contract) for ln in broken), done.stdout
