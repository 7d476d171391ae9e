"""The room gateway: the only way a trainee's process reaches a hosted drill.

The host serves its drill on a local socket. A trainee's process (a terminal on the host
machine, an SSH login, the console ``drillhall serve`` runs for a browser) never opens the
database: it asks the gateway, and every answer is cut to what its joined role may see
(``drills.port.visibility.visible_to``). So a trainee process cannot read the answer
key, other roles' injects or live scores even if it tries — it only holds what was sent
to it. Run trainees as other OS users than the trainer and the database itself is out of
their reach too.

The store stays the bus: a submission is committed to the database before the gateway
acknowledges it, and the host applies it on its next tick (``LiveDrill.advance``).

Protocol (``drills.rooms.messages``): one JSON object per line each way. A connection may
ask which roles are free (``roles``), then joins (``join``) and is bound to that
participant: ``poll``, ``submit``, ``results``, ``note``, ``report``. Each connection
gets its own thread and its own database connection.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import socketserver
import struct
import sys
import tempfile
import threading
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from drills.port.results import trainee_results
from drills.port.visibility import owners_of, visible_to
from drills.rooms.messages import (
    MAX_LINE,
    FreeRole,
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


def address(code: str) -> str:
    """Where drill ``code`` is served: an abstract socket on Linux (nothing to clean up
    after a crash, reachable by every local user), else a socket file in the temp dir."""
    if sys.platform.startswith("linux"):
        return f"\0drillhall-room-{code}"
    return str(Path(tempfile.gettempdir()) / f"drillhall-{code}.sock")


def briefing(compiled: CompiledScenario, drill_id: str, mode: str, role: str) -> dict[str, Any]:
    """The public part of plan and scenario: roles, actions and scales of the plan (its
    rules stay on the host), the scenario's title, start and tracked figures."""
    plan = compiled.plan.model_dump(mode="json", by_alias=True, exclude={"rules", "prohibited"})
    scenario = compiled.scenario.model_dump(mode="json", by_alias=True, include=SCENARIO_PUBLIC)
    return {"drill": drill_id, "mode": mode, "role": role, "plan": plan, "scenario": scenario}


class RoomService:
    """Answers one participant's requests; pure of sockets, so tests can call it."""

    def __init__(self, db_path: Path, drill_id: str) -> None:
        self.db_path = db_path
        self.drill_id = drill_id
        store = Store(db_path)
        try:
            record = store.drill(drill_id)
        finally:
            store.close()
        self.mode = record.mode
        self.compiled = record.bundle().compiled
        self.owners = owners_of(self.compiled)
        self._lock = threading.Lock()
        self._connected: dict[str, object] = {}  # role → the connection that holds it
        self._released: set[tuple[str, str]] = set()  # (role, name) the trainer freed

    # -- joining ----------------------------------------------------------------------

    def free_roles(self, store: Store, code: str) -> list[FreeRole]:
        """The roles nobody holds (and no bot plays), for a trainee to pick from."""
        if code != self.drill_id:
            raise rooms.RoomError(f"no drill with code {code!r}: check the code")
        taken = rooms.participants(store, self.drill_id)
        bots = store.drill(self.drill_id).bots if rooms.hosted_started(store, self.drill_id) else {}
        return [
            FreeRole(r.id, r.name.model_dump(), r.duties.model_dump() if r.duties else None)
            for r in self.compiled.plan.roles
            if r.id not in taken and r.id not in bots
        ]

    def join(self, store: Store, conn: object, request: Join) -> dict[str, Any]:
        if request.code != self.drill_id:
            raise rooms.RoomError(f"no drill with code {request.code!r}: check the code")
        role = request.role
        with self._lock:
            if (role, request.name) in self._released:
                raise rooms.RoomError(
                    f"the trainer freed the seat of {role!r}: ask the trainer before joining again"
                )
            holder = self._connected.get(role)
            if holder is not None and holder is not conn:
                who = rooms.participants(store, self.drill_id).get(role, "someone")
                raise rooms.RoomError(f"role {role!r} is already taken by {who} (connected)")
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

    def release(self, role: str, name: str | None) -> object | None:
        """Forget who holds ``role`` (the trainer freed the seat) and keep ``name`` from
        taking it back by reconnecting; returns the connection that held it."""
        with self._lock:
            if name is not None:
                self._released.add((role, name))
            return self._connected.pop(role, None)

    # -- a joined participant ------------------------------------------------------------

    def poll(self, store: Store, role: str, after: int) -> Polled:
        """The host's clock and the events for ``role`` after ``after``, with the display
        text of newly delivered injects and (training) the specs of its expectations."""
        clock = rooms.read_clock(store, self.drill_id)
        events: list[tuple[int, int, str, dict[str, Any]]] = []
        last = after
        injects: dict[str, Any] = {}
        expectations: dict[str, Any] = {}
        owners = self.owners if self.mode == "training" else None
        for event in store.events_after(self.drill_id, after):
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
        if rooms.read_clock(store, self.drill_id).ended:
            raise rooms.RoomError("the drill has ended: decisions are no longer taken")
        decision = Decision(role, request.action, request.params, request.note)
        submission = rooms.submit(store, self.drill_id, role, name, decision, request.key)
        return {"ok": True, "id": submission}

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


