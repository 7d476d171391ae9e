"""Literal text everywhere (issue 12): every string an author, a trainee or a reviewer wrote
is shown as typed on every screen, in every report and on the terminal.

A scenario and plan whose every string is hostile — console markup (``[/]``,
``[@click=app.quit]``), ANSI and OSC escapes, right-to-left overrides, zero-width and
bidi isolates, ``$variable``, ``{braces}``, a 200-letter word, CJK — are played on every
screen of ``drills/ui/screens``; the lines where that text is drawn are clicked. Nothing
crashes, no click runs an action, and the text reads back: literally, with control and bidi
characters made visible (``drills.port.text.printable``). Raw control characters in a file
are refused when it is read, with their position.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, SelectionList, TextArea

from drills.cli.main import main
from drills.play.session import DrillSession
from drills.play.solo import SoloSetup
from drills.port.briefing import plan_roles
from drills.port.feeds import PlayOpening
from drills.port.text import UNSAFE, json_escaped, printable, unsafe_characters
from drills.port.views import DecisionRecorded, HintArrived
from drills.review.desk import StoreDesk
from drills.review.reports.markdown import literal as md_literal
from drills.rooms.remote import GatewayLobby
from drills.store.database import Store
from drills.store.notes import add_note, notes, signoff
from drills.ui.app import DrillhallApp, make_app
from drills.ui.screens.briefing import BriefingScreen
from drills.ui.screens.confirm import ConfirmScreen
from drills.ui.screens.dialogs import DialogScreen
from drills.ui.screens.fire import FireScreen
from drills.ui.screens.help import HelpScreen
from drills.ui.screens.hint import HintScreen
from drills.ui.screens.loading import LoadingScreen
from drills.ui.screens.lobby import LobbyScreen
from drills.ui.screens.results import ResultsScreen
from drills.ui.screens.review import ReviewScreen
from drills.ui.screens.role_picker import RolePickerScreen
from drills.ui.screens.trainee import TraineeScreen
from drills.ui.screens.trainer import TrainerScreen
from drills.ui.screens.trainer_results import TrainerResultsScreen
from drills.ui.widgets.composer import Composer
from drills.ui.widgets.inbox import InboxItem
from engine.bundle import Bundle, load_bundle
from engine.events import Decision
from engine.loader import LoadError

from ..conftest import NewDb
from .conftest import (
    POLL_TIMEOUT,
    HostedDrill,
    Wall,
    focused_on,
    screen_text,
    showing,
    until,
)

LONG = "W" * 200
# Every kind of hostile text, each in several of the strings below.
HOSTILE = {
    "closing tag": "[/]",
    "markup": "[bold]x[/bold]",
    "quit on click": "[@click=app.quit]q[/]",
    "end on click": "[@click=screen.end]e[/]",
    "ansi": "\x1b[31mred\x1b[0m",
    "osc title": "\x1b]0;title\x07",
    "rtl override": "\u202eevil\u202c",
    "zero width and isolates": "zero\u200bwidth \u2066iso\u2069",
    "variable": "$variable",
    "braces": "{braces}",
    "long word": LONG,
    "cjk": "防汛办值班长",
}
H = HOSTILE
# What authors wrote: a tag that names the string, then hostile text.
T = {
    "title": f"S-title {H['closing tag']} {H['quit on click']}",
    "summary": f"S-summary {H['markup']} {H['osc title']} {H['cjk']} {LONG}",
    "objective": f"S-aim {H['end on click']} {H['variable']} {H['braces']}",
    "tracked": f"S-level {H['closing tag']} {H['rtl override']}",
    "unit": "m[/]",
    "inject1": f"I-title {H['end on click']} {H['ansi']}",
    "source1": f"I-from {H['braces']} {H['markup']}",
    "body1": f"I-text {H['closing tag']} {H['rtl override']} {H['zero width and isolates']} {LONG}",
    "hint": f"H-hint {H['closing tag']} {H['variable']} {H['osc title']}",
    "reason": f"X-reason {H['quit on click']} {H['ansi']}",
    "inject2": f"J-title {H['quit on click']} {H['cjk']}",
    "source2": f"J-from {H['closing tag']}",
    "body2": f"J-text {H['markup']} {H['braces']}",
    "exp2": f"E-inline {H['end on click']} {H['closing tag']}",
    "plan": f"P-plan {H['quit on click']} {H['ansi']} {H['cjk']}",
    "chief": f"R-chief {H['end on click']} {H['ansi']}",
    "duties": f"R-duties {H['closing tag']} {H['zero width and isolates']} {LONG}",
    "office": f"R-office {H['closing tag']} {H['braces']}",
    "office_duties": f"R-office-duties {H['quit on click']} {H['variable']}",
    "commander": f"R-commander {H['markup']} {H['rtl override']}",
    "scale": f"L-scale {H['closing tag']}",
    "level3": f"L-III {H['closing tag']} {H['quit on click']}",
    "level2": f"L-II {H['markup']}",
    "capability": f"C-cap {H['markup']} {H['end on click']}",
    "decide": f"A-decide {H['quit on click']} {H['osc title']}",
    "param_level": f"A-level {H['closing tag']}",
    "param_why": f"A-why {H['markup']}",
    "param_urgent": f"A-urgent {H['closing tag']} {H['braces']}",
    "param_via": f"A-via {H['end on click']}",
    "choice": f"A-phone {H['closing tag']}",
    "report": f"A-report {H['markup']} {H['rtl override']}",
    "publish": f"A-publish {H['closing tag']} {H['variable']}",
    "rule_a1": f"E-assess {H['end on click']} {H['ansi']}",
    "rule_a2": f"E-report {H['closing tag']} {H['quit on click']} {H['rtl override']}",
    "rule_a3": f"E-notify {H['markup']} {H['braces']}",
    "clause_source": f"K-source {H['closing tag']} {H['ansi']}",
    "clause_ref": f"K-ref {H['variable']}",
}
# What people typed. Names and notes that reach a hosted drill may hold markup but no
# control characters (refused at the door); old records may hold anything.
NAME = "[@click=screen.end]e[/] 王[/]"
NOTE = f"N-note {H['closing tag']} {H['quit on click']} {H['braces']} {H['variable']}"
HINT = f"T-hint {H['closing tag']} {H['quit on click']} {H['markup']}"
SELF = f"M-self {H['closing tag']} {H['end on click']} {H['cjk']}"
HOTWASH = f"W-hotwash {H['quit on click']} {H['braces']}"
SIGNER = f"[/] {H['quit on click']} 张"
COMMENT = f"G-comment {H['markup']} <b>tag</b> & {H['variable']}"
OLD_NAME = f"O-name {H['ansi']} {H['rtl override']} {H['closing tag']}"
OLD_NOTE = f"O-note {H['osc title']} {H['zero width and isolates']} \x9b2J {H['quit on click']}"


CLAUSE = {"source": T["clause_source"], "ref": T["clause_ref"], "certainty": "proxy"}


def plan_data() -> dict[str, object]:
    return {
        "id": "hostile-plan",
        "version": "1",
        "title": T["plan"],
        "roles": [
            {"id": "chief", "name": T["chief"], "duties": T["duties"]},
            {"id": "office", "name": T["office"], "duties": T["office_duties"]},
            {"id": "commander", "name": T["commander"]},
        ],
        "scales": [
            {
                "id": "level",
                "name": T["scale"],
                "levels": [
                    {"id": "III", "name": T["level3"]},
                    {"id": "II", "name": T["level2"]},
                ],
            }
        ],
        "capabilities": [{"id": "ct21", "name": T["capability"]}],
        "actions": [
            {
                "id": "decide",
                "name": T["decide"],
                "roles": ["chief", "office", "commander"],
                "params": [
                    {"id": "level", "name": T["param_level"], "type": "scale", "scale": "level"},
                    {"id": "why", "name": T["param_why"], "type": "text", "required": False},
                    {"id": "urgent", "name": T["param_urgent"], "type": "bool", "required": False},
                    {
                        "id": "via",
                        "name": T["param_via"],
                        "type": "choice",
                        "choices": [{"id": "phone", "name": T["choice"]}],
                        "required": False,
                    },
                ],
            },
            {"id": "report", "name": T["report"], "roles": ["chief", "office"]},
            {"id": "publish", "name": T["publish"], "roles": ["office", "commander"]},
        ],
        "rules": [
            {
                "id": "A1",
                "title": T["rule_a1"],
                "role": "chief",
                "action": "decide",
                "params": {"level": "III"},
                "deadline": "30m",
                "hard_limit": "60m",
                "criticality": "critical",
                "weight": 3,
                "capability": "ct21",
                "clause": CLAUSE,
            },
            {
                "id": "A2",
                "title": T["rule_a2"],
                "role": "chief",
                "action": "report",
                "deadline": "30m",
                "criticality": "critical",
                "capability": "ct21",
                "clause": CLAUSE,
            },
            {
                "id": "A3",
                "title": T["rule_a3"],
                "role": "office",
                "action": "report",
                "deadline": "40m",
                "capability": "ct21",
                "clause": CLAUSE,
            },
        ],
    }


def scenario_data() -> dict[str, object]:
    return {
        "id": "hostile-scenario",
        "plan": "hostile-plan",
        "family": "flood",
        "title": T["title"],
        "summary": T["summary"],
        "duration": "3h",
        "compression": 60,
        "objectives": [{"id": "O1", "text": T["objective"], "capabilities": ["ct21"]}],
        "state": {"water_level": 35.0},
        "tracked": [{"key": "water_level", "name": T["tracked"], "unit": T["unit"]}],
        "injects": [
            {
                "id": "I1",
                "at": 0,
                "title": T["inject1"],
                "from": T["source1"],
                "to": ["chief", "office"],
                "text": T["body1"],
                "effects": [{"set": "water_level", "value": 35.3}],
                "expects": [{"rule": "A1"}, {"rule": "A2"}, {"rule": "A3"}],
                "prohibited": [
                    {"id": "X1", "action": "publish", "severity": "major", "reason": T["reason"]}
                ],
                "hints": [{"after": "1m", "text": T["hint"]}],
            },
            {
                "id": "I2",
                "at": "2h",
                "title": T["inject2"],
                "from": T["source2"],
                "to": ["chief"],
                "text": T["body2"],
                "expects": [
                    {
                        "id": "E2",
                        "title": T["exp2"],
                        "role": "chief",
                        "action": "report",
                        "deadline": "20m",
                        "capability": "ct21",
                        "clause": CLAUSE,
                    }
                ],
            },
        ],
    }


def write_yaml(path: Path, data: dict[str, object]) -> Path:
    """As an author's tool writes it: control characters as double-quoted escapes
    (``"\\e[31m"``), which the YAML reader turns back into the characters."""
    path.write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def hostile_bundle(tmp_path: Path) -> Bundle:
    files = tmp_path / "files"
    files.mkdir()
    return load_bundle(
        write_yaml(files / "scenario.yaml", scenario_data()),
        write_yaml(files / "plan.yaml", plan_data()),
    )


# -- reading and clicking the screen -----------------------------------------------------------
# (Consoles run with notifications on, as they do for users: a refusal is a toast.)


def words(value: str) -> list[str]:
    """``value`` as a console draws it, word by word: control and bidi characters made
    visible; lines wrap only between words, and a word longer than a line (the 200-letter
    one) is looked for by its first 40 letters."""
    return [word[:40] for word in printable(value).split()]


def missing(app: DrillhallApp, *values: str) -> list[str]:
    shown = screen_text(app)
    return [word for value in values for word in words(value) if word not in shown]


async def sees(
    pilot: Pilot[None],
    app: DrillhallApp,
    *values: str,
    tick: Callable[[], object] | None = None,
) -> None:
    """Wait until every word of ``values`` is drawn, literally."""
    try:
        await until(pilot, lambda: not missing(app, *values), "the text", tick=tick)
    except AssertionError:
        raise AssertionError(f"{missing(app, *values)} not on\n{screen_text(app)}") from None
    assert unsafe_characters(screen_text(app)) == []  # nothing a terminal would obey


def position(app: DrillhallApp, word: str) -> tuple[int, int]:
    """The cell where ``word`` is drawn (the first place it is)."""
    for y, strip in enumerate(app.screen._compositor.render_strips()):
        line = strip.text
        x = line.find(word)
        if x >= 0:
            return cell_len(line[:x]), y
    raise AssertionError(f"{word!r} is not on the screen:\n{screen_text(app)}")


def clickable(*values: str) -> list[str]:
    """Where to click: each word that would act if it were read as markup, the long word,
    and each string's tag (the start of its line)."""
    hostile = [w for value in values for w in words(value) if w.startswith(("[", "W"))]
    return list(dict.fromkeys([*hostile, *(words(v)[0] for v in values)]))


