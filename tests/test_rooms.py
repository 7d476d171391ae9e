"""Hosted drills: seat tokens, joining through the host's gateway, deciding, isolation,
impostors at the drill's address, resuming."""

import contextlib
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.port.feeds import FeedError
from drills.port.views import (
    DecisionRecorded,
    DecisionRefused,
    InjectArrived,
    SubmissionRefused,
)
from drills.port.visibility import journal_views
from drills.rooms import gateway, seats
from drills.rooms.gateway import RoomGateway
from drills.rooms.hosting import check_not_hosted
from drills.rooms.messages import Poll
from drills.rooms.remote import GatewayClient, HostImpostor, HostUnreachable, RemoteDrill
from drills.store import rooms
from drills.store.database import Store
from engine.bundle import Bundle
from engine.events import Decision, Kind

from .conftest import ROOT, NewDb, every_row, raw_seat, start_headless_host
from .waits import wait_for

Room = tuple[LiveDrill, "Wall", Store, RoomGateway]


class Wall:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


class Recording(GatewayClient):
    """A client that keeps every answer it got: what crossed the socket, verbatim."""

    def __init__(self, code: str, token: str) -> None:
        super().__init__(code, token)
        self.received: list[str] = []

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        reply = super()._call(request)
        self.received.append(json.dumps(reply, ensure_ascii=False))
        return reply


class Tap(socket.socket):
    """A client socket that keeps every byte it sent."""

    sent: bytearray

    def sendall(self, data: Any, flags: int = 0) -> None:
        self.sent += bytes(data)
        super().sendall(data, flags)


