"""A trainee's view of a hosted drill, from another process (terminal, SSH or browser).

It has the interface of ``LiveDrill`` that the trainee console uses, but owns no engine
and no database: everything comes from the host's gateway (``drills.rooms.gateway``), cut to
this role. Decisions wait in an outbox until the gateway has stored them, each under a
random key, so a host that is killed and resumed gets each decision exactly once and the
trainee's console just reconnects.
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
from drills.port.feeds import Briefing, ClockView, FeedError, RoleChoice
from drills.port.results import TraineeResults
from drills.port.views import (
    ConnectionChanged,
    SubmissionRefused,
    TraineeView,
    both,
    literal,
)
from drills.port.visibility import trainee_views
from drills.rooms import gateway
from drills.rooms.messages import (
    FreeRole,
    Join,
    Poll,
    Polled,
    ReportHtml,
    Request,
    Results,
    Roles,
    SelfAssessment,
    Submit,
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
    """Request/answer over the gateway socket; any failure closes it (reconnect later)."""

    def __init__(self, code: str, connect: Callable[[str], socket.socket] = gateway.connect):
        self.code = code
        self._connect = connect
        self._sock: socket.socket | None = None
        self._reader: Any = None
        self._lock = threading.Lock()  # the console's timer and its workers share it

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def call(self, request: Request) -> dict[str, Any]:
        """The gateway's answer; RoomError with its reason if it refused the request."""
        with self._lock:
            reply = self._call(to_wire(request))
        if not reply.get("ok"):
            raise RoomError(str(reply.get("error", "refused")))
        return reply

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            if self._sock is None:
                self._sock = self._connect(self.code)
                self._reader = self._sock.makefile("rb")
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


def free_roles(code: str, client: GatewayClient | None = None) -> list[RoleChoice]:
    """The roles of hosted drill ``code`` that nobody has taken yet."""
    client = client or GatewayClient(code)
    try:
        reply = client.call(Roles(code))
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
    """The ``Lobby`` of hosted drills on this machine, reached through their gateways."""

    def free_roles(self, code: str) -> list[RoleChoice]:
        try:
            return free_roles(code)
        except RoomError as exc:
            raise FeedError(str(exc)) from None

    def join(self, code: str, role: str, name: str) -> RemoteDrill:
        try:
            return RemoteDrill(code, role, name)
        except RoomError as exc:
            raise FeedError(str(exc)) from None


def _not_hosted(code: str) -> str:
    return (
        f"no drill with code {code!r} is being hosted now: check the code, or ask "
        "the trainer to start (drillhall host) or resume it"
    )


class RemoteDrill:
    """A joined participant: ``role`` played by ``name`` in drill ``code``."""

    owns_clock = False

    def __init__(
        self, code: str, role: str, name: str, *, client: GatewayClient | None = None
    ) -> None:
        self._role = role
        self.name = name
        self.client = client or GatewayClient(code)
        try:
            reply = self._join()
        except HostUnreachable:
            raise HostUnreachable(_not_hosted(code)) from None
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
        self._pending: list[TraineeView] = self._poll()

    def _join(self) -> dict[str, Any]:
        return self.client.call(Join(self.client.code, self._role, self.name))

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
        if not self.connected:
            if time.monotonic() < self._next_try:
                return []
            try:
                self._join()
            except HostUnreachable:
                self._next_try = time.monotonic() + RETRY_SECONDS
                return []
            except RoomError as exc:  # the seat was freed or taken: stop knocking
                self._seat_lost = str(exc)
                return [SubmissionRefused(literal(self._seat_lost))]
        try:
            self._flush()
            reply = Polled.from_wire(self.client.call(Poll(self._last_seq)))
        except HostUnreachable:
            return []
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
        """Send what waits in the outbox; a refusal (the drill ended ...) drops it."""
        for key, request in list(self.outbox.items()):
            try:
                self.client.call(request)
            except HostUnreachable:
                raise
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
            with contextlib.suppress(HostUnreachable):  # kept; sent when the host is back
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
