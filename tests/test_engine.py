"""The engine: inject timing and branches, decision checks, expectations, determinism."""

from collections.abc import Iterable

from engine.bots import make_bot
from engine.compiled import CompiledScenario
from engine.events import Decision, EndDrill, Event, FireInject, Input, Kind, SendHint
from engine.runner import Runner, replay
from engine.runtime import DrillEngine


def kinds(engine: DrillEngine, kind: Kind) -> list[Event]:
    return [e for e in engine.events if e.kind == kind]


def play(
    compiled: CompiledScenario,
    inputs: Iterable[tuple[int, Input]],
    *,
    seed: int = 0,
    mode: str = "training",
) -> DrillEngine:
    engine = DrillEngine(compiled, seed=seed, mode=mode)
    replay(engine, inputs)
    return engine


def test_idle_drill_delivers_timed_and_relative_injects(branching: CompiledScenario) -> None:
    engine = play(branching, [])
    delivered = {e.data["inject"]: e.t for e in kinds(engine, Kind.INJECT_DELIVERED)}
    assert delivered["I1"] == 600
    assert delivered["I2"] == 900  # after I1 + 5m
    assert "I4-relief" not in delivered  # only when the report is done
    assert delivered["I3-escalate"] == 600 + 2 * 1800  # E-report missed at its hard limit
    assert engine.facts.state["calls"] == 15
    assert kinds(engine, Kind.DRILL_ENDED)[-1].t == 4 * 3600


def test_relief_branch_and_condition_fire_when_the_plan_is_followed(
    branching: CompiledScenario,
) -> None:
    engine = play(
        branching,
        [
            (700, Decision("duty_chief", "report")),
            (1000, Decision("duty_chief", "decide_level", {"level": "III"})),
        ],
    )
    delivered = {e.data["inject"]: e.t for e in kinds(engine, Kind.INJECT_DELIVERED)}
    assert delivered["I4-relief"] == 700 + 600
    assert delivered["I5-when"] == 1000 + 60  # response_level set by the action's `sets`
    assert "I3-escalate" not in delivered


def test_decisions_are_refused_with_a_reason(worked: CompiledScenario) -> None:
    engine = play(
        worked,
        [
            (60, Decision("mayor", "report")),
            (61, Decision("commander", "report")),
            (62, Decision("duty_chief", "launch_rockets")),
            (63, Decision("duty_chief", "decide_level", {"level": "V"})),
            (64, Decision("duty_chief", "decide_level")),
            (65, Decision("duty_chief", "report", {"extra": 1})),
        ],
    )
    reasons = [e.data["reason"] for e in kinds(engine, Kind.DECISION_REFUSED)]
    assert reasons == [
        "unknown role 'mayor'",
        "the plan does not authorise commander to report (authorised: duty_chief, office)",
        "unknown action 'launch_rockets'",
        "level must be one of IV, III, II, I; got 'V'",
        "parameter level is required for decide_level",
        "action report has no parameter 'extra' (parameters: none)",
    ]
    assert not kinds(engine, Kind.DECISION_ACCEPTED)


def test_expectations_met_late_overdue_missed(worked: CompiledScenario) -> None:
    engine = play(
        worked,
        [
            (1200, Decision("duty_chief", "report")),
            (2400, Decision("duty_chief", "decide_level", {"level": "III"})),
        ],
    )
    met = {e.data["expectation"] for e in kinds(engine, Kind.EXPECTATION_MET)}
    late = {e.data["expectation"]: e.data["latency"] for e in kinds(engine, Kind.EXPECTATION_LATE)}
    missed = {e.data["expectation"]: e.t for e in kinds(engine, Kind.EXPECTATION_MISSED)}
    overdue = {e.data["expectation"]: e.t for e in kinds(engine, Kind.EXPECTATION_OVERDUE)}
    assert met == {"A2"}
    assert late == {"A1": 2400}
    assert missed == {"A3": 4800}  # default hard limit: twice the 40m deadline
    assert overdue == {"A1": 2100, "A3": 2400}


def test_decision_after_the_end_is_refused(worked: CompiledScenario) -> None:
    engine = play(worked, [(100, EndDrill("stop")), (200, Decision("duty_chief", "report"))])
    assert kinds(engine, Kind.DRILL_ENDED)[0].t == 100
    assert kinds(engine, Kind.DECISION_REFUSED)[0].data["reason"] == "the drill has ended"
    assert {e.data["expectation"] for e in kinds(engine, Kind.EXPECTATION_MISSED)} == {
        "A1",
        "A2",
        "A3",
    }


def test_prohibited_action_is_accepted_but_recorded_as_commission(worked: CompiledScenario) -> None:
    engine = play(worked, [(300, Decision("commander", "publish_level"))])
    [commission] = kinds(engine, Kind.COMMISSION)
    assert commission.data["prohibited"] == "X1" and commission.data["severity"] == "major"


def test_hints_only_in_training_mode(worked: CompiledScenario) -> None:
    assert kinds(play(worked, []), Kind.HINT_SENT)[0].t == 1500
    assert not kinds(play(worked, [], mode="exam"), Kind.HINT_SENT)


def test_trainer_controls(branching: CompiledScenario) -> None:
    engine = play(
        branching,
        [
            (60, FireInject("I6-jitter")),
            (61, FireInject("I6-jitter")),
            (62, SendHint(("office",), "check the pumps")),
        ],
    )
    delivered = [e for e in kinds(engine, Kind.INJECT_DELIVERED) if e.data["inject"] == "I6-jitter"]
    assert [(e.t, e.data.get("manual")) for e in delivered] == [(60, True)]  # fires once
    assert kinds(engine, Kind.HINT_SENT)[0].data == {
        "to": ["office"],
        "text": "check the pumps",
        "manual": True,
    }


def test_jitter_depends_on_the_seed_only(branching: CompiledScenario) -> None:
    def fire_time(seed: int) -> int:
        engine = play(branching, [], seed=seed)
        return next(
            e.t for e in kinds(engine, Kind.INJECT_DELIVERED) if e.data["inject"] == "I6-jitter"
        )

    times = {fire_time(seed) for seed in range(8)}
    assert all(7200 <= t <= 7800 for t in times) and len(times) > 1
    assert fire_time(3) == fire_time(3)


def test_same_inputs_give_byte_identical_streams(branching: CompiledScenario) -> None:
    def stream(seed: int) -> bytes:
        engine = DrillEngine(branching, seed=seed)
        Runner(
            engine, [make_bot("novice", ["duty_chief", "office", "commander"], seed)]
        ).run_to_end()
        return "\n".join(e.to_json() for e in engine.events).encode()

    assert stream(5) == stream(5)
    assert stream(5) != stream(6)


def test_live_decisions_and_replay_take_the_same_path(worked: CompiledScenario) -> None:
    """Bot decisions made live, journaled, then replayed without bots: same events."""
    journal: list[tuple[int, Input]] = []
    engine = DrillEngine(worked, seed=1)
    runner = Runner(
        engine,
        [make_bot("novice", ["duty_chief", "office", "commander"], 1)],
        on_input=lambda t, item: journal.append((t, item)),
    )
    runner.run_to_end()
    assert journal
    again = play(worked, journal, seed=1)
    assert [e.to_json() for e in again.events] == [e.to_json() for e in engine.events]


def test_next_inject_time_for_skip(branching: CompiledScenario) -> None:
    engine = DrillEngine(branching)
    runner = Runner(engine)
    runner.start()
    assert engine.next_inject_time() == 600
    runner.run_until(600)
    assert engine.next_inject_time() == 900
