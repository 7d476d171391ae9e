"""A scenario resolved against its plan, ready for the engine and for scoring.

Expectations that point at plan rules get the rule's owner, action, deadline and clause
here, so the engine and the scorer never look at two places. Lookups become dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.conditions import Condition
from engine.plan import IMMEDIATE, Clause, Plan, Prohibited
from engine.scenario import Expectation, Inject, Scenario

DEFAULT_CAPABILITY = "general"
# What 立即/第一时间 (``deadline: immediate``) means in scenario seconds when the engine
# watches the deadline. The scoring profile carries its own value (the same by default)
# and scores with that, so the figure is the profile's judgement, not the plan's.
IMMEDIATE_SECONDS = 600


def limits(deadline: int, grace: int, hard_limit: int | None, absolute: bool) -> int:
    """The hard limit: deadline + grace when absolute, else the given one or 2 x deadline."""
    if absolute:
        return deadline + grace
    if hard_limit is not None:
        return max(hard_limit, deadline + grace)
    return max(2 * deadline, deadline + grace)


@dataclass(frozen=True)
class ResolvedExpectation:
    """One expected action with every field decided (rule fields + scenario overrides)."""

    id: str
    inject: str
    rule: str | None
    title: dict[str, str]
    role: str
    substitutes: tuple[str, ...]
    action: str
    params: dict[str, Any]
    when: Condition | None
    immediate: bool
    deadline: int | None
    grace: int
    hard_limit: int | None
    hard_deadline: bool
    criticality: str
    weight: float
    capability: str
    clause: Clause | None
    scored: bool

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in ("clause", "when")}
        data["substitutes"] = list(self.substitutes)
        data["clause"] = self.clause.model_dump() if self.clause else None
        data["when"] = self.when.model_dump(by_alias=True) if self.when else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResolvedExpectation:
        """The inverse of ``to_dict`` (a joined console gets its own checklist this way)."""
        from pydantic import TypeAdapter

        clause = Clause.model_validate(data["clause"]) if data.get("clause") else None
        when = TypeAdapter(Condition).validate_python(data["when"]) if data.get("when") else None
        return cls(
            **{
                **data,
                "clause": clause,
                "when": when,
                "substitutes": tuple(data.get("substitutes") or ()),
            }
        )

    def answerable_by(self, role: str) -> bool:
        """Whether a decision by ``role`` can answer this: the owner or a named substitute."""
        return role == self.role or role in self.substitutes


class ResolveError(ValueError):
    """An expectation cannot be resolved (unknown rule, missing field)."""


def resolve_expectation(
    plan: Plan, inject: Inject, exp: Expectation, immediate: int = IMMEDIATE_SECONDS
) -> ResolvedExpectation:
    rule = plan.rule(exp.rule) if exp.rule else None
    if exp.rule and rule is None:
        raise ResolveError(f"unknown plan rule {exp.rule!r}")

    def pick(name: str, default: Any = None) -> Any:
        own = getattr(exp, name)
        if own is not None:
            return own
        if rule is not None:
            return getattr(rule, name)
        return default

    title = pick("title")
    deadline = pick("deadline")
    is_immediate = deadline == IMMEDIATE
    if is_immediate:
        deadline = immediate
    grace = pick("grace", 0) or 0
    hard_deadline = bool(pick("hard_deadline", False))
    hard_limit = None if is_immediate else pick("hard_limit")
    effective_hard = (
        None if deadline is None else limits(deadline, grace, hard_limit, hard_deadline)
    )
    scored = pick("scored", True)
    clause = pick("clause")
    if scored and clause is None:
        raise ResolveError(
            "a scored expectation must cite its plan clause (clause:) or set scored: false"
        )
    return ResolvedExpectation(
        id=exp.key,
        inject=inject.id,
        rule=exp.rule,
        title=title.model_dump() if title is not None else {"zh": exp.key, "en": exp.key},
        role=pick("role"),
        substitutes=tuple(pick("substitutes", ()) or ()),
        action=pick("action"),
        params=dict(pick("params", {}) or {}),
        when=pick("when"),
        immediate=is_immediate,
        deadline=deadline,
        grace=grace,
        hard_limit=effective_hard,
        hard_deadline=hard_deadline,
        criticality=pick("criticality", "essential"),
        weight=float(pick("weight", 1.0)),
        capability=pick("capability") or DEFAULT_CAPABILITY,
        clause=clause,
        scored=bool(scored),
    )


@dataclass
class CompiledScenario:
    """Plan + scenario with resolved expectations and id lookups."""

    plan: Plan
    scenario: Scenario
    injects: dict[str, Inject] = field(default_factory=dict)
    expectations: dict[str, ResolvedExpectation] = field(default_factory=dict)
    prohibited: dict[str, tuple[str | None, Prohibited]] = field(default_factory=dict)
    precedence: list[tuple[str, str]] = field(default_factory=list)
    source_text: dict[str, str] = field(default_factory=dict)
    # inject id → the expectations it opens, resolved once (the engine's hot path)
    opens: dict[str, tuple[ResolvedExpectation, ...]] = field(default_factory=dict)

    # expectation id → the expectations precedence pairs put before it (built on first use)
    _before: dict[str, list[str]] | None = field(default=None, repr=False, compare=False)

    def must_come_after(self, expectation_id: str) -> list[str]:
        """Expectations that precedence pairs put before this one, in file order.

        Indexed once, so a bot ordering each inject's answers never rescans every pair.
        """
        if self._before is None:
            self._before = {}
            for first, second in self.precedence:
                self._before.setdefault(second, []).append(first)
        return self._before.get(expectation_id, [])

    @property
    def always_prohibited(self) -> list[Prohibited]:
        """Items armed from the start: the plan's and the scenario's own."""
        return [item for inject, item in self.prohibited.values() if inject is None]

    @property
    def duration(self) -> int:
        return self.scenario.duration

    def capability_of(self, expectation_id: str) -> str:
        exp = self.expectations.get(expectation_id)
        return exp.capability if exp else DEFAULT_CAPABILITY


def compile_scenario(
    plan: Plan, scenario: Scenario, *, immediate: int = IMMEDIATE_SECONDS
) -> CompiledScenario:
    """Resolve every expectation; raises ResolveError on the first problem.

    Cross-checks (``engine.crosscheck``) report all problems with positions; this is the
    strict path used once a scenario has been validated.
    """
    compiled = CompiledScenario(plan=plan, scenario=scenario)
    for prohibited in [*plan.prohibited, *scenario.prohibited]:
        if prohibited.id in compiled.prohibited:
            raise ResolveError(f"prohibited id {prohibited.id!r} is used twice")
        compiled.prohibited[prohibited.id] = (None, prohibited)
    for pair in scenario.precedence:
        compiled.precedence.append((pair[0], pair[1]))
    for inject in scenario.injects:
        if inject.id in compiled.injects:
            raise ResolveError(f"inject id {inject.id!r} is used twice")
        compiled.injects[inject.id] = inject
        opens = []
        for exp in inject.expects:
            resolved = resolve_expectation(plan, inject, exp, immediate)
            if resolved.id in compiled.expectations:
                raise ResolveError(f"expectation id {resolved.id!r} is used twice")
            compiled.expectations[resolved.id] = resolved
            opens.append(resolved)
        compiled.opens[inject.id] = tuple(opens)
        for prohibited in inject.prohibited:
            if prohibited.id in compiled.prohibited:
                raise ResolveError(f"prohibited id {prohibited.id!r} is used twice")
            compiled.prohibited[prohibited.id] = (inject.id, prohibited)
        for pair in inject.precedence:
            compiled.precedence.append((pair[0], pair[1]))
    return compiled


def static_times(scenario: Scenario) -> dict[str, int]:
    """Fire times known before play: ``at`` injects and chains of ``after: inject``."""
    return {inject_id: earliest for inject_id, (earliest, _) in fire_windows(scenario).items()}


def fire_windows(scenario: Scenario) -> dict[str, tuple[int, int]]:
    """(earliest, latest) fire time of every inject whose time is known before play.

    ``at`` injects and chains of ``after: inject`` from them; the latest adds each
    ``jitter`` on the way. One pass down the chains, so large scenarios stay linear.
    """
    by_id = {inject.id: inject for inject in scenario.injects}  # the last of duplicates
    children: dict[str, list[Inject]] = {}
    for inject in by_id.values():
        if inject.at is None and inject.after is not None and inject.after.inject:
            children.setdefault(inject.after.inject, []).append(inject)
    windows: dict[str, tuple[int, int]] = {}
    queue: list[Inject] = []
    for inject in by_id.values():
        if inject.at is not None:
            windows[inject.id] = (inject.at, inject.at + inject.jitter)
            queue.append(inject)
    while queue:
        parent = queue.pop()
        earliest, latest = windows[parent.id]
        for child in children.get(parent.id, ()):
            if child.id in windows:
                continue
            assert child.after is not None
            delay = child.after.delay
            windows[child.id] = (earliest + delay, latest + delay + child.jitter)
            queue.append(child)
    return windows
