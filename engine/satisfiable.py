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
_OUTCOMES = {"pending", "met", "late", "partly", "missed"}
_ALLOWED = {
    "met": {"met"},
    "late": {"late"},
    "partly": {"partly"},
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


class Context:
    """What satisfiability needs to know about a scenario, gathered in one pass.

    Built once per cross-check, so asking about each of N conditions costs the size of
    that condition, not N injects again (validation stays linear in the file's size).
    """

    def __init__(self, scenario: Scenario, plan: Plan, exp_owner: dict[str, str]) -> None:
        self.scenario = scenario
        self.plan = plan
        self.exp_owner = exp_owner
        self.deadlines = _deadlines(scenario, plan)
        self._effects: dict[str, list[Any]] = {}
        self._added: set[str] = set()
        for inject in scenario.injects:
            for effect in inject.effects:
                if effect.set is not None:
                    self._effects.setdefault(effect.key, []).append(effect.value)
                else:
                    self._added.add(effect.key)
        self._domains: dict[str, tuple[list[Any], bool | None]] = {}
        # (key, literals) → verdict; a literal's type counts (True == 1, but not here)
        self._verdicts: dict[tuple[str, tuple[tuple[bool, str, type, Any], ...]], bool] = {}

    def state_domain(self, key: str) -> tuple[list[Any], bool | None]:
        """Values a state key can take; open-ended when ``add`` applies, None when unknowable."""
        if key not in self._domains:
            self._domains[key] = self._state_domain(key)
        return self._domains[key]

    def _state_domain(self, key: str) -> tuple[list[Any], bool | None]:
        scenario, plan = self.scenario, self.plan
        values: list[Any] = [scenario.state[key]] if key in scenario.state else []
        for action in plan.actions:
            param = action.param(action.sets[key]) if key in action.sets else None
            if param is None:
                continue
            scale = plan.scale(param.scale) if param.type == "scale" and param.scale else None
            if scale is not None:
                values += scale.ids()
            elif param.type == "choice":
                values += [c.id for c in param.choices]
            else:
                return values, None
        values += self._effects.get(key, [])
        unique = list({(type(v), v): v for v in values}.values())
        return unique, key in self._added

    def state_ok(self, key: str, literals: list[tuple[bool, StateCond]]) -> bool:
        """Whether some value of ``key`` satisfies every literal (memoised per question)."""
        question = (
            key,
            tuple((positive, lit.op, type(lit.value), lit.value) for positive, lit in literals),
        )
        if question not in self._verdicts:
            self._verdicts[question] = _state_ok(self, key, literals)
        return self._verdicts[question]


def _deadlines(scenario: Scenario, plan: Plan) -> dict[str, tuple[bool, bool, bool]]:
    """Per expectation: (has a deadline, can be late, can be partly right).

    Only an expectation that asks for parameters can be answered partly right.
    """
    deadlines: dict[str, tuple[bool, bool, bool]] = {}
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
            params = exp.params if exp.params is not None else (rule.params if rule else {})
            deadlines[exp.key] = (deadline is not None, not hard, bool(params))
    return deadlines


def _state_ok(context: Context, key: str, literals: list[tuple[bool, StateCond]]) -> bool:
    values, open_ended = context.state_domain(key)
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


def _term_ok(term: Iterable[Literal_], context: Context, reachable: set[str] | None) -> bool:
    outcomes: dict[str, set[str]] = {}
    fired: dict[str, bool] = {}
    actions: dict[str, bool] = {}
    states: dict[str, list[tuple[bool, StateCond]]] = {}
    for positive, atom in term:
        if isinstance(atom, OutcomeCond):
            exp = atom.expectation
            owner = context.exp_owner.get(exp)
            if positive and owner is not None and reachable is not None and owner not in reachable:
                return False
            allowed = outcomes.setdefault(exp, set(_OUTCOMES))
            has_deadline, can_be_late, can_be_partly = context.deadlines.get(
                exp, (True, True, True)
            )
            if not (has_deadline and can_be_late):
                allowed.discard("late")
            if not can_be_partly:
                allowed.discard("partly")
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
    return all(context.state_ok(key, lits) for key, lits in states.items())


def satisfiable(
    cond: Condition,
    scenario: Scenario,
    plan: Plan,
    exp_owner: dict[str, str],
    reachable: set[str] | None = None,
    *,
    context: Context | None = None,
) -> bool:
    """Whether some course of the drill can make ``cond`` true.

    Pass a ``context`` built once when asking about many conditions of one scenario.
    """
    terms = _dnf(cond)
    if terms is None:
        return True
    if context is None:
        context = Context(scenario, plan, exp_owner)
    return any(_term_ok(term, context, reachable) for term in terms)
