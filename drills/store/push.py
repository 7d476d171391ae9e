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

from drills.store.database import Store, storage
from drills.store.packs import Imported, PackConflict, import_drill, read_drill


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


def push(
    site: Store, centre: Store, on_progress: Callable[[Pushed], None] | None = None
) -> Iterator[Pushed]:
    """Send every finished drill of ``site`` to ``centre``, one transaction per drill."""
    for drill_id in finished_drills(site):
        try:
            done: Imported = import_drill(centre, read_drill(site, drill_id))
            result = Pushed(drill_id, done.outcome)
        except PackConflict as exc:  # the centre holds something else: said, not forced
            result = Pushed(drill_id, "refused", str(exc))
        if on_progress is not None:
            on_progress(result)
        yield result
