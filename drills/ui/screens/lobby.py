"""Joining a hosted drill from a browser (or any terminal): code and name, then a free role
picked from a list.

It needs no database: the ``Lobby`` port reaches the host's gateway."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from drills.port.feeds import FeedError, Lobby
from drills.ui.i18n import _, text


class LobbyScreen(Screen[None]):
    """Refusals (wrong code, taken role ...) are shown here, never as a traceback."""

    def __init__(self, lobby: Lobby) -> None:
        super().__init__()
        self.lobby = lobby

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(f"[b]{_('join_title')}[/b]")
            yield Input(placeholder=_("host_code"), id="code", max_length=64)
            yield Input(placeholder=_("your_name"), id="name", max_length=80)
            yield Button(_("show_roles"), id="roles-button", variant="primary")
            yield OptionList(id="roles")
            yield Static("", id="lobby-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "code":
            self.query_one("#name", Input).focus()
        else:
            self.load_roles()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.load_roles()

    def _error(self, message: str) -> None:
        self.query_one("#lobby-error", Static).update(Text(message))

    def load_roles(self) -> None:
        """The free roles of the drill whose code was typed, to pick one."""
        code = self.query_one("#code", Input).value.strip()
        if not code or not self.query_one("#name", Input).value.strip():
            self._error(_("code_and_name"))
            return
        try:
            roles = self.lobby.free_roles(code)
        except FeedError as exc:
            self._error(str(exc))
            return
        options = self.query_one("#roles", OptionList)
        options.clear_options()
        for role in roles:
            options.add_option(Option(Text(text(role.name)), id=role.id))
        self._error("" if roles else _("no_free_roles"))
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        from drills.ui.screens.trainee import TraineeScreen

        code = self.query_one("#code", Input).value.strip()
        name = self.query_one("#name", Input).value.strip()
        try:
            feed = self.lobby.join(code, event.option.id or "", name)
        except FeedError as exc:
            self._error(str(exc))
            return
        self.app.switch_screen(TraineeScreen(feed))
