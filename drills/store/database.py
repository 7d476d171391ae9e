"""The drill store: an append-only journal in SQLite (sqlite-utils, WAL).

The journal is the source of truth. Inputs (decisions, trainer commands) are committed
before the engine applies them; events are appended in batches. Scores, reports and a
resumed drill are all rebuilt from these rows. Schema changes go through migrations, so
an old database still opens.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from engine.bundle import Bundle, bundle_from_texts
from engine.events import Event, Input, canonical_json, input_from_dict, input_to_dict
from scoring.score import DrillScore

migrations = Migrations("drillhall")


@migrations()
def m001_journal(db: Database) -> None:
    db.table("drills").create(
        {
            "id": str,
            "scenario_id": str,
            "scenario_version": str,
            "plan_id": str,
            "plan_version": str,
            "seed": int,
            "mode": str,
            "bots": str,
            "speed": float,
            "status": str,
            "created": str,
            "ended": str,
            "last_t": int,
            "scenario_path": str,
            "scenario_text": str,
            "plan_text": str,
        },
        pk="id",
    )
    db.table("inputs").create(
        {"drill_id": str, "seq": int, "t": int, "wall": str, "data": str},
        pk=("drill_id", "seq"),
        foreign_keys=[("drill_id", "drills", "id")],
    )
    db.table("events").create(
        {"drill_id": str, "seq": int, "t": int, "wall": str, "kind": str, "data": str},
        pk=("drill_id", "seq"),
        foreign_keys=[("drill_id", "drills", "id")],
    )
    db.table("scores").create(
        {
            "drill_id": str,
            "profile": str,
            "score": float,
            "rating": str,
            "computed": str,
            "detail": str,
        },
        pk=("drill_id", "profile"),
        foreign_keys=[("drill_id", "drills", "id")],
    )
    db.table("drills").create_index(["scenario_id", "created"])
    db.table("drills").create_index(["status"])


@migrations(transactional=False)
def m002_wal(db: Database) -> None:
    db.enable_wal()


@migrations()
def m003_review(db: Database) -> None:
    """Per-expectation results and role scores (for history and trends), the roster,
    hot-wash notes and self-assessments, improvement-plan edits and sign-offs."""
    db.table("drills").add_column("roster", str)
    db.table("results").create(
        {
            "drill_id": str,
            "profile": str,
            "expectation": str,
            "rule": str,
            "role": str,
            "capability": str,
            "criticality": str,
            "status": str,
            "latency": int,
            "deadline": int,
            "credit": float,
            "created": str,
        },
        pk=("drill_id", "profile", "expectation"),
    )
    db.table("results").create_index(["rule", "profile", "created"])
    db.table("results").create_index(["role", "profile", "created"])
    db.table("role_scores").create(
        {
            "drill_id": str,
            "profile": str,
            "role": str,
            "participant": str,
            "score": float,
            "rating": str,
            "on_time": float,
            "created": str,
        },
        pk=("drill_id", "profile", "role"),
    )
    db.table("role_scores").create_index(["participant", "profile", "created"])
    db.table("role_scores").create_index(["role", "profile", "created"])
    db.table("scores").add_column("created", str)
    db.table("scores").create_index(["profile", "created"])
    db.table("scores").create_index(["profile", "rating", "created"])
    db.table("drills").create_index(["plan_id", "created"])
    db.table("drills").create_index(["created"])
    db.table("notes").create(
        {
            "id": int,
            "drill_id": str,
            "kind": str,
            "author": str,
            "role": str,
            "text": str,
            "at": str,
        },
        pk="id",
    )
    db.table("notes").create_index(["drill_id"])
    db.table("signoffs").create(
        {"drill_id": str, "name": str, "comment": str, "at": str}, pk="drill_id"
    )
    db.table("improvement_edits").create(
        {"drill_id": str, "finding": str, "fields": str, "at": str}, pk=("drill_id", "finding")
    )


@migrations()
def m004_sources(db: Database) -> None:
    """Scenario and plan texts stored once each, by hash, instead of once per drill."""
    db.table("sources").create({"sha": str, "text": str}, pk="sha")
    db.table("drills").add_column("scenario_sha", str)
    db.table("drills").add_column("plan_sha", str)
    for row in list(db.query("SELECT id, scenario_text, plan_text FROM drills")):
        shas = [_put_source(db, row["scenario_text"]), _put_source(db, row["plan_text"])]
        db.execute(
            "UPDATE drills SET scenario_sha = ?, plan_sha = ? WHERE id = ?", [*shas, row["id"]]
        )
    db.table("drills").transform(drop={"scenario_text", "plan_text"})


@migrations()
def m005_trend_indexes(db: Database) -> None:
    """Covering indexes: trend queries aggregate from the index without touching rows."""
    db.table("results").create_index(
        ["profile", "rule", "created", "credit", "status", "latency", "deadline"],
        index_name="idx_results_trend",
    )
    for column in ("role", "participant"):
        db.table("role_scores").create_index(
            ["profile", column, "created", "score", "on_time"],
            index_name=f"idx_role_scores_trend_{column}",
        )


@migrations()
def m006_rooms(db: Database) -> None:
    """Hosted drills: who joined which role, decisions waiting for the host, the host's
    clock (so trainees in other processes show the same time)."""
    db.table("participants").create(
        {"drill_id": str, "role": str, "name": str, "joined": str}, pk=("drill_id", "role")
    )
    db.table("submissions").create(
        {
            "id": int,
            "drill_id": str,
            "role": str,
            "name": str,
            "data": str,
            "submitted": str,
            "status": str,
            "applied": str,
            "result": str,
        },
        pk="id",
    )
    db.table("submissions").create_index(["drill_id", "status", "id"])
    db.table("clock").create(
        {"drill_id": str, "t": int, "speed": float, "paused": int, "wall": float, "ended": int},
        pk="drill_id",
    )


@migrations()
def m007_submission_keys(db: Database) -> None:
    """A trainee's console names each decision it sends (a random key), so a decision
    resent after a lost answer or a host restart is stored once."""
    db.table("submissions").add_column("key", str)
    db.table("submissions").create_index(["drill_id", "key"], unique=True)


def _put_source(db: Database, text: str) -> str:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    db.execute("INSERT OR IGNORE INTO sources (sha, text) VALUES (?, ?)", [sha, text])
    return sha


def new_drill_id() -> str:
    """A short random code: easy to read out in a training room, hard to guess."""
    return secrets.token_hex(4)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@lru_cache(maxsize=16)
def _bundle(scenario_text: str, plan_text: str, name: str) -> Bundle:
    """Compiled once per scenario version: regrading thousands of drills reuses it."""
    return bundle_from_texts(scenario_text, plan_text, name)


class StoreError(Exception):
    """The database cannot be opened or does not hold what was asked for."""


@dataclass(frozen=True)
class DrillRecord:
    id: str
    scenario_id: str
    plan_id: str
    seed: int
    mode: str
    bots: dict[str, str]
    speed: float
    status: str
    created: str
    ended: str | None
    last_t: int
    scenario_path: str
    scenario_text: str
    plan_text: str

    def bundle(self) -> Bundle:
        """The drill's plan and scenario as they were when it was played."""
        return _bundle(self.scenario_text, self.plan_text, self.scenario_path or "<scenario>")

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> DrillRecord:
        return cls(
            id=row["id"],
            scenario_id=row["scenario_id"],
            plan_id=row["plan_id"],
            seed=int(row["seed"]),
            mode=row["mode"],
            bots=json.loads(row["bots"] or "{}"),
            speed=float(row["speed"] or 0),
            status=row["status"],
            created=row["created"],
            ended=row["ended"],
            last_t=int(row["last_t"] or 0),
            scenario_path=row["scenario_path"] or "",
            scenario_text=row["scenario_text"],
            plan_text=row["plan_text"],
        )


