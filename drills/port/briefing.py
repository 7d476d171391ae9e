"""The briefing a participant reads before the clock starts."""

from __future__ import annotations

from drills.port.feeds import Briefing, RoleChoice
from engine.compiled import CompiledScenario
from engine.plan import Plan


def briefing_for(
    compiled: CompiledScenario,
    drill_id: str,
    mode: str,
    role: str | None,
    *,
    speed: float,
    hosted: bool,
) -> Briefing:
    """The scenario's public part and ``role``'s duties (None: the trainer's briefing).

    Objectives are the exercise's aims (演练目的), which the trainees are told in a
    real tabletop exercise; which actions are expected stays with the trainer."""
    scenario = compiled.scenario
    found = compiled.plan.role(role) if role else None
    return Briefing(
        drill_id=drill_id,
        mode=mode,
        title=scenario.title,
        summary=scenario.summary,
        objectives=tuple(o.text for o in scenario.objectives),
        role=role,
        role_name=found.name if found else None,
        duties=found.duties if found else None,
        start=scenario.start,
        duration=scenario.duration,
        speed=speed,
        hosted=hosted,
    )


def plan_roles(plan: Plan) -> list[RoleChoice]:
    """Every role of a plan, as choices with their duties."""
    return [RoleChoice(r.id, r.name, r.duties) for r in plan.roles]
