"""The console port: what a trainee's and a trainer's console may ask of a drill.

Screens hold a ``TraineeFeed`` or a ``TrainerFeed`` and nothing else: no engine, no
store, no socket. A solo drill (``drills.play.live``) and a joined one
(``drills.rooms.remote``) implement the trainee side; the host's live drill implements
the trainer side. Every method returns at once: a console's timer calls ``advance`` a few
times a second and draws the views it gets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # only types: a console's first frame need not wait for the models
    from drills.port.results import TraineeResults
    from drills.port.views import Bilingual, Seat, TraineeView, TrainerView
    from engine.compiled import CompiledScenario
    from engine.events import Decision
    from scoring.report import Report
    from scoring.score import DrillScore


class FeedError(Exception):
    """The drill refused a request or cannot be reached; the message says why."""


@dataclass(frozen=True)
class ClockView:
    """The drill's time as the console shows it."""

    now: int
    speed: float
    paused: bool
    ended: bool
    started: bool = True


@dataclass(frozen=True)
class Briefing:
    """What a participant reads before the clock starts.

    Nothing of the answer key: the scenario's public part and the role's duties from the
    plan. ``expectations_shown`` says whether the console will show what the plan
    expects as it happens (training) or not (exam).
    """

    drill_id: str
    mode: str
    title: Bilingual
    summary: Bilingual | None
    objectives: tuple[Bilingual, ...]
    role: str | None
    role_name: Bilingual | None
    duties: Bilingual | None
    start: str | None
    duration: int
    speed: float
    hosted: bool

    @property
    def expectations_shown(self) -> bool:
        return self.mode == "training"


@dataclass(frozen=True)
class InjectChoice:
    """An inject the trainer may fire by hand, and what firing it would open."""

    inject_id: str
    title: Bilingual
    to: tuple[str, ...]
    opens: tuple[str, ...]  # expectation ids (titles worded by the screen's preview)
    opens_titles: tuple[Bilingual, ...]
    then: tuple[str, ...]  # injects that follow it (after: this inject)


class TraineeFeed(Protocol):
    """One role's view of a drill."""

    @property
    def role(self) -> str: ...

    @property
    def participant(self) -> str | None: ...

    @property
    def briefing(self) -> Briefing: ...

    @property
    def public(self) -> CompiledScenario:
        """The plan's roles, actions and scales and the scenario's tracked figures (a
        joined console's copy holds nothing more)."""
        ...

    @property
    def owns_clock(self) -> bool:
        """False in a hosted drill: the trainer's console moves the clock."""
        ...

    def clock(self) -> ClockView: ...

    def backlog(self) -> list[TraineeView]:
        """Everything shown so far (a resumed console draws it first)."""
        ...

    def advance(self) -> list[TraineeView]: ...

    def submit(self, decision: Decision) -> list[TraineeView]: ...

    def toggle_pause(self) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    def skip_to_next_inject(self) -> int | None:
        """Jump to the next inject addressed to this role (None: none is scheduled)."""
        ...

    def results(self) -> TraineeResults:
        """This role's results once the drill has ended (FeedError if not available)."""
        ...

    def add_self_assessment(self, text: str) -> None: ...

    def report_html(self, lang: str) -> str: ...

    @property
    def reports_folder(self) -> Path: ...


