"""The review console's port onto the store: list, rebuild, export and sign drills."""

from __future__ import annotations

from pathlib import Path

from drills.port.feeds import DrillRow, FeedError
from drills.review.report import load_report, render_report
from drills.store.database import Store, StoreError
from drills.store.history import Filters, history
from drills.store.history import sites as stored_sites
from drills.store.notes import sign_off
from scoring.report import Filing, Report

LIST_LIMIT = 500


class StoreDesk:
    """A ``ReviewDesk`` over one database (its connection belongs to the UI thread);
    ``filing`` fills the cover block of exported reports."""

    def __init__(self, store: Store, filing: Filing | None = None) -> None:
        self.store = store
        self.filing = filing

    def drills(
        self, search: str | None, rating: str | None, site: str | None = None
    ) -> list[DrillRow]:
        filters = Filters(search=search, rating=rating, site=site)
        rows = history(self.store, filters, limit=LIST_LIMIT)
        return [
            DrillRow(
                r["id"],
                r["created"],
                r["scenario_id"],
                r["score"],
                r["rating"],
                r["status"],
                mode=r["mode"],
                purpose=r["purpose"] or "practice",
                players=tuple((p["name"], p["role"]) for p in r["trainees"]),
                bots=tuple(sorted(set(r["bots"].values()))),
                started=r["started"],
                site=r["site"],
            )
            for r in rows
        ]

    def sites(self) -> list[str]:
        return stored_sites(self.store)

    def report(self, drill_id: str) -> Report:
        try:
            return load_report(self.store, drill_id).report
        except StoreError as exc:
            raise FeedError(str(exc)) from None

    def export_html(self, drill_id: str, lang: str) -> Path:
        folder = self.store.path.parent / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{drill_id}.html"
        path.write_text(
            render_report(self.store.target, drill_id, "html", lang, self.filing),
            encoding="utf-8",
        )
        return path

    def sign_off(self, drill_id: str, name: str, capacity: str, comment: str) -> None:
        try:
            sign_off(self.store, drill_id, name, capacity, comment)
        except StoreError as exc:
            raise FeedError(str(exc)) from None
