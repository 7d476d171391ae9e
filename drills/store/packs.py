"""Every row of one drill, read for an evidence pack and written back from one.

``read_drill`` reads the drill row, its scenario and plan texts and the rows of every
packed table in one read transaction (a consistent snapshot even while others write).
``import_drill`` writes a pack's drill into this database in one transaction:

- a pack never brings its scores: ``scores``, ``results`` and ``role_scores`` rows in a
  pack are a copy for reading. A new drill that is rated (ended, started, not void) is
  rescored from its imported journal under the default profile, in the same transaction
  (``Store.save_score``: ``person`` and ``purpose`` come from the roster and drill row).
- the record's own rules are checked first (``record_problems``: signers' capacities,
  signature times, note roles, amendment marks); a pack that breaks them is refused.
- the idempotency key of a pack is its drill (``INSERT INTO drills … ON CONFLICT (id) DO
  NOTHING``). When the drill is already here, the rows present are compared with the
  pack's (``compare``): the same → ``unchanged``; the pack strictly extends the record
  (adds the voiding where the database has none, adds notes, signatures and improvement
  edits after the ones here, the journal identical) → the additions are written; the
  database holds more than the pack (an older pack) → ``OlderPack``; anything else →
  ``PackConflict``. A record is never rewritten, only extended.
- afterwards the drill is read back inside the same transaction and must equal the pack
  (stray rows of the same drill id refuse the import, rolled back).

The statements are plain SQL that PostgreSQL also accepts, so a second backend reuses
the same keys. Left out of packs: ``LEFT_OUT`` (a hosted drill's queue, clock and keys).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from drills.port.labels import CAPACITIES
from drills.port.text import name_problem
from drills.store.database import (
    DRILL_TABLES,
    DrillBusy,
    NoSuchDrill,
    Store,
    StoreError,
    drill_status,
    is_person,
    storage,
)
from drills.store.kinds import MODES, PURPOSES, RECORDED_STATUSES, Standing

# Drill ids are 8 hex digits today; a pack's id also names lock files next to the
# database, so it is held to letters, digits, - and _.
DRILL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")

# Table -> its natural key after drill_id (the order rows are packed in), or None for a
# table whose key is a local surrogate id (packed in id order, the id left out).
KEYS: dict[str, tuple[str, ...] | None] = {
    "inputs": ("seq",),
    "events": ("seq",),
    "scores": ("profile",),
    "results": ("profile", "expectation"),
    "role_scores": ("profile", "role"),
    "participants": ("role",),
    "notes": None,
    "signatures": None,
    "improvement_edits": ("finding",),
    "improvement_log": None,
}
SURROGATE = "id"
# Packed for reading, never imported: the importing database scores the journal itself.
SCORE_TABLES = ("scores", "results", "role_scores")
# What a record adds to after the drill has ended, row by row (append-only).
APPENDED = ("notes", "signatures", "improvement_log")
VOID_FIELDS = ("voided", "void_reason", "voided_by")
# Tables with a drill_id that a pack leaves out, and why.
LEFT_OUT = {
    "submissions": "a hosted drill's queue of decisions; every applied one is an input",
    "clock": "a hosted drill's live clock",
    "room_secrets": "a hosted drill's keys: they never leave the database",
    "seat_tokens": "a hosted drill's seat keys: they never leave the database",
}


class PackConflict(StoreError):
    """The database already holds this drill (or rows of it) with other content, the
    pack breaks the record's rules, or it has tables or columns this database does not
    know: nothing was written."""


class OlderPack(PackConflict):
    """The database holds a newer record of the drill than the pack (it was voided,
    signed or noted after the pack was made): nothing was written."""


@dataclass
class DrillRows:
    """One drill as stored: the ``drills`` row (its own columns, as stored), the texts its
    ``scenario_sha`` and ``plan_sha`` name, and each packed table's rows (without
    ``drill_id`` and surrogate ids; values as stored)."""

    drill: dict[str, Any]
    scenario_text: str
    plan_text: str
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return str(self.drill["id"])


@dataclass(frozen=True)
class Imported:
    """What ``import_drill`` did: ``outcome`` is ``imported`` (a new drill), ``extended``
    (``added`` says what) or ``unchanged``; ``score`` the (score, rating, profile label)
    it saved from the journal, None when the drill is not rated (``standing`` says why)."""

    drill_id: str
    outcome: str
    added: list[str] = field(default_factory=list)
    score: tuple[float, str, str] | None = None
    standing: Standing | None = None


def _columns(store: Store, table: str) -> list[str]:
    """The table's columns (DB-API ``description`` of an empty select: either backend)."""
    cursor = store.sql.execute(f"SELECT * FROM {table} WHERE 1 = 0")
    described = getattr(cursor, "description", None) or ()
    return [str(getattr(d, "name", None) or d[0]) for d in described]