def tapped(taps: list[Tap]) -> Callable[[str], socket.socket]:
    def connect(address: str) -> socket.socket:
        sock = Tap(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.sent = bytearray()
        sock.settimeout(5)
        sock.connect(address)
        taps.append(sock)
        return sock

    return connect


def hosted(store: Store, bundle: Bundle, mode: str = "training") -> tuple[LiveDrill, Wall]:
    session = DrillSession.create(store, bundle, seed=1, mode=mode, bots={})
    wall = Wall()
    return LiveDrill(session, 60, now=wall, paused=True, room_bots="ideal"), wall


@pytest.fixture
def room(new_db: NewDb, flood_bundle: Bundle, request: pytest.FixtureRequest) -> Iterator[Room]:
    """A hosted flood drill served by its gateway: (live, wall, store, gateway)."""
    mode = getattr(request, "param", "training")
    store = Store(new_db("d"))
    live, wall = hosted(store, flood_bundle, mode)
    with RoomGateway(store.target, live.session.drill_id) as gate:
        live.room = gate
        yield live, wall, store, gate
        live.room = None


def test_tokens_are_per_seat_and_the_database_keeps_no_token(room: Room) -> None:
    live, _, store, gate = room
    tokens = gate.tokens
    assert set(tokens) == {r.id for r in live.public.plan.roles}
    rooms_part = {t.partition("-")[0] for t in tokens.values()}
    assert len(rooms_part) == 1 and len(set(tokens.values())) == len(tokens)
    dump = every_row(store)
    for token in tokens.values():
        assert token not in dump and token.partition("-")[2] not in dump
    assert live.seat_tokens() == tokens  # what the trainer console shows


def test_join_refusals(room: Room) -> None:
    live, _, _, gate = room
    code, tokens = live.session.drill_id, gate.tokens
    hydrology = tokens["hydrology"]
    with pytest.raises(rooms.RoomError, match="a seat token is needed"):
        RemoteDrill(code, "hydrology", "Li")
    with pytest.raises(rooms.RoomError, match="that is not a seat token"):
        RemoteDrill(code, "hydrology", "Li", token="hunter2")
    nowhere = seats.new_token(seats.new_room_part())
    with pytest.raises(rooms.RoomError, match=r"no drill with code .* is being hosted now"):
        RemoteDrill(code, "hydrology", "Li", token=nowhere)
    forged = seats.new_token(hydrology.partition("-")[0])  # the right room, no seat
    with pytest.raises(rooms.RoomError, match="refused by the room: this seat token is not valid"):
        RemoteDrill(code, "hydrology", "Li", token=forged)
    with pytest.raises(rooms.RoomError, match="no drill with code 'nope'"):
        RemoteDrill("nope", "hydrology", "Li", token=hydrology)
    with pytest.raises(rooms.RoomError, match="no role 'mayor' in plan flood-municipal"):
        RemoteDrill(code, "mayor", "Li", token=hydrology)
    with pytest.raises(rooms.RoomError, match="token is for role 'commander', not 'hydrology'"):
        RemoteDrill(code, "hydrology", "Li", token=tokens["commander"])
    with pytest.raises(rooms.RoomError, match="name is missing"):
        RemoteDrill(code, "commander", " ", token=tokens["commander"])
    first = RemoteDrill(code, "hydrology", "Li", token=hydrology)
    with pytest.raises(rooms.RoomError, match=r"already taken by Li \(connected\)"):
        RemoteDrill(code, "hydrology", "Li", token=hydrology)  # not over a live seat
    first.client.close()  # Li's console closed (crashed): the seat is held for Li
    wait_for(lambda: "hydrology" not in gate.connected_roles(), "the gateway to notice")
    with pytest.raises(rooms.RoomError, match="already taken by Li: the seat is held for them"):
        RemoteDrill(code, "hydrology", "Wang", token=hydrology)
    assert RemoteDrill(code, "hydrology", "Li", token=hydrology).role == "hydrology"


def test_a_second_host_for_the_same_drill_is_refused(room: Room) -> None:
    live, _, store, _ = room
    with pytest.raises(rooms.RoomError, match=f"is already hosted by pid {os.getpid()}"):
        RoomGateway(store.target, live.session.drill_id)


def test_the_socket_name_shows_neither_the_code_nor_drillhall(room: Room) -> None:
    """What every local user can list in /proc/net/unix: no drill code, no 'drillhall', no
    part of a token, for any socket of this process (host and a joined console)."""
    if not sys.platform.startswith("linux"):
        pytest.skip("/proc/net/unix is Linux's")
    live, _, _, gate = room
    remote = RemoteDrill(live.session.drill_id, "hydrology", "Li", token=gate.tokens["hydrology"])
    inode = os.fstat(gate.socket.fileno()).st_ino
    mine = {inode}
    for fd in Path("/proc/self/fd").iterdir():
        with contextlib.suppress(OSError):
            target = os.readlink(fd)
            if target.startswith("socket:["):
                mine.add(int(target[8:-1]))
    lines = Path("/proc/net/unix").read_text().splitlines()[1:]
    ours = [line for line in lines if int(line.split()[6]) in mine]
    listening = [line for line in ours if int(line.split()[6]) == inode]
    assert len(listening) == 1 and listening[0].split()[-1] == "@" + gate.address[1:]
    assert remote.connected and len(ours) >= 3  # listening, the host's end, the console's
    listing = "\n".join(ours)
    assert "drillhall" not in listing.lower() and live.session.drill_id not in listing
    for token in gate.tokens.values():
        assert token.partition("-")[0] not in listing and token.partition("-")[2] not in listing


def test_the_token_never_crosses_the_socket(room: Room) -> None:
    live, wall, _, gate = room
    code, token = live.session.drill_id, gate.tokens["hydrology"]
    taps: list[Tap] = []
    client = GatewayClient(code, token, connect=tapped(taps))
    remote = RemoteDrill(code, "hydrology", "Li", client=client)
    live.resume()
    remote.submit(Decision("hydrology", "issue_forecast", {"crest": 34.9}))
    wall.t += 1
    live.advance()
    remote.advance()
    sent = b"".join(bytes(t.sent) for t in taps).decode()
    assert '"op": "hello"' in sent and '"op": "prove"' in sent and "issue_forecast" in sent
    assert token not in sent and token.partition("-")[2] not in sent
    assert token.partition("-")[0] not in sent


def test_decisions_go_through_the_gateway_and_come_back_answered(room: Room) -> None:
    live, wall, host_store, gate = room
    code = live.session.drill_id
    remote = RemoteDrill(code, "hydrology", "Li", token=gate.tokens["hydrology"])
    live.resume()  # the trainer starts: unjoined roles go to the ideal bot
    assert "hydrology" not in live.session.bots and live.session.bots["commander"] == "ideal"
    live.advance()
    seen = remote.advance()
    assert any(isinstance(v, InjectArrived) and v.inject_id == "I01" for v in seen)
    assert remote.public.injects["I01"].text.en.startswith("06:00")
    remote.submit(Decision("hydrology", "issue_forecast", {"crest": 34.9}))
    remote.submit(Decision("hydrology", "activate_response", {"level": "IV"}))  # not allowed
    wall.t += 1
    live.advance()
    answers = [v for v in remote.advance() if isinstance(v, DecisionRecorded | DecisionRefused)]
    assert [type(v) for v in answers] == [DecisionRecorded, DecisionRefused]
    assert isinstance(answers[1], DecisionRefused)
    assert "does not authorise City hydrology bureau" in answers[1].reason.en
    assert "预案未授权市水文局" in answers[1].reason.zh
    assert isinstance(answers[0], DecisionRecorded) and answers[0].participant == "Li"
    journaled = [i for _, i in host_store.inputs(code) if getattr(i, "participant", None) == "Li"]
    applied = host_store.sql.execute(
        "SELECT COUNT(*) FROM submissions WHERE drill_id = ? AND status = 'applied'", [code]
    ).fetchone()[0]
    assert len(journaled) == applied == 2
    # the console shows the host's time: a running clock it extrapolates with the real one
    # between two polls (at 60x, a sixtieth of a second later is a second on), so compare
    # the two once the host has paused
    live.toggle_pause()
    live.advance()
    remote.advance()
    assert remote.now == live.now


def test_nothing_but_a_hello_is_answered_before_the_token_is_proven(room: Room) -> None:
    live, _, _, gate = room
    code, token = live.session.drill_id, gate.tokens["hydrology"]
    address = seats.SeatKey.from_token(token).address
    for first in (
        {"op": "roles", "code": code},
        {"op": "join", "code": code, "role": "hydrology", "name": "Li"},
        {"op": "poll", "after": 0},
        {"op": "hello", "seat": "0" * 32, "nonce": "0" * 64},  # a seat nobody holds
    ):
        with gateway.connect(address) as sock:
            sock.sendall(json.dumps(first).encode() + b"\n")
            reader = sock.makefile("rb")
            answer = json.loads(reader.readline())
            assert answer["ok"] is False, (first, answer)
            assert reader.readline() == b""  # and the host hangs up
    key = seats.SeatKey.from_token(token)
    with gateway.connect(address) as sock:  # the right seat id, a made-up proof
        reader = sock.makefile("rb")
        gateway.challenge_host(sock, reader, key.key, key.sid)
        sock.sendall(json.dumps({"op": "prove", "proof": "0" * 64}).encode() + b"\n")
        assert "proof is wrong" in json.loads(reader.readline())["error"]
        assert reader.readline() == b""
    assert rooms.participants(live.session.store, code) == {}


def test_one_trainee_cannot_submit_as_another(room: Room) -> None:
    live, _, store, gate = room
    code = live.session.drill_id
    sock, ask = raw_seat(gate.tokens["hydrology"], "hydrology")
    try:
        assert ask({"op": "submit", "action": "issue_forecast"}) == {
            "ok": False,
            "error": "join the drill first",
        }
        assert ask({"op": "roles", "code": code})["roles"][0]["id"] == "hydrology"
        assert len(ask({"op": "roles", "code": code})["roles"]) == 1  # only its own seat
        assert ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})["ok"]
        # a request naming another role or person is still Li's, as hydrology
        reply = ask(
            {"op": "submit", "action": "activate_response", "role": "commander", "name": "Wang"}
        )
        assert reply["ok"]
        row = store.sql.execute(
            "SELECT role, name FROM submissions WHERE id = ?", [reply["id"]]
        ).fetchone()
        assert row == ("hydrology", "Li")
        again = ask({"op": "join", "code": code, "role": "commander", "name": "Li"})
        assert again == {"ok": False, "error": "this connection has joined as hydrology already"}
    finally:
        sock.close()
    with pytest.raises(rooms.RoomError, match=r"Wang has not joined drill .* as hydrology"):
        rooms.submit(store, code, "hydrology", "Wang", Decision("hydrology", "issue_forecast"))


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"crest": float("nan")}, "parameter 'crest' must be a finite number within ±10^15"),
        ({"crest": float("inf")}, "parameter 'crest' must be a finite number within ±10^15"),
        ({"crest": 10**16}, "parameter 'crest' must be a finite number within ±10^15"),
        ({"crest": {"$gt": 1}}, "parameter 'crest' must be text, a number, true or false"),
        ({"crest": [1, 2]}, "parameter 'crest' must be text, a number, true or false"),
        ({"x" * 65: 1}, f"a parameter's name must be an id, not {'x' * 64!r}"),
        ({"crest\u001b[2J": 1}, "a parameter's name must be an id, not 'crest\\x1b[2J'"),
        ({"why": "w" * 4001}, "parameter 'why' is longer than 4000 characters"),
        # a zero-width space is "non-empty text"; an ESC sequence reaches other terminals
        ({"why": "\u200b"}, "parameter 'why' holds control or invisible characters (U+200B)"),
        ({"why": "\x1b]0;x\x07"}, "holds control or invisible characters (U+001B, U+0007)"),
        ({"why": "\ud800"}, "parameter 'why' holds control or invisible characters (U+D800)"),
    ],
)
def test_parameters_no_plan_could_take_are_refused_at_the_gateway(
    room: Room, params: dict[str, object], error: str
) -> None:
    """What a hostile trainee can put in a decision's parameters over the wire (Python's
    JSON reads NaN and Infinity) is refused with the reason and never stored."""
    live, _, store, gate = room
    code = live.session.drill_id
    sock, ask = raw_seat(gate.tokens["hydrology"], "hydrology")
    try:
        ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})
        reply = ask({"op": "submit", "action": "issue_forecast", "params": params})
    finally:
        sock.close()
    assert reply["ok"] is False and error in reply["error"]
    stored = store.sql.execute("SELECT COUNT(*) FROM submissions WHERE drill_id = ?", [code])
    assert stored.fetchone()[0] == 0


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        # a newline in an action id drew a forged "✓ met" line on the trainer's timeline
        ({"action": "x\n0:00:05    ✓ met: forecast"}, "action must be an id (letters,"),
        ({"action": "issue_forecast", "params": []}, "params must be an object"),
        ({"action": "issue_forecast", "params": False}, "params must be an object"),
        ({"action": "issue_forecast", "key": "k\n1"}, "key must be an id"),
        ({"action": "no_such_action"}, "the plan has no action 'no_such_action'"),
        (
            {"action": "issue_forecast", "params": {"junk": "汉" * 4000}},
            "issue_forecast has no parameter 'junk' (parameters: crest",
        ),
    ],
)
def test_a_decision_the_console_could_not_make_is_refused_at_the_gateway(
    room: Room, request_: dict[str, object], error: str
) -> None:
    """What only a hand-made client sends (no plan id, junk parameters: 20 of those
    filled 27 MB of journal) is refused with the reason and kept out of the journal."""
    live, _, store, gate = room
    code = live.session.drill_id
    sock, ask = raw_seat(gate.tokens["hydrology"], "hydrology")
    try:
        ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})
        reply = ask({"op": "submit", **request_})
        assert ask({"op": "poll", "after": 0})["ok"]  # and the connection still answers
    finally:
        sock.close()
    assert reply["ok"] is False and error in reply["error"], reply
    stored = store.sql.execute("SELECT COUNT(*) FROM submissions WHERE drill_id = ?", [code])
    assert stored.fetchone()[0] == 0


