"""The trainer and review consoles, driven with keys, buttons and dialogs."""

from __future__ import annotations

import re

import pytest
from textual.command import CommandInput, CommandList
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input, OptionList, Select, SelectionList, TextArea
from textual.widgets._footer import FooterKey

from drills.play.session import DrillSession
from drills.port.labels import LABELS
from drills.port.text import name_problem
from drills.port.views import HintArrived, SubmissionRefused
from drills.port.visibility import trainee_views
from drills.review.desk import StoreDesk
from drills.rooms.remote import RemoteDrill
from drills.store import rooms
from drills.store.database import Store
from drills.store.notes import notes
from drills.ui.app import DrillhallApp, make_app
from drills.ui.screens.confirm import ConfirmScreen
from drills.ui.screens.dialogs import DialogScreen
from drills.ui.screens.fire import FireScreen
from drills.ui.screens.help import HelpScreen
from drills.ui.screens.hint import HintScreen
from drills.ui.screens.review import ReviewScreen
from drills.ui.screens.trainer import TrainerScreen
from drills.ui.screens.trainer_results import TrainerResultsScreen
from drills.ui.widgets.clock import ClockBar
from engine.bundle import Bundle
from engine.events import Event, Kind
from scoring.score import DrillScore

from .conftest import (
    HostedDrill,
    Wall,
    click_drawn,
    first_tick_done,
    focused_on,
    highlight,
    hosting,
    is_drawn,
    plain,
    region_text,
    screen_text,
    showing,
    trainer_app,
    until,
)

CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


def events_of(app: DrillhallApp, kind: Kind) -> list[Event]:
    live = hosting(app)
    return [e for e in live.engine.events if e.kind == kind]


def help_keys(screen: HelpScreen) -> dict[str, str]:
    table = screen.query_one("#help-table", DataTable)
    return {
        str(row[0]): str(row[1]) for row in (table.get_row_at(i) for i in range(table.row_count))
    }


def footer_keys(screen: Screen[object]) -> set[str]:
    return {k.key for k in screen.query(FooterKey)}


def stale_score(score: float = 100.0) -> DrillScore:
    """A live score as a worker might deliver it late: never the drill's final one."""
    from scoring.score import Metrics

    metrics = Metrics(None, None, None, 0, 0, 0, 0, {}, 0, None, 0, 0)
    return DrillScore(score, "P", "优", "default", [], {}, {}, [], metrics, [])


# -- running the drill ---------------------------------------------------------------------


async def test_start_speed_and_skip_in_the_trainer(
    store: Store, flood_bundle: Bundle, wall: Wall
) -> None:
    app = trainer_app(store, flood_bundle, wall)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        live = hosting(app)
        assert live.clock().paused
        await first_tick_done(pilot, live)
        await pilot.press("f9")  # skipping works while paused too
        await until(pilot, lambda: live.clock().now == 900, "06:15")
        assert live.clock().paused
        await click_drawn(pilot, "#pause")  # the Start button
        await until(pilot, lambda: not live.clock().paused, "running")
        await pilot.press("f9")
        await until(pilot, lambda: live.clock().now >= 1800, "06:30")
        await pilot.press("f7")
        await until(pilot, lambda: live.clock().speed == 300, "half the speed")
        await pilot.press("f8", "f8")
        await until(pilot, lambda: live.clock().speed == 1200, "four times faster")
        bar = app.screen.query_one(ClockBar)
        await until(pilot, lambda: "×1200 running" in plain(bar), "the bar says so")
        wall.t += 3  # an hour at 1200x
        await until(pilot, lambda: live.clock().now >= 1800 + 3600, "an hour later")
        board = app.screen.query_one("#board", DataTable)
        await until(pilot, lambda: "E-forecast-1" in board.rows, "the board")


