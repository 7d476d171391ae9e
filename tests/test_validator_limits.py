"""The validator refuses what cannot play, at its node; what it accepts plays to 100.

Issue 12, part 3: values YAML cannot build, non-finite and out-of-range numbers,
impossible dates, parameter bounds that exclude every value, deadlines of 0,
expectations that open at the end, expected actions that are also prohibited, and the
rehearsal of the ideal run. Part 6: the indexes that keep play linear give exactly the
results a full re-evaluation would. One file per case lives in tests/broken/ as well.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from engine.bots import make_bot
from engine.bundle import load_bundle
from engine.compiled import compile_scenario, fire_windows
from engine.conditions import (
    ActionCond,
    AllCond,
    AnyCond,
    Condition,
    Facts,
    FiredCond,
    NotCond,
    OutcomeCond,
    StateCond,
    evaluate,
    explain,
)
from engine.crosscheck import check_plan, check_scenario
from engine.fields import MAX_DURATION, parse_duration
from engine.loader import Diagnostic, LoadError, parse_yaml, read_document, validate_model
from engine.plan import Param, Plan
from engine.runner import Runner
from engine.runtime import DrillEngine
from engine.scenario import Scenario
from engine.variants import fill_params
from scoring.score import score_drill

from .conftest import DATA

PLAN_PATH = DATA / "worked-plan.yaml"
PLAN = validate_model(read_document(PLAN_PATH), Plan)

HEADER = """\
id: limits
plan: worked-example
family: flood
title: Limits
"""
ONE_INJECT = """\
injects:
  - id: I1
    at: 0
    from: Hydrology bureau
    to: [duty_chief]
    text: Water is rising.
    expects: [{rule: A2}]
"""


def diagnose(text: str, plan: Plan = PLAN) -> list[Diagnostic]:
    """What ``drillhall validate`` says about a scenario text (errors and warnings)."""
    try:
        doc = parse_yaml(text, "s.yaml")
        scenario = validate_model(doc, Scenario)
    except LoadError as exc:
        return exc.diagnostics
    return check_scenario(plan, scenario, doc)


def errors(text: str, plan: Plan = PLAN) -> list[str]:
    return [str(d) for d in diagnose(text, plan) if d.severity == "error"]


def plan_errors(text: str) -> list[str]:
    try:
        doc = parse_yaml(text, "p.yaml")
        plan = validate_model(doc, Plan)
    except LoadError as exc:
        return [str(d) for d in exc.diagnostics]
    return [str(d) for d in check_plan(plan, doc) if d.severity == "error"]


def ideal(text: str, plan: Plan = PLAN) -> tuple[float, str]:
    """The ideal run's score and rating (the text must validate)."""
    assert errors(text, plan) == []
    scenario = validate_model(parse_yaml(text, "s.yaml"), Scenario)
    compiled = compile_scenario(plan, scenario)
    engine = DrillEngine(compiled)
    Runner(engine, [make_bot("ideal", [r.id for r in plan.roles])]).run_to_end()
    result = score_drill(compiled, engine.events)
    json.dumps(result.to_dict(), allow_nan=False)
    return result.score, result.rating


def one_of(messages: list[str], *parts: str) -> None:
    assert any(all(p in m for p in parts) for m in messages), messages


# --- values YAML cannot build ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-02-30", "'2026-02-30' is not a real date (day is out of range for month)"),
        ("2026-13-01", "'2026-13-01' is not a real date (month must be in 1..12)"),
        ('!!int "x"', "cannot read 'x' as a whole number"),
        ('!!float ""', "cannot read '' as a number"),
        ('!!bool "maybe"', "cannot read 'maybe' as true or false"),
        ('!!timestamp "nope"', "cannot read 'nope' as a date"),
        ("!!int 0x", "cannot read '0x' as a whole number"),
    ],
)
def test_values_yaml_cannot_build_are_reported_at_their_node(value: str, expected: str) -> None:
    text = f"id: x\nnotes:\n  - first\n  - {value}\n"
    with pytest.raises(LoadError) as info:
        parse_yaml(text, "v.yaml")
    [diagnostic] = info.value.diagnostics
    assert (diagnostic.line, diagnostic.col) == (4, 5)
    assert expected in diagnostic.message


