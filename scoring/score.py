"""Score a drill: scenario + journal events -> team, role and capability scores.

Pure: no I/O, no clock. The same events and profile always give the same score, which is
what makes replays, regrading and what-ifs trustworthy.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.compiled import DEFAULT_CAPABILITY, CompiledScenario
from engine.events import Event
from scoring.outcomes import Commission, DrillFacts, ExpectationOutcome, collect
from scoring.profile import (
    DEFAULT_PROFILE,
    RATING_ZH,
    Rating,
    ScoringProfile,
    raise_by,
    worse,
)
from scoring.rubric import (
    clamp01,
    correctness,
    credit,
    order_factor,
    penalty,
    role_factor,
    timeliness,
    weighted_mean,
)


@dataclass
class ExpectationResult:
    id: str
    rule: str | None
    inject: str
    role: str
    capability: str
    criticality: str
    weight: float
    scored: bool
    status: str
    anchor: int
    deadline: int | None
    latency: int | None
    done_by: str | None
    tau: float
    q: float
    rho: float
    credit: float
    clause: str | None


@dataclass
class CapabilityScore:
    id: str
    score: float
    rating: Rating
    cap: Rating
    actions: float | None
    order: float
    penalties: float
    order_violations: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class Metrics:
    on_time_rate: float | None
    median_latency_ratio: float | None
    omissions: int
    late: int
    met: int
    commissions: dict[str, int]
    order_violations: int
    coverage: float | None
    decisions: int
    refused: int


@dataclass
class DrillScore:
    score: float
    rating: Rating
    rating_zh: str
    profile: str
    capabilities: list[CapabilityScore]
    objectives: dict[str, float]
    roles: dict[str, dict[str, Any]]
    expectations: list[ExpectationResult]
    metrics: Metrics
    reasons: list[str]

    def counts(self) -> dict[str, int]:
        scored = [e for e in self.expectations if e.scored]
        return {
            "met": sum(e.status == "met" for e in scored),
            "late": sum(e.status == "late" for e in scored),
            "missed": sum(e.status == "missed" for e in scored),
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON (hand-rolled: dataclasses.asdict deep-copies, 10x slower)."""
        return {
            "score": self.score,
            "rating": self.rating,
            "rating_zh": self.rating_zh,
            "profile": self.profile,
            "capabilities": [dict(vars(c), reasons=list(c.reasons)) for c in self.capabilities],
            "objectives": dict(self.objectives),
            "roles": {k: dict(v) for k, v in self.roles.items()},
            "expectations": [dict(vars(e)) for e in self.expectations],
            "metrics": dict(vars(self.metrics), commissions=dict(self.metrics.commissions)),
            "reasons": list(self.reasons),
        }


def _results(
    compiled: CompiledScenario, facts: DrillFacts, profile: ScoringProfile
) -> list[ExpectationResult]:
    plan = compiled.plan
    results = []
    for outcome in facts.outcomes.values():
        spec = compiled.expectations[outcome.id]
        tau = q = rho = s = 0.0
        if outcome.status in ("met", "late") and outcome.latency is not None:
            tau = timeliness(outcome.latency, spec.deadline, spec.grace, spec.hard_limit, profile)
            q = correctness(plan, spec.action, spec.params, outcome.params, profile)
            rho = role_factor(plan, spec, outcome.role, profile)
            s = credit(q, rho, tau, profile)
        clause = f"{spec.clause.source} {spec.clause.ref}" if spec.clause else None
        results.append(
            ExpectationResult(
                id=spec.id,
                rule=spec.rule,
                inject=spec.inject,
                role=spec.role,
                capability=spec.capability,
                criticality=spec.criticality,
                weight=spec.weight,
                scored=spec.scored,
                status=outcome.status,
                anchor=outcome.anchor,
                deadline=spec.deadline,
                latency=outcome.latency,
                done_by=outcome.role,
                tau=tau,
                q=q,
                rho=rho,
                credit=s,
                clause=clause,
            )
        )
    return results


