"""The trainee console, driven as a trainee would: read, choose, fill in, submit."""

from pathlib import Path

from drills.ui.screens.results import ResultsScreen
from drills.ui.screens.role_picker import RolePickerScreen
from drills.ui.screens.trainee import TraineeScreen
from drills.ui.widgets.checklist import Checklist
from drills.ui.widgets.composer import Composer
from drills.ui.widgets.inbox import Inbox
from engine.events import Kind

from .conftest import trainee_app


def feedback(app) -> list[str]:
    return [line.text for line in app.screen.query_one("#feedback").lines]


async def test_a_decision_made_with_keys_is_accepted_and_scored(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, TraineeScreen)
        assert app.screen.query_one(Inbox).unread() == 1  # I01 at 06:00 is for hydrology
        checklist = app.screen.query_one(Checklist)
        assert list(checklist.items) == ["E-forecast-1"]
        await pilot.press("ctrl+d")  # focus the action list
        assert app.focused.id == "action"
        app.screen.query_one(Composer).set_action("issue_forecast")
        await pilot.pause()
        await pilot.click("#param-crest")
        await pilot.press(*"34.9")
        await pilot.click("#note")
        await pilot.press(*"河口站洪峰预报", "enter")
        await pilot.pause()
        lines = feedback(app)
        assert any("Recorded: Issue a flood forecast" in line for line in lines)
        assert any(
            line.split("  ", 1)[1].startswith("✓ met: Hydrology bureau issues") for line in lines
        )
        assert checklist.items["E-forecast-1"].status == "met"
        accepted = [e for e in app.live.engine.events if e.kind == Kind.DECISION_ACCEPTED]
        assert accepted[0].data["params"] == {"crest": 34.9}
        assert accepted[0].data["note"] == "河口站洪峰预报"
        assert accepted[0].data["participant"] == "Li Ming"


async def test_incomplete_and_refused_decisions_say_why(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall, role="commander")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+s")  # nothing chosen
        await pilot.pause()
        assert feedback(app)[-1].endswith("✗ Choose an action")
        composer = app.screen.query_one(Composer)
        composer.set_action("activate_response")
        await pilot.pause()
        await pilot.press("ctrl+s")  # level missing
        await pilot.pause()
        assert feedback(app)[-1].endswith("✗ Level?")


async def test_pause_freezes_the_clock_and_skip_jumps_to_the_next_inject(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        wall.t += 5
        await pilot.pause(0.2)
        assert app.live.now == 300
        await pilot.press("space")
        wall.t += 100
        await pilot.pause(0.2)
        assert app.live.now == 300 and app.live.clock.paused
        await pilot.press("space")
        await pilot.pause(0.2)
        assert app.live.now == 300  # no catch-up burst after the pause
        await pilot.press("ctrl+n")
        await pilot.pause(0.2)
        assert app.live.now == 900  # I02 at 06:15
        await pilot.press("right_square_bracket")
        assert app.live.clock.speed == 120


async def test_the_clock_keeps_ticking_while_a_decision_is_typed(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.click("#note")
        seen = []
        for ch in "typing a long note":
            wall.t += 1
            await pilot.press(ch)
            await pilot.pause(0.12)
            seen.append(app.live.now)
        assert seen == sorted(seen) and len(set(seen)) > 10


async def test_exam_mode_shows_no_answer_key(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall, mode="exam")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app.screen.query(Checklist)
        composer = app.screen.query_one(Composer)
        composer.set_action("issue_forecast")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        lines = feedback(app)
        assert any("Recorded" in line for line in lines)
        assert not any("met:" in line or "proxy" in line for line in lines)


async def test_results_screen_and_report(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall, speed=100_000)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        wall.t += 10
        await pilot.pause(0.3)
        assert isinstance(app.screen, ResultsScreen)
        text = "\n".join(app.screen.text_lines)
        assert "Your score" in text and "Team score" in text
        await pilot.click("#report")
        await app.workers.wait_for_complete()
        for _ in range(50):  # the worker's message is handled on a later turn
            if hasattr(app.screen, "report_path"):
                break
            await pilot.pause(0.05)
        path = Path(app.screen.report_path)
        assert path.exists() and path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
        await pilot.click("#self")
        await pilot.pause()
        app.screen.query_one("#text").text = "I forecast late; I will check the gauges sooner."
        await pilot.click("#ok")
        await pilot.pause()
        from drills.store.notes import notes

        saved = notes(store, app.live.session.drill_id)
        assert [(n.kind, n.author, n.role) for n in saved] == [("self", "Li Ming", "hydrology")]


async def test_without_a_role_the_trainee_picks_one(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall, role=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, RolePickerScreen)
        await pilot.press("down", "enter")  # the second role: the commander
        await pilot.pause()
        assert isinstance(app.screen, TraineeScreen) and app.screen.role == "commander"


async def test_help_and_theme(store, flood_bundle, wall):
    app = trainee_app(store, flood_bundle, wall)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#help-table")
        keys = [table.get_row_at(i)[0] for i in range(table.row_count)]
        assert "space" in keys and "ctrl+s" in keys and "f1" in keys
        await pilot.press("escape")
        await pilot.press("ctrl+t")
        assert app.theme == "textual-light"
