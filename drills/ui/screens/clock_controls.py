"""Clock keys shared by the trainee and trainer consoles: pause, speed, skip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from drills.ui.i18n import _
from drills.ui.widgets.clock import ClockBar


class ClockControls(Screen[None]):
    """A console screen with a live drill, a ClockBar and an ``advance`` method."""

    CLOCK_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_pause", "pause"),
        Binding("right_square_bracket", "faster", "faster"),
        Binding("left_square_bracket", "slower", "slower"),
        Binding("ctrl+n", "skip", "skip"),
    ]
    live: Any  # LiveDrill, or a RemoteDrill for a joined trainee
    advance: Callable[[], None]  # each console brings the drill up to the clock its own way

    def sync_clock(self) -> None:
        """Show the drill's time, pause and end on the clock bar."""
        clock = self.query_one(ClockBar)
        clock.now, clock.paused, clock.ended = (
            self.live.now,
            self.live.clock.paused,
            self.live.ended,
        )

    def _trainer_owns_clock(self) -> bool:
        """In a hosted drill only the trainer's console moves the clock."""
        if getattr(self.live, "remote", False):
            self.notify(_("trainer_clock"))
            return True
        return False

    def action_toggle_pause(self) -> None:
        if self._trainer_owns_clock():
            return
        self.live.toggle_pause()
        self.advance()

    def _set_speed(self, speed: float) -> None:
        if self._trainer_owns_clock():
            return
        self.live.set_speed(speed)
        self.query_one(ClockBar).speed = self.live.clock.speed

    def action_faster(self) -> None:
        self._set_speed(self.live.clock.speed * 2)

    def action_slower(self) -> None:
        self._set_speed(self.live.clock.speed / 2)

    def action_skip(self) -> None:
        if self._trainer_owns_clock():
            return
        if self.live.skip_to_next_inject() is None:
            self.notify(_("nothing_to_skip"))
        self.advance()
