"""Ask where to write the snapshot of the current view, as CSV or as an Excel workbook.

Checking a path touches the filesystem (a slow or dead network folder can hang), so it
never runs on the event loop: a thread worker checks what is typed once typing pauses,
and checks again on submit, which closes the dialog only when the path will do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Button, Input, RadioButton, RadioSet, Static

if TYPE_CHECKING:
    from tracker.domain.measures import MeasureRow
    from tracker.domain.records import ActionRow
    from tracker.domain.rules import RuleSettings

__all__ = ["ExportScreen", "check_path", "filtered_name", "write_view"]

FORMATS = ((".csv", "CSV"), (".xlsx", "Excel workbook (.xlsx)"))


def write_view(
    path: Path,
    rows: Iterable[ActionRow],
    settings: RuleSettings,
    measures: Iterable[MeasureRow] | None = None,
) -> int:
    """Write the view's rows whole or not at all: a workbook for .xlsx (with the sheets
    Measures and Readings from `measures`, as `tracker export` writes them), else the CSV."""
    from tracker.formats.outfile import open_output

    with open_output(path) as out:
        if path.suffix.lower() == ".xlsx":
            from tracker.formats.xlsx import write_workbook

            out.flush()
            return write_workbook(
                rows,
                settings,
                getattr(out, "buffer"),  # noqa: B009
                measures=measures if measures is not None else (),
            )
        from tracker.formats.snapshot import write_snapshot

        return write_snapshot(rows, settings, out)


DEBOUNCE = 0.15  # seconds of no typing before the path is checked


def check_path(text: str) -> tuple[Path | None, str]:
    """The path to write, or None and what is wrong with it; plus a warning if any."""
    raw = text.strip()
    if not raw:
        return None, "a file name is needed"
    # Absolute, so the toast after writing says exactly where the file went.
    path = Path(raw).expanduser().absolute()
    if path.is_dir():
        return None, f"{path} is a folder: add a file name"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return None, f"no folder {folder}"
    if path.exists():
        return path, f"{path.name} exists and will be replaced"
    return path, ""


def filtered_name(default: Path, described: str) -> Path:
    """`tracker-snapshot-2026-11-25-overdue-only.csv`: the default name of a filtered
    view's snapshot says which filter it holds, so a later full export does not replace it."""
    slug = re.sub(r"[^0-9a-z]+", "-", described.casefold()).strip("-")[:60].rstrip("-")
    return default.with_name(f"{default.stem}-{slug}{default.suffix}") if slug else default


class PathChecked(Message):
    """What `check_path` said about `text`; `submit` when the user asked to export."""

    def __init__(self, text: str, path: Path | None, message: str, submit: bool) -> None:
        super().__init__()
        self.text = text
        self.path = path
        self.message = message
        self.submit = submit


class ExportScreen(ModalScreen[Path | None]):
    """The path (editable, a dated default) and how many actions will be written."""

    # Keys here are for typing: the app leaves `q` and `?` to the form.
    IS_FORM: ClassVar[bool] = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > #dialog {
        width: 80; max-width: 100%; height: auto; border: thick $primary;
        background: $surface; padding: 0 1;
    }
    ExportScreen #message { color: $warning; height: auto; }
    ExportScreen #format { height: auto; border: none; padding: 0; layout: horizontal; }
    ExportScreen #format RadioButton { width: auto; margin-right: 2; }
    ExportScreen #buttons { height: auto; align-horizontal: right; }
    ExportScreen #buttons Button { margin-left: 2; }
    """

    def __init__(self, default: Path, rows: int, described: str) -> None:
        super().__init__()
        self.default = filtered_name(default, described)
        self.rows = rows
        self.described = described
        self._timer: Timer | None = None
        self._closed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = Text("Export the current view as a snapshot: CSV or Excel\n", style="bold")
            noun = "action" if self.rows == 1 else "actions"
            title.append(f"{self.rows:,} {noun}", style="not bold")
            title.append(f" ({self.described or 'all actions'})", style="not bold italic")
            yield Static(title)
            xlsx = self.default.suffix.lower() == ".xlsx"
            with RadioSet(id="format"):
                for suffix, label in FORMATS:
                    yield RadioButton(label, value=(suffix == ".xlsx") == xlsx, name=suffix)
            yield Input(str(self.default), id="path")
            yield Static("", id="message")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel-button")
                yield Button("Export", variant="primary", id="export-button")

    def on_mount(self) -> None:
        path_input = self.query_one("#path", Input)
        path_input.cursor_blink = not self.app.is_headless
        path_input.focus()
        self._check(path_input.value, submit=False)

    @on(RadioSet.Changed, "#format")
    def _format(self, event: RadioSet.Changed) -> None:
        """Choosing a format gives the file name that format's suffix."""
        suffix = event.pressed.name or ".csv"
        field = self.query_one("#path", Input)
        path = Path(field.value.strip() or self.default.name)
        if path.suffix.lower() != suffix:
            stem = path.with_suffix("") if path.suffix.lower() in (".csv", ".xlsx") else path
            field.value = f"{stem}{suffix}"
        field.focus()

    @on(Input.Changed, "#path")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        value = event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self._check(value, submit=False))
        suffix = Path(value.strip()).suffix.lower()  # a typed .xlsx or .csv picks its format
        for button in self.query(RadioButton):
            if button.name == suffix and not button.value:
                button.value = True

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def _check(self, text: str, *, submit: bool) -> None:
        path, message = check_path(text)
        self.post_message(PathChecked(text, path, message, submit))

    def on_path_checked(self, answer: PathChecked) -> None:
        if self._closed:
            return
        if not answer.submit and answer.text != self.query_one("#path", Input).value:
            return  # typing went on: a newer check is coming
        self.query_one("#message", Static).update(Text(answer.message))
        self.query_one("#export-button", Button).disabled = answer.path is None
        if answer.submit and answer.path is not None:
            self._close(answer.path)

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export-button")
    def _export(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._check(self.query_one("#path", Input).value, submit=True)

    @on(Button.Pressed, "#cancel-button")
    def _cancelled(self) -> None:
        self._close(None)

    def action_cancel(self) -> None:
        # Escape closes the dialog as its Cancel button does: through the button's message.
        self.query_one("#cancel-button", Button).press()

    def _close(self, path: Path | None) -> None:
        if not self._closed:  # once: a check may answer after escape or a second enter
            self._closed = True
            self.dismiss(path)