def test_every_value_yaml_cannot_build_is_reported_not_just_the_first() -> None:
    text = 'a: !!int "x"\nb: ok\nc: !!bool "maybe"\n'
    with pytest.raises(LoadError) as info:
        parse_yaml(text, "v.yaml")
    assert [(d.line, d.col) for d in info.value.diagnostics] == [(1, 4), (3, 4)]


# --- numbers ---------------------------------------------------------------------------


def test_durations_stop_at_ten_years() -> None:
    assert parse_duration("3650d") == MAX_DURATION
    assert parse_duration(MAX_DURATION) == MAX_DURATION
    for too_long in ("3651d", MAX_DURATION + 1, 2**63, "99999999999999999999d"):
        with pytest.raises(ValueError, match="at most 10 years"):
            parse_duration(too_long)


@pytest.mark.parametrize(
    ("fragment", "expected"),
    [
        ("duration: 9223372036854775808", "duration: a duration can be at most 10 years"),
        ("duration: 3h\nstate: {level: .nan}", "state.level: a number must be finite, not .nan"),
        ("duration: 3h\nstate: {level: -.inf}", "state.level: a number must be finite, not -.inf"),
        ("duration: 3h\nstate: {level: 2000000000000000}", "between -10^15 and 10^15"),
        # too large for a float: the message must not overflow formatting it
        ("duration: 3h\nstate: {level: " + "9" * 400 + "}", "got a 400-digit number"),
        # past Python's 4,300-digit limit: not read, and not echoed in full
        ("duration: 3h\nstate: {level: " + "9" * 5000 + "}", "… (5,000 characters) as a whole"),
        ("duration: 3h\ncompression: .inf", "compression: a number must be finite, not .inf"),
        ("duration: 3h\ncompression: 0.001", "compression: compression must be between 0.01"),
        ("duration: 3h\ncompression: 2000000", "compression: compression must be between 0.01"),
        (
            "duration: 3h\nobjectives: [{id: O1, text: Win, weight: 1.0e+308}]",
            "objectives.0.weight: a weight can be at most 1000",
        ),
        (
            "duration: 3h\nobjectives: [{id: O1, text: Win, weight: .inf}]",
            "objectives.0.weight: a number must be finite, not .inf",
        ),
    ],
)
def test_numbers_that_cannot_play_are_refused_at_their_node(fragment: str, expected: str) -> None:
    text = HEADER + fragment + "\n" + ONE_INJECT
    messages = errors(text)
    one_of(messages, expected)
    key = fragment.splitlines()[-1].split(":")[0]
    line = text.splitlines().index(fragment.splitlines()[-1]) + 1
    assert any(m.startswith(f"s.yaml:{line}:") for m in messages), (key, messages)


@pytest.mark.parametrize(
    ("expects", "expected"),
    [
        ("[{rule: A2, weight: .inf}]", "injects.0.expects.0.weight: a number must be finite"),
        ("[{rule: A2, weight: .nan}]", "injects.0.expects.0.weight: a number must be finite"),
        ("[{rule: A2, weight: 1001}]", "injects.0.expects.0.weight: a weight can be at most"),
        ("[{rule: A1, params: {level: .nan}}]", "params.level: a number must be finite"),
        ("[{rule: A2, deadline: 3651d}]", "deadline: Input should be 'immediate'; a duration"),
    ],
)
def test_numbers_in_expectations_are_refused(expects: str, expected: str) -> None:
    text = HEADER + "duration: 3h\n" + ONE_INJECT.replace("[{rule: A2}]", expects)
    one_of(errors(text), expected)


def test_conditions_compare_with_finite_numbers_only() -> None:
    text = HEADER + "duration: 3h\nstate: {level: 1}\n" + ONE_INJECT
    text += "  - {id: I2, when: {state: level, '>': .inf}, from: x, to: [office], text: y}\n"
    one_of(errors(text), "injects.1.when.>: a number must be finite, not .inf")


