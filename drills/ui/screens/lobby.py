"""Joining a hosted drill from a browser (or any terminal): code, name and seat token, then
the role the token opens, picked from a list.

It needs no database: the ``Lobby`` port reaches the host's gateway. The token is typed
in a password field (shown as dots): it is never on a command line or in a URL."""

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

FIELDS = ("code", "name", "token")


class LobbyScreen(Screen[None]):
    """Refusals (wrong code, wrong token, taken role ...) are shown here, never as a
    traceback."""

    # Enter in a field moves to the next one at once, not after the Input's message has
    # travelled: keys typed right after it (a fast typist, a browser's key queue) go to
    # the next field, not on the end of this one.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "next_field", show=False, priority=True)
    ]

    def __init__(self, lobby: Lobby) -> None:
        super().__init__()
        self.lobby = lobby

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_field":  # only in the fields; elsewhere Enter is Enter
            focused = self.focused
            return isinstance(focused, Input) and focused.id in FIELDS
        return True

    def action_next_field(self) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id in FIELDS[:-1]:
            # set_focus, not focus(): at once, before the keys queued behind the Enter
            self.set_focus(self.query_one(f"#{FIELDS[FIELDS.index(focused.id) + 1]}", Input))
        elif isinstance(focused, Input):
            # after the keys already queued for the field: the whole token, not a part
            focused.call_later(self.load_roles)
        else:
            self.load_roles()

    def compose(self) -> ComposeResult:
        form = self.lobby.form
        with Vertical(id="lobby-box"):
            yield Static(_("join_title"), classes="title")
            yield Static(_("code_name_token"), id="lobby-hint")
            yield Input(form.code, placeholder=_("host_code"), id="code", max_length=64)
            yield Input(form.name, placeholder=_("your_name"), id="name", max_length=80)
            yield Input(placeholder=_("seat_token"), id="token", max_length=80, password=True)
            yield Button(_("show_roles"), id="roles-button", variant="primary")
            yield Static("", id="lobby-error")
            yield OptionList(id="roles")
        yield Footer()

    def on_mount(self) -> None:
        form = self.lobby.form
        first = "token" if form.code and form.name else "name" if form.code else "code"
        self.query_one(f"#{first}", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_next_field()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.load_roles()

    def _error(self, message: str) -> None:
        self.query_one("#lobby-error", Static).update(Text(message))

    def _fields(self) -> tuple[str, str, str]:
        code, name, token = (self.query_one(f"#{f}", Input).value.strip() for f in FIELDS)
        return code, name, token

    def load_roles(self) -> None:
        """The role the typed token opens, to pick (or straight in, if the command line
        named the role)."""
        code, name, token = self._fields()
        if not code or not name or not token:
            self._error(_("code_name_token"))
            return
        if self.lobby.form.role is not None:
            self._join(self.lobby.form.role)
            return
        try:
            roles = self.lobby.free_roles(code, token)
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
        self._join(event.option.id or "")

    def _join(self, role: str) -> None:
        from drills.ui.screens.trainee import TraineeScreen

        code, name, token = self._fields()
        try:
            feed = self.lobby.join(code, role, name, token)
        except FeedError as exc:
            self._error(str(exc))
            return
        self.query_one("#token", Input).value = ""  # not kept on a screen any longer
        self.app.switch_screen(TraineeScreen(feed))