def _read(store: Store, drill_id: str) -> DrillRows:
    rows = store.sql.query("SELECT * FROM drills WHERE id = ?", [drill_id])
    if not rows:
        raise NoSuchDrill(f"no drill {drill_id!r} ({store.where})")
    drill = dict(rows[0])
    texts = []
    for column in ("scenario_sha", "plan_sha"):
        text = store.sql.execute("SELECT text FROM sources WHERE sha = ?", [drill[column]])
        found = text.fetchone()
        if found is None:
            raise StoreError(f"drill {drill_id}: its {column[:-4]} text is missing ({store.where})")
        texts.append(str(found[0]))
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, key in KEYS.items():
        order = ", ".join(key) if key else SURROGATE
        tables[table] = [
            {k: v for k, v in row.items() if k != "drill_id" and (key or k != SURROGATE)}
            for row in store.sql.query(
                f"SELECT * FROM {table} WHERE drill_id = ? ORDER BY {order}", [drill_id]
            )
        ]
    return DrillRows(drill, texts[0], texts[1], tables)


@contextmanager
def _snapshot(store: Store) -> Iterator[None]:
    """One read transaction: every row read in it agrees with every other."""
    with store.sql.transaction():
        if store.sql.dialect == "sqlite":  # sqlite3 opens none for reads by itself
            store.sql.execute("BEGIN")
        yield


@storage("cannot read drill {drill_id} for its evidence pack", decodes=True)
def read_drill(store: Store, drill_id: str) -> DrillRows:
    """Every row of one drill (an exact id, or a unique prefix), from one snapshot."""
    drill_id = store.drill(drill_id).id
    with _snapshot(store):
        return _read(store, drill_id)


def shown_status(store: Store, drill: dict[str, Any]) -> str:
    """The status a person is shown for a packed drill row (``interrupted`` for a running
    drill no live process plays), as ``Store.status`` answers for a record."""
    return drill_status(
        str(drill["status"]), drill.get("voided"), lambda: store.playing(str(drill["id"]))
    )


def started(drill: dict[str, Any], inputs: list[dict[str, Any]]) -> bool:
    """``Store.started`` of packed rows: the clock moved, or someone decided something."""
    last_t = drill.get("last_t")
    if isinstance(last_t, int | float) and last_t > 0:
        return True
    for row in inputs:
        data = row.get("data")
        try:
            parsed = json.loads(data) if isinstance(data, str) else data
        except ValueError:
            continue
        if isinstance(parsed, dict) and parsed.get("type") == "decision":
            return True
    return False


# -- the record's rules ------------------------------------------------------------------