async def click_on(
    pilot: Pilot[None], app: DrillhallApp, values: list[str], unharmed: Callable[[], bool]
) -> None:
    """Click every line and cell where ``values`` are drawn: each click is only a click."""
    for word in clickable(*values):
        await pilot.click(offset=position(app, word))
        await pilot.pause()
        assert app.is_running and unharmed(), f"clicking {word!r} did something"


# -- files -------------------------------------------------------------------------------------


def test_raw_control_characters_in_a_file_are_refused_at_their_position(
    tmp_path: Path,
) -> None:
    """Raw control characters never load (the author reads where they are); escaped ones
    (``"\\e"``) and bidi characters load, and every screen shows them inert (below)."""
    plan = write_yaml(tmp_path / "plan.yaml", plan_data())
    for char, code in (("\x1b", "001b"), ("\x07", "0007"), ("\x9b", "009b")):
        scenario = tmp_path / f"raw-{code}.yaml"
        text = write_yaml(scenario, scenario_data()).read_text(encoding="utf-8")
        text = text.replace("I-text", f"I-{char}text", 1)
        scenario.write_text(text, encoding="utf-8")
        line = next(n for n, row in enumerate(text.splitlines(), 1) if char in row)
        col = text.splitlines()[line - 1].index(char) + 1
        with pytest.raises(LoadError) as refused:
            load_bundle(scenario, plan)
        expected = f"{scenario}:{line}:{col}: control characters are not allowed (#x{code})"
        assert [str(d) for d in refused.value.diagnostics] == [expected]
        result = CliRunner().invoke(main, ["validate", str(scenario), "--plan", str(plan)])
        assert result.exit_code == 1 and expected in result.output, result.output
        assert unsafe_characters(result.output) == []


