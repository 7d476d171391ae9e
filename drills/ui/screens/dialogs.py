"""Small modal dialogs: fire an inject, send a hint, hot-wash notes, sign-off."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Select, Static, TextArea

from drills.ui.i18n import _, localize_bindings


class DialogScreen(ModalScreen[dict[str, str] | None]):
    """A title, some fields and OK/Cancel; dismisses with the field values or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, title: str, fields: list[tuple[str, str, object]], ok: str) -> None:
        super().__init__()
        localize_bindings(self)
        self.title_text = title
        self.fields = fields  # (id, label, options list | "text" | "area")
        self.ok = ok

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(f"[b]{self.title_text}[/b]")
            for field_id, label, kind in self.fields:
                yield Static(label)
                if isinstance(kind, list):
                    yield Select(kind, id=field_id, prompt="…")
                elif kind == "area":
                    yield TextArea(id=field_id)
                else:
                    yield Input(id=field_id)
            with Horizontal(id="dialog-buttons"):
                yield Button(self.ok, id="ok", variant="primary")
                yield Button(_("cancel"), id="cancel")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
            return
        values: dict[str, str] = {}
        for field_id, _label, _kind in self.fields:
            widget = self.query_one(f"#{field_id}")
            value = widget.text if isinstance(widget, TextArea) else getattr(widget, "value", "")
            if value in (None, Select.NULL):
                value = ""
            values[field_id] = str(value).strip()
        self.dismiss(values)

    def action_cancel(self) -> None:
        self.dismiss(None)
