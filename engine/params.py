"""Checking and comparing action parameters against the plan's typed parameters."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.fields import playable, shown_number
from engine.plan import Action, Param, Plan


@dataclass(frozen=True)
class Refusal:
    """Why the plan refuses a decision: a reason code that consoles word in their own
    language, what it concerns, and the English sentence the journal keeps as ``reason``."""

    code: str
    message: str
    param: str | None = None
    value: Any = None
    limit: float | None = None
    allowed: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        """The journal's form: the code and what it concerns (no English)."""
        data: dict[str, Any] = {"code": self.code}
        if self.param is not None:
            data["param"] = self.param
        if self.value is not None:
            data["value"] = self.value
        if self.limit is not None:
            data["limit"] = self.limit
        if self.allowed:
            data["allowed"] = list(self.allowed)
        return data


def value_refusal(plan: Plan, param: Param, value: Any) -> Refusal | None:
    """Why ``value`` is not valid for ``param``, or None when it is."""
    kind, pid = param.type, param.id
    if kind in ("scale", "choice"):
        scale = plan.scale(param.scale or "") if kind == "scale" else None
        ids = (scale.ids() if scale else []) if kind == "scale" else [c.id for c in param.choices]
        if value not in ids:
            message = f"{pid} must be one of {', '.join(ids)}; got {value!r}"
            return Refusal("not_allowed_value", message, pid, value, allowed=tuple(ids))
    elif kind == "role":
        if not isinstance(value, str) or plan.role(value) is None:
            return Refusal("not_a_role", f"{pid} must be a role of the plan; got {value!r}", pid)
    elif kind in ("int", "number"):
        return _number_refusal(param, value)
    elif kind == "text":
        if not isinstance(value, str) or not visible(value):
            return Refusal("empty_text", f"{pid} must be non-empty text", pid)
        hidden = hidden_characters(value)
        if hidden:
            message = f"{pid} must be plain visible text; it holds {', '.join(hidden)}"
            return Refusal("unreadable_text", message, pid)
    elif kind == "bool":
        if not isinstance(value, bool):
            return Refusal("not_bool", f"{pid} must be true or false; got {value!r}", pid)
    return None


# Characters that draw nothing though Unicode files them as letters or symbols: a text of
# them (and spaces) is as empty as "" on the trainer's screen.
BLANKS = frozenset("\u2800\u3164\u115f\u1160\uffa0")
# Control (Cc), format (Cf: zero-width, bidi overrides, soft hyphen, BOM), surrogate (Cs),
# private-use (Co) and unassigned (Cn) characters: a terminal obeys or hides them.
HIDDEN = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def visible(value: str) -> bool:
    """Whether ``value`` shows at least one character (not only spaces and blanks)."""
    return any(not c.isspace() and c not in BLANKS for c in value)


def hidden_characters(value: str) -> list[str]:
    """The characters of a participant's text a reader would not see as written, by code
    point (``U+200B``): a zero-width or control character makes an answer look like one
    it is not, or reach another trainee's terminal as a command."""
    found = [f"U+{ord(c):04X}" for c in value if unicodedata.category(c) in HIDDEN]
    return list(dict.fromkeys(found))


def _number_refusal(param: Param, value: Any) -> Refusal | None:
    pid = param.id
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return Refusal("not_a_number", f"{pid} must be a number; got {value!r}", pid)
    if not playable(value):  # the refusal names no value: the journal stays JSON
        message = f"{pid} must be a finite number within ±10^15; got {shown_number(value)}"
        return Refusal("out_of_range", message, pid)
    if param.type == "int" and not isinstance(value, int):
        return Refusal("not_whole", f"{pid} must be a whole number; got {value!r}", pid)
    if param.min is not None and value < param.min:
        message = f"{pid} must be at least {param.min:g}; got {value}"
        return Refusal("below_min", message, pid, value, limit=param.min)
    if param.max is not None and value > param.max:
        message = f"{pid} must be at most {param.max:g}; got {value}"
        return Refusal("above_max", message, pid, value, limit=param.max)
    return None


def value_problem(plan: Plan, param: Param, value: Any) -> str | None:
    """Why ``value`` is not valid for ``param``, or None when it is."""
    refusal = value_refusal(plan, param, value)
    return refusal.message if refusal else None


def param_refusals(
    plan: Plan, action: Action, params: Mapping[str, Any], *, complete: bool
) -> list[Refusal]:
    """What is wrong with ``params``; ``complete`` also requires the required ones."""
    refusals: list[Refusal] = []
    for key, value in params.items():
        param = action.param(key)
        if param is None:
            known = ", ".join(p.id for p in action.params) or "none"
            message = f"action {action.id} has no parameter {key!r} (parameters: {known})"
            refusals.append(Refusal("unknown_param", message, key))
            continue
        refusal = value_refusal(plan, param, value)
        if refusal:
            refusals.append(refusal)
    if complete:
        for param in action.params:
            if param.required and param.id not in params:
                message = f"parameter {param.id} is required for {action.id}"
                refusals.append(Refusal("missing_param", message, param.id))
    return refusals


def param_problems(
    plan: Plan, action: Action, params: Mapping[str, Any], *, complete: bool
) -> list[tuple[str | None, str]]:
    """(parameter, problem) pairs for ``params``; ``complete`` also requires required ones.

    The parameter is None for a missing one, so a file check can point at the mapping.
    """
    return [
        (None if r.code == "missing_param" else r.param, r.message)
        for r in param_refusals(plan, action, params, complete=complete)
    ]


def decision_refusals(
    plan: Plan, role_id: str, action_id: str, params: Mapping[str, Any]
) -> list[Refusal]:
    """Why the plan refuses this decision (empty: it is valid)."""
    if plan.role(role_id) is None:
        return [Refusal("unknown_role", f"unknown role {role_id!r}", value=role_id)]
    action = plan.action(action_id)
    if action is None:
        return [Refusal("unknown_action", f"unknown action {action_id!r}", value=action_id)]
    if role_id not in action.roles:
        allowed = ", ".join(action.roles)
        message = f"the plan does not authorise {role_id} to {action_id} (authorised: {allowed})"
        return [Refusal("not_authorised", message, allowed=tuple(action.roles))]
    return param_refusals(plan, action, params, complete=True)


def decision_problem(
    plan: Plan, role_id: str, action_id: str, params: Mapping[str, Any]
) -> str | None:
    """Why the plan refuses this decision, or None when it is valid."""
    refusals = decision_refusals(plan, role_id, action_id, params)
    return "; ".join(r.message for r in refusals) if refusals else None


def exact_matches(expected: Mapping[str, Any], given: Mapping[str, Any]) -> int:
    """How many expected parameters the decision got exactly right (for choosing a match)."""
    return sum(1 for key, value in expected.items() if given.get(key) == value)


def wrong_params(expected: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """The expected parameters an answer got wrong: {param: {given, expected}}."""
    return {
        key: {"given": given.get(key), "expected": want}
        for key, want in sorted(expected.items())
        if given.get(key) != want
    }