class Store:
    """One SQLite file holding every drill's journal and scores."""

    DRILL_SQL = (
        "SELECT d.*, sc.text AS scenario_text, pl.text AS plan_text FROM drills d "
        "JOIN sources sc ON sc.sha = d.scenario_sha JOIN sources pl ON pl.sha = d.plan_sha "
    )

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            if not self.path.exists():
                # private to its owner: trainees who log in as themselves reach a hosted
                # drill only through its gateway, never the journal and its answer key
                self.path.touch(mode=0o600)
            self.db = Database(self.path)
            self.db.execute("PRAGMA busy_timeout = 5000")
            migrations.apply(self.db)
            self._synchronous = ""
            self._sync("FULL")
        except (sqlite3.DatabaseError, OSError) as exc:
            raise StoreError(f"cannot open the drill database {self.path}: {exc}") from None

    def close(self) -> None:
        self.db.close()

    def _sync(self, level: str) -> None:
        """FULL for inputs (the truth: they survive power loss, not only a killed process);
        NORMAL for events, which a replay of the inputs regenerates if the last batch is
        lost. WAL keeps the database consistent either way."""
        if self._synchronous != level:
            self.db.execute(f"PRAGMA synchronous = {level}")
            self._synchronous = level

    # -- drills ----------------------------------------------------------------------

    def create_drill(
        self,
        *,
        scenario_id: str,
        scenario_version: str,
        plan_id: str,
        plan_version: str,
        seed: int,
        mode: str,
        bots: dict[str, str],
        speed: float,
        scenario_path: str,
        scenario_text: str,
        plan_text: str,
    ) -> str:
        drill_id = new_drill_id()
        while self.db.table("drills").count_where("id = ?", [drill_id]):
            drill_id = new_drill_id()
        self.db.table("drills").insert(
            {
                "id": drill_id,
                "scenario_id": scenario_id,
                "scenario_version": scenario_version,
                "plan_id": plan_id,
                "plan_version": plan_version,
                "seed": seed,
                "mode": mode,
                "bots": canonical_json(bots),
                "speed": speed,
                "status": "running",
                "created": now_iso(),
                "ended": None,
                "last_t": 0,
                "scenario_path": scenario_path,
                "scenario_sha": _put_source(self.db, scenario_text),
                "plan_sha": _put_source(self.db, plan_text),
            }
        )
        return drill_id

    def drill(self, drill_id: str) -> DrillRecord:
        rows = list(self.db.query(self.DRILL_SQL + "WHERE d.id = ?", [drill_id]))
        if not rows:
            rows = list(
                self.db.query(self.DRILL_SQL + "WHERE d.id LIKE ? LIMIT 2", [drill_id + "%"])
            )
            if len(rows) > 1:
                raise StoreError(f"drill id {drill_id!r} is ambiguous; give more characters")
        if not rows:
            raise StoreError(f"no drill {drill_id!r} in {self.path}")
        return DrillRecord.from_row(rows[0])

    def drills(self, limit: int = 50) -> list[dict[str, Any]]:
        sql = (
            "SELECT d.id, d.scenario_id, d.seed, d.mode, d.bots, d.status, d.created, "
            "s.score, s.rating FROM drills d LEFT JOIN scores s ON s.drill_id = d.id "
            "ORDER BY d.created DESC LIMIT ?"
        )
        return [dict(row) for row in self.db.query(sql, [limit])]

    def finish(self, drill_id: str, last_t: int) -> None:
        self.db.table("drills").update(
            drill_id, {"status": "ended", "ended": now_iso(), "last_t": last_t}
        )

    def touch(self, drill_id: str, last_t: int) -> None:
        self.db.table("drills").update(drill_id, {"last_t": last_t})

    # -- journal ---------------------------------------------------------------------

    def append_input(self, drill_id: str, seq: int, t: int, item: Input) -> None:
        self._sync("FULL")
        with self.db.conn:
            self.db.conn.execute(
                "INSERT INTO inputs (drill_id, seq, t, wall, data) VALUES (?, ?, ?, ?, ?)",
                (drill_id, seq, t, now_iso(), canonical_json(input_to_dict(item))),
            )

    def append_inputs(self, drill_id: str, rows: list[tuple[int, int, Input]]) -> None:
        self._sync("FULL")
        wall = now_iso()
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT INTO inputs (drill_id, seq, t, wall, data) VALUES (?, ?, ?, ?, ?)",
                [(drill_id, s, t, wall, canonical_json(input_to_dict(i))) for s, t, i in rows],
            )

    def append_events(self, drill_id: str, events: list[Event], last_t: int) -> None:
        self._sync("NORMAL")
        wall = now_iso()
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT INTO events (drill_id, seq, t, wall, kind, data) VALUES (?, ?, ?, ?, ?, ?)",
                [(drill_id, e.seq, e.t, wall, e.kind, canonical_json(e.data)) for e in events],
            )
            self.db.conn.execute("UPDATE drills SET last_t = ? WHERE id = ?", (last_t, drill_id))

    def inputs(self, drill_id: str) -> list[tuple[int, Input]]:
        rows = self.db.execute(
            "SELECT t, data FROM inputs WHERE drill_id = ? ORDER BY seq", [drill_id]
        ).fetchall()
        return [(int(t), input_from_dict(json.loads(data))) for t, data in rows]

    def iter_events(self, drill_id: str) -> Iterator[Event]:
        cursor = self.db.execute(
            "SELECT seq, t, kind, data FROM events WHERE drill_id = ? ORDER BY seq", [drill_id]
        )
        for seq, t, kind, data in cursor:
            yield Event(int(seq), int(t), kind, json.loads(data))

    def events_after(self, drill_id: str, seq: int) -> list[Event]:
        """Events with a sequence number above ``seq`` (what a follower has not seen)."""
        rows = self.db.execute(
            "SELECT seq, t, kind, data FROM events WHERE drill_id = ? AND seq > ? ORDER BY seq",
            [drill_id, seq],
        ).fetchall()
        return [Event(int(q), int(t), kind, json.loads(data)) for q, t, kind, data in rows]

    def events(self, drill_id: str) -> list[Event]:
        return list(self.iter_events(drill_id))

    # -- scores ----------------------------------------------------------------------

    def saved_score(self, drill_id: str, profile: str) -> tuple[float, str] | None:
        """The score and rating saved for ``drill_id`` under ``profile`` (None: none yet)."""
        row = self.db.execute(
            "SELECT score, rating FROM scores WHERE drill_id = ? AND profile = ?",
            [drill_id, profile],
        ).fetchone()
        return (float(row[0]), str(row[1])) if row else None

    def save_score(self, drill_id: str, score: DrillScore) -> None:
        """Store a score with its per-expectation and per-role rows (replacing the same
        profile's earlier ones; other profiles' results stay)."""
        created = self.drill(drill_id).created
        roster = self.roster(drill_id)
        key = (drill_id, score.profile)
        with self.db.conn:
            for table in ("results", "role_scores"):
                self.db.conn.execute(f"DELETE FROM {table} WHERE drill_id = ? AND profile = ?", key)
            self.db.conn.execute(
                "INSERT OR REPLACE INTO scores (drill_id, profile, score, rating, computed, "
                "detail, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    *key,
                    score.score,
                    score.rating,
                    now_iso(),
                    canonical_json(score.to_dict()),
                    created,
                ),
            )
            self.db.conn.executemany(
                "INSERT INTO results (drill_id, profile, expectation, rule, role, capability, "
                "criticality, status, latency, deadline, credit, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        *key,
                        r.id,
                        r.rule or r.id,
                        r.role,
                        r.capability,
                        r.criticality,
                        r.status,
                        r.latency,
                        r.deadline,
                        r.credit,
                        created,
                    )
                    for r in score.expectations
                    if r.scored
                ],
            )
            self.db.conn.executemany(
                "INSERT INTO role_scores (drill_id, profile, role, participant, score, rating, "
                "on_time, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        *key,
                        role,
                        roster.get(role, ""),
                        data["score"],
                        data["rating"],
                        data.get("on_time"),
                        created,
                    )
                    for role, data in score.roles.items()
                ],
            )

    def roster(self, drill_id: str) -> dict[str, str]:
        """Who played each role: a person's name, or ``bot:<policy>``."""
        row = self.db.execute("SELECT roster, bots FROM drills WHERE id = ?", [drill_id]).fetchone()
        if row is None:
            return {}
        roster: dict[str, str] = json.loads(row[0]) if row[0] else {}
        for role, kind in json.loads(row[1] or "{}").items():
            roster.setdefault(role, f"bot:{kind}")
        return roster

    def set_bots(self, drill_id: str, bots: dict[str, str]) -> None:
        """Which bot plays which role (a hosted drill fills the roles nobody took)."""
        self.db.table("drills").update(drill_id, {"bots": canonical_json(bots)})

    def set_roster(self, drill_id: str, roster: dict[str, str]) -> None:
        self.db.table("drills").update(drill_id, {"roster": canonical_json(roster)})
