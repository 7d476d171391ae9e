"""Clock keys shared by the trainee and trainer consoles: pause, speed, skip.

Function keys, so they work whatever has focus (a text field swallows letters, space and
Ctrl+D/H). A console whose clock belongs to the trainer (a joined trainee) neither
shows nor accepts them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.screen import Screen

from drills.port.feeds import TraineeFeed, TrainerFeed
from drills.ui.i18n import _
from drills.ui.widgets.clock import ClockBar

CLOCK_ACTIONS = {"toggle_pause", "faster", "slower", "skip"}


class ClockControls(Screen[None]):
    """A console screen with a feed, a ClockBar and an ``advance`` method."""

    # F1 first in a console's footer (the app binds it too): the way to every other key.
    HELP_BINDING: ClassVar[BindingType] = Binding("f1", "app.help", "key_help")
    CLOCK_BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "toggle_pause", "key_pause"),
        Binding("f7", "slower", "key_slower"),
        Binding("f8", "faster", "key_faster"),
        Binding("f9", "skip", "key_skip"),
    ]
    feed: TraineeFeed | TrainerFeed
    advance: Callable[[], None]  # each console brings the drill up to the clock its own way

    def owns_clock(self) -> bool:
        return getattr(self.feed, "owns_clock", True) is not False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Clock keys only where this console moves the clock, and not after the end."""
        if action in CLOCK_ACTIONS:
            return self.owns_clock() and not self.feed.clock().ended
        return True

    def sync_clock(self) -> None:
        """Show the drill's time, speed, pause and end on the clock bar."""
        clock = self.feed.clock()
        bar = self.query_one(ClockBar)
        bar.now, bar.speed, bar.paused, bar.ended = (
            clock.now,
            clock.speed,
            clock.paused,
            clock.ended,
        )

    def action_toggle_pause(self) -> None:
        self.feed.toggle_pause()
        self.advance()

    def _set_speed(self, speed: float) -> None:
        self.feed.set_speed(speed)
        self.sync_clock()

    def action_faster(self) -> None:
        self._set_speed(self.feed.clock().speed * 2)

    def action_slower(self) -> None:
        self._set_speed(self.feed.clock().speed / 2)

    def action_skip(self) -> None:
        if self.feed.skip_to_next_inject() is None:
            self.notify(_("nothing_to_skip"))
        self.advance()
