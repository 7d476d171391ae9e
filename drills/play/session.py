"""A drill session: engine + runner + journal, created fresh or resumed from the store.

The session is the one place that binds the headless engine to the database. It is used
by the CLI today and by the Textual consoles later (they call ``tick`` from a timer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drills.store.database import Store, StoreError
from engine.bots import make_bot
from engine.bundle import Bundle
from engine.clock import SimClock
from engine.events import Decision, Event, Input, Kind
from engine.runner import Bot, Runner
from engine.runtime import DrillEngine
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.score import DrillScore, score_drill

FLUSH_EVERY = 2000

log = logging.getLogger(__name__)


class JournalMismatch(StoreError):
    """Replaying the journal did not reproduce the stored events."""


def make_bots(bots: dict[str, str], seed: int) -> list[Bot]:
    """One bot per policy, covering the roles assigned to it."""
    by_kind: dict[str, list[str]] = {}
    for role, kind in sorted(bots.items()):
        by_kind.setdefault(kind, []).append(role)
    return [make_bot(kind, roles, seed) for kind, roles in sorted(by_kind.items())]


@dataclass
class Outcome:
    drill_id: str
    score: DrillScore
    events: int
    rated: bool = True  # False: ended before it started; no score was saved


class DrillSession:
    """Plays one drill and keeps its journal current."""

    def __init__(
        self,
        store: Store,
        drill_id: str,
        bundle: Bundle,
        *,
        seed: int,
        mode: str,
        bots: dict[str, str],
        durable_inputs: bool = True,
    ) -> None:
        self.store = store
        self.drill_id = drill_id
        self.bundle = bundle
        self.compiled = bundle.compiled
        self.seed = seed
        self.mode = mode
        self.bots = bots
        self.durable_inputs = durable_inputs
        self.engine = DrillEngine(self.compiled, seed=seed, mode=mode)
        self.runner = Runner(self.engine, make_bots(bots, seed), on_input=self._record_input)
        self._input_seq = 0
        self._buffered_inputs: list[tuple[int, int, Input]] = []
        self._persisted = 0
        self._stored: list[Event] = []
        self._replaying = False
        self.clock: SimClock | None = None
        self.engine.listeners.append(self._maybe_flush)

    # -- creation --------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        store: Store,
        bundle: Bundle,
        *,
        seed: int = 0,
        mode: str = "training",
        bots: dict[str, str],
        speed: float = 0.0,
        durable_inputs: bool = True,
        purpose: str = "practice",
    ) -> DrillSession:
        scenario = bundle.compiled.scenario
        plan = bundle.compiled.plan
        drill_id = store.create_drill(
            scenario_id=scenario.id,
            scenario_version=scenario.version,
            plan_id=plan.id,
            plan_version=plan.version,
            seed=seed,
            mode=mode,
            bots=bots,
            speed=speed,
            scenario_path=bundle.scenario_path,
            scenario_text=bundle.scenario_text,
            plan_text=bundle.plan_text,
            purpose=purpose,
        )
        try:
            session = cls(
                store,
                drill_id,
                bundle,
                seed=seed,
                mode=mode,
                bots=bots,
                durable_inputs=durable_inputs,
            )
            session.hold()
            session.runner.start()
        except Exception:
            store.release_drill(drill_id)
            discard_unstarted(store, drill_id)
            raise
        return session

    @classmethod
    def resume(cls, store: Store, drill_id: str) -> DrillSession:
        """Rebuild a drill from its journal: replay inputs, check events, carry on."""
        record = store.drill(drill_id)
        if record.status == "ended":
            raise StoreError(f"drill {record.id} has already ended; nothing to resume")
        if record.void:
            raise StoreError(
                f"drill {record.id} was voided ({record.void_reason}); it cannot be resumed"
            )
        bundle = record.bundle()
        session = cls(
            store, record.id, bundle, seed=record.seed, mode=record.mode, bots=record.bots
        )
        session.hold()  # refused while the process that plays it is alive
        inputs = store.inputs(record.id)
        session._stored = store.events(record.id)
        session._input_seq = len(inputs)
        session._replaying = True
        session.runner.bots_active = False
        session.runner.start()
        for t, item in inputs:
            session.runner.submit(t, item)
        session._replaying = False
        session.runner.drop_plans(
            item.key for _, item in inputs if isinstance(item, Decision) and item.key
        )
        session.runner.bots_active = True
        # Regenerate everything the journal already shows (events after the last input:
        # injects, bot decisions) before anything new happens. Trainees may have seen
        # them and answered; their answers must land after them, as they did.
        if session._stored:
            session.runner.run_until(session._stored[-1].t)
        session.flush()
        return session

    def hold(self) -> None:
        """Lock the drill for this process: one writer per journal (``DrillBusy``)."""
        self.store.hold_drill(self.drill_id)

    def close(self) -> None:
        """Let go of the drill (the process ends, or the drill did)."""
        self.store.release_drill(self.drill_id)

    def discard_if_unstarted(self) -> bool:
        """After a failed start: remove the drill if nothing of it was journaled as an
        input (see ``discard_unstarted``) and let go of it."""
        self.close()
        return discard_unstarted(self.store, self.drill_id)

    def add_bots(self, kind: str, roles: list[str]) -> None:
        """Give roles nobody took to a bot (a hosted drill, when the trainer starts it)."""
        if not roles:
            return
        self.runner.add_bot(make_bot(kind, roles, self.seed))
        self.bots = {**self.bots, **dict.fromkeys(roles, kind)}
        self.store.set_bots(self.drill_id, self.bots)

    # -- journal ---------------------------------------------------------------------

    def _record_input(self, t: int, item: Input) -> None:
        if self._replaying:
            return
        self._input_seq += 1
        bot = isinstance(item, Decision) and item.source == "bot"
        if self.durable_inputs and not bot:
            self.store.append_input(self.drill_id, self._input_seq, t, item)
        else:
            # Bot decisions are written with the tick's events: a bot makes the same
            # decision again when a resumed drill replays, so one fsync each is waste.
            self._buffered_inputs.append((self._input_seq, t, item))

    def _maybe_flush(self, event: Event) -> None:
        if len(self.engine.events) - self._persisted >= FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Persist buffered inputs and new events; check regenerated ones against the journal."""
        if self._buffered_inputs:
            self.store.append_inputs(self.drill_id, self._buffered_inputs)
            self._buffered_inputs = []
        fresh = self.engine.events[self._persisted :]
        if not fresh:
            return
        known = len(self._stored)
        for event in fresh:
            if event.seq <= known and event.to_json() != self._stored[event.seq - 1].to_json():
                raise JournalMismatch(
                    f"replay of drill {self.drill_id} differs from its journal at event "
                    f"{event.seq}: {event.to_json()} != {self._stored[event.seq - 1].to_json()}"
                )
        new = [e for e in fresh if e.seq > known]
        if new:
            self.store.append_events(self.drill_id, new, self.engine.now)
        self._persisted = len(self.engine.events)

    # -- play ------------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        return self.engine.ended

    @property
    def journaled(self) -> int:
        """How many of the engine's events are in the journal (committed)."""
        return self._persisted

    def submit(self, t: int, item: Input) -> list[Event]:
        """An outside input (trainee or trainer): journaled, then applied."""
        events = self.runner.submit(t, item)
        self.flush()
        return events

    def tick(self, target: int, max_steps: int = 10_000, *, finish: bool = True) -> None:
        """Advance to ``target`` scenario seconds (called from a timer in live play).

        With ``finish=False`` the caller scores the ended drill itself (a console does it
        in a worker and then calls ``save``)."""
        self.runner.run_until(target, max_steps=max_steps)
        self.flush()
        if self.engine.ended and finish:
            self.finish()

    def run_headless(self) -> Outcome:
        self.runner.run_until(float("inf"))
        return self.finish()

    def run_paced(
        self,
        speed: float,
        *,
        tick_seconds: float = 0.05,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        on_tick: Callable[[DrillSession], Any] | None = None,
    ) -> Outcome:
        """Real time with compression ``speed`` (scenario seconds per wall second)."""
        clock = self.clock = SimClock(speed, start=self.engine.now, now=now)
        while not self.engine.ended:
            self.runner.run_until(clock.scenario_time(), max_steps=10_000)
            self.flush()
            if on_tick is not None:
                on_tick(self)
            if not self.engine.ended:
                sleep(tick_seconds)
        return self.finish()

    def finish(self, profile: ScoringProfile = DEFAULT_PROFILE) -> Outcome:
        self.flush()
        return self.save(score_drill(self.compiled, self.engine.events, profile))

    def save(self, score: DrillScore) -> Outcome:
        """Record the drill's end and its score (none for a drill that never started)."""
        if self.engine.ended:
            self.store.finish(self.drill_id, self.engine.now)
        rated = self.store.started(self.drill_id)
        if rated:
            self.store.save_score(self.drill_id, score)
        if self.engine.ended:
            self.close()
        return Outcome(self.drill_id, score, len(self.engine.events), rated)