def when(value: Any) -> datetime | None:
    """An ISO time as stored (``now_iso``; a time without a zone is UTC), None if it is
    not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def plan_roles(scenario_text: str, plan_text: str) -> list[str] | None:
    """The role ids of the plan (None: the texts do not load)."""
    from engine.bundle import bundle_from_texts
    from engine.loader import LoadError

    try:
        bundle = bundle_from_texts(scenario_text, plan_text, "scenario.yaml", "plan.yaml")
    except LoadError:  # the replay check says what is wrong with the texts
        return None
    return [r.id for r in bundle.compiled.plan.roles]


def _amendment(kind: str, number: int, row: dict[str, Any], first: datetime | None) -> str | None:
    """Whether the row's amendment mark is the one its time gives: written after the
    first signature → an amendment (the same millisecond as the signature: either)."""
    at = when(row.get("at"))
    if at is None:
        return f"{kind} #{number}: its time {row.get('at')!r} is not a time"
    marked = bool(row.get("amendment") or 0)
    if first is None or at < first:
        due: bool | None = False
    elif at > first:
        due = True
    else:
        due = None
    if due is None or marked == due:
        return None
    if marked:
        return f"{kind} #{number} (at {row.get('at')}): marked as an amendment, but written " + (
            "before the first signature" if first else "while the drill was unsigned"
        )
    return (
        f"{kind} #{number} (at {row.get('at')}): not marked as an amendment, but written "
        "after the first signature"
    )


def record_problems(rows: DrillRows) -> list[str]:
    """What in the record breaks the rules the commands apply when it is written, each
    with its position: a signature's capacity (a key of ``CAPACITIES``; ``""`` only for
    sign-offs from before capacities), a signature's time (at or after the drill's end,
    before its voiding), a note's role (a role of the drill's plan), and the amendment
    mark of every note and improvement edit (recomputed from the times: written after
    the first signature → an amendment)."""
    drill, tables = rows.drill, rows.tables
    problems: list[str] = _drill_row_problems(drill)
    ended = when(drill.get("ended")) if drill.get("status") == "ended" else None
    if drill.get("status") == "ended" and ended is None:
        problems.append(f"the drill's end time {drill.get('ended')!r} is not a time")
    voided = when(drill.get("voided")) if drill.get("voided") is not None else None
    if drill.get("voided") is not None and voided is None:
        problems.append(f"the drill's voiding time {drill.get('voided')!r} is not a time")
    signatures = tables.get("signatures", [])
    for number, sig in enumerate(signatures, 1):
        who = f"signature #{number} ({sig.get('name')})"
        capacity = sig.get("capacity") or ""
        if capacity and capacity not in CAPACITIES:
            problems.append(
                f"{who}: capacity {capacity!r} is not one Drillhall knows ({', '.join(CAPACITIES)})"
            )
        at = when(sig.get("at"))
        if at is None:
            problems.append(f"{who}: its time {sig.get('at')!r} is not a time")
        elif drill.get("status") != "ended":
            problems.append(f"{who}: signed at {sig.get('at')}, but the drill has not ended")
        elif ended is None:
            continue
        elif at < ended:
            problems.append(
                f"{who}: signed at {sig.get('at')}, before the drill ended ({drill.get('ended')})"
            )
        elif voided is not None and at >= voided:
            problems.append(
                f"{who}: signed at {sig.get('at')}, after the drill was voided "
                f"({drill.get('voided')})"
            )
    problems += _name_problems(rows)
    roles = plan_roles(rows.scenario_text, rows.plan_text)
    for number, note in enumerate(tables.get("notes", []), 1):
        role = note.get("role")
        if role is not None and roles is not None and role not in roles:
            problems.append(
                f"note #{number} ({note.get('author')}): role {role!r} is not a role of the "
                f"drill's plan ({', '.join(roles)})"
            )
    first = when(signatures[0].get("at")) if signatures else None
    for kind, table in (("note", "notes"), ("improvement edit", "improvement_log")):
        for number, row in enumerate(tables.get(table, []), 1):
            problem = _amendment(kind, number, row, first)
            if problem:
                problems.append(problem)
    return problems


def _drill_row_problems(drill: dict[str, Any]) -> list[str]:
    """The drill row's own fields, as the commands write them: every list shows them."""
    problems = []
    if not isinstance(drill.get("id"), str) or DRILL_ID.fullmatch(drill["id"]) is None:
        problems.append(f"its id {str(drill.get('id'))[:64]!r} is not a drill id")
    for column, allowed in (("status", RECORDED_STATUSES), ("mode", MODES), ("purpose", PURPOSES)):
        if drill.get(column) not in allowed:
            shown = str(drill.get(column))[:64]
            problems.append(f"its {column} {shown!r} is not one of {', '.join(allowed)}")
    # a drill from before sites has none; a recorded one is shown in every list (its
    # spelling is held at creation, ``site_problem``: a record keeps what it holds)
    site = drill.get("site")
    problem = None if site is None else name_problem(str(site))
    if problem:
        problems.append(f"its site: {problem}")
    return problems


def _name_problems(rows: DrillRows) -> list[str]:
    """Participants, signers and note authors as the commands take names: one visible
    line (a newline in a name forged a row of history), no control characters."""
    try:
        roster = json.loads(rows.drill.get("roster") or "{}")
    except (TypeError, ValueError, RecursionError):
        return ["its roster is not a JSON object"]
    if not isinstance(roster, dict):
        return ["its roster is not a JSON object"]
    named = [("participant", str(v)) for v in roster.values() if is_person(str(v))]
    named += [("signer", str(s.get("name"))) for s in rows.tables.get("signatures", [])]
    named += [("note author", str(n.get("author"))) for n in rows.tables.get("notes", [])]
    problems = []
    for kind, name in named:
        problem = name_problem(name)
        if problem:
            problems.append(f"a {kind} {name[:40]!r}: {problem}")
    return problems


# -- comparing a pack with the record here -------------------------------------------------


