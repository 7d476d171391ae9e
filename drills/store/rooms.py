"""Hosted drills: trainees in other processes join a role and decide through the store.

The journal is the bus. The host's gateway (``drills.rooms.gateway``) stores a trainee's
decision as a *submission*; the host picks submissions up every tick, applies them through
the engine (which journals them as inputs), and marks them applied with the engine's
answer. The gateway reads the events meant for a role, and the host's clock, from the
same database (WAL lets readers and the writer work at once) and sends only what
``drills.port.visibility.visible_to`` lets through: trainees' processes never open the
database. Seats are reached with seat tokens (``drills.rooms.seats``): the database keeps
the room part of a drill's tokens and each seat's derived key, never a token. This module
is the SQL of it.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from drills.port.clock import ClockState
from drills.port.text import unsafe_characters
from drills.store.database import NoSuchDrill, Store, StoreError, now_iso, storage
from engine.events import Decision, Event, Kind, canonical_json

# The channel a stored submission is announced on (payload: the drill id), so a host on
# PostgreSQL looks at its queue when something came instead of every tick.
SUBMITTED = "drillhall_submitted"


def submitted_channel(drill_id: str) -> str:
    """The notification channel of one drill's submissions: a host listens to its own
    drill only, not to every drill on the server."""
    return f"{SUBMITTED}:{drill_id}"


class RoomError(StoreError):
    """A join or a submission the room refuses, with the reason."""


@storage("cannot join drill {code}", writes=True)
def join(store: Store, code: str, role: str, name: str) -> str:
    """Register ``name`` as the player of ``role``; returns the drill id."""
    try:
        record = store.drill(code)
    except NoSuchDrill:
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
    bad = unsafe_characters(name)
    if bad:
        raise RoomError(f"a name cannot hold control characters ({', '.join(bad)})")
    with store.sql.transaction():
        taken = store.sql.execute(
            "SELECT name FROM participants WHERE drill_id = ? AND role = ?", (record.id, role)
        ).fetchone()
        if taken and taken[0] != name:
            raise RoomError(
                f"role {role!r} is already taken by {taken[0]}: the seat is held for them "
                "(the trainer can free it)"
            )
        if role in record.bots and hosted_started(store, record.id):
            raise RoomError(f"role {role!r} is played by a bot in this drill")
        store.sql.execute(
            "INSERT INTO participants (drill_id, role, name, joined) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (drill_id, role) DO UPDATE SET name = excluded.name, "
            "joined = excluded.joined",
            (record.id, role, name, now_iso()),
        )
    return record.id


@dataclass(frozen=True)
class RoomSecret:
    """A hosted drill's room part (where its gateway listens) and the host's key."""

    room: str
    host_key: bytes


@dataclass(frozen=True)
class StoredSeat:
    """A seat's key, derived from its token (the token itself is never stored)."""

    sid: str
    role: str
    key: bytes


@storage("cannot read the seat tokens of drill {drill_id}")
def room_secret(store: Store, drill_id: str) -> RoomSecret | None:
    """The drill's room secret (None: it was never hosted)."""
    row = store.sql.execute(
        "SELECT room, host_key FROM room_secrets WHERE drill_id = ?", [drill_id]
    ).fetchone()
    return RoomSecret(row[0], bytes.fromhex(row[1])) if row else None


@storage("cannot store the seat tokens of drill {drill_id}", writes=True)
def create_room(
    store: Store, drill_id: str, secret: RoomSecret, seats: list[StoredSeat]
) -> RoomSecret:
    """Record the room secret and one seat key per role, once: a second host of the same
    drill (a race) gets the first one's secret back, and its own seats are not stored."""
    with store.sql.transaction():
        added = store.sql.execute(
            "INSERT INTO room_secrets (drill_id, room, host_key, created) VALUES (?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING drill_id",
            (drill_id, secret.room, secret.host_key.hex(), now_iso()),
        ).fetchone()
        if added is not None:
            store.sql.executemany(
                "INSERT INTO seat_tokens (drill_id, sid, role, key, issued) VALUES (?, ?, ?, ?, ?)",
                [(drill_id, s.sid, s.role, s.key.hex(), now_iso()) for s in seats],
            )
    stored = room_secret(store, drill_id)
    assert stored is not None
    return stored


@storage("cannot read the seat tokens of drill {drill_id}")
def seat_keys(store: Store, drill_id: str) -> list[StoredSeat]:
    """The keys of the seats' current tokens (revoked ones are left out)."""
    rows = store.sql.execute(
        "SELECT sid, role, key FROM seat_tokens WHERE drill_id = ? AND revoked IS NULL "
        "ORDER BY issued, role",
        [drill_id],
    ).fetchall()
    return [StoredSeat(sid, role, bytes.fromhex(key)) for sid, role, key in rows]


@storage("cannot read the seat tokens of drill {drill_id}")
def revoked_seats(store: Store, drill_id: str) -> set[str]:
    """The ids of the seat keys the trainer revoked (freed seats)."""
    rows = store.sql.execute(
        "SELECT sid FROM seat_tokens WHERE drill_id = ? AND revoked IS NOT NULL", [drill_id]
    ).fetchall()
    return {sid for (sid,) in rows}


