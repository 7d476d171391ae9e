"""A trainee's view of a hosted drill, from another process (terminal, SSH or browser).

It has the interface of ``LiveDrill`` that the trainee console uses, but owns no engine:
it reads the host's clock and the events meant for its role from the store, and submits
decisions as submissions the host applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drills import rooms
from drills.store import Store
from engine.compiled import CompiledScenario
from engine.events import Decision, Event
from scoring.score import DrillScore, score_drill


@dataclass
class RemoteView:
    """What the console reads as ``live.engine``: the visible events and the time."""

    events: list[Event] = field(default_factory=list)
    now: int = 0


@dataclass
class RemoteSession:
    compiled: CompiledScenario
    mode: str
    drill_id: str
    store: Store
    engine: RemoteView


@dataclass
class RemoteClock:
    speed: float = 1.0
    paused: bool = True


class RemoteDrill:
    """A joined participant: ``role`` played by ``name`` in drill ``drill_id``."""

    remote = True

    def __init__(self, store: Store, drill_id: str, role: str, name: str) -> None:
        record = store.drill(drill_id)
        self.role = role
        self.name = name
        self.session = RemoteSession(
            record.bundle().compiled, record.mode, record.id, store, RemoteView()
        )
        self.clock = RemoteClock()
        self._last_seq = 0
        self._ended = False
        self.advance()

    @property
    def engine(self) -> RemoteView:
        return self.session.engine

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def now(self) -> int:
        return self.session.engine.now

    def advance(self) -> list[Event]:
        """New events for this role since the last call, and the host's clock."""
        store, drill_id = self.session.store, self.session.drill_id
        state = rooms.read_clock(store, drill_id)
        self.clock.speed, self.clock.paused = state.speed, state.paused
        fresh = []
        for event in store.events_after(drill_id, self._last_seq):
            self._last_seq = event.seq
            visible = rooms.visible_to(event, self.role, self.session.mode)
            if visible is not None:
                fresh.append(visible)
                if visible.kind == "drill_ended":
                    self._ended = True
        self.session.engine.events.extend(fresh)
        self.session.engine.now = max(self.session.engine.now, state.now())
        return fresh

    def submit(self, decision: Decision) -> list[Event]:
        """Queue the decision for the host; its answer arrives as an event."""
        rooms.submit(self.session.store, self.session.drill_id, self.role, self.name, decision)
        return []

    # The trainer owns the clock of a hosted drill: these change nothing here.
    def toggle_pause(self) -> bool:
        return self.clock.paused

    def set_speed(self, speed: float) -> None:
        return None

    def skip_to_next_inject(self) -> int | None:
        return None

    def result_events(self) -> list[Event]:
        """After the end, the whole journal: results and the report need every event."""
        return self.session.store.events(self.session.drill_id)

    def final_score(self) -> DrillScore:
        return score_drill(self.session.compiled, self.result_events())

    def save_score(self, score: DrillScore) -> None:
        return None  # the host records the score
