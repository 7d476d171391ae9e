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

    def section(label: str, body: str) -> None:
        out.append(f"\n\n{label}\n", style="bold")
        out.append(body)

    out.append(text(briefing.title), style="bold")
    if briefing.role_name is not None:
        out.append(f"\n{_('role')}: {text(briefing.role_name)}")
    out.append("\n" + (_("mode_exam") if briefing.mode == "exam" else _("mode_training")))
    if briefing.summary is not None:
        section(_("situation"), text(briefing.summary))
    if briefing.objectives:
        items = (f"{n}. {text(o)}" for n, o in enumerate(briefing.objectives, 1))
        section(_("objectives"), "\n".join(items))
    if briefing.duties is not None:
        section(_("duties"), text(briefing.duties))
    if keys:
        width = max(len(key) for key, _does in keys)
        section(_("keys"), "\n".join(f"  {key:>{width}}  {does}" for key, does in keys))
    return out


class BriefingScreen(ModalScreen[bool]):
    """Dismisses True when the trainee is ready (the solo clock starts then)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "ready", "close"),
        # The button has the focus (Enter: ready); the arrows still scroll the text.
        Binding("down", "scroll('down')", show=False),
        Binding("up", "scroll('up')", show=False),
        Binding("pagedown", "scroll('page_down')", show=False),
        Binding("pageup", "scroll('page_up')", show=False),
    ]

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
                yield Button(self.ready, id="ready", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#ready", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(True)

    def action_scroll(self, where: str) -> None:
        scroll = self.query_one("#briefing-scroll", VerticalScroll)
        getattr(scroll, f"scroll_{where}")()

    def action_ready(self) -> None:
        self.dismiss(True)