def discard_unstarted(store: Store, drill_id: str) -> bool:
    """Remove a drill whose start failed before any input was journaled, so no drill
    stays ``running`` that nobody can resume. (Statuses for drills interrupted later are
    the records issue's.) A failing database is logged, not raised: the caller is already
    answering the first failure."""
    try:
        removed = store.discard_drill(drill_id)
    except StoreError as exc:
        log.warning("drill %s: could not remove it after a failed start: %s", drill_id, exc)
        return False
    if removed:
        log.info("drill %s: start failed before any input; removed", drill_id)
    else:
        log.warning("drill %s: failed after inputs were journaled; kept to resume", drill_id)
    return removed


def replay_journal(store: Store, drill_id: str) -> tuple[Bundle, list[Event]]:
    """Replay a drill's inputs through a fresh engine, with no bots: the journal alone."""
    from engine.runner import replay

    record = store.drill(drill_id)
    bundle = record.bundle()
    engine = DrillEngine(bundle.compiled, seed=record.seed, mode=record.mode)
    inputs = store.inputs(record.id)
    until = float("inf") if record.status == "ended" else record.last_t
    replay(engine, inputs, until=until)
    return bundle, engine.events


def ended_events(events: list[Event]) -> bool:
    return any(e.kind == Kind.DRILL_ENDED for e in events)
