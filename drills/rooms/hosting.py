"""A hosted drill without a console: the host loop for servers, load tests and CI."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from drills.play.live import LiveDrill
from drills.play.session import Outcome
from drills.rooms.gateway import RoomGateway
from drills.store import rooms

LINGER_SECONDS = 60.0


def run_hosted(
    live: LiveDrill,
    *,
    start_when: Callable[[], bool] = lambda: True,
    tick: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Wait until ``start_when`` holds, start, apply submissions every tick, finish.

    Serve it with ``open_room``; after the end, ``RoomGateway.wait_idle`` lets trainees'
    consoles fetch their results before the host exits."""
    while not live.started and not start_when():
        live.advance_events()  # publishes the (paused) clock: trainees see the drill exists
        sleep(tick)
    live.resume()
    while not live.ended:
        live.advance_events()
        sleep(tick)
    live.advance_events()
    return live.finish()


def joined_at_least(live: LiveDrill, count: int) -> Callable[[], bool]:
    def ready() -> bool:
        return len(rooms.participants(live.session.store, live.session.drill_id)) >= count

    return ready


@contextmanager
def open_room(live: LiveDrill) -> Iterator[RoomGateway]:
    """Serve the drill to trainees' consoles while the host runs (RoomError: it is served
    by another process already)."""
    with RoomGateway(live.session.store.path, live.session.drill_id) as room:
        live.room = room
        try:
            yield room
        finally:
            live.room = None
