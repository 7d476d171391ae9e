"""The after-action report of a stored drill: journal, score and review records together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drills.store.database import Store
from drills.store.notes import edits, notes, signoff
from engine.bundle import Bundle
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.report import DrillInfo, Report, build_report
from scoring.score import score_drill


@dataclass
class LoadedDrill:
    bundle: Bundle
    report: Report


def load_report(
    store: Store, drill_id: str, profile: ScoringProfile = DEFAULT_PROFILE
) -> LoadedDrill:
    """Rebuild a drill's report from its journal and review records."""
    record = store.drill(drill_id)
    bundle = record.bundle()
    events = store.events(record.id)
    score = score_drill(bundle.compiled, events, profile)
    info = DrillInfo(
        id=record.id,
        created=record.created,
        mode=record.mode,
        seed=record.seed,
        speed=record.speed,
        roster=store.roster(record.id),
        status=record.status,
    )
    report = build_report(
        bundle.compiled,
        events,
        score,
        profile,
        info,
        notes=notes(store, record.id),
        signoff=signoff(store, record.id),
        edits=edits(store, record.id),
    )
    return LoadedDrill(bundle, report)


def render_report(db_path: Path, drill_id: str, fmt: str, lang: str) -> str:
    """The report as text, from a connection of its own (workers call this)."""
    from drills.review.reports import render

    store = Store(db_path)  # sqlite connections belong to one thread
    try:
        return render(load_report(store, drill_id).report, fmt, lang)
    finally:
        store.close()