async def test_the_fire_dialog_previews_what_the_inject_opens(
    store: Store, flood_bundle: Bundle, wall: Wall
) -> None:
    app = trainer_app(store, flood_bundle, wall)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        live = hosting(app)
        await first_tick_done(pilot, live)
        await pilot.press("f2")
        dialog = await showing(pilot, FireScreen, "the fire dialog")
        options = dialog.query_one("#injects", OptionList)
        preview = dialog.query_one("#preview")
        await until(pilot, lambda: options.has_focus, "the list focused")
        ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
        assert "I01" not in ids and ids[0] == "I02"  # I01 has fired at 06:00
        # the first is highlighted and previewed at once: I02, then I03 follows it
        await until(pilot, lambda: "I02" in plain(preview), "the preview of I02")
        assert "To: Flood-office duty officer, Director of the city flood-control" in plain(preview)
        assert "Then: I03" in plain(preview)
        await highlight(pilot, options, "I08")
        await until(pilot, lambda: "I08" in plain(preview), "the preview of I08")
        shown = plain(preview)
        assert "Opens: E-county-report County HQ reports a sudden danger" in shown
        assert "E-fight-seepage Local HQ organises fighting the piping" in shown
        assert "E-experts Water bureau sends experts" in shown
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is console, "the console")
        # the dialog's answer is handled after it has left the screen stack
        await until(
            pilot,
            lambda: events_of(app, Kind.INJECT_DELIVERED)[-1].data["inject"] == "I08",
            "I08 fired",
        )
        fired = events_of(app, Kind.INJECT_DELIVERED)
        assert fired[-1].data["manual"] is True
        board = console.query_one("#board", DataTable)
        await until(pilot, lambda: "E-fight-seepage" in board.rows, "its expectations")
        await pilot.press("f2")  # Escape fires nothing
        await until(pilot, lambda: isinstance(app.screen, FireScreen), "the dialog again")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        assert len(events_of(app, Kind.INJECT_DELIVERED)) == len(fired)


async def test_hints_reach_only_the_roles_ticked_and_none_ticked_means_all(
    store: Store, flood_bundle: Bundle, wall: Wall
) -> None:
    app = trainer_app(store, flood_bundle, wall)
    compiled = flood_bundle.compiled
    roles = [r.id for r in compiled.plan.roles]
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        await pilot.press("f3")
        dialog = await showing(pilot, HintScreen, "the hint dialog")
        picks = dialog.query_one(SelectionList)
        await until(pilot, lambda: picks.has_focus, "the roles focused")
        await pilot.press(*["down"] * roles.index("rescue"))  # one list takes them in turn
        await pilot.press("space", "down", "space")  # rescue and county_hq
        await pilot.press("tab")
        await until(pilot, lambda: focused_on(app, "hint-text"), "on to the text")
        dialog.query_one("#hint-text", Input).value = "Check the Xindi dike"
        await pilot.press("enter")  # Enter in the text moves to Send; it sends nothing yet
        await until(pilot, lambda: focused_on(app, "ok"), "on to Send")
        assert events_of(app, Kind.HINT_SENT) == []
        await pilot.press("enter")
        await until(pilot, lambda: app.screen is console, "the console")
        await until(pilot, lambda: events_of(app, Kind.HINT_SENT), "the hint sent")
        (hint,) = events_of(app, Kind.HINT_SENT)
        assert sorted(hint.data["to"]) == ["county_hq", "rescue"]
        seen = {
            role: [v for v in trainee_views([hint], compiled, role, "training")] for role in roles
        }
        assert {r for r, views in seen.items() if views} == {"county_hq", "rescue"}
        assert all(isinstance(v, HintArrived) for views in seen.values() for v in views)
        await pilot.press("f3")  # none ticked: every role
        dialog = await showing(pilot, HintScreen, "the dialog again")
        dialog.query_one("#hint-text", Input).value = "Everyone: report your status"
        await click_drawn(pilot, "#ok")
        await until(pilot, lambda: len(events_of(app, Kind.HINT_SENT)) == 2, "the second hint")
        assert events_of(app, Kind.HINT_SENT)[-1].data["to"] == roles
        await pilot.press("f3")  # an empty hint is not sent
        await showing(pilot, HintScreen, "the dialog again")
        await click_drawn(pilot, "#ok")
        await pilot.pause()
        assert isinstance(app.screen, HintScreen)
        await pilot.press("escape")
        assert len(events_of(app, Kind.HINT_SENT)) == 2


