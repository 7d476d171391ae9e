"""The end of a drill: the saved final score is the journal rescored, whatever the console
received meanwhile (a cancelled live-score worker used to deliver a stale score after the
end, and the trainer console saved it: history said 100.0 P, the report 66.7 M)."""

from __future__ import annotations

import time
from dataclasses import replace

from textual.pilot import Pilot

from drills.play.live import LiveDrill
from drills.store.database import Store
from drills.ui.app import DrillhallApp
from drills.ui.screens.trainer import TrainerScreen
from drills.ui.screens.trainer_results import TrainerResultsScreen
from engine.bundle import Bundle
from scoring.profile import DEFAULT_PROFILE
from scoring.score import DrillScore, score_drill

from .conftest import Wall, trainer_app


async def until(pilot: Pilot[None], done: object, what: str, turns: int = 400) -> None:
    for _ in range(turns):
        if callable(done) and done():
            return
        await pilot.pause()
    raise AssertionError(f"timed out waiting for {what}")


def rescored(store: Store, drill_id: str, bundle: Bundle) -> tuple[float, str]:
    score = score_drill(bundle.compiled, store.events(drill_id), DEFAULT_PROFILE)
    return score.score, score.rating


async def test_a_stale_live_score_after_the_end_is_never_saved(
    store: Store, flood_bundle: Bundle, wall: Wall
) -> None:
    app: DrillhallApp = trainer_app(store, flood_bundle, wall, bots="novice", speed=100_000)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, TrainerScreen)
        live = app.trainer
        assert isinstance(live, LiveDrill)
        stale = replace(live.live_score(), score=100.0, rating="P")  # computed before the end

        def slow_live_score() -> DrillScore:  # a live-score worker still busy at the end
            time.sleep(0.3)
            return stale

        live.live_score = slow_live_score  # type: ignore[method-assign]
        screen.refresh_scores()
        live.toggle_pause()
        wall.t += 10  # the whole drill at 100,000x
        await until(pilot, lambda: live.ended, "the end of the drill")
        # what the cancelled live-score worker used to deliver after the end
        screen.post_message(TrainerScreen.ScoresComputed(stale))
        await until(pilot, lambda: isinstance(app.screen, TrainerResultsScreen), "the results view")
        saved = store.saved_score(live.drill_id, DEFAULT_PROFILE.label)
        assert saved is not None and saved != (100.0, "P")
        assert saved == rescored(store, live.drill_id, flood_bundle)
        results = app.screen
        assert isinstance(results, TrainerResultsScreen)
        assert (results.score.score, results.score.rating) == saved


def test_the_final_score_is_computed_and_saved_once(
    store: Store, flood_bundle: Bundle, wall: Wall
) -> None:
    from drills.play.session import DrillSession

    roles = [r.id for r in flood_bundle.compiled.plan.roles]
    session = DrillSession.create(store, flood_bundle, seed=5, bots=dict.fromkeys(roles, "novice"))
    live = LiveDrill(session, 100_000, now=wall, paused=False)
    calls: list[int] = []
    real = live.ending._score

    def counting(compiled: object, events: list[object]) -> DrillScore:
        calls.append(len(events))
        return real(compiled, events)  # type: ignore[arg-type]

    live.ending._score = counting  # type: ignore[assignment]
    wall.t += 10
    while not live.ended:
        live.advance_events()
    for _ in range(3):  # every later tick, and a headless finish, reuse the one result
        live.advance_events()
    outcome = live.finish()
    assert live.final_score(5) is outcome.score
    assert calls == [len(session.engine.events)]
    saved = store.saved_score(live.drill_id, DEFAULT_PROFILE.label)
    assert saved == rescored(store, live.drill_id, flood_bundle)
    assert store.drill(live.drill_id).status == "ended"
