"""The host's clock as it publishes it, for consoles in other processes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ClockState:
    """The host's clock as last published: trainees' consoles extrapolate from it."""

    t: int
    speed: float
    paused: bool
    wall: float
    ended: bool

    def now(self, wall: float | None = None) -> int:
        """The host's scenario time, extrapolated from its last published tick."""
        if self.paused or self.ended:
            return self.t
        elapsed = max(0.0, (time.time() if wall is None else wall) - self.wall)
        return int(self.t + elapsed * self.speed)

    def to_wire(self) -> list[Any]:
        return [self.t, self.speed, self.paused, self.wall, self.ended]

    @classmethod
    def from_wire(cls, data: list[Any]) -> ClockState:
        t, speed, paused, wall, ended = data
        return cls(int(t), float(speed), bool(paused), float(wall), bool(ended))
