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
from scoring.judge import judge
from scoring.outcomes import Commission, DrillFacts, collect
from scoring.profile import (
    DEFAULT_PROFILE,
    RATING_ZH,
    Rating,
    ScoringProfile,
    raise_by,
    worse,
)
from scoring.rubric import clamp01, order_factor, penalty, weighted_mean


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
    status: str  # met | late | partly | missed | pending
    anchor: int
    deadline: int | None
    latency: int | None
    done_by: str | None
    tau: float
    q: float
    rho: float
    credit: float
    clause: str | None
    immediate: bool = False
    decision_seq: int | None = None
    wrong: dict[str, Any] = field(default_factory=dict)


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
    median_latency: int | None
    omissions: int
    late: int
    met: int
    partly: int
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
            status: sum(e.status == status for e in scored)
            for status in ("met", "late", "partly", "missed")
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
            "expectations": [dict(vars(e), wrong=dict(e.wrong)) for e in self.expectations],
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
        verdict = judge(plan, spec, outcome, facts, profile)
        answer = verdict.answer
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
                status=verdict.status,
                anchor=outcome.anchor,
                deadline=verdict.deadline,
                latency=answer.latency if answer and verdict.status != "pending" else None,
                done_by=answer.role if answer and verdict.status != "pending" else None,
                tau=verdict.tau,
                q=verdict.q,
                rho=verdict.rho,
                credit=verdict.credit,
                clause=clause,
                immediate=spec.immediate,
                decision_seq=answer.decision_seq if answer else None,
                wrong=verdict.wrong,
            )
        )
    return results


def _cap(result: ExpectationResult) -> tuple[Rating, str] | None:
    """The non-compensatory cap an expectation imposes, with the reason."""
    status = result.status
    if result.criticality == "critical":
        if status in ("missed", "pending") or result.q == 0 or result.rho == 0:
            return "U", f"critical action {result.id} omitted or wrong"
        if status == "partly":
            return "M", f"critical action {result.id} partly right"
        if status == "late":
            return "M", f"critical action {result.id} late"
    elif status in ("missed", "pending", "late", "partly"):
        word = {"missed": "omitted", "pending": "omitted"}.get(status, status)
        return "S", f"action {result.id} {word}"
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
    all_results: list[ExpectationResult],
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
            r.id: r.decision_seq
            for r in all_results
            if r.decision_seq is not None and r.status in ("met", "late")
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
            found = _cap(r)
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


def on_time_rate(results: Iterable[ExpectationResult]) -> float | None:
    """Met ÷ every scored expectation that came due (late, partly and missed count)."""
    due = [r for r in results if r.scored and r.status != "pending"]
    return round(sum(r.status == "met" for r in due) / len(due), 4) if due else None


def _metrics(
    compiled: CompiledScenario, facts: DrillFacts, results: list[ExpectationResult], violations: int
) -> Metrics:
    scored = [r for r in results if r.scored]
    done = [r for r in scored if r.status in ("met", "late")]
    ratios = [r.latency / r.deadline for r in done if r.deadline and r.latency is not None]
    latencies = [r.latency for r in done if r.latency is not None]
    severities = {"minor": 0, "major": 0, "critical": 0}
    for item in facts.commissions:
        severities[item.severity] = severities.get(item.severity, 0) + 1
    critical_total = sum(
        1 for e in compiled.expectations.values() if e.scored and e.criticality == "critical"
    )
    critical_seen = sum(1 for r in scored if r.criticality == "critical")
    return Metrics(
        on_time_rate=on_time_rate(scored),
        median_latency_ratio=round(statistics.median(ratios), 4) if ratios else None,
        median_latency=int(statistics.median(latencies)) if latencies else None,
        omissions=sum(r.status == "missed" for r in scored),
        late=sum(r.status == "late" for r in scored),
        met=sum(r.status == "met" for r in scored),
        partly=sum(r.status == "partly" for r in scored),
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
        compiled, results, results, facts.commissions, profile
    )
    violations = sum(c.order_violations for c in capabilities)
    roles: dict[str, dict[str, Any]] = {}
    for role in compiled.plan.roles:
        own = [r for r in results if r.role == role.id]
        own_commissions = [c for c in facts.commissions if c.role == role.id]
        if not own and not own_commissions:
            continue
        r_total, r_rating, *_ = _score_group(compiled, results, own, own_commissions, profile)
        if r_total is None:
            continue
        roles[role.id] = {"score": r_total, "rating": r_rating, "on_time": on_time_rate(own)}
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
