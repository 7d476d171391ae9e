"""A drill played live in this process: the trainer's feed, and a solo trainee's.

``LiveDrill`` is a session paced by a wall clock. A console's timer calls ``advance``
a few times a second; nothing here sleeps or blocks. When the engine reports the end,
``LiveDrill`` hands the journal to ``DrillEnding``, which scores it once, off the UI
thread, and saves that score: consoles only ask for it.

``LocalTrainee`` is one role's view of a ``LiveDrill`` (solo play), cut by the same
``visible_to`` the gateway applies for joined consoles.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from drills.play.ending import DrillEnding
from drills.play.session import DrillSession, Outcome
from drills.port.briefing import briefing_for
from drills.port.clock import ClockState
from drills.port.feeds import Briefing, ClockView, FeedError, InjectChoice
from drills.port.results import TraineeResults, trainee_results
from drills.port.text import printable
from drills.port.views import RosterChanged, Seat, TraineeView, TrainerView, both
from drills.port.visibility import trainee_views, trainer_views
from drills.store import rooms
from drills.store.notes import add_note
from engine.clock import SimClock
from engine.compiled import CompiledScenario
from engine.events import Decision, EndDrill, Event, FireInject, SendHint
from engine.fields import Bilingual
from engine.runtime import DrillEngine
from scoring.score import DrillScore, score_drill

ENDING_WAIT = 120.0  # seconds a headless caller waits for the final score at most
ROSTER_EVERY = 1.0  # wall seconds between two reads of who has joined
POLL_EVERY = 2.0  # wall seconds between looks at the submission queue without a notification
CLOCK_EVERY = 0.5  # wall seconds between writes of a running clock (a change is written at once)


class Room(Protocol):
    """What the live drill needs of the gateway that serves it (``drills.rooms``)."""

    def connected_roles(self) -> set[str]: ...

    def free(self, role: str) -> str: ...

    def published(self, events: Sequence[Event], count: int, clock: ClockState) -> None: ...

    def wait_submitted(self, timeout: float) -> bool: ...

    @property
    def tokens(self) -> dict[str, str]: ...


class LiveDrill:
    """Session + clock, as the trainer's console sees it. Starts paused, so people can
    read the briefing first."""

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
        self.clock_ = SimClock(speed, start=session.engine.now, now=now, paused=paused)
        self._seen = len(session.engine.events)
        self.max_steps = 500  # per UI tick: at extreme speeds the drill lags, the UI never does
        # A hosted drill (``room_bots`` set) waits for the trainer's start: then the roles
        # nobody joined go to bots, and trainees' submissions are applied every tick.
        self.hosted = room_bots is not None
        self.room_bots = room_bots or "ideal"
        self.started = not self.hosted or session.engine.now > 0
        self.room: Room | None = None
        self._now = now
        self._roster_read = float("-inf")
        self._applied_keys: set[str] | None = None
        self._polled = 0.0  # when the submission queue was last read without a notification
        self._look = False  # the gateway said a decision came: read the queue next tick
        self._clock_written: tuple[tuple[float, bool, bool], float] | None = None
        self._roster: tuple[Seat, ...] = ()
        self.ending = DrillEnding(session.store.target, session.drill_id, session.compiled)
        if session.engine.ended:
            self._begin_ending()

    # -- what the consoles read ----------------------------------------------------------

    @property
    def engine(self) -> DrillEngine:
        return self.session.engine

    @property
    def public(self) -> CompiledScenario:
        return self.session.compiled

    @property
    def drill_id(self) -> str:
        return self.session.drill_id

    @property
    def ended(self) -> bool:
        return self.session.ended

    @property
    def briefing(self) -> Briefing:
        return briefing_for(
            self.public,
            self.drill_id,
            self.session.mode,
            None,
            speed=self.clock_.speed,
            hosted=self.hosted,
        )

    @property
    def join_command(self) -> str | None:
        if not self.hosted:
            return None
        return f"drillhall join {self.drill_id}"

    @property
    def now(self) -> int:
        """Scenario seconds shown on the clock (the target, not the last event)."""
        if self.ended:
            return self.engine.now
        return max(self.clock_.scenario_time(), self.engine.now)

    def clock(self) -> ClockView:
        return ClockView(
            self.now, self.clock_.speed, self.clock_.paused, self.ended, started=self.started
        )

    def backlog(self) -> list[TrainerView]:
        return [*trainer_views(self.engine.events[: self._seen], self.public), *self._seats()]

    def advance(self) -> list[TrainerView]:
        return [*trainer_views(self.advance_events(), self.public), *self._roster_change()]

    # -- the drill -----------------------------------------------------------------------

    def _new_events(self) -> list[Event]:
        events = self.engine.events[self._seen :]
        self._seen = len(self.engine.events)
        if self.ended:
            self._begin_ending()
        return events

    def _begin_ending(self) -> None:
        self.ending.start(self.engine.events, self.engine.now)

    def advance_events(self) -> list[Event]:
        """Bring the drill up to the clock (at most ``max_steps`` events per call)."""
        if self.hosted:
            self._apply_submissions()
        if not self.ended and self.started:
            self.session.tick(self.clock_.scenario_time(), self.max_steps, finish=False)
        if self.hosted:
            self._publish()
        return self._new_events()

    def _publish(self) -> None:
        """The clock to the database (a resumed host, or a console in another process,
        reads it there) and the journaled events and clock to the gateway in this process,
        which answers trainees' polls from memory."""
        clock = ClockState(self.now, self.clock_.speed, self.clock_.paused, time.time(), self.ended)
        state = (clock.speed, clock.paused, clock.ended)
        last, at = self._clock_written, time.monotonic()
        if last is None or last[0] != state or at - last[1] >= CLOCK_EVERY:
            rooms.publish_clock(
                self.session.store, self.drill_id, clock.t, clock.speed, clock.paused, clock.ended
            )
            self._clock_written = (state, at)
        if self.room is not None:  # the engine's list only grows: no copy, a count
            self.room.published(self.engine.events, self.session.journaled, clock)

    def wait_for_decisions(self, timeout: float) -> bool:
        """For a console's worker thread: the gateway in this process says a decision
        came (the database connection stays with the console's thread)."""
        if self.room is None:
            time.sleep(timeout)
            return False
        woken = self.room.wait_submitted(timeout)
        if woken:
            self._look = True
        return woken

    def wait_for_submission(self, timeout: float) -> bool:
        """Wait until the next tick, ``timeout`` seconds, or less if a trainee submits a
        decision (True): the host applies it at once. On PostgreSQL the database wakes
        the host (LISTEN/NOTIFY); SQLite has none, so the gateway in this process does."""
        woken = rooms.wait_submitted(self.session.store, self.drill_id, timeout)
        if woken is not None:
            return woken
        if self.room is not None:
            return self.room.wait_submitted(timeout)
        time.sleep(timeout)
        return False

    def _apply_submissions(self) -> None:
        """Apply trainees' queued decisions, each exactly once.

        Each is journaled with the key ``sub:<id>``; a submission whose key is already in
        the journal (the host died between journaling and marking it) is only marked."""
        store, drill_id = self.session.store, self.drill_id
        look, self._look = self._look, False
        if not rooms.notified(store, drill_id) and not look and not self._poll_due():
            return  # PostgreSQL: nothing was submitted since the last look
        for submission, decision in rooms.pending(store, drill_id):
            key = f"sub:{submission}"
            applied = self._journaled_keys()
            if key in applied:
                rooms.mark_applied(store, submission, [])
                continue
            before = len(self.engine.events)
            self.session.submit(self.now, replace(decision, key=key))
            applied.add(key)
            rooms.mark_applied(store, submission, self.engine.events[before:])

    def _poll_due(self) -> bool:
        """A look at the queue every ``POLL_EVERY`` seconds even without a notification
        (one lost with a dropped connection must not strand a decision)."""
        wall = time.monotonic()
        if wall - self._polled < POLL_EVERY:
            return False
        self._polled = wall
        return True

    def _journaled_keys(self) -> set[str]:
        if self._applied_keys is None:
            inputs = self.session.store.inputs(self.drill_id)
            self._applied_keys = {i.key for _, i in inputs if isinstance(i, Decision) and i.key}
        return self._applied_keys

    def _start_room(self) -> None:
        joined = rooms.participants(self.session.store, self.drill_id)
        self.session.store.set_roster(self.drill_id, joined)
        empty = [r.id for r in self.public.plan.roles if r.id not in joined]
        self.session.add_bots(self.room_bots, empty)
        self.started = True

    # -- the roster ----------------------------------------------------------------------

    def roster(self) -> tuple[Seat, ...]:
        """Each role: who has joined (hosted drills), or the bot that plays it."""
        store = self.session.store
        joined = rooms.participants(store, self.drill_id) if self.hosted else {}
        named = store.roster(self.drill_id)
        connected = self.room.connected_roles() if self.room is not None else set()
        seats = []
        for role in self.public.plan.roles:
            holder = joined.get(role.id) or named.get(role.id)
            bot = self.session.bots.get(role.id)
            if holder is not None and holder.startswith("bot:"):
                holder = None
            holder = printable(holder) if holder is not None else None
            seats.append(Seat(role.id, role.name, holder, bot, role.id in connected))
        return tuple(seats)

    def _seats(self) -> list[TrainerView]:
        self._roster = self.roster()
        return [RosterChanged(self._roster)]

    def _roster_change(self) -> list[TrainerView]:
        """A roster view when someone joined, left or was replaced by a bot (read at most
        once per ``ROSTER_EVERY`` wall seconds: the console ticks ten times a second)."""
        if not self.hosted or self._now() - self._roster_read < ROSTER_EVERY:
            return []
        self._roster_read = self._now()
        seats = self.roster()
        if seats == self._roster:
            return []
        self._roster = seats
        return [RosterChanged(seats)]

    def connected_trainees(self) -> int:
        return len(self.room.connected_roles()) if self.room is not None else 0

    def free_seat(self, role: str) -> str:
        """Free ``role``'s seat: its token is revoked (the console that held it is hung up
        on and cannot come back with it) and a new token is issued and returned; whoever
        is given the new one may take the seat."""
        if not self.hosted:
            raise FeedError("only a hosted drill has seats to free")
        if self.room is None:
            raise FeedError("no gateway serves this drill now: seats are freed while it is hosted")
        try:
            token = self.room.free(role)
        except rooms.RoomError as exc:
            raise FeedError(str(exc)) from None
        self._roster_read = float("-inf")  # show it at the next tick
        return token

    def seat_tokens(self) -> dict[str, str]:
        """Role → seat token, for the tokens the gateway of this process issued."""
        return self.room.tokens if self.room is not None else {}

    # -- the trainer's controls ----------------------------------------------------------

    def toggle_pause(self) -> None:
        if self.clock_.paused:
            if not self.started:
                self._start_room()
            self.clock_.resume()
        else:
            self.clock_.pause()

    def resume(self) -> None:
        if self.clock_.paused:
            self.toggle_pause()

    def set_speed(self, speed: float) -> None:
        self.clock_.set_speed(max(0.25, min(speed, 100_000.0)))

    def skip_to_next_inject(self, role: str | None = None) -> int | None:
        """Jump the clock to the next scheduled inject (for ``role``, if given)."""
        upcoming = self.engine.next_inject_time(role)
        if upcoming is not None:
            self.clock_.skip_to(upcoming)
        return upcoming

    def unfired_injects(self) -> list[InjectChoice]:
        """The injects not yet fired, each with what it opens and what follows it."""
        fired = self.engine.fired
        compiled = self.public
        followers: dict[str, list[str]] = {}
        for inject in compiled.scenario.injects:
            if inject.after is not None and inject.after.inject:
                followers.setdefault(inject.after.inject, []).append(inject.id)
        choices = []
        for inject in compiled.scenario.injects:
            if inject.id in fired:
                continue
            opens = compiled.opens.get(inject.id, ())
            choices.append(
                InjectChoice(
                    inject.id,
                    inject.title or inject.text,
                    tuple(inject.to),
                    tuple(e.id for e in opens),
                    tuple(_title(e.title, e.id) for e in opens),
                    tuple(followers.get(inject.id, [])),
                )
            )
        return choices

    def fire(self, inject_id: str) -> list[TrainerView]:
        self.session.submit(self.now, FireInject(inject_id))
        return trainer_views(self._new_events(), self.public)

    def hint(self, roles: tuple[str, ...], text: str) -> list[TrainerView]:
        self.session.submit(self.now, SendHint(roles, text))
        return trainer_views(self._new_events(), self.public)

    def end(self, reason: str = "ended by trainer") -> list[TrainerView]:
        if not self.ended:
            self.session.submit(self.now, EndDrill(reason))
        return trainer_views(self._new_events(), self.public)

    def submit_decision(self, decision: Decision) -> list[Event]:
        self.session.submit(self.now, decision)
        return self._new_events()

    # -- scores and records --------------------------------------------------------------

    def live_score(self) -> DrillScore:
        """Pure and thread-safe: safe to call from a worker."""
        return score_drill(self.public, list(self.engine.events))

    def final_score(self, timeout: float | None = None) -> DrillScore | None:
        return self.ending.wait(timeout)

    def finish(self) -> Outcome:
        """Headless end: wait for the saved final score."""
        self.session.flush()
        self._begin_ending()
        score = self.ending.wait(ENDING_WAIT)
        if score is None:
            raise FeedError(f"the final score of drill {self.drill_id} took too long")
        return Outcome(self.drill_id, score, len(self.engine.events), self.ending.rated)

    def results_for(self, role: str | None) -> TraineeResults:
        score = self.final_score(ENDING_WAIT)
        if score is None:
            raise FeedError("results come when the drill has ended")
        return trainee_results(self.public, list(self.engine.events), role, score)

    def add_hotwash(self, author: str, text: str) -> None:
        add_note(self.session.store, self.drill_id, "hotwash", author or "trainer", text)

    def add_self_assessment(self, author: str, role: str | None, text: str) -> None:
        """The participant's own view of the drill, for the report's hot-wash section."""
        add_note(self.session.store, self.drill_id, "self", author, text, role=role)

    @property
    def reports_folder(self) -> Path:
        return self.session.store.path.parent / "reports"

    def report_html(self, lang: str) -> str:
        """The after-action report; opens its own connection (workers call this)."""
        from drills.review.report import render_report

        self.final_score(ENDING_WAIT)  # the report reads the saved end
        return render_report(self.session.store.target, self.drill_id, "html", lang)


