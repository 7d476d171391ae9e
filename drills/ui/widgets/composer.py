"""The decision composer: the actions this role may take, their parameters as proper
inputs, a note, and submit. It only builds the decision; the screen submits it.

Enter in a field never submits: only F5, Ctrl+S or a press of the Submit button do, so a
trainee pressing Enter in the note cannot send the same decision three times."""

from __future__ import annotations

import math
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select

from drills.port.words import refusal_words
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
        # Compact fields (one line each): the message above stays readable while composing.
        # Names are Text: a plan's words are never read as markup.
        yield Select(
            [(Text(text(a.name)), a.id) for a in self.actions],
            prompt=_("choose_action"),
            id="action",
            compact=True,
        )
        yield Vertical(id="params")
        with Horizontal(id="note-row"):
            yield Input(placeholder=_("note"), id="note", compact=True)
            yield Button(_("submit"), id="submit", variant="primary", compact=True)

    @property
    def dirty(self) -> bool:
        """Something is being written: an action chosen or a note typed."""
        return self.action is not None or bool(self.query_one("#note", Input).value.strip())

    @property
    def action(self) -> Action | None:
        value = self.query_one("#action", Select).value
        return self.plan.action(value) if isinstance(value, str) else None

    async def on_select_changed(self, event: Select.Changed) -> None:
        """Build the fields of the chosen action. A change that is no longer the list's
        value (the form was reset, then an action chosen, before this change arrived) is
        passed over: the newer one, still queued, builds the form once."""
        if event.select.id != "action" or event.value != event.select.value:
            return
        chosen_here = event.select.has_focus_within
        box = self.query_one("#params", Vertical)
        await box.remove_children()
        action = self.action
        if action is None:
            return
        fields = [self._input_for(param) for param in action.params]
        labels = [
            Label(Text(text(p.name) + ("" if p.required else " ?")), classes="param")
            for p in action.params
        ]
        box.mount_all([w for pair in zip(labels, fields, strict=True) for w in pair])
        if chosen_here:
            # The trainee chose with keys: on to the first field to fill in. Asked now,
            # before the fields are drawn, so keys typed once they show go into them.
            (fields[0] if fields else self.query_one("#note", Input)).focus()

    def _input_for(self, param: Param) -> Widget:
        ident = f"param-{param.id}"
        if param.type == "scale":
            scale = self.plan.scale(param.scale or "")
            levels = scale.levels if scale else []
            options = [(Text(text(lv.name)), lv.id) for lv in levels]
            return Select(options, id=ident, prompt="…", compact=True)
        if param.type == "choice":
            options = [(Text(text(c.name)), c.id) for c in param.choices]
            return Select(options, id=ident, prompt="…", compact=True)
        if param.type == "role":
            options = [(Text(text(r.name)), r.id) for r in self.plan.roles]
            return Select(options, id=ident, prompt="…", compact=True)
        if param.type == "bool":
            return Checkbox(Text(text(param.name)), id=ident, compact=True)
        kind = {"int": "integer", "number": "number"}.get(param.type, "text")
        return Input(placeholder=text(param.name), type=kind, id=ident, compact=True)  # type: ignore[arg-type]

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
                if value and param.type in ("int", "number"):
                    value = read_number(value, whole=param.type == "int")
                    if value is None:
                        return self._not_a_number(action, param)
            if value in (None, "", Select.NULL):
                if param.required and param.type != "bool":
                    return f"{text(param.name)}?"
                continue
            params[param.id] = value
        return action.id, params

    def _not_a_number(self, action: Action, param: Param) -> str:
        """Why a typed number is not taken, worded as the engine words it."""
        problem = {"code": "not_a_number", "param": param.id}
        return text(refusal_words({"action": action.id, "problems": [problem]}, self.plan))

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
        """Back to an empty form, ready for the next decision: no action chosen, no
        parameters, no note (focus back on the action list if it was in the form)."""
        action = self.query_one("#action", Select)
        refocus = self.has_focus_within
        action.clear()
        self.query_one("#params", Vertical).remove_children()
        self.query_one("#note", Input).value = ""
        if refocus:
            action.focus()

    def on_mount(self) -> None:
        self.call_after_refresh(self.update_hint)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self.update_hint()

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        self.update_hint()

    def update_hint(self) -> None:
        """Say under the form what the keys do in the field that has the focus."""
        focused = self.screen.focused if self.is_attached else None
        if focused is None or self not in focused.ancestors:
            hint = _("submit_key")
        elif focused.id == "action" or (
            focused.parent is not None and focused.parent.id == "action"
        ):
            hint = _("hint_in_action")
        elif focused.id == "note":
            hint = _("hint_in_note")
        elif focused.id == "submit":
            hint = _("submit_key")
        else:
            hint = _("hint_in_field")
        self.border_subtitle = hint

    def focus_action(self) -> None:
        self.query_one("#action", Select).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "submit":
            event.stop()
            self.submit()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in a text field never submits: in a parameter it moves on to the next
        field; in the note it stays and says how to submit (F5), so Enter pressed again
        and again sends nothing."""
        event.stop()
        if event.input.id == "note":
            self.notify(_("enter_does_not_submit"), timeout=3)
        else:
            self.screen.focus_next()


def read_number(typed: str, *, whole: bool) -> int | float | None:
    """What a number field holds, or None when it is no number yet. The field lets
    through what could become one as the trainee types (``-``, ``.``, ``1e``), and
    ``1e999``, which reads as infinity: none of these is a decision to send."""
    try:
        number = int(typed) if whole else float(typed)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
