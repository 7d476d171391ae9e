"""The hash chain over a drill's journal: every input, then every event, each record's
hash covering the hash before it and the record's canonical JSON.

``hash = sha256(prev + "\\n" + section + "\\n" + canonical_json(record))`` with ``section``
``input`` or ``event`` (a record cannot move from one file to the other), and the first
``prev`` the genesis, derived from the drill id (a journal cannot move to another drill).
Each journal line is the record with its ``prev`` and ``hash``; the manifest holds the
head (the last hash) and the counts, so a record changed, removed, added or moved is found
at its position.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from engine.events import canonical_json

ALGORITHM = "sha256"
LINK_FIELDS = ("prev", "hash")


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


@dataclass(frozen=True)
class Entry:
    section: str  # input | event
    number: int  # 1-based position in its file
    line: dict[str, Any]

    def name(self) -> str:
        seq = self.line.get("seq")
        return f"{self.section} #{self.number}" + (f" (seq {seq})" if seq is not None else "")


def check_chain(
    drill_id: str, inputs: list[dict[str, Any]], events: list[dict[str, Any]], manifest: Any
) -> str | None:
    """The first break in the chain, in words (None: it holds and ends at the manifest's
    head). A line whose hash does not match its own record was changed; a line that is
    intact but does not follow the one before means records before it are missing."""
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
    if counts != (len(inputs), len(events)) or manifest.get("head") != running:
        if isinstance(counts[0], int) and counts[0] > len(inputs):
            missing = f"input #{len(inputs) + 1} missing"
        elif isinstance(counts[1], int) and counts[1] > len(events):
            missing = f"event #{len(events) + 1} missing"
        else:
            missing = "the manifest's head is not reached"
        after = f"after {before.section} #{before.number}" if before else "at its start"
        return (
            f"{missing}: chain breaks {after} (the manifest has {counts[0]} inputs, "
            f"{counts[1]} events; the journal {len(inputs)} and {len(events)})"
        )
    return None
