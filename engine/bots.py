"""Bot policies that play plan roles: ideal, novice, idle and rogue.

Bots fill empty seats in solo practice and test scenarios: an ideal run must score 100 and
an idle run must fail. Their randomness is seeded per (seed, role, expectation), so one
choice never shifts another and a resumed drill makes the same choices again.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from engine.compiled import CompiledScenario, ResolvedExpectation
from engine.conditions import evaluate
from engine.events import Decision, Event, Kind, canonical_json
from engine.plan import Action, Plan
from engine.runner import Bot, PlannedDecision
from engine.runtime import DrillEngine
from engine.variants import Variant, fill_params, prohibited_variants, wrong_variants

BOT_NAMES = ("ideal", "novice", "idle", "rogue")


class _ExpectationBot(Bot):
    """Reacts to each delivered inject by planning the expected actions of its roles."""

    name = "bot"

    def __init__(self, roles: Iterable[str], seed: int = 0) -> None:
        self.roles = frozenset(roles)
        self.seed = seed

    def observe(self, event: Event, engine: DrillEngine) -> Iterable[PlannedDecision]:
        if event.kind != Kind.INJECT_DELIVERED:
            return ()
        compiled = engine.compiled
        specs = [compiled.expectations[e] for e in event.data["expectations"]]
        mine = [s for s in specs if s.role in self.roles]
        if not mine:
            return ()
        return self.plan(event.t, mine, engine)

    @abstractmethod
    def plan(
        self, t: int, specs: list[ResolvedExpectation], engine: DrillEngine
    ) -> Iterable[PlannedDecision]:
        """Decisions this policy makes for expectations opened at ``t``."""


def _order_by_precedence(
    specs: list[ResolvedExpectation], compiled: CompiledScenario
) -> list[ResolvedExpectation]:
    """Expectations in an order that honours precedence pairs (stable otherwise)."""
    remaining = list(specs)
    ordered: list[ResolvedExpectation] = []
    done: set[str] = set()
    ids = {s.id for s in specs}
    while remaining:
        for spec in remaining:
            blockers = [a for a in compiled.must_come_after(spec.id) if a in ids and a != spec.id]
            if all(a in done for a in blockers):
                break
        else:
            spec = remaining[0]  # a cycle in the file: cross-checks report it
        ordered.append(spec)
        done.add(spec.id)
        remaining.remove(spec)
    return ordered


def _still_pending(engine: DrillEngine, exp_id: str) -> Callable[[], bool]:
    return lambda: exp_id in engine.pending


class IdealBot(_ExpectationBot):
    """Does every expected action by its responsible role, on time, right parameters."""

    name = "ideal"
    step = 60

    def plan(
        self, t: int, specs: list[ResolvedExpectation], engine: DrillEngine
    ) -> list[PlannedDecision]:
        ordered = _order_by_precedence(specs, engine.compiled)
        delays = _within_reach(self._delays(ordered), ordered, t, engine)
        plans = []
        for spec, delay in zip(ordered, delays, strict=True):
            decision = Decision(
                role=spec.role,
                action=spec.action,
                params=_answer_params(engine, spec),
                source="bot",
                key=f"ideal:{spec.id}",
            )
            plans.append(PlannedDecision(t + delay, 0, decision, _still_pending(engine, spec.id)))
        return plans

    def _delays(self, ordered: list[ResolvedExpectation]) -> list[int]:
        """A minute apart, or half the deadline when that is sooner."""
        delays = []
        for i, spec in enumerate(ordered, start=1):
            delay = self.step * i
            if spec.deadline is not None:
                delay = min(delay, max(1, spec.deadline // 2))
                delay = max(delay, i)  # keep precedence order even for short deadlines
            delays.append(delay)
        return delays


def _within_reach(
    delays: list[int], ordered: list[ResolvedExpectation], t: int, engine: DrillEngine
) -> list[int]:
    """The delays, pulled in where they would miss a deadline or the end of the drill.

    Answers due within seconds, or opened just before the end, are then given at once
    (in precedence order: plans at one time are applied in the order they were made).
    A first answer of a pair is never later than its second. Delays that already fit
    stay as they are, so drills that played well play exactly as before.
    """
    last = max(0, engine.compiled.duration - 1 - t)  # the drill ends before later decisions
    fitted = []
    for spec, delay in zip(ordered, delays, strict=True):
        fitted.append(min(delay, last if spec.deadline is None else min(last, _due(spec))))
    position = {spec.id: i for i, spec in enumerate(ordered)}
    for j in reversed(range(len(ordered))):
        for first in engine.compiled.must_come_after(ordered[j].id):
            i = position.get(first)
            if i is not None and i < j:
                fitted[i] = min(fitted[i], fitted[j])
    return fitted


def _due(spec: ResolvedExpectation) -> int:
    """The last second an answer is on time. At the hard limit the engine closes the
    expectation before it applies decisions of that second, so one second earlier when
    the deadline is absolute."""
    assert spec.deadline is not None
    due = spec.deadline + spec.grace
    return due - 1 if spec.hard_limit is not None and spec.hard_limit <= due else due


def _answer_params(engine: DrillEngine, spec: ResolvedExpectation) -> dict[str, Any]:
    """The expected parameters, completed with values no armed item forbids."""
    plan = engine.compiled.plan
    action = plan.action(spec.action)
    assert action is not None
    armed = [
        item
        for item in engine.armed_for(spec.action)
        if item.when is None and item.role in (None, spec.role)
    ]

    def forbidden(params: dict[str, Any]) -> bool:
        return any(all(params.get(k) == v for k, v in item.params.items()) for item in armed)

    return fill_params(plan, action, spec.params, avoid=forbidden if armed else None)


class NoviceBot(_ExpectationBot):
    """Seeded mistakes: sometimes skips, is late, picks a wrong level or the wrong role."""

    name = "novice"
    skip = 0.08
    late = 0.3
    wrong_level = 0.2
    wrong_role = 0.1

    def plan(
        self, t: int, specs: list[ResolvedExpectation], engine: DrillEngine
    ) -> list[PlannedDecision]:
        compiled = engine.compiled
        plans = []
        for spec in specs:
            rng = random.Random(f"novice:{self.seed}:{spec.id}")
            if rng.random() < self.skip:
                continue
            action = compiled.plan.action(spec.action)
            assert action is not None
            if spec.deadline is None:
                delay = rng.randint(60, 1800)
            elif rng.random() < self.late:
                upper = spec.hard_limit or spec.deadline * 2
                delay = rng.randint(
                    spec.deadline + spec.grace + 1, max(upper, spec.deadline + spec.grace + 1)
                )
            else:
                delay = rng.randint(1, max(1, spec.deadline))
            params = fill_params(compiled.plan, action, spec.params)
            if rng.random() < self.wrong_level:
                params = self._off_by_one(compiled.plan, action, params, rng)
            role = spec.role
            others = [r for r in action.roles if r != spec.role]
            if others and rng.random() < self.wrong_role:
                role = rng.choice(others)
            decision = Decision(
                role=role,
                action=spec.action,
                params=params,
                source="bot",
                key=f"novice:{spec.id}",
            )
            plans.append(PlannedDecision(t + delay, 0, decision, _still_pending(engine, spec.id)))
        return plans

    @staticmethod
    def _off_by_one(
        plan: Plan, action: Action, params: dict[str, Any], rng: random.Random
    ) -> dict[str, Any]:
        for param in action.params:
            if param.type == "scale" and param.id in params:
                scale = plan.scale(param.scale or "")
                if scale is None:
                    continue
                ids = scale.ids()
                i = ids.index(params[param.id])
                j = i + rng.choice((-1, 1))
                if not 0 <= j < len(ids):
                    j = i - (j - i)
                return {**params, param.id: ids[j]}
        return params


class RogueBot(_ExpectationBot):
    """Seeded mischief: tries prohibited options and wrong parameters, on time.

    For each expectation of its roles it picks a prohibited variant (if the files offer
    one), a wrong-parameter variant, or the right answer; at each inject it may also try an
    armed prohibited act of another action. ``attempts`` counts, per prohibited item, the
    decisions it actually made in that item's shape, so calibration can say how often each
    one was caught.
    """

    name = "rogue"
    try_prohibited = 0.5
    try_wrong = 0.6
    stray_act = 0.25

    def __init__(self, roles: Iterable[str], seed: int = 0) -> None:
        super().__init__(roles, seed)
        self.attempts: Counter[str] = Counter()
        # (time, role, action, params) of each attempt, to tell its commission apart
        self.attempted: dict[tuple[int, str, str, str], str] = {}

    def plan(
        self, t: int, specs: list[ResolvedExpectation], engine: DrillEngine
    ) -> list[PlannedDecision]:
        compiled = engine.compiled
        plans = []
        for i, spec in enumerate(specs, start=1):
            rng = random.Random(f"rogue:{self.seed}:{spec.id}")
            variant = self._choose(rng, prohibited_variants(compiled, spec), self.try_prohibited)
            if variant is None:
                variant = self._choose(rng, wrong_variants(compiled, spec), self.try_wrong)
            delay = max(i, min(60 * i, (spec.deadline or 1200) // 2))
            if variant is None:
                action = compiled.plan.action(spec.action)
                assert action is not None
                params = fill_params(compiled.plan, action, spec.params)
                variant = Variant("right", "", spec.role, spec.action, params)
            decision = Decision(
                variant.role, variant.action, variant.params, source="bot", key=f"rogue:{spec.id}"
            )
            needed = self._counting(variant, _still_pending(engine, spec.id), engine, t + delay)
            plans.append(PlannedDecision(t + delay, 0, decision, needed))
        plans.extend(self._stray(t, engine))
        return plans

    def observe(self, event: Event, engine: DrillEngine) -> Iterable[PlannedDecision]:
        planned = list(super().observe(event, engine))
        if event.kind == Kind.INJECT_DELIVERED and not planned:
            planned = self._stray(event.t, engine)
        return planned

    def _stray(self, t: int, engine: DrillEngine) -> list[PlannedDecision]:
        """Maybe one armed prohibited act, by one of the bot's roles allowed to do it."""
        plan = engine.compiled.plan
        rng = random.Random(f"rogue-stray:{self.seed}:{t}:{len(engine.events)}")
        if rng.random() >= self.stray_act:
            return []
        options = []
        for item in sorted(engine.active_prohibited.values(), key=lambda p: p.id):
            action = plan.action(item.action)
            roles = [r for r in (action.roles if action else []) if r in self.roles]
            roles = [r for r in roles if item.role in (None, r)]
            if action is not None and roles:
                params = fill_params(plan, action, dict(item.params))
                options.append(Variant("prohibited", item.id, roles[0], item.action, params))
        if not options:
            return []
        variant = rng.choice(options)
        decision = Decision(variant.role, variant.action, variant.params, source="bot")
        return [
            PlannedDecision(
                t + 1, 0, decision, self._counting(variant, lambda: True, engine, t + 1)
            )
        ]

    @staticmethod
    def _choose(rng: random.Random, options: list[Variant], chance: float) -> Variant | None:
        return rng.choice(options) if options and rng.random() < chance else None

    def _counting(
        self, variant: Variant, needed: Callable[[], bool], engine: DrillEngine, at: int
    ) -> Callable[[], bool]:
        """Count an attempt when the act is made while its item is armed (its ``when``
        holding): only then should the engine catch it."""

        def check() -> bool:
            go = needed()
            item = engine.active_prohibited.get(variant.label)
            armed = item is not None and (item.when is None or evaluate(item.when, engine.facts))
            if go and variant.kind == "prohibited" and armed:
                self.attempts[variant.label] += 1
                params = canonical_json(variant.params)
                when = max(at, engine.now)  # when the runner will apply it
                self.attempted[(when, variant.role, variant.action, params)] = variant.label
            return go

        return check


