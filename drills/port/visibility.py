"""The one place that decides what a console is shown of a drill.

``visible_to`` cuts one journal event to what a trainee of a role may see in a mode; the
host's gateway sends joined consoles only what it lets through, and a solo console runs
its events through the same function. ``trainee_views`` and ``trainer_views`` then word
what is left as view events (``drills.port.views``). No screen checks the mode itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from drills.port.text import one_line, printable
from drills.port.views import (
    DecisionRecorded,
    DecisionRefused,
    DrillEnded,
    ExpectationJudged,
    ExpectationOpened,
    HintArrived,
    InjectArrived,
    JournalView,
    ProhibitedCommitted,
    StateChanged,
    TimelineEntry,
    TraineeView,
    TrainerView,
    Words,
    both,
    literal,
)
from drills.port.words import OUTCOME_KINDS, describe_event, refusal_words
from engine.compiled import CompiledScenario
from engine.events import Event, Kind
from engine.fields import Bilingual
from scoring.judge import deadline_of
from scoring.profile import DEFAULT_PROFILE
from scoring.wording import commission_line, outcome_line, status_word

# The answer key inside otherwise visible events: which expectations an inject opened,
# which prohibited items a decision matched.
ANSWER_KEYS = ("expectations", "prohibited")

# Events with a line on the trainer's timeline (``describe_event``).
TIMELINE_KINDS = frozenset(
    {
        Kind.INJECT_DELIVERED, Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED, *OUTCOME_KINDS,
        Kind.COMMISSION, Kind.HINT_SENT, Kind.DRILL_ENDED,
    }
)  # fmt: skip
EXPECTATION_KINDS = (*OUTCOME_KINDS, Kind.EXPECTATION_OVERDUE)


def visible_to(
    event: Event, role: str, mode: str, owners: Mapping[str, str] | None = None
) -> Event | None:
    """What a trainee of ``role`` may see of an event (None: nothing).

    Their own injects, hints and decisions, the public situation (state, start, end). In
    exam mode the answer key — which expectations an inject opened, whether a decision
    met one — is stripped, and nothing about expectations or commissions is shown. In
    training mode, with ``owners`` (expectation id → responsible role), only the
    expectations of ``role`` itself are shown.
    """
    data = event.data
    kind = event.kind
    if kind in (Kind.DRILL_STARTED, Kind.DRILL_ENDED):
        return event
    if kind == Kind.STATE_CHANGED:  # the figure, not what moved it (another role's inject)
        return Event(event.seq, event.t, kind, {k: v for k, v in data.items() if k != "cause"})
    if kind in (Kind.INJECT_DELIVERED, Kind.HINT_SENT):
        if role not in data["to"]:
            return None
    elif kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED):
        if data["role"] != role:
            return None
    elif mode == "exam":
        return None
    elif kind in EXPECTATION_KINDS:
        if owners is not None and owners.get(data["expectation"]) != role:
            return None
    elif kind == Kind.COMMISSION:  # training: the trainee's own prohibited act, at once
        if data.get("role") != role:
            return None
    else:
        return None
    if mode == "exam":
        data = {k: v for k, v in data.items() if k not in ANSWER_KEYS}
        return Event(event.seq, event.t, kind, data)
    if owners is not None and "expectations" in data:
        mine = [e for e in data["expectations"] if owners.get(e) == role]
        return Event(event.seq, event.t, kind, {**data, "expectations": mine})
    return event


def owners_of(compiled: CompiledScenario) -> dict[str, str]:
    """Expectation id → the role that owns it."""
    return {e.id: e.role for e in compiled.expectations.values()}


def trainee_views(
    events: Iterable[Event], compiled: CompiledScenario, role: str, mode: str
) -> list[TraineeView]:
    """The views a trainee of ``role`` gets from ``events``.

    ``compiled`` is the whole scenario on the host, or what a joined console has been sent
    (which holds only its own injects and expectations): either way only what
    ``visible_to`` lets through is worded.
    """
    owners = owners_of(compiled)
    views: list[TraineeView] = []
    for event in events:
        visible = visible_to(event, role, mode, owners if mode == "training" else None)
        if visible is not None:
            views.extend(_views(visible, compiled, role))
    return views


def trainer_views(events: Iterable[Event], compiled: CompiledScenario) -> list[TrainerView]:
    """Everything, for the trainer: each event's views plus its timeline line."""
    views: list[TrainerView] = []
    for event in events:
        views.extend(_views(event, compiled, None))
        if event.kind in TIMELINE_KINDS:
            line = Words(partial(_timeline_line, event, compiled))
            views.append(TimelineEntry(event.seq, event.t, line))
    return views


