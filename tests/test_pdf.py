"""The PDF pack: `tracker report --format pdf` (or an --output ending in .pdf) is the same
paper on tagged A4 pages with the plan's name at the top and page numbers at the foot,
checked by reading its text back with pdftotext (poppler-utils).

WeasyPrint and poppler-utils are installed by `.ci/run` and the `test` extra; without them
these tests skip locally and fail under CI=true.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import in_ci, sample_plan_files

from tracker.cli import main
from tracker.formats.plan_toml import load_plan_file
from tracker.reports.pdf import missing_pdf_support
from tracker.storage.store import Store


def _needs_pdf_tools() -> None:
    missing = missing_pdf_support() or (
        None if shutil.which("pdftotext") else "pdftotext is missing: apt-get install poppler-utils"
    )
    if missing:
        if in_ci():
            pytest.fail(f"CI=true needs the PDF tests: {missing}", pytrace=False)
        pytest.skip(missing)


def _text(pdf: Path, *args: str) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", *args, str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


@pytest.fixture
def sample_url(sqlite_url: str) -> str:
    """A SQLite store with the sample plans (a PDF is drawn the same from any store)."""
    store = Store.open(sqlite_url)
    try:
        plans = [(p.name, load_plan_file(p)) for p in sample_plan_files()]
        store.import_plans(plans, user="seed")
    finally:
        store.close()
    return sqlite_url


def _report(db: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--db", db, "report", *args], out=out)
    return code, out.getvalue()


@pytest.mark.slow
def test_the_pdf_is_the_paper_on_numbered_a4_pages(sample_url: str, tmp_path: Path) -> None:
    _needs_pdf_tools()
    target = tmp_path / "board.pdf"
    code, _ = _report(sample_url, "--plan", "staffordshire-2024-ilacs", "-o", str(target))
    assert code == 0
    data = target.read_bytes()
    assert data.startswith(b"%PDF-")
    info = subprocess.run(
        ["pdfinfo", str(target)], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert re.search(r"Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)", info)
    assert re.search(r"Tagged:\s+yes", info)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    assert pages >= 2
    first = _text(target, "-f", "1", "-l", "1")
    assert "Staffordshire County Council: improvement plan progress" in first
    assert f"Page 1 of {pages}" in first
    assert "As at 25 November 2026" in first
    assert "RED" in first  # RAG as a word, in the PDF too
    second = _text(target, "-f", "2", "-l", "2")
    assert f"Page 2 of {pages}" in second
    header = second.strip().splitlines()[0]
    assert "Staffordshire County Council: Children's Services Improvement Plan" in header
    whole = _text(target)
    for heading in ("Summary", "Recommendations", "Exceptions", "Overdue"):
        assert heading in whole
    assert "R3.6" in whole  # the longest overdue action is listed


@pytest.mark.slow
def test_format_pdf_by_option_and_by_suffix_agree(sample_url: str, tmp_path: Path) -> None:
    _needs_pdf_tools()
    by_suffix, by_option = tmp_path / "a.pdf", tmp_path / "b.bin"
    assert _report(sample_url, "-o", str(by_suffix))[0] == 0
    assert _report(sample_url, "--format", "pdf", "-o", str(by_option))[0] == 0
    assert _text(by_suffix) == _text(by_option)


def test_without_weasyprint_a_pdf_is_one_clear_line(
    sample_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as when the extra is not installed
    target = tmp_path / "board.pdf"
    code, _ = _report(sample_url, "-o", str(target))
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1
    assert err == [
        "tracker: error: a PDF needs WeasyPrint: pip install 'tracker[pdf]' (and on Debian "
        "or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
    ]
    assert not target.exists()