def test_escaped_control_and_bidi_characters_load_as_written(hostile_bundle: Bundle) -> None:
    compiled = hostile_bundle.compiled
    assert compiled.scenario.title.en == T["title"]
    assert compiled.scenario.summary is not None and compiled.scenario.summary.en == T["summary"]
    assert compiled.injects["I1"].text.en == T["body1"]
    assert compiled.plan.roles[0].name.en == T["chief"]
    assert "\x1b" in T["chief"] and "\u202e" in T["body1"]


def test_printable_takes_the_fast_path_only_for_clean_text() -> None:
    for code in range(0x10000):  # the pattern and the per-character check agree
        char = chr(code)
        assert (UNSAFE.search(char) is not None) == bool(unsafe_characters(char)), hex(code)
    for value in [*HOSTILE.values(), *T.values(), OLD_NOTE, "line\nnext\ttab", "\x7f\x85\ud800"]:
        slow = "".join(printable(char) for char in value)
        assert printable(value) == slow
        assert unsafe_characters(printable(value)) == []
        encoded = json_escaped(json.dumps({"v": value}, ensure_ascii=False))
        assert unsafe_characters(encoded) == [] and json.loads(encoded) == {"v": value}


# -- the solo trainee: loading, role picker, briefing, console, confirm, help, results --------


