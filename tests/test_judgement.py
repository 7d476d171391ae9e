"""The outcome model, judged the way the reviewer who signs would: for each rule, what the
worst trainee does and what we show (issue: judgement a safety manager can trust)."""

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from engine.bundle import load_bundle
from engine.compiled import CompiledScenario
from engine.events import Decision, Event, Input, Kind
from engine.runner import replay
from engine.runtime import DrillEngine
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.score import DrillScore, ExpectationResult, score_drill
from scoring.wording import commission_line, outcome_line

DATA = Path(__file__).parent / "data"
M, H = 60, 3600


@pytest.fixture(scope="module")
def judged() -> CompiledScenario:
    return load_bundle(DATA / "judgement-scenario.yaml", DATA / "judgement-plan.yaml").compiled


def play(
    compiled: CompiledScenario,
    inputs: Iterable[tuple[int, Input]],
    profile: ScoringProfile = DEFAULT_PROFILE,
) -> tuple[DrillEngine, DrillScore]:
    engine = DrillEngine(compiled)
    replay(engine, inputs)
    return engine, score_drill(compiled, engine.events, profile)


def result_of(score: DrillScore, exp_id: str) -> ExpectationResult:
    return next(e for e in score.expectations if e.id == exp_id)


def kinds(engine: DrillEngine, kind: Kind) -> list[Event]:
    return [e for e in engine.events if e.kind == kind]


def fired(engine: DrillEngine) -> set[str]:
    return {e.data["inject"] for e in kinds(engine, Kind.INJECT_DELIVERED)}


LEVEL_IV = Decision("chief", "activate", {"level": "IV"})
LEVEL_III = Decision("chief", "activate", {"level": "III"})
REPORT = Decision("office", "report", {"to": "city"})


# 1. One outcome model -------------------------------------------------------------------


def test_a_wrong_level_is_partly_right_never_met_and_fires_no_success_branch(
    judged: CompiledScenario,
) -> None:
    engine, score = play(judged, [(15 * M, LEVEL_III), (16 * M, REPORT)])
    level = result_of(score, "E-level")
    assert level.status == "partly" and level.q == 0.5
    assert "I2-relief" not in fired(engine) and "I3-done" not in fired(engine)
    assert "I4-wrong" in fired(engine)  # the partly branch, at the hard limit
    [partly] = kinds(engine, Kind.EXPECTATION_PARTLY)
    assert partly.t == 10 * M + 60 * M  # opened at 0:10, hard limit 2 x 30 min
    assert score.rating in ("M", "U")  # a critical action partly right caps at M


def test_a_partly_answer_can_be_corrected_before_the_hard_limit(judged: CompiledScenario) -> None:
    engine, score = play(judged, [(15 * M, LEVEL_III), (30 * M, LEVEL_IV), (31 * M, REPORT)])
    level = result_of(score, "E-level")
    assert level.status == "met" and level.credit == 1.0
    assert level.latency == 20 * M  # from the right decision's time
    assert len(kinds(engine, Kind.ANSWER_PARTLY)) == 1  # the journal keeps both
    assert {"I2-relief", "I3-done"} <= fired(engine) and "I4-wrong" not in fired(engine)


def test_a_correction_after_the_deadline_is_late(judged: CompiledScenario) -> None:
    engine, score = play(judged, [(11 * M, REPORT), (15 * M, LEVEL_III), (50 * M, LEVEL_IV)])
    level = result_of(score, "E-level")
    assert level.status == "late" and level.latency == 40 * M
    assert "I3-done" in fired(engine) and "I2-relief" not in fired(engine)


def test_nothing_at_all_is_missed_and_escalates(judged: CompiledScenario) -> None:
    engine, score = play(judged, [])
    assert result_of(score, "E-level").status == "missed"
    assert "I5-escalate" in fired(engine)
    assert score.rating == "U"


# 2. Forbidden never counts --------------------------------------------------------------


