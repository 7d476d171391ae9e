"""Deterministic consoles: a fake wall clock, frozen cursors, fixed ids and dates; and
helpers that wait for a condition instead of for time."""

from __future__ import annotations

import inspect
import itertools
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rich.text import Text
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, OptionList, RichLog, Select, Static

from drills.play.live import LiveDrill, LocalTrainee
from drills.play.session import DrillSession
from drills.play.solo import SoloSetup
from drills.port.briefing import plan_roles
from drills.rooms.gateway import RoomGateway
from drills.rooms.remote import RemoteDrill
from drills.store.database import Store
from drills.ui.app import DrillhallApp, make_app
from drills.ui.widgets.clock import ClockBar
from engine.bundle import Bundle

from ..conftest import NewDb

POLL_TIMEOUT = 20.0  # seconds a condition may take at most (on a loaded machine); ticks are 0.1 s


class Wall:
    """The wall clock the consoles see; tests move it by hand."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def wall() -> Wall:
    return Wall()


@pytest.fixture(autouse=True)
def deterministic(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor, random drill ids and wall-clock dates make snapshots flaky."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)
    counter = itertools.count(1)
    monkeypatch.setattr("drills.store.database.new_drill_id", lambda: f"d{next(counter):07d}")
    monkeypatch.setattr("drills.store.database.now_iso", lambda: "2026-07-01T08:00:00.000+00:00")


@pytest.fixture
def random_codes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Gateways are machine-wide (one socket per drill code): tests running at the same
    time in other workers must not share the fixed ids the snapshots use."""
    monkeypatch.setattr("drills.store.database.new_drill_id", lambda: secrets.token_hex(4))


# -- waiting ---------------------------------------------------------------------------------


async def until(
    pilot: Pilot[None],
    predicate: Callable[[], object],
    what: str = "",
    timeout: float = POLL_TIMEOUT,
    *,
    tick: Callable[[], object] | None = None,
) -> None:
    """Let the app run until ``predicate()`` holds; fail saying what never happened.

    Each turn waits for the app to go idle (``pilot.pause()``), so timers, workers and
    messages get their turn; nothing waits a fixed time. ``tick`` runs before each look
    (a host's console ticking in another process, say)."""
    deadline = time.monotonic() + timeout
    while (tick is None or tick() or True) and not predicate():
        if time.monotonic() > deadline:
            name = what or _source(predicate)
            raise AssertionError(f"timed out after {timeout:g}s waiting for: {name}")
        await pilot.pause()


def _source(predicate: Callable[[], object]) -> str:
    try:
        return inspect.getsource(predicate).strip()
    except (OSError, TypeError):
        return repr(predicate)


# A key, a click or a dialog's answer takes effect through the app's message queues: a
# screen pushed is composed, then laid out, a moment later; ``Widget.focus()`` moves the
# focus a moment later; a dialog's answer reaches the screen that asked after the dialog
# has left. Pilot's own pauses guess when the app is idle from the CPU time it used, which
# a loaded machine fools. So every step that needs one of these waits for it.

S = TypeVar("S", bound=Screen[Any])


def laid_out(screen: Screen[Any]) -> bool:
    """Whether ``screen`` has been composed, mounted and given its places on the terminal."""
    return screen.is_mounted and any(child.region for child in screen.children)


async def showing(pilot: Pilot[None], kind: type[S], what: str, timeout: float = POLL_TIMEOUT) -> S:
    """Until the app shows a ``kind`` screen, composed and laid out; that screen."""
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, kind) and laid_out(app.screen), what, timeout)
    screen = app.screen
    assert isinstance(screen, kind)
    return screen


def is_drawn(app: App[None], selector: str) -> bool:
    """Whether ``selector`` is on the current screen and laid out (a click lands on it)."""
    found = app.screen.query(selector)
    return bool(found) and bool(found.first().region)


async def click_drawn(pilot: Pilot[None], selector: str, what: str = "") -> None:
    """Click ``selector`` once it is drawn: a click on a dialog just pushed lands elsewhere."""
    await until(pilot, lambda: is_drawn(pilot.app, selector), what or f"{selector} drawn")
    await pilot.click(selector)


async def highlight(pilot: Pilot[None], options: OptionList, ident: str) -> None:
    """Down, one key at a time, until option ``ident`` is highlighted: a Down pressed again
    before the one before has moved the highlight would take it past ``ident``."""
    await until(pilot, lambda: options.has_focus, "the list focused")

    def moved(start: int | None) -> Callable[[], bool]:
        return lambda: options.highlighted != start

    while (option := options.highlighted_option) is None or option.id != ident:
        start = options.highlighted
        await pilot.press("down")
        await until(pilot, moved(start), f"Down to move on towards {ident}")


def focused_on(app: App[None], ident: str) -> bool:
    """Whether the widget ``#ident`` has the focus."""
    return app.focused is not None and app.focused.id == ident


async def choose_action(pilot: Pilot[None], nth: int = 1) -> None:
    """F3, Enter to open the list of actions, Down ``nth`` times, Enter: as a trainee does
    it, each key once the one before has taken effect (Enter before the list has the focus
    would not choose)."""
    app = pilot.app
    await pilot.press("f3")
    await until(pilot, lambda: focused_on(app, "action"), "the action list focused")
    actions = app.screen.query_one("#action", Select)
    await pilot.press("enter")
    await until(
        pilot,
        lambda: actions.expanded and app.focused in list(actions.query(OptionList)),
        "the action list open",
    )
    await pilot.press(*["down"] * nth, "enter")


