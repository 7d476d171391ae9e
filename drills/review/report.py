"""The after-action report of a stored drill: journal, score and review records together."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from drills.store.database import Store
from drills.store.notes import edits, improvement_log, notes, signatures
from engine.bundle import Bundle
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.report import DrillInfo, Filing, Report, build_report
from scoring.score import score_drill


@dataclass
class LoadedDrill:
    bundle: Bundle
    report: Report


def load_report(
    store: Store,
    drill_id: str,
    profile: ScoringProfile = DEFAULT_PROFILE,
    filing: Filing | None = None,
) -> LoadedDrill:
    """Rebuild a drill's report from its journal and review records; ``filing`` fills
    the cover block (organisation, location, evaluators)."""
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
        status=store.status(record),
        withheld=store.standing(record).withheld,
        void_reason=record.void_reason,
    )
    report = build_report(
        bundle.compiled,
        events,
        score,
        profile,
        info,
        notes=notes(store, record.id),
        signatures=signatures(store, record.id),
        edits=edits(store, record.id),
        log=improvement_log(store, record.id),
        filing=filing,
    )
    return LoadedDrill(bundle, report)


def render_report(
    db_path: str | Path, drill_id: str, fmt: str, lang: str, filing: Filing | None = None
) -> str:
    """The report as text, from a connection of its own (workers call this)."""
    from drills.review.reports import render

    store = Store(db_path)  # sqlite connections belong to one thread
    try:
        return render(load_report(store, drill_id, filing=filing).report, fmt, lang)
    finally:
        store.close()