def test_weights_up_to_1000_still_score_100() -> None:
    text = HEADER + "duration: 3h\n" + ONE_INJECT.replace("{rule: A2}", "{rule: A2, weight: 1000}")
    assert ideal(text) == (100.0, "P")


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        ('"2026-02-30 06:00"', "start must be a real date and time"),
        ('"morning"', "start must be a real date and time"),
        ('"9999-12-31 23:00"', "too close to the year 9999"),
        ("2026-06-30", 'write the start in quotes, e.g. start: "2026-06-30"'),
    ],
)
def test_the_start_must_be_a_real_date(start: str, expected: str) -> None:
    one_of(errors(HEADER + f"start: {start}\nduration: 3h\n" + ONE_INJECT), "s.yaml:5:8:", expected)


def test_a_real_start_is_accepted() -> None:
    assert errors(HEADER + 'start: "2026-06-30 06:00"\nduration: 3h\n' + ONE_INJECT) == []


# --- parameters -----------------------------------------------------------------------

PARAM_PLAN = """\
id: p
version: "1"
title: Parameters
roles: [{{id: chief, name: Chief}}]
actions:
  - id: send
    name: Send teams
    roles: [chief]
    params:
      - {{id: teams, name: Teams, type: {kind}{bounds}}}
rules: []
"""


@pytest.mark.parametrize(
    ("kind", "bounds", "expected"),
    [
        ("number", ", min: 10, max: 1", "min (10) is above max (1): no value would be accepted"),
        ("int", ", min: 0.2, max: 0.8", "no whole number lies between min (0.2) and max (0.8)"),
        ("text", ", min: 1", "only an int or number parameter has min/max, not a 'text' one"),
        ("number", ", min: .inf", "actions.0.params.0.min: a number must be finite, not .inf"),
        ("number", ", max: .nan", "actions.0.params.0.max: a number must be finite, not .nan"),
    ],
)
def test_bounds_that_exclude_every_value_are_refused(kind: str, bounds: str, expected: str) -> None:
    one_of(plan_errors(PARAM_PLAN.format(kind=kind, bounds=bounds)), "p.yaml:10:", expected)


@pytest.mark.parametrize(
    ("kind", "low", "high", "first"),
    [
        ("int", None, None, 1),
        ("int", 3, None, 3),
        ("int", -1.5, None, -1),  # as int(min) gave before: unchanged where it was valid
        ("int", 0.5, 2, 1),  # int(0.5) = 0 was below the minimum
        ("number", 0.2, 0.8, 0.2),  # no whole number in range: the minimum itself
        ("number", None, 0.5, 0),
        ("int", None, -3, -3),
    ],
)
def test_the_bots_fill_a_number_within_its_bounds(
    kind: str, low: float | None, high: float | None, first: float
) -> None:
    param = Param.model_validate({"id": "n", "name": "N", "type": kind, "min": low, "max": high})
    plan = PLAN.model_copy()
    action = PLAN.actions[1].model_copy(update={"params": [param]})
    assert fill_params(plan, action, {}) == {"n": first}


# --- deadlines and time ---------------------------------------------------------------


def test_a_deadline_of_zero_is_refused_in_a_plan_and_in_a_scenario() -> None:
    plan_text = PLAN_PATH.read_text(encoding="utf-8").replace("deadline: 40m", "deadline: 0")
    one_of(plan_errors(plan_text), "rules.2.deadline: a deadline of 0 can never be met")
    text = HEADER + "duration: 3h\n" + ONE_INJECT.replace("{rule: A2}", "{rule: A2, deadline: 0s}")
    one_of(errors(text), "s.yaml:12:36:", "deadline: a deadline of 0 can never be met")


def test_one_second_deadlines_still_play_to_100() -> None:
    """Several answers due within a second are given at once, in precedence order."""
    text = (
        HEADER
        + "duration: 3h\n"
        + ONE_INJECT.replace(
            "expects: [{rule: A2}]",
            "expects: [{rule: A1, deadline: 1s, grace: 0, hard_deadline: true},"
            " {rule: A2, deadline: 2s, hard_limit: 2s}, {rule: A3, deadline: 1s}]\n"
            "    precedence: [[A1, A2], [A2, A3]]",
        )
    )
    assert ideal(text) == (100.0, "P")


