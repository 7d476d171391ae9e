"""A hosted drill without a console: the host loop for servers, load tests and CI."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from drills.play.live import LiveDrill
from drills.play.session import Outcome
from drills.rooms import seats
from drills.rooms.gateway import RoomGateway, holder_of
from drills.store import rooms
from drills.store.database import Store

LINGER_SECONDS = 60.0


def run_hosted(
    live: LiveDrill, *, start_when: Callable[[], bool] = lambda: True, tick: float = 0.05
) -> Outcome:
    """Wait until ``start_when`` holds, start, advance every tick, finish.

    Between ticks the host waits for a trainee's submission and applies it at once (the
    database or the gateway wakes it), so a decision is not held for the rest of a tick.
    Serve it with ``open_room``; after the end, ``RoomGateway.wait_idle`` lets trainees'
    consoles fetch their results before the host exits."""
    while not live.started and not start_when():
        live.advance_events()  # publishes the (paused) clock: trainees see the drill exists
        time.sleep(tick)
    live.resume()
    while not live.ended:
        live.advance_events()
        live.wait_for_submission(tick)
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
    with RoomGateway(live.session.store.target, live.session.drill_id) as room:
        live.room = room
        try:
            yield room
        finally:
            live.room = None


def check_not_hosted(store: Store, drill_id: str) -> None:
    """Before resuming a hosted drill: RoomError if its address is held, saying by whom —
    its live host (which proves the host's key: "already hosted by pid N") or another
    process squatting the address (its pid and uid from the socket's credentials)."""
    secret = rooms.room_secret(store, drill_id)
    if secret is None:
        return
    holder = holder_of(seats.address_for(secret.room), secret.host_key)
    if holder is not None:
        raise rooms.RoomError(holder.refusal(drill_id))
