"""The runner: one path for inputs from bots, people and journals.

A decision stamped at scenario second ``t`` is applied after every engine event at or
before ``t``. Bots plan decisions from the events they observe; the runner interleaves
those plans with the engine's own events in that order. Every input passes through
``on_input`` (the journal) *before* the engine applies it, so an acknowledged decision is
on disk even if the process dies the next instant.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from engine.events import Decision, Event, Input
from engine.memory import gc_paused
from engine.runtime import DrillEngine

InputHook = Callable[[int, Input], None]


@dataclass(order=True)
class PlannedDecision:
    """A bot's intention: decide at ``t`` unless ``needed`` says it no longer makes sense."""

    t: int
    order: int
    decision: Decision = field(compare=False)
    needed: Callable[[], bool] = field(compare=False, default=lambda: True)


class Bot:
    """Base class for policies that play roles; see ``engine.bots``."""

    roles: frozenset[str] = frozenset()

    def observe(self, event: Event, engine: DrillEngine) -> Iterable[PlannedDecision]:
        return ()


class Runner:
    """Drives a ``DrillEngine`` with bots and external inputs."""

    def __init__(
        self,
        engine: DrillEngine,
        bots: Sequence[Bot] = (),
        *,
        on_input: InputHook | None = None,
        skip_keys: Iterable[str] = (),
    ) -> None:
        self.engine = engine
        self.bots: list[Bot] = []
        self.on_input = on_input
        self.skip_keys = set(skip_keys)
        self._plans: list[PlannedDecision] = []
        self._order = 0
        self.bots_active = True
        self._observers: list[Bot] = []
        for bot in bots:
            self.add_bot(bot)

    def add_bot(self, bot: Bot) -> None:
        """A bot that reacts to events is told of each one; an idle bot costs nothing."""
        self.bots.append(bot)
        if type(bot).observe is Bot.observe:
            return
        if not self._observers:
            self.engine.listeners.append(self._observe)
        self._observers.append(bot)

    def _observe(self, event: Event) -> None:
        for bot in self._observers:
            for plan in bot.observe(event, self.engine):
                self._order += 1
                plan.order = self._order
                heapq.heappush(self._plans, plan)

    def start(self) -> None:
        with gc_paused():  # scheduling every timed inject allocates as much as playing
            self.engine.start()

    def next_bot_time(self) -> float:
        if not self.bots_active or not self._plans:
            return math.inf
        return self._plans[0].t

    def run_until(self, t: float, *, max_steps: int | None = None) -> bool:
        """Advance to scenario time ``t``; False if ``max_steps`` stopped it short."""
        with gc_paused():
            return self._run_until(t, max_steps)

    def _run_until(self, t: float, max_steps: int | None) -> bool:
        engine, env, plans = self.engine, self.engine.env, self._plans  # plans: a heap, in place
        steps = 0
        while not engine.ended:
            if max_steps is not None and steps >= max_steps:
                return False
            next_event = env.peek()
            next_bot = plans[0].t if plans and self.bots_active else math.inf
            if next_event <= t and next_event <= next_bot:
                env.step()
            elif next_bot <= t:
                plan = heapq.heappop(self._plans)
                if plan.decision.key in self.skip_keys:
                    continue
                if plan.needed():
                    self._apply(plan.t, plan.decision)
            else:
                break
            steps += 1
        return True

    def submit(self, t: int, item: Input) -> list[Event]:
        """Apply an outside input at scenario time ``t`` (after everything up to ``t``)."""
        t = max(t, self.engine.now)
        self.run_until(t)
        return self._apply(t, item)

    def _apply(self, t: int, item: Input) -> list[Event]:
        t = max(t, self.engine.now)  # a plan made before a resume applies now, not in the past
        self.engine.advance_to(t)
        if self.on_input is not None:
            self.on_input(t, item)
        return self.engine.apply(item)

    def drop_plans(self, keys: Iterable[str]) -> None:
        """Forget bot plans already carried out (their inputs are in the journal)."""
        self.skip_keys.update(keys)

    def run_to_end(self) -> None:
        """Headless: play as fast as possible until the drill ends."""
        self.start()
        self.run_until(math.inf)


def replay(
    engine: DrillEngine,
    inputs: Iterable[tuple[int, Input]],
    bots: Sequence[Bot] = (),
    *,
    until: float = math.inf,
    skip_keys: Iterable[str] = (),
) -> Runner:
    """Feed journaled inputs back through a fresh engine (the same path as live play)."""
    runner = Runner(engine, bots, skip_keys=skip_keys)
    runner.start()
    for t, item in inputs:
        runner.submit(t, item)
    runner.run_until(until)
    return runner
