"""The drill engine: SimPy plays the scenario and emits domain events.

The engine is deterministic: the same compiled scenario, seed and inputs (applied at the
same scenario seconds) give the same event stream. Inputs are applied by ``apply`` once
the caller has advanced the clock to their time (``advance_to``); the ``Runner`` does that
for bots, the UI and replays alike, so live play and replay take the same path.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import simpy

from engine.compiled import CompiledScenario, ResolvedExpectation
from engine.conditions import Fact, Facts, evaluate, explain
from engine.events import Decision, EndDrill, Event, FireInject, Input, Kind, SendHint
from engine.params import decision_refusals, exact_matches, wrong_params
from engine.plan import Prohibited
from engine.scenario import Hint, Inject

Listener = Callable[[Event], None]
# The rules the engine plays by, stamped on every drill's start. 2: the outcome model
# (partly answers stay open, prohibited decisions answer nothing, only owners or named
# substitutes answer, plan-level prohibited items). 3: refused decisions carry reason
# codes (``problems``) besides the English reason. A journal of an earlier version
# replays under today's rules, so its events differ; its score is rejudged either way.
ENGINE_RULES = 3


@dataclass
class OpenExpectation:
    """An expectation waiting for its answer; ``partly`` holds a partly right one so far."""

    spec: ResolvedExpectation
    anchor: int
    partly: dict[str, Any] | None = None


class DrillEngine:
    """One drill: scenario + plan + seed + mode, driven by inputs at scenario times."""

    def __init__(
        self, compiled: CompiledScenario, *, seed: int = 0, mode: str = "training"
    ) -> None:
        self.compiled = compiled
        self.seed = seed
        self.mode = mode
        self.env = simpy.Environment()
        self.events: list[Event] = []
        self.listeners: list[Listener] = []
        self.facts = Facts(state=dict(compiled.scenario.state))
        self.pending: dict[str, OpenExpectation] = {}
        self.active_prohibited: dict[str, Prohibited] = {}
        self.fired: dict[str, int] = {}
        self.ended = False
        self.started = False
        self._upcoming: list[tuple[int, int, str]] = []
        self._scheduled: set[str] = set()
        self._after_inject: dict[str, list[Inject]] = {}
        self._after_outcome: dict[str, list[Inject]] = {}
        self._conditional: list[Inject] = []
        # Indexes that keep each step proportional to what it touches, not to the drill:
        # the waiting conditions each fact can change (``explain``), the open expectations
        # and the armed items of each action.
        self._watchers: dict[Fact, set[int]] = {}
        self._watching: dict[int, list[Fact]] = {}
        self._pending_by_action: dict[str, dict[str, OpenExpectation]] = {}
        self._armed_by_action: dict[str, dict[str, Prohibited]] = {}
        for inject in compiled.scenario.injects:
            if inject.after is not None and inject.after.inject:
                self._after_inject.setdefault(inject.after.inject, []).append(inject)
            elif inject.after is not None and inject.after.expectation:
                self._after_outcome.setdefault(inject.after.expectation, []).append(inject)
            elif inject.when is not None:
                self._conditional.append(inject)
        # Conditions to evaluate at the next check: all of them the first time, then only
        # those a changed fact may have turned (a condition is a function of its facts).
        self._unchecked: set[int] = set(range(len(self._conditional)))

    # -- time ------------------------------------------------------------------------

    @property
    def now(self) -> int:
        """Scenario seconds; always whole, since every delay is an integer."""
        return int(self.env.now)

    def advance_to(self, t: int) -> None:
        """Process every event up to and including scenario second ``t``; now becomes ``t``.

        A bare timeout at ``t`` moves the clock there (cheaper than ``env.run(until=t)``,
        which also leaves its stop event behind if it fails).
        """
        env = self.env
        if t > env.now:
            env.timeout(t - env.now)
        while not self.ended and env.peek() <= t:
            env.step()

    def next_inject_time(self, role: str | None = None) -> int | None:
        """When the next already-scheduled inject fires (for skip-to-next); with ``role``,
        the next one addressed to that role."""
        while self._upcoming and self._upcoming[0][2] in self.fired:
            heapq.heappop(self._upcoming)
        if role is None:
            return self._upcoming[0][0] if self._upcoming else None
        injects = self.compiled.injects
        mine = [
            t for t, _, inject_id in self._upcoming
            if inject_id not in self.fired and role in injects[inject_id].to
        ]  # fmt: skip
        return min(mine, default=None)

    # -- events ----------------------------------------------------------------------

    def _emit(self, kind: Kind, data: dict[str, Any]) -> Event:
        events = self.events
        event = Event(len(events) + 1, self.env.now, kind, data)  # type: ignore[arg-type]
        events.append(event)
        for listener in self.listeners:
            listener(event)
        return event

    def _later(self, delay: int, callback: Callable[[], None]) -> None:
        """Run ``callback`` in ``delay`` scenario seconds (the timeout carries it as value)."""
        timeout = simpy.Timeout(self.env, delay, callback)
        assert timeout.callbacks is not None
        timeout.callbacks.append(self._run_callback)

    def _run_callback(self, timeout: simpy.Event) -> None:
        if not self.ended:
            timeout.value()  # type: ignore[misc]  # always the callable _later gave it

    # -- start and end ---------------------------------------------------------------

    def start(self) -> None:
        """Emit the start event and schedule timed injects and the end of the drill."""
        if self.started:
            return
        self.started = True
        scenario = self.compiled.scenario
        self._emit(
            Kind.DRILL_STARTED,
            {
                "scenario": scenario.id,
                "plan": self.compiled.plan.id,
                "plan_version": self.compiled.plan.version,
                "seed": self.seed,
                "mode": self.mode,
                "engine_rules": ENGINE_RULES,
                "duration": scenario.duration,
                "state": dict(self.facts.state),
            },
        )
        for item in self.compiled.always_prohibited:
            self._arm(item)
        for inject in scenario.injects:
            if inject.at is not None:
                self._schedule(inject, inject.at)
        self._later(scenario.duration, lambda: self._end("scenario time is up"))

    def _end(self, reason: str) -> None:
        if self.ended:
            return
        for exp_id in sorted(self.pending, key=lambda e: (self.pending[e].anchor, e)):
            self._resolve_missed(exp_id, "the drill ended")
        self._emit(Kind.DRILL_ENDED, {"reason": reason})
        self.ended = True

    # -- injects ---------------------------------------------------------------------

    def _schedule(self, inject: Inject, delay: int) -> None:
        if inject.id in self._scheduled or inject.id in self.fired:
            return
        self._scheduled.add(inject.id)
        if inject.jitter:
            # Seeded per inject, so one inject's jitter never shifts another's.
            delay += random.Random(f"{self.seed}:{inject.id}").randint(0, inject.jitter)
        heapq.heappush(self._upcoming, (self.now + delay, len(self._scheduled), inject.id))
        self._later(delay, partial(self._deliver, inject))

    def _deliver(self, inject: Inject, *, manual: bool = False) -> None:
        inject_id = inject.id
        if inject_id in self.fired:
            return
        now = self.now
        self.fired[inject_id] = now
        facts = self.facts
        facts.fired.add(inject_id)
        specs = self.compiled.opens[inject_id]
        pending, outcomes = self.pending, facts.outcomes
        self._changed("fired", inject_id)
        for spec in specs:
            open_exp = OpenExpectation(spec, now)
            pending[spec.id] = open_exp
            self._pending_by_action.setdefault(spec.action, {})[spec.id] = open_exp
            outcomes[spec.id] = "pending"
            self._changed("outcome", spec.id)
        for item in inject.prohibited:
            self._arm(item)
        data: dict[str, Any] = {
            "inject": inject_id,
            "to": list(inject.to),
            "channel": inject.channel,
            "expectations": [spec.id for spec in specs],
        }
        if manual:
            data["manual"] = True
        self._emit(Kind.INJECT_DELIVERED, data)
        for effect in inject.effects:
            old = facts.state.get(effect.key)
            new: Any = effect.value
            if effect.add is not None and isinstance(effect.value, (int, float)):
                new = (old if isinstance(old, (int, float)) else 0) + effect.value
            self._set_state(effect.key, new, inject_id)
        for spec in specs:
            if spec.id in pending:
                self._watch(pending[spec.id])
        for hint in inject.hints:
            self._later(hint.after, self._hint_callback(inject, hint))
        for child in self._after_inject.get(inject_id, ()):
            assert child.after is not None
            self._schedule(child, child.after.delay)
        if self._conditional:
            self._check_conditions()

    def _set_state(self, key: str, value: Any, cause: str) -> None:
        old = self.facts.state.get(key)
        if old == value and key in self.facts.state:
            return
        self.facts.state[key] = value
        self._changed("state", key)
        self._changed("state", key, value)
        self._emit(Kind.STATE_CHANGED, {"key": key, "value": value, "old": old, "cause": cause})

    def _changed(self, *fact: Any) -> None:
        """A fact changed: the conditions waiting on it must be evaluated again."""
        try:
            watchers = self._watchers.get(fact)
        except TypeError:  # an unhashable value: no condition can wait for it
            return
        if watchers:
            self._unchecked.update(watchers)

    def _watch_facts(self, index: int, facts: list[Fact]) -> None:
        """Wait on exactly ``facts`` from now on (none: the inject is scheduled)."""
        for fact in self._watching.pop(index, ()):
            self._watchers[fact].discard(index)
        if facts:
            self._watching[index] = facts
            for fact in facts:
                self._watchers.setdefault(fact, set()).add(index)

    def armed_for(self, action: str) -> list[Prohibited]:
        """The prohibited items armed now for ``action`` (their ``when`` aside)."""
        return list(self._armed_by_action.get(action, {}).values())

    def _arm(self, item: Prohibited) -> None:
        self.active_prohibited[item.id] = item
        self._armed_by_action.setdefault(item.action, {})[item.id] = item

    def _check_conditions(self) -> None:
        """Schedule the conditional injects whose condition now holds, in file order.

        Only conditions a changed fact may have turned are evaluated: the others were
        false at the last check and still are, so the result equals evaluating every one.
        """
        if not self._unchecked:
            return
        indexes = sorted(self._unchecked)
        self._unchecked.clear()
        for index in indexes:
            inject = self._conditional[index]
            if inject.id in self._scheduled or inject.id in self.fired:
                self._watch_facts(index, [])
                continue
            assert inject.when is not None
            holds, depends_on = explain(inject.when, self.facts)
            if holds:
                self._schedule(inject, inject.delay)
            self._watch_facts(index, [] if holds else depends_on)

    # -- expectations ----------------------------------------------------------------

    def _watch(self, open_exp: OpenExpectation) -> None:
        spec = open_exp.spec
        if spec.deadline is None:
            return  # scored on correctness only; missed if not done by the end
        exp_id = spec.id
        due = spec.deadline + spec.grace
        hard = spec.hard_limit if spec.hard_limit is not None else due
        if hard > due:
            self._later(due, partial(self._overdue, exp_id))
        self._later(hard, partial(self._resolve_missed, exp_id, "hard limit passed"))

    def _overdue(self, exp_id: str) -> None:
        if exp_id in self.pending:
            self._emit(Kind.EXPECTATION_OVERDUE, {"expectation": exp_id})

    def _resolve_missed(self, exp_id: str, why: str) -> None:
        """At the hard limit (or the end): a partly right answer is final, else missed."""
        if exp_id not in self.pending:
            return
        open_exp = self.pending[exp_id]
        self._close(exp_id)
        if open_exp.partly is not None:
            outcome, kind = "partly", Kind.EXPECTATION_PARTLY
            data = {**open_exp.partly, "why": why}
        else:
            outcome, kind = "missed", Kind.EXPECTATION_MISSED
            data = {"expectation": exp_id, "anchor": open_exp.anchor, "why": why}
        self.facts.outcomes[exp_id] = outcome
        self._changed("outcome", exp_id)
        self._emit(kind, data)
        self._after_outcome_of(exp_id, outcome)

    def _after_outcome_of(self, exp_id: str, outcome: str) -> None:
        for child in self._after_outcome.get(exp_id, ()):
            assert child.after is not None
            wanted = child.after.outcome
            if wanted == outcome or (wanted == "done" and outcome in ("met", "late")):
                self._schedule(child, child.after.delay)
        self._check_conditions()

    def _hint_callback(self, inject: Inject, hint: Hint) -> Callable[[], None]:
        return lambda: self._auto_hint(inject, hint)

    def _auto_hint(self, inject: Inject, hint: Hint) -> None:
        if self.mode != "training":
            return
        watched = hint.unless if hint.unless is not None else [e.key for e in inject.expects]
        if watched and not any(e in self.pending for e in watched):
            return
        self._emit(
            Kind.HINT_SENT,
            {"inject": inject.id, "to": list(hint.to or inject.to), "text": hint.text.model_dump()},
        )

    # -- inputs ----------------------------------------------------------------------

    def apply(self, item: Input) -> list[Event]:
        """Apply an input at the current scenario time; returns the events it caused."""
        first = len(self.events)
        if isinstance(item, Decision):
            self._decide(item)
        elif isinstance(item, FireInject):
            inject = self.compiled.injects.get(item.inject)
            if inject is not None and not self.ended:
                self._deliver(inject, manual=True)
        elif isinstance(item, SendHint):
            if not self.ended:
                self._emit(Kind.HINT_SENT, {"to": list(item.to), "text": item.text, "manual": True})
        elif isinstance(item, EndDrill):
            self._end(item.reason)
        return self.events[first:]

    def _decide(self, decision: Decision) -> None:
        base = {
            "role": decision.role,
            "action": decision.action,
            "params": decision.params,
            "note": decision.note,
            "source": decision.source,
        }
        if decision.participant:
            base["participant"] = decision.participant
        if self.ended:
            ended = {"reason": "the drill has ended", "code": "drill_ended"}
            self._emit(Kind.DECISION_REFUSED, {**base, **ended})
            return
        refusals = decision_refusals(
            self.compiled.plan, decision.role, decision.action, decision.params
        )
        if refusals:  # the English reason for the journal, the codes for the consoles
            reason = "; ".join(r.message for r in refusals)
            problems = [r.to_data() for r in refusals]
            self._emit(Kind.DECISION_REFUSED, {**base, "reason": reason, "problems": problems})
            return
        # Facts are judged as they stand when the decision is made, before it changes them.
        armed = self._armed_by_action.get(decision.action, {})
        forbidden = [item for item in armed.values() if self._is_prohibited(item, decision)]
        exact, partly = ([], None) if forbidden else self._match(decision)
        data = {**base, "expectations": [o.spec.id for o in exact]}
        if forbidden:
            data["prohibited"] = [item.id for item in forbidden]
        accepted = self._emit(Kind.DECISION_ACCEPTED, data)
        self.facts.actions.append((decision.role, decision.action, dict(decision.params)))
        self._changed("action", decision.action)
        for key, value in decision.params.items():
            self._changed("action", decision.action, key, value)
        for item in forbidden:
            self._emit(
                Kind.COMMISSION,
                {
                    "prohibited": item.id,
                    "decision": accepted.seq,
                    "role": decision.role,
                    "severity": item.severity,
                    "reason": item.reason.model_dump(),
                },
            )
        for open_exp in exact:
            self._resolve_done(open_exp, accepted)
        if partly is not None:
            self._answer_partly(partly, accepted)
        action = self.compiled.plan.action(decision.action)
        if action is not None:
            for key, param_id in action.sets.items():
                if param_id in decision.params:
                    self._set_state(key, decision.params[param_id], decision.action)
        self._check_conditions()

    def _match(self, decision: Decision) -> tuple[list[OpenExpectation], OpenExpectation | None]:
        """The pending expectations this decision answers right, or the one it answers partly.

        Only the owner's expectations, or those whose rule names the role as a substitute,
        can be answered (the owner's first), and only while the expectation's ``when``
        holds. All exact matches are fulfilled; with none, the closest one gets a partly
        right answer (a wrong level still answers the question) and stays open.
        """
        role, facts = decision.role, self.facts
        candidates = [
            o
            for o in self._pending_by_action.get(decision.action, {}).values()
            if o.spec.answerable_by(role) and (o.spec.when is None or evaluate(o.spec.when, facts))
        ]
        own = [o for o in candidates if o.spec.role == role]
        pool = own or candidates
        if not pool:
            return [], None
        exact = [
            o for o in pool if exact_matches(o.spec.params, decision.params) == len(o.spec.params)
        ]
        if exact:
            return sorted(exact, key=lambda o: (o.anchor, o.spec.id)), None
        best = max(
            pool,
            key=lambda o: (exact_matches(o.spec.params, decision.params), -o.anchor, o.spec.id),
        )
        return [], best

    def _close(self, exp_id: str) -> None:
        """Take an expectation off the open lists (it has its outcome)."""
        open_exp = self.pending.pop(exp_id, None)
        if open_exp is not None:
            self._pending_by_action[open_exp.spec.action].pop(exp_id, None)

    def _answer_partly(self, open_exp: OpenExpectation, decision: Event) -> None:
        spec = open_exp.spec
        given = decision.data["params"]
        open_exp.partly = {
            "expectation": spec.id,
            "anchor": open_exp.anchor,
            "latency": self.now - open_exp.anchor,
            "decision": decision.seq,
            "role": decision.data["role"],
            "params": given,
            "wrong": wrong_params(spec.params, given),
        }
        self._emit(Kind.ANSWER_PARTLY, open_exp.partly)

    def _resolve_done(self, open_exp: OpenExpectation, decision: Event) -> None:
        spec = open_exp.spec
        self._close(spec.id)
        latency = self.now - open_exp.anchor
        late = spec.deadline is not None and latency > spec.deadline + spec.grace
        outcome = "late" if late else "met"
        self.facts.outcomes[spec.id] = outcome
        self._changed("outcome", spec.id)
        self._emit(
            Kind.EXPECTATION_LATE if late else Kind.EXPECTATION_MET,
            {
                "expectation": spec.id,
                "anchor": open_exp.anchor,
                "latency": latency,
                "decision": decision.seq,
                "role": decision.data["role"],
                "params": decision.data["params"],
            },
        )
        self._after_outcome_of(spec.id, outcome)

    def _is_prohibited(self, item: Prohibited, decision: Decision) -> bool:
        if item.action != decision.action:
            return False
        if item.role is not None and item.role != decision.role:
            return False
        if not all(decision.params.get(k) == v for k, v in item.params.items()):
            return False
        return item.when is None or evaluate(item.when, self.facts)
