"""Every row of one drill, read for an evidence pack and written back from one.

``read_drill`` reads the drill row, its scenario and plan texts and the rows of every
packed table in one read transaction (a consistent snapshot even while others write).
``import_drill`` writes a pack's rows into this database in one transaction, idempotently:

- the idempotency key of a pack is its drill: ``INSERT INTO drills ... ON CONFLICT (id)
  DO NOTHING``. When the drill is already there, nothing is written; the rows present are
  compared with the pack's and the import is either ``unchanged`` or refused
  (``PackConflict``): a drill is never overwritten, nor merged into.
- rows of tables with a natural key (``KEYS``) go in with ``ON CONFLICT (key) DO
  NOTHING``; rows of tables whose key is a number local to one database (notes,
  signatures, the improvement log) are inserted only together with their new drill and
  get new local ids, in the pack's order.
- afterwards the drill is read back inside the same transaction and must equal the pack
  (stray rows of the same drill id left in the database refuse the import, rolled back).

The statements are plain SQL that PostgreSQL also accepts, so a second backend reuses
the same keys. Left out of packs: ``LEFT_OUT`` (a hosted drill's queue, clock and keys).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from drills.store.database import NoSuchDrill, Store, StoreError, storage

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
# Tables with a drill_id that a pack leaves out, and why.
LEFT_OUT = {
    "submissions": "a hosted drill's queue of decisions; every applied one is an input",
    "clock": "a hosted drill's live clock",
    "room_secrets": "a hosted drill's keys: they never leave the database",
    "seat_tokens": "a hosted drill's seat keys: they never leave the database",
}


class PackConflict(StoreError):
    """The database already holds this drill (or rows of it) with other content, or the
    pack has tables or columns this database does not know: nothing was written."""


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


def _columns(store: Store, table: str) -> list[str]:
    return [str(row[1]) for row in store.db.execute(f"PRAGMA table_info({table})").fetchall()]


def _read(store: Store, drill_id: str) -> DrillRows:
    rows = list(store.db.query("SELECT * FROM drills WHERE id = ?", [drill_id]))
    if not rows:
        raise NoSuchDrill(f"no drill {drill_id!r} ({store.path})")
    drill = dict(rows[0])
    texts = []
    for column in ("scenario_sha", "plan_sha"):
        found = store.db.execute("SELECT text FROM sources WHERE sha = ?", [drill[column]])
        text = found.fetchone()
        if text is None:
            raise StoreError(f"drill {drill_id}: its {column[:-4]} text is missing ({store.path})")
        texts.append(str(text[0]))
    tables: dict[str, list[dict[str, Any]]] = {}
    for table, key in KEYS.items():
        order = ", ".join(key) if key else SURROGATE
        tables[table] = [
            {k: v for k, v in row.items() if k != "drill_id" and (key or k != SURROGATE)}
            for row in store.db.query(
                f"SELECT * FROM {table} WHERE drill_id = ? ORDER BY {order}", [drill_id]
            )
        ]
    return DrillRows(drill, texts[0], texts[1], tables)


@storage("cannot read drill {drill_id} for its evidence pack", decodes=True)
def read_drill(store: Store, drill_id: str) -> DrillRows:
    """Every row of one drill (an exact id, or a unique prefix), from one snapshot."""
    drill_id = store.drill(drill_id).id
    conn = store.db.conn
    began = not conn.in_transaction
    if began:
        conn.execute("BEGIN")  # one read transaction: the rows agree with each other
    try:
        return _read(store, drill_id)
    finally:
        if began:
            conn.rollback()


def first_difference(pack: DrillRows, present: DrillRows) -> str | None:
    """Where the rows present differ from the pack's, in a few words (None: they agree).
    Only the pack's columns count: columns this database added later may hold defaults."""
    for column, value in pack.drill.items():
        if present.drill.get(column) != value:
            return f"the drill's {column} differs"
    if present.scenario_text != pack.scenario_text:
        return "the scenario text differs"
    if present.plan_text != pack.plan_text:
        return "the plan text differs"
    for table in KEYS:
        ours, theirs = present.tables.get(table, []), pack.tables.get(table, [])
        if len(ours) != len(theirs):
            return f"{table}: {len(ours)} here, {len(theirs)} in the pack"
        for number, (mine, packed) in enumerate(zip(ours, theirs, strict=True), 1):
            for column, value in packed.items():
                if mine.get(column) != value:
                    return f"{table} row {number}: {column} differs"
    return None


def _check_schema(store: Store, pack: DrillRows) -> None:
    unknown = sorted(set(pack.tables) - set(KEYS))
    if unknown:
        raise PackConflict(f"the pack has tables this database does not know: {unknown}")
    if "id" not in pack.drill:
        raise PackConflict("the pack's drill row has no id")
    for table, rows in [("drills", [pack.drill]), *pack.tables.items()]:
        known = set(_columns(store, table))
        extra = sorted({c for row in rows for c in row} - known)
        if extra:
            raise PackConflict(
                f"the pack has columns {table}.{', '.join(extra)} that this database does "
                f"not know (made by a newer Drillhall?) ({store.path})"
            )


def _insert(table: str, columns: list[str], key: tuple[str, ...] | None) -> str:
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
    return f"{sql} ON CONFLICT ({', '.join(key)}) DO NOTHING" if key else sql


@storage("cannot import drill {pack.id}", writes=True)
def import_drill(store: Store, pack: DrillRows) -> bool:
    """Write a pack's drill into this database in one transaction. True: imported;
    False: already here with the same content (nothing written). ``PackConflict``: here
    with other content, or the pack does not fit this database (nothing written)."""
    _check_schema(store, pack)
    drill_id = pack.id
    conn = store.db.conn
    if conn.in_transaction:
        conn.commit()
    conn.execute("BEGIN IMMEDIATE")
    try:
        for text in (pack.scenario_text, pack.plan_text):
            sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
            conn.execute(
                "INSERT INTO sources (sha, text) VALUES (?, ?) ON CONFLICT (sha) DO NOTHING",
                (sha, text),
            )
        columns = list(pack.drill)
        cursor = conn.execute(_insert("drills", columns, ("id",)), [pack.drill[c] for c in columns])
        inserted = cursor.rowcount == 1
        if inserted:
            for table, key in KEYS.items():
                rows = pack.tables.get(table, [])
                names = sorted({c for row in rows for c in row})
                if not rows:
                    continue
                conn.executemany(
                    _insert(table, ["drill_id", *names], ("drill_id", *key) if key else None),
                    [[drill_id, *(row.get(c) for c in names)] for row in rows],
                )
        difference = first_difference(pack, _read(store, drill_id))
        if difference is not None:
            where = "is already in this database" if not inserted else "has rows in this database"
            raise PackConflict(
                f"drill {drill_id} {where} with different content ({difference}); "
                f"not imported, nothing overwritten ({store.path})"
            )
        conn.commit()
    except BaseException:
        conn.rollback()
        raise
    return inserted


@storage("cannot count the rows of the database")
def row_counts(store: Store) -> dict[str, int]:
    """How many rows each packed table (and ``drills``, ``sources``) holds: the whole
    database's counts, so a test sees that a second import wrote nothing anywhere."""
    counts = {}
    for table in ("drills", "sources", *KEYS):
        counts[table] = int(store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return counts
