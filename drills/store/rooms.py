"""Hosted drills: trainees in other processes join a role and decide through the store.

The journal is the bus. The host's gateway (``drills.rooms.gateway``) stores a trainee's
decision as a *submission*; the host picks submissions up every tick, applies them through
the engine (which journals them as inputs), and marks them applied with the engine's
answer. The gateway reads the events meant for a role, and the host's clock, from the
same database (WAL lets readers and the writer work at once) and sends only what
``visible_to`` lets through: trainees' processes never open the database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drills.store.database import Store, StoreError, now_iso
from engine.events import Decision, Event, Kind, canonical_json


class RoomError(StoreError):
    """A join or a submission the room refuses, with the reason."""


@dataclass(frozen=True)
class ClockState:
    t: int
    speed: float
    paused: bool
    wall: float
    ended: bool

    def now(self, wall: float | None = None) -> int:
        """The host's scenario time, extrapolated from its last published tick."""
        if self.paused or self.ended:
            return self.t
        elapsed = max(0.0, (time.time() if wall is None else wall) - self.wall)
        return int(self.t + elapsed * self.speed)


def join(store: Store, code: str, role: str, name: str) -> str:
    """Register ``name`` as the player of ``role``; returns the drill id."""
    try:
        record = store.drill(code)
    except StoreError:
        raise RoomError(
            f"no drill with code {code!r}: check the code the trainer gave you"
        ) from None
    if record.status == "ended":
        raise RoomError(f"drill {record.id} has ended")
    plan = record.bundle().compiled.plan
    if plan.role(role) is None:
        roles = ", ".join(r.id for r in plan.roles)
        raise RoomError(f"no role {role!r} in plan {plan.id} (roles: {roles})")
    if not name.strip():
        raise RoomError("give your name with --name")
    with store.db.conn:
        taken = store.db.conn.execute(
            "SELECT name FROM participants WHERE drill_id = ? AND role = ?", (record.id, role)
        ).fetchone()
        if taken and taken[0] != name:
            raise RoomError(f"role {role!r} is already taken by {taken[0]}")
        if role in record.bots and hosted_started(store, record.id):
            raise RoomError(f"role {role!r} is played by a bot in this drill")
        store.db.conn.execute(
            "INSERT OR REPLACE INTO participants (drill_id, role, name, joined) "
            "VALUES (?, ?, ?, ?)",
            (record.id, role, name, now_iso()),
        )
    return record.id


def participants(store: Store, drill_id: str) -> dict[str, str]:
    rows = store.db.execute(
        "SELECT role, name FROM participants WHERE drill_id = ?", [drill_id]
    ).fetchall()
    return {role: name for role, name in rows}


def hosted_started(store: Store, drill_id: str) -> bool:
    row = store.db.execute("SELECT t, paused FROM clock WHERE drill_id = ?", [drill_id]).fetchone()
    return bool(row) and (row[0] > 0 or not row[1])


def submit(
    store: Store, drill_id: str, role: str, name: str, decision: Decision, key: str | None = None
) -> int:
    """Queue a decision for the host; committed before this returns.

    ``key`` names the decision: sending the same key again (the answer was lost, the host
    restarted) returns the first submission's id and stores nothing new."""
    registered = participants(store, drill_id).get(role)
    if registered != name:
        raise RoomError(f"{name} has not joined drill {drill_id} as {role}")
    data = {"action": decision.action, "params": decision.params, "note": decision.note}
    with store.db.conn:
        cursor = store.db.conn.execute(
            "INSERT OR IGNORE INTO submissions (drill_id, role, name, data, submitted, status, "
            "key) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
            (drill_id, role, name, canonical_json(data), now_iso(), key),
        )
        if cursor.rowcount == 0:  # this key was stored before
            row = store.db.conn.execute(
                "SELECT id FROM submissions WHERE drill_id = ? AND key = ?", (drill_id, key)
            ).fetchone()
            return int(row[0])
    return int(cursor.lastrowid or 0)


