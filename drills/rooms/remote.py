"""A trainee's view of a hosted drill, from another process (terminal, SSH or browser).

It has the interface of ``LiveDrill`` that the trainee console uses, but owns no engine
and no database: everything comes from the host's gateway (``drills.rooms.gateway``), cut to
this role. It reaches the gateway with the trainee's seat token (``drills.rooms.seats``):
the token gives the address, and the host must prove it holds the seat's key before the
console sends it anything. Decisions wait in an outbox until the gateway has stored them,
each under a random key, so a host that is killed and resumed gets each decision exactly
once and the trainee's console just reconnects.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drills.port.briefing import briefing_for
from drills.port.clock import ClockState
from drills.port.feeds import Briefing, ClockView, FeedError, JoinForm, RoleChoice
from drills.port.results import TraineeResults
from drills.port.views import (
    ConnectionChanged,
    SubmissionRefused,
    TraineeView,
    both,
    literal,
)
from drills.port.visibility import trainee_views
from drills.rooms import gateway, seats
from drills.rooms.messages import (
    MAX_HELLO_LINE,
    FreeRole,
    Join,
    Poll,
    Polled,
    Prove,
    ReportHtml,
    Request,
    Results,
    Roles,
    SelfAssessment,
    Submit,
    prove_to_wire,
    to_wire,
)
from drills.store.paths import reports_dir
from drills.store.rooms import RoomError
from engine.compiled import CompiledScenario, ResolvedExpectation
from engine.events import Decision, Event
from engine.fields import Bilingual
from engine.plan import Plan
from engine.scenario import Inject, Scenario

RETRY_SECONDS = 1.0


class HostUnreachable(RoomError):
    """The host is not serving the drill right now (not started, killed, restarting)."""


class HostImpostor(HostUnreachable):
    """The drill's address is held by a process that cannot prove it is the host: a
    console sends it nothing and tries again later (the trainer may clear it)."""


class SeatBusy(HostUnreachable):
    """The seat is held by other live connections for now: a console taking its seat back
    tries again, as when the host is away."""


class SeatLost(RoomError):
    """The seat cannot be taken back (the trainer freed it, another console holds it)."""


class RateLimited(RoomError):
    """The host takes no more decisions from this seat just now: kept, sent again."""


def redacted_compiled(briefing: dict[str, Any]) -> CompiledScenario:
    """The scenario as the trainee may know it: the plan without rules, the public part of
    the scenario and no injects yet — they are added as they are delivered."""
    placeholder = {"id": "briefing", "at": 0, "from": "-", "to": [briefing["role"]], "text": "-"}
    scenario = Scenario.model_validate({**briefing["scenario"], "injects": [placeholder]})
    return CompiledScenario(
        plan=Plan.model_validate(briefing["plan"]),
        scenario=scenario.model_copy(update={"injects": []}),
    )


class GatewayClient:
    """Request/answer over the gateway socket, after proving the seat token; any failure
    closes it (reconnect later).

    ``token`` is the trainee's seat token: it never crosses the socket. Each new
    connection first checks that the process at the drill's address proves it holds the
    seat's key (``gateway.challenge_host``), then proves it too; once joined
    (``rejoin``), a new connection joins again before anything else."""

    def __init__(
        self,
        code: str,
        token: str,
        connect: Callable[[str], socket.socket] = gateway.connect,
    ) -> None:
        self.code = code
        self.seat = seats.SeatKey.from_token(token)  # BadToken: not a token
        self._connect = connect
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._lock = threading.Lock()  # the console's timer and its workers share it
        self.rejoin: Join | None = None  # sent first on a new connection, once joined
        self.host: tuple[int, int] | None = None  # the proven host's pid and uid

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def call(self, request: Request) -> dict[str, Any]:
        """The gateway's answer; RoomError with its reason if it refused the request.

        A connection the host closed while it was idle is noticed here: the request is
        sent once more on a new connection (decisions carry keys: stored once)."""
        with self._lock:
            fresh = self._sock is None
            try:
                reply = self._call(to_wire(request))
            except HostImpostor:
                raise
            except HostUnreachable:
                if fresh:
                    raise
                reply = self._call(to_wire(request))
        if not reply.get("ok"):
            error = str(reply.get("error", "refused"))
            raise RateLimited(error) if reply.get("retry") else RoomError(error)
        return reply

    def _open(self) -> None:
        """Connect, check the host's proof, prove the token, join again if joined."""
        try:
            sock = self._connect(self.seat.address)
        except OSError as exc:
            raise HostUnreachable(f"the host of drill {self.code} is not reachable") from exc
        reader = sock.makefile("rb")
        try:
            client_nonce, server_nonce, self.host = gateway.challenge_host(
                sock, reader, self.seat.key, self.seat.sid
            )
            proof = seats.seat_proof(self.seat.key, self.seat.sid, client_nonce, server_nonce)
            sock.sendall(json.dumps(prove_to_wire(Prove(proof))).encode() + b"\n")
            welcome = json.loads(reader.readline(MAX_HELLO_LINE + 1) or b"null")
            if isinstance(welcome, dict) and welcome.get("held"):  # too many of this seat
                raise SeatBusy(f"refused by the room for now: {welcome.get('error')}")
            if not isinstance(welcome, dict) or not welcome.get("ok"):
                error = welcome.get("error") if isinstance(welcome, dict) else None
                raise RoomError(f"refused by the room: {error or 'the token was not taken'}")
        except gateway.NotTheHost as exc:
            reader.close()
            sock.close()
            raise HostImpostor(str(exc)) from None
        except RoomError:  # refused (HostUnreachable: for now)
            reader.close()
            sock.close()
            raise
        except (OSError, ValueError) as exc:
            reader.close()
            sock.close()
            raise HostUnreachable(f"the host of drill {self.code} is not reachable") from exc
        self._sock, self._reader = sock, reader
        if self.rejoin is not None:
            answer = self._exchange(to_wire(self.rejoin))
            if answer.get("held"):  # its own old connection, not yet noticed as gone
                self.close()
                raise SeatBusy(str(answer.get("error", "the seat is held")))
            if not answer.get("ok"):
                self.close()
                raise SeatLost(str(answer.get("error", "refused")))

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        if self._sock is None:
            self._open()
        return self._exchange(request)

    def _exchange(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            assert self._sock is not None
            self._sock.sendall(json.dumps(request, ensure_ascii=False).encode() + b"\n")
            line = self._reader.readline()
            if not line:
                raise ConnectionError("the host closed the connection")
            reply: dict[str, Any] = json.loads(line)
        except (OSError, ValueError) as exc:
            self.close()
            raise HostUnreachable(f"the host of drill {self.code} is not reachable") from exc
        return reply

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._reader.close()
                self._sock.close()
            finally:
                self._sock = None


def free_roles(code: str, token: str, client: GatewayClient | None = None) -> list[RoleChoice]:
    """The roles of hosted drill ``code`` that the seat token opens (its own, if free)."""
    client = client or GatewayClient(code, token)
    try:
        reply = client.call(Roles(code))
    except (HostImpostor, SeatBusy):
        raise
    except HostUnreachable:
        raise HostUnreachable(_not_hosted(code)) from None
    finally:
        client.close()
    return [_role_choice(FreeRole(r["id"], r["name"], r.get("duties"))) for r in reply["roles"]]


def _role_choice(role: FreeRole) -> RoleChoice:
    def words(value: dict[str, str]) -> Bilingual:
        return both(lambda lang: str(value.get(lang) or value.get("en") or ""))

    return RoleChoice(role.id, words(role.name), words(role.duties) if role.duties else None)


class GatewayLobby:
    """The ``Lobby`` of hosted drills on this machine, reached through their gateways.

    ``form`` is what the join screen starts with (the code, name and role given on the
    command line); the token is always typed on the screen (or read from the
    environment by ``drillhall join``), never passed on a command line."""

    def __init__(self, form: JoinForm | None = None) -> None:
        self.form = form or JoinForm()

    def free_roles(self, code: str, token: str) -> list[RoleChoice]:
        try:
            return free_roles(code, token)
        except RoomError as exc:
            raise FeedError(str(exc)) from None

    def join(self, code: str, role: str, name: str, token: str) -> RemoteDrill:
        try:
            return RemoteDrill(code, role, name, token=token)
        except RoomError as exc:
            raise FeedError(str(exc)) from None


def _not_hosted(code: str) -> str:
    return (
        f"no drill with code {code!r} is being hosted now at the address of this seat "
        "token: check the code and the token, or ask the trainer to start (drillhall "
        "host) or resume it"
    )


class RemoteDrill:
    """A joined participant: ``role`` played by ``name`` in drill ``code``."""

    owns_clock = False

    def __init__(
        self,
        code: str,
        role: str,
        name: str,
        *,
        token: str | None = None,
        client: GatewayClient | None = None,
    ) -> None:
        self._role = role
        self.name = name
        if client is None:
            if token is None:
                raise RoomError(
                    f"a seat token is needed to join drill {code}: type it in the console, "
                    f"or set {seats.ENV_TOKEN} (ask the trainer for yours)"
                )
            client = GatewayClient(code, token)
        self.client = client
        try:
            reply = self.client.call(Join(code, role, name))
        except (HostImpostor, SeatBusy):
            raise
        except HostUnreachable:
            raise HostUnreachable(_not_hosted(code)) from None
        self.client.rejoin = Join(code, role, name)  # a new connection takes the seat back
        info = reply["briefing"]
        self.mode: str = info["mode"]
        self.drill_id: str = info["drill"]
        self.compiled = redacted_compiled(info)
        self.events: list[Event] = []  # what this role has been shown
        self.outbox: dict[str, Submit] = {}  # key → decision not yet stored by the host
        self._refusals: list[str] = []  # why the host refused queued decisions
        self._last_seq = 0
        self._ended = False
        self._host_clock: ClockState | None = None
        self._next_try = 0.0
        self._was_connected = True
        self._seat_lost: str | None = None  # why this console may not rejoin its seat
        self._impostor: str | None = None  # who holds the address instead of the host
        self._pending: list[TraineeView] = self._poll()

    # -- the port ------------------------------------------------------------------------

    @property
    def role(self) -> str:
        return self._role

    @property
    def participant(self) -> str | None:
        return self.name

    @property
    def public(self) -> CompiledScenario:
        return self.compiled

    @property
    def briefing(self) -> Briefing:
        speed = self._host_clock.speed if self._host_clock else self.compiled.scenario.compression
        return briefing_for(
            self.compiled, self.drill_id, self.mode, self._role, speed=speed, hosted=True
        )

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def connected(self) -> bool:
        return self.client.connected

    @property
    def now(self) -> int:
        last = self.events[-1].t if self.events else 0
        if self._host_clock is not None and self.connected:
            return max(last, self._host_clock.now())
        return last

    def clock(self) -> ClockView:
        host = self._host_clock
        speed, paused = (host.speed, host.paused) if host else (1.0, True)
        started = host is not None and (host.t > 0 or not host.paused)
        return ClockView(
            self.now, speed, paused or not self.connected, self._ended, started=started
        )

    def backlog(self) -> list[TraineeView]:
        return trainee_views(self.events, self.compiled, self._role, self.mode)

    def advance(self) -> list[TraineeView]:
        """New views for this role since the last call, and the host's clock.

        If the host has gone away, this tries again at most once a second (re-joining
        as the same participant) and returns nothing meanwhile."""
        views, self._pending = self._pending, []
        views += self._poll()
        while self._refusals:
            views.append(SubmissionRefused(literal(self._refusals.pop(0))))
        if self.connected != self._was_connected:
            self._was_connected = self.connected
            views.append(ConnectionChanged(self.connected))
        return views

    def _poll(self) -> list[TraineeView]:
        if self._seat_lost is not None:
            return []
        if not self.connected and time.monotonic() < self._next_try:
            return []
        try:
            self._flush()
            reply = Polled.from_wire(self.client.call(Poll(self._last_seq)))
        except HostImpostor as exc:  # said once, in one line; nothing is sent to it
            self._next_try = time.monotonic() + RETRY_SECONDS
            if self._impostor == str(exc):
                return []
            self._impostor = str(exc)
            return [SubmissionRefused(literal(self._impostor))]
        except HostUnreachable:
            self._next_try = time.monotonic() + RETRY_SECONDS
            return []
        except RoomError as exc:  # the seat was freed or taken: stop knocking
            self._seat_lost = str(exc)
            return [SubmissionRefused(literal(self._seat_lost))]
        self._impostor = None
        return self._take(reply)

    def _take(self, reply: Polled) -> list[TraineeView]:
        compiled = self.compiled
        for inject_id, display in reply.injects.items():
            compiled.injects[inject_id] = Inject.model_validate({**display, "at": 0})
        for exp_id, spec in reply.expectations.items():
            compiled.expectations[exp_id] = ResolvedExpectation.from_dict(spec)
        fresh = [Event(seq, t, kind, data) for seq, t, kind, data in reply.events]
        self._last_seq = reply.last
        self._ended = self._ended or any(e.kind == "drill_ended" for e in fresh)
        self.events.extend(fresh)
        self._host_clock = reply.clock
        return trainee_views(fresh, compiled, self._role, self.mode)

    def _flush(self) -> None:
        """Send what waits in the outbox; a refusal (the drill ended ...) drops it, a
        rate refusal keeps it and the rest for the next tick."""
        for key, request in list(self.outbox.items()):
            try:
                self.client.call(request)
            except (HostUnreachable, SeatLost):
                raise
            except RateLimited:
                return
            except RoomError as exc:
                self._refusals.append(str(exc))
            del self.outbox[key]

    def submit(self, decision: Decision) -> list[TraineeView]:
        """Queue the decision for the host; its answer arrives as a view."""
        if decision.role != self._role:
            raise FeedError(f"this console plays {self._role}, not {decision.role}")
        key = uuid.uuid4().hex
        self.outbox[key] = Submit(key, decision.action, dict(decision.params), decision.note)
        if self.connected:
            with contextlib.suppress(HostUnreachable, SeatLost):  # kept; sent when back
                self._flush()
        return []

    # The trainer owns the clock of a hosted drill: these change nothing here.
    def toggle_pause(self) -> None:
        return None

    def set_speed(self, speed: float) -> None:
        return None

    def skip_to_next_inject(self) -> int | None:
        return None

    # -- after the end -------------------------------------------------------------------

    def results(self) -> TraineeResults:
        """Computed by the host, for this participant's role."""
        try:
            return TraineeResults.from_dict(self.client.call(Results())["results"])
        except RoomError as exc:
            raise FeedError(str(exc)) from None

    def add_self_assessment(self, text: str) -> None:
        """Stored by the host under the joined participant."""
        try:
            self.client.call(SelfAssessment(text))
        except RoomError as exc:
            raise FeedError(str(exc)) from None

    @property
    def reports_folder(self) -> Path:
        return reports_dir()

    def report_html(self, lang: str) -> str:
        try:
            return str(self.client.call(ReportHtml(lang))["html"])
        except RoomError as exc:
            raise FeedError(str(exc)) from None