def _title(title: dict[str, str], fallback: str) -> Bilingual:
    return both(lambda lang: title.get(lang) or title.get("en") or fallback)


class LocalTrainee:
    """A solo trainee's feed: one role of a ``LiveDrill`` that owns its clock."""

    owns_clock = True

    def __init__(self, live: LiveDrill, role: str, participant: str | None = None) -> None:
        self.live = live
        self._role = role
        self._participant = participant

    @property
    def role(self) -> str:
        return self._role

    @property
    def participant(self) -> str | None:
        return self._participant

    @property
    def public(self) -> CompiledScenario:
        return self.live.public

    @property
    def briefing(self) -> Briefing:
        live = self.live
        return briefing_for(
            live.public,
            live.drill_id,
            live.session.mode,
            self._role,
            speed=live.clock_.speed,
            hosted=False,
        )

    def clock(self) -> ClockView:
        return self.live.clock()

    def _views(self, events: list[Event]) -> list[TraineeView]:
        return trainee_views(events, self.public, self._role, self.live.session.mode)

    def backlog(self) -> list[TraineeView]:
        return self._views(self.live.engine.events[: self.live._seen])

    def advance(self) -> list[TraineeView]:
        return self._views(self.live.advance_events())

    def submit(self, decision: Decision) -> list[TraineeView]:
        if decision.role != self._role:
            raise FeedError(f"this console plays {self._role}, not {decision.role}")
        return self._views(self.live.submit_decision(decision))

    def toggle_pause(self) -> None:
        self.live.toggle_pause()

    def set_speed(self, speed: float) -> None:
        self.live.set_speed(speed)

    def skip_to_next_inject(self) -> int | None:
        return self.live.skip_to_next_inject(self._role)

    def results(self) -> TraineeResults:
        return self.live.results_for(self._role)

    def add_self_assessment(self, text: str) -> None:
        self.live.add_self_assessment(self._participant or self._role, self._role, text)

    def report_html(self, lang: str) -> str:
        return self.live.report_html(lang)

    @property
    def reports_folder(self) -> Path:
        return self.live.reports_folder