def pending(store: Store, drill_id: str) -> list[tuple[int, Decision]]:
    """Submissions not yet applied, oldest first, as decisions tied to their participant."""
    rows = store.db.execute(
        "SELECT id, role, name, data FROM submissions WHERE drill_id = ? AND status = 'pending' "
        "ORDER BY id",
        [drill_id],
    ).fetchall()
    out = []
    for sub_id, role, name, data in rows:
        raw = json.loads(data)
        out.append(
            (
                sub_id,
                Decision(
                    role,
                    raw["action"],
                    raw.get("params") or {},
                    raw.get("note") or "",
                    participant=name,
                ),
            )
        )
    return out


def mark_applied(store: Store, submission: int, events: list[Event]) -> None:
    answer = next(
        (e for e in events if e.kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED)), None
    )
    result: dict[str, Any] = {"seq": answer.seq if answer else None}
    if answer is not None:
        result["accepted"] = answer.kind == Kind.DECISION_ACCEPTED
        result["reason"] = answer.data.get("reason")
    with store.db.conn:
        store.db.conn.execute(
            "UPDATE submissions SET status = 'applied', applied = ?, result = ? WHERE id = ?",
            (now_iso(), canonical_json(result), submission),
        )


def publish_clock(
    store: Store, drill_id: str, t: int, speed: float, paused: bool, ended: bool
) -> None:
    with store.db.conn:
        store.db.conn.execute(
            "INSERT OR REPLACE INTO clock (drill_id, t, speed, paused, wall, ended) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (drill_id, t, speed, int(paused), time.time(), int(ended)),
        )


def read_clock(store: Store, drill_id: str) -> ClockState:
    row = store.db.execute(
        "SELECT t, speed, paused, wall, ended FROM clock WHERE drill_id = ?", [drill_id]
    ).fetchone()
    if row is None:
        return ClockState(0, 1.0, True, time.time(), False)
    return ClockState(int(row[0]), float(row[1]), bool(row[2]), float(row[3]), bool(row[4]))


ANSWER_KEYS = ("expectations", "prohibited")


EXPECTATION_KINDS = (
    Kind.EXPECTATION_MET,
    Kind.EXPECTATION_LATE,
    Kind.ANSWER_PARTLY,
    Kind.EXPECTATION_PARTLY,
    Kind.EXPECTATION_MISSED,
    Kind.EXPECTATION_OVERDUE,
)


def visible_to(
    event: Event, role: str, mode: str, owners: Mapping[str, str] | None = None
) -> Event | None:
    """What a trainee of ``role`` may see of an event (None: nothing).

    Their own injects, hints and decisions, the public situation (state, start, end). In
    exam mode the answer key — which expectations an inject opened, whether a decision
    met one — is stripped, and nothing about expectations or commissions is shown. In
    training mode, with ``owners`` (expectation id → responsible role), only the
    expectations of ``role`` itself are shown.
    """
    data = event.data
    kind = event.kind
    if kind in (Kind.DRILL_STARTED, Kind.DRILL_ENDED):
        return event
    if kind == Kind.STATE_CHANGED:  # the figure, not what moved it (another role's inject)
        return Event(event.seq, event.t, kind, {k: v for k, v in data.items() if k != "cause"})
    if kind in (Kind.INJECT_DELIVERED, Kind.HINT_SENT):
        if role not in data["to"]:
            return None
    elif kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED):
        if data["role"] != role:
            return None
    elif mode == "exam":
        return None
    elif kind in EXPECTATION_KINDS:
        if owners is not None and owners.get(data["expectation"]) != role:
            return None
    elif kind == Kind.COMMISSION:  # training: the trainee's own prohibited act, at once
        if data.get("role") != role:
            return None
    else:
        return None
    if mode == "exam":
        data = {k: v for k, v in data.items() if k not in ANSWER_KEYS}
        return Event(event.seq, event.t, kind, data)
    if owners is not None and "expectations" in data:
        mine = [e for e in data["expectations"] if owners.get(e) == role]
        return Event(event.seq, event.t, kind, {**data, "expectations": mine})
    return event
