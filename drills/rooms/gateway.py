"""The room gateway: the only way a trainee's process reaches a hosted drill.

The host serves its drill on a local socket. A trainee's process (a terminal on the host
machine, an SSH login, the console ``drillhall serve`` runs for a browser) never opens the
database: it asks the gateway, and every answer is cut to what its joined role may see
(``drills.port.visibility.visible_to``). So a trainee process cannot read the answer
key, other roles' injects or live scores even if it tries — it only holds what was sent
to it. Run trainees as other OS users than the trainer and the database itself is out of
their reach too.

Seats are reached with seat tokens (``drills.rooms.seats``). The socket's name is derived
from the room part of the drill's tokens, so ``/proc/net/unix`` shows neither the code
nor the word drillhall; and a connection gets nothing but a refusal until both ends have
proven they hold the same seat key (the host first: a trainee's console sends nothing to
a process that cannot prove it is the drill's host).

The store stays the bus: a submission is committed to the database before the gateway
acknowledges it, and the host applies it on its next tick (``LiveDrill.advance``).

Protocol (``drills.rooms.messages``): one JSON object per line each way. ``hello`` (the
seat id and the client's nonce) → the host's challenge (its proof and nonce) → ``prove``
→ the seat's role. Then a connection may ask which roles its token opens (``roles``),
join (``join``) and is bound to that participant: ``poll``, ``submit``, ``results``,
``note``, ``report``.

Limits (``Limits``): connections that have not proven a token are few per OS user (the
oldest is closed when a user opens more) and few in all, and must prove within seconds;
a proven connection that sends nothing for a while is closed; a seat has a few
connections at most, a bounded request rate and a bounded rate of decisions. A
connection's database connection is opened only once it has proven a token.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from drills.port.clock import ClockState
from drills.port.results import trainee_results
from drills.port.visibility import owners_of, visible_to
from drills.rooms import seats
from drills.rooms.messages import (
    MAX_HELLO_LINE,
    MAX_LINE,
    Challenge,
    FreeRole,
    Hello,
    Join,
    Poll,
    Polled,
    ProtocolError,
    ReportHtml,
    Request,
    Results,
    Roles,
    SelfAssessment,
    Submit,
    challenge_to_wire,
    hello_to_wire,
    parse_challenge,
    parse_hello,
    parse_prove,
    parse_request,
)
from drills.store import rooms
from drills.store.database import Store, StoreError
from drills.store.notes import add_note
from engine.compiled import CompiledScenario
from engine.events import Decision, Event

log = logging.getLogger(__name__)

# What a trainee's console needs to draw an inject, and nothing of its triggers, effects,
# expectations or controller background.
INJECT_DISPLAY = {"id", "title", "source", "to", "channel", "text"}
SCENARIO_PUBLIC = {
    "id", "version", "plan", "family", "title", "summary", "objectives", "start",
    "duration", "compression", "state", "tracked",
}  # fmt: skip
CONNECT_TIMEOUT = 5.0  # seconds a client waits for the host to answer


@dataclass(frozen=True)
class Limits:
    """What one gateway takes at most (README, "Hosting a drill")."""

    pending_per_uid: int = 8  # connections of one OS user that have not proven a token
    pending: int = 64  # such connections in all
    per_seat: int = 3  # proven connections of one seat (a console and its reconnects)
    connections: int = 256  # every connection
    handshake_seconds: float = 5.0  # to prove a token after connecting
    idle_seconds: float = 60.0  # a proven connection that sends nothing is closed
    submit_rate: float = 5.0  # decisions per second per seat, on average ...
    submit_burst: int = 20  # ... and at once (an outbox sent after a reconnect)
    request_rate: float = 50.0  # requests per second per connection (beyond: slowed)
    request_burst: int = 100


class TokenBucket:
    """``rate`` per second on average, ``burst`` at once."""

    def __init__(self, rate: float, burst: int, clock: Any = time.monotonic) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self._clock = clock
        self._at = clock()

    def _refill(self) -> None:
        now = self._clock()
        self.tokens = min(self.burst, self.tokens + (now - self._at) * self.rate)
        self._at = now

    def take(self) -> bool:
        """Take one if there is one."""
        self._refill()
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self) -> float:
        """Take one, returning how long to wait before using it (0: at once)."""
        self._refill()
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateLimited(rooms.RoomError):
    """Too many decisions at once: the console keeps it and sends it again shortly."""


class SeatHeld(rooms.RoomError):
    """The seat is held by another live connection (perhaps this console's own old one,
    not yet noticed as gone): a console that is taking its seat back tries again."""


class NotTheHost(rooms.RoomError):
    """The process at the drill's address failed to prove it is the drill's host."""


# -- peers ---------------------------------------------------------------------------------


def peer_credentials(sock: socket.socket) -> tuple[int, int] | None:
    """(pid, uid) of the process on the other end of a local socket (Linux), or None."""
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", raw)
    except (AttributeError, OSError, struct.error):
        return None
    return pid, uid


def describe(creds: tuple[int, int] | None) -> str:
    return f"pid {creds[0]} uid {creds[1]}" if creds else "an unknown peer"


def peer_of(sock: socket.socket) -> str:
    """Who is on the other end of a local socket: process and user (Linux)."""
    return describe(peer_credentials(sock))


@dataclass(eq=False)
class Peer:
    """One accepted connection, as the limits see it."""

    sock: socket.socket
    creds: tuple[int, int] | None
    accepted: float
    last: float
    sid: str | None = None  # the seat key it proved (None: not yet)
    closing: str | None = None  # why the gateway hung up on it
    requests: TokenBucket | None = None

    @property
    def uid(self) -> int | None:
        return self.creds[1] if self.creds else None

    def __str__(self) -> str:
        return describe(self.creds)


class Registry:
    """Every open connection; admits, evicts and reaps them by the ``Limits``."""

    def __init__(self, limits: Limits, clock: Any = time.monotonic) -> None:
        self.limits = limits
        self._clock = clock
        self._lock = threading.Lock()
        self._peers: dict[socket.socket, Peer] = {}
        self.accepted = 0  # connections accepted so far (admitted or not)

    def admit(self, sock: socket.socket, creds: tuple[int, int] | None) -> Peer | None:
        """Register a new connection; None if it must be closed at once. A user at the
        limit of unproven connections loses its oldest one, not its newest: a trainee
        who connects while the same account floods the host still gets in."""
        limits = self.limits
        now = self._clock()
        victims: list[tuple[Peer, str]] = []
        with self._lock:
            self.accepted += 1
            live = [p for p in self._peers.values() if p.closing is None]
            pending = sorted((p for p in live if p.sid is None), key=lambda p: p.accepted)
            if len(live) >= limits.connections:
                if not pending:
                    return None
                victims.append((pending.pop(0), "too many connections"))
            uid = creds[1] if creds else None
            mine = [p for p in pending if p.uid == uid]
            while len(mine) >= limits.pending_per_uid:
                victim = mine.pop(0)
                pending.remove(victim)
                victims.append((victim, "too many unproven connections from its user"))
            if len(pending) >= limits.pending:
                counts: dict[int | None, int] = {}
                for p in pending:
                    counts[p.uid] = counts.get(p.uid, 0) + 1
                greedy = max(counts, key=lambda u: counts[u])
                victim = next(p for p in pending if p.uid == greedy)
                victims.append((victim, "too many unproven connections"))
            peer = Peer(sock, creds, now, now)
            self._peers[sock] = peer
            for victim, why in victims:
                victim.closing = why
        for victim, _ in victims:
            _hang_up(victim.sock)
        return peer

    def peer(self, sock: socket.socket) -> Peer | None:
        with self._lock:
            return self._peers.get(sock)

    def prove(self, peer: Peer, sid: str) -> None:
        """Bind ``peer`` to the seat key it proved (RoomError: that seat has enough)."""
        with self._lock:
            holding = sum(1 for p in self._peers.values() if p.sid == sid and p.closing is None)
            if holding >= self.limits.per_seat:
                raise SeatHeld(
                    f"this seat has {holding} connections open already: close another "
                    "console of it first"
                )
            peer.sid = sid
            peer.last = self._clock()
            peer.requests = TokenBucket(self.limits.request_rate, self.limits.request_burst)

    def touch(self, peer: Peer) -> None:
        peer.last = self._clock()

    def remove(self, peer: Peer) -> None:
        with self._lock:
            self._peers.pop(peer.sock, None)

    def hang_up(self, sids: set[str], why: str) -> int:
        """Close every connection that proved one of ``sids``."""
        with self._lock:
            doomed = [p for p in self._peers.values() if p.sid in sids and p.closing is None]
            for peer in doomed:
                peer.closing = why
        for peer in doomed:
            _hang_up(peer.sock)
        return len(doomed)

    def reap(self) -> None:
        """Close connections that did not prove a token in time, or went idle."""
        limits = self.limits
        now = self._clock()
        with self._lock:
            doomed = []
            for peer in self._peers.values():
                if peer.closing is not None:
                    continue
                if peer.sid is None and now - peer.accepted > limits.handshake_seconds:
                    peer.closing = f"no seat token proven in {limits.handshake_seconds:g} s"
                elif now - peer.last > limits.idle_seconds:
                    peer.closing = f"idle for {limits.idle_seconds:g} s"
                else:
                    continue
                doomed.append(peer)
        for peer in doomed:
            _hang_up(peer.sock)

    def counts(self) -> tuple[int, int]:
        """(open connections, of which not proven yet)."""
        with self._lock:
            live = [p for p in self._peers.values() if p.closing is None]
            return len(live), sum(1 for p in live if p.sid is None)

    def sockets(self) -> list[socket.socket]:
        with self._lock:
            return list(self._peers)


def _hang_up(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


# -- the drill as trainees may see it -------------------------------------------------------


def briefing(compiled: CompiledScenario, drill_id: str, mode: str, role: str) -> dict[str, Any]:
    """The public part of plan and scenario: roles, actions and scales of the plan (its
    rules stay on the host), the scenario's title, start and tracked figures."""
    plan = compiled.plan.model_dump(mode="json", by_alias=True, exclude={"rules", "prohibited"})
    scenario = compiled.scenario.model_dump(mode="json", by_alias=True, include=SCENARIO_PUBLIC)
    return {"drill": drill_id, "mode": mode, "role": role, "plan": plan, "scenario": scenario}