# -- reading the screen ----------------------------------------------------------------------


def plain(widget: Widget) -> str:
    """What a Static (or a RichLog) shows, as plain text."""
    if isinstance(widget, RichLog):
        return "\n".join(line.text for line in widget.lines)
    if isinstance(widget, ClockBar):
        return widget.render()
    if isinstance(widget, Static):
        content = widget.content
        return content.plain if isinstance(content, Text) else str(content)
    return str(widget.render())


def screen_text(app: DrillhallApp) -> str:
    """Every character on the terminal now, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def region_text(app: DrillhallApp, widget: Widget) -> str:
    """What ``widget`` shows on the terminal, its lines joined with spaces (a wrapped
    name reads whole again)."""
    region = widget.region
    strips = app.screen._compositor.render_strips()[region.y : region.bottom]
    text = " ".join(strip.crop(region.x, region.right).text for strip in strips)
    return " ".join(text.split())


def feedback(app: DrillhallApp) -> list[str]:
    """The trainee's feedback log, one entry per line."""
    return [line.text for line in app.screen.query_one("#feedback", RichLog).lines]


def last_feedback(app: DrillhallApp) -> str:
    """The last line of the feedback log ("" while it is empty)."""
    lines = feedback(app)
    return lines[-1] if lines else ""


def solo(app: DrillhallApp) -> LocalTrainee:
    """The solo trainee's feed (its ``live`` is the drill)."""
    assert isinstance(app.trainee, LocalTrainee), app.trainee
    return app.trainee


def hosting(app: DrillhallApp) -> LiveDrill:
    """The trainer console's drill."""
    assert isinstance(app.trainer, LiveDrill), app.trainer
    return app.trainer


async def first_tick_done(pilot: Pilot[None], live: LiveDrill) -> None:
    """Until the console's first tick has run the drill's start (I01 fires at 06:00 in
    the flood scenario): before it, I01 is still "the next inject" for skip and fire."""
    await until(pilot, lambda: "I01" in live.engine.fired, "the first tick (I01 at 06:00)")


# -- consoles --------------------------------------------------------------------------------


def trainee_app(
    store: Store,
    bundle: Bundle,
    wall: Wall,
    *,
    lang: str = "en",
    role: str | None = "hydrology",
    mode: str = "training",
    speed: float = 60.0,
    briefing: bool = False,
) -> DrillhallApp:
    """A solo trainee console; the briefing is skipped unless asked for (the clock runs)."""
    setup = SoloSetup(
        bundle=bundle, store=store, mode=mode, speed=speed, now=wall, participant="Li Ming"
    )

    def start(chosen: str) -> LocalTrainee:
        feed = setup.start(chosen)
        if not briefing:
            feed.live.toggle_pause()  # as if the trainee had read the briefing
        return feed

    plan = bundle.compiled.plan
    return make_app(
        "play",
        lang=lang,
        role=role,
        roles=plan_roles(plan),
        picker_title=plan.title.get(lang),
        start_play=start,
        show_briefing=briefing,
    )


def trainer_app(
    store: Store,
    bundle: Bundle,
    wall: Wall,
    *,
    lang: str = "en",
    bots: str = "novice",
    speed: float = 600.0,
) -> DrillhallApp:
    roles = [r.id for r in bundle.compiled.plan.roles]
    session = DrillSession.create(store, bundle, seed=3, bots=dict.fromkeys(roles, bots))
    live = LiveDrill(session, speed, now=wall, paused=True)
    return make_app("trainer", lang=lang, trainer=live)


class HostedDrill:
    """A drill hosted in this process, served by its gateway, for joined consoles."""

    def __init__(
        self, path: str | Path, bundle: Bundle, wall: Wall, mode: str = "training"
    ) -> None:
        self.store = Store(path)
        session = DrillSession.create(self.store, bundle, bots={}, mode=mode)
        self.live = LiveDrill(session, 60, now=wall, paused=True, room_bots="ideal")
        self.code = session.drill_id
        self.room = RoomGateway(self.store.target, self.code).start()
        self.live.room = self.room
        self.tokens = self.room.tokens  # role → seat token, as `drillhall host` prints them

    def tick(self) -> None:
        """What the host's console does every tenth of a second."""
        self.live.advance()

    def join(self, role: str, name: str) -> RemoteDrill:
        """A trainee joins ``role`` with its seat token."""
        return RemoteDrill(self.code, role, name, token=self.tokens[role])

    def restart_gateway(self) -> None:
        self.room = RoomGateway(self.store.target, self.code).start()
        self.live.room = self.room

    def close(self) -> None:
        self.live.room = None
        self.room.stop()
        self.store.close()


@pytest.fixture
def hosted(
    new_db: NewDb, flood_bundle: Bundle, wall: Wall, random_codes: None
) -> Iterator[HostedDrill]:
    """The flood drill hosted for trainees (ideal bots in the roles nobody takes)."""
    drill = HostedDrill(new_db("hosted"), flood_bundle, wall)
    yield drill
    drill.close()
