"""SVG snapshots of the three consoles at 80x24 and 120x40, in Chinese and English.

Deterministic: a fake wall clock, frozen cursors, fixed drill ids and dates (conftest);
each snapshot is taken once the console shows what it should, never after a fixed time.
No score figure on them comes from the rubric: the trainer's live score and the review
console's scores are fixed here, so a change to the scoring rules does not rewrite them.
Review a change with `pytest tests/ui/test_snapshots.py --snapshot-update` only after
looking at snapshot_report.html (or the SVGs converted to PNG).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button

from drills.play.session import DrillSession
from drills.port.feeds import DrillRow
from drills.review.desk import StoreDesk
from drills.store.database import Store
from drills.ui.app import make_app
from drills.ui.screens.review import ReviewScreen
from drills.ui.screens.trainee import TraineeScreen
from drills.ui.screens.trainer import TrainerScreen
from engine.bundle import Bundle
from scoring.profile import Rating
from scoring.report import Report
from scoring.score import CapabilityScore, DrillScore, Metrics

from .conftest import Wall, hosting, plain, solo, trainee_app, trainer_app, until

SIZES = [(80, 24), (120, 40)]
LANGS = ["zh", "en"]

Snap = Callable[..., bool]
RunBefore = Callable[[Pilot[None]], Awaitable[None]]


def fixed_score(score: float, rating: Rating, roles: dict[str, tuple[float, str]]) -> DrillScore:
    """A score as the consoles show it, fixed: not computed by the rubric."""
    metrics = Metrics(None, None, None, 0, 0, 0, 0, {}, 0, None, 0, 0)
    by_role = {r: {"score": s, "rating": g} for r, (s, g) in roles.items()}
    return DrillScore(score, rating, "", "snapshot", [], {}, by_role, [], metrics, [])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_trainee_console(
    snap_compare: Snap,
    store: Store,
    flood_bundle: Bundle,
    wall: Wall,
    lang: str,
    size: tuple[int, int],
) -> None:
    app = trainee_app(store, flood_bundle, wall, lang=lang, role="duty_officer")

    async def run_before(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: isinstance(app.screen, TraineeScreen), "the console")
        wall.t += 16  # 06:16 at 60x: I02 (the forecast fax) has arrived and opened
        message = app.screen.query_one("#message")
        await until(pilot, lambda: "Hydrology bureau forecast" in plain(message)
                    or "市水文局水情预报" in plain(message), "I02 open")  # fmt: skip
        await until(pilot, lambda: solo(app).clock().now == 960, "06:16 on the clock")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_trainer_console(
    snap_compare: Snap,
    store: Store,
    flood_bundle: Bundle,
    wall: Wall,
    lang: str,
    size: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = trainer_app(store, flood_bundle, wall, lang=lang)
    live = hosting(app)
    shown = fixed_score(72.5, "M", {"hydrology": (100.0, "P"), "county_hq": (40.0, "U")})
    monkeypatch.setattr(live, "live_score", lambda: shown)

    async def run_before(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        screen = app.screen
        assert isinstance(screen, TrainerScreen)
        live.resume()
        wall.t += 6  # one hour of scenario time at 600x
        await until(pilot, lambda: live.engine.now >= 3600 and not live.clock().paused)
        live.toggle_pause()
        screen.advance()
        await until(pilot, lambda: "72.5" in plain(screen.query_one("#scoreboard")), "the score")
        start = screen.query_one("#pause", Button)
        await until(pilot, lambda: str(start.label) in ("Start", "开始"), "paused")
        screen._flush_board(force=True)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


class FixedScores:
    """The review desk over real drills, with their scores fixed (not the rubric's)."""

    SCORES: tuple[tuple[float, Rating], ...] = ((88.0, "S"), (45.5, "U"), (100.0, "P"))

    def __init__(self, desk: StoreDesk) -> None:
        self.desk = desk
        self.fixed: dict[str, tuple[float, Rating]] = {}

    def drills(
        self, search: str | None, rating: str | None, site: str | None = None
    ) -> list[DrillRow]:
        rows = self.desk.drills(search, None, site)
        for row, (score, grade) in zip(sorted(rows, key=lambda r: r.id), self.SCORES, strict=False):
            self.fixed.setdefault(row.id, (score, grade))
        fixed = [dataclasses.replace(r, score=self.fixed[r.id][0], rating=self.fixed[r.id][1])
                 for r in rows]  # fmt: skip
        return [r for r in fixed if rating is None or r.rating == rating]

    def sites(self) -> list[str]:
        return self.desk.sites()

    def report(self, drill_id: str) -> Report:
        report = self.desk.report(drill_id)
        score, grade = self.fixed[drill_id]
        capabilities = [
            CapabilityScore(c.id, score, grade, grade, None, 1.0, 0.0)
            for c in report.score.capabilities
        ]
        fixed = dataclasses.replace(fixed_score(score, grade, {}), capabilities=capabilities)
        return dataclasses.replace(report, score=fixed)

    def export_html(self, drill_id: str, lang: str) -> Path:
        return self.desk.export_html(drill_id, lang)

    def sign_off(self, drill_id: str, name: str, capacity: str, comment: str) -> None:
        self.desk.sign_off(drill_id, name, capacity, comment)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_review_console(
    snap_compare: Snap, store: Store, flood_bundle: Bundle, lang: str, size: tuple[int, int]
) -> None:
    roles = [r.id for r in flood_bundle.compiled.plan.roles]
    # two sites, named here: the machine's name ($DRILLHALL_SITE, else the host's) would
    # differ from one machine to the next
    for seed, bot, site in (
        (1, "novice", "益阳防汛办"),
        (2, "idle", "river-hq"),
        (3, "ideal", "river-hq"),
    ):
        store.site = site
        DrillSession.create(
            store, flood_bundle, seed=seed, bots=dict.fromkeys(roles, bot)
        ).run_headless()
    app = make_app("review", lang=lang, desk=FixedScores(StoreDesk(store)))

    async def run_before(pilot: Pilot[None]) -> None:
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the console")
        screen: Any = app.screen
        await until(pilot, lambda: screen.selected is not None, "a drill shown")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)