@dataclass
class _Keys:
    """The room's keys in memory: seat id → (role, key); the host's key has no role."""

    room: str
    host_key: bytes
    by_sid: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)  # seat ids of freed seats' old tokens


class RoomService:
    """Answers one participant's requests; pure of sockets, so tests can call it.

    On the first hosting of a drill it makes the room secret and one token per role; the
    tokens are kept in this process only (``tokens``), the database gets their keys."""

    def __init__(self, db_path: str | Path, drill_id: str, limits: Limits | None = None) -> None:
        self.db_path = db_path
        self.drill_id = drill_id
        self.limits = limits or Limits()
        store = Store(db_path)
        try:
            record = store.drill(drill_id)
            self.mode = record.mode
            self.compiled = record.bundle().compiled
            self.tokens: dict[str, str] = {}  # role → token issued by this process
            self._keys = self._load_keys(store)
        finally:
            store.close()
        self.owners = owners_of(self.compiled)
        self._lock = threading.Lock()
        self._connected: dict[str, object] = {}  # role → the connection that holds it
        self._submits: dict[str, TokenBucket] = {}  # role → its rate of decisions
        # What the host in this process published: its journaled events and clock. Polls
        # are answered from here (no database read per poll); until the host publishes,
        # from the database.
        self._published: tuple[Sequence[Event], int, ClockState] | None = None
        self.submitted = threading.Event()  # set when a decision is queued: wakes the host

    def published(self, events: Sequence[Event], count: int, clock: ClockState) -> None:
        """The host's events (seq n at index n - 1; a list that only grows), how many of
        them are journaled, and its clock, as of now."""
        self._published = (events, count, clock)

    def _clock(self, store: Store) -> ClockState:
        published = self._published
        return published[2] if published else rooms.read_clock(store, self.drill_id)

    def _events_after(self, store: Store, after: int) -> Sequence[Event]:
        published = self._published
        if published is None:
            return store.events_after(self.drill_id, after)
        events, count, _ = published
        return events[max(after, 0) : count]  # only what is journaled

    def _load_keys(self, store: Store) -> _Keys:
        secret = rooms.room_secret(store, self.drill_id)
        if secret is None:
            room = seats.new_room_part()
            fresh: list[rooms.StoredSeat] = []
            for role in self.compiled.plan.roles:
                token = seats.new_token(room)
                key = seats.SeatKey.from_token(token)
                self.tokens[role.id] = token
                fresh.append(rooms.StoredSeat(key.sid, role.id, key.key))
            wanted = rooms.RoomSecret(room, seats.new_host_key())
            secret = rooms.create_room(store, self.drill_id, wanted, fresh)
            if secret != wanted:  # another process hosted it first: its tokens hold
                self.tokens.clear()
        keys = _Keys(secret.room, secret.host_key)
        keys.by_sid[seats.seat_id(secret.host_key)] = (None, secret.host_key)
        for seat in rooms.seat_keys(store, self.drill_id):
            keys.by_sid[seat.sid] = (seat.role, seat.key)
        keys.revoked = rooms.revoked_seats(store, self.drill_id)
        return keys

    @property
    def address(self) -> str:
        return seats.address_for(self._keys.room)

    @property
    def host_key(self) -> bytes:
        return self._keys.host_key

    def key_for(self, sid: str) -> tuple[str | None, bytes]:
        """The role and key of a seat id a client says it holds (RoomError: none)."""
        with self._lock:
            found = self._keys.by_sid.get(sid)
            revoked = sid in self._keys.revoked
        if revoked:
            raise rooms.RoomError(
                "the trainer freed this seat and gave it a new token: this one is no longer "
                "valid (ask the trainer)"
            )
        if found is None:
            raise rooms.RoomError(
                "this seat token is not valid for the drill served here: check it, or ask "
                "the trainer (a freed seat gets a new token)"
            )
        return found

    def reissue(self, role: str) -> tuple[str, set[str]]:
        """Revoke ``role``'s token and issue a new one: (the new token, the revoked seat
        ids). The seat is free: whoever holds the new token may take it."""
        if self.compiled.plan.role(role) is None:
            raise rooms.RoomError(f"no role {role!r} in plan {self.compiled.plan.id}")
        token = seats.new_token(self._keys.room)
        key = seats.SeatKey.from_token(token)
        store = Store(self.db_path, create=False)
        try:
            rooms.reissue_seat(store, self.drill_id, rooms.StoredSeat(key.sid, role, key.key))
        finally:
            store.close()
        with self._lock:
            old = {sid for sid, (r, _) in self._keys.by_sid.items() if r == role}
            for sid in old:
                del self._keys.by_sid[sid]
            self._keys.revoked |= old
            self._keys.by_sid[key.sid] = (role, key.key)
            self.tokens[role] = token
            self._connected.pop(role, None)
        log.info("drill %s: the seat of %s was freed; its token was replaced", self.drill_id, role)
        return token, old

    # -- joining ----------------------------------------------------------------------

    def _check_code(self, code: str) -> None:
        if code != self.drill_id:
            raise rooms.RoomError(f"no drill with code {code!r}: check the code")

    def free_roles(self, store: Store, code: str, seat: str | None) -> list[FreeRole]:
        """The roles this seat's token opens (its own), unless a bot plays it."""
        self._check_code(code)
        bots = store.drill(self.drill_id).bots if rooms.hosted_started(store, self.drill_id) else {}
        return [
            FreeRole(r.id, r.name.model_dump(), r.duties.model_dump() if r.duties else None)
            for r in self.compiled.plan.roles
            if r.id == seat and r.id not in bots
        ]

    def join(self, store: Store, conn: object, seat: str | None, request: Join) -> dict[str, Any]:
        self._check_code(request.code)
        role = request.role
        if seat is None:
            raise rooms.RoomError("the host's key joins no seat")
        if role != seat:
            if self.compiled.plan.role(role) is None:
                roles = ", ".join(r.id for r in self.compiled.plan.roles)
                raise rooms.RoomError(f"no role {role!r} in plan {self.compiled.plan.id} ({roles})")
            raise rooms.RoomError(
                f"this seat token is for role {seat!r}, not {role!r}: ask the trainer for the "
                "token of your role"
            )
        with self._lock:
            holder = self._connected.get(role)
            if holder is not None and holder is not conn:
                who = rooms.participants(store, self.drill_id).get(role, "someone")
                raise SeatHeld(f"role {role!r} is already taken by {who} (connected)")
            rooms.join(store, request.code, role, request.name)
            self._connected[role] = conn
        return {"ok": True, "briefing": briefing(self.compiled, self.drill_id, self.mode, role)}

    def leave(self, conn: object) -> None:
        with self._lock:
            for role, holder in list(self._connected.items()):
                if holder is conn:
                    del self._connected[role]

    def connected_roles(self) -> set[str]:
        with self._lock:
            return set(self._connected)

    # -- a joined participant ------------------------------------------------------------

    def poll(self, store: Store, role: str, after: int) -> Polled:
        """The host's clock and the events for ``role`` after ``after``, with the display
        text of newly delivered injects and (training) the specs of its expectations."""
        clock = self._clock(store)
        events: list[tuple[int, int, str, dict[str, Any]]] = []
        last = after
        injects: dict[str, Any] = {}
        expectations: dict[str, Any] = {}
        owners = self.owners if self.mode == "training" else None
        for event in self._events_after(store, after):
            last = event.seq
            visible = visible_to(event, role, self.mode, owners)
            if visible is None:
                continue
            events.append((visible.seq, visible.t, str(visible.kind), visible.data))
            inject_id = visible.data.get("inject")
            if visible.kind == "inject_delivered" and inject_id in self.compiled.injects:
                injects[inject_id] = self.compiled.injects[inject_id].model_dump(
                    mode="json", by_alias=True, include=INJECT_DISPLAY
                )
            for exp_id in visible.data.get("expectations", []) if owners else []:
                expectations[exp_id] = self.compiled.expectations[exp_id].to_dict()
        return Polled(last, clock, events, injects, expectations)

    def submit(self, store: Store, role: str, name: str, request: Submit) -> dict[str, Any]:
        if self._clock(store).ended:
            raise rooms.RoomError("the drill has ended: decisions are no longer taken")
        with self._lock:
            bucket = self._submits.setdefault(
                role, TokenBucket(self.limits.submit_rate, self.limits.submit_burst)
            )
            allowed = bucket.take()
        if not allowed:
            raise RateLimited(
                f"too many decisions at once: at most {self.limits.submit_rate:g} a second "
                "from one seat (the console sends it again shortly)"
            )
        self._check_against_plan(request)
        decision = Decision(role, request.action, request.params, request.note)
        submission = rooms.submit(store, self.drill_id, role, name, decision, request.key)
        self.submitted.set()
        return {"ok": True, "id": submission}

    def _check_against_plan(self, request: Submit) -> None:
        """Refuse what no console offers: an action the plan does not have, parameters
        its action does not have. They would be refused by the engine anyway, but stored
        and journaled first, as large as the limits allow (a flood of them fills the
        disk); a wrong *value* still goes to the engine, which judges and journals it."""
        action = self.compiled.plan.action(request.action)
        if action is None:
            raise rooms.RoomError(f"the plan has no action {request.action!r}")
        known = {p.id for p in action.params}
        unknown = [name for name in request.params if name not in known]
        if unknown:
            raise rooms.RoomError(
                f"{action.id} has no parameter {unknown[0]!r} "
                f"(parameters: {', '.join(sorted(known)) or 'none'})"
            )

    def _ended_events(self, store: Store) -> list[Event]:
        """The whole journal, once it holds the end (the clock row may lag a tick)."""
        events = store.events(self.drill_id)
        if not any(e.kind == "drill_ended" for e in reversed(events)):
            raise rooms.RoomError("results come when the drill has ended")
        return events

    def results(self, store: Store, role: str) -> dict[str, Any]:
        results = trainee_results(self.compiled, self._ended_events(store), role)
        return {"ok": True, "results": results.to_dict()}

    def note(self, store: Store, role: str, name: str, text: str) -> dict[str, Any]:
        add_note(store, self.drill_id, "self", name, text, role=role)
        return {"ok": True}

    def report(self, store: Store, lang: str) -> dict[str, Any]:
        """The full after-action report, only after a training drill: in an exam the
        scenario's answer key stays with the trainer, who shares it at the debrief."""
        if self.mode == "exam":
            raise rooms.RoomError("in an exam the trainer shares the report at the debrief")
        self._ended_events(store)
        from drills.review.report import load_report
        from drills.review.reports import render

        report = load_report(store, self.drill_id).report
        return {"ok": True, "html": render(report, "html", "en" if lang == "en" else "zh")}