def test_the_host_log_shows_a_hostile_request_inert(
    room: Room, caplog: pytest.LogCaptureFixture
) -> None:
    """The refused request's op is logged: a newline in it forged a log line, an ESC
    reached whoever reads the log in a terminal, a lone surrogate stopped the UTF-8 log
    handler with a traceback per request."""
    live, _, _, gate = room
    sock, ask = raw_seat(gate.tokens["hydrology"], "hydrology")
    caplog.set_level(logging.INFO, logger="drills")
    try:
        for op in ("x\n2026 INFO FAKE", "\x1b[2J\x1b]0;PWN\x07", "\ud800"):
            assert ask({"op": op})["ok"] is False
        assert ask({"op": "roles", "code": live.session.drill_id})["ok"]  # still answers
    finally:
        sock.close()
    logged = [r.getMessage() for r in caplog.records if "unknown request" in r.getMessage()]
    assert len(logged) == 3, caplog.records
    for line in logged:
        assert "\n" not in line and "\x1b" not in line
        line.encode("utf-8")  # a lone surrogate cannot be written to the log file


@pytest.mark.parametrize("name", ["bot:ideal", "BOT:ideal", "ｂｏｔ：ideal"])
def test_a_trainee_cannot_join_under_a_bots_name(room: Room, name: str) -> None:
    """A person named "bot:ideal" was filed as a bot: an empty seat on the trainer's
    roster, and their U rating left out of every trend."""
    live, _, store, gate = room
    code = live.session.drill_id
    sock, ask = raw_seat(gate.tokens["hydrology"], "hydrology")
    try:
        reply = ask({"op": "join", "code": code, "role": "hydrology", "name": name})
    finally:
        sock.close()
    assert reply == {
        "ok": False,
        "error": "a name cannot start with 'bot:': it marks a role a bot played",
    }
    assert rooms.participants(store, code) == {}


