"""The board paper as a PDF pack: the HTML paper laid out on A4 pages by WeasyPrint.

The same page as `tracker.reports.html` with its print styles, plus the page furniture a
paper attached to a board agenda needs: the plan's name at the top of every page (the
paper's title on its first pages, then the plan each page belongs to) and `Page N of M`
at the foot. The PDF is tagged (headings, tables and reading order carried into it, as
the accessibility regulations expect of a published document).

WeasyPrint is an optional extra (`pip install 'tracker[pdf]'`): it brings about 40 MB of
Python packages and needs Pango from the system, which a terminal user may never want.
Without it, asking for a PDF is one clear line saying how to get it.
"""

from __future__ import annotations

from typing import IO

from tracker.domain.errors import TrackerError
from tracker.reports.html import board_paper_html
from tracker.reports.paper import BoardPaper

__all__ = ["PDF_CSS", "board_paper_pdf", "missing_pdf_support"]

INSTALL_HINT = (
    "a PDF needs WeasyPrint: pip install 'tracker[pdf]' (and on Debian or Ubuntu: "
    "apt-get install libpango-1.0-0 libpangoft2-1.0-0)"
)

# Page furniture for paged media; screens and browsers' own printing never see it.
PDF_CSS = """
@page {
  size: A4;
  margin: 20mm 14mm 18mm 14mm;
  @top-left {
    content: string(plan);
    font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #5b6470;
    vertical-align: bottom; padding-bottom: 4mm;
  }
  @bottom-right {
    content: "Page " counter(page) " of " counter(pages);
    font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #5b6470;
  }
  @bottom-left {
    content: string(asat);
    font-family: "DejaVu Sans", Arial, sans-serif; font-size: 7.5pt; color: #5b6470;
  }
}
body { font-family: "DejaVu Sans", Arial, "Helvetica Neue", sans-serif; }
h1 { string-set: plan content(); }
section.plan > h2 { string-set: plan content(); }
header.paper .meta strong { string-set: asat "As at " content(); }
.skip { display: none; }
"""


def missing_pdf_support() -> str | None:
    """Why a PDF cannot be made here (one line), or None when WeasyPrint is ready."""
    try:
        import weasyprint  # noqa: F401
    except ImportError:
        return INSTALL_HINT
    except OSError as exc:  # WeasyPrint is installed but Pango is not
        return f"{INSTALL_HINT}; the system libraries are missing ({exc})"
    return None


def board_paper_pdf(paper: BoardPaper, out: IO[bytes]) -> None:
    """Write the board paper as a tagged A4 PDF to a binary stream."""
    problem = missing_pdf_support()
    if problem is not None:
        raise TrackerError(problem)
    import logging

    import weasyprint

    # WeasyPrint logs each CSS property it does not support on stderr; the paper's own
    # styles are known, so only its errors are worth a line.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    document = weasyprint.HTML(string=board_paper_html(paper), base_url=None)
    document.write_pdf(
        out,
        stylesheets=[weasyprint.CSS(string=PDF_CSS)],
        pdf_tags=True,
    )