async def test_every_solo_trainee_screen_shows_hostile_text_literally(
    new_db: NewDb, hostile_bundle: Bundle, wall: Wall, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(new_db("solo"))
    setup = SoloSetup(bundle=hostile_bundle, store=store, speed=60, now=wall, participant=NAME)
    plan = hostile_bundle.compiled.plan
    read = threading.Event()

    def prepare() -> PlayOpening:  # the CLI's: the plan's title as the author wrote it
        read.wait(POLL_TIMEOUT)
        return PlayOpening(plan.title.get("en"), plan_roles(plan), setup.start)

    # what the decision form did with each change of its action list (the form is built
    # again for each, a moment after the change: wait for it before filling it in)
    form_built: list[object] = []
    build_form = Composer.on_select_changed

    async def built(composer: Composer, event: Select.Changed) -> None:
        await build_form(composer, event)
        if event.select.id == "action":
            form_built.append(event.value)

    monkeypatch.setattr(Composer, "on_select_changed", built)
    app = make_app("play", lang="en", prepare=prepare)
    try:
        async with app.run_test(size=(150, 50), notifications=True) as pilot:
            await until(pilot, lambda: isinstance(app.screen, LoadingScreen), "loading")
            read.set()
            await until(pilot, lambda: isinstance(app.screen, RolePickerScreen), "the picker")
            picker = app.screen
            role_texts = [T["plan"], T["chief"], T["duties"], T["office"], T["commander"]]
            await sees(pilot, app, *role_texts, T["office_duties"])
            await click_on(pilot, app, [T["plan"]], lambda: app.screen is picker)
            await pilot.click(offset=position(app, words(T["chief"])[1]))  # picks the role
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "the briefing")
            briefing = app.screen
            shown = [T["title"], T["chief"], T["summary"], T["objective"], T["duties"]]
            await sees(pilot, app, *shown)
            await click_on(pilot, app, shown, lambda: app.screen is briefing)
            await pilot.press("escape")  # ready: the clock starts
            await until(pilot, lambda: isinstance(app.screen, TraineeScreen), "the console")
            console = app.screen
            assert isinstance(console, TraineeScreen) and console.role == "chief"
            await until(pilot, lambda: not console.feed.clock().paused, "the clock started")
            console_texts = [T["chief"], T["inject1"], T["source1"], T["body1"], T["tracked"]]
            await sees(pilot, app, *console_texts, T["unit"], T["rule_a1"], T["rule_a2"])
            await click_on(
                pilot,
                app,
                [T["chief"], T["body1"], T["tracked"], T["rule_a1"], T["rule_a2"]],
                lambda: app.screen is console,
            )
            wall.t += 2  # two scenario minutes: the hint comes
            await until(pilot, lambda: len(console.query(InboxItem)) == 2, "the hint")
            await pilot.press("f2")  # the trainee was reading: opened by hand
            await until(pilot, lambda: focused_on(app, "inbox"), "the inbox focused")
            await pilot.press("down")
            await sees(pilot, app, T["hint"])
            await click_on(pilot, app, [T["hint"]], lambda: app.screen is console)
            # the decision form: action names, parameter names, levels, choices
            await pilot.press("f3")
            await until(pilot, lambda: focused_on(app, "action"), "the action list focused")
            await pilot.press("enter")
            await sees(pilot, app, T["decide"], T["report"])
            actions = console.query_one("#action", Select)
            await pilot.press("escape")
            await until(pilot, lambda: not actions.expanded, "the list closed")
            composer = console.query_one(Composer)
            composer.set_action("decide")
            await until(pilot, lambda: form_built[-1:] == ["decide"], "the parameters")
            params = [T["param_level"], T["param_why"], T["param_urgent"], T["param_via"]]
            await sees(pilot, app, *params)  # labels, a placeholder, a checkbox
            await click_on(pilot, app, [T["param_level"]], lambda: app.screen is console)
            level = console.query_one("#param-level", Select)
            level.focus()
            await until(pilot, lambda: level.has_focus, "the level focused")
            await pilot.press("enter")
            await sees(pilot, app, T["level3"], T["level2"])
            await pilot.press("escape")
            composer.set_param("level", "III")
            console.query_one("#note", Input).value = NOTE
            await pilot.press("f5")
            await sees(pilot, app, f"Recorded: {T['decide']}")
            # the form is reset when a decision is taken: its list cleared, then the form
            await until(pilot, lambda: form_built[-1:] == [Select.NULL], "the form reset")
            composer.set_action("decide")
            await until(pilot, lambda: form_built[-1:] == ["decide"], "the parameters again")
            composer.set_param("level", "III")
            await pilot.press("f5")  # the same again: asked first, the action named
            await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the question")
            question = app.screen
            await sees(pilot, app, T["decide"])
            await click_on(pilot, app, [T["decide"]], lambda: app.screen is question)
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is console, "the console")
            await pilot.press("f1")
            await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
            assert unsafe_characters(screen_text(app)) == []
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is console, "the console")
            await pilot.press("f4")  # the briefing again, on top of the console
            await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "the briefing")
            await sees(pilot, app, T["summary"])
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is console, "the console")
            wall.t += 200  # past the end (3 h at 60x)
            await until(pilot, lambda: isinstance(app.screen, ResultsScreen), "results", 30)
            results = app.screen
            assert isinstance(results, ResultsScreen)
            await until(pilot, lambda: results.results is not None, "the final score", 30)
            await sees(pilot, app, T["title"], T["rule_a2"])
            await click_on(pilot, app, [T["title"], T["rule_a2"]], lambda: app.screen is results)
            await pilot.click("#self")
            await until(pilot, lambda: isinstance(app.screen, DialogScreen), "self-assessment")
            app.screen.query_one("#text", TextArea).text = SELF
            await sees(pilot, app, SELF)
            await pilot.click("#ok")
            drill = console.feed.briefing.drill_id
            await until(pilot, lambda: notes(store, drill), "the self-assessment saved")
            assert [(n.kind, n.author, n.text) for n in notes(store, drill)] == [
                ("self", NAME, SELF)
            ]
            await pilot.press("ctrl+q")
            await until(pilot, lambda: not app.is_running, "the app to exit")
    finally:
        store.close()