class _Connection(socketserver.StreamRequestHandler):
    """One trainee's connection: join first, then requests as that participant only."""

    server: RoomGateway

    def handle(self) -> None:
        service = self.server.service
        peer = peer_of(self.request)
        log.info("drill %s: connection from %s", service.drill_id, peer)
        store = Store(service.db_path, create=False)  # connections belong to one thread
        who: tuple[str, str] | None = None
        self.server.connections.add(self.request)
        try:
            while line := self.rfile.readline(MAX_LINE + 1):
                op = "?"
                try:
                    if len(line) > MAX_LINE:
                        raise ProtocolError("request too large")
                    raw = json.loads(line)
                    op = str(raw.get("op"))[:16] if isinstance(raw, dict) else "?"
                    request = parse_request(raw)
                    reply, who = self._answer(service, store, request, who)
                    if isinstance(request, Join):
                        log.info(
                            "drill %s: %s joined as %s (%s)",
                            service.drill_id,
                            request.name,
                            request.role,
                            peer,
                        )
                except (rooms.RoomError, StoreError, ProtocolError) as exc:
                    _log_refusal(service.drill_id, op, who, peer, exc)
                    reply = {"ok": False, "error": str(exc)}
                except (ValueError, RecursionError) as exc:  # not JSON, or nested too deep
                    log.warning(
                        "drill %s: bad request from %s: %s",
                        service.drill_id,
                        peer,
                        type(exc).__name__,
                    )
                    reply = {"ok": False, "error": f"bad request: {type(exc).__name__}"}
                self.wfile.write(json.dumps(reply, ensure_ascii=False).encode() + b"\n")
                self.wfile.flush()
        except (ConnectionError, OSError) as exc:
            # the trainee's console went away; it reconnects and joins again
            log.info("drill %s: connection from %s lost: %s", service.drill_id, peer, exc)
        finally:
            log.info(
                "drill %s: %s (%s) disconnected",
                service.drill_id,
                who[0] if who else "a console",
                peer,
            )
            self.server.connections.discard(self.request)
            service.leave(self)
            store.close()

    def _answer(
        self,
        service: RoomService,
        store: Store,
        request: Request,
        who: tuple[str, str] | None,
    ) -> tuple[dict[str, Any], tuple[str, str] | None]:
        if isinstance(request, Roles):
            free = service.free_roles(store, request.code)
            return {"ok": True, "roles": [asdict(r) for r in free]}, who
        if isinstance(request, Join):
            if who is not None:
                raise rooms.RoomError(f"this connection has joined as {who[0]} already")
            reply = service.join(store, self, request)
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


def peer_of(sock: socket.socket) -> str:
    """Who is on the other end of a local socket: process and user (Linux)."""
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, _gid = struct.unpack("3i", raw)
    except (AttributeError, OSError, struct.error):
        return "an unknown peer"
    return f"pid {pid} uid {uid}"


def _log_refusal(
    drill_id: str, op: str, who: tuple[str, str] | None, peer: str, exc: Exception
) -> None:
    """A refusal is the room working (info); a failing database is an error."""
    level = logging.INFO if isinstance(exc, rooms.RoomError) else logging.WARNING
    if isinstance(exc, StoreError) and not isinstance(exc, rooms.RoomError):
        level = logging.ERROR
    role = who[0] if who else "-"
    log.log(level, "drill %s: %s by %s (%s) refused: %s", drill_id, op, role, peer, exc)


class RoomGateway(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    """Serves one hosted drill in background threads while the host's console runs."""

    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, db_path: Path, drill_id: str) -> None:
        self.service = RoomService(Path(db_path), drill_id)
        self.address = address(drill_id)
        if not self.address.startswith("\0"):
            Path(self.address).unlink(missing_ok=True)
        try:
            super().__init__(self.address, _Connection)
        except OSError as exc:
            raise rooms.RoomError(
                f"drill {drill_id} is already hosted by another process ({exc.strerror})"
            ) from None
        self._thread: threading.Thread | None = None
        self.connections: set[socket.socket] = set()

    def connected_roles(self) -> set[str]:
        return self.service.connected_roles()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """An unexpected failure in one connection: logged with its context (socketserver
        would print a traceback on the host's terminal); the connection is dropped."""
        log.exception("drill %s: a request from %s failed", self.service.drill_id, peer_of(request))

    def release(self, role: str, name: str | None) -> None:
        """Free ``role``: hang up on the console that holds it (the trainer's call)."""
        holder = self.service.release(role, name)
        if isinstance(holder, _Connection):
            with contextlib.suppress(OSError):
                holder.request.shutdown(socket.SHUT_RDWR)

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
        for conn in list(self.connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if not self.address.startswith("\0"):
            Path(self.address).unlink(missing_ok=True)

    def wait_idle(self, timeout: float) -> None:
        """After the end: keep serving results until every console has hung up, or for
        ``timeout`` seconds at most (a headless host that exits at once would leave
        trainees without their results)."""
        deadline = time.monotonic() + timeout
        while self.connections and time.monotonic() < deadline:
            time.sleep(0.1)

    def __enter__(self) -> RoomGateway:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def connect(code: str, timeout: float = 5.0) -> socket.socket:
    """A connection to the gateway of drill ``code`` (OSError: nobody hosts it now)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(address(code))
    except OSError:
        sock.close()
        raise
    return sock
