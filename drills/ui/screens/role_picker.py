"""Choose a plan role, with its duties, before a solo drill starts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from drills.ui.i18n import _, escape, text
from engine.plan import Plan


class RolePickerScreen(Screen[str]):
    """Dismisses with the chosen role id."""

    def __init__(self, plan: Plan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        yield Static(
            f"[b]{_('pick_role')}[/b] — {escape(text(self.plan.title))}", id="picker-title"
        )
        options = []
        for role in self.plan.roles:
            duties = f"\n   {_('duties')}: {text(role.duties)}" if role.duties else ""
            options.append(Option(escape(f"{text(role.name)}{duties}"), id=role.id))
        yield OptionList(*options, id="roles")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)
