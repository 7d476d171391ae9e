"""Can a branch condition ever hold? A small check that catches authoring mistakes.

The condition is put in disjunctive normal form; a conjunction is impossible when it asks
for two outcomes of one expectation at once, a state value the scenario never produces,
an inject that cannot fire, or an atom together with its negation. Very large conditions
are given the benefit of the doubt.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.conditions import (
    ActionCond,
    AllCond,
    AnyCond,
    Condition,
    FiredCond,
    NotCond,
    OutcomeCond,
    StateCond,
    compare,
)
from engine.plan import Plan
from engine.scenario import Scenario

Literal_ = tuple[bool, Condition]
_MAX_TERMS = 512
_OUTCOMES = {"pending", "met", "late", "missed"}
_ALLOWED = {
    "met": {"met"},
    "late": {"late"},
    "missed": {"missed"},
    "done": {"met", "late"},
    "pending": {"pending"},
}


def _dnf(cond: Condition, positive: bool = True) -> list[list[Literal_]] | None:
    """Conjunctions of literals whose disjunction equals ``cond``; None when too large."""
    if isinstance(cond, NotCond):
        return _dnf(cond.not_, not positive)
    if isinstance(cond, (AllCond, AnyCond)):
        children = cond.all if isinstance(cond, AllCond) else cond.any
        conjunctive = isinstance(cond, AllCond) == positive
        parts = [_dnf(child, positive) for child in children]
        if any(p is None for p in parts):
            return None
        if not conjunctive:
            return [term for part in parts for term in part or []]
        terms: list[list[Literal_]] = [[]]
        for part in parts:
            terms = [t + u for t in terms for u in part or []]
            if len(terms) > _MAX_TERMS:
                return None
        return terms
    return [[(positive, cond)]]


def _state_domain(scenario: Scenario, plan: Plan, key: str) -> tuple[list[Any], bool | None]:
    """Values a state key can take; open-ended when ``add`` applies, None when unknowable."""
    values: list[Any] = [scenario.state[key]] if key in scenario.state else []
    open_ended: bool | None = False
    for action in plan.actions:
        param = action.param(action.sets[key]) if key in action.sets else None
        if param is None:
            continue
        if param.type == "scale" and param.scale and plan.scale(param.scale):
            values += plan.scale(param.scale).ids()  # type: ignore[union-attr]
        elif param.type == "choice":
            values += [c.id for c in param.choices]
        else:
            return values, None
    for inject in scenario.injects:
        for effect in inject.effects:
            if effect.key != key:
                continue
            if effect.set is not None:
                values.append(effect.value)
            else:
                open_ended = True
    return values, open_ended


def _state_ok(
    scenario: Scenario, plan: Plan, key: str, literals: list[tuple[bool, StateCond]]
) -> bool:
    values, open_ended = _state_domain(scenario, plan, key)
    if open_ended is None:
        return True
    if not values:
        return all(not positive for positive, _ in literals)
    candidates = list(values)
    if open_ended:
        for _, lit in literals:
            if isinstance(lit.value, (int, float)) and not isinstance(lit.value, bool):
                candidates += [lit.value - 0.5, lit.value, lit.value + 0.5]
    return any(
        all(compare(v, lit.op, lit.value) == positive for positive, lit in literals)
        for v in candidates
    )


def _term_ok(
    term: Iterable[Literal_],
    scenario: Scenario,
    plan: Plan,
    exp_owner: dict[str, str],
    reachable: set[str] | None,
    deadlines: dict[str, tuple[bool, bool]],
) -> bool:
    outcomes: dict[str, set[str]] = {}
    fired: dict[str, bool] = {}
    actions: dict[str, bool] = {}
    states: dict[str, list[tuple[bool, StateCond]]] = {}
    for positive, atom in term:
        if isinstance(atom, OutcomeCond):
            exp = atom.expectation
            owner = exp_owner.get(exp)
            if positive and owner is not None and reachable is not None and owner not in reachable:
                return False
            allowed = outcomes.setdefault(exp, set(_OUTCOMES))
            has_deadline, can_be_late = deadlines.get(exp, (True, True))
            if not can_be_late:
                allowed.discard("late")
            if not has_deadline:
                allowed.discard("late")
            wanted = _ALLOWED[atom.outcome]
            allowed &= wanted if positive else _OUTCOMES - wanted
            if not allowed:
                return False
        elif isinstance(atom, FiredCond):
            if positive and reachable is not None and atom.fired not in reachable:
                return False
            if fired.setdefault(atom.fired, positive) != positive:
                return False
        elif isinstance(atom, ActionCond):
            key = atom.model_dump_json()
            if actions.setdefault(key, positive) != positive:
                return False
        elif isinstance(atom, StateCond):
            states.setdefault(atom.state, []).append((positive, atom))
    return all(_state_ok(scenario, plan, key, lits) for key, lits in states.items())


def satisfiable(
    cond: Condition,
    scenario: Scenario,
    plan: Plan,
    exp_owner: dict[str, str],
    reachable: set[str] | None = None,
) -> bool:
    """Whether some course of the drill can make ``cond`` true."""
    terms = _dnf(cond)
    if terms is None:
        return True
    deadlines: dict[str, tuple[bool, bool]] = {}
    for inject in scenario.injects:
        for exp in inject.expects:
            rule = plan.rule(exp.rule) if exp.rule else None
            deadline = (
                exp.deadline if exp.deadline is not None else (rule.deadline if rule else None)
            )
            hard = (
                exp.hard_deadline
                if exp.hard_deadline is not None
                else (rule.hard_deadline if rule else False)
            )
            deadlines[exp.key] = (deadline is not None, not hard)
    return any(_term_ok(term, scenario, plan, exp_owner, reachable, deadlines) for term in terms)