def test_a_resent_decision_is_stored_once(room: Room) -> None:
    live, _, store, gate = room
    code = live.session.drill_id
    sock, ask = raw_seat(gate.tokens["hydrology"], "hydrology")
    try:
        ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})
        first = ask({"op": "submit", "key": "k1", "action": "issue_forecast"})
        second = ask({"op": "submit", "key": "k1", "action": "issue_forecast"})
    finally:
        sock.close()
    assert first["id"] == second["id"]
    count = store.sql.execute("SELECT COUNT(*) FROM submissions WHERE drill_id = ?", [code])
    assert count.fetchone()[0] == 1


def test_a_dropped_seat_is_held_for_its_trainee_and_freed_only_by_the_trainer(
    room: Room,
) -> None:
    live, _, store, gate = room
    code = live.session.drill_id
    old = gate.tokens["hydrology"]
    li = RemoteDrill(code, "hydrology", "Li", token=old)
    new = live.free_seat("hydrology")  # the trainer frees it: a new token, the old revoked
    assert new != old and live.seat_tokens()["hydrology"] == new
    assert new.partition("-")[0] == old.partition("-")[0]  # the same room, the same address
    wait_for(lambda: "hydrology" not in gate.connected_roles(), "Li's console hung up on")
    lost = [v for v in li.advance() if isinstance(v, SubmissionRefused)]
    assert len(lost) == 1 and "the trainer freed this seat" in lost[0].reason.en
    assert not [v for v in li.advance() if isinstance(v, SubmissionRefused)]  # said once
    with pytest.raises(rooms.RoomError, match="the trainer freed this seat"):
        RemoteDrill(code, "hydrology", "Li", token=old)
    assert rooms.participants(store, code) == {}
    wang = RemoteDrill(code, "hydrology", "Wang", token=new)
    assert wang.role == "hydrology" and rooms.participants(store, code) == {"hydrology": "Wang"}
    revoked = store.sql.execute(
        "SELECT COUNT(*) FROM seat_tokens WHERE drill_id = ? AND role = 'hydrology' AND "
        "revoked IS NOT NULL",
        [code],
    ).fetchone()[0]
    assert revoked == 1


