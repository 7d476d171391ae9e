"""The decision composer: the actions this role may take, their parameters as proper
inputs, a note, and submit. It only builds the decision; the screen submits it.

Enter in a field moves on and never submits: only the Submit button, F5 or Ctrl+S do, so
a trainee pressing Enter in the note cannot send the same decision three times."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select

from drills.ui.i18n import _, text
from engine.plan import Action, Param, Plan


class Composer(Vertical):
    """Posts ``Composer.DecisionComposed`` with the action and its parameters."""

    class DecisionComposed(Message):
        def __init__(self, action: str, params: dict[str, Any], note: str, label: str) -> None:
            super().__init__()
            self.action = action
            self.params = params
            self.note = note
            self.label = label  # the action's name, as shown

    class CompositionRefused(Message):
        """The form is incomplete; ``reason`` says what is missing."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(self, plan: Plan, role: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.role = role
        self.actions = [a for a in plan.actions if role in a.roles]

    def compose(self) -> ComposeResult:
        yield Select(
            [(text(a.name), a.id) for a in self.actions],
            prompt=_("choose_action"),
            id="action",
        )
        yield Vertical(id="params")
        with Horizontal(id="note-row"):
            yield Input(placeholder=_("note"), id="note")
            yield Button(_("submit"), id="submit", variant="primary")

    @property
    def action(self) -> Action | None:
        value = self.query_one("#action", Select).value
        return self.plan.action(value) if isinstance(value, str) else None

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "action":
            self._rebuild_params()

    def _rebuild_params(self) -> None:
        box = self.query_one("#params", Vertical)
        box.remove_children()
        action = self.action
        if action is None:
            return
        widgets: list[Widget] = []
        for param in action.params:
            widgets.append(Label(text(param.name) + ("" if param.required else " ?")))
            widgets.append(self._input_for(param))
        box.mount(*widgets)

    def _input_for(self, param: Param) -> Widget:
        ident = f"param-{param.id}"
        if param.type == "scale":
            scale = self.plan.scale(param.scale or "")
            levels = scale.levels if scale else []
            return Select([(text(lv.name), lv.id) for lv in levels], id=ident, prompt="…")
        if param.type == "choice":
            return Select([(text(c.name), c.id) for c in param.choices], id=ident, prompt="…")
        if param.type == "role":
            return Select([(text(r.name), r.id) for r in self.plan.roles], id=ident, prompt="…")
        if param.type == "bool":
            return Checkbox(text(param.name), id=ident)
        kind = {"int": "integer", "number": "number"}.get(param.type, "text")
        return Input(placeholder=text(param.name), type=kind, id=ident)  # type: ignore[arg-type]

    def set_action(self, action_id: str) -> None:
        self.query_one("#action", Select).value = action_id

    def set_param(self, param_id: str, value: Any) -> None:
        widget = self.query_one(f"#param-{param_id}")
        if isinstance(widget, Select | Checkbox):
            widget.value = value
        elif isinstance(widget, Input):
            widget.value = str(value)

    def collect(self) -> tuple[str, dict[str, Any]] | str:
        """The action and its parameters, or what is missing."""
        action = self.action
        if action is None:
            return _("choose_action")
        params: dict[str, Any] = {}
        for param in action.params:
            widget = self.query_one(f"#param-{param.id}")
            value: Any = getattr(widget, "value", None)
            if isinstance(widget, Input):
                value = value.strip()
                if value and param.type == "int":
                    value = int(value)
                elif value and param.type == "number":
                    value = float(value)
            if value in (None, "", Select.NULL):
                if param.required and param.type != "bool":
                    return f"{text(param.name)}?"
                continue
            params[param.id] = value
        return action.id, params

    def submit(self) -> None:
        """Post the composed decision; the screen resets the form once it is taken."""
        result = self.collect()
        if isinstance(result, str):
            self.post_message(self.CompositionRefused(result))
            return
        note = self.query_one("#note", Input).value.strip()
        action = self.action
        label = text(action.name) if action else result[0]
        self.post_message(self.DecisionComposed(result[0], result[1], note, label))

    def reset(self) -> None:
        """Back to an empty form: no action chosen, no parameters, no note."""
        self.query_one("#action", Select).clear()
        self.query_one("#params", Vertical).remove_children()
        self.query_one("#note", Input).value = ""

    def focus_action(self) -> None:
        self.query_one("#action", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            event.stop()
            self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a text field never submits: it moves on to the Submit button."""
        event.stop()
        self.query_one("#submit", Button).focus()