# -- one connection ------------------------------------------------------------------------


class _Connection(socketserver.StreamRequestHandler):
    """One console's connection: prove the seat token, join, then requests as that
    participant only."""

    server: RoomGateway

    def _send(self, reply: dict[str, Any]) -> None:
        self.wfile.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
        self.wfile.flush()

    def handle(self) -> None:
        gateway = self.server
        service = gateway.service
        peer = gateway.registry.peer(self.request)
        if peer is None:
            return
        log.info("drill %s: connection from %s", service.drill_id, peer)
        store: Store | None = None  # opened once a token is proven: idle sockets hold none
        who: tuple[str, str] | None = None
        try:
            proven = self._handshake(service, peer)
            if proven is None:
                return
            seat = proven
            while line := self.rfile.readline(MAX_LINE + 1):
                gateway.registry.touch(peer)
                if peer.requests is not None:
                    delay = peer.requests.wait()
                    if delay:
                        time.sleep(delay)  # a flood of requests is slowed, not served faster
                op = "?"
                try:
                    if len(line) > MAX_LINE:
                        raise ProtocolError("request too large")
                    raw = json.loads(line)
                    op = logged_op(raw)
                    request = parse_request(raw)
                    if store is None:
                        store = Store(service.db_path, create=False)
                    reply, who = self._answer(service, store, seat, request, who)
                    if isinstance(request, Join):
                        log.info(
                            "drill %s: %s joined as %s (%s)",
                            service.drill_id,
                            request.name,
                            request.role,
                            peer,
                        )
                except (rooms.RoomError, StoreError, ProtocolError) as exc:
                    _log_refusal(service.drill_id, op, who, str(peer), exc)
                    reply = {"ok": False, "error": str(exc)}
                    if isinstance(exc, RateLimited):
                        reply["retry"] = True
                    if isinstance(exc, SeatHeld):
                        reply["held"] = True
                except (ValueError, RecursionError) as exc:  # not JSON, or nested too deep
                    log.warning(
                        "drill %s: bad request from %s: %s",
                        service.drill_id,
                        peer,
                        type(exc).__name__,
                    )
                    reply = {"ok": False, "error": f"bad request: {type(exc).__name__}"}
                self._send(reply)
        except (ConnectionError, OSError) as exc:
            # the trainee's console went away; it reconnects and joins again
            log.info("drill %s: connection from %s lost: %s", service.drill_id, peer, exc)
        finally:
            log.info(
                "drill %s: %s (%s) disconnected%s",
                service.drill_id,
                who[0] if who else "a console",
                peer,
                f" by the host: {peer.closing}" if peer.closing else "",
            )
            gateway.registry.remove(peer)
            service.leave(self)
            if store is not None:
                store.close()

    def _handshake(self, service: RoomService, peer: Peer) -> str | None:
        """Hello, the host's proof, the client's proof. Returns the seat's role ("" for
        the host's own key), or None when the connection is refused (and closed)."""
        line = self.rfile.readline(MAX_HELLO_LINE + 1)
        if not line:
            return None
        try:
            if len(line) > MAX_HELLO_LINE:
                raise ProtocolError("hello too large")
            hello = parse_hello(json.loads(line))
            role, key = service.key_for(hello.seat)
            nonce = seats.new_nonce()
            proof = seats.host_proof(key, hello.seat, hello.nonce, nonce)
            self._send(challenge_to_wire(Challenge(nonce, proof)))
            line = self.rfile.readline(MAX_HELLO_LINE + 1)
            if not line:
                return None
            if len(line) > MAX_HELLO_LINE:
                raise ProtocolError("proof too large")
            prove = parse_prove(json.loads(line))
            if not seats.same(prove.proof, seats.seat_proof(key, hello.seat, hello.nonce, nonce)):
                raise rooms.RoomError("the seat token's proof is wrong: check the token")
            self.server.registry.prove(peer, hello.seat)
        except (rooms.RoomError, ProtocolError, ValueError, RecursionError) as exc:
            known = isinstance(exc, rooms.RoomError | ProtocolError)
            reason = str(exc) if known else f"bad hello: {type(exc).__name__}"
            log.info("drill %s: %s refused at the door: %s", service.drill_id, peer, reason)
            refusal: dict[str, Any] = {"ok": False, "error": reason}
            if isinstance(exc, SeatHeld):
                refusal["held"] = True  # for now: the console tries again
            with contextlib.suppress(OSError):
                self._send(refusal)
            return None
        self._send({"ok": True, "role": role})
        return role or ""

    def _answer(
        self,
        service: RoomService,
        store: Store,
        seat: str,
        request: Request,
        who: tuple[str, str] | None,
    ) -> tuple[dict[str, Any], tuple[str, str] | None]:
        if isinstance(request, Roles):
            free = service.free_roles(store, request.code, seat or None)
            return {"ok": True, "roles": [asdict(r) for r in free]}, who
        if isinstance(request, Join):
            if who is not None:
                raise rooms.RoomError(f"this connection has joined as {who[0]} already")
            reply = service.join(store, self, seat or None, request)
            return reply, (request.role, request.name)
        if who is None:
            raise rooms.RoomError("join the drill first")
        role, name = who
        if isinstance(request, Poll):
            return service.poll(store, role, request.after).to_wire(), who
        if isinstance(request, Submit):
            return service.submit(store, role, name, request), who
        if isinstance(request, Results):
            return service.results(store, role), who
        if isinstance(request, SelfAssessment):
            return service.note(store, role, name, request.text), who
        assert isinstance(request, ReportHtml)
        return service.report(store, request.lang), who


