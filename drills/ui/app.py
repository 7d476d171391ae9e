"""The one app factory used by the CLI, the tests and browser serving.

``DrillhallApp`` hosts one console: ``play`` (a solo trainee, who may pick a role first),
``trainee`` (a joined or resumed trainee), ``lobby`` (join from a browser), ``trainer``
and ``review``. Each is given its port — a ``TraineeFeed``, a ``TrainerFeed`` or a
``ReviewDesk`` — or, for ``play``, a factory that makes the feed once a role is chosen.
Everything is passed in, including the wall clock, so tests run deterministic drills.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import ClassVar, Protocol, runtime_checkable

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen

from drills.port.feeds import (
    FeedError,
    Lobby,
    PlayOpening,
    ReviewDesk,
    RoleChoice,
    TraineeFeed,
    TrainerFeed,
)
from drills.ui.i18n import _, localize_bindings, long_label, set_language

StartPlay = Callable[[str], TraineeFeed]  # role id → the solo drill's feed, created then


@runtime_checkable
class Console(Protocol):
    """A console screen that asks before quitting mid-drill (trainee, trainer)."""

    def quit_question(self) -> str | None: ...

    def quit_message(self) -> str: ...

    def before_quit(self) -> None: ...


def key_name(key: str) -> str:
    """``ctrl+s`` → ``Ctrl+S``, ``f5`` → ``F5``: keys as printed on a keyboard."""
    return "+".join(part.upper() if len(part) <= 3 else part.title() for part in key.split("+"))


class DrillhallApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "Drillhall"
    # Screens get -narrow / -short classes; app.tcss stacks and trims for small terminals.
    # (Textual declares these as instance variables: hence the ignores.)
    HORIZONTAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-narrow"), (70, "-normal")]  # type: ignore[misc]
    VERTICAL_BREAKPOINTS: ClassVar[list[tuple[int, str]]] = [(0, "-short"), (30, "-tall")]  # type: ignore[misc]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "key_help"),
        Binding("ctrl+t", "toggle_theme", "theme", show=False),
        Binding("ctrl+q", "quit", "key_quit", priority=True),
    ]

    def __init__(
        self,
        console: str,
        *,
        trainee: TraineeFeed | None = None,
        trainer: TrainerFeed | None = None,
        desk: ReviewDesk | None = None,
        lobby: Lobby | None = None,
        roles: list[RoleChoice] | None = None,
        picker_title: str = "",
        start_play: StartPlay | None = None,
        prepare: Callable[[], PlayOpening] | None = None,
        role: str | None = None,
        show_briefing: bool = True,
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.kind = console
        self.trainee = trainee
        self.trainer = trainer
        self.desk = desk
        self.lobby = lobby
        self.roles = roles or []
        self.picker_title = picker_title
        self.start_play = start_play
        self.prepare = prepare
        self.failure: BaseException | None = None  # why preparing failed (the CLI answers)
        self.role = role
        self.show_briefing = show_briefing
        self.farewell: str | None = None  # printed after the app exits (how to come back)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        if self.kind == "play" and self.prepare is not None:
            from drills.ui.screens.loading import LoadingScreen

            self.push_screen(LoadingScreen())
            # after the first frame: the worker's imports would otherwise hold the GIL
            self.call_after_refresh(self.run_worker, self._prepare, thread=True, group="prepare")
        elif self.kind == "play":
            self.play()
        elif self.kind == "lobby":
            from drills.ui.screens.lobby import LobbyScreen

            assert self.lobby is not None
            self.push_screen(LobbyScreen(self.lobby))
        elif self.kind == "trainee":
            assert self.trainee is not None
            self.open_trainee(self.trainee)
        elif self.kind == "trainer":
            from drills.ui.screens.trainer import TrainerScreen

            assert self.trainer is not None
            self.push_screen(TrainerScreen(self.trainer))
        else:
            from drills.ui.screens.review import ReviewScreen

            assert self.desk is not None
            self.push_screen(ReviewScreen(self.desk))
        if os.environ.get("DRILLHALL_EXIT_AFTER_FIRST_FRAME"):
            self.call_after_refresh(self.exit)  # benchmarks: process start to first frame

    class Prepared(Message):
        """The drill has been read; ``opening`` starts it in a role."""

        def __init__(self, opening: PlayOpening | None, failure: BaseException | None) -> None:
            super().__init__()
            self.opening = opening
            self.failure = failure

    def _prepare(self) -> None:
        """Read and check the scenario off the UI thread: the first frame does not wait."""
        assert self.prepare is not None
        try:
            self.post_message(self.Prepared(self.prepare(), None))
        except Exception as exc:  # answered by the CLI after the app exits
            self.post_message(self.Prepared(None, exc))

    def on_drillhall_app_prepared(self, message: Prepared) -> None:
        if message.opening is None:
            self.failure = message.failure
            self.exit(return_code=1)
            return
        self.roles = message.opening.roles
        self.picker_title = message.opening.title
        self.start_play = message.opening.start
        self.pop_screen()
        self.play()

    def play(self) -> None:
        if self.role:
            self.open_play(self.role)
        else:
            self.pick_role()

    def pick_role(self) -> None:
        from drills.ui.screens.role_picker import RolePickerScreen

        self.push_screen(RolePickerScreen(self.picker_title, self.roles), self.open_play)
        if os.environ.get("DRILLHALL_EXIT_WHEN_READY"):
            self.call_after_refresh(self.exit)

    def open_play(self, role: str | None) -> None:
        """Start (or join) the drill in ``role``; a refusal goes back to the picker."""
        assert self.start_play is not None and role is not None
        try:
            self.trainee = self.start_play(role)
        except FeedError as exc:
            self.notify(str(exc), severity="error", markup=False)  # may quote a name
            self.pick_role()
            return
        self.open_trainee(self.trainee)

    def open_trainee(self, feed: TraineeFeed) -> None:
        from drills.ui.screens.trainee import TraineeScreen

        self.push_screen(TraineeScreen(feed, show_briefing=self.show_briefing))
        if os.environ.get("DRILLHALL_EXIT_WHEN_READY"):
            self.call_after_refresh(self.exit)  # benchmarks: process start to the console

    def console_screen(self) -> Screen[object]:
        """The screen whose keys apply now: the top one, under a briefing or the help."""
        from drills.ui.screens.briefing import BriefingScreen
        from drills.ui.screens.help import HelpScreen

        screens = [s for s in self.screen_stack if not isinstance(s, BriefingScreen | HelpScreen)]
        return screens[-1] if screens else self.screen

    def key_bindings(self, screen: Screen[object] | None = None) -> list[tuple[Binding, str]]:
        """The bindings of ``screen`` (default: the current console) and the app that
        apply now, each once, with its description in the console's language."""
        screen = screen or self.console_screen()
        seen: dict[str, tuple[Binding, str]] = {}
        for binding in [*screen.BINDINGS, *self.BINDINGS]:
            if not isinstance(binding, Binding) or not binding.description or not binding.show:
                continue
            if screen.check_action(binding.action, ()) is False:
                continue
            seen.setdefault(binding.key, (binding, long_label(binding.description)))
        return list(seen.values())

    def key_table(self) -> list[tuple[str, str]]:
        """The keys of the current console and the app, as (key, what it does)."""
        return [(key_name(binding.key), shown) for binding, shown in self.key_bindings()]

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The command palette (Ctrl+P): the console's own commands, then the theme and
        quit, in the console's language."""
        from textual.screen import ModalScreen

        console = self.console_screen() if isinstance(screen, ModalScreen) else screen
        for binding, shown in self.key_bindings(console):
            if binding.action.removeprefix("app.") in ("quit", "help"):
                continue
            target = self if binding.action == "toggle_theme" else console
            yield SystemCommand(
                shown,
                f"{key_name(binding.key)}: {shown}",
                lambda action=binding.action, node=target: self.run_action(action, node),
            )
        yield SystemCommand(_("help"), key_name("f1"), self.action_help)
        yield SystemCommand(_("cmd_theme"), _("cmd_theme_help"), self.action_toggle_theme)
        yield SystemCommand(_("quit"), _("cmd_quit_help"), self.action_quit)

    def action_help(self) -> None:
        from drills.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.key_table()))

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    async def action_quit(self) -> None:
        """Quit; a console in the middle of a drill asks first and says how to come back."""
        from drills.ui.screens.confirm import ConfirmScreen

        console = next((s for s in reversed(self.screen_stack) if isinstance(s, Console)), None)
        question = console.quit_question() if console is not None else None
        if console is None or question is None:
            self.exit()
            return
        asking: Console = console

        def answered(yes: bool | None) -> None:
            if yes:
                asking.before_quit()
                self.farewell = asking.quit_message()
                self.exit(message=self.farewell)

        self.push_screen(ConfirmScreen(question, _("quit")), answered)


def make_app(console: str, *, lang: str = "zh", **kwargs: object) -> DrillhallApp:
    """Build the app; the language is set first, because bindings read it at import."""
    set_language(lang)
    return DrillhallApp(console, **kwargs)  # type: ignore[arg-type]
