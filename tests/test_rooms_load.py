"""Hosted drill under load: clients decide through the host's gateway while the host is
killed and resumed; the gateway's limits hold against idle floods and decision floods."""

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.bench_rooms import run
from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.port.views import SubmissionRefused
from drills.rooms import gateway, seats
from drills.rooms.gateway import Limits, RoomGateway
from drills.rooms.remote import RemoteDrill
from drills.store.database import Store
from engine.bundle import Bundle
from engine.events import Decision

from .conftest import ROOT, NewDb, raw_seat
from .waits import wait_for

pytestmark = pytest.mark.slow

Hosted = tuple[LiveDrill, Store, RoomGateway]


def test_host_killed_mid_drill_loses_and_duplicates_nothing(
    tmp_path: Path, any_store: Store
) -> None:
    """SIGKILL of a hosted drill's host mid-drill, then resume, with four trainee
    processes deciding through the outage: on SQLite and on PostgreSQL."""
    result = run(clients=4, injects=40, speed=200, kill=True, folder=tmp_path, db=any_store.target)
    assert result["host_killed_and_resumed"]
    assert result["clients_reported"] == 4
    assert result["made"] == result["submitted"] == result["applied"] == result["journaled"] == 40
    assert result["journaled_once"] and result["all_applied_journaled"]
    assert result["replay_identical"] and result["replay_same_score"]


def serve(target: str, bundle: Bundle, limits: Limits) -> Iterator[Hosted]:
    store = Store(target)
    session = DrillSession.create(store, bundle, seed=1, bots={})
    live = LiveDrill(session, 60, paused=True, room_bots="ideal")
    with RoomGateway(store.target, session.drill_id, limits=limits) as room:
        live.room = room
        yield live, store, room
        live.room = None
    store.close()


@pytest.fixture
def host(new_db: NewDb, flood_bundle: Bundle, request: pytest.FixtureRequest) -> Iterator[Hosted]:
    yield from serve(new_db(), flood_bundle, getattr(request, "param", Limits()))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def lingering(room: RoomGateway) -> int:
    """Connection threads still running whose connection the gateway has let go of: a
    connection leaves the registry in its thread, which then closes the socket and ends."""
    threads = threading.enumerate()
    handlers = sum(1 for t in threads if t.name.endswith("(process_request_thread)"))
    return handlers - len(room.registry.sockets())


