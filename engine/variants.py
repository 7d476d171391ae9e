"""Wrong ways to answer an expectation, generated from the plan and scenario files.

The rogue bot plays them and the swap table (``drillhall swaps``) checks that none of them
is ever judged as well as the right answer: a prohibited variant must score no higher than
doing nothing, and a wrong-parameter variant must never fire a success branch.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.compiled import CompiledScenario, ResolvedExpectation
from engine.conditions import AllCond, AnyCond, Condition, NotCond, OutcomeCond
from engine.plan import Action, Param, Plan, Prohibited


@dataclass(frozen=True)
class Variant:
    """A decision's role, action and parameters, and what makes it wrong."""

    kind: str  # "prohibited" | "wrong"
    label: str  # the prohibited id, or "param=value"
    role: str
    action: str
    params: dict[str, Any]


def fill_params(
    plan: Plan,
    action: Action,
    given: dict[str, Any],
    avoid: Callable[[dict[str, Any]], bool] | None = None,
) -> dict[str, Any]:
    """The given parameters plus the first valid value for every other required one.

    With ``avoid`` (say, "an armed prohibited item forbids this"), a completion it refuses
    is replaced by one with another value for one of the filled parameters, if any fits:
    a player free to choose would not choose the forbidden one.
    """
    params = dict(given)
    free = []
    for param in action.params:
        if param.id in params or not param.required:
            continue
        params[param.id] = _first_value(plan, action, param)
        free.append(param)
    if avoid is None or not avoid(params):
        return params
    for param in free:
        for value in other_values(plan, param, params[param.id]):
            candidate = {**params, param.id: value}
            if not avoid(candidate):
                return candidate
    return params


def _first_value(plan: Plan, action: Action, param: Param) -> Any:
    if param.type == "scale":
        scale = plan.scale(param.scale or "")
        return scale.levels[0].id if scale else ""
    if param.type == "choice":
        return param.choices[0].id
    if param.type == "role":
        return plan.roles[0].id
    if param.type in ("int", "number"):
        return _first_number(param)
    if param.type == "bool":
        return True
    return action.name.en


def _first_number(param: Param) -> int | float:
    """The smallest whole number within the bounds (1 when unbounded), else ``min`` itself.

    ``ceil(min)`` equals the ``int(min)`` used before wherever that was already valid, so
    decisions for valid bounds are unchanged; validation guarantees that a value exists.
    """
    low, high = param.min, param.max
    if low is None:
        return 1 if high is None or high >= 1 else math.floor(high)
    value = math.ceil(low)
    if high is not None and value > high:
        return low  # a number parameter whose range holds no whole number
    return value


def other_values(plan: Plan, param: Param, value: Any) -> list[Any]:
    """Every other valid value of a parameter with a closed set of values."""
    if param.type == "scale":
        scale = plan.scale(param.scale or "")
        return [v for v in (scale.ids() if scale else []) if v != value]
    if param.type == "choice":
        return [c.id for c in param.choices if c.id != value]
    if param.type == "role":
        return [r.id for r in plan.roles if r.id != value]
    if param.type == "bool" and isinstance(value, bool):
        return [not value]
    return []


def matches(item: Prohibited, role: str, action: str, params: dict[str, Any]) -> bool:
    """Whether a decision has the shape of a prohibited item (its ``when`` aside)."""
    return (
        item.action == action
        and (item.role is None or item.role == role)
        and all(params.get(k) == v for k, v in item.params.items())
    )


def prohibited_variants(compiled: CompiledScenario, spec: ResolvedExpectation) -> list[Variant]:
    """The expectation's own action, by its own role, with a prohibited item's parameters."""
    plan = compiled.plan
    action = plan.action(spec.action)
    if action is None:
        return []
    found = []
    for _inject, item in compiled.prohibited.values():
        if item.action != spec.action or (item.role is not None and item.role != spec.role):
            continue
        params = fill_params(plan, action, {**spec.params, **item.params})
        found.append(Variant("prohibited", item.id, spec.role, spec.action, params))
    return found


def wrong_variants(compiled: CompiledScenario, spec: ResolvedExpectation) -> list[Variant]:
    """The right action by the right role with one expected parameter changed.

    Changes that turn the decision into a prohibited act are prohibited variants instead.
    """
    plan = compiled.plan
    action = plan.action(spec.action)
    if action is None:
        return []
    right = fill_params(plan, action, spec.params)
    found = []
    for key, value in sorted(spec.params.items()):
        param = action.param(key)
        if param is None:
            continue
        for other in other_values(plan, param, value):
            params = {**right, key: other}
            if any(
                matches(item, spec.role, spec.action, params)
                for _inject, item in compiled.prohibited.values()
            ):
                continue
            found.append(Variant("wrong", f"{key}={other}", spec.role, spec.action, params))
    return found


def _positive_outcomes(cond: Condition, negated: bool = False) -> Iterator[tuple[str, str]]:
    """(expectation, outcome) pairs a condition needs to be true, outside any ``not``."""
    if isinstance(cond, OutcomeCond):
        if not negated:
            yield cond.expectation, cond.outcome
    elif isinstance(cond, AllCond):
        for child in cond.all:
            yield from _positive_outcomes(child, negated)
    elif isinstance(cond, AnyCond):
        for child in cond.any:
            yield from _positive_outcomes(child, negated)
    elif isinstance(cond, NotCond):
        yield from _positive_outcomes(cond.not_, not negated)


SUCCESS = ("met", "late", "done")


def success_injects(compiled: CompiledScenario, expectation_id: str) -> list[str]:
    """Injects that follow this expectation being done (met, late or done)."""
    found = []
    for inject in compiled.scenario.injects:
        after = inject.after
        if after is not None and after.expectation == expectation_id and after.outcome in SUCCESS:
            found.append(inject.id)
        elif inject.when is not None and any(
            exp == expectation_id and outcome in SUCCESS
            for exp, outcome in _positive_outcomes(inject.when)
        ):
            found.append(inject.id)
    return found
