"""Checks that need the whole plan and scenario: references, reachability, time.

Schema validation says a file is well formed; these checks say it makes sense: every
role, action, rule and inject named exists, every inject can fire, every condition can
hold, every expectation opens and falls due before the drill ends, no expected answer is
prohibited while it is due, and every scored rule cites its clause. Then the ideal run is
rehearsed (``engine.rehearsal``): a file that validates plays to 100.

Each pass over the scenario is linear in its size (indexes, a worklist for
reachability), so a 10,000-inject file validates in seconds.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine import rehearsal
from engine.compiled import (
    ResolvedExpectation,
    ResolveError,
    compile_scenario,
    fire_windows,
    resolve_expectation,
)
from engine.conditions import (
    ActionCond,
    Condition,
    FiredCond,
    OutcomeCond,
    StateCond,
    walk,
    walk_paths,
)
from engine.fields import format_duration
from engine.loader import Diagnostic, Document
from engine.params import param_problems
from engine.plan import Plan, Prohibited
from engine.satisfiable import Context, satisfiable
from engine.scenario import Inject, Scenario


@dataclass
class _Report:
    doc: Document
    items: list[Diagnostic] = field(default_factory=list)

    def add(
        self,
        loc: Sequence[str | int],
        message: str,
        *,
        warning: bool = False,
        key: bool = False,
    ) -> None:
        line, col = self.doc.position(list(loc), key=key)
        field_path = ".".join(str(p) for p in loc)
        severity: Literal["error", "warning"] = "warning" if warning else "error"
        self.items.append(Diagnostic(self.doc.path, line, col, field_path, message, severity))


def _duplicates(report: _Report, items: Sequence[Any], path: str, what: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        item_id = item.id
        if item_id in seen:
            report.add([path, i, "id"], f"{what} id {item_id!r} is used twice")
        seen.add(item_id)


def check_plan(plan: Plan, doc: Document) -> list[Diagnostic]:
    """Cross-checks inside a plan file."""
    report = _Report(doc)
    _duplicates(report, plan.roles, "roles", "role")
    _duplicates(report, plan.scales, "scales", "scale")
    _duplicates(report, plan.actions, "actions", "action")
    _duplicates(report, plan.rules, "rules", "rule")
    _duplicates(report, plan.capabilities, "capabilities", "capability")
    role_ids = {r.id for r in plan.roles}
    for i, role in enumerate(plan.roles):
        if role.reports_to and role.reports_to not in role_ids:
            report.add(["roles", i, "reports_to"], f"unknown role {role.reports_to!r}")
    for i, scale in enumerate(plan.scales):
        _duplicates(report, scale.levels, f"scales.{i}.levels", "level")
    for i, action in enumerate(plan.actions):
        for j, role_id in enumerate(action.roles):
            if role_id not in role_ids:
                report.add(["actions", i, "roles", j], f"unknown role {role_id!r}")
        for key, param_id in action.sets.items():
            if action.param(param_id) is None:
                report.add(["actions", i, "sets", key], f"unknown parameter {param_id!r}")
        for j, param in enumerate(action.params):
            if param.scale and plan.scale(param.scale) is None:
                report.add(
                    ["actions", i, "params", j, "scale"],
                    f"unknown scale {param.scale!r}",
                )
    capability_ids = {c.id for c in plan.capabilities}
    _duplicates(report, plan.prohibited, "prohibited", "prohibited item")
    for j, item in enumerate(plan.prohibited):
        _check_prohibited(report, plan, item, ["prohibited", j])
    for i, rule in enumerate(plan.rules):
        base: list[str | int] = ["rules", i]
        _check_assignment(report, plan, base, [*base, "role"], rule.role, rule.action, rule.params)
        _check_substitutes(report, plan, [*base, "substitutes"], rule.substitutes, rule.action)
        if rule.capability and capability_ids and rule.capability not in capability_ids:
            report.add([*base, "capability"], f"unknown capability {rule.capability!r}")
        if rule.scored and rule.clause and rule.clause.certainty == "unverified":
            report.add(
                [*base, "clause", "certainty"],
                "an unverified source cannot be scored; set scored: false",
            )
        for item in plan.prohibited:
            if _forbids(item, rule.role, rule.action, rule.params):
                report.add(
                    base,
                    f"the rule's answer is also prohibited ({item.id}): it would be a "
                    "commission in every drill; narrow the item (params, role or when:)",
                )
    return report.items


def check_scenario(
    plan: Plan, scenario: Scenario, doc: Document, *, rehearse: bool = True
) -> list[Diagnostic]:
    """Cross-checks of a scenario against its plan.

    When they find no error, the ideal run is ``rehearse``d (``engine.rehearsal``): what
    it cannot play to full marks is an error too. A drill stored with its texts need not
    be rehearsed again to be rebuilt.
    """
    report = _Report(doc)
    role_ids = {r.id for r in plan.roles}
    capability_ids = {c.id for c in plan.capabilities} | {"general"}
    if scenario.plan != plan.id:
        report.add(
            ["plan"],
            f"scenario plays plan {scenario.plan!r} but was checked with {plan.id!r}",
        )
    _duplicates(report, scenario.injects, "injects", "inject")
    _duplicates(report, scenario.objectives, "objectives", "objective")

    inject_ids = {i.id for i in scenario.injects}
    exp_owner: dict[str, str] = {}
    exp_deadline: dict[str, tuple[int | None, int | None, list[str | int]]] = {}
    opened: list[tuple[ResolvedExpectation, list[str | int]]] = []
    state_keys = set(scenario.state)
    for inject in scenario.injects:
        state_keys.update(e.key for e in inject.effects)
    for action in plan.actions:
        state_keys.update(action.sets)

    for i, inject in enumerate(scenario.injects):
        base: list[str | int] = ["injects", i]
        for j, role_id in enumerate(inject.to):
            if role_id not in role_ids:
                report.add([*base, "to", j], f"unknown role {role_id!r}")
        for j, exp in enumerate(inject.expects):
            loc = [*base, "expects", j]
            try:
                resolved = resolve_expectation(plan, inject, exp)
            except ResolveError as exc:
                report.add([*loc, "rule"] if exp.rule else loc, str(exc))
                continue
            if resolved.id in exp_owner:
                report.add(
                    loc,
                    f"expectation id {resolved.id!r} is used twice (also in inject "
                    f"{exp_owner[resolved.id]!r}); give each its own id",
                )
                continue
            exp_owner[resolved.id] = inject.id
            due = None if resolved.deadline is None else resolved.deadline + resolved.grace
            exp_deadline[resolved.id] = (due, resolved.hard_limit, loc)
            # Fields that came from the plan rule are reported at the rule reference.
            role_loc = loc if exp.role is None else [*loc, "role"]
            _check_assignment(
                report, plan, loc, role_loc, resolved.role, resolved.action, resolved.params
            )
            if resolved.capability not in capability_ids:
                report.add(loc, f"unknown capability {resolved.capability!r}")
            _check_substitutes(
                report, plan, [*loc, "substitutes"], list(resolved.substitutes), resolved.action
            )
            opened.append((resolved, loc))
        for j, prohibited in enumerate(inject.prohibited):
            _check_prohibited(report, plan, prohibited, [*base, "prohibited", j])
        for j, hint in enumerate(inject.hints):
            for k, role_id in enumerate(hint.to or []):
                if role_id not in role_ids:
                    report.add([*base, "hints", j, "to", k], f"unknown role {role_id!r}")
        for j, effect in enumerate(inject.effects):
            current = scenario.state.get(effect.key)
            if (
                effect.add is not None
                and current is not None
                and (isinstance(current, bool) or not isinstance(current, (int, float)))
            ):
                report.add(
                    [*base, "effects", j],
                    f"cannot add to {effect.key!r}, which is not a number",
                )

    for j, prohibited in enumerate(scenario.prohibited):
        _check_prohibited(report, plan, prohibited, ["prohibited", j])
    seen_prohibited = {item.id for item in plan.prohibited}
    for loc, item in _scenario_prohibited(scenario):
        if item.id in seen_prohibited:
            report.add([*loc, "id"], f"prohibited id {item.id!r} is used twice (plan or scenario)")
        seen_prohibited.add(item.id)

    windows = fire_windows(scenario)
    _check_not_forbidden(report, plan, scenario, opened, windows)

    # References that need every expectation id.
    exp_ids = set(exp_owner)
    for i, inject in enumerate(scenario.injects):
        base = ["injects", i]
        if inject.after is not None:
            if inject.after.inject and inject.after.inject not in inject_ids:
                report.add(
                    [*base, "after", "inject"],
                    f"unknown inject {inject.after.inject!r}",
                )
            if inject.after.expectation and inject.after.expectation not in exp_owner:
                report.add(
                    [*base, "after", "expectation"],
                    f"unknown expectation {inject.after.expectation!r}",
                )
        if inject.when is not None:
            _check_condition_refs(
                report,
                inject.when,
                [*base, "when"],
                inject_ids,
                exp_ids,
                state_keys,
                plan,
            )
        for j, exp in enumerate(inject.expects):
            if exp.when is not None:
                _check_condition_refs(
                    report,
                    exp.when,
                    [*base, "expects", j, "when"],
                    inject_ids,
                    exp_ids,
                    state_keys,
                    plan,
                )
        for j, pair in enumerate(inject.precedence):
            _check_pair(report, pair, [*base, "precedence", j], exp_owner)
        for j, hint in enumerate(inject.hints):
            for k, exp_id in enumerate(hint.unless or []):
                if exp_id not in exp_owner:
                    report.add(
                        [*base, "hints", j, "unless", k],
                        f"unknown expectation {exp_id!r}",
                    )
    for loc, item in _scenario_prohibited(scenario):
        if item.when is not None:
            _check_condition_refs(
                report, item.when, [*loc, "when"], inject_ids, exp_ids, state_keys, plan
            )
    for j, pair in enumerate(scenario.precedence):
        _check_pair(report, pair, ["precedence", j], exp_owner)
    for i, objective in enumerate(scenario.objectives):
        for j, cap in enumerate(objective.capabilities):
            if cap not in capability_ids:
                report.add(["objectives", i, "capabilities", j], f"unknown capability {cap!r}")
    for i, tracked in enumerate(scenario.tracked):
        if tracked.key not in state_keys:
            report.add(["tracked", i, "key"], f"state {tracked.key!r} is never set")
        if tracked.scale and plan.scale(tracked.scale) is None:
            report.add(["tracked", i, "scale"], f"unknown scale {tracked.scale!r}")

    if not any(e.rule or e.id for i in scenario.injects for e in i.expects):
        report.add(
            ["injects"],
            "no inject expects anything: the drill cannot be scored",
            warning=True,
        )

    _check_reachability_and_time(report, plan, scenario, exp_owner, exp_deadline, windows)
    if rehearse and not any(d.severity == "error" for d in report.items):
        _rehearse(report, plan, scenario, opened)
    return report.items


def _check_assignment(
    report: _Report,
    plan: Plan,
    loc: list[str | int],
    role_loc: list[str | int],
    role_id: str,
    action_id: str,
    params: dict[str, Any],
) -> None:
    """A role doing an action with parameters: all known, authorised and well typed."""
    if plan.role(role_id) is None:
        report.add([*loc, "role"], f"unknown role {role_id!r}")
    action = plan.action(action_id)
    if action is None:
        report.add([*loc, "action"], f"unknown action {action_id!r}")
        return
    if plan.role(role_id) is not None and role_id not in action.roles:
        report.add(
            role_loc,
            f"role {role_id!r} is not authorised for {action.id} "
            f"(allowed: {', '.join(action.roles)})",
        )
    for key, problem in param_problems(plan, action, params, complete=False):
        report.add([*loc, "params", key] if key else [*loc, "params"], problem)


def _check_prohibited(report: _Report, plan: Plan, item: Prohibited, loc: list[str | int]) -> None:
    action = plan.action(item.action)
    if action is None:
        report.add([*loc, "action"], f"unknown action {item.action!r}")
    else:
        for key, problem in param_problems(plan, action, item.params, complete=False):
            report.add([*loc, "params", key] if key else [*loc, "params"], problem)
    if item.role and plan.role(item.role) is None:
        report.add([*loc, "role"], f"unknown role {item.role!r}")


def _scenario_prohibited(scenario: Scenario) -> list[tuple[list[str | int], Prohibited]]:
    """Every prohibited item of a scenario with its location."""
    found: list[tuple[list[str | int], Prohibited]] = [
        (["prohibited", j], item) for j, item in enumerate(scenario.prohibited)
    ]
    for i, inject in enumerate(scenario.injects):
        found += [(["injects", i, "prohibited", j], p) for j, p in enumerate(inject.prohibited)]
    return found


def _check_substitutes(
    report: _Report, plan: Plan, loc: list[str | int], substitutes: list[str], action_id: str
) -> None:
    """A substitute is a plan role the plan authorises to take the action."""
    action = plan.action(action_id)
    for k, role_id in enumerate(substitutes):
        if plan.role(role_id) is None:
            report.add([*loc, k], f"unknown role {role_id!r}")
        elif action is not None and role_id not in action.roles:
            report.add([*loc, k], f"substitute {role_id!r} is not authorised for {action_id}")


def _forbids(item: Prohibited, role: str, action: str, params: dict[str, Any]) -> bool:
    """Whether an always-armed item (no ``when``) forbids this exact answer."""
    return (
        item.when is None
        and item.action == action
        and item.role in (None, role)
        and all(k in params and params[k] == v for k, v in item.params.items())
    )


def _check_not_forbidden(
    report: _Report,
    plan: Plan,
    scenario: Scenario,
    opened: list[tuple[ResolvedExpectation, list[str | int]]],
    windows: dict[str, tuple[int, int]],
) -> None:
    """An expected answer that is prohibited while it is due can never be given: no ideal run.

    Plan and scenario items are armed from the start and an inject's own from its delivery;
    an item of another inject counts when it may be armed before the expectation's
    deadline (or the end, without one) has passed: at a time known to be that early, or
    on a branch whose time nobody knows before play. Items with ``when:`` depend on the
    situation and are left to it.
    """
    by_action: dict[str, list[tuple[str | None, Prohibited]]] = {}
    for item in [*plan.prohibited, *scenario.prohibited]:
        by_action.setdefault(item.action, []).append((None, item))
    for inject in scenario.injects:
        for item in inject.prohibited:
            by_action.setdefault(item.action, []).append((inject.id, item))
    for spec, loc in opened:
        for armed_by, item in by_action.get(spec.action, ()):
            if not _forbids(item, spec.role, spec.action, spec.params):
                continue
            how = _armed_while_due(armed_by, spec, windows, scenario.duration)
            if how is not None:
                report.add(
                    loc,
                    f"the expected action is also prohibited ({item.id}{how}): "
                    "an ideal answer would be a commission",
                )


def _armed_while_due(
    armed_by: str | None,
    spec: ResolvedExpectation,
    windows: dict[str, tuple[int, int]],
    duration: int,
) -> str | None:
    """How an item may be armed while ``spec`` is due (for the message), or None if never."""
    if armed_by is None or armed_by == spec.inject:
        return ""
    opens, arms = windows.get(spec.inject), windows.get(armed_by)
    if opens is None or arms is None:
        return f", armed by inject {armed_by}, whose time is only known in play"
    due = duration if spec.deadline is None else opens[1] + spec.deadline + spec.grace
    if arms[0] > due:
        return None
    return f", armed by inject {armed_by} at {format_duration(arms[0])}"


def _rehearse(
    report: _Report,
    plan: Plan,
    scenario: Scenario,
    opened: list[tuple[ResolvedExpectation, list[str | int]]],
) -> None:
    """Refuse what the ideal run cannot play to 100, at the expectation or pair concerned."""
    where = {spec.id: loc for spec, loc in opened}
    pairs: dict[tuple[str, str], list[str | int]] = {}
    for i, inject in enumerate(scenario.injects):
        for j, pair in enumerate(inject.precedence):
            pairs.setdefault((pair[0], pair[1]), ["injects", i, "precedence", j])
    for j, pair in enumerate(scenario.precedence):
        pairs.setdefault((pair[0], pair[1]), ["precedence", j])
    try:
        compiled = compile_scenario(plan, scenario)
    except ResolveError:
        return  # the plan has errors of its own (duplicate ids), reported with the plan
    for problem in rehearsal.rehearse(compiled):
        if problem.pair is not None:
            loc = pairs.get(problem.pair, ["precedence"])
        else:
            loc = where.get(problem.expectation or "", ["injects"])
        report.add(loc, problem.message)


def _check_pair(
    report: _Report, pair: list[str], loc: list[str | int], exp_owner: dict[str, str]
) -> None:
    for k, exp_id in enumerate(pair):
        if exp_id not in exp_owner:
            report.add([*loc, k], f"unknown expectation {exp_id!r}")
    if len(pair) == 2 and pair[0] == pair[1]:
        report.add(loc, "a precedence pair needs two different expectations")


def _check_condition_refs(
    report: _Report,
    cond: Condition,
    loc: list[str | int],
    inject_ids: set[str],
    exp_ids: set[str],
    state_keys: set[str],
    plan: Plan,
) -> None:
    for node, path in walk_paths(cond):
        at = [*loc, *path]
        if isinstance(node, OutcomeCond) and node.expectation not in exp_ids:
            report.add([*at, node.outcome], f"unknown expectation {node.expectation!r}")
        elif isinstance(node, FiredCond) and node.fired not in inject_ids:
            report.add([*at, "fired"], f"unknown inject {node.fired!r}")
        elif isinstance(node, ActionCond):
            if plan.action(node.action) is None:
                report.add([*at, "action"], f"unknown action {node.action!r}")
            if node.role and plan.role(node.role) is None:
                report.add([*at, "role"], f"unknown role {node.role!r}")
        elif isinstance(node, StateCond) and node.state not in state_keys:
            report.add([*at, "state"], f"state {node.state!r} is never set, so this can never hold")


def _check_reachability_and_time(
    report: _Report,
    plan: Plan,
    scenario: Scenario,
    exp_owner: dict[str, str],
    exp_deadline: dict[str, tuple[int | None, int | None, list[str | int]]],
    windows: dict[str, tuple[int, int]],
) -> None:
    duration = scenario.duration
    context = Context(scenario, plan, exp_owner)
    reachable = _reachable(scenario, exp_owner, windows, context)
    for i, inject in enumerate(scenario.injects):
        if inject.id in reachable:
            continue
        if inject.at is not None and inject.at > duration:
            report.add(
                ["injects", i, "at"],
                f"fires at {format_duration(inject.at)}, after the scenario ends "
                f"({format_duration(duration)})",
            )
        elif inject.when is not None and not satisfiable(
            inject.when, scenario, plan, exp_owner, context=context
        ):
            report.add(["injects", i, "when"], "this condition can never hold")
        else:
            report.add(
                ["injects", i],
                f"inject {inject.id!r} can never fire (what it waits for cannot happen)",
            )
    _check_time_to_answer(report, scenario, exp_owner, exp_deadline, windows, reachable)


def _check_time_to_answer(
    report: _Report,
    scenario: Scenario,
    exp_owner: dict[str, str],
    exp_deadline: dict[str, tuple[int | None, int | None, list[str | int]]],
    windows: dict[str, tuple[int, int]],
    reachable: set[str],
) -> None:
    """Expectations whose time is known must open, and fall due, before the scenario ends.

    The latest fire time counts (``jitter`` included): the drill must be winnable for
    every seed. One opened at the very end could only be missed.
    """
    duration = scenario.duration
    end = format_duration(duration)
    for exp_id, (due, hard, loc) in exp_deadline.items():
        owner = exp_owner[exp_id]
        window = windows.get(owner)
        if window is None or owner not in reachable:
            continue
        opens = window[1]
        if opens >= duration:
            latest = " at the latest (jitter)" if window[0] != opens else ""
            report.add(
                loc,
                f"opens at {format_duration(opens)}{latest}, when the scenario ends ({end}) "
                "or later: nobody can answer it; fire the inject earlier or end the scenario "
                "later",
            )
        elif due is not None and opens + due > duration:
            report.add(
                loc,
                f"the deadline (with grace) ends at {format_duration(opens + due)}, after the "
                f"scenario ends ({end})",
            )
        elif due is not None and hard is not None and opens + hard > duration:
            report.add(
                loc,
                f"the hard limit ends at {format_duration(opens + hard)}, after the scenario "
                f"ends ({end}): a late action cannot be recorded as late, only as omitted",
                warning=True,
            )


def _reachable(
    scenario: Scenario,
    exp_owner: dict[str, str],
    windows: dict[str, tuple[int, int]],
    context: Context,
) -> set[str]:
    """Injects that can fire: what each waits for can happen (a worklist, so linear).

    An inject is looked at once, then again only when something it waits for turns out
    to be able to happen.
    """
    injects = scenario.injects
    waiting: dict[str, list[int]] = {}
    for index, inject in enumerate(injects):
        for awaited in _waits_for(inject, exp_owner):
            waiting.setdefault(awaited, []).append(index)
    reachable: set[str] = set()
    queue = deque(range(len(injects)))
    while queue:
        inject = injects[queue.popleft()]
        if inject.id in reachable or not _can_fire(inject, windows, reachable, context):
            continue
        reachable.add(inject.id)
        queue.extend(waiting.get(inject.id, ()))
    return reachable


def _waits_for(inject: Inject, exp_owner: dict[str, str]) -> Iterator[str]:
    """The injects whose firing may let this one fire."""
    if inject.after is not None:
        parent = inject.after.inject or exp_owner.get(inject.after.expectation or "")
        if parent:
            yield parent
    elif inject.when is not None:
        for node in walk(inject.when):
            if isinstance(node, OutcomeCond) and node.expectation in exp_owner:
                yield exp_owner[node.expectation]
            elif isinstance(node, FiredCond):
                yield node.fired


def _can_fire(
    inject: Inject, windows: dict[str, tuple[int, int]], reachable: set[str], context: Context
) -> bool:
    duration = context.scenario.duration
    if inject.at is not None:
        return inject.at <= duration
    if inject.after is not None:
        after = inject.after
        parent = after.inject or context.exp_owner.get(after.expectation or "")
        earliest = windows[inject.id][0] if inject.id in windows else 0
        return parent in reachable and earliest <= duration
    if inject.when is not None:
        scenario, plan, exp_owner = context.scenario, context.plan, context.exp_owner
        return satisfiable(inject.when, scenario, plan, exp_owner, reachable, context=context)
    return False