async def test_ending_asks_first_then_the_results_show_the_saved_final_score(
    store: Store, flood_bundle: Bundle, wall: Wall, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = trainer_app(store, flood_bundle, wall)
    live = hosting(app)
    # A late live score must never become the drill's result (the stale-score race).
    monkeypatch.setattr(live, "live_score", lambda: stale_score(100.0))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        scoreboard = console.query_one("#scoreboard")
        assert plain(scoreboard) == "—"  # nothing to score at 0:00
        await pilot.press("f6")
        await until(pilot, lambda: not live.clock().paused, "running")  # before time passes
        wall.t += 6
        await until(pilot, lambda: live.clock().now >= 3600, "an hour in")
        await until(pilot, lambda: "100.0" in plain(scoreboard), "a live score")
        await pilot.press("ctrl+e")
        asked = await showing(pilot, ConfirmScreen, "the question")
        question = plain(asked.query_one("#question"))
        assert question == "End the drill? No decision can be made after it."
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        assert not live.ended
        await pilot.press("ctrl+e")
        await showing(pilot, ConfirmScreen, "the question")
        await pilot.click("#yes")
        await until(pilot, lambda: live.ended, "the end")
        results = await showing(pilot, TrainerResultsScreen, "results", 30)
        final = live.final_score(0)
        assert final is not None
        saved = store.saved_score(live.drill_id, final.profile)  # what history reads
        assert saved is not None and saved[0] != 100.0
        shown = plain(results.query_one("#results-text"))
        assert f"Final score: {saved[0]:.1f}   Rating: {saved[1]}" in shown
        assert "100.0" not in shown.split("\n\n")[1]
        assert "What held the rating back" in shown and not CJK.search(shown.split("back")[0])
        assert f"Final score: {saved[0]:.1f}" in plain(scoreboard)  # the board says so too
        await pilot.press("f6")  # the hot-wash notes
        hotwash = await showing(pilot, DialogScreen, "the hot-wash")
        hotwash.query_one("#author", Input).value = "Trainer Wang"
        hotwash.query_one("#notes", TextArea).text = "Reports were slow."
        await pilot.click("#ok")
        await until(pilot, lambda: notes(store, live.drill_id), "the notes saved")
        saved_notes = notes(store, live.drill_id)
        assert [(n.author, n.text) for n in saved_notes] == [("Trainer Wang", "Reports were slow.")]
        await pilot.press("escape")  # back to the drill's board and timeline
        await until(pilot, lambda: app.screen is console, "the console")
        await pilot.press("ctrl+q")  # ended: quits without asking
        await until(pilot, lambda: not app.is_running, "the app to exit")


async def test_countdowns_on_the_trainer_board_follow_the_wall_clock(
    store: Store, worked_bundle: Bundle, wall: Wall
) -> None:
    app = trainer_app(store, worked_bundle, wall, bots="idle", speed=60)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        board = app.screen.query_one("#board", DataTable)
        await pilot.press("f6")
        await until(pilot, lambda: not hosting(app).clock().paused, "running")
        await until(pilot, lambda: "A1" in board.rows, "A1 on the board")

        def status(exp_id: str) -> str:
            return str(board.get_cell(exp_id, "status"))

        await until(pilot, lambda: status("A1") == "pending 35:00", "35 minutes left")
        assert status("A2") == "pending 30:00" and status("A3") == "pending 40:00"
        wall.t += 10
        await until(pilot, lambda: status("A1") == "pending 25:00", "25 minutes left")
        assert status("A2") == "pending 20:00"
        wall.t += 25  # A2's deadline has passed: overdue, still open until its hard limit
        await until(pilot, lambda: status("A2") == "pending -5:00", "A2 five minutes over")
        wall.t += 30  # past A2's hard limit (an hour): judged missed
        await until(pilot, lambda: status("A2") == "missed", "A2 missed")


async def test_trainer_help_and_palette_offer_only_what_applies(
    store: Store, flood_bundle: Bundle, wall: Wall
) -> None:
    app = trainer_app(store, flood_bundle, wall)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        await pilot.press("f1")
        shown = await showing(pilot, HelpScreen, "the help")
        assert help_keys(shown) == {
            "F6": "Pause/resume",
            "F7": "Slower",
            "F8": "Faster",
            "F9": "Skip to next inject",
            "F2": "Fire an inject",
            "F3": "Send a hint",
            "Ctrl+E": "End the drill",
            "F1": "Help",
            "Ctrl+Q": "Quit",
        }  # no F4: a drill nobody joins has no seats to free
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        titles = [c.title for c in app.get_system_commands(console)]
        assert titles[:7] == [
            "Pause/resume",
            "Slower",
            "Faster",
            "Skip to next inject",
            "Fire an inject",
            "Send a hint",
            "End the drill",
        ]
        await pilot.press("ctrl+p")  # the command palette runs it
        await until(pilot, lambda: isinstance(app.focused, CommandInput), "the palette")
        await pilot.press(*"send a hint")

        def found() -> bool:  # the search runs as the words come: this one found first
            commands = app.screen.query(CommandList)
            return bool(commands) and any(
                "Send a hint" in str(c.get_option_at_index(0).prompt)
                for c in commands
                if c.option_count
            )

        await until(pilot, found, "the command found")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, HintScreen), "the hint dialog")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        await pilot.press("ctrl+e")
        await showing(pilot, ConfirmScreen, "the question")
        await pilot.click("#yes")
        await until(pilot, lambda: isinstance(app.screen, TrainerResultsScreen), "results", 30)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        # after the end: nothing to run (its footer is drawn again when it is back on top)
        await until(pilot, lambda: footer_keys(console) == {"f1", "ctrl+q", "ctrl+p"}, "the footer")


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_trainer_console_fits_120x40_without_losing_names_or_state(
    hosted: HostedDrill, lang: str
) -> None:
    app = make_app("trainer", lang=lang, trainer=hosted.live)
    compiled = hosted.live.public
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        names = [" ".join(role.name.get(lang).split()) for role in compiled.plan.roles]
        await until(  # laid out, its footer drawn (a moment after the console is up)
            pilot,
            lambda: (
                is_drawn(app, "FooterKey")
                and all(name in region_text(app, console.query_one("#roster")) for name in names)
            ),
            "the roster, every name whole",
        )
        roster = region_text(app, console.query_one("#roster"))
        clock = region_text(app, console.query_one(ClockBar))
        assert console.query_one(ClockBar).region.height <= 3
        for tracked in compiled.scenario.tracked:
            assert tracked.name.get(lang) in clock, tracked.key
        join = region_text(app, console.query_one("#join-line"))
        assert f"drillhall join {hosted.code}" in join and hosted.code in join
        if lang == "en":
            ui = " ".join([roster, clock, join, region_text(app, console.query_one(FooterKey))])
            assert not CJK.search(ui), CJK.findall(ui)
        await pilot.press("f4")  # a hosted drill has seats to free
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")