@storage("cannot issue a seat token for drill {drill_id}", writes=True)
def reissue_seat(store: Store, drill_id: str, seat: StoredSeat) -> None:
    """Revoke every token of ``seat.role`` and record ``seat`` as its new one; the seat
    is free again (nobody is registered in it)."""
    with store.sql.transaction():
        store.sql.execute(
            "UPDATE seat_tokens SET revoked = ? WHERE drill_id = ? AND role = ? "
            "AND revoked IS NULL",
            (now_iso(), drill_id, seat.role),
        )
        store.sql.execute(
            "INSERT INTO seat_tokens (drill_id, sid, role, key, issued) VALUES (?, ?, ?, ?, ?)",
            (drill_id, seat.sid, seat.role, seat.key.hex(), now_iso()),
        )
        store.sql.execute(
            "DELETE FROM participants WHERE drill_id = ? AND role = ?", (drill_id, seat.role)
        )


@storage("cannot read who joined drill {drill_id}")
def participants(store: Store, drill_id: str) -> dict[str, str]:
    rows = store.sql.execute(
        "SELECT role, name FROM participants WHERE drill_id = ?", [drill_id]
    ).fetchall()
    return {role: name for role, name in rows}


@storage("cannot read the clock of drill {drill_id}")
def hosted_started(store: Store, drill_id: str) -> bool:
    row = store.sql.execute("SELECT t, paused FROM clock WHERE drill_id = ?", [drill_id]).fetchone()
    return bool(row) and (row[0] > 0 or not row[1])


@storage("cannot store a decision for drill {drill_id}", writes=True)
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
    with store.sql.transaction():
        added = store.sql.execute(
            "INSERT INTO submissions (drill_id, role, name, data, submitted, status, key) "
            "VALUES (?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT DO NOTHING RETURNING id",
            (drill_id, role, name, canonical_json(data), now_iso(), key),
        ).fetchone()
        if added is None:  # this key was stored before
            added = store.sql.execute(
                "SELECT id FROM submissions WHERE drill_id = ? AND key = ?", (drill_id, key)
            ).fetchone()
        else:  # wakes the host (PostgreSQL) when this commits; SQLite's host polls
            store.sql.notify(submitted_channel(drill_id), drill_id)
    return int(added[0])


@storage("cannot read the decisions sent to drill {drill_id}", decodes=True)
def pending(store: Store, drill_id: str) -> list[tuple[int, Decision]]:
    """Submissions not yet applied, oldest first, as decisions tied to their participant."""
    rows = store.sql.execute(
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


@storage("cannot mark a decision applied", writes=True)
def mark_applied(store: Store, submission: int, events: list[Event]) -> None:
    answer = next(
        (e for e in events if e.kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED)), None
    )
    result: dict[str, Any] = {"seq": answer.seq if answer else None}
    if answer is not None:
        result["accepted"] = answer.kind == Kind.DECISION_ACCEPTED
        result["reason"] = answer.data.get("reason")
    with store.sql.transaction():
        store.sql.execute(
            "UPDATE submissions SET status = 'applied', applied = ?, result = ? WHERE id = ?",
            (now_iso(), canonical_json(result), submission),
        )


@storage("cannot hear of decisions to drill {drill_id}")
def notified(store: Store, drill_id: str) -> bool:
    """Whether a decision was queued since the last ask (SQLite: always, it cannot say)."""
    return store.sql.notified(submitted_channel(drill_id), drill_id)


@storage("cannot wait for decisions to drill {drill_id}")
def wait_submitted(store: Store, drill_id: str, timeout: float) -> bool | None:
    """Block up to ``timeout`` seconds until a decision is queued (PostgreSQL: LISTEN);
    None at once where the database cannot notify (SQLite)."""
    return store.sql.wait_notified(submitted_channel(drill_id), drill_id, timeout)


@storage("cannot publish the clock of drill {drill_id}", writes=True)
def publish_clock(
    store: Store, drill_id: str, t: int, speed: float, paused: bool, ended: bool
) -> None:
    with store.sql.transaction():
        store.sql.execute(
            "INSERT INTO clock (drill_id, t, speed, paused, wall, ended) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (drill_id) DO UPDATE SET t = excluded.t, "
            "speed = excluded.speed, paused = excluded.paused, wall = excluded.wall, "
            "ended = excluded.ended",
            (drill_id, t, speed, int(paused), time.time(), int(ended)),
        )


@storage("cannot read the clock of drill {drill_id}")
def read_clock(store: Store, drill_id: str) -> ClockState:
    row = store.sql.execute(
        "SELECT t, speed, paused, wall, ended FROM clock WHERE drill_id = ?", [drill_id]
    ).fetchone()
    if row is None:
        return ClockState(0, 1.0, True, time.time(), False)
    return ClockState(int(row[0]), float(row[1]), bool(row[2]), float(row[3]), bool(row[4]))