# -- the trainer: console, fire, hint, confirm, help, results, hot-wash ------------------------


@pytest.fixture
def hostile_host(
    new_db: NewDb, hostile_bundle: Bundle, wall: Wall, random_codes: None
) -> Iterator[HostedDrill]:
    drill = HostedDrill(new_db("hosted"), hostile_bundle, wall)
    yield drill
    drill.close()


async def test_every_trainer_screen_shows_hostile_text_literally(
    hostile_host: HostedDrill, wall: Wall
) -> None:
    hosted = hostile_host
    live = hosted.live
    remote = hosted.join("chief", NAME)
    app = make_app("trainer", lang="en", trainer=live)
    async with app.run_test(size=(150, 50), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen

        def unharmed() -> bool:
            return app.screen is console and not live.ended

        await sees(pilot, app, T["chief"], T["office"], T["commander"], NAME, T["tracked"])
        await pilot.press("f6")  # start: I1 at 0:00
        remote.submit(Decision("chief", "decide", {"level": "III"}, note=NOTE))
        await until(
            pilot,
            lambda: any(isinstance(v, DecisionRecorded) for v in remote.advance()),
            "the decision answered",
        )
        await sees(pilot, app, T["source1"], T["body1"], T["decide"], T["rule_a1"])
        shown = [T["chief"], T["office"], NAME, T["tracked"], T["source1"], T["decide"]]
        await click_on(pilot, app, shown, unharmed)
        await pilot.press("f2")
        await until(pilot, lambda: isinstance(app.screen, FireScreen), "the fire dialog")
        fire = app.screen
        await sees(pilot, app, T["inject2"], T["exp2"], T["chief"])
        await click_on(pilot, app, [T["exp2"]], lambda: app.screen is fire)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        await pilot.press("f3")
        await until(pilot, lambda: isinstance(app.screen, HintScreen), "the hint dialog")
        hint = app.screen
        await sees(pilot, app, T["chief"], T["office"], T["commander"])
        await click_on(pilot, app, [T["office"]], lambda: app.screen is hint)
        hint.query_one(SelectionList).deselect_all()
        hint.query_one("#hint-text", Input).value = HINT
        await pilot.click("#ok")
        await until(pilot, lambda: app.screen is console, "the console")
        await until(
            pilot,
            lambda: any(isinstance(v, HintArrived) and v.text.en == HINT for v in remote.advance()),
            "the hint reaching the trainee",
        )
        await sees(pilot, app, HINT)
        console.query_one("#roster", OptionList).highlighted = 0
        await pilot.press("f4")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "free the seat?")
        question = app.screen
        await sees(pilot, app, T["chief"])
        await click_on(pilot, app, [T["chief"]], lambda: app.screen is question)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "the help")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is console, "the console")
        await pilot.press("ctrl+e")
        await showing(pilot, ConfirmScreen, "end the drill?")
        await pilot.click("#yes")
        await until(pilot, lambda: isinstance(app.screen, TrainerResultsScreen), "results", 30)
        results = app.screen
        await sees(pilot, app, T["title"], T["chief"], T["rule_a2"])
        await click_on(pilot, app, [T["title"], T["chief"]], lambda: app.screen is results)
        await pilot.press("f6")
        hotwash = await showing(pilot, DialogScreen, "the hot-wash")
        hotwash.query_one("#author", Input).value = NAME
        hotwash.query_one("#notes", TextArea).text = HOTWASH
        await sees(pilot, app, NAME, HOTWASH)
        await pilot.click("#ok")
        await until(pilot, lambda: notes(hosted.store, live.drill_id), "the notes saved")
        saved = notes(hosted.store, live.drill_id)
        assert [(n.author, n.text) for n in saved] == [(NAME, HOTWASH)]
        await pilot.press("ctrl+q")
        await until(pilot, lambda: not app.is_running, "the app to exit")


