"""Firing an inject by hand: pick one, and see first what it will open."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from drills.port.feeds import InjectChoice
from drills.ui.i18n import _, localize_bindings, text


def preview(choice: InjectChoice, role_names: dict[str, str]) -> Text:
    """What firing ``choice`` does: who gets it, what it opens, what follows it."""
    out = Text()
    out.append(f"{choice.inject_id}  {text(choice.title)}\n", style="bold")
    out.append(f"{_('to')}: {', '.join(role_names.get(r, r) for r in choice.to)}\n")
    opens = [f"{e} {text(t)}" for e, t in zip(choice.opens, choice.opens_titles, strict=True)]
    out.append(f"{_('opens')}: {'; '.join(opens) or '—'}\n")
    out.append(f"{_('then')}: {', '.join(choice.then) or '—'}")
    return out


class FireScreen(ModalScreen[str | None]):
    """Dismisses with the inject id to fire, or None."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "cancel")]

    def __init__(self, choices: list[InjectChoice], role_names: dict[str, str]) -> None:
        super().__init__()
        localize_bindings(self)
        self.choices = {c.inject_id: c for c in choices}
        self.role_names = role_names

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(_("fire"), classes="title")
            options = [
                Option(Text(f"{c.inject_id}  {text(c.title)[:60]}"), id=c.inject_id)
                for c in self.choices.values()
            ]
            yield OptionList(*options, id="injects")
            yield Static(_("pick_inject") if options else _("nothing_to_fire"), id="preview")
            with Horizontal(id="dialog-buttons"):
                yield Button(_("fire"), id="ok", variant="primary", disabled=not options)
                yield Button(_("cancel"), id="cancel")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        if options.option_count:
            options.highlighted = 0  # its preview shows at once

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        choice = self.choices.get(event.option.id or "")
        if choice is not None:
            self.query_one("#preview", Static).update(preview(choice, self.role_names))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id != "ok":
            self.dismiss(None)
            return
        highlighted = self.query_one(OptionList).highlighted_option
        self.dismiss(highlighted.id if highlighted is not None else None)

    def action_cancel(self) -> None:
        self.dismiss(None)
