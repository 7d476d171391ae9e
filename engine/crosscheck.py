"""Checks that need the whole plan and scenario: references, reachability, time.

Schema validation says a file is well formed; these checks say it makes sense: every
role, action, rule and inject named exists, every inject can fire, every condition can
hold, every deadline ends before the drill does, and every scored rule cites its clause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from engine.compiled import ResolvedExpectation, ResolveError, resolve_expectation, static_times
from engine.conditions import (
    ActionCond,
    Condition,
    FiredCond,
    OutcomeCond,
    StateCond,
    walk_paths,
)
from engine.fields import format_duration
from engine.loader import Diagnostic, Document
from engine.params import param_problems
from engine.plan import Plan, Prohibited
from engine.satisfiable import satisfiable
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
    return report.items


def check_scenario(plan: Plan, scenario: Scenario, doc: Document) -> list[Diagnostic]:
    """Cross-checks of a scenario against its plan."""
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
            _check_not_forbidden(report, plan, scenario, inject, resolved, loc)
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

    # References that need every expectation id.
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
                set(exp_owner),
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
                    set(exp_owner),
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
                report, item.when, [*loc, "when"], inject_ids, set(exp_owner), state_keys, plan
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

    _check_reachability_and_time(report, plan, scenario, exp_owner, exp_deadline, state_keys)
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


def _check_not_forbidden(
    report: _Report,
    plan: Plan,
    scenario: Scenario,
    inject: Inject,
    spec: ResolvedExpectation,
    loc: list[str | int],
) -> None:
    """An expected answer that is also always prohibited can never be given: no ideal run."""
    armed = [*plan.prohibited, *scenario.prohibited, *inject.prohibited]
    for item in armed:
        if (
            item.when is None
            and item.action == spec.action
            and item.role in (None, spec.role)
            and all(spec.params.get(k) == v for k, v in item.params.items())
        ):
            report.add(
                loc,
                f"the expected action is also prohibited ({item.id}): "
                "an ideal answer would be a commission",
            )


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
    state_keys: set[str],
) -> None:
    duration = scenario.duration
    times = static_times(scenario)
    index = {inject.id: i for i, inject in enumerate(scenario.injects)}
    # Reachability: an inject can fire if what it waits for can happen.
    reachable: set[str] = set()
    changed = True
    while changed:
        changed = False
        for inject in scenario.injects:
            if inject.id in reachable:
                continue
            ok = False
            if inject.at is not None:
                ok = inject.at <= duration
            elif inject.after is not None:
                parent = inject.after.inject or exp_owner.get(inject.after.expectation or "")
                ok = parent in reachable and times.get(inject.id, 0) <= duration
            elif inject.when is not None:
                ok = satisfiable(inject.when, scenario, plan, exp_owner, reachable)
            if ok:
                reachable.add(inject.id)
                changed = True
    for inject in scenario.injects:
        i = index[inject.id]
        if inject.id in reachable:
            continue
        if inject.at is not None and inject.at > duration:
            report.add(
                ["injects", i, "at"],
                f"fires at {format_duration(inject.at)}, after the scenario ends "
                f"({format_duration(duration)})",
            )
        elif inject.when is not None and not satisfiable(inject.when, scenario, plan, exp_owner):
            report.add(["injects", i, "when"], "this condition can never hold")
        else:
            report.add(
                ["injects", i],
                f"inject {inject.id!r} can never fire (what it waits for cannot happen)",
            )
    # Deadlines known statically must end before the scenario does.
    end = format_duration(duration)
    for exp_id, (due, hard, loc) in exp_deadline.items():
        fire = times.get(exp_owner[exp_id])
        if due is None or fire is None:
            continue
        if fire + due > duration:
            report.add(
                loc,
                f"the deadline (with grace) ends at {format_duration(fire + due)}, after the "
                f"scenario ends ({end})",
            )
        elif hard is not None and fire + hard > duration:
            report.add(
                loc,
                f"the hard limit ends at {format_duration(fire + hard)}, after the scenario "
                f"ends ({end}): a late action cannot be recorded as late, only as omitted",
                warning=True,
            )