# -- joining: the lobby, and a joined console -------------------------------------------------


async def test_the_lobby_and_a_joined_console_show_hostile_text_literally(
    hostile_host: HostedDrill,
) -> None:
    hosted = hostile_host
    app = make_app("lobby", lang="en", lobby=GatewayLobby())
    async with app.run_test(size=(150, 50), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, LobbyScreen), "the lobby")
        lobby = app.screen
        token = hosted.tokens["office"]
        await until(pilot, lambda: focused_on(app, "code"), "the code field focused")
        await pilot.press(*"[/]x", "enter", *NAME, "enter", *token, "enter")  # a wrong code
        await sees(pilot, app, "'[/]x'")  # said literally
        code = lobby.query_one("#code", Input)
        code.value = hosted.code
        code.focus()
        await pilot.press("enter", "enter", "enter")
        roles = lobby.query_one("#roles", OptionList)
        await until(pilot, lambda: roles.option_count == 1, "the role of the seat token")
        await sees(pilot, app, T["office"], T["office_duties"])
        await pilot.click(offset=position(app, words(T["office_duties"])[1]))  # picks office
        await until(pilot, lambda: isinstance(app.screen, BriefingScreen), "joined as office")
        await sees(pilot, app, T["title"], T["office"], T["office_duties"], T["objective"])
        await until(pilot, lambda: focused_on(app, "ready"), "the Close button focused")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TraineeScreen), "the console")
        console = app.screen
        hosted.live.resume()
        texts = [T["office"], T["inject1"], T["body1"], T["rule_a3"]]
        await sees(pilot, app, *texts, tick=hosted.tick)
        await click_on(pilot, app, [T["office"], T["rule_a3"]], lambda: app.screen is console)
        await pilot.press("ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "quit?")
        await sees(pilot, app, NAME)
        await pilot.click("#yes")
        await until(pilot, lambda: not app.is_running, "the app to exit")
    assert app.farewell is not None and NAME in app.farewell


async def test_a_refusal_naming_a_hostile_holder_is_shown_literally(
    hostile_host: HostedDrill,
) -> None:
    hosted = hostile_host
    hosted.join("chief", NAME)
    lobby = GatewayLobby()
    app = make_app(  # `drillhall join CODE --name Zhao`, as the CLI makes it
        "play",
        lang="en",
        roles=plan_roles(hosted.live.public.plan),
        picker_title=hosted.code,
        start_play=lambda chosen: lobby.join(hosted.code, chosen, "Zhao", hosted.tokens[chosen]),
    )
    async with app.run_test(size=(150, 50), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, RolePickerScreen), "the picker")
        await until(pilot, lambda: focused_on(app, "roles"), "the roles focused")
        await pilot.press("enter")  # the chief's seat: taken, by NAME
        await sees(pilot, app, f"taken by {NAME}")
        await until(pilot, lambda: isinstance(app.screen, RolePickerScreen), "the picker again")
        assert app.is_running


