"""The HTML board paper is accessible (WCAG 2.2 AA): its structure checked here directly,
and the whole page checked by axe-core in headless Chromium, on screen and in print.

The axe run needs node, Debian's chromium and `npm ci` in scripts/a11y (all installed by
`.ci/run`). Without them it is skipped locally, and fails under CI=true.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ROOT, in_ci

from tracker.cli import main
from tracker.storage.store import Store

A11Y = ROOT / "scripts" / "a11y"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


class Outline(HTMLParser):
    """What a screen reader relies on: language, headings, tables, charts, links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lang = ""
        self.headings: list[int] = []
        self.tables = 0
        self.captions = 0
        self.th_without_scope = 0
        self.svgs: list[dict[str, str | None]] = []
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.landmarks: list[str] = []
        self.rag_chips: list[str] = []
        self._in_chip = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if tag == "html":
            self.lang = a.get("lang") or ""
        elif tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            self.headings.append(int(tag[1]))
        elif tag == "table":
            self.tables += 1
        elif tag == "caption":
            self.captions += 1
        elif tag == "th" and a.get("scope") not in ("col", "row"):
            self.th_without_scope += 1
        elif tag == "svg":
            self.svgs.append(a)
        elif tag == "a":
            self.links.append(a.get("href") or "")
        elif tag in ("main", "header", "footer", "nav"):
            self.landmarks.append(tag)
        elif tag == "span" and "rag" in (a.get("class") or "").split():
            self._in_chip = True
            self.rag_chips.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "span":
            self._in_chip = False

    def handle_data(self, data: str) -> None:
        if self._in_chip:
            self.rag_chips[-1] += data


def paper(db: str, tmp_path: Path) -> Path:
    target = tmp_path / "paper.html"
    code = main(
        ["--db", db, "report", "--since", "2020-01-01", "-o", str(target)], out=io.StringIO()
    )
    assert code == 0
    return target


def test_the_paper_has_the_structure_assistive_technology_needs(
    sample_store: Store, db_url: str, tmp_path: Path
) -> None:
    page = Outline()
    page.feed(paper(db_url, tmp_path).read_text(encoding="utf-8"))
    assert page.lang == "en-GB"
    assert page.headings[0] == 1
    assert page.headings.count(1) == 1
    for before, after in zip(page.headings, page.headings[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}"
    assert page.tables > 5
    assert page.captions == page.tables, "every table has a caption"
    assert page.th_without_scope == 0, "every header cell has a scope"
    assert page.svgs, "the paper has charts"
    for svg in page.svgs:
        assert svg.get("role") == "img"
        assert (svg.get("aria-label") or "").strip(), "every chart has a text alternative"
    assert page.links[0] == "#content", "the first link skips to the content"
    assert "content" in page.ids
    assert all(link[1:] in page.ids for link in page.links if link.startswith("#"))
    assert {"header", "main", "footer"} <= set(page.landmarks)
    assert page.rag_chips
    assert set(page.rag_chips) <= {"RED", "AMBER", "GREEN", "BLUE", "NONE"}, "RAG is a word"


def _axe_missing() -> str:
    if shutil.which("node") is None:
        return "node is not installed"
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium)"
    if not (A11Y / "node_modules" / "axe-core").is_dir():
        return "axe-core is not installed: cd scripts/a11y && npm ci"
    return ""


@pytest.mark.slow
def test_axe_core_finds_no_violation_on_screen_or_in_print(sqlite_url: str, tmp_path: Path) -> None:
    missing = _axe_missing()
    if missing:
        if in_ci():
            pytest.fail(f"CI=true needs the accessibility check: {missing}", pytrace=False)
        pytest.skip(missing)
    store = Store.open(sqlite_url)
    try:
        from tracker.formats.plan_toml import load_plan_file

        plans = [
            (p.name, load_plan_file(p)) for p in sorted((ROOT / "sample_plans").glob("*.toml"))
        ]
        store.import_plans(plans, user="seed")
    finally:
        store.close()
    one = tmp_path / "one"
    one.mkdir()
    target = paper(sqlite_url, tmp_path)
    single = one / "paper.html"
    code = main(
        ["--db", sqlite_url, "report", "--plan", "staffordshire-2024-ilacs", "-o", str(single)],
        out=io.StringIO(),
    )
    assert code == 0
    ran = subprocess.run(
        ["node", str(A11Y / "check.mjs"), str(target), str(single)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    print(ran.stdout, ran.stderr)  # the figures, shown with -s and in CI's log on failure
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.count(": 0 violations") == 4  # two pages, screen and print