def _same_row(mine: dict[str, Any], packed: dict[str, Any]) -> bool:
    """Only the pack's columns count: columns this database added later may hold defaults."""
    return all(mine.get(column) == value for column, value in packed.items())


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


WORDS = {"notes": "note", "signatures": "signature", "improvement_log": "improvement edit"}


def first_difference(pack: DrillRows, present: DrillRows) -> str | None:
    """Where the rows present differ from the pack's, in a few words (None: they agree).
    Scores are not compared: a pack's are never imported."""
    for column, value in pack.drill.items():
        if present.drill.get(column) != value:
            return f"the drill's {column} differs"
    if present.scenario_text != pack.scenario_text:
        return "the scenario text differs"
    if present.plan_text != pack.plan_text:
        return "the plan text differs"
    for table in KEYS:
        if table in SCORE_TABLES:
            continue
        ours, theirs = present.tables.get(table, []), pack.tables.get(table, [])
        if len(ours) != len(theirs):
            return f"{table}: {len(ours)} here, {len(theirs)} in the pack"
        for number, (mine, packed) in enumerate(zip(ours, theirs, strict=True), 1):
            for column, value in packed.items():
                if mine.get(column) != value:
                    return f"{table} row {number}: {column} differs"
    return None


@dataclass
class Comparison:
    """A pack against the record here: ``different`` (None: comparable), what the pack
    adds (``pack_adds``: row lists to append, void fields to set) and what only the
    database has (``here_only``, in words)."""

    different: str | None = None
    pack_adds: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    void: dict[str, Any] | None = None
    edits: list[dict[str, Any]] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    here_only: list[str] = field(default_factory=list)


def _void(drill: dict[str, Any]) -> tuple[Any, ...] | None:
    fields = tuple(drill.get(column) for column in VOID_FIELDS)
    return None if all(value is None for value in fields) else fields


def _folded(
    edits: list[dict[str, Any]], log: list[dict[str, Any]]
) -> dict[str, tuple[Any, str | None]]:
    """The improvement plan's current fields after ``log`` rows applied to ``edits``
    (as ``edit_improvement`` writes them): finding → (fields, at)."""
    current: dict[str, tuple[Any, str | None]] = {}
    for row in edits:
        try:
            current[str(row.get("finding"))] = (
                json.loads(row.get("fields") or "{}"),
                row.get("at"),
            )
        except ValueError:
            current[str(row.get("finding"))] = (row.get("fields"), row.get("at"))
    for row in log:
        finding = str(row.get("finding"))
        fields, _ = current.get(finding, ({}, None))
        try:
            given = json.loads(row.get("fields") or "{}")
        except ValueError:
            given = None
        if isinstance(fields, dict) and isinstance(given, dict):
            current[finding] = ({**fields, **given}, row.get("at"))
        else:
            current[finding] = (None, row.get("at"))
    return current


def _latest(present: DrillRows) -> datetime | None:
    """The time of the newest note, signature or improvement edit held here."""
    times = [when(row.get("at")) for table in APPENDED for row in present.tables.get(table, [])]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def _backdated(added: list[dict[str, Any]], held: datetime | None) -> dict[str, Any] | None:
    """The first row ``added`` dated before ``held``: a note slipped in "before" a
    signature the centre already holds would read as written before it was signed."""
    if held is None:
        return None
    for row in added:
        at = when(row.get("at"))
        if at is not None and at < held:
            return row
    return None