@pytest.mark.parametrize("room", ["exam"], indirect=True)
def test_exam_mode_sends_no_answer_key_and_nothing_of_other_roles(room: Room) -> None:
    """Everything that crossed the socket, verbatim: no expectation, no rule, no
    controller background, no other role's inject, no score before the end."""
    live, wall, _, gate = room
    code = live.session.drill_id
    client = Recording(code, gate.tokens["duty_officer"])
    remote = RemoteDrill(code, "duty_officer", "Li", client=client)
    live.resume()
    for _ in range(30):
        wall.t += 60  # an hour of scenario time per step
        live.advance()
        remote.advance()
    kinds = {e.kind for e in remote.events}
    assert kinds <= {
        Kind.DRILL_STARTED,
        Kind.INJECT_DELIVERED,
        Kind.STATE_CHANGED,
        Kind.DECISION_ACCEPTED,
        Kind.DECISION_REFUSED,
        Kind.HINT_SENT,
        Kind.DRILL_ENDED,
    }
    compiled = live.session.compiled
    wire = "\n".join(client.received)
    for exp_id in compiled.expectations:
        assert f'"{exp_id}"' not in wire
    for rule in compiled.plan.rules:
        assert f'"{rule.id}"' not in wire
    for inject in compiled.injects.values():
        if "duty_officer" not in inject.to:
            assert f'"{inject.id}"' not in wire and inject.text.zh not in wire
        if inject.background:
            assert inject.background.zh not in wire and inject.background.en not in wire
    assert compiled.scenario.background is None or compiled.scenario.background.en not in wire
    assert '"expects"' not in wire and '"rules"' not in wire and '"score"' not in wire
    store = live.session.store  # nor where the record is kept: a path, a server, its name
    assert store.target not in wire and store.where not in wire and store.target[-12:] not in wire
    assert remote.public.expectations == {}
    assert any(e.kind == Kind.EXPECTATION_MET for e in live.engine.events)  # the host has them
    # after the end: this trainee's own results, and no report (the answer key stays)
    assert live.ended
    results = remote.results()
    assert results.mine is not None and results.mine["rating"] in "PSMU"
    assert all(f.role in ("duty_officer", None) for f in results.findings)
    with pytest.raises(FeedError, match="shares the report at the debrief"):
        remote.report_html("en")


