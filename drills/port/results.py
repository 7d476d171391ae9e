"""What a trainee is shown at the end of a drill: their score, the team's, their findings.

One plain record for both paths: a solo drill computes it from its own engine, a hosted
drill's gateway computes it on the host and sends it as JSON, so a joined trainee gets
their results without ever holding the scenario's answer key.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.compiled import CompiledScenario
from engine.events import Event
from scoring.findings import build_findings
from scoring.outcomes import collect
from scoring.score import DrillScore, score_drill


@dataclass(frozen=True)
class FindingLine:
    id: str
    klass: str
    role: str | None
    title: dict[str, str]


@dataclass(frozen=True)
class TraineeResults:
    title: dict[str, str]
    team_score: float
    team_rating: str
    mine: dict[str, Any] | None = None  # {"score", "rating"} of the trainee's role
    findings: list[FindingLine] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraineeResults:
        return cls(
            title=data["title"],
            team_score=float(data["team_score"]),
            team_rating=data["team_rating"],
            mine=data.get("mine"),
            findings=[FindingLine(**f) for f in data.get("findings", [])],
        )


def trainee_results(
    compiled: CompiledScenario,
    events: list[Event],
    role: str | None,
    score: DrillScore | None = None,
) -> TraineeResults:
    """The results cut to ``role`` (None: everything, solo review).

    ``score`` is the drill's saved final score; without it the events are scored here."""
    if score is None:
        score = score_drill(compiled, events)
    findings = build_findings(compiled, score, collect(events))
    mine = score.roles.get(role or "")
    return TraineeResults(
        title=compiled.scenario.title.model_dump(),
        team_score=score.score,
        team_rating=score.rating,
        mine={"score": mine["score"], "rating": mine["rating"]} if mine else None,
        findings=[
            FindingLine(f.id, f.klass, f.role, dict(f.title))
            for f in findings
            if role is None or f.role in (role, None)
        ],
    )
