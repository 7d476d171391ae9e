"""Joining a hosted drill from a browser (or any terminal): code and name, then a free role
picked from a list.

It needs no database: the ``Lobby`` port reaches the host's gateway."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from drills.port.feeds import FeedError, Lobby
from drills.ui.i18n import _, text


class LobbyScreen(Screen[None]):
    """Refusals (wrong code, taken role ...) are shown here, never as a traceback."""

    # Enter in the code moves to the name at once, not after the Input's message has
    # travelled: keys typed right after it (a fast typist, a browser's key queue) go to
    # the name, not on the end of the code.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next_field", show=False, priority=True)
    ]

    def __init__(self, lobby: Lobby) -> None:
        super().__init__()
        self.lobby = lobby

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_field":  # only in the two fields; elsewhere Enter is Enter
            focused = self.focused
            return isinstance(focused, Input) and focused.id in ("code", "name")
        return True

    def action_next_field(self) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "code":
            self.set_focus(self.query_one("#name", Input))
        else:
            self.load_roles()

    def compose(self) -> ComposeResult:
        with Vertical(id="lobby-box"):
            yield Static(_("join_title"), classes="title")
            yield Static(_("code_and_name"), id="lobby-hint")
            yield Input(placeholder=_("host_code"), id="code", max_length=64)
            yield Input(placeholder=_("your_name"), id="name", max_length=80)
            yield Button(_("show_roles"), id="roles-button", variant="primary")
            yield Static("", id="lobby-error")
            yield OptionList(id="roles")
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
            label = Text(text(role.name), style="bold")
            if role.duties is not None:
                label.append(f"\n   {_('duties')}: {text(role.duties)}", style="")
            options.add_option(Option(label, id=role.id))
        self._error(_("pick_role") if roles else _("no_free_roles"))
        options.display = bool(roles)
        if roles:
            options.highlighted = 0
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
