"""SVG snapshots of the main screens at 80x24 and 120x40, in Chinese and English.

Deterministic: a fake wall clock, frozen cursors, fixed drill ids and dates (conftest).
Review a change with `pytest tests/ui/test_snapshots.py --snapshot-update` only after
looking at snapshot_report.html.
"""

import pytest

from drills.play.session import DrillSession
from drills.ui.app import make_app
from drills.ui.widgets.inbox import Inbox

from .conftest import trainee_app, trainer_app

SIZES = [(80, 24), (120, 40)]
LANGS = ["zh", "en"]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_trainee_console(snap_compare, store, flood_bundle, wall, lang, size):
    app = trainee_app(store, flood_bundle, wall, lang=lang, role="duty_officer")

    async def run_before(pilot):
        wall.t += 16  # 06:16 at 60x: I02 (the forecast fax) has arrived
        pilot.app.screen.advance()
        await pilot.pause(0.3)
        inbox = pilot.app.screen.query_one(Inbox)
        inbox.index = 0
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_trainer_console(snap_compare, store, flood_bundle, wall, lang, size):
    app = trainer_app(store, flood_bundle, wall, lang=lang)

    async def run_before(pilot):
        pilot.app.live.resume()
        wall.t += 6  # one hour of scenario time at 600x
        await pilot.pause(0.3)
        pilot.app.live.pause()
        pilot.app.screen.advance()  # do not rely on the 0.1 s timer under load
        await pilot.pause(0.2)
        pilot.app.screen.refresh_scores()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("lang", LANGS)
def test_review_console(snap_compare, store, flood_bundle, lang, size):
    roles = [r.id for r in flood_bundle.compiled.plan.roles]
    for seed, bot in ((1, "novice"), (2, "idle"), (3, "ideal")):
        DrillSession.create(
            store, flood_bundle, seed=seed, bots=dict.fromkeys(roles, bot)
        ).run_headless()
    app = make_app("review", lang=lang, store=store)

    async def run_before(pilot):
        await pilot.pause(0.2)

    assert snap_compare(app, terminal_size=size, run_before=run_before)
