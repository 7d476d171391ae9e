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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.port.results import TraineeResults
from drills.rooms import gateway
from drills.store.paths import reports_dir
from drills.store.rooms import ClockState, RoomError
from engine.compiled import CompiledScenario, ResolvedExpectation
from engine.events import Decision, Event
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


def _expectation(data: dict[str, Any]) -> ResolvedExpectation:
    return ResolvedExpectation.from_dict(data)


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

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """The gateway's answer; RoomError with its reason if it refused the request."""
        with self._lock:
            reply = self._call(request)
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


@dataclass
class RemoteView:
    """What the console reads as ``live.engine``: the visible events and the time."""

    events: list[Event] = field(default_factory=list)
    now: int = 0


@dataclass
class RemoteSession:
    compiled: CompiledScenario
    mode: str
    drill_id: str
    engine: RemoteView


@dataclass
class RemoteClock:
    speed: float = 1.0
    paused: bool = True


class RemoteDrill:
    """A joined participant: ``role`` played by ``name`` in drill ``code``."""

    remote = True

    def __init__(
        self, code: str, role: str, name: str, *, client: GatewayClient | None = None
    ) -> None:
        self.role = role
        self.name = name
        self.client = client or GatewayClient(code)
        try:
            reply = self._join()
        except HostUnreachable:
            raise RoomError(
                f"no drill with code {code!r} is being hosted now: check the code, or ask "
                "the trainer to start (drillhall host) or resume it"
            ) from None
        info = reply["briefing"]
        self.session = RemoteSession(
            redacted_compiled(info), info["mode"], info["drill"], RemoteView()
        )
        self.clock = RemoteClock()
        self.outbox: dict[str, dict[str, Any]] = {}  # key → decision not yet stored by the host
        self.refusals: list[str] = []  # why the host refused queued decisions (console shows)
        self._last_seq = 0
        self._ended = False
        self._host_clock: ClockState | None = None
        self._next_try = 0.0
        self.advance()

    def _join(self) -> dict[str, Any]:
        request = {"op": "join", "code": self.client.code, "role": self.role, "name": self.name}
        return self.client.call(request)

    @property
    def engine(self) -> RemoteView:
        return self.session.engine

    @property
    def ended(self) -> bool:
        return self._ended

    @property
    def connected(self) -> bool:
        return self.client.connected

    @property
    def now(self) -> int:
        if self._host_clock is not None and self.connected:
            return max(self.engine.now, self._host_clock.now())
        return self.engine.now

    def advance(self) -> list[Event]:
        """New events for this role since the last call, and the host's clock.

        If the host has gone away, this tries again at most once a second (re-joining
        as the same participant) and returns nothing meanwhile."""
        if not self.connected:
            if time.monotonic() < self._next_try:
                return []
            try:
                self._join()
            except HostUnreachable:
                self._next_try = time.monotonic() + RETRY_SECONDS
                self.clock.paused = True
                return []
        try:
            self._flush()
            reply = self.client.call({"op": "poll", "after": self._last_seq})
        except HostUnreachable:
            self.clock.paused = True
            return []
        return self._take(reply)

    def _take(self, reply: dict[str, Any]) -> list[Event]:
        compiled = self.session.compiled
        for inject_id, display in reply["injects"].items():
            compiled.injects[inject_id] = Inject.model_validate({**display, "at": 0})
        for exp_id, spec in reply["expectations"].items():
            compiled.expectations[exp_id] = _expectation(spec)
        fresh = [Event(seq, t, kind, data) for seq, t, kind, data in reply["events"]]
        self._last_seq = reply["last"]
        self._ended = self._ended or any(e.kind == "drill_ended" for e in fresh)
        self.engine.events.extend(fresh)
        self._host_clock = ClockState(*reply["clock"])
        self.clock.speed, self.clock.paused = self._host_clock.speed, self._host_clock.paused
        self.engine.now = max(self.engine.now, self._host_clock.now())
        return fresh

    def _flush(self) -> None:
        """Send what waits in the outbox; a refusal (the drill ended ...) drops it."""
        for key, request in list(self.outbox.items()):
            try:
                self.client.call(request)
            except HostUnreachable:
                raise
            except RoomError as exc:
                self.refusals.append(str(exc))
            del self.outbox[key]

    def submit(self, decision: Decision) -> list[Event]:
        """Queue the decision for the host; its answer arrives as an event."""
        key = uuid.uuid4().hex
        self.outbox[key] = {
            "op": "submit",
            "key": key,
            "action": decision.action,
            "params": decision.params,
            "note": decision.note,
        }
        if self.connected:
            with contextlib.suppress(HostUnreachable):  # kept; sent when the host is back
                self._flush()
        return []

    # The trainer owns the clock of a hosted drill: these change nothing here.
    def toggle_pause(self) -> bool:
        return self.clock.paused

    def set_speed(self, speed: float) -> None:
        return None

    def skip_to_next_inject(self) -> int | None:
        return None

    # -- after the end -------------------------------------------------------------------

    def results(self, role: str | None) -> TraineeResults:
        """Computed by the host, for this participant's role whatever ``role`` says."""
        return TraineeResults.from_dict(self.client.call({"op": "results"})["results"])

    def add_self_assessment(self, author: str, role: str | None, text: str) -> None:
        """Stored by the host under the joined participant (``author``/``role`` unused)."""
        self.client.call({"op": "note", "text": text})

    @property
    def reports_folder(self) -> Path:
        return reports_dir()

    def report_html(self, lang: str) -> str:
        return str(self.client.call({"op": "report", "lang": lang})["html"])
