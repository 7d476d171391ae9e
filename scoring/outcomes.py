"""What happened to each expectation, rebuilt from a journal's events.

Scoring never trusts the engine's met/late labels alone: it re-derives latency, role and
parameters from the events, so a new scoring profile regrades old drills faithfully.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.events import Event, Kind


@dataclass
class ExpectationOutcome:
    id: str
    anchor: int
    status: str = "pending"  # pending | met | late | missed
    done_at: int | None = None
    latency: int | None = None
    decision_seq: int | None = None
    role: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


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
        elif kind in (Kind.EXPECTATION_MET, Kind.EXPECTATION_LATE):
            outcome = facts.outcomes[data["expectation"]]
            outcome.status = "met" if kind == Kind.EXPECTATION_MET else "late"
            outcome.done_at = event.t
            outcome.latency = data["latency"]
            outcome.decision_seq = data["decision"]
            outcome.role = data["role"]
            outcome.params = dict(data["params"])
        elif kind == Kind.EXPECTATION_MISSED:
            facts.outcomes[data["expectation"]].status = "missed"
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
                    roles_by_seq.get(data["decision"]),
                )
            )
        elif kind == Kind.DRILL_ENDED:
            facts.ended_at = event.t
    return facts
