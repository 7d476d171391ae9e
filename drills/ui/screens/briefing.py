"""The briefing a trainee reads before the clock starts: the situation, the aims, the role's
duties and the keys. Nothing of the answer key (the port's ``Briefing`` holds none)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from drills.port.feeds import Briefing
from drills.ui.i18n import _, localize_bindings, text


def briefing_text(briefing: Briefing, keys: list[tuple[str, str]]) -> Text:
    """The briefing as literal text with bold headings (author text is never markup)."""
    out = Text()

    def heading(label: str) -> None:
        out.append(f"\n{label}\n", style="bold")

    out.append(text(briefing.title), style="bold")
    if briefing.role_name is not None:
        out.append(f"\n{_('role')}: {text(briefing.role_name)}")
    mode = _("mode_exam") if briefing.mode == "exam" else _("mode_training")
    out.append(f"\n{mode}")
    if briefing.summary is not None:
        heading(_("situation"))
        out.append(text(briefing.summary))
    if briefing.objectives:
        heading(_("objectives"))
        for number, objective in enumerate(briefing.objectives, 1):
            out.append(f"{number}. {text(objective)}\n")
    if briefing.duties is not None:
        heading(_("duties"))
        out.append(text(briefing.duties))
    if keys:
        heading(_("keys"))
        for key, does in keys:
            out.append(f"{key:>8}  {does}\n")
    return out


class BriefingScreen(ModalScreen[bool]):
    """Dismisses True when the trainee is ready (the solo clock starts then)."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "ready", "close")]

    def __init__(self, briefing: Briefing, keys: list[tuple[str, str]], ready: str) -> None:
        super().__init__()
        localize_bindings(self)
        self.briefing = briefing
        self.keys = keys
        self.ready = ready

    def compose(self) -> ComposeResult:
        with Vertical(id="briefing-box"):
            yield Static(_("briefing"), classes="title")
            with VerticalScroll(id="briefing-scroll"):
                yield Static(briefing_text(self.briefing, self.keys), id="briefing-text")
            with Horizontal(id="dialog-buttons"):
                yield Button(self.ready, id="ready", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#ready", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(True)

    def action_ready(self) -> None:
        self.dismiss(True)
