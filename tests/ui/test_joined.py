"""Joined trainees: a console in another process reaches the host only through its gateway
(here the gateway runs in this process, the console talks to it over its socket)."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList
from textual.widgets._footer import FooterKey

from drills.port.feeds import JoinForm
from drills.port.views import DecisionRecorded, SubmissionRefused
from drills.rooms.remote import GatewayLobby
from drills.store import rooms
from drills.ui.app import DrillhallApp, make_app
from drills.ui.screens.briefing import BriefingScreen
from drills.ui.screens.confirm import ConfirmScreen
from drills.ui.screens.help import HelpScreen
from drills.ui.screens.lobby import LobbyScreen
from drills.ui.screens.results import ResultsScreen
from drills.ui.screens.trainee import TraineeScreen
from drills.ui.widgets.clock import ClockBar
from drills.ui.widgets.composer import Composer
from drills.ui.widgets.inbox import InboxItem
from engine.bundle import Bundle
from engine.events import Decision

from ..conftest import NewDb
from .conftest import (
    HostedDrill,
    Wall,
    choose_action,
    feedback,
    focused_on,
    highlight,
    last_feedback,
    plain,
    screen_text,
    showing,
    until,
)


def joined_app(hosted: HostedDrill, role: str = "hydrology", name: str = "Li") -> DrillhallApp:
    return make_app("trainee", lang="en", trainee=hosted.join(role, name))


async def past_the_briefing(pilot: Pilot[None], app: DrillhallApp) -> TraineeScreen:
    """A joined console shows the briefing first too; Enter closes it."""
    await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "the briefing")
    await until(pilot, lambda: focused_on(app, "ready"), "the Close button focused")
    await pilot.press("enter")
    await until(pilot, lambda: isinstance(app.screen, TraineeScreen), "the console")
    assert isinstance(app.screen, TraineeScreen)
    return app.screen


async def test_a_joined_trainee_console_decides_through_the_host(hosted: HostedDrill) -> None:
    app = joined_app(hosted)
    hosted.live.resume()  # the trainer starts: bots take the roles nobody joined
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await past_the_briefing(pilot, app)
        await until(pilot, lambda: screen.query(InboxItem), "I01 from the host", tick=hosted.tick)
        screen.query_one(Composer).set_action("issue_forecast")
        await until(pilot, lambda: screen.query("#param-crest"), "the crest field")
        await pilot.press("f5")
        await until(
            pilot,
            lambda: any("Recorded: Issue a flood forecast" in x for x in feedback(app)),
            "the host's answer",
            tick=hosted.tick,
        )
        await pilot.press("f6")  # the trainer owns the clock: nothing happens here
        assert hosted.live.clock().paused is False
        hosted.room.stop()  # the host goes away: the trainee is told, and told when it is back
        await until(pilot, lambda: any("unreachable" in x for x in feedback(app)), "told")
        hosted.restart_gateway()
        await until(pilot, lambda: "Reconnected to the host" in last_feedback(app), "back")


async def test_a_joined_console_hides_clock_keys_and_follows_the_hosts_clock(
    hosted: HostedDrill,
) -> None:
    app = joined_app(hosted)
    async with app.run_test(size=(120, 40)) as pilot:
        await showing(pilot, BriefingScreen, "the briefing")
        briefing = screen_text(app)
        assert "Close" in briefing and "Start the drill" not in briefing  # the trainer starts
        assert "F5  Submit" in briefing and "F6" not in briefing and "F9" not in briefing
        screen = await past_the_briefing(pilot, app)

        def footer() -> set[str]:  # drawn again when the console is back on top
            return {k.key for k in screen.query(FooterKey)}

        await until(pilot, lambda: {"f2", "f3", "f4", "f5"} <= footer(), "the console's keys")
        assert not footer() & {"f6", "f7", "f8", "f9"}
        await pilot.press("f1")
        await showing(pilot, HelpScreen, "the help")
        help_text = screen_text(app)
        assert "Submit" in help_text
        assert not any(k in help_text for k in ("F6", "F7", "F8", "F9", "Pause", "Faster"))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen, "the console")
        bar = screen.query_one(ClockBar)

        hosted.live.resume()
        hosted.live.set_speed(480)
        await until(pilot, lambda: bar.speed == 480 and not bar.paused, tick=hosted.tick)
        assert "×480 running" in plain(bar)
        hosted.live.toggle_pause()
        await until(pilot, lambda: bar.paused, "paused like the host", tick=hosted.tick)
        assert "×480 paused" in plain(bar)
        await pilot.press("f8", "f6")  # refused here: the host's clock stays as it is
        assert hosted.live.clock().speed == 480 and hosted.live.clock().paused


async def test_a_hint_to_other_roles_does_not_reach_a_joined_console(
    hosted: HostedDrill,
) -> None:
    app = joined_app(hosted)
    hosted.live.resume()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await past_the_briefing(pilot, app)
        await until(pilot, lambda: screen.query(InboxItem), "I01", tick=hosted.tick)
        hosted.live.hint(("county_hq", "rescue"), "Check the Xindi dike")
        hosted.live.hint(("hydrology", "county_hq"), "Re-forecast the crest")
        await until(pilot, lambda: len(screen.query(InboxItem)) == 2, "a hint", tick=hosted.tick)
        titles = [item.entry.title for item in screen.query(InboxItem)]
        assert titles[-1] == "Hint: Re-forecast the crest"
        assert not any("Xindi" in t for t in titles)


async def test_a_joined_exam_trainee_gets_own_results_but_not_the_report(
    new_db: NewDb, flood_bundle: Bundle, wall: Wall, random_codes: None
) -> None:
    hosted = HostedDrill(new_db("exam"), flood_bundle, wall, mode="exam")
    try:
        app = joined_app(hosted)
        hosted.live.resume()
        hosted.live.set_speed(100_000)
        async with app.run_test(size=(120, 40)) as pilot:
            await past_the_briefing(pilot, app)

            def host_plays() -> None:  # the host plays to the end; the console follows
                wall.t += 60
                hosted.live.advance()

            await until(pilot, lambda: hosted.live.ended, "the end", 30, tick=host_plays)
            await until(pilot, lambda: isinstance(app.screen, ResultsScreen), "results", 30)
            screen = app.screen
            assert isinstance(screen, ResultsScreen)
            await until(pilot, lambda: screen.results is not None, "the results", 30)
            shown = "\n".join(screen.text_lines)
            assert "Your score:" in shown and "Team score:" in shown
            await pilot.press("r")
            await until(
                pilot,
                lambda: any("debrief" in n.message for n in app._notifications),
                "the refusal",
                30,
            )
    finally:
        hosted.close()


async def test_the_lobby_takes_the_seat_token_and_joins_its_role(hosted: HostedDrill) -> None:
    """Code, name, token (a password field: never shown), Enter from field to field; the
    role the token opens is listed, and picked."""
    other = hosted.join("hydrology", "Wang")  # hydrology is taken
    token = hosted.tokens["duty_officer"]
    app = make_app("lobby", lang="en", lobby=GatewayLobby())
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LobbyScreen), "the lobby")
        lobby = app.screen
        assert lobby.query_one("#token", Input).password
        await until(pilot, lambda: focused_on(app, "code"), "the code field focused")
        await pilot.press(*"nope", "enter", *"Zhao", "enter", *token, "enter")
        await until(pilot, lambda: "no drill with code 'nope'" in screen_text(app), "refused")
        assert token not in screen_text(app) and token[:8] not in screen_text(app)
        code = lobby.query_one("#code", Input)
        code.value = ""
        code.focus()
        await pilot.press(*hosted.code, "enter", "enter", "enter")  # name, token are kept
        roles = lobby.query_one("#roles", OptionList)
        await until(pilot, lambda: roles.option_count > 0 and roles.has_focus, "the roles")
        ids = [roles.get_option_at_index(i).id for i in range(roles.option_count)]
        assert ids == ["duty_officer"]  # the one role this token opens
        assert "City hydrology bureau" not in screen_text(app)
        await pilot.press("enter")
        await showing(pilot, BriefingScreen, "the briefing")
        assert "Role: Flood-office duty officer" in screen_text(app)
        await until(pilot, lambda: focused_on(app, "ready"), "the Close button focused")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TraineeScreen), "the console")
        assert rooms.participants(hosted.store, hosted.code) == {
            "hydrology": "Wang",
            "duty_officer": "Zhao",
        }
    assert other.role == "hydrology"


async def test_the_lobby_refuses_a_wrong_token_and_joins_a_named_role(
    hosted: HostedDrill,
) -> None:
    """`drillhall join CODE --role ROLE --name NAME` without a token in the environment:
    the join screen, filled in but for the token; a wrong token is refused with the
    reason; the right one goes straight to the role."""
    form = JoinForm(hosted.code, "Li", "hydrology")
    app = make_app("lobby", lang="en", lobby=GatewayLobby(form))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LobbyScreen), "the lobby")
        lobby = app.screen
        field = lobby.query_one("#token", Input)
        await until(pilot, lambda: field.has_focus, "the token field focused")
        assert lobby.query_one("#code", Input).value == hosted.code
        await pilot.press(*hosted.tokens["commander"], "enter")
        await until(
            pilot,
            lambda: "is for role 'commander', not 'hydrology'" in screen_text(app),
            "the refusal",
        )
        field.value = ""
        await pilot.press(*hosted.tokens["hydrology"], "enter")
        await showing(pilot, BriefingScreen, "the briefing")
        assert "Role: City hydrology bureau" in screen_text(app)
    assert rooms.participants(hosted.store, hosted.code) == {"hydrology": "Li"}


async def test_a_decision_made_in_a_joined_console_is_the_participants(
    hosted: HostedDrill,
) -> None:
    app = joined_app(hosted, name="Li")
    hosted.live.resume()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await past_the_briefing(pilot, app)
        await until(pilot, lambda: screen.query(InboxItem), "I01", tick=hosted.tick)
        await choose_action(pilot)
        await until(pilot, lambda: app.focused is not None and app.focused.id == "param-crest")
        await pilot.press("tab")  # keys typed before Tab has moved on stay in the crest
        await until(pilot, lambda: focused_on(app, "note"), "on to the note")
        await pilot.press(*"joined", "enter", "f5")
        recorded: list[DecisionRecorded] = []

        def answered() -> bool:
            hosted.tick()
            recorded[:] = [v for v in hosted.live.backlog() if isinstance(v, DecisionRecorded)]
            return bool(recorded)

        await until(pilot, answered, "the host to apply it")
        assert recorded[0].participant == "Li" and recorded[0].note == "joined"


async def test_quitting_a_joined_console_says_how_to_rejoin(hosted: HostedDrill) -> None:
    app = joined_app(hosted, name="Li Ming")
    async with app.run_test(size=(120, 40)) as pilot:
        await past_the_briefing(pilot, app)
        await pilot.press("ctrl+q")
        asked = await showing(pilot, ConfirmScreen, "the question")
        rejoin = f"drillhall join {hosted.code} --role hydrology --name 'Li Ming'"
        question = plain(asked.query_one("#question"))
        assert question == f"The drill goes on without you. Rejoin with {rejoin}. Quit now?"
        await pilot.click("#yes")
        await until(pilot, lambda: not app.is_running, "the app to exit")
    assert app.farewell == f"Rejoin with: {rejoin}"
    assert hosted.live.clock().paused  # a trainee's quitting does not touch the host's clock


async def test_the_trainer_sees_the_seat_tokens_and_frees_a_seat(hosted: HostedDrill) -> None:
    """F5 in a hosted drill's trainer console: each role's token and who holds it; freeing
    a seat there revokes its token (its console is hung up on) and shows the new one."""
    from drills.ui.screens.seats import SeatsScreen
    from drills.ui.screens.trainer import TrainerScreen

    old = hosted.tokens["hydrology"]
    li = hosted.join("hydrology", "Li")
    app = make_app("trainer", lang="en", trainer=hosted.live)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        await until(pilot, lambda: "Li (connected)" in screen_text(app), "Li in the roster")
        await pilot.press("f5")
        await showing(pilot, SeatsScreen, "the seats")
        shown = screen_text(app)
        assert "Seats and tokens" in shown and old in shown and hosted.tokens["commander"] in shown
        await highlight(pilot, app.screen.query_one("#seats", OptionList), "hydrology")
        await pilot.click("#free")
        asked = await showing(pilot, ConfirmScreen, "the question")
        assert "its token is revoked" in plain(asked.query_one("#question"))
        await pilot.click("#yes")
        await until(pilot, lambda: isinstance(app.screen, SeatsScreen), "the seats again")
        new = hosted.live.seat_tokens()["hydrology"]
        assert new != old
        await until(pilot, lambda: new in screen_text(app) and old not in screen_text(app))
        await until(
            pilot, lambda: any(new in n.message for n in app._notifications), "the new token"
        )
    assert rooms.participants(hosted.store, hosted.code) == {}
    lost = [v for v in li.advance() if isinstance(v, SubmissionRefused)]
    assert len(lost) == 1 and "the trainer freed this seat" in lost[0].reason.en


async def test_a_trainees_decision_wakes_the_trainer_console(
    hosted: HostedDrill, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hosting console does not wait for its next tick: the gateway's word that a
    decision came reaches it as a message, and the decision is applied then."""
    from drills.ui.screens.trainer import TrainerScreen

    woken: list[object] = []
    original = TrainerScreen.on_trainer_screen_decisions_arrived

    def counted(screen: TrainerScreen, message: TrainerScreen.DecisionsArrived) -> None:
        woken.append(message)
        original(screen, message)

    monkeypatch.setattr(TrainerScreen, "on_trainer_screen_decisions_arrived", counted)
    monkeypatch.setattr("drills.ui.screens.trainer.TICK_SECONDS", 3600.0)  # only the wake
    li = hosted.join("hydrology", "Li")
    app = make_app("trainer", lang="en", trainer=hosted.live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        hosted.live.resume()
        console = app.screen
        assert isinstance(console, TrainerScreen)
        console.advance()  # the start, as the trainer's first tick would show it
        li.submit(Decision("hydrology", "issue_forecast", note="from Li"))

        def applied() -> bool:
            inputs = hosted.store.inputs(hosted.code)
            return any(getattr(i, "note", "") == "from Li" for _, i in inputs)

        await until(pilot, lambda: bool(woken) and applied(), "the decision to wake the host")
