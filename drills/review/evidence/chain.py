"""The hash chain over a drill's journal and its record: every input, then every event,
then one ``record`` entry, each hash covering the hash before it and the entry's
canonical JSON.

``hash = sha256(prev + "\\n" + section + "\\n" + canonical_json(record))`` with ``section``
``input``, ``event`` or ``record`` (an entry cannot move from one part to another), and
the first ``prev`` the genesis, derived from the drill id (a journal cannot move to
another drill). Each journal line is the entry with its ``prev`` and ``hash``; the last
event's hash is the journal head. The record entry (``record_entry``) is the drill row
(status, purpose, void fields, roster, times ...), its participants, notes, signatures,
improvement edits and log: voiding the drill, a signature or a note added later changes
the head. The manifest holds the journal head, the head (the record entry's hash), the
counts and each record part's sha256 (to say which part changed), so an entry changed,
removed, added or moved is found at its position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.events import canonical_json

ALGORITHM = "sha256"
LINK_FIELDS = ("prev", "hash")
# The parts of the record entry besides the drill row, in the order they are named.
RECORD_TABLES = ("participants", "notes", "signatures", "improvement_edits", "improvement_log")
PART_FILES = {
    "drill": "drill.json",
    "participants": "participants.json",
    "notes": "notes.json",
    "signatures": "signatures.json",
    "improvement_edits": "improvements.json",
    "improvement_log": "improvements.json",
}


def genesis(drill_id: str) -> str:
    return hashlib.sha256(f"drillhall-evidence/1\n{drill_id}".encode()).hexdigest()


def link(prev: str, section: str, record: dict[str, Any]) -> str:
    text = f"{prev}\n{section}\n{canonical_json(record)}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_of(line: dict[str, Any]) -> dict[str, Any]:
    """A journal line without its chain fields: the record its hash covers."""
    return {k: v for k, v in line.items() if k not in LINK_FIELDS}


def chained(prev: str, section: str, records: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Journal lines: each record with ``prev`` and ``hash`` (the last ``hash`` is the head)."""
    for record in records:
        digest = link(prev, section, record)
        yield {**record, "prev": prev, "hash": digest}
        prev = digest


def record_entry(drill: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """The chain's last entry: the drill row as packed and the record's tables."""
    return {"drill": drill, **{table: tables.get(table, []) for table in RECORD_TABLES}}


def record_parts(record: dict[str, Any]) -> dict[str, str]:
    """Each part of a record entry's sha256 (the manifest's hint at what changed)."""
    return {
        part: hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()
        for part, value in record.items()
    }


@dataclass(frozen=True)
class Entry:
    section: str  # input | event
    number: int  # 1-based position in its file
    line: dict[str, Any]

    def name(self) -> str:
        seq = self.line.get("seq")
        return f"{self.section} #{self.number}" + (f" (seq {seq})" if seq is not None else "")


def check_chain(
    drill_id: str,
    inputs: list[dict[str, Any]],
    events: list[dict[str, Any]],
    record: dict[str, Any],
    manifest: Any,
) -> str | None:
    """The first break in the chain, in words (None: it holds, its journal ends at the
    manifest's journal head and its record entry at the manifest's head). A line whose
    hash does not match its own record was changed; a line that is intact but does not
    follow the one before means records before it are missing."""
    broken = _check_journal(drill_id, inputs, events, manifest)
    if broken:
        return broken
    journal_head = manifest.get("journal_head")
    if link(journal_head, "record", record) == manifest.get("head"):
        return None
    packed = manifest.get("record")
    changed = [
        part
        for part, digest in record_parts(record).items()
        if not isinstance(packed, dict) or packed.get(part) != digest
    ]
    files = list(dict.fromkeys(PART_FILES.get(part, part) for part in changed))
    what = (
        f"{' and '.join(files)}: not the record that was chained"
        if changed and len(changed) <= len(RECORD_TABLES)
        else "it does not lead to the manifest's head"
    )
    return f"the record entry (after event #{len(events)}): hash does not match ({what})"


def _check_journal(
    drill_id: str, inputs: list[dict[str, Any]], events: list[dict[str, Any]], manifest: Any
) -> str | None:
    running = genesis(drill_id)
    if manifest.get("genesis", running) != running:
        return f"the chain's genesis is not drill {drill_id}'s"
    entries = [Entry("input", n, line) for n, line in enumerate(inputs, 1)]
    entries += [Entry("event", n, line) for n, line in enumerate(events, 1)]
    before: Entry | None = None
    for entry in entries:
        prev, digest = entry.line.get("prev"), entry.line.get("hash")
        if not isinstance(prev, str) or not isinstance(digest, str):
            return f"{entry.name()}: no hash"
        if link(prev, entry.section, record_of(entry.line)) != digest:
            return f"{entry.name()}: hash does not match"
        if prev != running:
            missing = f"{entry.section} #{entry.number}"
            expected_inputs = manifest.get("inputs")
            if entry.section == "event" and entry.number == 1:
                if isinstance(expected_inputs, int) and expected_inputs > len(inputs):
                    missing = f"input #{len(inputs) + 1}"
            return f"{missing} missing: chain breaks " + (
                f"after {before.section} #{before.number}" if before else "at its start"
            )
        running, before = digest, entry
    counts = (manifest.get("inputs"), manifest.get("events"))
    if counts != (len(inputs), len(events)) or manifest.get("journal_head") != running:
        if isinstance(counts[0], int) and counts[0] > len(inputs):
            missing = f"input #{len(inputs) + 1} missing"
        elif isinstance(counts[1], int) and counts[1] > len(events):
            missing = f"event #{len(events) + 1} missing"
        else:
            missing = "the manifest's journal head is not reached"
        after = f"after {before.section} #{before.number}" if before else "at its start"
        return (
            f"{missing}: chain breaks {after} (the manifest has {counts[0]} inputs, "
            f"{counts[1]} events; the journal {len(inputs)} and {len(events)})"
        )
    return None