# -- the review console --------------------------------------------------------------------


async def review_console(
    pilot: Pilot[None], app: DrillhallApp
) -> tuple[ReviewScreen, DataTable[object]]:
    """The review console once it is up, and its list of drills."""
    await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the console")
    screen = app.screen
    assert isinstance(screen, ReviewScreen)
    return screen, screen.query_one("#drill-table", DataTable)


async def test_review_filters_sign_off_and_export(
    store: Store, flood_bundle: Bundle, worked_bundle: Bundle, wall: Wall
) -> None:
    for bundle, bot in ((flood_bundle, "ideal"), (worked_bundle, "ideal"), (flood_bundle, "idle")):
        roles = [r.id for r in bundle.compiled.plan.roles]
        DrillSession.create(store, bundle, bots=dict.fromkeys(roles, bot)).run_headless()
    app = make_app("review", lang="en", desk=StoreDesk(store))
    async with app.run_test(size=(140, 40)) as pilot:
        screen, table = await review_console(pilot, app)
        assert table.row_count == 3
        await pilot.press("ctrl+l")
        await until(pilot, lambda: focused_on(app, "scenario-filter"), "the filter focused")
        await pilot.press(*"worked")
        await until(
            pilot,
            lambda: (
                [str(r[6]) for r in map(table.get_row_at, range(table.row_count))]
                == ["worked-example-fld007"]
            ),
        )
        screen.query_one("#scenario-filter", Input).value = ""
        screen.query_one("#rating-filter", Select).value = "U"
        await until(
            pilot, lambda: [r[2] for r in map(table.get_row_at, range(table.row_count))] == ["U"]
        )
        [row] = map(table.get_row_at, range(table.row_count))
        assert str(row[0]) == screen.selected  # the id tells identical rows apart
        assert (row[3], str(row[5]), row[7], str(row[8])) == (
            "ended",
            store.site,  # this machine's: $DRILLHALL_SITE, else the host name
            "training/practice",
            "bots only: idle",
        )
        drill = screen.selected
        detail = screen.query_one("#detail")
        assert "Rating: U" in plain(detail) and "差" not in plain(detail)
        await pilot.press("ctrl+g")
        signing = await showing(pilot, DialogScreen, "the sign-off")
        signing.query_one("#name", Input).value = "Safety manager Zhang"
        await pilot.click("#ok")
        await until(pilot, lambda: "Signed by: Safety manager Zhang" in plain(detail))
        await pilot.press("ctrl+r")
        report = store.path.parent / "reports" / f"{drill}.html"
        await until(pilot, report.exists, "the exported report", 30)


