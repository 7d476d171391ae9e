"""A site sends its finished drills to the central record.

Each drill goes as its rows (``drills.store.packs``: journal, record, texts), in one
transaction of the central database, through the same import as an evidence pack: the
centre rescores it from its journal, a drill already there unchanged is skipped, a later
signature or a void is added. So a push cut off halfway and repeated loses nothing and
duplicates nothing: what committed is skipped, the rest goes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from drills.store.database import Store, StoreError, storage
from drills.store.packs import DrillRows, Imported, PackConflict, import_drill, read_drill


@dataclass(frozen=True)
class Pushed:
    """One drill's push: ``outcome`` is imported, extended, unchanged or refused."""

    drill_id: str
    outcome: str
    reason: str = ""


@storage("cannot list the finished drills")
def finished_drills(store: Store) -> list[str]:
    """Drills that ended or were voided, oldest first (a running drill is still the
    site's own: it goes with the next push once it has ended)."""
    rows = store.sql.execute(
        "SELECT id FROM drills WHERE status = 'ended' OR voided IS NOT NULL ORDER BY created, id"
    ).fetchall()
    return [str(row[0]) for row in rows]


# Why a drill's rows must not go to the centre (``None``: they may): the caller's check
# of the journal (``verify``'s replay, from the review layer above this one).
JournalCheck = Callable[[DrillRows], str | None]


@storage("cannot read the central record")
def _held(centre: Store, drill_id: str) -> bool:
    found = centre.sql.execute("SELECT 1 FROM drills WHERE id = ?", [drill_id]).fetchone()
    return found is not None


def push(
    site: Store,
    centre: Store,
    on_progress: Callable[[Pushed], None] | None = None,
    check: JournalCheck | None = None,
) -> Iterator[Pushed]:
    """Send every finished drill of ``site`` to ``centre``, one transaction per drill.
    A drill that cannot be read, fails ``check`` or conflicts with the centre is refused
    with the reason and the push goes on with the next; a failing centre stops it."""
    for drill_id in finished_drills(site):
        result = _push_one(site, centre, drill_id, check)
        if on_progress is not None:
            on_progress(result)
        yield result


def _push_one(site: Store, centre: Store, drill_id: str, check: JournalCheck | None) -> Pushed:
    try:
        rows = read_drill(site, drill_id)
    except StoreError as exc:  # this drill's rows are damaged at the site
        return Pushed(drill_id, "refused", f"drill {drill_id}: {exc}; not sent")
    # a drill the centre holds already can only be unchanged or gain notes, signatures,
    # a voiding: its journal must equal the one held, checked when it first came
    problem = check(rows) if check is not None and not _held(centre, drill_id) else None
    if problem is not None:
        return Pushed(drill_id, "refused", f"drill {drill_id}: {problem}; not sent")
    try:
        done: Imported = import_drill(centre, rows)
    except PackConflict as exc:  # the centre holds something else: said, not forced
        return Pushed(drill_id, "refused", str(exc))
    return Pushed(drill_id, done.outcome)
