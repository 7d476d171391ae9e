"""The rubric (methodology §7b), starting with its worked example."""

from collections.abc import Iterable

import pytest

from engine.compiled import CompiledScenario
from engine.events import Decision, Input
from engine.runner import replay
from engine.runtime import DrillEngine
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.rubric import correctness, credit, order_factor, role_factor, timeliness
from scoring.score import DrillScore, score_drill

M = 60


def scored(
    compiled: CompiledScenario,
    inputs: Iterable[tuple[int, Input]],
    profile: ScoringProfile = DEFAULT_PROFILE,
) -> DrillScore:
    engine = DrillEngine(compiled)
    replay(engine, inputs)
    return score_drill(compiled, engine.events, profile)


def worked_inputs(level: str = "III", report: bool = True) -> list[tuple[int, Input]]:
    inputs: list[tuple[int, Input]] = []
    if report:
        inputs.append((20 * M, Decision("duty_chief", "report")))
    inputs.append((30 * M, Decision("office", "notify_members")))
    inputs.append((40 * M, Decision("duty_chief", "decide_level", {"level": level})))
    return inputs


def test_worked_example(worked: CompiledScenario) -> None:
    """A1 late (τ=0.90, s=0.96), A2 on time, A3 before A1: φ=0.75 → C=0.735 → M."""
    result = scored(worked, worked_inputs())
    by_id = {e.id: e for e in result.expectations}
    assert by_id["A1"].tau == pytest.approx(0.90)
    assert by_id["A1"].credit == pytest.approx(0.96)
    assert by_id["A2"].credit == by_id["A3"].credit == 1.0
    [cap] = result.capabilities
    assert cap.actions == pytest.approx(0.98)
    assert cap.order == pytest.approx(0.75)
    assert result.score == pytest.approx(73.5)
    assert result.rating == "M" and result.rating_zh == "中"
    assert "critical action A1 late" in result.reasons


def test_worked_example_one_level_off_is_partly_right_with_half_credit(
    worked: CompiledScenario,
) -> None:
    result = scored(worked, worked_inputs(level="II"))
    a1 = next(e for e in result.expectations if e.id == "A1")
    assert a1.status == "partly"
    assert a1.q == 0.5
    assert a1.credit == pytest.approx(0.5 * 0.96)
    assert a1.wrong == {"level": {"given": "II", "expected": "III"}}
    assert "critical action A1 partly right" in result.reasons
    assert result.rating in ("M", "U")


def test_worked_example_without_the_report_is_unable(worked: CompiledScenario) -> None:
    result = scored(worked, worked_inputs(report=False))
    assert result.rating == "U"
    assert "critical action A2 omitted or wrong" in result.reasons


def test_everything_on_time_scores_100(worked: CompiledScenario) -> None:
    inputs = [
        (5 * M, Decision("duty_chief", "decide_level", {"level": "III"})),
        (6 * M, Decision("duty_chief", "report")),
        (7 * M, Decision("office", "notify_members")),
    ]
    result = scored(worked, inputs)
    assert (result.score, result.rating) == (100.0, "P")
    assert result.metrics.on_time_rate == 1.0 and result.metrics.omissions == 0


def test_a_substitute_the_plan_names_gets_half_the_role_factor(worked: CompiledScenario) -> None:
    inputs = [
        (5 * M, Decision("office", "decide_level", {"level": "III"})),
        (6 * M, Decision("duty_chief", "report")),
        (7 * M, Decision("office", "notify_members")),
    ]
    result = scored(worked, inputs)
    a1 = next(e for e in result.expectations if e.id == "A1")
    assert (a1.rho, a1.credit) == (0.5, 0.5)


def test_major_commission_caps_at_m_and_costs_015(worked: CompiledScenario) -> None:
    inputs = [
        (5 * M, Decision("duty_chief", "decide_level", {"level": "III"})),
        (6 * M, Decision("duty_chief", "report")),
        (7 * M, Decision("office", "notify_members")),
        (8 * M, Decision("office", "publish_level")),
    ]
    result = scored(worked, inputs)
    assert result.score == pytest.approx(85.0)
    assert result.rating == "M"
    assert result.metrics.commissions["major"] == 1


def test_timeliness_is_linear_to_the_floor() -> None:
    p = DEFAULT_PROFILE
    assert timeliness(35 * M, 30 * M, 5 * M, 60 * M, p) == 1.0
    assert timeliness(60 * M, 30 * M, 5 * M, 60 * M, p) == pytest.approx(0.5)
    assert timeliness(int(47.5 * M), 30 * M, 5 * M, 60 * M, p) == pytest.approx(0.75)
    assert timeliness(10_000, None, 0, None, p) == 1.0


def test_correctness_ordinal_and_partial(worked: CompiledScenario) -> None:
    plan = worked.plan
    p = DEFAULT_PROFILE
    assert correctness(plan, "decide_level", {"level": "III"}, {"level": "III"}, p) == 1.0
    assert correctness(plan, "decide_level", {"level": "III"}, {"level": "IV"}, p) == 0.5
    assert correctness(plan, "decide_level", {"level": "III"}, {"level": "I"}, p) == 0.0
    assert (
        correctness(
            plan, "decide_level", {"level": "III"}, {"level": "I"}, ScoringProfile(ordinal_k=4)
        )
        == 0.5
    )


def test_credit_and_order_factor() -> None:
    p = DEFAULT_PROFILE
    assert credit(1, 1, 0.9, p) == pytest.approx(0.96)
    assert order_factor(1, 2, p) == 0.75
    assert order_factor(0, 0, p) == 1.0


def test_role_factor(worked: CompiledScenario) -> None:
    spec = worked.expectations["A1"]
    assert role_factor(spec, "duty_chief", DEFAULT_PROFILE) == 1.0
    assert role_factor(spec, "office", DEFAULT_PROFILE) == 0.5  # a named substitute
    assert role_factor(spec, "commander", DEFAULT_PROFILE) == 0.0  # authorised, not named
    assert role_factor(spec, "nobody", DEFAULT_PROFILE) == 0.0


def test_individual_scores_cover_their_own_actions(worked: CompiledScenario) -> None:
    result = scored(worked, worked_inputs())
    assert set(result.roles) == {"duty_chief", "office"}
    assert result.roles["office"]["score"] == pytest.approx(75.0)  # A3 done, but out of order


def test_profile_bands() -> None:
    p = DEFAULT_PROFILE
    assert [p.band(s) for s in (95, 90, 89.9, 75, 74, 60, 59.9)] == [
        "P",
        "P",
        "S",
        "S",
        "M",
        "M",
        "U",
    ]
    assert p.label == "drillhall-rubric v2.0"
