"""A drill played live: a session paced by a wall clock, driven from a UI timer.

This is the small interface the consoles talk to: advance, submit a decision, control the
clock. It never sleeps and never blocks; a Textual timer calls ``advance`` a few times a
second and the consoles render the events it returns.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from drills.play.session import DrillSession
from drills.port.results import TraineeResults, trainee_results
from drills.store import rooms
from drills.store.notes import add_note
from engine.clock import SimClock
from engine.events import Decision, EndDrill, Event, FireInject, SendHint
from engine.runtime import DrillEngine
from scoring.score import DrillScore, score_drill


class LiveDrill:
    """Session + clock. Starts paused, so people can read the briefing first."""

    def __init__(
        self,
        session: DrillSession,
        speed: float,
        *,
        now: Callable[[], float] = time.monotonic,
        paused: bool = True,
        room_bots: str | None = None,
    ) -> None:
        self.session = session
        self.clock = SimClock(speed, start=session.engine.now, now=now, paused=paused)
        self._seen = len(session.engine.events)
        self.max_steps = 500  # per UI tick: at extreme speeds the drill lags, the UI never does
        # A hosted drill (``room_bots`` set) waits for the trainer's start: then the roles
        # nobody joined go to bots, and trainees' submissions are applied every tick.
        self.hosted = room_bots is not None
        self.room_bots = room_bots or "ideal"
        self.started = not self.hosted or session.engine.now > 0
        self._applied_keys: set[str] | None = None

    @property
    def engine(self) -> DrillEngine:
        return self.session.engine

    @property
    def ended(self) -> bool:
        return self.session.ended

    @property
    def now(self) -> int:
        """Scenario seconds shown on the clock (the target, not the last event)."""
        if self.ended:
            return self.engine.now
        return max(self.clock.scenario_time(), self.engine.now)

    def _new_events(self) -> list[Event]:
        events = self.session.engine.events[self._seen :]
        self._seen = len(self.session.engine.events)
        return events

    def advance(self) -> list[Event]:
        """Bring the drill up to the clock (at most ``max_steps`` events per call).

        The drill's final score is not computed here: scoring a long drill takes a while,
        so the console does it in a worker and calls ``save_score``."""
        if self.hosted:
            self._apply_submissions()
        if not self.ended and self.started:
            self.session.tick(self.clock.scenario_time(), self.max_steps, finish=False)
        if self.hosted:
            rooms.publish_clock(
                self.session.store,
                self.session.drill_id,
                self.now,
                self.clock.speed,
                self.clock.paused,
                self.ended,
            )
        return self._new_events()

    def _apply_submissions(self) -> None:
        """Apply trainees' queued decisions, each exactly once.

        Each is journaled with the key ``sub:<id>``; a submission whose key is already in
        the journal (the host died between journaling and marking it) is only marked."""
        store, drill_id = self.session.store, self.session.drill_id
        for submission, decision in rooms.pending(store, drill_id):
            key = f"sub:{submission}"
            if key in self._journaled_keys():
                rooms.mark_applied(store, submission, [])
                continue
            before = len(self.engine.events)
            self.session.submit(self.now, replace(decision, key=key))
            self._applied_keys.add(key)
            rooms.mark_applied(store, submission, self.engine.events[before:])

    def _journaled_keys(self) -> set[str]:
        if self._applied_keys is None:
            inputs = self.session.store.inputs(self.session.drill_id)
            self._applied_keys = {i.key for _, i in inputs if isinstance(i, Decision) and i.key}
        return self._applied_keys

    def _start_room(self) -> None:
        joined = rooms.participants(self.session.store, self.session.drill_id)
        self.session.store.set_roster(self.session.drill_id, joined)
        empty = [r.id for r in self.session.compiled.plan.roles if r.id not in joined]
        self.session.add_bots(self.room_bots, empty)
        self.started = True

    def result_events(self) -> list[Event]:
        return list(self.session.engine.events)

    def final_score(self) -> DrillScore:
        """Pure and thread-safe: safe to call from a worker."""
        return score_drill(self.session.compiled, list(self.session.engine.events))

    def save_score(self, score: DrillScore) -> None:
        """Record the end and the score (on the thread that owns the database)."""
        self.session.save(score)

    def results(self, role: str | None) -> TraineeResults:
        """Score the ended drill (and record the score); what ``role``'s trainee is shown."""
        score, results = trainee_results(
            self.session.compiled, list(self.session.engine.events), role
        )
        self.save_score(score)
        return results

    def add_self_assessment(self, author: str, role: str | None, text: str) -> None:
        """The participant's own view of the drill, for the report's hot-wash section."""
        add_note(self.session.store, self.session.drill_id, "self", author, text, role=role)

    @property
    def reports_folder(self) -> Path:
        return self.session.store.path.parent / "reports"

    def report_html(self, lang: str) -> str:
        """The after-action report; opens its own connection (workers call this)."""
        from drills.review.reports import render
        from drills.store.database import Store
        from drills.store.notes import load_report

        store = Store(self.session.store.path)  # sqlite connections belong to one thread
        try:
            return render(load_report(store, self.session.drill_id).report, "html", lang)
        finally:
            store.close()

    def submit(self, decision: Decision) -> list[Event]:
        self.session.submit(self.now, decision)
        return self._new_events()

    def pause(self) -> None:
        self.clock.pause()

    def resume(self) -> None:
        if not self.started:
            self._start_room()
        self.clock.resume()

    def toggle_pause(self) -> bool:
        if self.clock.paused:
            self.resume()
        else:
            self.pause()
        return self.clock.paused

    def set_speed(self, speed: float) -> None:
        self.clock.set_speed(max(0.25, min(speed, 100_000.0)))

    def skip_to_next_inject(self) -> int | None:
        """Jump the clock to the next scheduled inject (none: nothing happens)."""
        upcoming = self.engine.next_inject_time()
        if upcoming is not None:
            self.clock.skip_to(upcoming)
        return upcoming

    def fire(self, inject_id: str) -> list[Event]:
        self.session.submit(self.now, FireInject(inject_id))
        return self._new_events()

    def hint(self, roles: tuple[str, ...], text: str) -> list[Event]:
        self.session.submit(self.now, SendHint(roles, text))
        return self._new_events()

    def end(self, reason: str = "ended by trainer") -> list[Event]:
        self.session.submit(self.now, EndDrill(reason))
        return self._new_events()
