"""What safety managers add to a drill: hot-wash notes, self-assessments, improvement-plan
edits and signatures.

Signatures are append-only: several per drill, each with the signer's capacity. Once a
drill has its first signature, notes and improvement-plan edits are amendments: they are
marked so (``notes.amendment``, ``improvement_log.amendment``) and the report lists them
apart instead of changing what was signed. Whether a write is an amendment is decided in
the same transaction that writes it.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from drills.port.labels import CAPACITIES
from drills.port.text import name_problem
from drills.store.database import (
    DrillRecord,
    RecordRefused,
    Store,
    StoreError,
    now_iso,
    storage,
)
from engine.events import canonical_json
from scoring.report import EDITABLE, ImprovementEdit, Note, Signature

SIGNED = "EXISTS (SELECT 1 FROM signatures WHERE drill_id = ?)"


def same_person(a: str, b: str) -> bool:
    """Names compared as people read them: width, case and spacing do not matter."""

    def key(name: str) -> str:
        visible = "".join(c for c in name if unicodedata.category(c) != "Cf")
        return " ".join(unicodedata.normalize("NFKC", visible).split()).casefold()

    return key(a) == key(b)


def check_role(record: DrillRecord, role: str) -> None:
    """``role`` must be a role of the plan the drill was played on."""
    roles = [r.id for r in record.bundle().compiled.plan.roles]
    if role not in roles:
        raise RecordRefused(
            f"the plan of drill {record.id} has no role {role!r} (roles: {', '.join(roles)})",
            "--role",
        )


@storage("cannot add a note to drill {drill_id}", writes=True)
def add_note(
    store: Store, drill_id: str, kind: str, author: str, text: str, role: str | None = None
) -> Note:
    """Record a note; after the first signature it is an amendment (``Note.amendment``)."""
    if kind not in ("hotwash", "self"):
        raise StoreError(f"unknown note kind {kind!r} (hotwash or self)")
    if not text.strip():
        raise StoreError("a note needs some text")
    record = store.drill(drill_id)
    if kind == "self" and role is None:
        raise RecordRefused("a self-assessment names the role its author played", "--role")
    if role is not None:
        check_role(record, role)
    with store.sql.write_transaction():
        at = now_iso()  # in the lock: the times order as the writes do
        signed = bool(store.sql.execute(f"SELECT {SIGNED}", (record.id,)).fetchone()[0])
        store.sql.execute(
            "INSERT INTO notes (drill_id, kind, author, role, text, at, amendment) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (record.id, kind, author, role, text, at, int(signed)),
        )
    return Note(kind, author, role, text, at, signed)


@storage("cannot read the notes of drill {drill_id}")
def notes(store: Store, drill_id: str) -> list[Note]:
    rows = store.sql.query("SELECT * FROM notes WHERE drill_id = ? ORDER BY id", [drill_id])
    return [
        Note(r["kind"], r["author"], r["role"], r["text"], r["at"], bool(r.get("amendment")))
        for r in rows
    ]


@storage("cannot sign drill {drill_id}", writes=True)
def sign_off(store: Store, drill_id: str, name: str, capacity: str, comment: str = "") -> Signature:
    """Add a signature. Only an ended drill that is not void can be signed; the same
    person (see ``same_person``) signs once per capacity."""
    record = store.drill(drill_id)
    if record.void:
        raise RecordRefused(
            f"drill {record.id} is void ({record.void_reason}; voided by {record.voided_by} "
            f"on {(record.voided or '')[:10]}): a void drill cannot be signed"
        )
    if record.status != "ended":
        raise RecordRefused(
            f"drill {record.id} has not ended ({record.status}); sign it when it has ended"
        )
    if not name.strip():
        raise RecordRefused("a signature needs the signer's name", "--name")
    problem = name_problem(name)
    if problem:
        raise RecordRefused(problem, "--name")
    if capacity not in CAPACITIES:
        raise RecordRefused(
            f"unknown capacity {capacity!r} (capacities: {', '.join(CAPACITIES)})", "--capacity"
        )
    with store.sql.write_transaction():  # the check and the signature, no one in between
        at = now_iso()
        rows = store.sql.execute(
            "SELECT name, at FROM signatures WHERE drill_id = ? AND capacity = ?",
            (record.id, capacity),
        ).fetchall()
        for other, when in rows:
            if same_person(other, name):
                raise RecordRefused(
                    f"{other} already signed drill {record.id} as {CAPACITIES[capacity][1]} "
                    f"({CAPACITIES[capacity][0]}) on "
                    f"{when[:16].replace('T', ' ')} UTC",
                    "--name",
                )
        store.sql.execute(
            "INSERT INTO signatures (drill_id, name, capacity, comment, at) VALUES (?, ?, ?, ?, ?)",
            (record.id, name, capacity, comment, at),
        )
    return Signature(name, capacity, at, comment)


@storage("cannot read the signatures of drill {drill_id}")
def signatures(store: Store, drill_id: str) -> list[Signature]:
    """Every signature of the drill, first first."""
    rows = store.sql.query("SELECT * FROM signatures WHERE drill_id = ? ORDER BY id", [drill_id])
    return [Signature(r["name"], r["capacity"] or "", r["at"], r["comment"] or "") for r in rows]


def signoff(store: Store, drill_id: str) -> Signature | None:
    """The first signature (the one that ended the draft), or None while a draft."""
    found = signatures(store, drill_id)
    return found[0] if found else None


@storage("cannot edit the improvement plan of drill {drill_id}", writes=True)
def edit_improvement(
    store: Store, drill_id: str, finding: str, **fields: str | None
) -> ImprovementEdit:
    """Change fields of one improvement-plan row. Every edit is logged; after the first
    signature it is an amendment (``ImprovementEdit.amendment``)."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise StoreError(
            f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})"
        )
    record = store.drill(drill_id)
    given = {k: v for k, v in fields.items() if v is not None}
    with store.sql.write_transaction():
        at = now_iso()
        signed = bool(store.sql.execute(f"SELECT {SIGNED}", (record.id,)).fetchone()[0])
        row = store.sql.execute(
            "SELECT fields FROM improvement_edits WHERE drill_id = ? AND finding = ?",
            (record.id, finding),
        ).fetchone()
        current: dict[str, Any] = json.loads(row[0]) if row else {}
        current.update(given)
        store.sql.execute(
            "INSERT INTO improvement_edits (drill_id, finding, fields, at) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (drill_id, finding) DO UPDATE SET fields = excluded.fields, "
            "at = excluded.at",
            (record.id, finding, canonical_json(current), at),
        )
        store.sql.execute(
            "INSERT INTO improvement_log (drill_id, finding, fields, amendment, at) "
            "VALUES (?, ?, ?, ?, ?)",
            (record.id, finding, canonical_json(given), int(signed), at),
        )
    return ImprovementEdit(finding, given, at, signed)


@storage("cannot read the improvement plan of drill {drill_id}", decodes=True)
def edits(store: Store, drill_id: str) -> dict[str, dict[str, str]]:
    """The current fields of every edited improvement-plan row."""
    rows = store.sql.query("SELECT * FROM improvement_edits WHERE drill_id = ?", [drill_id])
    return {r["finding"]: json.loads(r["fields"]) for r in rows}


@storage("cannot read the improvement plan of drill {drill_id}", decodes=True)
def improvement_log(store: Store, drill_id: str) -> list[ImprovementEdit]:
    """Every improvement-plan edit of the drill, in order."""
    rows = store.sql.query(
        "SELECT * FROM improvement_log WHERE drill_id = ? ORDER BY id", [drill_id]
    )
    return [
        ImprovementEdit(r["finding"], json.loads(r["fields"]), r["at"], bool(r["amendment"]))
        for r in rows
    ]
