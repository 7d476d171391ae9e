"""Wall-clock pacing for live drills, without SimPy's sleeping real-time environment.

The clock maps wall time to a scenario-time *target*; the UI calls ``runner.run_until``
with it from a timer. Pause, resume, speed changes and skips re-anchor the mapping, so
there is no drift and no catch-up burst: after a pause the target continues from where
it stopped, not from where it would have been.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SimClock:
    """Scenario time = anchor + (wall - wall_anchor) × speed, frozen while paused."""

    def __init__(
        self,
        speed: float = 60.0,
        *,
        start: float = 0.0,
        now: Callable[[], float] = time.monotonic,
        paused: bool = False,
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._now = now
        self.speed = speed
        self._anchor_wall = now()
        self._anchor_sim = float(start)
        self.paused = paused

    def target(self) -> float:
        """Scenario seconds the drill should have reached by now."""
        if self.paused:
            return self._anchor_sim
        return self._anchor_sim + (self._now() - self._anchor_wall) * self.speed

    def scenario_time(self) -> int:
        """The whole scenario second to process up to (integer time, no float drift)."""
        return int(self.target() + 1e-6)  # a microsecond of slack absorbs float error

    def _reanchor(self, sim: float | None = None) -> None:
        self._anchor_sim = self.target() if sim is None else sim
        self._anchor_wall = self._now()

    def pause(self) -> None:
        if not self.paused:
            self._reanchor()
            self.paused = True

    def resume(self) -> None:
        if self.paused:
            self._anchor_wall = self._now()
            self.paused = False

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._reanchor()
        self.speed = speed

    def skip_to(self, sim: float) -> None:
        """Jump forward (never back) to scenario time ``sim``."""
        if sim > self.target():
            self._reanchor(sim)