# -- review and sign-off ----------------------------------------------------------------------


def played(store: Store, bundle: Bundle) -> str:
    """An ended drill with hostile people in it, some from old records (control characters
    were not refused then)."""
    session = DrillSession.create(store, bundle, bots={"office": "ideal", "commander": "novice"})
    drill = session.drill_id
    store.set_roster(drill, {"chief": OLD_NAME, "office": NAME})
    session.submit(0, Decision("chief", "decide", {"level": "II"}, NOTE, participant=NAME))
    session.submit(60, Decision("chief", "report", {}, OLD_NOTE, participant=OLD_NAME))
    session.run_headless()
    add_note(store, drill, "hotwash", OLD_NAME, OLD_NOTE)
    add_note(store, drill, "self", NAME, SELF, "chief")
    return drill


async def test_the_review_console_and_sign_off_show_hostile_text_literally(
    store: Store, hostile_bundle: Bundle
) -> None:
    drill = played(store, hostile_bundle)
    app = make_app("review", lang="en", desk=StoreDesk(store))
    async with app.run_test(size=(150, 50), notifications=True) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the review")
        review = app.screen
        await sees(pilot, app, T["title"], T["capability"])
        await click_on(pilot, app, [T["title"], T["capability"]], lambda: app.screen is review)
        await pilot.press("ctrl+g")
        signing = await showing(pilot, DialogScreen, "the sign-off")
        signing.query_one("#name", Input).value = SIGNER
        signing.query_one("#comment", Input).value = COMMENT
        await sees(pilot, app, SIGNER, COMMENT)
        await pilot.click("#ok")
        await until(pilot, lambda: signoff(store, drill) is not None, "signed")
        await sees(pilot, app, SIGNER)
        await click_on(pilot, app, [SIGNER], lambda: app.screen is review)
        await pilot.press("ctrl+r")
        report = store.path.parent / "reports" / f"{drill}.html"
        await until(pilot, report.exists, "the exported report", 30)
    html = report.read_text(encoding="utf-8")
    assert unsafe_characters(html) == []
    assert escape(COMMENT) in html and COMMENT not in html  # <b> is text, never a tag


