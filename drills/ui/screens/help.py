"""Every key binding of the current screen and the app, in a table."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Static

from drills.ui.i18n import _, localize_bindings


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss", "close")]

    def __init__(self, bindings: list[tuple[str, str]]) -> None:
        super().__init__()
        localize_bindings(self)
        self.bindings = bindings

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(f"[b]{_('keys')}[/b]")
            table: DataTable[str] = DataTable(id="help-table", cursor_type="row")
            table.add_columns(_("key"), _("does"))
            for key, description in self.bindings:
                table.add_row(key, description)
            yield table
            yield Button(_("close"), id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss()
