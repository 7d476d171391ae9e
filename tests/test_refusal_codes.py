"""Engine refusals carry reason codes; the consoles word them in their own language."""

from __future__ import annotations

from drills.port.views import DecisionRefused
from drills.port.visibility import trainee_views
from engine.compiled import CompiledScenario
from engine.events import Decision, EndDrill, Kind

from .test_engine import play


def refused(worked: CompiledScenario, decision: Decision) -> DecisionRefused:
    engine = play(worked, [(100, decision)])
    event = next(e for e in engine.events if e.kind == Kind.DECISION_REFUSED)
    views = trainee_views([event], worked, decision.role, "training")
    view = views[0]
    assert isinstance(view, DecisionRefused)
    return view


def test_a_refusal_keeps_its_english_reason_and_adds_codes(worked: CompiledScenario) -> None:
    engine = play(worked, [(100, Decision("duty_chief", "nosuchaction"))])
    event = next(e for e in engine.events if e.kind == Kind.DECISION_REFUSED)
    assert event.data["reason"] == "unknown action 'nosuchaction'"
    assert event.data["problems"] == [{"code": "unknown_action", "value": "nosuchaction"}]


def test_refusals_are_worded_in_each_language(worked: CompiledScenario) -> None:
    plan = worked.plan
    action = next(a for a in plan.actions if a.params and any(p.required for p in a.params))
    role = action.roles[0]
    view = refused(worked, Decision(role, action.id, {}))
    required = next(p for p in action.params if p.required)
    assert required.name.get("zh") in view.reason.zh and "缺少" in view.reason.zh
    assert required.name.get("en") in view.reason.en and "missing" in view.reason.en
    other = next(a for a in plan.actions if set(a.roles) != {r.id for r in plan.roles})
    outsider = next(r.id for r in plan.roles if r.id not in other.roles)
    not_allowed = refused(worked, Decision(outsider, other.id, {}))
    assert "未授权" in not_allowed.reason.zh and "does not authorise" in not_allowed.reason.en


def test_a_decision_after_the_end_says_so_in_both_languages(worked: CompiledScenario) -> None:
    role = worked.plan.roles[0].id
    engine = play(worked, [(10, EndDrill("stop")), (20, Decision(role, "x"))])
    event = next(e for e in engine.events if e.kind == Kind.DECISION_REFUSED)
    assert event.data["code"] == "drill_ended"
    view = trainee_views([event], worked, role, "training")[0]
    assert isinstance(view, DecisionRefused)
    assert "演练已结束" in view.reason.zh and "ended" in view.reason.en


def test_ids_from_an_old_journal_stay_on_their_line_and_inert(worked: CompiledScenario) -> None:
    """Before the gateway took only ids, a trainee could send an action id with a newline
    and an ESC: its refusal drew a forged "✓ met" line on the trainer's timeline. Such
    journals still replay; their ids are shown on one line, the controls as pictures."""
    from drills.port.words import describe_event

    role = worked.plan.roles[0].id
    forged = "x\n0:00:05    ✓ met: forecast\x1b[2J"
    junk = {"crest\x1b]0;x\x07": 1}
    engine = play(worked, [(100, Decision(role, forged)), (110, Decision(role, "report", junk))])
    refusals = [e for e in engine.events if e.kind == Kind.DECISION_REFUSED]
    assert len(refusals) == 2
    for event in refusals:
        for lang in ("zh", "en"):
            line = describe_event(event, worked, lang)
            assert line is not None and "\n" not in line and "\x1b" not in line, line
        view = trainee_views([event], worked, role, "training")[0]
        assert isinstance(view, DecisionRefused)
        for shown in (view.reason.zh, view.reason.en, view.action.zh, view.action.en):
            assert "\n" not in shown and "\x1b" not in shown, shown
