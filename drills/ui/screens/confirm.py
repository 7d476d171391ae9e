"""A yes/no question before something that cannot be undone (end, quit, a repeat)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from drills.ui.i18n import _, localize_bindings


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (yes) or False (no, Escape). The question is shown literally."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "no", "cancel")]

    def __init__(self, question: str, yes: str, no: str | None = None) -> None:
        super().__init__()
        localize_bindings(self)
        self.question = question
        self.yes = yes
        self.no = no or _("cancel")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(Text(self.question), id="question")
            with Horizontal(id="dialog-buttons"):
                yield Button(self.yes, id="yes", variant="error")
                yield Button(self.no, id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()  # the safe answer is the default

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_no(self) -> None:
        self.dismiss(False)
