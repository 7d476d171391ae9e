"""The outcome model: every scored expectation ends met, late, partly or missed.

- met: the right action and parameters, by its role (or a substitute the plan names),
  by deadline + grace;
- late: right, after that, before the hard limit;
- partly: the right action with a wrong parameter (a level off by one), never corrected;
- missed: nothing acceptable by the hard limit.

A decision that was a commission (it matched a prohibited item) answers nothing, and a
decision by a role that may not act for the owner answers nothing: these rules hold even
for journals written before them. A partly answer corrected by a later right one is
judged by the right one's time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.compiled import ResolvedExpectation, limits
from engine.params import wrong_params
from engine.plan import Plan
from scoring.outcomes import Answer, DrillFacts, ExpectationOutcome
from scoring.profile import ScoringProfile
from scoring.rubric import correctness, credit, role_factor, timeliness


@dataclass(frozen=True)
class Judgement:
    status: str  # met | late | partly | missed | pending
    answer: Answer | None
    deadline: int | None
    hard_limit: int | None
    tau: float = 0.0
    q: float = 0.0
    rho: float = 0.0
    credit: float = 0.0
    wrong: dict[str, dict[str, Any]] = field(default_factory=dict)


def deadline_of(
    spec: ResolvedExpectation, profile: ScoringProfile
) -> tuple[int | None, int | None]:
    """(deadline, hard limit) in seconds; ``immediate`` rules take the profile's figure."""
    if not spec.immediate:
        return spec.deadline, spec.hard_limit
    return profile.immediate, limits(profile.immediate, spec.grace, None, spec.hard_deadline)


def judge(
    plan: Plan,
    spec: ResolvedExpectation,
    outcome: ExpectationOutcome,
    facts: DrillFacts,
    profile: ScoringProfile,
) -> Judgement:
    """One expectation's outcome and credit under ``profile``."""
    deadline, hard = deadline_of(spec, profile)
    forbidden = facts.forbidden_decisions
    valid = [
        a
        for a in outcome.answers
        if a.decision_seq not in forbidden
        and spec.answerable_by(a.role)
        and (hard is None or a.latency <= hard)
    ]
    final = outcome.engine_status != "pending" or facts.ended_at is not None
    right = [a for a in valid if not wrong_params(spec.params, a.params)]
    if right:
        answer = min(right, key=lambda a: a.t)
        late = deadline is not None and answer.latency > deadline + spec.grace
        return _credited("late" if late else "met", answer, plan, spec, deadline, hard, profile)
    if valid:
        best = max(
            valid,
            key=lambda a: (correctness(plan, spec.action, spec.params, a.params, profile), -a.t),
        )
        if not final:  # it may still be corrected: not judged yet (a live scoreboard)
            return Judgement("pending", best, deadline, hard)
        return _credited("partly", best, plan, spec, deadline, hard, profile)
    return Judgement("missed" if final else "pending", None, deadline, hard)


def _credited(
    status: str,
    answer: Answer,
    plan: Plan,
    spec: ResolvedExpectation,
    deadline: int | None,
    hard: int | None,
    profile: ScoringProfile,
) -> Judgement:
    tau = timeliness(answer.latency, deadline, spec.grace, hard, profile)
    q = correctness(plan, spec.action, spec.params, answer.params, profile)
    rho = role_factor(spec, answer.role, profile)
    return Judgement(
        status,
        answer,
        deadline,
        hard,
        tau,
        q,
        rho,
        credit(q, rho, tau, profile),
        wrong_params(spec.params, answer.params),
    )