def played_at(store: Store, bundle: Bundle, *sites: str) -> list[str]:
    """One ended drill per site, in order; the store records its own site on each drill it
    creates (``Store.site``, from ``$DRILLHALL_SITE`` when it opened). A site name that a
    drill would refuse today (control characters) is written in afterwards, as a record
    from an older version or another tool may hold it."""
    roles = [r.id for r in bundle.compiled.plan.roles]
    drills = []
    for site in sites:
        store.site = site if name_problem(site) is None else "site-before"
        session = DrillSession.create(store, bundle, bots=dict.fromkeys(roles, "idle"))
        session.run_headless()
        if store.site != site:
            with store.sql.transaction():
                for table, column in (("drills", "id"), ("results", "drill_id"),
                                      ("role_scores", "drill_id")):  # fmt: skip
                    sql = f"UPDATE {table} SET site = ? WHERE {column} = ?"
                    store.sql.execute(sql, [site, session.drill_id])
        drills.append(session.drill_id)
    return drills


def listed(table: DataTable[object]) -> list[tuple[str, str]]:
    """(id, site) of each row in the drill list, top first."""
    rows = map(table.get_row_at, range(table.row_count))
    return [(str(row[0]), str(row[5])) for row in rows]


def site_options(screen: ReviewScreen) -> list[str]:
    """What the site filter offers, as shown (its prompt, "all sites", first)."""
    overlay = screen.query_one("#site-filter", Select).query_one(OptionList)
    return [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_review_filters_drills_by_site(store: Store, flood_bundle: Bundle, lang: str) -> None:
    north, south = played_at(store, flood_bundle, "益阳防汛办", "south-depot")
    words = {"zh": ("站点", "全部站点", "得分趋势"), "en": ("Site", "All sites", "Score trend")}
    column, everywhere, trend = words[lang]
    app = make_app("review", lang=lang, desk=StoreDesk(store))
    async with app.run_test(size=(140, 40)) as pilot:
        screen, table = await review_console(pilot, app)
        site_filter = screen.query_one("#site-filter", Select)
        both = [(south, "south-depot"), (north, "益阳防汛办")]  # same minute: larger id first
        await until(pilot, lambda: listed(table) == both, "both sites' drills")
        assert str(table.ordered_columns[5].label) == column
        # CJK, two cells a character (drawn once the console is laid out)
        await until(pilot, lambda: "益阳防汛办" in region_text(app, table), "the site drawn")
        assert site_filter.display and site_options(screen) == [
            everywhere,
            "south-depot",
            "益阳防汛办",
        ]
        assert everywhere in region_text(app, site_filter)
        await pilot.click("#site-filter")  # open it: nothing highlighted yet
        await until(pilot, lambda: site_filter.query_one(OptionList).has_focus, "the sites")
        await pilot.press("down", "down", "enter")  # "all sites", then the first site
        await until(pilot, lambda: listed(table) == [(south, "south-depot")], "south only")
        assert site_filter.value == "south-depot" and screen.selected == south
        assert plain(screen.query_one("#trend-title")) == f"{trend} · south-depot"
        assert f"{column}: south-depot" in plain(screen.query_one("#detail"))
        site_filter.value = "益阳防汛办"
        await until(pilot, lambda: listed(table) == [(north, "益阳防汛办")], "north only")
        assert screen.selected == north  # the shown drill follows the filter
        assert f"{column}: 益阳防汛办" in plain(screen.query_one("#detail"))
        site_filter.focus()
        await pilot.press("enter")
        await until(pilot, lambda: site_filter.query_one(OptionList).has_focus, "the sites")
        await pilot.press("home", "enter")  # back to "all sites"
        await until(pilot, lambda: listed(table) == both, "both again")
        assert site_filter.is_blank()
        assert plain(screen.query_one("#trend-title")) == trend
        screen.query_one("#scenario-filter", Input).value = south  # filters combine
        await until(pilot, lambda: listed(table) == [(south, "south-depot")], "by id")
        site_filter.value = "益阳防汛办"
        await until(pilot, lambda: table.row_count == 0, "nothing at both")
        assert plain(screen.query_one("#detail")) == LABELS["select_drill"][lang == "en"]


async def test_one_site_hides_the_site_filter_and_still_lists_its_drills(
    store: Store, flood_bundle: Bundle
) -> None:
    first, second = played_at(store, flood_bundle, "depot", "depot")
    app = make_app("review", lang="en", desk=StoreDesk(store))
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await review_console(pilot, app)
        await until(pilot, lambda: listed(table) == [(second, "depot"), (first, "depot")])
        site_filter = screen.query_one("#site-filter", Select)
        assert not site_filter.display  # nothing to choose between
        site_filter.value = "depot"  # and set anyway, it keeps them all
        await until(pilot, lambda: plain(screen.query_one("#trend-title")).endswith("depot"))
        assert listed(table) == [(second, "depot"), (first, "depot")]


HOSTILE_SITES = ("[bold]x[/]", "[@click=app.quit]q[/]", "\x1b]0;title\x07hq")


async def test_a_hostile_site_name_is_shown_literally(store: Store, flood_bundle: Bundle) -> None:
    """A site is named on its own machine ($DRILLHALL_SITE, the host name): console markup
    in it is text, and control characters are made visible (``printable``)."""
    bold, click, osc = played_at(store, flood_bundle, *HOSTILE_SITES)
    shown = {bold: "[bold]x[/]", click: "[@click=app.quit]q[/]", osc: "␛]0;title␇hq"}
    app = make_app("review", lang="en", desk=StoreDesk(store))
    async with app.run_test(size=(150, 40)) as pilot:
        screen, table = await review_console(pilot, app)
        await until(pilot, lambda: table.row_count == 3, "the three drills")
        assert dict(listed(table)) == shown
        await until(pilot, lambda: is_drawn(app, "#drill-table"), "the list laid out")
        on_screen = region_text(app, table)
        assert all(name[:12] in on_screen for name in shown.values()), on_screen  # 12 wide
        # by code point (ESC first), as shown
        assert site_options(screen) == ["All sites", shown[osc], shown[click], shown[bold]]
        await pilot.click("#site-filter")  # the choices, drawn
        options = screen.query_one("#site-filter", Select).query_one(OptionList)
        await until(pilot, lambda: options.has_focus and options.region, "the sites offered")
        drawn = region_text(app, options)
        assert all(name[:12] in drawn for name in shown.values()), drawn
        await pilot.click(options, offset=(4, 3))  # on "[@click=app.quit]q[/]": it is chosen
        site_filter = screen.query_one("#site-filter", Select)
        await until(pilot, lambda: [d for d, _ in listed(table)] == [click], "its drill only")
        assert site_filter.value == HOSTILE_SITES[1]
        assert "[@click=app.qui…" in region_text(app, site_filter)  # one line, cut short
        assert site_filter.region.height == 3  # the filter bar keeps its height
        detail = screen.query_one("#detail")
        assert "Site: [@click=app.quit]q[/]" in plain(detail)
        title = region_text(app, screen.query_one("#trend-title"))
        assert title == "Score trend · [@click=app.quit]q[/]"
        await pilot.click("#drill-table", offset=(60, 1))  # the site's cell: no action runs
        await pilot.click("#detail", offset=(8, 2))  # its "Site:" line
        await pilot.pause()
        assert app.is_running and app.screen is screen
        site_filter.value = HOSTILE_SITES[2]
        await until(pilot, lambda: [d for d, _ in listed(table)] == [osc], "the OSC site's")
        assert "\x1b" not in screen_text(app) and "Site: ␛]0;title␇hq" in plain(detail)


# -- free a seat (hosted drills) -----------------------------------------------------------


async def test_freeing_a_seat_releases_the_role_and_drops_its_console(
    hosted: HostedDrill,
) -> None:
    remote = hosted.join("hydrology", "Li")
    assert rooms.participants(hosted.store, hosted.code) == {"hydrology": "Li"}
    app = make_app("trainer", lang="en", trainer=hosted.live)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        roster = console.query_one("#roster", OptionList)
        await until(pilot, lambda: "Li (connected)" in region_text(app, roster), "Li, online")
        roster.focus()
        await highlight(pilot, roster, "hydrology")
        await pilot.press("ctrl+e")  # ending first: it says who is still connected
        asked = await showing(pilot, ConfirmScreen, "the end question")
        assert "1 trainee(s) are connected." in plain(asked.query_one("#question"))
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        await pilot.press("f4")
        asked = await showing(pilot, ConfirmScreen, "the question")
        question = plain(asked.query_one("#question"))
        assert "Free the seat of City hydrology bureau?" in question
        await click_drawn(pilot, "#yes")
        await until(pilot, lambda: app.screen is console, "the console")
        # the dialog's answer is handled after it has left the screen stack
        await until(
            pilot, lambda: rooms.participants(hosted.store, hosted.code) == {}, "the seat freed"
        )
        await until(pilot, lambda: hosted.live.connected_trainees() == 0, "the console dropped")
        await until(pilot, lambda: "Li" not in region_text(app, roster), "the seat empty")
        new = hosted.live.seat_tokens()["hydrology"]  # its token was replaced ...
        assert new != hosted.tokens["hydrology"]
        assert any(new in n.message for n in app._notifications)  # ... and shown
        views = remote.advance()  # the trainee's console tries again: its token is revoked
        assert any(getattr(v, "connected", None) is False for v in views), views
        reasons = [v.reason.en for v in views if isinstance(v, SubmissionRefused)]
        assert any("the trainer freed this seat" in reason for reason in reasons), views
        assert rooms.participants(hosted.store, hosted.code) == {}
        remote._next_try = 0
        assert remote.advance() == []  # and it stops knocking
        RemoteDrill(hosted.code, "hydrology", "Wang", token=new)  # the new token's holder
        assert rooms.participants(hosted.store, hosted.code) == {"hydrology": "Wang"}


async def test_the_trainer_quitting_mid_drill_asks_and_says_how_to_come_back(
    hosted: HostedDrill,
) -> None:
    trainee = hosted.join("hydrology", "Li")  # connected while the trainer quits
    app = make_app("trainer", lang="en", trainer=hosted.live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        assert trainee.connected
        await pilot.press("f6")  # start: the bots take the other roles
        await until(pilot, lambda: not hosted.live.clock().paused, "running")
        await pilot.press("ctrl+q")
        asked = await showing(pilot, ConfirmScreen, "the question")
        question = plain(asked.query_one("#question"))
        assert f"continue it with drillhall resume {hosted.code}" in question
        assert "1 trainee(s) are connected." in question
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        assert app.is_running
        await pilot.press("ctrl+q")
        await showing(pilot, ConfirmScreen, "the question")
        await pilot.click("#yes")
        await until(pilot, lambda: not app.is_running, "the app to exit")
    assert hosted.live.clock().paused
    assert app.farewell == f"Drill paused. Continue with: drillhall resume {hosted.code}"
