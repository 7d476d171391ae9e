"""A playable bundle: plan + scenario, schema-valid, cross-checked and compiled.

The journal stores both texts with each drill, so a drill can be resumed, replayed and
reported even after the files on disk have changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from engine.compiled import CompiledScenario, compile_scenario
from engine.crosscheck import check_plan, check_scenario
from engine.loader import (
    Diagnostic,
    Document,
    LoadError,
    parse_yaml,
    read_document,
    validate_model,
)
from engine.memory import gc_paused
from engine.plan import Plan
from engine.scenario import Scenario


@dataclass
class Bundle:
    compiled: CompiledScenario
    scenario_text: str
    plan_text: str
    scenario_path: str
    plan_path: str
    warnings: list[Diagnostic]


def _errors(items: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in items if d.severity == "error"]


def _build(scenario_doc: Document, plan_doc: Document) -> Bundle:
    """Every check ``drillhall validate`` makes but the rehearsal of the ideal run: a
    drill can be played (or rebuilt from its journal) whatever today's ideal bot makes of
    it; ``validate`` is where a scenario is judged winnable."""
    plan = validate_model(plan_doc, Plan)
    plan_checks = check_plan(plan, plan_doc)
    if _errors(plan_checks):
        raise LoadError(plan_checks)
    scenario = validate_model(scenario_doc, Scenario)
    checks = check_scenario(plan, scenario, scenario_doc, rehearse=False)
    if _errors(checks):
        raise LoadError(checks)
    return Bundle(
        compiled=compile_scenario(plan, scenario),
        scenario_text=scenario_doc.text,
        plan_text=plan_doc.text,
        scenario_path=scenario_doc.path,
        plan_path=plan_doc.path,
        warnings=plan_checks + checks,
    )


def load_bundle(scenario_path: str | Path, plan_path: str | Path) -> Bundle:
    """Load, check and compile; raises LoadError listing every problem found."""
    with gc_paused():
        return _build(read_document(scenario_path), read_document(plan_path))


def bundle_from_texts(
    scenario_text: str, plan_text: str, scenario_name: str = "<scenario>", plan_name: str = "<plan>"
) -> Bundle:
    """Rebuild a bundle from the texts stored in the journal."""
    with gc_paused():
        return _build(parse_yaml(scenario_text, scenario_name), parse_yaml(plan_text, plan_name))
