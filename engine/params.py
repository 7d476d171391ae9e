"""Checking and comparing action parameters against the plan's typed parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.plan import Action, Param, Plan


def value_problem(plan: Plan, param: Param, value: Any) -> str | None:
    """Why ``value`` is not valid for ``param``, or None when it is."""
    kind = param.type
    if kind == "scale":
        scale = plan.scale(param.scale or "")
        ids = scale.ids() if scale else []
        if value not in ids:
            return f"{param.id} must be one of {', '.join(ids)}; got {value!r}"
    elif kind == "choice":
        ids = [c.id for c in param.choices]
        if value not in ids:
            return f"{param.id} must be one of {', '.join(ids)}; got {value!r}"
    elif kind == "role":
        if not isinstance(value, str) or plan.role(value) is None:
            return f"{param.id} must be a role of the plan; got {value!r}"
    elif kind in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return f"{param.id} must be a number; got {value!r}"
        if kind == "int" and not isinstance(value, int):
            return f"{param.id} must be a whole number; got {value!r}"
        if param.min is not None and value < param.min:
            return f"{param.id} must be at least {param.min:g}; got {value}"
        if param.max is not None and value > param.max:
            return f"{param.id} must be at most {param.max:g}; got {value}"
    elif kind == "text":
        if not isinstance(value, str) or not value.strip():
            return f"{param.id} must be non-empty text"
    elif kind == "bool":
        if not isinstance(value, bool):
            return f"{param.id} must be true or false; got {value!r}"
    return None


def param_problems(
    plan: Plan, action: Action, params: Mapping[str, Any], *, complete: bool
) -> list[tuple[str | None, str]]:
    """(parameter, problem) pairs for ``params``; ``complete`` also requires required ones.

    The parameter is None for a missing one, so a file check can point at the mapping.
    """
    problems: list[tuple[str | None, str]] = []
    for key, value in params.items():
        param = action.param(key)
        if param is None:
            known = ", ".join(p.id for p in action.params) or "none"
            problems.append(
                (key, f"action {action.id} has no parameter {key!r} (parameters: {known})")
            )
            continue
        problem = value_problem(plan, param, value)
        if problem:
            problems.append((key, problem))
    if complete:
        for param in action.params:
            if param.required and param.id not in params:
                problems.append((None, f"parameter {param.id} is required for {action.id}"))
    return problems


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


def decision_problem(
    plan: Plan, role_id: str, action_id: str, params: Mapping[str, Any]
) -> str | None:
    """Why the plan refuses this decision, or None when it is valid."""
    if plan.role(role_id) is None:
        return f"unknown role {role_id!r}"
    action = plan.action(action_id)
    if action is None:
        return f"unknown action {action_id!r}"
    if role_id not in action.roles:
        allowed = ", ".join(action.roles)
        return f"the plan does not authorise {role_id} to {action_id} (authorised: {allowed})"
    problems = param_problems(plan, action, params, complete=True)
    return "; ".join(message for _, message in problems) if problems else None
