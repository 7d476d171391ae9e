"""The trainer and review consoles, driven with keys, buttons and dialogs."""

import pytest
from textual.widgets import DataTable, Input, Select, TextArea

from drills.store.notes import notes
from drills.ui.app import make_app
from drills.ui.screens.dialogs import DialogScreen
from drills.ui.screens.review import ReviewScreen
from drills.ui.screens.trainer import TrainerScreen
from engine.events import Kind

from .conftest import trainer_app


async def test_trainer_controls_fire_hint_and_hotwash(store, flood_bundle, wall):
    app = trainer_app(store, flood_bundle, wall)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TrainerScreen)
        assert app.live.clock.paused
        await pilot.click("#pause")  # start
        wall.t += 2
        await pilot.pause(0.2)
        assert app.live.now == 1200
        board = screen.query_one("#board", DataTable)
        assert "E-forecast-1" in board.rows
        # fire an inject by hand
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert isinstance(app.screen, DialogScreen)
        app.screen.query_one("#inject", Select).value = "I08"
        await pilot.click("#ok")
        await pilot.pause()
        fired = [e for e in app.live.engine.events if e.kind == Kind.INJECT_DELIVERED]
        assert fired[-1].data == {**fired[-1].data, "inject": "I08", "manual": True}
        # a hint to one role
        await pilot.press("ctrl+h")
        await pilot.pause()
        app.screen.query_one("#role", Select).value = "county_hq"
        app.screen.query_one("#text", Input).value = "Check the Xindi dike"
        await pilot.click("#ok")
        await pilot.pause()
        hints = [e for e in app.live.engine.events if e.kind == Kind.HINT_SENT]
        assert hints[-1].data["to"] == ["county_hq"]
        # end, then the hot-wash notes
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert app.live.ended and isinstance(app.screen, DialogScreen)
        app.screen.query_one("#author", Input).value = "Trainer Wang"
        app.screen.query_one("#notes", TextArea).text = "Reports were slow."
        await pilot.click("#ok")
        await pilot.pause()
        saved = notes(store, app.live.session.drill_id)
        assert [(n.author, n.text) for n in saved] == [("Trainer Wang", "Reports were slow.")]
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Team score" in str(screen.query_one("#scoreboard").render())


async def test_speed_and_skip_in_the_trainer(store, flood_bundle, wall):
    app = trainer_app(store, flood_bundle, wall)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+n")  # skipping works while paused too
        await pilot.pause(0.2)
        assert app.live.now == 900 and app.live.clock.paused
        await pilot.press("space", "ctrl+n")
        await pilot.pause(0.2)
        assert app.live.now == 1800 and not app.live.clock.paused
        await pilot.press("left_square_bracket")
        assert app.live.clock.speed == 300


async def test_review_filters_sign_off_and_export(store, flood_bundle, worked_bundle, wall):
    from drills.play.session import DrillSession

    for bundle, bot in ((flood_bundle, "ideal"), (worked_bundle, "ideal"), (flood_bundle, "idle")):
        roles = [r.id for r in bundle.compiled.plan.roles]
        DrillSession.create(store, bundle, bots=dict.fromkeys(roles, bot)).run_headless()
    app = make_app("review", lang="en", store=store)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        table = screen.query_one("#drill-table", DataTable)
        assert table.row_count == 3
        await pilot.press("ctrl+l", *"worked")
        await pilot.pause()
        assert table.row_count == 1
        screen.query_one("#scenario-filter", Input).value = ""
        screen.query_one("#rating-filter", Select).value = "U"
        await pilot.pause()
        assert table.row_count == 1
        drill = screen.selected
        await pilot.press("ctrl+g")
        await pilot.pause()
        app.screen.query_one("#name", Input).value = "Safety manager Zhang"
        await pilot.click("#ok")
        await pilot.pause()
        assert "Signed by: Safety manager Zhang" in str(screen.query_one("#detail").render())
        await pilot.press("ctrl+r")
        await app.workers.wait_for_complete()
        assert (store.path.parent / "reports" / f"{drill}.html").exists()


@pytest.fixture
def random_codes(monkeypatch):
    """Gateways are machine-wide (one socket per drill code): tests running at the same
    time in other workers must not share the fixed ids the snapshots use."""
    import secrets

    monkeypatch.setattr("drills.store.database.new_drill_id", lambda: secrets.token_hex(4))


@pytest.mark.usefixtures("random_codes")
async def test_a_joined_trainee_console_decides_through_the_host(tmp_path, flood_bundle, wall):
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.rooms.gateway import RoomGateway
    from drills.rooms.remote import RemoteDrill
    from drills.store.database import Store
    from drills.ui.screens.trainee import TraineeScreen
    from drills.ui.widgets.composer import Composer

    host_store = Store(tmp_path / "d.db")
    session = DrillSession.create(host_store, flood_bundle, bots={})
    host = LiveDrill(session, 60, now=wall, paused=True, room_bots="ideal")
    code = session.drill_id
    room = RoomGateway(host_store.path, code).start()
    remote = RemoteDrill(code, "hydrology", "Li")
    host.resume()
    host.advance()
    app = make_app("join", lang="en", remote=remote)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, TraineeScreen)
        screen.query_one(Composer).set_action("issue_forecast")
        await pilot.pause()
        await pilot.press("ctrl+s")
        host.advance()  # the host applies the submission on its next tick
        await pilot.pause(0.3)
        lines = [line.text for line in screen.query_one("#feedback").lines]
        assert any("Recorded: Issue a flood forecast" in line for line in lines)
        await pilot.press("space")  # the trainer owns the clock
        assert host.clock.paused is False
        room.stop()  # the host goes away: the trainee is told, and told when it is back
        await pilot.pause(0.3)
        room = RoomGateway(host_store.path, code).start()
        remote._next_try = 0
        await pilot.pause(0.3)
        lines = [line.text for line in screen.query_one("#feedback").lines]
        assert any("The host is unreachable; reconnecting" in line for line in lines)
        assert "Reconnected to the host" in lines[-1]
    room.stop()


@pytest.mark.usefixtures("random_codes")
async def test_a_joined_exam_trainee_gets_own_results_but_not_the_report(
    tmp_path, flood_bundle, wall
):
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.rooms.gateway import RoomGateway
    from drills.rooms.remote import RemoteDrill
    from drills.store.database import Store
    from drills.ui.screens.results import ResultsScreen

    host_store = Store(tmp_path / "d.db")
    session = DrillSession.create(host_store, flood_bundle, bots={}, mode="exam")
    host = LiveDrill(session, 60, now=wall, paused=True, room_bots="ideal")
    with RoomGateway(host_store.path, session.drill_id):
        remote = RemoteDrill(session.drill_id, "hydrology", "Li")
        host.resume()
        app = make_app("join", lang="en", remote=remote)
        async with app.run_test(size=(120, 40)) as pilot:
            for _ in range(12):  # the host plays to the end; the console follows
                wall.t += 60
                host.advance()
                await pilot.pause(0.15)
            assert host.ended
            for _ in range(50):  # the console's next ticks see the end
                if isinstance(app.screen, ResultsScreen):
                    break
                await pilot.pause(0.1)
            screen = app.screen
            assert isinstance(screen, ResultsScreen)
            shown = "\n".join(screen.text_lines)
            assert "Your score:" in shown and "Team score:" in shown
            await pilot.press("r")
            await app.workers.wait_for_complete()
            await pilot.pause()
            notes = [n.message for n in app._notifications]
            assert any("shares the report at the debrief" in n for n in notes)