class TrainerFeed(Protocol):
    """The whole drill, for the console that runs it."""

    @property
    def briefing(self) -> Briefing: ...

    @property
    def public(self) -> CompiledScenario:
        """The whole scenario and plan (the trainer holds the answer key)."""
        ...

    @property
    def hosted(self) -> bool: ...

    @property
    def join_command(self) -> str | None:
        """What a trainee types to join (hosted drills)."""
        ...

    def clock(self) -> ClockView: ...

    def backlog(self) -> list[TrainerView]: ...

    def advance(self) -> list[TrainerView]: ...

    def toggle_pause(self) -> None: ...

    def set_speed(self, speed: float) -> None: ...

    def skip_to_next_inject(self) -> int | None: ...

    def roster(self) -> tuple[Seat, ...]: ...

    def connected_trainees(self) -> int: ...

    def wait_for_decisions(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds until a trainee's decision arrives (True), for
        a worker thread: the console then advances at once instead of at its next tick.
        A drill nobody joins from elsewhere waits out the timeout (False)."""
        ...

    def free_seat(self, role: str) -> str:
        """Free ``role``'s seat: its token is revoked and the new one returned."""
        ...

    def seat_tokens(self) -> dict[str, str]:
        """Role → seat token, for the tokens issued by this process (hosted drills; a
        resumed host knows only those it issued since)."""
        ...

    def unfired_injects(self) -> list[InjectChoice]: ...

    def fire(self, inject_id: str) -> list[TrainerView]: ...

    def hint(self, roles: tuple[str, ...], text: str) -> list[TrainerView]: ...

    def end(self, reason: str) -> list[TrainerView]: ...

    def live_score(self) -> DrillScore:
        """The score so far; pure and thread-safe (workers call it)."""
        ...

    def final_score(self, timeout: float | None = None) -> DrillScore | None:
        """The drill's final score, computed once from the journal after the end and
        saved once (None: not ended yet, or still being computed)."""
        ...

    def add_hotwash(self, author: str, text: str) -> None: ...

    def report_html(self, lang: str) -> str: ...

    @property
    def reports_folder(self) -> Path: ...


@dataclass(frozen=True)
class DrillRow:
    """One stored drill in the review console's list."""

    id: str
    created: str
    scenario_id: str
    score: float | None
    rating: str | None
    status: str  # drills.store.kinds.STATUSES; score and rating only when rated
    mode: str = "training"
    purpose: str = "practice"
    players: tuple[tuple[str, str], ...] = ()  # (name, role) of each person who played
    bots: tuple[str, ...] = ()  # the bot policies that played the other roles
    started: bool = True
    site: str | None = None  # where it was played (None: recorded before sites were)


class ReviewDesk(Protocol):
    """The stored drills, as the review console reads and signs them."""

    def drills(
        self, search: str | None, rating: str | None, site: str | None = None
    ) -> list[DrillRow]:
        """Newest first (equal dates: the larger id first, on every backend); ``site``
        keeps the drills played there."""
        ...

    def sites(self) -> list[str]:
        """The sites the stored drills were played at, sorted."""
        ...

    def report(self, drill_id: str) -> Report:
        """The drill's report rebuilt from its journal (FeedError: no such drill)."""
        ...

    def export_html(self, drill_id: str, lang: str) -> Path:
        """Write the HTML report; thread-safe (a worker calls it). Returns its path."""
        ...

    def sign_off(self, drill_id: str, name: str, capacity: str, comment: str) -> None:
        """Add a signature; ``capacity`` is a key of ``labels.CAPACITIES`` (FeedError: the
        records refuse it, e.g. the same person twice in one capacity)."""
        ...


@dataclass(frozen=True)
class RoleChoice:
    """A role a participant may take, with its duties (from the plan)."""

    id: str
    name: Bilingual
    duties: Bilingual | None


@dataclass(frozen=True)
class JoinForm:
    """What the join screen starts with (from the command line); never the token."""

    code: str = ""
    name: str = ""
    role: str | None = None


class Lobby(Protocol):
    """Where a trainee finds a hosted drill and takes a seat with its token."""

    @property
    def form(self) -> JoinForm: ...

    def free_roles(self, code: str, token: str) -> list[RoleChoice]:
        """The roles the seat token opens, if free (FeedError: refused, or no such drill
        is hosted now)."""
        ...

    def join(self, code: str, role: str, name: str, token: str) -> TraineeFeed:
        """Take ``role`` as ``name`` with its seat token (FeedError: refused, with the
        reason)."""
        ...


@dataclass(frozen=True)
class PlayOpening:
    """A solo drill (or a hosted one to join) ready to start once a role is chosen."""

    title: str
    roles: list[RoleChoice]
    start: Callable[[str], TraineeFeed]
