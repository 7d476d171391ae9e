"""The drill store: an append-only journal in SQLite (sqlite-utils, WAL).

The journal is the source of truth. Inputs (decisions, trainer commands) are committed
before the engine applies them; events are appended in batches. Scores, reports and a
resumed drill are all rebuilt from these rows. Schema changes go through migrations, so
an old database still opens.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import inspect
import json
import logging
import os
import secrets
import socket
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from sqlite_utils import Database
from sqlite_utils.db import NotFoundError
from sqlite_utils.migrations import Migrations

from drills.port.text import site_problem
from drills.store.kinds import PURPOSES, Standing
from drills.store.locks import FileLock, LockHeld, is_locked
from drills.store.postgres import PostgresConnection, is_url, redacted
from drills.store.sql import Connection, SqliteConnection
from engine.bundle import Bundle, bundle_from_texts
from engine.events import Event, Input, canonical_json, input_from_dict, input_to_dict
from scoring.score import DrillScore

migrations = Migrations("drillhall")

# The drills loggers write to a file when a command gives them one (host, trainer and
# resume: --log-file), never over a console or an answer: without one, nothing is shown
# (the failure itself is the answer). A NullHandler keeps logging's last resort quiet.
if not logging.getLogger("drills").handlers:
    logging.getLogger("drills").addHandler(logging.NullHandler())


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


@migrations()
def m008_records(db: Database) -> None:
    """Records that hold up in an audit.

    A drill's purpose (practice, exam, official, test) and its voiding (who, when, why:
    a void drill stays in the record, it is only left out of ratings and trends).
    Signatures are append-only, several per drill, each with its signer's capacity (the
    one-row ``signoffs`` table is copied into it and dropped). Notes and improvement edits
    made after the first signature are amendments: ``notes.amendment`` marks them, and
    every improvement edit is kept in ``improvement_log`` (``improvement_edits`` keeps
    only the current fields)."""
    drills = db.table("drills")
    drills.add_column("purpose", str)
    drills.add_column("void_reason", str)
    drills.add_column("voided", str)
    drills.add_column("voided_by", str)
    db.execute("UPDATE drills SET purpose = 'practice' WHERE purpose IS NULL")
    db.table("signatures").create(
        {
            "id": int,
            "drill_id": str,
            "name": str,
            "capacity": str,
            "comment": str,
            "at": str,
        },
        pk="id",
    )
    db.table("signatures").create_index(["drill_id", "id"])
    db.execute(
        "INSERT INTO signatures (drill_id, name, capacity, comment, at) "
        "SELECT drill_id, name, '', comment, at FROM signoffs ORDER BY at"
    )
    db.table("signoffs").drop()
    db.table("notes").add_column("amendment", int)
    db.execute("UPDATE notes SET amendment = 0")
    db.table("improvement_log").create(
        {
            "id": int,
            "drill_id": str,
            "finding": str,
            "fields": str,
            "amendment": int,
            "at": str,
        },
        pk="id",
    )
    db.table("improvement_log").create_index(["drill_id", "id"])


@migrations()
def m009_counted_results(db: Database) -> None:
    """Trends count people in drills played for real: each result row says whether a
    person played its role (not a bot, not an empty seat) and the drill's purpose, so
    trend queries filter from their covering index without joining drills."""
    for table in ("results", "role_scores"):
        db.table(table).add_column("person", int)
        db.table(table).add_column("purpose", str)
    db.execute(
        "UPDATE role_scores SET person = (participant != '' AND participant NOT LIKE 'bot:%')"
    )
    db.execute(
        "UPDATE results SET person = COALESCE((SELECT r.person FROM role_scores r WHERE "
        "r.drill_id = results.drill_id AND r.profile = results.profile AND "
        "r.role = results.role), 0)"
    )
    for table in ("results", "role_scores"):
        db.execute(
            f"UPDATE {table} SET purpose = COALESCE((SELECT d.purpose FROM drills d "
            f"WHERE d.id = {table}.drill_id), 'practice')"
        )
    db.execute("DROP INDEX IF EXISTS idx_results_trend")
    db.table("results").create_index(
        ["profile", "rule", "created", "credit", "status", "latency", "deadline", "person",
         "purpose"],
        index_name="idx_results_trend",
    )  # fmt: skip
    for column in ("role", "participant"):
        db.execute(f"DROP INDEX IF EXISTS idx_role_scores_trend_{column}")
        db.table("role_scores").create_index(
            ["profile", column, "created", "score", "on_time", "person", "purpose"],
            index_name=f"idx_role_scores_trend_{column}",
        )


@migrations()
def m010_seat_tokens(db: Database) -> None:
    """Hosted drills are joined with seat tokens. ``room_secrets``: per hosted drill, the
    room part every token of the drill starts with (where the gateway listens) and the
    host's own key (the trainer's ``resume`` challenges whoever holds the address).
    ``seat_tokens``: per seat, the key derived from its token and its public id, never
    the token; a freed seat's key is revoked and a new one issued."""
    db.table("room_secrets").create(
        {"drill_id": str, "room": str, "host_key": str, "created": str}, pk="drill_id"
    )
    db.table("seat_tokens").create(
        {"drill_id": str, "sid": str, "role": str, "key": str, "issued": str, "revoked": str},
        pk=("drill_id", "sid"),
    )
    db.table("seat_tokens").create_index(["drill_id", "role"])