def test_training_mode_shows_only_the_roles_own_expectations(room: Room) -> None:
    live, wall, _, gate = room
    code = live.session.drill_id
    remote = RemoteDrill(code, "hydrology", "Li", token=gate.tokens["hydrology"])
    live.resume()
    for _ in range(10):
        wall.t += 60
        live.advance()
        remote.advance()
    revealed = remote.public.expectations
    assert revealed and {spec.role for spec in revealed.values()} == {"hydrology"}
    for event in remote.events:
        for exp_id in event.data.get("expectations", []):
            assert live.session.compiled.expectations[exp_id].role == "hydrology"
        if event.kind.startswith("expectation_"):
            assert event.data["expectation"] in revealed


def test_a_hosted_drill_resumes_with_every_decision_once(
    new_db: NewDb, flood_bundle: Bundle
) -> None:
    """The host dies with one decision applied and one in the trainee's outbox; after
    resume (same tokens: the database keeps their keys) the console reconnects by itself
    and the second is applied, once."""
    path = new_db("d")
    host_store = Store(path)
    live, wall = hosted(host_store, flood_bundle)
    code = live.session.drill_id
    room = RoomGateway(path, code).start()
    remote = RemoteDrill(code, "hydrology", "Li", token=room.tokens["hydrology"])
    live.resume()
    live.advance()
    remote.submit(Decision("hydrology", "issue_forecast"))
    wall.t += 5
    live.advance()
    room.stop()  # the host dies here
    host_store.close()
    assert not journal_views(remote.advance()) and not remote.connected
    remote.submit(Decision("hydrology", "issue_forecast", note="made while the host is down"))
    assert len(remote.outbox) == 1

    host_store = Store(path)
    check_not_hosted(host_store, code)  # nobody at the address: resume may go on
    resumed = DrillSession.resume(host_store, code)
    live = LiveDrill(resumed, 60, now=wall, paused=True, room_bots="ideal")
    assert live.started
    with RoomGateway(path, code) as again:
        assert again.tokens == {}  # a resumed host cannot show the tokens: keys only
        remote._next_try = 0  # do not wait for the once-a-second retry
        remote.advance()
        assert remote.connected and not remote.outbox
        live.resume()
        wall.t += 1
        live.advance()
        answers = [v for v in remote.advance() if isinstance(v, DecisionRecorded)]
    inputs = [i for _, i in host_store.inputs(code) if getattr(i, "participant", None) == "Li"]
    assert [i.note for i in inputs] == ["", "made while the host is down"]
    assert [v.note for v in answers] == ["made while the host is down"]


