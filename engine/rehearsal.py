"""The ideal run, rehearsed while validating: a scenario that validates plays to 100.

The static cross-checks catch the usual mistakes with precise messages. Some
contradictions only show in play: a precedence pair whose second expectation is asked
(and due) before the first one opens, a prohibited item whose ``when:`` holds at the
moment of the right answer, an answer whose own ``when:`` never holds while it is due.
The rehearsal plays the ideal bot in every role, headless, with seed 0 (as
``drillhall run --bot ideal`` does) and names each expectation or pair it could not
honour, with what happened to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.bots import IdealBot
from engine.compiled import CompiledScenario
from engine.events import Decision, Event, Input, Kind
from engine.fields import format_duration
from engine.runner import Runner
from engine.runtime import DrillEngine


@dataclass(frozen=True)
class Problem:
    """What kept the ideal run from 100: about an expectation, or a precedence pair."""

    message: str
    expectation: str | None = None
    pair: tuple[str, str] | None = None


@dataclass
class _Log:
    """What the ideal bot tried for each expectation, and what became of it."""

    current: str | None = None  # the expectation of the decision being applied
    planned: dict[str, int] = field(default_factory=dict)  # expectation → time tried
    refused: dict[str, str] = field(default_factory=dict)
    commissions: dict[str, list[str]] = field(default_factory=dict)
    opened: dict[str, int] = field(default_factory=dict)
    final: dict[str, Event] = field(default_factory=dict)

    def on_input(self, t: int, item: Input) -> None:
        key = item.key if isinstance(item, Decision) else None
        self.current = key.removeprefix("ideal:") if key else None
        if self.current is not None:
            self.planned[self.current] = t

    def on_event(self, event: Event) -> None:
        data = event.data
        if event.kind == Kind.INJECT_DELIVERED:
            for exp_id in data["expectations"]:
                self.opened[exp_id] = event.t
        elif event.kind == Kind.DECISION_REFUSED and self.current:
            self.refused[self.current] = str(data["reason"])
        elif event.kind == Kind.COMMISSION and self.current:
            self.commissions.setdefault(self.current, []).append(str(data["prohibited"]))
        elif event.kind in (
            Kind.EXPECTATION_MET,
            Kind.EXPECTATION_LATE,
            Kind.EXPECTATION_PARTLY,
            Kind.EXPECTATION_MISSED,
        ):
            self.final[str(data["expectation"])] = event


def rehearse(compiled: CompiledScenario) -> list[Problem]:
    """Play the ideal run and say what in it would not score full marks."""
    engine = DrillEngine(compiled, seed=0)
    log = _Log()
    runner = Runner(engine, [IdealBot([r.id for r in compiled.plan.roles])], on_input=log.on_input)
    engine.listeners.append(log.on_event)
    runner.run_to_end()
    problems = [
        Problem(
            f"the ideal answer, given at {format_duration(log.planned.get(exp_id, 0))}, is a "
            f"commission ({', '.join(items)} armed then): narrow the item (params, role or "
            "when:) or the expectation (when:)",
            exp_id,
        )
        for exp_id, items in log.commissions.items()
    ]
    for exp_id, event in log.final.items():
        spec = compiled.expectations[exp_id]
        if spec.scored and event.kind != Kind.EXPECTATION_MET and exp_id not in log.commissions:
            problems.append(Problem(_why_not_met(exp_id, event, log), exp_id))
    problems += _order_problems(compiled, log)
    return problems


def _why_not_met(exp_id: str, event: Event, log: _Log) -> str:
    opened = log.opened.get(exp_id, 0)
    tried = log.planned.get(exp_id)
    at = "" if tried is None else f" (tried at {format_duration(tried)})"
    if event.kind == Kind.EXPECTATION_LATE:
        return (
            f"the ideal answer comes {format_duration(int(event.data['latency']))} after it "
            f"opens at {format_duration(opened)}: late"
        )
    if exp_id in log.refused:
        return f"the ideal answer is refused{at}: {log.refused[exp_id]}"
    outcome = "partly right" if event.kind == Kind.EXPECTATION_PARTLY else "missed"
    if tried is None:
        why = str(event.data.get("why", "it was not answered"))
        return (
            f"the ideal run ends it {outcome} ({why}) at {format_duration(event.t)}: "
            f"opened at {format_duration(opened)}, it could not be answered in time"
        )
    return f"the ideal answer{at} does not count (is its when: false then?), so it ends {outcome}"


def _order_problems(compiled: CompiledScenario, log: _Log) -> list[Problem]:
    """Scored pairs the ideal run answers the wrong way round."""
    done_at = {
        exp_id: int(event.data["decision"])
        for exp_id, event in log.final.items()
        if event.kind == Kind.EXPECTATION_MET
    }
    problems = []
    for first, second in compiled.precedence:
        spec_a, spec_b = compiled.expectations.get(first), compiled.expectations.get(second)
        if spec_a is None or spec_b is None or not (spec_a.scored and spec_b.scored):
            continue
        if first in done_at and second in done_at and done_at[second] < done_at[first]:
            problems.append(
                Problem(
                    f"the ideal run answers {second} (opened at "
                    f"{format_duration(log.opened.get(second, 0))}) before {first} (opened at "
                    f"{format_duration(log.opened.get(first, 0))}): the pair cannot be kept",
                    pair=(first, second),
                )
            )
    return problems
