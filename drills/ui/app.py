"""The one app factory used by the CLI, the tests and browser serving.

``DrillhallApp`` hosts one of three consoles: ``play`` (a trainee), ``trainer`` and
``review``. Everything it needs is passed in, including the wall clock, so tests run
deterministic drills in a headless app.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.rooms.remote import RemoteDrill
from drills.store.database import Store
from drills.ui.i18n import LABELS, _, localize_bindings, set_language
from engine.bundle import Bundle


@dataclass
class PlaySetup:
    """What a solo drill needs before a role is known."""

    bundle: Bundle
    store: Store
    role: str | None = None
    mode: str = "training"
    speed: float | None = None
    others: str = "ideal"
    seed: int = 0
    participant: str | None = None
    now: Callable[[], float] = time.monotonic
    start_paused: bool = False
    extra_roster: dict[str, str] = field(default_factory=dict)


class DrillhallApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Drillhall"
    # Screens get -narrow / -short classes; app.tcss stacks and trims for small terminals.
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (70, "-normal")]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (30, "-tall")]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "help"),
        Binding("question_mark", "help", "help", show=False),
        Binding("ctrl+t", "toggle_theme", "theme"),
        Binding("ctrl+q", "quit", "quit", priority=True),
    ]

    def __init__(
        self,
        console: str,
        *,
        play: PlaySetup | None = None,
        store: Store | None = None,
        live: LiveDrill | None = None,
        remote: RemoteDrill | None = None,
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.kind = console
        self.play = play
        self.store = store
        self.live = live
        self.remote = remote

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self.kind == "play":
            assert self.play is not None
            if self.play.role:
                self.start_play(self.play.role)
            else:
                from drills.ui.screens.role_picker import RolePickerScreen

                self.push_screen(RolePickerScreen(self.play.bundle.compiled.plan), self.start_play)
        elif self.kind == "lobby":
            from drills.ui.screens.lobby import LobbyScreen

            self.push_screen(LobbyScreen())
        elif self.kind == "join":
            from drills.ui.screens.trainee import TraineeScreen

            assert self.remote is not None
            self.push_screen(TraineeScreen(self.remote, self.remote.role, self.remote.name))
        elif self.kind == "trainer":
            from drills.ui.screens.trainer import TrainerScreen

            assert self.live is not None
            self.push_screen(TrainerScreen(self.live))
        else:
            from drills.ui.screens.review import ReviewScreen

            assert self.store is not None
            self.push_screen(ReviewScreen(self.store))
        if os.environ.get("DRILLHALL_EXIT_AFTER_FIRST_FRAME"):
            self.call_after_refresh(self.exit)  # benchmarks: process start to first frame

    def start_play(self, role: str | None) -> None:
        from drills.ui.screens.trainee import TraineeScreen

        setup = self.play
        assert setup is not None and role is not None
        plan = setup.bundle.compiled.plan
        bots = {r.id: setup.others for r in plan.roles if r.id != role}
        session = DrillSession.create(
            setup.store,
            setup.bundle,
            seed=setup.seed,
            mode=setup.mode,
            bots=bots,
            speed=setup.speed or 0.0,
        )
        setup.store.set_roster(
            session.drill_id, {role: setup.participant or role, **setup.extra_roster}
        )
        speed = setup.speed or setup.bundle.compiled.scenario.compression
        self.live = LiveDrill(session, speed, now=setup.now, paused=setup.start_paused)
        self.push_screen(TraineeScreen(self.live, role, setup.participant))

    def action_help(self) -> None:
        from drills.ui.screens.help import HelpScreen

        seen: dict[str, str] = {}
        for binding in [*self.screen.BINDINGS, *self.BINDINGS]:
            if isinstance(binding, Binding) and binding.description and binding.show:
                description = binding.description
                seen.setdefault(
                    binding.key, _(description) if description in LABELS else description
                )
        self.push_screen(HelpScreen(sorted(seen.items())))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"


def make_app(console: str, *, lang: str = "zh", **kwargs: object) -> DrillhallApp:
    """Build the app; the language is set first, because bindings read it at import."""
    set_language(lang)
    return DrillhallApp(console, **kwargs)  # type: ignore[arg-type]