# -- the terminal: history, reports, journal, score, errors -----------------------------------


CAPACITY = ["--capacity", "safety_manager"]


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def inert(result: Result, args: list[str]) -> str:
    """The output, checked: nothing a terminal would obey (ESC, C0/C1, bidi overrides)."""
    output = result.output
    assert unsafe_characters(output) == [], (args, output)
    return output


def test_terminal_output_of_hostile_records_is_inert(
    tmp_path: Path, new_db: NewDb, hostile_bundle: Bundle
) -> None:
    db = new_db("cli")
    store = Store(db)
    try:
        drill = played(store, hostile_bundle)
        add_note(store, drill, "hotwash", OLD_NAME, f"another {H['ansi']}")
    finally:
        store.close()
    where = ["--db", str(db)]
    scenario = write_yaml(tmp_path / "scenario.yaml", scenario_data())
    plan = write_yaml(tmp_path / "plan.yaml", plan_data())
    for args in (
        ["run", str(scenario), "--plan", str(plan), "--bot", "novice", "--follow", "--lang", "en"],
        ["run", str(scenario), "--plan", str(plan), "--bot", "idle", "--json"],
        ["history"],
        ["history", "--json"],
        ["trends", "--by", "trainee"],
        ["trends", "--by", "trainee", "--json"],
        ["score", drill],
        ["score", drill, "--json"],
        ["journal", drill],
    ):
        result = cli(*args, *where)
        assert result.exit_code == 0, (args, result.output)
        inert(result, args)
    validated = cli("validate", str(scenario), str(plan))
    assert validated.exit_code == 0 and "hostile-scenario" in inert(validated, ["validate"])
    journal = [json.loads(line) for line in cli("journal", drill, *where).output.splitlines()]
    assert any(e["data"].get("note") == OLD_NOTE for e in journal)  # escaped, not changed
    for fmt in ("md", "html", "term"):
        args = ["report", drill, "--format", fmt, "--lang", "en", *where]
        result = cli(*args)
        assert result.exit_code == 0, result.output
        shown = inert(result, args)
        for value in (T["title"], NOTE, OLD_NOTE, OLD_NAME, SELF):
            visible = printable(value)
            if fmt == "html":
                visible = visible.replace("&", "&amp;").replace("<", "&lt;")
            if fmt == "md":  # Markdown that reads as the text: its specials backslashed
                visible = md_literal(visible)
            assert " ".join(words(visible)[:2]) in " ".join(shown.split()), (fmt, value)
    docx = tmp_path / "report.docx"
    result = cli("report", drill, "--format", "docx", "-o", str(docx), *where)
    assert result.exit_code == 0 and docx.exists(), result.output
    for args in (
        ["score", f"nope{H['ansi']}{H['rtl override']}"],
        ["journal", f"x{H['osc title']}"],
        ["note", drill, f"x{H['ansi']}", "--author", "Li"],
        ["note", drill, "fine", "--author", OLD_NAME],
        ["signoff", drill, "--name", "Li", *CAPACITY, "--comment", f"x{H['osc title']}"],
        ["signoff", drill, "--name", OLD_NAME, *CAPACITY],
        ["report", drill, "--lang", f"x{H['ansi']}"],
    ):
        result = cli(*args, *where)
        assert result.exit_code != 0, (args, result.output)
        inert(result, args)
    strange = tmp_path / f"s{H['osc title']}{H['rtl override']}.yaml"  # a file's name
    strange.write_text(f"id: x\ntitle: {H['closing tag']}\n", encoding="utf-8")
    for args in (
        ["validate", str(strange)],
        ["validate", str(tmp_path / f"missing{H['ansi']}.yaml")],
        ["run", str(strange), "--db", str(db)],
        ["report", drill, "-o", str(tmp_path / f"no{H['ansi']}" / "r.md"), *where],
    ):
        result = cli(*args)
        assert result.exit_code != 0, (args, result.output)
        inert(result, args)