def test_a_prohibited_report_answers_nothing_and_costs_more_than_silence(
    judged: CompiledScenario,
) -> None:
    level = (12 * M, LEVEL_IV)
    _, silent = play(judged, [level])
    engine, press = play(judged, [level, (12 * M, Decision("office", "report", {"to": "press"}))])
    [accepted] = [e for e in kinds(engine, Kind.DECISION_ACCEPTED) if e.data["action"] == "report"]
    assert accepted.data["expectations"] == [] and accepted.data["prohibited"] == ["X-press"]
    assert result_of(press, "E-report").status == "missed"
    assert not kinds(engine, Kind.ANSWER_PARTLY)  # not even partly right
    assert press.score <= silent.score


# 3. Acts that are always wrong are armed all drill long -------------------------------------


def test_denying_at_minute_one_is_caught_and_rated_u(judged: CompiledScenario) -> None:
    engine, score = play(
        judged, [(1 * M, Decision("chief", "deny")), (11 * M, LEVEL_IV), (11 * M, REPORT)]
    )
    [commission] = kinds(engine, Kind.COMMISSION)
    assert commission.data["prohibited"] == "X-deny" and commission.t == 1 * M
    assert commission.data["role"] == "chief"
    assert score.rating == "U"


def test_caution_acts_must_be_critical(tmp_path: Path) -> None:
    from engine.plan import Prohibited

    with pytest.raises(ValueError, match="caution"):
        Prohibited.model_validate(
            {"id": "X", "action": "a", "severity": "major", "caution": True, "reason": "r"}
        )


# 4. Facts come from the simulation ------------------------------------------------------------


def test_a_rescue_before_the_power_is_cut_is_a_commission_not_an_answer(
    judged: CompiledScenario,
) -> None:
    engine, score = play(
        judged,
        [
            (11 * M, LEVEL_IV),
            (11 * M, REPORT),
            (3 * H + 5 * M, Decision("office", "rescue")),
            (3 * H + 6 * M, REPORT),
        ],
    )
    [commission] = kinds(engine, Kind.COMMISSION)
    assert commission.data["prohibited"] == "X-live-rescue"
    assert result_of(score, "E-rescue").status == "missed"
    assert score.rating == "U"


def test_the_same_rescue_after_the_power_is_cut_is_met(judged: CompiledScenario) -> None:
    engine, score = play(
        judged,
        [
            (11 * M, LEVEL_IV),
            (11 * M, REPORT),
            (3 * H + 1 * M, Decision("office", "cut_power", {"done": "cut"})),
            (3 * H + 5 * M, Decision("office", "rescue")),
            (3 * H + 6 * M, REPORT),
        ],
    )
    assert not kinds(engine, Kind.COMMISSION)
    assert result_of(score, "E-rescue").status == "met"
    assert (score.score, score.rating) == (100.0, "P")


# 5. Deadlines the plans state in words ---------------------------------------------------------


def test_an_immediate_duty_eight_hours_late_is_missed(judged: CompiledScenario) -> None:
    _, score = play(judged, [(11 * M, LEVEL_IV), (10 * M + 8 * H, REPORT)])
    report = result_of(score, "E-report")
    assert report.immediate and report.deadline == DEFAULT_PROFILE.immediate
    assert report.status == "missed" and report.credit == 0


def test_immediate_is_the_profile_judgement(judged: CompiledScenario) -> None:
    inputs = [(11 * M, LEVEL_IV), (10 * M + 15 * M, REPORT)]  # 15 minutes after the inject
    _, strict = play(judged, inputs)
    _, lenient = play(judged, inputs, ScoringProfile(immediate=30 * M))
    assert result_of(strict, "E-report").status == "late"
    assert result_of(lenient, "E-report").status == "met"
    assert result_of(lenient, "E-report").deadline == 30 * M