class SwapBot(IdealBot):
    """The ideal bot with some expectations answered otherwise (or not at all).

    ``swaps`` maps an expectation id to the variant to play instead, or None for nothing:
    the swap table compares these runs with the ideal one.
    """

    name = "swap"

    def __init__(self, roles: Iterable[str], swaps: dict[str, Variant | None]) -> None:
        super().__init__(roles, 0)
        self.swaps = swaps

    def plan(
        self, t: int, specs: list[ResolvedExpectation], engine: DrillEngine
    ) -> list[PlannedDecision]:
        plans = []
        for planned in super().plan(t, specs, engine):
            exp_id = (planned.decision.key or "").removeprefix("ideal:")
            if exp_id not in self.swaps:
                plans.append(planned)
                continue
            variant = self.swaps[exp_id]
            if variant is not None:
                decision = Decision(
                    variant.role, variant.action, variant.params, source="bot", key=f"swap:{exp_id}"
                )
                plans.append(PlannedDecision(planned.t, 0, decision, planned.needed))
        return plans


class IdleBot(Bot):
    """Does nothing: the floor every scenario must fail."""

    name = "idle"

    def __init__(self, roles: Iterable[str], seed: int = 0) -> None:
        self.roles = frozenset(roles)


def make_bot(kind: str, roles: Iterable[str], seed: int = 0) -> Bot:
    if kind == "ideal":
        return IdealBot(roles, seed)
    if kind == "novice":
        return NoviceBot(roles, seed)
    if kind == "idle":
        return IdleBot(roles, seed)
    if kind == "rogue":
        return RogueBot(roles, seed)
    raise ValueError(f"unknown bot {kind!r}; choose one of {', '.join(BOT_NAMES)}")
