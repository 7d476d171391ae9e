"""``drillhall validate``: every problem in every file, each with its position."""

from __future__ import annotations

from pathlib import Path

from drills.library.catalog import find_plan
from engine.crosscheck import check_plan, check_scenario
from engine.loader import Diagnostic, LoadError, detect_kind, read_document, validate_model
from engine.plan import Plan
from engine.scenario import Scenario


def _load_plan(path: Path) -> tuple[Plan | None, list[Diagnostic]]:
    try:
        doc = read_document(path)
        plan = validate_model(doc, Plan)
    except LoadError as exc:
        return None, exc.diagnostics
    return plan, check_plan(plan, doc)


def validate_paths(
    paths: list[Path], plan_override: Path | None = None
) -> tuple[list[Diagnostic], list[str]]:
    """Diagnostics (errors and warnings) and one summary line per valid file."""
    diagnostics: list[Diagnostic] = []
    summaries: list[str] = []
    unique: dict[Path, Path] = {}
    for path in paths:
        unique.setdefault(path.resolve(), path)  # a plan named twice is checked once
    paths = list(unique.values())
    plans: dict[Path, tuple[Plan | None, list[Diagnostic]]] = {}

    def plan_at(path: Path) -> tuple[Plan | None, list[Diagnostic]]:
        key = path.resolve()
        if key not in plans:
            plans[key] = _load_plan(path)
            diagnostics.extend(plans[key][1])
        return plans[key]

    named_plans: dict[str, Path] = {}
    for path in paths:
        try:
            doc = read_document(path)
            if detect_kind(doc) == "plan" and isinstance(doc.data.get("id"), str):
                named_plans[doc.data["id"]] = path
        except LoadError:
            continue

    for path in paths:
        try:
            doc = read_document(path)
            kind = detect_kind(doc)
        except LoadError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        if kind == "plan":
            plan, problems = plan_at(path)
            if plan is not None and not any(p.severity == "error" for p in problems):
                summaries.append(
                    f"{path}: ok (plan {plan.id} v{plan.version}: {len(plan.roles)} roles, "
                    f"{len(plan.actions)} actions, {len(plan.rules)} rules)"
                )
            continue
        try:
            scenario = validate_model(doc, Scenario)
        except LoadError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        try:
            plan_path = (
                plan_override or named_plans.get(scenario.plan) or find_plan(path, scenario.plan)
            )
        except LoadError as exc:
            diagnostics.extend(exc.diagnostics)
            continue
        plan, _ = plan_at(plan_path)
        if plan is None:
            diagnostics.append(
                Diagnostic(
                    str(path),
                    *doc.position(["plan"]),
                    "plan",
                    f"its plan {plan_path} has errors (listed above)",
                )
            )
            continue
        problems = check_scenario(plan, scenario, doc)
        diagnostics.extend(problems)
        if not any(p.severity == "error" for p in problems):
            summaries.append(
                f"{path}: ok (scenario {scenario.id}: {len(scenario.injects)} injects, "
                f"plan {plan.id})"
            )
    distinct = list(dict.fromkeys(diagnostics))
    return distinct, summaries