def _timeline_line(event: Event, compiled: CompiledScenario, lang: str) -> str:
    return describe_event(event, compiled, lang) or ""


def _title(title: Mapping[str, str], fallback: str, lang: str) -> str:
    return title.get(lang) or title.get("en") or fallback


def _hint_words(hint: object) -> Bilingual:
    """A hint is a trainer's literal text, or a scenario's text in both languages."""
    if isinstance(hint, dict):
        return both(partial(_title, hint, ""))
    return literal(printable(str(hint)))


def _views(event: Event, compiled: CompiledScenario, role: str | None) -> list[Any]:
    """The views of one (already visible) event; ``role`` None: the trainer's."""
    data = event.data
    kind = event.kind
    at = (event.seq, event.t)
    if kind == Kind.INJECT_DELIVERED:
        return [_inject(event, compiled), *_opened(event, compiled, role)]
    if kind == Kind.HINT_SENT:
        hint = data["text"]
        words = _hint_words(hint)
        return [HintArrived(*at, tuple(data["to"]), words)]
    if kind == Kind.STATE_CHANGED:
        return [StateChanged(*at, data["key"], data["value"])]
    if kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED):
        return [_decision(event, compiled)]
    if kind in OUTCOME_KINDS:
        judged = _judged(event, compiled)
        return [judged] if judged is not None else []
    if kind == Kind.COMMISSION:
        return [_commission(event, compiled)]
    if kind == Kind.DRILL_ENDED:
        return [DrillEnded(*at, literal(str(data.get("reason", ""))))]
    return []


def _inject(event: Event, compiled: CompiledScenario) -> InjectArrived:
    inject_id = event.data["inject"]
    inject = compiled.injects[inject_id]
    title = inject.title or both(lambda lang: inject.text.get(lang)[:40])
    return InjectArrived(
        event.seq,
        event.t,
        inject_id,
        title,
        inject.text,
        inject.source,
        inject.channel,
        tuple(event.data["to"]),
    )


def _opened(event: Event, compiled: CompiledScenario, role: str | None) -> list[ExpectationOpened]:
    """Expectations the inject opened (a trainee's own; already cut by ``visible_to``)."""
    opened = []
    for exp_id in event.data.get("expectations", []):
        spec = compiled.expectations.get(exp_id)
        if spec is None or (role is not None and spec.role != role):
            continue
        deadline, _hard = deadline_of(spec, DEFAULT_PROFILE)
        due = event.t + deadline + spec.grace if deadline is not None else None
        title = both(partial(_title, spec.title, spec.id))
        opened.append(ExpectationOpened(event.seq, event.t, exp_id, spec.role, title, due))
    return opened


def _decision(event: Event, compiled: CompiledScenario) -> DecisionRecorded | DecisionRefused:
    data = event.data
    action = compiled.plan.action(data["action"])
    name = action.name if action else literal(one_line(str(data["action"])))
    if event.kind == Kind.DECISION_REFUSED:
        return DecisionRefused(
            event.seq, event.t, data["role"], name, refusal_words(data, compiled.plan)
        )
    params = tuple(sorted((data.get("params") or {}).items()))
    return DecisionRecorded(
        event.seq,
        event.t,
        data["role"],
        data["action"],
        name,
        params,
        printable(str(data["participant"])) if data.get("participant") else None,
        printable(str(data.get("note") or "")),
    )


def _judged(event: Event, compiled: CompiledScenario) -> ExpectationJudged | None:
    data = event.data
    spec = compiled.expectations.get(data["expectation"])
    if spec is None:
        return None
    status = OUTCOME_KINDS[event.kind]
    wrong = data.get("wrong")
    line = both(lambda lang: outcome_line(compiled.plan, spec, status, lang, wrong=wrong))
    return ExpectationJudged(event.seq, event.t, spec.id, spec.role, status, line)


def _commission(event: Event, compiled: CompiledScenario) -> ProhibitedCommitted:
    data = event.data
    _inject_id, item = compiled.prohibited.get(data["prohibited"], (None, None))
    if item is not None:
        line = both(lambda lang: commission_line(item, lang))
    else:  # a joined console does not hold the list: the event carries the reason
        reason = data.get("reason")
        line = both(
            lambda lang: (
                f"✗ {status_word('prohibited', lang)}: "
                + (reason.get(lang, "") if isinstance(reason, dict) else "")
            )
        )
    return ProhibitedCommitted(event.seq, event.t, data.get("role"), line)


def journal_views(views: Iterable[object]) -> list[JournalView]:
    """Only the views that stand for journal events (for tests and the replay)."""
    return [v for v in views if isinstance(v, JournalView)]