# Another process of the same user opens N connections to the drill's address and sends
# nothing; it says how many are still open once all were opened, then holds them.
FLOOD = """
import json, socket, sys, time
address, count = "\\0" + sys.argv[1], int(sys.argv[2])
socks, failed = [], 0
for _ in range(count):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(address)
        socks.append(s)
    except OSError:
        failed += 1
        s.close()
def still_open():
    n = 0
    for s in socks:
        s.setblocking(False)
        try:
            n += s.recv(1, socket.MSG_PEEK) != b""
        except BlockingIOError:
            n += 1
        except OSError:
            pass
    return n
print(json.dumps({"opened": len(socks), "failed": failed, "open": still_open()}), flush=True)
sys.stdin.readline()
print(json.dumps({"open": still_open()}), flush=True)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/fd is Linux's")
@pytest.mark.parametrize("host", [Limits(handshake_seconds=60)], indirect=True)
def test_400_idle_connections_from_one_user_leave_room_for_trainees(host: Hosted) -> None:
    """The flood comes from the trainees' own user (the hardest case for a per-user
    limit): its oldest unproven connections are closed as new ones come, so a trainee
    still joins, and the host's descriptors and threads stay bounded."""
    live, _, room = host
    limits = room.limits
    fds_before, threads_before = open_fds(), threading.active_count()
    flood = subprocess.Popen(
        [sys.executable, "-c", FLOOD, room.address[1:], "400"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert flood.stdin is not None and flood.stdout is not None
    try:
        opened = json.loads(flood.stdout.readline())
        wait_for(  # the host has taken every connection and closed those it evicted
            lambda: (
                room.registry.accepted >= opened["opened"]
                and len(room.registry.sockets()) <= limits.pending_per_uid
                and lingering(room) <= 0
            ),
            "the flood to be taken in",
        )
        fds_flood, threads_flood = open_fds(), threading.active_count()
        started = time.monotonic()
        trainee = RemoteDrill(
            live.drill_id, "hydrology", "Li", token=room.tokens["hydrology"]
        )  # with 8 of the flood's connections still open
        joined_in = time.monotonic() - started
        trainee.advance()
        # the flood connection the trainee's took the place of, closed by its thread
        wait_for(lambda: lingering(room) <= 0, "the evicted connection closed")
        fds_joined = open_fds() - 1  # less the trainee's own socket, in this process
        flood.stdin.write("\n")
        flood.stdin.flush()
        left = json.loads(flood.stdout.readline())
        figures = {
            "flood_opened": opened["opened"],
            "flood_refused_at_connect": opened["failed"],
            "flood_open_after_400_incl_not_yet_accepted": opened["open"],
            "flood_still_open_after_join": left["open"],
            "host_fds_before": fds_before,
            "host_fds_during_flood": fds_flood,
            "host_fds_after_join": fds_joined,
            "host_threads_before": threads_before,
            "host_threads_during_flood": threads_flood,
            "join_seconds_during_flood": round(joined_in, 3),
        }
        print("figures:", json.dumps(figures))
        assert opened["opened"] + opened["failed"] == 400
        assert left["open"] <= limits.pending_per_uid  # the rest were closed by the host
        assert trainee.connected and trainee.role == "hydrology"
        assert fds_flood - fds_before <= limits.pending_per_uid + 2
        assert fds_joined - fds_before <= limits.pending_per_uid + 4  # + the seat's store
        assert threads_flood - threads_before <= limits.pending_per_uid + 2
    finally:
        flood.kill()
        flood.wait()


@pytest.mark.parametrize("host", [Limits(handshake_seconds=0.3, idle_seconds=0.6)], indirect=True)
def test_unproven_and_idle_connections_are_closed(host: Hosted) -> None:
    live, _, room = host
    token = room.tokens["hydrology"]
    # each time is taken before the host's own starting point (the accept, the proof)
    started = time.monotonic()
    quiet = gateway.connect(room.address)  # connects, never says hello
    assert quiet.recv(1) == b""  # blocks until the host hangs up
    unproven_closed = time.monotonic() - started
    started = time.monotonic()
    proven, _ = raw_seat(token)
    assert proven.recv(1) == b""
    idle_closed = time.monotonic() - started
    print("figures:", json.dumps({"unproven_closed_s": round(unproven_closed, 2),
                                  "idle_closed_s": round(idle_closed, 2)}))  # fmt: skip
    assert 0.3 <= unproven_closed < 3 and 0.6 <= idle_closed < 3
    quiet.close()
    proven.close()
    # a console whose connection went idle just reconnects (and takes its seat back)
    remote = RemoteDrill(live.drill_id, "hydrology", "Li", token=token)
    wait_for(lambda: "hydrology" not in room.connected_roles(), "the idle close")
    remote.advance()
    assert remote.connected and room.connected_roles() == {"hydrology"}


@pytest.mark.parametrize("host", [Limits(per_seat=2)], indirect=True)
def test_a_seat_takes_a_few_connections_at_most(host: Hosted) -> None:
    _, _, room = host
    token = room.tokens["hydrology"]
    first, _ = raw_seat(token)
    second, _ = raw_seat(token)
    key = seats.SeatKey.from_token(token)
    with gateway.connect(key.address) as third:
        reader = third.makefile("rb")
        nonces = gateway.challenge_host(third, reader, key.key, key.sid)
        proof = seats.seat_proof(key.key, key.sid, nonces[0], nonces[1])
        third.sendall(json.dumps({"op": "prove", "proof": proof}).encode() + b"\n")
        answer = json.loads(reader.readline())
    assert answer == {
        "ok": False,
        "error": "this seat has 2 connections open already: close another console of it first",
        "held": True,  # a console taking its seat back tries again
    }
    first.close()
    second.close()


def test_a_flood_of_decisions_is_refused_by_rate(host: Hosted) -> None:
    live, store, room = host
    limits = room.limits
    sock, ask = raw_seat(room.tokens["hydrology"])
    try:
        assert ask({"op": "join", "code": live.drill_id, "role": "hydrology", "name": "Li"})["ok"]
        started = time.monotonic()
        answers = [
            ask({"op": "submit", "key": f"k{n}", "action": "issue_forecast"}) for n in range(200)
        ]
        took = time.monotonic() - started
        stored = [a for a in answers if a["ok"]]
        refused = [a for a in answers if not a["ok"]]
        allowed = limits.submit_burst + limits.submit_rate * took + 1
        print("figures:", json.dumps({"sent": 200, "stored": len(stored), "refused": len(refused),
                                      "seconds": round(took, 3)}))  # fmt: skip
        assert limits.submit_burst <= len(stored) <= allowed
        assert all(a.get("retry") is True for a in refused)
        assert refused[0]["error"].startswith("too many decisions at once: at most 5 a second")
        # the bucket refills: a decision is taken again a moment later
        wait_for(
            lambda: ask({"op": "submit", "key": "later", "action": "issue_forecast"})["ok"],
            "the rate to allow one more",
        )
    finally:
        sock.close()
    count = store.sql.execute(
        "SELECT COUNT(*) FROM submissions WHERE drill_id = ?", [live.drill_id]
    )
    assert count.fetchone()[0] == len(stored) + 1


def test_a_console_keeps_what_the_rate_refused_and_sends_it_later(host: Hosted) -> None:
    live, store, room = host
    remote = RemoteDrill(live.drill_id, "hydrology", "Li", token=room.tokens["hydrology"])
    for n in range(30):  # an outbox sent after a long outage, say
        remote.submit(Decision("hydrology", "issue_forecast", note=f"n{n}"))
    assert 0 < len(remote.outbox) <= 30 - room.limits.submit_burst

    def all_sent() -> bool:
        views = remote.advance()
        assert not [v for v in views if isinstance(v, SubmissionRefused)]
        return not remote.outbox

    wait_for(all_sent, "the outbox to drain")
    count = store.sql.execute(
        "SELECT COUNT(*) FROM submissions WHERE drill_id = ?", [live.drill_id]
    )
    assert count.fetchone()[0] == 30


@pytest.mark.parametrize("host", [Limits(request_rate=100, request_burst=10)], indirect=True)
def test_a_flood_of_requests_is_slowed(host: Hosted) -> None:
    live, _, room = host
    sock, ask = raw_seat(room.tokens["hydrology"])
    try:
        ask({"op": "join", "code": live.drill_id, "role": "hydrology", "name": "Li"})
        started = time.monotonic()
        for _ in range(60):
            assert ask({"op": "poll", "after": 0})["ok"]
        took = time.monotonic() - started
    finally:
        sock.close()
    assert took >= (60 - 10 - 1) / 100  # 10 at once, then 100 a second
