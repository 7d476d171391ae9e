"""Joining a hosted drill from a browser (or any terminal): code, role, name.

It needs no database: the join goes to the host's gateway (``drills.rooms.gateway``)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Static

from drills.rooms.remote import RemoteDrill
from drills.store.rooms import RoomError
from drills.ui.i18n import _, escape


class LobbyScreen(Screen[None]):
    """Refusals (wrong code, taken role ...) are shown here, never as a traceback."""

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Static(f"[b]{_('join_title')}[/b]")
            yield Input(placeholder=_("host_code"), id="code")
            yield Input(placeholder=_("role_id"), id="role")
            yield Input(placeholder=_("your_name"), id="name")
            yield Button(_("join"), id="join", variant="primary")
            yield Static("", id="lobby-error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        order = ["code", "role", "name"]
        current = order.index(event.input.id or "code")
        if current < len(order) - 1:
            self.query_one(f"#{order[current + 1]}", Input).focus()
        else:
            self.join()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.join()

    def join(self) -> None:
        from drills.ui.screens.trainee import TraineeScreen

        code, role, name = (
            self.query_one(f"#{k}", Input).value.strip() for k in ("code", "role", "name")
        )
        try:
            remote = RemoteDrill(code, role, name)
        except RoomError as exc:
            self.query_one("#lobby-error", Static).update(escape(str(exc)))
            return
        self.app.switch_screen(TraineeScreen(remote, role, name))
