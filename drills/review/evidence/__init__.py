"""Evidence packs: one drill's journal, texts, records and report in one archive, with a
hash chain over the journal and the record, verified by replaying the journal, rescoring
it and checking the record's rules (``drillhall export|verify|import``)."""

from __future__ import annotations

from drills.review.evidence.archive import MAX_BYTES, MAX_MEMBERS, PackError
from drills.review.evidence.pack import Built, Pack, build_pack
from drills.review.evidence.verify import Check, Verification, verify_pack

__all__ = [
    "MAX_BYTES",
    "MAX_MEMBERS",
    "Built",
    "Check",
    "Pack",
    "PackError",
    "Verification",
    "build_pack",
    "verify_pack",
]
