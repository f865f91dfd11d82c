"""The owners screen (`w`): each owner with open, overdue, due-soon and stale counts and
their address. `enter` shows that owner's actions on the main screen; `a` records or
changes their address.

Owners come from the store through the TUI's facade (`StoreAccess.owner_summaries`) in a
thread worker; an address is saved in a worker too, refused when someone else changed the
owner since this screen read it. Owner names are data: shown as plain text, never markup.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, DataTable, Footer, Input, Label, Static

from tracker.domain.errors import StaleWriteError, ValidationError
from tracker.domain.owners import OwnerSummary, check_email
from tracker.domain.rules import RuleSettings
from tracker.domain.text import one_line
from tracker.tui.data import StoreAccess
from tracker.tui.failures import ReportsFailures
from tracker.tui.view import DUE_SOON_STYLE, OVERDUE_STYLE, STALE_STYLE

__all__ = ["AddressScreen", "OwnersScreen"]


class OwnersLoaded(Message):
    """Every owner with their counts and address, fresh from the store."""

    def __init__(self, owners: list[OwnerSummary]) -> None:
        super().__init__()
        self.owners = owners


class AddressSaved(Message):
    """An address was written (or refused: `problem` says why)."""

    def __init__(self, name: str, email: str | None, problem: str | None) -> None:
        super().__init__()
        self.name = name
        self.email = email
        self.problem = problem


class AddressScreen(ModalScreen[str | None]):
    """Type an owner's address: enter or Save keeps it (empty clears it), escape cancels."""

    IS_FORM = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="cancel"),
    ]
    DEFAULT_CSS = """
    AddressScreen { align: center middle; }
    AddressScreen > Vertical {
        width: 72; height: auto; border: thick $primary; background: $surface; padding: 1 2;
    }
    AddressScreen #address-problem { color: $error; height: auto; }
    AddressScreen Horizontal { height: auto; margin-top: 1; }
    """

    def __init__(self, owner: str, email: str | None) -> None:
        super().__init__()
        self.owner = owner
        self.email = email

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Email address for {one_line(self.owner)}", style="bold"))
            yield Input(
                value=self.email or "",
                placeholder="name@council.gov.uk (empty: no address)",
                id="address",
            )
            yield Static("", id="address-problem")
            with Horizontal():
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()

    def _save(self) -> None:
        text = self.query_one("#address", Input).value.strip()
        if text:
            try:
                text = check_email(text)
            except ValidationError as exc:
                self.query_one("#address-problem", Static).update(Text(one_line(str(exc))))
                return
        self.dismiss(text)

    @on(Input.Submitted, "#address")
    def _submitted(self) -> None:
        self._save()

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self._save()

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class OwnersScreen(ReportsFailures, Screen[str | None]):
    """Owners with their counts; dismissed with the owner whose actions to show, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "choose", "Their actions", id="choose", priority=True),
        Binding("a", "address", "Address", id="address"),
        Binding("escape,w,q", "close", "Close", id="close"),
    ]
    DEFAULT_CSS = """
    OwnersScreen { layout: vertical; }
    OwnersScreen #owners-title { height: 1; background: $primary-muted; padding: 0 1; }
    OwnersScreen #owners-table { height: 1fr; }
    OwnersScreen #owners-summary { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(
        self,
        store: StoreAccess,
        settings: RuleSettings,
        *,
        user: str,
        read_only: str | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.user = user
        self.read_only = read_only  # why nothing may be changed, or None
        self.owners: list[OwnerSummary] = []

    def compose(self) -> ComposeResult:
        title = Text("Owners", style="bold")
        title.append(f" · as at {self.settings.today.isoformat()}")
        title.append(f" · stale: no update for over {self.settings.update_days} days", style="dim")
        yield Static(title, id="owners-title")
        yield DataTable(id="owners-table", cursor_type="row", zebra_stripes=False)
        yield Static("", id="owners-summary")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_column("Owner", key="owner", width=48)
        for label, key in (
            ("Open", "open"),
            ("Overdue", "overdue"),
            ("Due soon", "due_soon"),
            ("Stale", "stale"),
        ):
            table.add_column(label, key=key, width=8)
        table.add_column("Address", key="email", width=36)
        table.loading = True
        table.focus()
        self._load()

    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def _load(self) -> None:
        self.post_message(OwnersLoaded(self.store.owner_summaries(settings=self.settings)))

    def on_owners_loaded(self, message: OwnersLoaded) -> None:
        table = self.query_one(DataTable)
        kept = self.selected.name if self.selected else None
        table.loading = False
        table.clear()
        self.owners = message.owners
        for s in self.owners:
            table.add_row(
                Text(one_line(s.name)),
                Text(f"{s.open:,}", justify="right"),
                _count(s.overdue, OVERDUE_STYLE),
                _count(s.due_soon, DUE_SOON_STYLE),
                _count(s.stale, STALE_STYLE),
                Text(s.email, style="") if s.email else Text("no address", style="dim italic"),
            )
        names = [s.name for s in self.owners]
        if kept in names:
            table.move_cursor(row=names.index(kept), animate=False)
        missing = sum(1 for s in self.owners if s.open and not s.email)
        summary = Text(f"{len(self.owners):,} owners")
        summary.append(f" · {missing:,} with open actions and no address")
        summary.append(" · enter: their actions · a: address", style="dim")
        self.query_one("#owners-summary", Static).update(summary)

    @property
    def selected(self) -> OwnerSummary | None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        if not self.owners or not 0 <= row < len(self.owners):
            return None
        # Rows are added in the order of `owners`; the cell check guards a stale cursor.
        table.get_cell_at(Coordinate(row, 0))
        return self.owners[row]

    def action_choose(self) -> None:
        owner = self.selected
        if owner is not None:
            self.dismiss(owner.name)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_address(self) -> None:
        owner = self.selected
        if owner is None:
            return
        if self.read_only is not None:
            self.notify(self.read_only, title="Read-only", severity="warning", markup=False)
            return
        version = owner.version

        def saved(text: str | None) -> None:
            if text is None or text == (owner.email or ""):
                return
            self._save(owner.name, text or None, version)

        self.app.push_screen(AddressScreen(owner.name, owner.email), callback=saved)

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def _save(self, name: str, email: str | None, version: int) -> None:
        try:
            self.store.set_owner_email(name, email, user=self.user, expected_version=version)
        except (StaleWriteError, ValidationError) as exc:
            self.post_message(AddressSaved(name, email, str(exc)))
            return
        self.post_message(AddressSaved(name, email, None))

    def on_address_saved(self, message: AddressSaved) -> None:
        who = one_line(message.name)
        if message.problem is not None:
            self.notify(
                one_line(message.problem), title="Not saved", severity="warning", markup=False
            )
        elif message.email:
            self.notify(f"{who}: address {message.email} recorded.", title="Saved", markup=False)
        else:
            self.notify(f"{who}: address removed.", title="Saved", markup=False)
        self._load()


def _count(n: int, style: object) -> Text:
    return Text(f"{n:,}", justify="right", style=style if n else "dim")  # type: ignore[arg-type]
