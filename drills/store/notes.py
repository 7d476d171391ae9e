"""What safety managers add to a drill: hot-wash notes, self-assessments, improvement-plan
edits and the sign-off."""

from __future__ import annotations

import json

from drills.store.database import Store, StoreError, now_iso, storage
from engine.events import canonical_json
from scoring.report import Note, SignOff

EDITABLE = ("action", "element", "owner", "due", "status")


@storage("cannot add a note to drill {drill_id}", writes=True)
def add_note(
    store: Store, drill_id: str, kind: str, author: str, text: str, role: str | None = None
) -> None:
    if kind not in ("hotwash", "self"):
        raise StoreError(f"unknown note kind {kind!r} (hotwash or self)")
    if not text.strip():
        raise StoreError("a note needs some text")
    record = store.drill(drill_id)
    store.db.table("notes").insert(
        {
            "drill_id": record.id,
            "kind": kind,
            "author": author,
            "role": role,
            "text": text,
            "at": now_iso(),
        }
    )


@storage("cannot read the notes of drill {drill_id}")
def notes(store: Store, drill_id: str) -> list[Note]:
    rows = store.db.table("notes").rows_where("drill_id = ?", [drill_id], order_by="id")
    return [Note(r["kind"], r["author"], r["role"], r["text"], r["at"]) for r in rows]


@storage("cannot sign off drill {drill_id}", writes=True)
def sign_off(store: Store, drill_id: str, name: str, comment: str = "") -> SignOff:
    record = store.drill(drill_id)
    if record.status != "ended":
        raise StoreError(f"drill {record.id} is still running; sign it off when it has ended")
    if not name.strip():
        raise StoreError("a sign-off needs the signer's name")
    at = now_iso()
    store.db.table("signatures").insert(
        {"drill_id": record.id, "name": name, "capacity": "", "comment": comment, "at": at}
    )
    return SignOff(name, at, comment)


@storage("cannot read the sign-off of drill {drill_id}")
def signoff(store: Store, drill_id: str) -> SignOff | None:
    rows = list(
        store.db.table("signatures").rows_where("drill_id = ?", [drill_id], order_by="id")
    )
    return SignOff(rows[0]["name"], rows[0]["at"], rows[0]["comment"]) if rows else None


@storage("cannot edit the improvement plan of drill {drill_id}", writes=True)
def edit_improvement(store: Store, drill_id: str, finding: str, **fields: str | None) -> None:
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise StoreError(
            f"cannot edit {', '.join(sorted(unknown))} (editable: {', '.join(EDITABLE)})"
        )
    record = store.drill(drill_id)
    current = edits(store, record.id).get(finding, {})
    current.update({k: v for k, v in fields.items() if v is not None})
    store.db.table("improvement_edits").upsert(
        {
            "drill_id": record.id,
            "finding": finding,
            "fields": canonical_json(current),
            "at": now_iso(),
        },
        pk=("drill_id", "finding"),
    )


@storage("cannot read the improvement plan of drill {drill_id}", decodes=True)
def edits(store: Store, drill_id: str) -> dict[str, dict[str, str]]:
    rows = store.db.table("improvement_edits").rows_where("drill_id = ?", [drill_id])
    return {r["finding"]: json.loads(r["fields"]) for r in rows}