class Squatter:
    """Another process's socket bound at the drill's address after its host died: it
    answers a hello with a forged challenge (and anything else with a forged inject),
    and keeps every line it was sent."""

    def __init__(self, address: str, answer: bytes | None = None) -> None:
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(address)
        self.server.listen(16)
        self.received: list[dict[str, Any]] = []
        forged = {"ok": True, "nonce": "1" * 64, "proof": "2" * 64}
        self.answer = answer if answer is not None else json.dumps(forged).encode() + b"\n"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._talk, args=(conn,), daemon=True).start()

    def _talk(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            for line in reader:
                self.received.append(json.loads(line))
                conn.sendall(self.answer)

    def close(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=10)  # accept has returned: the name is free once closed
        self.server.close()


def test_an_impostor_at_the_address_is_refused_and_sent_nothing(
    new_db: NewDb, flood_bundle: Bundle
) -> None:
    path = new_db("d")
    host_store = Store(path)
    live, _ = hosted(host_store, flood_bundle)
    code = live.session.drill_id
    room = RoomGateway(path, code).start()
    token = room.tokens["hydrology"]
    remote = RemoteDrill(code, "hydrology", "Li", token=token)
    room.stop()  # the host dies, and another process takes its address
    squatter = Squatter(room.address)
    try:
        remote.submit(Decision("hydrology", "issue_forecast", note="for the real host only"))
        remote._next_try = 0
        said = [v for v in remote.advance() if isinstance(v, SubmissionRefused)]
        who = f"pid {os.getpid()} (uid {os.getuid()})"
        assert len(said) == 1
        assert said[0].reason.en == (
            f"the drill's address is held by {who}, which is not the drill's host (it cannot "
            "prove it holds the seat's key); nothing was sent to it"
        )
        remote._next_try = 0
        assert not [v for v in remote.advance() if isinstance(v, SubmissionRefused)]  # once
        with pytest.raises(HostImpostor, match="which is not the drill's host"):
            RemoteDrill(code, "hydrology", "Li", token=token)
        # the trainer's resume (and a new host) tell the squatter from a live host
        with pytest.raises(rooms.RoomError, match=re.escape(f"held by {who}, which is not")):
            check_not_hosted(host_store, code)
        with pytest.raises(rooms.RoomError, match="which is not the drill's host"):
            RoomGateway(path, code)
        # it got hellos (a seat id, a nonce) and nothing else: no proof, no name, no decision
        assert squatter.received and {m["op"] for m in squatter.received} == {"hello"}
        assert all(set(m) == {"op", "seat", "nonce"} for m in squatter.received)
        assert len(remote.outbox) == 1
    finally:
        squatter.close()
    with RoomGateway(path, code):  # the squatter is gone: the host serves again
        remote._next_try = 0
        remote.advance()
        assert remote.connected and not remote.outbox
    host_store.close()


@pytest.mark.parametrize(
    "answer, why",
    [(b"garbage\n", "it answers nonsense"), (b"", "it does not answer")],
)
def test_a_squatter_that_answers_nonsense_or_nothing_is_not_the_host(
    room: Room, answer: bytes, why: str
) -> None:
    live, _, _, gate = room
    token = gate.tokens["hydrology"]
    gate.stop()
    squatter = Squatter(gate.address, answer)
    try:
        client = GatewayClient(
            live.session.drill_id, token, connect=lambda a: gateway.connect(a, 0.5)
        )
        with pytest.raises(HostImpostor, match=f"not the drill's host \\({why}\\)"):
            client.call(Poll(0))
    finally:
        squatter.close()


def test_resume_names_the_live_host_or_the_squatter(new_db: NewDb) -> None:
    """`drillhall resume` of a hosted drill: its live host is "already hosted by pid N"
    (exit 3); a squatter at its address is named by pid and uid (exit 3)."""
    db = new_db("d")
    host, code, tokens = start_headless_host(db, wait_for=2)
    resume = [sys.executable, "-m", "drills", "resume", code, "--headless", "--db", str(db)]
    try:
        out = subprocess.run(resume, capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert out.returncode == 3, out.stderr
        hosted_by = f"drillhall: drill {code} is already hosted by pid {host.pid}"
        assert out.stderr == f"{hosted_by}: end that host first\n"
    finally:
        host.kill()
        host.wait()
    squatter = Squatter(seats.SeatKey.from_token(tokens["hydrology"]).address)
    try:
        out = subprocess.run(resume, capture_output=True, text=True, timeout=60, cwd=ROOT)
    finally:
        squatter.close()
    assert out.returncode == 3
    who = f"pid {os.getpid()} (uid {os.getuid()})"
    assert out.stderr.startswith(f"drillhall: the address of drill {code} is held by {who}")
    assert "not the drill's host" in out.stderr and len(out.stderr.splitlines()) == 1


def test_an_unreachable_host_is_a_clear_error() -> None:
    client = GatewayClient("0000dead", seats.new_token(seats.new_room_part()))
    with pytest.raises(HostUnreachable, match="the host of drill 0000dead is not reachable"):
        client.call(Poll(after=0))


def test_a_console_taking_its_seat_back_waits_while_another_connection_holds_it(
    room: Room,
) -> None:
    """A reconnecting console whose seat is still held by a live connection (its own old
    one, not yet noticed as gone) does not give up the seat: it tries again."""
    live, _, _, gate = room
    code, token = live.session.drill_id, gate.tokens["hydrology"]
    li = RemoteDrill(code, "hydrology", "Li", token=token)
    li.client.close()
    wait_for(lambda: "hydrology" not in gate.connected_roles(), "the gateway to notice")
    sock, ask = raw_seat(token, "hydrology")  # the "old" connection, still holding the seat
    assert ask({"op": "join", "code": code, "role": "hydrology", "name": "Li"})["ok"]
    li._next_try = 0
    assert not [v for v in li.advance() if isinstance(v, SubmissionRefused)]  # not lost
    assert not li.connected
    sock.shutdown(socket.SHUT_RDWR)  # (its reader keeps the descriptor open)
    sock.close()
    wait_for(lambda: "hydrology" not in gate.connected_roles(), "the old one to go")
    li._next_try = 0
    li.advance()
    assert li.connected and gate.connected_roles() == {"hydrology"}