def _cap(result: ExpectationResult, outcome: ExpectationOutcome) -> tuple[Rating, str] | None:
    """The non-compensatory cap an expectation imposes, with the reason."""
    late = outcome.status == "late"
    if result.criticality == "critical":
        if outcome.status in ("missed", "pending") or result.q == 0 or result.rho == 0:
            return "U", f"critical action {result.id} omitted or wrong"
        if late:
            return "M", f"critical action {result.id} late"
    elif outcome.status in ("missed", "pending") or late:
        return "S", f"action {result.id} {'late' if late else 'omitted'}"
    return None


def _commission_cap(item: Commission) -> tuple[Rating, str] | None:
    if item.severity == "critical":
        return "U", f"critical prohibited action {item.prohibited}"
    if item.severity == "major":
        return "M", f"major prohibited action {item.prohibited}"
    return None


def prohibited_capability(compiled: CompiledScenario, prohibited_id: str) -> str:
    inject_id, item = compiled.prohibited.get(prohibited_id, (None, None))
    if item is not None and item.capability:
        return item.capability
    inject = compiled.injects.get(inject_id or "")
    if inject is not None and inject.expects:
        return compiled.capability_of(inject.expects[0].key)
    return DEFAULT_CAPABILITY


def _score_group(
    compiled: CompiledScenario,
    facts: DrillFacts,
    results: list[ExpectationResult],
    commissions: list[Commission],
    profile: ScoringProfile,
) -> tuple[float | None, Rating | None, list[CapabilityScore], dict[str, float], list[str]]:
    """Team or individual score over the given expectation results and commissions."""
    # Still-open expectations are not judged yet (a live scoreboard); at the end none are open.
    scored = [r for r in results if r.scored and r.status != "pending"]
    scored_ids = {e.id for e in compiled.expectations.values() if e.scored}
    caps: dict[str, list[ExpectationResult]] = {}
    for r in scored:
        caps.setdefault(r.capability, []).append(r)
    cap_commissions: dict[str, list[Commission]] = {}
    for item in commissions:
        cap_commissions.setdefault(prohibited_capability(compiled, item.prohibited), []).append(
            item
        )
    capabilities: list[CapabilityScore] = []
    overall_cap: Rating = "P"
    reasons: list[str] = []
    for cap_id in sorted(set(caps) | set(cap_commissions)):
        members = caps.get(cap_id, [])
        actions = weighted_mean([(r.weight, r.credit) for r in members])
        # A pair belongs to whoever owns its second action: doing b before a is b's fault.
        done_seq = {
            exp_id: outcome.decision_seq
            for exp_id, outcome in facts.outcomes.items()
            if outcome.decision_seq is not None
        }
        member_ids = {r.id for r in members}
        pairs = [
            (a, b)
            for a, b in compiled.precedence
            if b in member_ids and a in done_seq and b in done_seq and a in scored_ids
        ]
        violated = sum(1 for a, b in pairs if (done_seq[b] or 0) < (done_seq[a] or 0))
        phi = order_factor(violated, len(pairs), profile)
        pens = sum(penalty(c.severity, profile) for c in cap_commissions.get(cap_id, []))
        value = clamp01((1.0 if actions is None else actions) * phi - pens)
        cap_rating: Rating = "P"
        cap_reasons = []
        for r in members:
            found = _cap(r, facts.outcomes[r.id])
            if found:
                cap_rating = worse(cap_rating, found[0])
                cap_reasons.append(found[1])
        for item in cap_commissions.get(cap_id, []):
            found = _commission_cap(item)
            if found:
                cap_rating = worse(cap_rating, found[0])
                cap_reasons.append(found[1])
        if violated:
            cap_reasons.append(f"{violated} of {len(pairs)} precedence pairs out of order")
        score = round(100 * value, 2)
        capabilities.append(
            CapabilityScore(
                cap_id,
                score,
                worse(profile.band(score), cap_rating),
                cap_rating,
                actions,
                phi,
                pens,
                violated,
                cap_reasons,
            )
        )
        overall_cap = worse(overall_cap, cap_rating)
        reasons += cap_reasons
    if not capabilities:
        return None, None, [], {}, []
    by_id = {c.id: c for c in capabilities}
    objective_scores: dict[str, float] = {}
    covered: set[str] = set()
    weighted: list[tuple[float, float]] = []
    for objective in compiled.scenario.objectives:
        chosen = [by_id[c] for c in objective.capabilities if c in by_id]
        covered.update(c.id for c in chosen)
        if chosen:
            value = sum(c.score for c in chosen) / len(chosen)
            objective_scores[objective.id] = round(value, 2)
            weighted.append((objective.weight, value))
    for cap in capabilities:
        if cap.id not in covered:
            weighted.append((1.0, cap.score))
    total = round(weighted_mean(weighted) or 0.0, 2)
    worst = min((c.rating for c in capabilities), key=lambda r: "UMSP".index(r))
    rating = worse(
        worse(profile.band(total), overall_cap), raise_by(worst, profile.max_bands_above_worst)
    )
    return total, rating, capabilities, objective_scores, reasons