def test_an_absolute_limit_gives_no_credit_after_it(judged: CompiledScenario) -> None:
    base = [(11 * M, LEVEL_IV), (11 * M, REPORT)]
    _, on_time = play(judged, [*base, (3 * H + 59 * M, REPORT)])
    _, after = play(judged, [*base, (4 * H + 20 * M, REPORT)])
    assert result_of(on_time, "E-written").status == "met"
    written = result_of(after, "E-written")
    assert written.status == "missed" and written.credit == 0


# 6. Who can answer -------------------------------------------------------------------------


def test_a_report_by_another_department_is_not_the_office_report(judged: CompiledScenario) -> None:
    engine, score = play(
        judged, [(11 * M, LEVEL_IV), (12 * M, Decision("outsider", "report", {"to": "city"}))]
    )
    [accepted] = [e for e in kinds(engine, Kind.DECISION_ACCEPTED) if e.data["role"] == "outsider"]
    assert accepted.data["expectations"] == []
    assert result_of(score, "E-report").status == "missed"


def test_a_named_substitute_answers_for_half_the_role_factor(judged: CompiledScenario) -> None:
    _, score = play(
        judged, [(11 * M, Decision("deputy", "activate", {"level": "IV"})), (11 * M, REPORT)]
    )
    level = result_of(score, "E-level")
    assert (level.status, level.done_by, level.rho) == ("met", "deputy", 0.5)


def test_an_authorised_role_that_is_not_named_answers_nothing(judged: CompiledScenario) -> None:
    _, score = play(
        judged, [(11 * M, Decision("office", "activate", {"level": "IV"})), (11 * M, REPORT)]
    )
    assert result_of(score, "E-level").status == "missed"


# 7. Honest side metrics -------------------------------------------------------------------


def test_the_on_time_rate_counts_missed_and_partly(judged: CompiledScenario) -> None:
    _, score = play(judged, [(11 * M, REPORT), (15 * M, LEVEL_III)])
    metrics = score.metrics
    # E-level partly, E-report met; E-written and E-rescue missed: 1 on time of 4 due.
    assert metrics.on_time_rate == 0.25
    assert metrics.partly == 1 and metrics.omissions == 2
    assert metrics.median_latency == 1 * M


# 8. Say it as it is ----------------------------------------------------------------------


def test_partly_right_names_the_choice_and_the_plan(judged: CompiledScenario) -> None:
    spec = judged.expectations["E-level"]
    wrong = {"level": {"given": "III", "expected": "IV"}}
    en = outcome_line(judged.plan, spec, "partly", "en", wrong=wrong)
    zh = outcome_line(judged.plan, spec, "partly", "zh", wrong=wrong)
    assert en.startswith("◐ partly right: ")
    assert "you chose Level III; the plan says Level IV (判定测试预案 §1)" in en
    assert "您选择了“Ⅲ级”；预案要求“Ⅳ级”" in zh
    assert "✓" not in en + zh


def test_a_commission_line_is_a_cross_with_reason_and_clause(judged: CompiledScenario) -> None:
    _, item = judged.prohibited["X-deny"]
    assert commission_line(item, "en") == (
        "✗ prohibited act (critical): Denying an incident that happened (判定测试预案 §5)"
    )
    assert commission_line(item, "zh").startswith("✗ 违规行动（严重）：否认已发生的事件")


def test_only_met_gets_a_tick(judged: CompiledScenario) -> None:
    spec = judged.expectations["E-level"]
    lines = {s: outcome_line(judged.plan, spec, s, "en") for s in ("met", "late", "missed")}
    assert lines["met"].startswith("✓") and not lines["late"].startswith("✓")
    assert lines["missed"].startswith("✗")


# 11. Old journals are judged by today's rules -------------------------------------------------