@pytest.mark.parametrize("at", ["3h", "2h59m59s"])
def test_an_expectation_opened_at_the_end_is_refused(at: str) -> None:
    text = HEADER + "duration: 3h\n" + ONE_INJECT.replace("at: 0", f"at: {at}")
    messages = errors(text)
    if at == "3h":
        one_of(messages, "s.yaml:12:15: injects.0.expects.0: opens at 3h, when the scenario ends")
    else:  # it opens in time, but its deadline ends after the scenario does
        one_of(messages, "injects.0.expects.0: the deadline (with grace) ends at")


def test_an_expectation_without_deadline_opened_just_before_the_end_plays_to_100() -> None:
    inline = (
        "{id: E1, title: Log it, role: office, action: notify_members,"
        " clause: {source: s, ref: r, certainty: proxy}}"
    )
    text = (
        HEADER
        + "duration: 3h\n"
        + ONE_INJECT.replace("at: 0", "at: 2h59m59s").replace("[{rule: A2}]", f"[{inline}]")
    )
    assert ideal(text) == (100.0, "P")


def test_jitter_counts_at_its_latest() -> None:
    text = HEADER + "duration: 3h\n" + ONE_INJECT.replace("at: 0", "at: 2h20m\n    jitter: 15m")
    one_of(errors(text), "injects.0.expects.0: the deadline (with grace) ends at 3h5m")


def test_fire_windows_follow_chains_in_any_order() -> None:
    scenario = validate_model(
        parse_yaml(
            HEADER
            + "duration: 3h\ninjects:\n"
            + "".join(
                f"  - {{id: I{i}, after: {{inject: I{i + 1}, delay: 1m}}, jitter: 1m,"
                f" from: x, to: [office], text: t}}\n"
                for i in range(50)
            )
            + "  - {id: I50, at: 0, from: x, to: [office], text: t}\n",
            "s.yaml",
        ),
        Scenario,
    )
    windows = fire_windows(scenario)
    assert windows["I50"] == (0, 0)
    assert windows["I0"] == (50 * 60, 50 * 120)


# --- expected actions that are also prohibited ------------------------------------------

PUBLISH = (
    "{id: E-pub, title: Publish, role: office, action: publish_level,"
    " clause: {source: s, ref: r, certainty: proxy}}"
)
FORBID = "{id: X-pub, action: publish_level, severity: minor, reason: Not now.}"


def _publish(first_at: str, forbid: str, deadline: str = "") -> str:
    expects = PUBLISH.replace("}}", f"}}{deadline}}}", 1) if deadline else PUBLISH
    return (
        HEADER
        + "duration: 5h\ninjects:\n"
        + f"  - {{id: I1, at: 1h, from: x, to: [office], text: t, expects: [{expects}]}}\n"
        + f"  - {{id: I2, {first_at}, from: x, to: [office], text: u, prohibited: [{forbid}]}}\n"
    )


@pytest.mark.parametrize(
    ("trigger", "deadline", "refused"),
    [
        ("at: 30m", ", deadline: 30m", True),  # armed before it opens
        ("at: 1h20m", ", deadline: 30m", True),  # armed while it is due
        ("at: 2h", ", deadline: 30m", False),  # armed after its deadline: a late answer errs
        ("at: 4h", "", True),  # no deadline: due until the end
        ("when: {fired: I1}", ", deadline: 30m", True),  # a time known only in play
    ],
)
def test_an_item_armed_while_the_answer_is_due_is_refused(
    trigger: str, deadline: str, refused: bool
) -> None:
    text = _publish(trigger, FORBID, deadline)
    messages = errors(text)
    found = [m for m in messages if "the expected action is also prohibited (X-pub" in m]
    assert bool(found) == refused, messages
    if refused:
        col = text.splitlines()[6].index("{id: E-pub") + 1
        assert found[0].startswith(f"s.yaml:7:{col}: injects.0.expects.0:")


def test_an_item_with_its_own_parameters_or_role_forbids_only_those() -> None:
    other_role = FORBID.replace("action:", "role: commander, action:")
    assert errors(_publish("at: 30m", other_role, ", deadline: 30m")) == []


