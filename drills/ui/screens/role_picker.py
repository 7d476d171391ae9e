"""Choose a plan role, with its duties: before a solo drill, or a free seat when joining."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from drills.port.feeds import RoleChoice
from drills.port.text import printable
from drills.ui.i18n import _, text


class RolePickerScreen(Screen[str]):
    """Dismisses with the chosen role id. Names and duties are shown literally."""

    def __init__(self, title: str, roles: list[RoleChoice]) -> None:
        super().__init__()
        self.title_text = title
        self.roles = roles

    def compose(self) -> ComposeResult:
        heading = Text(f"{_('pick_role')} — ", style="bold")
        heading.append(printable(self.title_text))
        yield Static(heading, id="picker-title")
        options = []
        for role in self.roles:
            label = Text(text(role.name), style="bold")
            if role.duties is not None:
                label.append(f"\n   {_('duties')}: {text(role.duties)}", style="")
            options.append(Option(label, id=role.id))
        if not options:
            yield Static(_("no_free_roles"))
        yield OptionList(*options, id="roles")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)