def compare(pack: DrillRows, present: DrillRows) -> Comparison:
    """How the pack stands to the record here (see the module's docstring)."""
    result = Comparison()
    for column, value in pack.drill.items():
        if column not in VOID_FIELDS and present.drill.get(column) != value:
            result.different = f"the drill's {column} differs"
            return result
    if present.scenario_text != pack.scenario_text:
        result.different = "the scenario text differs"
        return result
    if present.plan_text != pack.plan_text:
        result.different = "the plan text differs"
        return result
    for table in ("inputs", "events", "participants"):
        ours, theirs = present.tables.get(table, []), pack.tables.get(table, [])
        if len(ours) != len(theirs):
            result.different = f"{table}: {len(ours)} here, {len(theirs)} in the pack"
            return result
        for number, (mine, packed) in enumerate(zip(ours, theirs, strict=True), 1):
            if not _same_row(mine, packed):
                result.different = f"{table} row {number} differs"
                return result
    theirs_void, ours_void = _void(pack.drill), _void(present.drill)
    if theirs_void != ours_void:
        if ours_void is None:
            result.void = {column: pack.drill.get(column) for column in VOID_FIELDS}
            result.added.append(
                f"void ({pack.drill.get('void_reason')}; by {pack.drill.get('voided_by')}, "
                f"at {pack.drill.get('voided')})"
            )
        elif theirs_void is None:
            result.here_only.append("it is void here")
        else:
            result.different = "the drill's voiding differs"
            return result
    held = _latest(present)
    for table in APPENDED:
        ours, theirs = present.tables.get(table, []), pack.tables.get(table, [])
        shared = min(len(ours), len(theirs))
        for number in range(shared):
            if not _same_row(ours[number], theirs[number]):
                result.different = f"{table} row {number + 1} differs"
                return result
        if len(theirs) > len(ours):
            result.pack_adds[table] = theirs[len(ours) :]
            result.added.append(_plural(len(theirs) - len(ours), WORDS[table]))
        elif len(ours) > len(theirs):
            result.here_only.append(
                f"{_plural(len(ours), WORDS[table])} here, {len(theirs)} in the pack"
            )
    ours_edits = present.tables.get("improvement_edits", [])
    theirs_edits = pack.tables.get("improvement_edits", [])
    ours_log = present.tables.get("improvement_log", [])
    theirs_log = pack.tables.get("improvement_log", [])
    if len(theirs_log) >= len(ours_log):
        longer, shorter, added_log = theirs_edits, ours_edits, theirs_log[len(ours_log) :]
    else:
        longer, shorter, added_log = ours_edits, theirs_edits, ours_log[len(theirs_log) :]
    if _folded(shorter, added_log) != _folded(longer, []):
        result.different = "the improvement plan's current fields differ"
        return result
    if len(theirs_log) > len(ours_log):
        touched = {str(row.get("finding")) for row in added_log}
        result.edits = [row for row in theirs_edits if str(row.get("finding")) in touched]
    if result.added and result.here_only:
        result.different = (
            f"the pack adds {', '.join(result.added)}, but the database has "
            f"{', '.join(result.here_only)}"
        )
        return result
    for table, rows in result.pack_adds.items():
        backdated = _backdated(rows, held)
        if backdated is not None:
            result.different = (
                f"a {WORDS[table]} it adds is dated {backdated.get('at')}, before what is "
                f"already recorded here ({held.isoformat() if held else ''}): a record "
                "only grows forward"
            )
            return result
    return result


# -- writing -----------------------------------------------------------------------------


def _check_schema(store: Store, pack: DrillRows) -> None:
    unknown = sorted(set(pack.tables) - set(KEYS))
    if unknown:
        raise PackConflict(f"the pack has tables this database does not know: {unknown}")
    if "id" not in pack.drill:
        raise PackConflict("the pack's drill row has no id")
    for table, rows in [("drills", [pack.drill]), *pack.tables.items()]:
        if table in SCORE_TABLES:
            continue
        known = set(_columns(store, table))
        extra = sorted({c for row in rows for c in row} - known)
        if extra:
            raise PackConflict(
                f"the pack has columns {table}.{', '.join(extra)} that this database does "
                f"not know (made by a newer Drillhall?) ({store.where})"
            )


def _insert(table: str, columns: list[str], key: tuple[str, ...] | None) -> str:
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    return f"{sql} ON CONFLICT ({', '.join(key)}) DO NOTHING" if key else sql


def _insert_rows(
    store: Store, drill_id: str, table: str, rows: list[dict[str, Any]], upsert: bool = False
) -> None:
    if not rows:
        return
    key = KEYS[table]
    names = sorted({c for row in rows for c in row})
    sql = _insert(table, ["drill_id", *names], ("drill_id", *key) if key else None)
    if upsert and key:
        updates = ", ".join(f"{c} = excluded.{c}" for c in names if c not in key)
        sql = sql.replace("DO NOTHING", f"DO UPDATE SET {updates}")
    store.sql.executemany(sql, [[drill_id, *(row.get(c) for c in names)] for row in rows])


def _stray(store: Store, drill_id: str) -> str | None:
    """A table holding rows of ``drill_id`` (a drill that is not here)."""
    for table in DRILL_TABLES:
        if store.sql.execute(
            f"SELECT 1 FROM {table} WHERE drill_id = ? LIMIT 1", [drill_id]
        ).fetchone():
            return table
    return None


