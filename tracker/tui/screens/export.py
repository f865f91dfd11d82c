"""Ask where to write the CSV snapshot of the current view."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

__all__ = ["ExportScreen", "check_path"]


def check_path(text: str) -> tuple[Path | None, str]:
    """The path to write, or None and what is wrong with it; plus a warning if any."""
    raw = text.strip()
    if not raw:
        return None, "a file name is needed"
    path = Path(raw).expanduser()
    if path.is_dir():
        return None, f"{path} is a folder: add a file name"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return None, f"no folder {folder}"
    if path.exists():
        return path, f"{path.name} exists and will be replaced"
    return path, ""


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
    ExportScreen #buttons { height: auto; align-horizontal: right; }
    ExportScreen #buttons Button { margin-left: 2; }
    """

    def __init__(self, default: Path, rows: int, described: str) -> None:
        super().__init__()
        self.default = default
        self.rows = rows
        self.described = described

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            title = Text("Export the current view as a CSV snapshot\n", style="bold")
            noun = "action" if self.rows == 1 else "actions"
            title.append(f"{self.rows:,} {noun}", style="not bold")
            title.append(f" ({self.described or 'all actions'})", style="not bold italic")
            yield Static(title)
            yield Input(str(self.default), id="path")
            yield Static("", id="message")
            with Horizontal(id="buttons"):
                yield Button("Cancel", id="cancel-button")
                yield Button("Export", variant="primary", id="export-button")

    def on_mount(self) -> None:
        path_input = self.query_one("#path", Input)
        path_input.cursor_blink = not self.app.is_headless
        path_input.focus()
        self._check(path_input.value)

    @on(Input.Changed, "#path")
    def _changed(self, event: Input.Changed) -> None:
        self._check(event.value)

    def _check(self, text: str) -> Path | None:
        path, message = check_path(text)
        self.query_one("#message", Static).update(Text(message))
        self.query_one("#export-button", Button).disabled = path is None
        return path

    @on(Input.Submitted, "#path")
    @on(Button.Pressed, "#export-button")
    def _export(self) -> None:
        path = self._check(self.query_one("#path", Input).value)
        if path is not None:
            self.dismiss(path)

    @on(Button.Pressed, "#cancel-button")
    def action_cancel(self) -> None:
        self.dismiss(None)
