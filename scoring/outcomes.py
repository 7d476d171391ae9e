"""What happened to each expectation, rebuilt from a journal's events.

Scoring never trusts the engine's labels alone: it keeps every answer a decision gave
(right or partly right, with its time, role and parameters) and judges them itself
(``scoring.judge``), so a new scoring profile regrades old drills faithfully, and a
journal written before the outcome model (where a wrong level or a prohibited act could
be labelled "met") is judged by today's rules.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from engine.events import Event, Kind

FINAL_KINDS = (
    Kind.EXPECTATION_MET,
    Kind.EXPECTATION_LATE,
    Kind.EXPECTATION_PARTLY,
    Kind.EXPECTATION_MISSED,
)
ANSWER_KINDS = (Kind.EXPECTATION_MET, Kind.EXPECTATION_LATE, Kind.ANSWER_PARTLY)


@dataclass(frozen=True)
class Answer:
    """A decision that answered an expectation (as the engine matched it)."""

    t: int
    latency: int
    decision_seq: int
    role: str
    params: dict[str, Any]


@dataclass
class ExpectationOutcome:
    id: str
    anchor: int
    engine_status: str = "pending"  # the engine's final label, if any
    answers: list[Answer] = field(default_factory=list)


@dataclass
class Commission:
    prohibited: str
    severity: str
    decision_seq: int
    t: int
    role: str | None = None


@dataclass
class DrillFacts:
    """The facts a score is computed from."""

    outcomes: dict[str, ExpectationOutcome] = field(default_factory=dict)
    commissions: list[Commission] = field(default_factory=list)
    fired: dict[str, int] = field(default_factory=dict)
    decisions: int = 0
    refused: int = 0
    ended_at: int | None = None

    @cached_property
    def forbidden_decisions(self) -> frozenset[int]:
        """Decisions that were commissions: they answer nothing, whatever the journal says.

        Read only once the journal is collected (judging every expectation asks for it)."""
        return frozenset(c.decision_seq for c in self.commissions)


_FINAL_STATUS = {
    Kind.EXPECTATION_MET: "met",
    Kind.EXPECTATION_LATE: "late",
    Kind.EXPECTATION_PARTLY: "partly",
    Kind.EXPECTATION_MISSED: "missed",
}


def collect(events: Iterable[Event]) -> DrillFacts:
    facts = DrillFacts()
    roles_by_seq: dict[int, str] = {}
    for event in events:
        data = event.data
        kind = event.kind
        if kind == Kind.INJECT_DELIVERED:
            facts.fired[data["inject"]] = event.t
            for exp_id in data["expectations"]:
                facts.outcomes[exp_id] = ExpectationOutcome(exp_id, event.t)
        elif kind in ANSWER_KINDS:
            facts.outcomes[data["expectation"]].answers.append(
                Answer(event.t, data["latency"], data["decision"], data["role"], data["params"])
            )
        if kind in FINAL_KINDS:
            facts.outcomes[data["expectation"]].engine_status = _FINAL_STATUS[Kind(kind)]
        elif kind == Kind.DECISION_ACCEPTED:
            facts.decisions += 1
            roles_by_seq[event.seq] = data["role"]
        elif kind == Kind.DECISION_REFUSED:
            facts.refused += 1
        elif kind == Kind.COMMISSION:
            facts.commissions.append(
                Commission(
                    data["prohibited"],
                    data["severity"],
                    data["decision"],
                    event.t,
                    data.get("role") or roles_by_seq.get(data["decision"]),
                )
            )
        elif kind == Kind.DRILL_ENDED:
            facts.ended_at = event.t
    return facts
