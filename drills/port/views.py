"""What a console is shown: one frozen dataclass per view event.

A console never reads engine events (``kind`` + ``data`` dicts). The port turns the
journal into these views, already cut to what the console's role may see and already
worded in both languages (``Bilingual``), so a screen only picks the language and draws.
Text that a participant or an author wrote travels as plain strings inside them; screens
show it literally.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.fields import Bilingual as Bilingual  # re-exported: views carry it


def both(words: Callable[[str], str]) -> Bilingual:
    """A text worded once per language (``words("zh")``, ``words("en")``)."""
    from engine.fields import Bilingual

    return Bilingual.model_construct(zh=words("zh"), en=words("en"))


def literal(value: str) -> Bilingual:
    """A text that is the same in both languages (a name, a note, an id)."""
    from engine.fields import Bilingual

    return Bilingual.model_construct(zh=value, en=value)


class Words:
    """A text worded on first use, once per language asked for.

    The trainer's timeline has a line for nearly every event, at thousands of events a
    minute at high speed, and a console shows one language: wording both up front would
    double the work of its busiest path."""

    __slots__ = ("_cache", "_words")

    def __init__(self, words: Callable[[str], str]) -> None:
        self._words = words
        self._cache: dict[str, str] = {}

    def get(self, lang: str) -> str:
        if lang not in self._cache:
            self._cache[lang] = self._words(lang)
        return self._cache[lang]

    @property
    def zh(self) -> str:
        return self.get("zh")

    @property
    def en(self) -> str:
        return self.get("en")

    def __repr__(self) -> str:
        return f"Words({self.en!r})"


@dataclass(frozen=True)
class JournalView:
    """A view of one journal event: its number and its scenario time."""

    seq: int
    t: int


@dataclass(frozen=True)
class InjectArrived(JournalView):
    inject_id: str
    title: Bilingual
    body: Bilingual
    source: Bilingual
    channel: str
    to: tuple[str, ...]


@dataclass(frozen=True)
class HintArrived(JournalView):
    to: tuple[str, ...]
    text: Bilingual


@dataclass(frozen=True)
class StateChanged(JournalView):
    key: str
    value: object


@dataclass(frozen=True)
class ExpectationOpened(JournalView):
    """Training mode (and the trainer): what the plan now expects, and by when."""

    expectation_id: str
    role: str
    title: Bilingual
    due: int | None


@dataclass(frozen=True)
class ExpectationJudged(JournalView):
    """An outcome: met, late, missed, partly (final), or ``answer_partly`` (still open)."""

    expectation_id: str
    role: str
    status: str
    line: Bilingual

    @property
    def final(self) -> bool:
        return self.status != "answer_partly"


@dataclass(frozen=True)
class DecisionRecorded(JournalView):
    role: str
    action_id: str
    action: Bilingual
    params: tuple[tuple[str, object], ...]
    participant: str | None
    note: str = ""


@dataclass(frozen=True)
class DecisionRefused(JournalView):
    """The plan does not allow the decision as made (the reason, worded)."""

    role: str
    action: Bilingual
    reason: Bilingual


@dataclass(frozen=True)
class ProhibitedCommitted(JournalView):
    role: str | None
    line: Bilingual


@dataclass(frozen=True)
class DrillEnded(JournalView):
    reason: Bilingual


@dataclass(frozen=True)
class TimelineEntry(JournalView):
    """The trainer's timeline: the event's line (empty for an event not worth one)."""

    line: Words


# -- not from the journal -----------------------------------------------------------------


@dataclass(frozen=True)
class ConnectionChanged:
    """A joined console lost or regained its host."""

    connected: bool


@dataclass(frozen=True)
class SubmissionRefused:
    """The host refused a decision that waited in a joined console's outbox."""

    reason: Bilingual


@dataclass(frozen=True)
class Seat:
    """One role of a drill and who holds it."""

    role: str
    name: Bilingual
    holder: str | None  # a participant's name (literal), or None
    bot: str | None = None  # the bot policy playing it, once the drill has started
    connected: bool = False


@dataclass(frozen=True)
class RosterChanged:
    seats: tuple[Seat, ...]


TraineeView = (
    InjectArrived
    | HintArrived
    | StateChanged
    | ExpectationOpened
    | ExpectationJudged
    | DecisionRecorded
    | DecisionRefused
    | ProhibitedCommitted
    | DrillEnded
    | ConnectionChanged
    | SubmissionRefused
)
TrainerView = TraineeView | TimelineEntry | RosterChanged