def test_the_ideal_bot_fills_free_parameters_with_allowed_values() -> None:
    """A free choice is never made the forbidden way when another is allowed."""
    text = (
        HEADER
        + "duration: 3h\n"
        + ONE_INJECT.replace(
            "[{rule: A2}]",
            "[{id: E1, title: Assess, role: duty_chief, action: decide_level,"
            " clause: {source: s, ref: r, certainty: proxy}}]",
        ).replace(
            "    text: Water is rising.\n",
            "    text: Water is rising.\n"
            "    prohibited: [{id: X-IV, action: decide_level, params: {level: IV}, "
            "severity: critical, reason: Too low.}]\n",
        )
    )
    assert ideal(text) == (100.0, "P")


# --- the rehearsal ----------------------------------------------------------------------


def test_the_rehearsal_names_the_pair_it_cannot_keep() -> None:
    text = HEADER + "duration: 3h\nprecedence: [[A3, A2]]\n" + ONE_INJECT
    text += "  - {id: I2, at: 1h, from: x, to: [office], text: t, expects: [{rule: A3}]}\n"
    one_of(errors(text), "s.yaml:6:14: precedence.0: the ideal run answers A2", "before A3")


def test_the_rehearsal_is_part_of_validate_but_not_of_loading() -> None:
    """A drill can be played (and rebuilt from its journal) whatever the ideal bot makes
    of it; ``validate`` is where it must be winnable. The judgement fixture is not: the
    power is never cut, so the rescue it expects is always a commission."""
    scenario_path, plan_path = DATA / "judgement-scenario.yaml", DATA / "judgement-plan.yaml"
    load_bundle(scenario_path, plan_path)
    plan = validate_model(read_document(plan_path), Plan)
    doc = read_document(scenario_path)
    found = check_scenario(plan, validate_model(doc, Scenario), doc)
    one_of([str(d) for d in found], "injects.5.expects.1: the ideal answer", "X-live-rescue")
    assert check_scenario(plan, validate_model(doc, Scenario), doc, rehearse=False) == []


def test_a_plan_with_duplicate_prohibited_ids_is_reported_not_rehearsed() -> None:
    """Compiling it would fail; the rehearsal used to crash validate with ResolveError."""
    plan_text = PLAN_PATH.read_text(encoding="utf-8") + (
        "prohibited:\n"
        "  - {id: X1, action: publish_level, severity: minor, reason: No.}\n"
        "  - {id: X1, action: publish_level, severity: minor, reason: Still no.}\n"
    )
    one_of(plan_errors(plan_text), "prohibited.1.id: prohibited item id 'X1' is used twice")
    plan = validate_model(parse_yaml(plan_text, "p.yaml"), Plan)
    assert errors(HEADER + "duration: 3h\n" + ONE_INJECT, plan) == []


def test_a_partly_branch_validates_when_a_wrong_parameter_is_possible() -> None:
    text = HEADER + "duration: 3h\n" + ONE_INJECT.replace("{rule: A2}", "{rule: A1}")
    partly = "  - {id: I2, when: {partly: A1}, from: x, to: [office], text: t}\n"
    assert errors(text + partly) == []
    no_params = HEADER + "duration: 3h\n" + ONE_INJECT + partly.replace("A1", "A2")
    one_of(errors(no_params), "injects.1.when: this condition can never hold")


# --- the engine's indexes give what evaluating everything would ---------------------------

EXPECTATIONS, INJECTS, ACTIONS, KEYS = ("E1", "E2"), ("I1", "I2"), ("a", "b"), ("k", "m")
VALUES: tuple[Any, ...] = (0, 1, 2.5, "x", True)


def _atom(rng: random.Random) -> Condition:
    kind = rng.randrange(4)
    if kind == 0:
        outcome = rng.choice(["met", "late", "partly", "missed", "done", "pending"])
        return OutcomeCond.model_validate({outcome: rng.choice(EXPECTATIONS)})
    if kind == 1:
        return FiredCond(fired=rng.choice(INJECTS))
    if kind == 2:
        params = {"p": rng.choice(VALUES)} if rng.random() < 0.6 else {}
        role = rng.choice([None, "r1", "r2"])
        return ActionCond(action=rng.choice(ACTIONS), role=role, params=params)
    op = rng.choice(["==", "!=", "<", "<=", ">", ">="])
    value = rng.choice(VALUES if op in ("==", "!=") else (0, 1, 2.5))
    return StateCond.model_validate({"state": rng.choice(KEYS), op: value})