def test_a_pre_change_journal_is_rejudged(judged: CompiledScenario) -> None:
    """Before the outcome model a wrong level was labelled met and a prohibited act could
    answer an expectation; regrading such a journal says partly and missed."""
    level, report = {"level": "III"}, {"to": "city"}

    def met(
        seq: int, exp_id: str, latency: int, decision: int, role: str, params: dict[str, Any]
    ) -> Event:
        data = {"expectation": exp_id, "anchor": 600, "latency": latency}
        return Event(
            seq,
            600 + latency,
            Kind.EXPECTATION_MET,
            {**data, "decision": decision, "role": role, "params": params},
        )

    def decided(
        seq: int, t: int, role: str, action: str, params: dict[str, Any], answered: list[str]
    ) -> Event:
        data = {"role": role, "action": action, "params": params}
        return Event(seq, t, Kind.DECISION_ACCEPTED, {**data, "expectations": answered})

    events = [
        Event(1, 0, Kind.DRILL_STARTED, {}),
        Event(2, 600, Kind.INJECT_DELIVERED, {"inject": "I1", "expectations": ["E-level", "E-report"]}),
        decided(3, 900, "chief", "activate", level, ["E-level"]),
        met(4, "E-level", 300, 3, "chief", level),
        decided(5, 960, "office", "report", report, ["E-report"]),
        met(6, "E-report", 360, 5, "office", report),
        Event(7, 960, Kind.COMMISSION, {"prohibited": "X-press", "decision": 5, "severity": "major", "reason": {}}),
        Event(8, 36000, Kind.DRILL_ENDED, {"reason": "scenario time is up"}),
    ]  # fmt: skip
    score = score_drill(judged, events)
    assert result_of(score, "E-level").status == "partly"
    assert result_of(score, "E-report").status == "missed"
    assert score.rating == "U"


# 7. Numbers no plan can take ------------------------------------------------------------


@pytest.mark.parametrize("crest", [float("nan"), float("inf"), float("-inf"), 10**16, -1e300])
def test_a_number_no_plan_can_take_is_refused_and_meets_nothing(
    flood_bundle: Any, crest: float
) -> None:
    """The worst trainee sends NaN as the crest (it passes every comparison with the
    plan's bounds: before, it was accepted and met the forecast). It is refused; the
    refusal names no value, so the journal stays standard JSON."""
    import json

    compiled = flood_bundle.compiled
    forecast = Decision("hydrology", "issue_forecast", {"crest": crest})
    engine, score = play(compiled, [(60, forecast)])
    [refused] = kinds(engine, Kind.DECISION_REFUSED)
    assert refused.data["problems"] == [{"code": "out_of_range", "param": "crest"}]
    assert "finite number within ±10^15" in refused.data["reason"]
    assert not kinds(engine, Kind.DECISION_ACCEPTED)
    assert result_of(score, "E-forecast-1").status != "met"
    json.dumps(refused.data["problems"], allow_nan=False)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Evacuate the low streets", None),
        ("撤离低洼街道", None),
        ("  ", "empty_text"),
        ("\u200b", "unreadable_text"),  # zero-width space: looked like text to .strip()
        ("\u2800\u3164", "empty_text"),  # blank braille, Hangul filler: draw nothing
        ("\u00adok", "unreadable_text"),  # soft hyphen
        ("\u202eerif", "unreadable_text"),  # reads "fire"
        ("\x1b]0;PWNED\x07ALL CLEAR", "unreadable_text"),
        ("two\nlines", "unreadable_text"),
    ],
)
def test_a_text_answer_must_be_visible_plain_text(
    flood_bundle: Any, typed: str, code: str | None
) -> None:
    """A text parameter of a zero-width space was "non-empty" and met its expectation;
    an ESC sequence in one reached other trainees' terminals when an action set state."""
    from engine.params import value_refusal
    from engine.plan import Param

    param = Param.model_validate(
        {"id": "message", "name": {"zh": "内容", "en": "Message"}, "type": "text"}
    )
    refusal = value_refusal(flood_bundle.compiled.plan, param, typed)
    assert (refusal.code if refusal else None) == code