@migrations()
def m011_site(db: Database) -> None:
    """Every drill keeps the site it was played at (a name set once per machine), so a
    central record filters and groups by site; result rows carry it for trend indexes."""
    db.table("drills").add_column("site", str)
    db.table("drills").create_index(["site", "created"])
    for table in ("results", "role_scores"):
        db.table(table).add_column("site", str)
    db.table("role_scores").create_index(
        ["profile", "site", "created", "score", "on_time", "person", "purpose"],
        index_name="idx_role_scores_trend_site",
    )


@migrations()
def m012_site_trend_index(db: Database) -> None:
    """Trends by site count drills (``COUNT(DISTINCT drill_id)``, a site has a row per
    role): the site trend index carries the drill id too, so the query reads the index
    alone instead of every role row (benchmarks/bench_history.py)."""
    db.execute("DROP INDEX IF EXISTS idx_role_scores_trend_site")
    db.table("role_scores").create_index(
        ["profile", "site", "created", "score", "on_time", "person", "purpose", "drill_id"],
        index_name="idx_role_scores_trend_site",
    )


# Every table with a drill_id column (m001..m011), for removing an unstarted drill.
DRILL_TABLES = (
    "inputs", "events", "scores", "results", "role_scores", "notes", "signatures",
    "improvement_edits", "improvement_log", "participants", "submissions", "clock",
    "room_secrets", "seat_tokens",
)  # fmt: skip


def _put_source(db: Database | Connection, text: str) -> str:
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    db.execute("INSERT INTO sources (sha, text) VALUES (?, ?) ON CONFLICT DO NOTHING", [sha, text])
    return sha


def this_site() -> str:
    """This machine's site name: ``$DRILLHALL_SITE``, else the host name (set it once
    per machine; a central record groups drills by it)."""
    return os.environ.get("DRILLHALL_SITE") or socket.gethostname() or "local"


def drill_status(stored: str, voided: str | None, playing: Callable[[], bool]) -> str:
    """The status a person is shown (``drills.store.kinds.STATUSES``) from the stored one;
    ``playing`` asks whether a live process holds the drill (only asked when it matters)."""
    if voided:
        return "void"
    if stored != "running":
        return stored
    return "running" if playing() else "interrupted"


def is_person(participant: str) -> bool:
    """A roster entry a person played (not ``bot:<policy>``, not an empty seat)."""
    return bool(participant) and not participant.startswith("bot:")


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
    """The database cannot be opened, read or written, or does not hold what was asked
    for. The message is one line: what failed, then the file in parentheses."""


class NoDatabase(StoreError):
    """A command that only reads was pointed at a database that does not exist."""


class NoSuchDrill(StoreError):
    """The database holds no drill with that id (or the prefix names more than one)."""


class RecordRefused(StoreError):
    """The record refuses the change in its current state (voiding a void drill, signing
    one that has not ended or is void, the same person signing twice in one capacity, a
    role the plan does not have): the request is at fault, not the database, so the
    command line answers it as invalid input (exit 1); ``about`` names the input."""

    def __init__(self, message: str, about: str = "DRILL") -> None:
        super().__init__(message)
        self.about = about


