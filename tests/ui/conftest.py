"""Deterministic consoles: a fake wall clock, frozen cursors, fixed ids and dates."""

from __future__ import annotations

import itertools

import pytest
from textual.widgets import Input

from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.play.solo import SoloSetup
from drills.port.briefing import plan_roles
from drills.ui.app import make_app


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


def trainee_app(
    store, bundle, wall, *, lang="en", role="hydrology", mode="training", speed=60.0,
    briefing=False,
):  # fmt: skip
    """A solo trainee console; the briefing is skipped unless asked for (the clock runs)."""
    setup = SoloSetup(
        bundle=bundle, store=store, mode=mode, speed=speed, now=wall, participant="Li Ming"
    )

    def start(chosen: str):
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


def trainer_app(store, bundle, wall, *, lang="en", bots="novice", speed=600.0):
    roles = [r.id for r in bundle.compiled.plan.roles]
    session = DrillSession.create(store, bundle, seed=3, bots=dict.fromkeys(roles, bots))
    live = LiveDrill(session, speed, now=wall, paused=True)
    return make_app("trainer", lang=lang, trainer=live)
