"""The rubric's formulas, one small pure function each (methodology §7b).

timeliness τ, correctness q (ordinal for levels), role factor ρ, credit
s = q·ρ·(α + (1−α)·τ), and the capability score with order factor and penalties.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from engine.compiled import ResolvedExpectation
from engine.plan import Plan
from scoring.profile import ScoringProfile


def timeliness(
    latency: int, deadline: int | None, grace: int, hard: int | None, profile: ScoringProfile
) -> float:
    """1 up to deadline + grace, then linear down to ``tau_floor`` at the hard limit."""
    if deadline is None:
        return 1.0
    due = deadline + grace
    if latency <= due:
        return 1.0
    limit = hard if hard is not None else 2 * deadline
    if limit <= due:
        return profile.tau_floor
    share = min(1.0, (latency - due) / (limit - due))
    return 1.0 - (1.0 - profile.tau_floor) * share


def correctness(
    plan: Plan,
    action_id: str,
    expected: Mapping[str, Any],
    given: Mapping[str, Any],
    profile: ScoringProfile,
) -> float:
    """1 right; ordinal parameters lose 1/k per level off; other wrong parameters are partial."""
    action = plan.action(action_id)
    q = 1.0
    for key, want in expected.items():
        got = given.get(key)
        if got == want:
            continue
        param = action.param(key) if action else None
        scale = plan.scale(param.scale or "") if param and param.type == "scale" else None
        if scale is not None and got in scale.ids() and want in scale.ids():
            off = abs(scale.index(str(got)) - scale.index(str(want)))
            q = min(q, max(0.0, 1.0 - off / profile.ordinal_k))
        else:
            q = min(q, profile.partial_credit)
    return q


def role_factor(spec: ResolvedExpectation, role: str | None, profile: ScoringProfile) -> float:
    """1 for the responsible role, ``role_other`` for a substitute the plan names, else 0."""
    if role == spec.role:
        return 1.0
    if role in spec.substitutes:
        return profile.role_other
    return 0.0


def credit(q: float, rho: float, tau: float, profile: ScoringProfile) -> float:
    return q * rho * (profile.alpha + (1.0 - profile.alpha) * tau)


def weighted_mean(pairs: Sequence[tuple[float, float]]) -> float | None:
    """Mean of (weight, value) pairs; None when there is nothing to average."""
    total = sum(w for w, _ in pairs)
    if total <= 0:
        return None
    return sum(w * v for w, v in pairs) / total


def order_factor(violated: int, completed_pairs: int, profile: ScoringProfile) -> float:
    if completed_pairs == 0:
        return 1.0
    return 1.0 - profile.order_lambda * violated / completed_pairs


def penalty(severity: str, profile: ScoringProfile) -> float:
    if severity == "minor":
        return profile.penalty_minor
    if severity == "major":
        return profile.penalty_major
    return 0.0  # critical commissions cap the rating at U instead


def clamp01(value: float) -> float:
    return max(0.0, min(1.0, value))