class DrillBusy(StoreError):
    """Another live process plays this drill: a second writer is refused."""


# What the disk, the file system and SQLite raise: locked after the busy timeout, disk
# full, read-only file, corrupt pages, permission denied, a file deleted under us.
STORAGE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, NotFoundError)
try:  # PostgreSQL is optional: psycopg is there when a server is used
    import psycopg

    STORAGE_ERRORS += (psycopg.Error,)
except ImportError:  # pragma: no cover - without psycopg, only SQLite opens
    pass
BUSY_TIMEOUT = 5.0  # seconds a writer waits for another writer's lock

P = ParamSpec("P")
R = TypeVar("R")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    if isinstance(exc, NotFoundError):
        return "the row is gone"
    text = " ".join(str(exc).split()) or type(exc).__name__
    # "Could not decode to UTF-8 column 'data' with text '<garbage>'": not the garbage
    text = text.split(" with text '", 1)[0]
    return text if len(text) <= 160 else text[:159] + "…"


def storage_failure(what: str, path: Path | str, exc: BaseException) -> StoreError:
    """``what failed: why (path)``; an OSError names its own file when it has one."""
    where = exc.filename if isinstance(exc, OSError) and exc.filename else path
    return StoreError(f"{what}: {_reason(exc)} ({where})")


