"""A solo drill: one trainee in a plan role, bots in the others, in this process."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from drills.play.live import LiveDrill, LocalTrainee
from drills.play.session import DrillSession
from drills.store.database import Store
from engine.bundle import Bundle


@dataclass
class SoloSetup:
    """What a solo drill needs before a role is known."""

    bundle: Bundle
    store: Store
    mode: str = "training"
    speed: float | None = None
    others: str = "ideal"
    seed: int = 0
    participant: str | None = None
    purpose: str = "practice"
    now: Callable[[], float] = time.monotonic
    extra_roster: dict[str, str] = field(default_factory=dict)

    def start(self, role: str) -> LocalTrainee:
        """Create the drill with ``role`` for the trainee (paused until the briefing is read)."""
        plan = self.bundle.compiled.plan
        bots = {r.id: self.others for r in plan.roles if r.id != role}
        session = DrillSession.create(
            self.store,
            self.bundle,
            seed=self.seed,
            mode=self.mode,
            bots=bots,
            speed=self.speed or 0.0,
            purpose=self.purpose,
        )
        roster = {role: self.participant or role, **self.extra_roster}
        self.store.set_roster(session.drill_id, roster)
        speed = self.speed or self.bundle.compiled.scenario.compression
        live = LiveDrill(session, speed, now=self.now, paused=True)
        return LocalTrainee(live, role, self.participant)