def _metrics(
    compiled: CompiledScenario, facts: DrillFacts, results: list[ExpectationResult], violations: int
) -> Metrics:
    scored = [r for r in results if r.scored]
    done = [r for r in scored if r.status in ("met", "late")]
    ratios = [r.latency / r.deadline for r in done if r.deadline and r.latency is not None]
    severities = {"minor": 0, "major": 0, "critical": 0}
    for item in facts.commissions:
        severities[item.severity] = severities.get(item.severity, 0) + 1
    critical_total = sum(
        1 for e in compiled.expectations.values() if e.scored and e.criticality == "critical"
    )
    critical_seen = sum(1 for r in scored if r.criticality == "critical")
    return Metrics(
        on_time_rate=round(sum(r.status == "met" for r in done) / len(done), 4) if done else None,
        median_latency_ratio=round(statistics.median(ratios), 4) if ratios else None,
        omissions=sum(r.status == "missed" for r in scored),
        late=sum(r.status == "late" for r in scored),
        met=sum(r.status == "met" for r in scored),
        commissions=severities,
        order_violations=violations,
        coverage=round(critical_seen / critical_total, 4) if critical_total else None,
        decisions=facts.decisions,
        refused=facts.refused,
    )


def score_drill(
    compiled: CompiledScenario, events: Iterable[Event], profile: ScoringProfile = DEFAULT_PROFILE
) -> DrillScore:
    """Score a drill from its events under ``profile``."""
    facts = collect(events)
    results = _results(compiled, facts, profile)
    total, rating, capabilities, objectives, reasons = _score_group(
        compiled, facts, results, facts.commissions, profile
    )
    violations = sum(c.order_violations for c in capabilities)
    roles: dict[str, dict[str, Any]] = {}
    for role in compiled.plan.roles:
        own = [r for r in results if r.role == role.id]
        own_commissions = [c for c in facts.commissions if c.role == role.id]
        if not own and not own_commissions:
            continue
        r_total, r_rating, *_ = _score_group(compiled, facts, own, own_commissions, profile)
        if r_total is None:
            continue
        done = [r for r in own if r.scored and r.status in ("met", "late")]
        on_time = sum(r.status == "met" for r in done) / len(done) if done else None
        roles[role.id] = {"score": r_total, "rating": r_rating, "on_time": on_time}
    final_rating: Rating = rating or "U"
    return DrillScore(
        score=total if total is not None else 0.0,
        rating=final_rating,
        rating_zh=RATING_ZH[final_rating],
        profile=profile.label,
        capabilities=capabilities,
        objectives=objectives,
        roles=roles,
        expectations=results,
        metrics=_metrics(compiled, facts, results, violations),
        reasons=reasons,
    )