def storage(
    what: str, *, writes: bool = False, decodes: bool = False
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Turn what the disk and SQLite raise into a ``StoreError`` saying ``what`` failed.

    ``what`` may name the call's arguments (``"cannot save the score of drill {drill_id}"``).
    The first argument is the ``Store`` (``self``, or ``store`` in the store's modules).
    ``writes``: check first and last that the database and its write-ahead log are still
    the files this connection opened (a deleted ``-wal`` loses every write since the last
    checkpoint, silently). ``decodes``: rows that SQLite reads but that do not decode (a
    damaged page holding garbage) are a ``StoreError`` too, not a traceback."""
    content = (ValueError, KeyError, TypeError) if decodes else ()

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(func)

        def failure(args: Any, kwargs: Any, exc: BaseException) -> StoreError:
            store = args[0]
            assert isinstance(store, Store)
            what_failed = _fill(what, signature.bind(*args, **kwargs).arguments)
            if isinstance(exc, STORAGE_ERRORS):
                return storage_failure(what_failed, store.where, exc)
            return StoreError(
                f"{what_failed}: damaged data ({type(exc).__name__}: {exc}) ({store.where})"
            )

        @functools.wraps(func)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                if writes:
                    _store(args).check_files()
                result = func(*args, **kwargs)
                if writes:
                    _store(args).check_files()
                return result
            except StoreError:
                raise
            except (*STORAGE_ERRORS, *content) as exc:
                raise failure(args, kwargs, exc) from exc

        return guarded

    return decorate


def _store(args: tuple[Any, ...]) -> Store:
    store = args[0]
    assert isinstance(store, Store)
    return store


def _fill(what: str, arguments: dict[str, Any]) -> str:
    try:
        return what.format(**arguments)
    except (KeyError, IndexError, ValueError):
        return what


def escape_like(text: str) -> str:
    """``text`` matched literally by ``LIKE ... ESCAPE '\\'`` (ids may hold ``%`` or ``_``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


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
    purpose: str = "practice"
    void_reason: str | None = None
    voided: str | None = None
    voided_by: str | None = None
    site: str | None = None
    _roster: str | None = field(default=None, repr=False)

    @property
    def void(self) -> bool:
        return self.voided is not None

    @property
    def bots_only(self) -> bool:
        """Every role was played by a bot (an authoring or calibration run)."""
        return not json.loads(self._roster or "{}")

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
            purpose=row.get("purpose") or "practice",
            void_reason=row.get("void_reason"),
            voided=row.get("voided"),
            voided_by=row.get("voided_by"),
            site=row.get("site"),
            _roster=row.get("roster"),
        )


class Store:
    """One SQLite file holding every drill's journal and scores."""

    DRILL_SQL = (
        "SELECT d.*, sc.text AS scenario_text, pl.text AS plan_text FROM drills d "
        "JOIN sources sc ON sc.sha = d.scenario_sha JOIN sources pl ON pl.sha = d.plan_sha "
    )

    def __init__(self, path: str | Path, *, create: bool = True) -> None:
        """Open (``create``: or make) the database and bring its schema up to date.

        Without ``create`` a missing file is ``NoDatabase``: a command that only reads
        must not leave an empty database at a mistyped path. A ``postgresql://`` URL opens
        the central record on a PostgreSQL server instead (``drills.store.postgres``)."""
        self.target = str(path)  # what another thread or process opens again
        self.site = this_site()  # recorded on the drills this connection creates
        self._drills: dict[str, FileLock | None] = {}  # drills this connection writes
        self.postgres: PostgresConnection | None = None
        self._file_id: tuple[int, int] | None = None
        self._wal_id: tuple[int, int] | None = None
        self._wal: Path | None = None
        self._synchronous = ""
        if is_url(path):
            self._open_postgres(str(path))
            return
        self.path = Path(path)
        self.where = str(self.path)
        try:
            if create:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                if not self.path.exists():
                    # private to its owner: trainees who log in as themselves reach a hosted
                    # drill only through its gateway, never the journal and its answer key
                    self.path.touch(mode=0o600)
            elif not self.path.is_file():
                raise NoDatabase(f"no database at {self.path}")
            self.db = Database(self._connect(create))
            self.sql: Connection = SqliteConnection(self.db.conn)
        except StoreError:
            raise
        except STORAGE_ERRORS as exc:
            raise storage_failure("cannot open the drill database", self.path, exc) from exc
        try:
            self.db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
            self._migrate()
            self._sync("FULL")
            self._remember_files()
        except BaseException as exc:
            self.db.close()
            if isinstance(exc, STORAGE_ERRORS):
                raise storage_failure("cannot open the drill database", self.path, exc) from exc
            raise

    def _open_postgres(self, url: str) -> None:
        from drills.store.paths import data_dir

        self.where = redacted(url)  # what messages show: never the password
        self.path = data_dir() / "central"  # local files (reports) of this machine
        try:
            self.postgres = PostgresConnection(url)
        except STORAGE_ERRORS as exc:
            raise StoreError(
                f"cannot open the drill database: {_reason(exc)} ({self.where})"
            ) from exc
        self.sql = self.postgres
        try:
            self.postgres.migrate()
        except BaseException as exc:
            self.postgres.close()
            if isinstance(exc, STORAGE_ERRORS):
                raise StoreError(
                    f"cannot open the drill database: {_reason(exc)} ({self.where})"
                ) from exc
            raise

    def _connect(self, create: bool) -> sqlite3.Connection:
        if create:
            return sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
        # mode=rw: never create the file, even if it disappears between check and open
        uri = self.path.resolve().as_uri() + "?mode=rw"
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)

    def _migrate(self) -> None:
        """Apply pending migrations, one process at a time: first uses of a new database
        by many processes at once must all succeed (without the lock 1 in 5 failed)."""
        if not migrations.pending(self.db):
            return
        lock = FileLock(self.path.with_name(self.path.name + ".migrating"))
        try:
            lock.acquire(wait=max(60.0, 4 * BUSY_TIMEOUT))
        except LockHeld as exc:
            raise StoreError(
                f"another process (pid {exc.holder or '?'}) has been upgrading the database "
                f"for a minute; try again ({self.path})"
            ) from None
        try:
            migrations.apply(self.db)  # applies only what is still pending
        finally:
            lock.release()

    def _remember_files(self) -> None:
        """The database and write-ahead log files this connection works on (see
        ``check_files``). The ``-wal`` exists while any connection is open."""
        st = os.stat(self.path)
        self._file_id = (st.st_dev, st.st_ino)
        mode = self.db.execute("PRAGMA journal_mode").fetchone()
        if mode and str(mode[0]).lower() == "wal":
            self._wal = self.path.with_name(self.path.name + "-wal")
            with contextlib.suppress(FileNotFoundError):
                ws = os.stat(self._wal)
                self._wal_id = (ws.st_dev, ws.st_ino)

    def check_files(self) -> None:
        """Stop before writing (and before reporting success) if the database file was
        deleted or replaced, or its ``-wal`` deleted, while this connection had them open:
        SQLite would go on writing into files nobody will ever read."""
        if self._file_id is None:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StoreError(f"the database file was deleted while in use ({self.path})") from None
        if (st.st_dev, st.st_ino) != self._file_id:
            raise StoreError(f"the database file was replaced while in use ({self.path})")
        if self._wal is None:
            return
        try:
            ws = os.stat(self._wal)
        except FileNotFoundError:
            raise StoreError(
                "the database's write-ahead log was deleted while in use: the latest "
                f"changes are lost ({self._wal})"
            ) from None
        if self._wal_id is None:
            self._wal_id = (ws.st_dev, ws.st_ino)
        elif (ws.st_dev, ws.st_ino) != self._wal_id:
            raise StoreError(
                "the database's write-ahead log was replaced while in use: the latest "
                f"changes are lost ({self._wal})"
            )

    def close(self) -> None:
        """Close the connection; the drills it wrote are let go (see ``hold_drill``)."""
        for drill_id in list(self._drills):
            self.release_drill(drill_id)
        try:
            self.sql.close()
        except STORAGE_ERRORS as exc:
            raise storage_failure("cannot close the drill database", self.where, exc) from exc

    def drill_lock_path(self, drill_id: str) -> Path:
        return self.path.with_name(f"{self.path.name}-{drill_id}.lock")

    def hold_drill(self, drill_id: str) -> None:
        """Make this connection the one writer of ``drill_id``'s journal until
        ``release_drill`` or ``close`` (a lock file next to the database, held by this
        process; the kernel drops it when the process dies, so a killed drill resumes).

        ``DrillBusy`` if another live process, or another connection, plays it."""
        if drill_id in self._drills:
            return
        if self.postgres is not None:
            if not self.postgres.try_hold(f"drillhall:drill:{drill_id}"):
                raise DrillBusy(
                    f"drill {drill_id} is being played by another connection to "
                    f"{self.where}; resume it when that process has ended (the server lets "
                    f"go of a lost connection within about 30 s)"
                )
            self._drills[drill_id] = None
            return
        lock = FileLock(self.drill_lock_path(drill_id))
        try:
            lock.acquire()
        except LockHeld as exc:
            raise DrillBusy(
                f"drill {drill_id} is being played by another process (pid "
                f"{exc.holder or '?'}); resume it when that process has ended ({self.where})"
            ) from None
        except OSError as exc:
            raise storage_failure(f"cannot lock drill {drill_id}", lock.path, exc) from exc
        self._drills[drill_id] = lock

    def release_drill(self, drill_id: str) -> None:
        if drill_id not in self._drills:
            return
        lock = self._drills.pop(drill_id)
        if lock is not None:
            lock.release()
        elif self.postgres is not None:
            self.postgres.release(f"drillhall:drill:{drill_id}")

    def playing(self, drill_id: str) -> bool:
        """Whether a live process (this one included) holds the drill as its writer."""
        if drill_id in self._drills:
            return True
        if self.postgres is not None:
            return self.postgres.held_by_anyone(f"drillhall:drill:{drill_id}")
        return is_locked(self.drill_lock_path(drill_id))

    def _sync(self, level: str) -> None:
        """FULL for inputs (the truth: they survive power loss, not only a killed process);
        NORMAL for events, which a replay of the inputs regenerates if the last batch is
        lost. WAL keeps the database consistent either way."""
        if self.postgres is None and self._synchronous != level:
            self.db.execute(f"PRAGMA synchronous = {level}")
            self._synchronous = level

    # -- drills ----------------------------------------------------------------------

    @storage("cannot create a drill", writes=True)
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
        purpose: str = "practice",
    ) -> str:
        if purpose not in PURPOSES:
            raise StoreError(f"unknown purpose {purpose!r} ({', '.join(PURPOSES)})")
        problem = site_problem(self.site)
        if problem:  # the site is shown in every central list and report: one short line
            raise StoreError(f"DRILLHALL_SITE cannot name this site: {problem}")
        row = {
            "scenario_id": scenario_id,
            "scenario_version": scenario_version,
            "plan_id": plan_id,
            "plan_version": plan_version,
            "seed": seed,
            "mode": mode,
            "bots": canonical_json(bots),
            "speed": speed,
            "status": "running",
            "purpose": purpose,
            "site": self.site,
            "created": now_iso(),
            "ended": None,
            "last_t": 0,
            "scenario_path": scenario_path,
        }
        with self.sql.transaction():
            row["scenario_sha"] = _put_source(self.sql, scenario_text)
            row["plan_sha"] = _put_source(self.sql, plan_text)
            while True:  # a fresh id (32 random bits: a clash is rare, never an overwrite)
                drill_id = new_drill_id()
                added = self.sql.execute(
                    f"INSERT INTO drills (id, {', '.join(row)}) "
                    f"VALUES (?{', ?' * len(row)}) ON CONFLICT DO NOTHING RETURNING id",
                    [drill_id, *row.values()],
                ).fetchone()
                if added is not None:
                    return drill_id

    @storage("cannot read drill {drill_id}", decodes=True)
    def drill(self, drill_id: str) -> DrillRecord:
        rows = self.sql.query(self.DRILL_SQL + "WHERE d.id = ?", [drill_id])
        if not rows and drill_id:
            rows = self.sql.query(
                self.DRILL_SQL + "WHERE d.id LIKE ? ESCAPE '\\' LIMIT 2",
                [escape_like(drill_id) + "%"],
            )
            if len(rows) > 1:
                raise NoSuchDrill(
                    f"drill id {drill_id!r} is ambiguous; give more characters ({self.where})"
                )
        if not rows:
            raise NoSuchDrill(f"no drill {drill_id!r} ({self.where})")
        return DrillRecord.from_row(rows[0])

    @storage("cannot list the drills")
    def drills(self, limit: int = 50) -> list[dict[str, Any]]:
        sql = (
            "SELECT d.id, d.scenario_id, d.seed, d.mode, d.bots, d.status, d.created, "
            "s.score, s.rating FROM drills d LEFT JOIN scores s ON s.drill_id = d.id "
            "ORDER BY d.created DESC LIMIT ?"
        )
        return self.sql.query(sql, [limit])

    @storage("cannot record the end of drill {drill_id}", writes=True)
    def finish(self, drill_id: str, last_t: int) -> None:
        with self.sql.transaction():
            self.sql.execute(
                "UPDATE drills SET status = 'ended', ended = ?, last_t = ? WHERE id = ?",
                [now_iso(), last_t, drill_id],
            )

    @storage("cannot read the journal of drill {drill_id}")
    def started(self, drill_id: str) -> bool:
        """Whether the drill ever ran: its clock moved, or someone decided something.
        A hosted drill ended before its trainer pressed Start did neither: it is not
        rated (a 0.0 U would say the trainees failed a drill nobody played)."""
        row = self.sql.execute(
            "SELECT last_t > 0 OR EXISTS (SELECT 1 FROM inputs WHERE drill_id = ? AND "
            f"{self.sql.json_text('data', 'type')} = 'decision') FROM drills WHERE id = ?",
            [drill_id, drill_id],
        ).fetchone()
        return bool(row and row[0])

    def status(self, record: DrillRecord) -> str:
        """One of ``STATUSES``: a ``running`` drill whose lock no live process holds is
        ``interrupted``."""
        return drill_status(record.status, record.voided, lambda: self.playing(record.id))

    def standing(self, record: DrillRecord) -> Standing:
        """Its status, whether it started, and so whether it is rated."""
        return Standing(self.status(record), self.started(record.id), record.void_reason)

    @storage("cannot void drill {drill_id}", writes=True)
    def void_drill(self, drill_id: str, reason: str, by: str) -> DrillRecord:
        """Void a drill: it stays in the record with who voided it, when and why, and
        leaves ratings and trends. Its scores are removed from the trend tables (the
        journal keeps everything needed to rescore it). A drill played right now by a
        live process is refused: end it first."""
        record = self.drill(drill_id)
        if record.void:
            raise RecordRefused(
                f"drill {record.id} was already voided on {record.voided} by "
                f"{record.voided_by}: {record.void_reason}"
            )
        if record.status == "running" and self.playing(record.id):
            raise DrillBusy(f"drill {record.id} is being played; end it before voiding it")
        with self.sql.transaction():
            self.sql.execute(
                "UPDATE drills SET voided = ?, void_reason = ?, voided_by = ? WHERE id = ?",
                (now_iso(), reason, by, record.id),
            )
            for table in ("results", "role_scores"):
                self.sql.execute(f"DELETE FROM {table} WHERE drill_id = ?", (record.id,))
        return self.drill(record.id)

    @storage("cannot write the journal of drill {drill_id}", writes=True)
    def touch(self, drill_id: str, last_t: int) -> None:
        with self.sql.transaction():
            self.sql.execute("UPDATE drills SET last_t = ? WHERE id = ?", [last_t, drill_id])

    @storage("cannot remove the unstarted drill {drill_id}", writes=True)
    def discard_drill(self, drill_id: str) -> bool:
        """Remove a drill whose start failed, with its rows, if no input of it was
        journaled yet (nothing anyone decided is lost). Returns whether it was removed."""
        with self.sql.transaction():
            if self.sql.execute(
                "SELECT 1 FROM inputs WHERE drill_id = ? LIMIT 1", (drill_id,)
            ).fetchone():
                return False
            for table in DRILL_TABLES:
                self.sql.execute(f"DELETE FROM {table} WHERE drill_id = ?", (drill_id,))
            self.sql.execute("DELETE FROM drills WHERE id = ?", (drill_id,))
        return True

    # -- journal ---------------------------------------------------------------------

    @storage("cannot write the journal of drill {drill_id}", writes=True)
    def append_input(self, drill_id: str, seq: int, t: int, item: Input) -> None:
        self._sync("FULL")
        with self.sql.transaction():
            self.sql.execute(
                "INSERT INTO inputs (drill_id, seq, t, wall, data) VALUES (?, ?, ?, ?, ?)",
                (drill_id, seq, t, now_iso(), canonical_json(input_to_dict(item))),
            )

    @storage("cannot write the journal of drill {drill_id}", writes=True)
    def append_inputs(self, drill_id: str, rows: list[tuple[int, int, Input]]) -> None:
        self._sync("FULL")
        wall = now_iso()
        with self.sql.transaction():
            self.sql.executemany(
                "INSERT INTO inputs (drill_id, seq, t, wall, data) VALUES (?, ?, ?, ?, ?)",
                [(drill_id, s, t, wall, canonical_json(input_to_dict(i))) for s, t, i in rows],
            )

    @storage("cannot write the journal of drill {drill_id}", writes=True)
    def append_events(self, drill_id: str, events: list[Event], last_t: int) -> None:
        self._sync("NORMAL")
        wall = now_iso()
        with self.sql.transaction():
            self.sql.executemany(
                "INSERT INTO events (drill_id, seq, t, wall, kind, data) VALUES (?, ?, ?, ?, ?, ?)",
                [(drill_id, e.seq, e.t, wall, e.kind, canonical_json(e.data)) for e in events],
            )
            self.sql.execute("UPDATE drills SET last_t = ? WHERE id = ?", (last_t, drill_id))

    @storage("cannot read the journal of drill {drill_id}", decodes=True)
    def inputs(self, drill_id: str) -> list[tuple[int, Input]]:
        rows = self.sql.execute(
            "SELECT t, data FROM inputs WHERE drill_id = ? ORDER BY seq", [drill_id]
        ).fetchall()
        return [(int(t), input_from_dict(json.loads(data))) for t, data in rows]

    def iter_events(self, drill_id: str) -> Iterator[Event]:
        what = f"cannot read the journal of drill {drill_id}"
        try:
            cursor = self.sql.execute(
                "SELECT seq, t, kind, data FROM events WHERE drill_id = ? ORDER BY seq",
                [drill_id],
            )
            for seq, t, kind, data in cursor:
                yield Event(int(seq), int(t), kind, json.loads(data))
        except STORAGE_ERRORS as exc:
            raise storage_failure(what, self.where, exc) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"{what}: damaged data ({exc}) ({self.where})") from exc

    @storage("cannot read the journal of drill {drill_id}", decodes=True)
    def events_after(self, drill_id: str, seq: int) -> list[Event]:
        """Events with a sequence number above ``seq`` (what a follower has not seen)."""
        rows = self.sql.execute(
            "SELECT seq, t, kind, data FROM events WHERE drill_id = ? AND seq > ? ORDER BY seq",
            [drill_id, seq],
        ).fetchall()
        return [Event(int(q), int(t), kind, json.loads(data)) for q, t, kind, data in rows]

    def events(self, drill_id: str) -> list[Event]:
        return list(self.iter_events(drill_id))

    # -- scores ----------------------------------------------------------------------

    @storage("cannot read the score of drill {drill_id}")
    def saved_score(self, drill_id: str, profile: str) -> tuple[float, str] | None:
        """The score and rating saved for ``drill_id`` under ``profile`` (None: none yet)."""
        row = self.sql.execute(
            "SELECT score, rating FROM scores WHERE drill_id = ? AND profile = ?",
            [drill_id, profile],
        ).fetchone()
        return (float(row[0]), str(row[1])) if row else None

    @storage("cannot save the score of drill {drill_id}", writes=True)
    def save_score(self, drill_id: str, score: DrillScore) -> None:
        """Store a score with its per-expectation and per-role rows (replacing the same
        profile's earlier ones; other profiles' results stay)."""
        record = self.drill(drill_id)
        if record.void:
            raise RecordRefused(f"drill {record.id} was voided; it is not scored ({self.where})")
        created = record.created
        roster = self.roster(drill_id)
        key = (drill_id, score.profile)
        with self.sql.transaction():
            for table in ("results", "role_scores"):
                self.sql.execute(f"DELETE FROM {table} WHERE drill_id = ? AND profile = ?", key)
            self.sql.execute(
                "INSERT INTO scores (drill_id, profile, score, rating, computed, detail, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (drill_id, profile) DO UPDATE SET "
                "score = excluded.score, rating = excluded.rating, computed = excluded.computed, "
                "detail = excluded.detail, created = excluded.created",
                (
                    *key,
                    score.score,
                    score.rating,
                    now_iso(),
                    canonical_json(score.to_dict()),
                    created,
                ),
            )
            self.sql.executemany(
                "INSERT INTO results (drill_id, profile, expectation, rule, role, capability, "
                "criticality, status, latency, deadline, credit, created, person, purpose, "
                "site) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                        int(is_person(roster.get(r.role, ""))),
                        record.purpose,
                        record.site,
                    )
                    for r in score.expectations
                    if r.scored
                ],
            )
            self.sql.executemany(
                "INSERT INTO role_scores (drill_id, profile, role, participant, score, rating, "
                "on_time, created, person, purpose, site) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        *key,
                        role,
                        roster.get(role, ""),
                        data["score"],
                        data["rating"],
                        data.get("on_time"),
                        created,
                        int(is_person(roster.get(role, ""))),
                        record.purpose,
                        record.site,
                    )
                    for role, data in score.roles.items()
                ],
            )

    @storage("cannot read the roster of drill {drill_id}", decodes=True)
    def roster(self, drill_id: str) -> dict[str, str]:
        """Who played each role: a person's name, or ``bot:<policy>``."""
        row = self.sql.execute(
            "SELECT roster, bots FROM drills WHERE id = ?", [drill_id]
        ).fetchone()
        if row is None:
            return {}
        roster: dict[str, str] = json.loads(row[0]) if row[0] else {}
        for role, kind in json.loads(row[1] or "{}").items():
            roster.setdefault(role, f"bot:{kind}")
        return roster

    @storage("cannot save the bots of drill {drill_id}", writes=True)
    def set_bots(self, drill_id: str, bots: dict[str, str]) -> None:
        """Which bot plays which role (a hosted drill fills the roles nobody took)."""
        with self.sql.transaction():
            self.sql.execute(
                "UPDATE drills SET bots = ? WHERE id = ?", [canonical_json(bots), drill_id]
            )

    @storage("cannot save the roster of drill {drill_id}", writes=True)
    def set_roster(self, drill_id: str, roster: dict[str, str]) -> None:
        with self.sql.transaction():
            self.sql.execute(
                "UPDATE drills SET roster = ? WHERE id = ?", [canonical_json(roster), drill_id]
            )
