"""Counterfactual replay: what if one decision had been made earlier, later, or not at all?

The engine is deterministic, so replaying the journal with one input changed shows
exactly how the score and the later injects would have differed.

Change syntax (``--change``, repeatable):
    add ROLE ACTION [key=value ...] @TIME   a decision that was not made
    remove #N | remove @TIME                drop the decision journal event #N shows,
                                            or the one made at TIME
    move #N @TIME | move @TIME @TIME        make that decision at another time
``#N`` is the number ``drillhall journal``, the report's appendix and the review console
show for the event that recorded the decision (one numbering everywhere; the ``#`` is
optional). TIME is scenario time: ``1:30:00`` (H:MM:SS, as the journal shows it),
``40m``, ``1h30m`` or seconds.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field, replace
from typing import Any

from drills.store.database import Store, StoreError
from engine.compiled import CompiledScenario
from engine.events import Decision, Event, Input, Kind
from engine.fields import parse_duration
from engine.runner import Runner
from engine.runtime import DrillEngine
from scoring.score import DrillScore, score_drill

_CLOCK = re.compile(r"^(\d+):([0-5]\d):([0-5]\d)$")


class ChangeError(StoreError):
    """A --change that cannot be understood or applied."""


def _value(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            continue
    return text


def scenario_time(text: str) -> int:
    """``1:30:00`` (H:MM:SS, the journal's clock) or a duration (``90m``, ``5400``)."""
    match = _CLOCK.match(text)
    if match:
        hours, minutes, seconds = (int(g) for g in match.groups())
        return hours * 3600 + minutes * 60 + seconds
    return parse_duration(text)


@dataclass(frozen=True)
class JournalInput:
    """A journaled input with the number of the event that recorded it."""

    t: int
    item: Input
    event: int | None  # None: an input that recorded no event (refused before the engine)
    change: str = ""  # the --change that added or moved it ("": as journaled)


def replay_numbered(
    compiled: CompiledScenario,
    seed: int,
    mode: str,
    inputs: list[JournalInput],
    until: float = float("inf"),
) -> tuple[DrillEngine, list[JournalInput]]:
    """Replay the inputs through a fresh engine up to ``until``; each comes back with the
    seq of the first event it produced (the number the journal, the report appendix and
    the review console show). A decision a --change added or moved that the engine
    refuses (an unknown role, a wrong parameter, after the end) is a ``ChangeError`` with
    the engine's reason, not a run where it "made no difference"."""
    engine = DrillEngine(compiled, seed=seed, mode=mode)
    runner = Runner(engine)
    runner.start()
    numbered = []
    for x in inputs:
        produced = runner.submit(x.t, x.item)
        refused = [e for e in produced if e.kind == Kind.DECISION_REFUSED]
        if x.change and refused:
            raise ChangeError(f"{x.change!r}: the drill refuses it: {refused[0].data['reason']}")
        numbered.append(replace(x, event=produced[0].seq if produced else None))
    runner.run_until(until)
    return engine, numbered


def _pick(inputs: list[JournalInput], selector: str, change: str) -> int:
    """The index of the input that ``#N``/``N`` or ``@TIME`` names (decisions only)."""
    decisions = [i for i, x in enumerate(inputs) if isinstance(x.item, Decision)]
    if selector.startswith("@"):
        try:
            when = scenario_time(selector[1:])
        except ValueError as exc:
            raise ChangeError(f"{change!r}: {exc}") from None
        found = [i for i in decisions if inputs[i].t == when]
        if not found:
            raise ChangeError(f"{change!r}: no decision at {selector[1:]}")
        if len(found) > 1:
            listed = ", ".join(f"#{inputs[i].event}" for i in found)
            raise ChangeError(
                f"{change!r}: {len(found)} decisions at {selector[1:]} ({listed}); "
                "name one by its #"
            )
        return found[0]
    number = selector.removeprefix("#")
    if not number.isdigit():
        raise ChangeError(f"{change!r}: name a decision by its journal #N or its @TIME")
    for i in decisions:
        if inputs[i].event == int(number):
            return i
    numbers = ", ".join(f"#{inputs[i].event}" for i in decisions) or "none"
    raise ChangeError(f"{change!r}: event #{number} is not a decision (decisions: {numbers})")


def apply_change(inputs: list[JournalInput], change: str) -> list[JournalInput]:
    """Inputs with one change applied; order is kept by time."""
    try:
        words = shlex.split(change)
    except ValueError as exc:  # an unbalanced quote
        raise ChangeError(f"{change!r}: {exc}") from None
    if not words:
        raise ChangeError("empty change")
    verb, rest = words[0], words[1:]
    changed = list(inputs)
    if verb == "add":
        at = [w for w in rest if w.startswith("@")]
        plain = [w for w in rest if not w.startswith("@")]
        if len(plain) < 2 or len(at) != 1:
            raise ChangeError(f"{change!r}: write add ROLE ACTION [key=value ...] @TIME")
        when = _time(at[0], change)
        params = {}
        for pair in plain[2:]:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ChangeError(f"{change!r}: parameters are key=value, not {pair!r}")
            params[key] = _value(value)
        decision = Decision(plain[0], plain[1], params, note="what-if", source="whatif")
        changed.append(JournalInput(when, decision, None, change))
    elif verb == "remove":
        if len(rest) != 1:
            raise ChangeError(f"{change!r}: write remove #N or remove @TIME")
        del changed[_pick(inputs, rest[0], change)]
    elif verb == "move":
        if len(rest) != 2 or not rest[1].startswith("@"):
            raise ChangeError(f"{change!r}: write move #N @TIME or move @TIME @TIME")
        index = _pick(inputs, rest[0], change)
        old = changed[index]
        changed[index] = JournalInput(_time(rest[1], change), old.item, old.event, change)
    else:
        raise ChangeError(f"{change!r}: start with add, remove or move")
    return sorted(changed, key=lambda x: x.t)  # stable: same-time inputs keep order


def _time(word: str, change: str) -> int:
    try:
        return scenario_time(word[1:])
    except ValueError as exc:
        raise ChangeError(f"{change!r}: {exc}") from None


@dataclass
class WhatIf:
    before: DrillScore
    after: DrillScore
    credit_changes: list[tuple[str, float, float, str, str]] = field(default_factory=list)
    inject_changes: list[tuple[str, int | None, int | None]] = field(default_factory=list)
    events_after: list[Event] = field(default_factory=list)


def _fired(events: list[Event]) -> dict[str, int]:
    return {e.data["inject"]: e.t for e in events if e.kind == Kind.INJECT_DELIVERED}


def what_if(store: Store, drill_id: str, changes: list[str]) -> WhatIf:
    record = store.drill(drill_id)
    bundle = record.bundle()
    inputs = store.inputs(record.id)
    until = float("inf") if record.status == "ended" else record.last_t
    journal = [JournalInput(t, item, None) for t, item in inputs]
    original, numbered = replay_numbered(
        bundle.compiled, record.seed, record.mode, journal, until
    )  # one replay: the original run and the numbers the changes name
    for change in changes:
        numbered = apply_change(numbered, change)
    changed, _ = replay_numbered(bundle.compiled, record.seed, record.mode, numbered, until)
    before = score_drill(bundle.compiled, original.events)
    after = score_drill(bundle.compiled, changed.events)
    old = {r.id: r for r in before.expectations}
    new = {r.id: r for r in after.expectations}
    credit_changes = []
    for exp_id in sorted(set(old) | set(new)):
        a, b = old.get(exp_id), new.get(exp_id)
        credit_a, credit_b = (a.credit if a else 0.0), (b.credit if b else 0.0)
        status_a, status_b = (a.status if a else "not opened"), (b.status if b else "not opened")
        if abs(credit_a - credit_b) > 1e-9 or status_a != status_b:
            credit_changes.append((exp_id, credit_a, credit_b, status_a, status_b))
    fired_a, fired_b = _fired(original.events), _fired(changed.events)
    inject_changes = [
        (inject, fired_a.get(inject), fired_b.get(inject))
        for inject in bundle.compiled.injects
        if fired_a.get(inject) != fired_b.get(inject)
    ]
    return WhatIf(before, after, credit_changes, inject_changes, changed.events)
