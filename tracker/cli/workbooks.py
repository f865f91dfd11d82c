"""Excel (and other binary files) on the command line: which format `export` writes, where
a workbook or a PDF may go, and which reader `import-sheet` uses for a file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

from tracker.domain.errors import TrackerError, UsageError

if TYPE_CHECKING:
    from tracker.formats.sheets import SheetResult

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xls"})


def export_format(fmt: str | None, output: str | None) -> str:
    """`--format` if given, else xlsx for an --output ending in .xlsx, else csv."""
    if fmt:
        return fmt
    if output and Path(output).suffix.lower() == ".xlsx":
        return "xlsx"
    return "csv"


def check_workbook_target(output: str | None, out: IO[str]) -> None:
    """A workbook is binary: never poured onto a terminal."""
    check_binary_target(output, out, "xlsx", "FILE.xlsx")


def check_binary_target(output: str | None, out: IO[str], fmt: str, example: str) -> None:
    """A binary file (a workbook, a PDF) is never poured onto a terminal."""
    if (not output or output == "-") and out.isatty():
        raise UsageError(
            f"--format {fmt}: a binary file is not shown on a terminal; give --output {example}"
        )


def binary(out: IO[str]) -> IO[bytes]:
    """The byte stream under a text stream opened for an output file or standard output."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:
        raise TrackerError("this output cannot take a workbook; give --output FILE.xlsx")
    out.flush()
    return cast(IO[bytes], buffer)


def sheet_reader(name: str, sheet: str | None) -> Callable[..., SheetResult] | None:
    """The workbook reader for an .xlsx (by its name or its first bytes), else None (CSV)."""
    from tracker.formats.sheets_xlsx import is_workbook_bytes, read_workbook_file

    path = Path(name)
    workbook = path.suffix.lower() in WORKBOOK_SUFFIXES
    if not workbook:
        try:
            with path.open("rb") as stream:
                workbook = is_workbook_bytes(stream.read(8))
        except OSError:
            workbook = False  # the CSV reader says what is wrong with the file
    if not workbook:
        if sheet is not None:
            raise UsageError(f"--sheet: {name} is not a workbook; --sheet names a sheet of .xlsx")
        return None
    reader: Callable[..., Any] = partial(read_workbook_file, sheet=sheet)
    return reader
