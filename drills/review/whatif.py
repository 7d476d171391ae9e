"""Counterfactual replay: what if one decision had been made earlier, later, or not at all?

The engine is deterministic, so replaying the journal with one input changed shows
exactly how the score and the later injects would have differed.

Change syntax (``--change``, repeatable):
    add ROLE ACTION [key=value ...] @TIME   a decision that was not made
    remove N                                drop journal input #N
    move N @TIME                            make input #N at another time
TIME is a duration from the start: ``40m``, ``1h30m``, ``5400``.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from typing import Any

from drills.store.database import Store, StoreError
from engine.events import Decision, Event, Input, Kind
from engine.fields import parse_duration
from engine.runner import replay
from engine.runtime import DrillEngine
from scoring.score import DrillScore, score_drill


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


def apply_change(inputs: list[tuple[int, Input]], change: str) -> list[tuple[int, Input]]:
    """Inputs (numbered from 1) with one change applied; order is kept by time."""
    words = shlex.split(change)
    if not words:
        raise ChangeError("empty change")
    verb, rest = words[0], words[1:]
    at = [w for w in rest if w.startswith("@")]
    plain = [w for w in rest if not w.startswith("@")]
    try:
        when = parse_duration(at[0][1:]) if at else None
    except ValueError as exc:
        raise ChangeError(f"{change!r}: {exc}") from None
    changed = list(inputs)
    if verb == "add":
        if len(plain) < 2 or when is None:
            raise ChangeError(f"{change!r}: write add ROLE ACTION [key=value ...] @TIME")
        params = {}
        for pair in plain[2:]:
            key, sep, value = pair.partition("=")
            if not sep:
                raise ChangeError(f"{change!r}: parameters are key=value, not {pair!r}")
            params[key] = _value(value)
        changed.append(
            (when, Decision(plain[0], plain[1], params, note="what-if", source="whatif"))
        )
    elif verb in ("remove", "move"):
        if len(plain) != 1 or not plain[0].isdigit():
            raise ChangeError(f"{change!r}: write {verb} N" + (" @TIME" if verb == "move" else ""))
        index = int(plain[0]) - 1
        if not 0 <= index < len(inputs):
            raise ChangeError(f"{change!r}: the journal has inputs 1..{len(inputs)}")
        if verb == "remove":
            del changed[index]
        else:
            if when is None:
                raise ChangeError(f"{change!r}: move N @TIME needs a time")
            changed[index] = (when, changed[index][1])
    else:
        raise ChangeError(f"{change!r}: start with add, remove or move")
    return sorted(changed, key=lambda pair: pair[0])  # stable: same-time inputs keep order


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
    original = DrillEngine(bundle.compiled, seed=record.seed, mode=record.mode)
    replay(original, inputs, until=until)
    changed_inputs = inputs
    for change in changes:
        changed_inputs = apply_change(changed_inputs, change)
    changed = DrillEngine(bundle.compiled, seed=record.seed, mode=record.mode)
    replay(changed, changed_inputs, until=until)
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
