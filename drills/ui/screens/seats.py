"""The seats of a hosted drill, for the trainer: each role, its seat token and who holds
it. A token is given to one trainee, privately; freeing a seat revokes its token and
issues a new one (the trainee who held it cannot come back with the old one)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, OptionList, Static
from textual.widgets.option_list import Option

from drills.port.views import Seat
from drills.ui.i18n import _, bot, localize_bindings, text


def seat_text(seat: Seat, token: str | None) -> Text:
    """One seat: the role's name, its token, who holds it (names shown literally)."""
    line = Text()
    line.append(text(seat.name), style="bold")
    line.append(f"  ({seat.role})\n   ")
    line.append(f"{_('seat_token')}: ")
    line.append(token or _("token_unknown"), style="reverse" if token else "dim")
    line.append("\n   ")
    if seat.holder:
        line.append(seat.holder)
        line.append(f" ({_('connected') if seat.connected else _('joined')})")
    elif seat.bot:
        line.append(f"{_('bot')}: {bot(seat.bot)}")
    else:
        line.append(_("seat_empty"), style="dim")
    return line


class SeatsScreen(ModalScreen[str | None]):
    """Dismisses with the role whose seat the trainer wants freed, or None."""

    DEFAULT_CSS = """
    SeatsScreen { align: center middle; }
    SeatsScreen #seats { height: auto; max-height: 24; }
    SeatsScreen #seats-hint { height: auto; color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "close", "key_close")]

    def __init__(self, seats: tuple[Seat, ...], tokens: dict[str, str]) -> None:
        super().__init__()
        localize_bindings(self)
        self.seats = seats
        self.tokens = tokens

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(_("seats_title"), classes="title")
            yield Static(_("seats_hint"), id="seats-hint")
            yield OptionList(
                *(Option(seat_text(s, self.tokens.get(s.role)), id=s.role) for s in self.seats),
                id="seats",
            )
            with Horizontal(id="dialog-buttons"):
                yield Button(_("free_seat"), id="free", variant="error")
                yield Button(_("key_close"), id="close", variant="primary")

    def on_mount(self) -> None:
        seats = self.query_one("#seats", OptionList)
        seats.focus()
        if seats.option_count:
            seats.highlighted = 0

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "free":
            option = self.query_one("#seats", OptionList).highlighted_option
            self.dismiss(option.id if option is not None else None)
        else:
            self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