def _condition(rng: random.Random, depth: int = 0) -> Condition:
    if depth > 2 or rng.random() < 0.4:
        return _atom(rng)
    kind = rng.randrange(3)
    members = [_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]
    if kind == 0:
        return AllCond(all=members)
    if kind == 1:
        return AnyCond(any=members)
    return NotCond.model_validate({"not": members[0]})


def _change(rng: random.Random, facts: Facts) -> list[tuple[Any, ...]]:
    """Change one fact as the engine can, returning the facts the engine announces."""
    kind = rng.randrange(4)
    if kind == 0:
        exp = rng.choice(EXPECTATIONS)
        now = facts.outcomes.get(exp)
        if now not in (None, "pending"):
            return []  # final outcomes never change
        facts.outcomes[exp] = "pending" if now is None else rng.choice(["met", "late", "missed"])
        return [("outcome", exp)]
    if kind == 1:
        inject = rng.choice(INJECTS)
        facts.fired.add(inject)
        return [("fired", inject)]
    if kind == 2:
        action, params = rng.choice(ACTIONS), {"p": rng.choice(VALUES)}
        facts.actions.append((rng.choice(["r1", "r2"]), action, params))
        return [("action", action), ("action", action, "p", params["p"])]
    key, value = rng.choice(KEYS), rng.choice(VALUES)
    facts.state[key] = value
    return [("state", key), ("state", key, value)]


def test_a_condition_changes_only_when_a_fact_it_depends_on_does() -> None:
    """What lets the engine re-evaluate only the conditions a change may have turned."""
    rng = random.Random(5)
    for _ in range(3000):
        cond, facts = _condition(rng), Facts()
        for _ in range(rng.randint(0, 6)):
            _change(rng, facts)
        value, depends_on = explain(cond, facts)
        assert value == evaluate(cond, facts)
        announced = _change(rng, facts)
        if not set(announced) & set(depends_on):
            assert evaluate(cond, facts) == value, (cond, facts, announced, depends_on)


def test_the_decision_index_answers_as_a_scan_would() -> None:
    rng = random.Random(7)
    facts = Facts()
    for _ in range(300):
        action = rng.choice(ACTIONS)
        params = {"p": rng.choice(VALUES), "q": rng.choice(VALUES)}
        facts.actions.append((rng.choice(["r1", "r2"]), action, params))
        asked = {k: rng.choice(VALUES) for k in rng.sample(["p", "q"], rng.randint(0, 2))}
        role = rng.choice([None, "r1", "r2"])
        scan = any(
            a == action and role in (None, r) and all(p.get(k) == v for k, v in asked.items())
            for r, a, p in facts.actions
        )
        assert facts.done(action, role, asked) == scan


def test_shipped_scenarios_play_identically_with_the_indexes() -> None:
    """Every branch a full re-evaluation at each change would fire, fires at that moment."""
    for path in sorted(Path(DATA.parent.parent / "scenarios").glob("*/*.yaml")):
        if path.parent.name == "plans":
            continue
        plan_path = path.parent.parent / "plans" / f"{read_document(path).data['plan']}.yaml"
        compiled = load_bundle(path, plan_path).compiled
        for bot, seed in (("ideal", 0), ("novice", 3), ("idle", 0)):
            engine = DrillEngine(compiled, seed=seed)
            Runner(engine, [make_bot(bot, [r.id for r in compiled.plan.roles], seed)]).run_to_end()
            fired_at = dict(engine.fired)
            for inject in compiled.scenario.injects:
                if inject.when is not None and inject.id not in fired_at:
                    assert not evaluate(inject.when, engine.facts), (path.name, inject.id)
            assert math.isfinite(score_drill(compiled, engine.events).score)