def _rescore(store: Store, drill_id: str) -> tuple[Standing, tuple[float, str, str] | None]:
    """Score the drill from its journal under the default profile if it is rated."""
    from scoring.profile import DEFAULT_PROFILE
    from scoring.score import score_drill

    record = store.drill(drill_id)
    standing = store.standing(record)
    if not standing.rated:
        return standing, None
    score = score_drill(record.bundle().compiled, store.events(drill_id), DEFAULT_PROFILE)
    # last: save_score's transaction, nested in the import's, commits the import with it
    # (or, failing, rolls it all back)
    store.save_score(drill_id, score)
    return standing, (score.score, score.rating, score.profile)


@storage("cannot import drill {pack.id}", writes=True)
def import_drill(store: Store, pack: DrillRows) -> Imported:
    """Write a pack's drill into this database in one transaction (see the module's
    docstring). ``PackConflict`` (``OlderPack``): nothing written."""
    _check_schema(store, pack)
    problems = record_problems(pack)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PackConflict(f"drill {pack.id}: {problems[0]}{more}; not imported ({store.where})")
    drill_id = pack.id
    with store.sql.write_transaction():  # what is read below still holds when it writes
        for text in (pack.scenario_text, pack.plan_text):
            store.sql.execute(
                "INSERT INTO sources (sha, text) VALUES (?, ?) ON CONFLICT (sha) DO NOTHING",
                [hashlib.sha256(text.encode("utf-8")).hexdigest(), text],
            )
        columns = list(pack.drill)
        inserted = store.sql.execute(
            _insert("drills", columns, ("id",)) + " RETURNING id", [pack.drill[c] for c in columns]
        ).fetchall()
        if inserted:
            stray = _stray(store, drill_id)
            if stray is not None:
                raise PackConflict(
                    f"drill {drill_id} has rows in this database ({stray}) but no drill row; "
                    f"not imported, nothing overwritten ({store.where})"
                )
            for table in KEYS:
                if table not in SCORE_TABLES:  # never the pack's scores
                    _insert_rows(store, drill_id, table, pack.tables.get(table, []))
            _read_back(store, pack, "has rows in this database")
            standing, score = _rescore(store, drill_id)
            return Imported(drill_id, "imported", score=score, standing=standing)
        comparison = compare(pack, _read(store, drill_id))
        if comparison.different is not None:
            raise PackConflict(
                f"drill {drill_id} is already in this database with different content "
                f"({comparison.different}); not imported, nothing overwritten ({store.where})"
            )
        if comparison.here_only:
            raise OlderPack(
                f"the database holds a newer record of drill {drill_id} "
                f"({'; '.join(comparison.here_only)}); unchanged ({store.where})"
            )
        if not comparison.added and not comparison.edits:
            return Imported(drill_id, "unchanged")
        if comparison.void is not None:
            _apply_void(store, drill_id, comparison.void)
        for table, rows in comparison.pack_adds.items():
            _insert_rows(store, drill_id, table, rows)
        _insert_rows(store, drill_id, "improvement_edits", comparison.edits, upsert=True)
        _read_back(store, pack, "is already in this database")
        return Imported(drill_id, "extended", added=comparison.added)


def _apply_void(store: Store, drill_id: str, void: dict[str, Any]) -> None:
    """What ``Store.void_drill`` writes, with the pack's who, when and why."""
    row = store.sql.query("SELECT status, voided FROM drills WHERE id = ?", [drill_id])[0]
    if shown_status(store, {"id": drill_id, **row}) == "running":
        raise DrillBusy(f"drill {drill_id} is being played; import its void pack when it has ended")
    store.sql.execute(
        "UPDATE drills SET voided = ?, void_reason = ?, voided_by = ? "
        "WHERE id = ? AND voided IS NULL",
        [void["voided"], void["void_reason"], void["voided_by"], drill_id],
    )
    for table in ("results", "role_scores"):  # a void drill leaves ratings and trends
        store.sql.execute(f"DELETE FROM {table} WHERE drill_id = ?", [drill_id])


def _read_back(store: Store, pack: DrillRows, where: str) -> None:
    difference = first_difference(pack, _read(store, pack.id))
    if difference is not None:
        raise PackConflict(
            f"drill {pack.id} {where} with different content ({difference}); "
            f"not imported, nothing overwritten ({store.where})"
        )


@storage("cannot count the rows of the database")
def row_counts(store: Store) -> dict[str, int]:
    """How many rows each packed table (and ``drills``, ``sources``) holds: the whole
    database's counts, so a test sees that a second import wrote nothing anywhere."""
    counts = {}
    for table in ("drills", "sources", *KEYS):
        counts[table] = int(store.sql.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return counts
