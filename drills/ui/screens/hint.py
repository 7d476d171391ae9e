"""Sending a hint to one, several or all roles."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, SelectionList, Static

from drills.ui.i18n import _, localize_bindings


class HintScreen(ModalScreen[tuple[tuple[str, ...], str] | None]):
    """Dismisses with (roles, text), or None. No role ticked means every role."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, roles: list[tuple[str, str]]) -> None:
        super().__init__()
        localize_bindings(self)
        self.roles = roles  # (name, id)

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(_("send_hint"), classes="title")
            yield Static(_("hint_roles"))
            roles = [(Text(name), role) for name, role in self.roles]  # names, never markup
            yield SelectionList[str](*roles, id="hint-roles")
            yield Static(_("hint"))
            yield Input(id="hint-text", max_length=500)
            with Horizontal(id="dialog-buttons"):
                yield Button(_("send_hint"), id="ok", variant="primary")
                yield Button(_("cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self.dismiss(None)
            return
        body = self.query_one("#hint-text", Input).value.strip()
        if not body:
            self.notify(_("hint_empty"), severity="warning")
            return
        chosen = tuple(self.query_one(SelectionList).selected)
        self.dismiss((chosen or tuple(r for _name, r in self.roles), body))

    def action_cancel(self) -> None:
        self.dismiss(None)