def logged_op(raw: object) -> str:
    """A request's op as the log shows it: escaped as ASCII (a newline, an ESC or a lone
    surrogate in it would forge a log line, reach a terminal or stop the log handler)."""
    op = raw.get("op") if isinstance(raw, dict) else None
    if not isinstance(op, str):
        return "?"
    return ascii(op)[1:-1][:24]


def _log_refusal(
    drill_id: str, op: str, who: tuple[str, str] | None, peer: str, exc: Exception
) -> None:
    """A refusal is the room working (info); a failing database is an error."""
    level = logging.INFO if isinstance(exc, rooms.RoomError) else logging.WARNING
    if isinstance(exc, StoreError) and not isinstance(exc, rooms.RoomError):
        level = logging.ERROR
    role = who[0] if who else "-"
    log.log(level, "drill %s: %s by %s (%s) refused: %s", drill_id, op, role, peer, exc)


# -- the server ----------------------------------------------------------------------------


class RoomGateway(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Serves one hosted drill in background threads while the host's console runs."""

    daemon_threads = True
    allow_reuse_address = False
    request_queue_size = 64

    def __init__(self, db_path: str | Path, drill_id: str, *, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.service = RoomService(db_path, drill_id, self.limits)
        self.address = self.service.address
        self.registry = Registry(self.limits)
        if not self.address.startswith("\0") and Path(self.address).exists():
            holder = holder_of(self.address, self.service.host_key)
            if holder is not None:
                raise rooms.RoomError(holder.refusal(drill_id))
            Path(self.address).unlink(missing_ok=True)  # left by a host that crashed
        try:
            super().__init__(self.address, _Connection)
        except OSError as exc:
            holder = holder_of(self.address, self.service.host_key)
            if holder is not None:
                raise rooms.RoomError(holder.refusal(drill_id)) from None
            raise rooms.RoomError(
                f"drill {drill_id} cannot be served: its address is in use ({exc.strerror})"
            ) from None
        self._thread: threading.Thread | None = None

    @property
    def tokens(self) -> dict[str, str]:
        """Role → seat token, for the tokens this process issued (a resumed host knows
        none until it frees a seat: the database keeps keys, never tokens)."""
        return dict(self.service.tokens)

    def connected_roles(self) -> set[str]:
        return self.service.connected_roles()

    def published(self, events: Sequence[Event], count: int, clock: ClockState) -> None:
        """From the host: what trainees' polls are answered with."""
        self.service.published(events, count, clock)

    def wait_submitted(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a decision to be queued (True if one was)."""
        if self.service.submitted.wait(timeout):
            self.service.submitted.clear()
            return True
        return False

    def process_request(self, request: Any, client_address: Any) -> None:
        """In the server's thread: admit the connection by the limits (or close it)
        before a thread is spent on it."""
        creds = peer_credentials(request)
        if self.registry.admit(request, creds) is None:
            log.warning(
                "drill %s: refused a connection from %s: %d connections open",
                self.service.drill_id,
                describe(creds),
                self.limits.connections,
            )
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def service_actions(self) -> None:
        """Between two accepts (at least every 0.2 s): close late and idle connections."""
        self.registry.reap()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An unexpected failure in one connection: logged with its context (socketserver
        would print a traceback on the host's terminal); the connection is dropped."""
        log.exception("drill %s: a request from %s failed", self.service.drill_id, peer_of(request))

    def free(self, role: str) -> str:
        """Free ``role``'s seat (the trainer's call): its token is revoked and a new one
        issued (returned); the consoles that hold the old one are hung up on."""
        token, old = self.service.reissue(role)
        self.registry.hang_up(old, "the trainer freed the seat")
        return token

    def start(self) -> RoomGateway:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and hang up on every console (they try to reconnect)."""
        if self._thread is not None:
            self.shutdown()
            self._thread.join(timeout=5)
        self.server_close()
        for conn in self.registry.sockets():
            _hang_up(conn)
        if not self.address.startswith("\0"):
            Path(self.address).unlink(missing_ok=True)

    def wait_idle(self, timeout: float) -> None:
        """After the end: keep serving results until every console has hung up, or for
        ``timeout`` seconds at most (a headless host that exits at once would leave
        trainees without their results)."""
        deadline = time.monotonic() + timeout
        while self.registry.counts()[0] and time.monotonic() < deadline:
            time.sleep(0.1)

    def __enter__(self) -> RoomGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- the client's side of the door ------------------------------------------------------------


def connect(address: str, timeout: float = CONNECT_TIMEOUT) -> socket.socket:
    """A connection to a gateway's address (OSError: nobody listens there now)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address)
    except OSError:
        sock.close()
        raise
    return sock


def _read_json(reader: BinaryIO, limit: int) -> Any:
    line = reader.readline(limit + 1)
    if not line:
        raise ConnectionError("the connection was closed")
    if len(line) > limit:
        raise ValueError("answer too large")
    return json.loads(line)


def challenge_host(
    sock: socket.socket, reader: BinaryIO, key: bytes, sid: str
) -> tuple[str, str, tuple[int, int] | None]:
    """Send a hello and check the host's proof. Returns (client nonce, server nonce,
    the host's pid and uid). NotTheHost if the peer cannot prove it holds ``key`` (it
    has then been sent nothing but the seat id and a nonce); RoomError if it refused
    the seat id; OSError or ValueError if the connection failed."""
    creds = peer_credentials(sock)
    nonce = seats.new_nonce()
    sock.sendall(json.dumps(hello_to_wire(Hello(sid, nonce))).encode() + b"\n")
    try:
        raw = _read_json(reader, MAX_HELLO_LINE)
    except TimeoutError:
        raise NotTheHost(_impostor(creds, "it does not answer")) from None
    except ValueError:
        raise NotTheHost(_impostor(creds, "it answers nonsense")) from None
    if isinstance(raw, dict) and raw.get("ok") is False and isinstance(raw.get("error"), str):
        raise rooms.RoomError(f"refused by the room: {' '.join(raw['error'].split())[:300]}")
    try:
        challenge = parse_challenge(raw)
    except ProtocolError:
        raise NotTheHost(_impostor(creds, "it answers nonsense")) from None
    if not seats.same(challenge.proof, seats.host_proof(key, sid, nonce, challenge.nonce)):
        raise NotTheHost(_impostor(creds, "it cannot prove it holds the seat's key"))
    return nonce, challenge.nonce, creds


def _impostor(creds: tuple[int, int] | None, why: str) -> str:
    who = f"pid {creds[0]} (uid {creds[1]})" if creds else "a process"
    return (
        f"the drill's address is held by {who}, which is not the drill's host ({why}); "
        "nothing was sent to it"
    )


@dataclass(frozen=True)
class Holder:
    """Who holds a drill's address, as the trainer's process finds out."""

    creds: tuple[int, int] | None
    is_host: bool

    def refusal(self, drill_id: str) -> str:
        if self.is_host:
            pid = self.creds[0] if self.creds else "?"
            return f"drill {drill_id} is already hosted by pid {pid}: end that host first"
        who = f"pid {self.creds[0]} (uid {self.creds[1]})" if self.creds else "a process"
        return (
            f"the address of drill {drill_id} is held by {who}, which is not the drill's "
            "host (it cannot prove the host's key): have that process stopped first"
        )


def holder_of(address: str, host_key: bytes, timeout: float = 3.0) -> Holder | None:
    """Who listens at ``address``: the drill's host (it proves ``host_key``), another
    process, or nobody (None)."""
    try:
        sock = connect(address, timeout)
    except OSError:
        return None
    try:
        reader = sock.makefile("rb")
        try:
            _, _, creds = challenge_host(sock, reader, host_key, seats.seat_id(host_key))
        except NotTheHost:
            return Holder(peer_credentials(sock), False)
        except rooms.RoomError:  # it refused the host's own key: not our host
            return Holder(peer_credentials(sock), False)
        except (OSError, ValueError):
            return Holder(peer_credentials(sock), False)
        finally:
            reader.close()
        return Holder(creds, True)
    finally:
        sock.close()
