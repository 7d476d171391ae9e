"""``drillhall new plan|scenario NAME``: a commented starting file that validates.

The plan template shows every part of the format once. The scenario template is built
from a real plan: it uses that plan's roles and its first scored rule, so it validates
as written and plays with the bots straight away.
"""

from __future__ import annotations

import re

from engine.compiled import IMMEDIATE_SECONDS
from engine.fields import format_duration
from engine.plan import Plan

PLAN_TEMPLATE = """\
# yaml-language-server: $schema={schema}
#
# A plan encodes your emergency plan (应急预案) once; scenarios refer to it. Scoring comes
# from here: every scored rule names the clause (条款) it comes from and how sure that
# source is. Where your plan is silent, write `scored: false` instead of inventing a rule.
# Check it with: drillhall validate {file}
id: {id}
version: "1"
title: {{zh: 示例应急预案, en: Example emergency plan}}
sources:
  - "Your plan's title, document number and date"
roles:                                   # who takes part; trainees pick one
  - id: commander
    name: {{zh: 指挥长, en: Commander}}
    duties: {{zh: 统一指挥，决定启动响应, en: Commands and decides the response level}}
  - id: duty_officer
    name: {{zh: 值班员, en: Duty officer}}
    duties: {{zh: 接报、登记、报告, en: "Takes reports, logs and passes them on"}}
    reports_to: commander
scales:                                  # ordinal scales, LOWEST first
  - id: response_level
    name: {{zh: 响应级别, en: Response level}}
    levels:
      - {{id: IV, name: {{zh: Ⅳ级, en: Level IV}}}}
      - {{id: III, name: {{zh: Ⅲ级, en: Level III}}}}
      - {{id: II, name: {{zh: Ⅱ级, en: Level II}}}}
      - {{id: I, name: {{zh: Ⅰ级, en: Level I}}}}
capabilities:                            # what the drill evaluates, for the report
  - {{id: command, name: {{zh: 指挥决策, en: Command}}}}
  - {{id: reporting, name: {{zh: 信息报告, en: Reporting}}}}
actions:                                 # what roles may do; `roles` are the ones authorised
  - id: report
    name: {{zh: 报告, en: Report}}
    roles: [duty_officer, commander]
    params:                              # types: scale, choice, role, int, number, text, bool
      - id: to
        name: {{zh: 报告对象, en: To}}
        type: choice
        choices:
          - {{id: commander, name: {{zh: 指挥长, en: Commander}}}}
          - {{id: government, name: {{zh: 本级政府, en: The government}}}}
  - id: activate_response
    name: {{zh: 启动应急响应, en: Activate the response}}
    roles: [commander]
    params:
      - {{id: level, name: {{zh: 级别, en: Level}}, type: scale, scale: response_level}}
    sets: {{response_level: level}}        # the chosen level becomes tracked state
rules:                                   # "when X, role R does A (params) within D"
  - id: R-report
    title: {{zh: 值班员立即向指挥长报告, en: The duty officer reports to the commander at once}}
    trigger: {{zh: 接到险情报告, en: A danger is reported}}
    role: duty_officer
    action: report
    params: {{to: commander}}
    deadline: 30m                        # only if your plan gives a time limit
    criticality: critical                # critical | essential | non_critical
    weight: 2
    capability: reporting
    clause: {{source: "Your plan", ref: "§4.1", certainty: seed}}
  - id: R-activate
    title: {{zh: 指挥长决定启动Ⅳ级响应, en: The commander starts a Level IV response}}
    role: commander
    action: activate_response
    params: {{level: IV}}                  # one level off earns half credit
    criticality: critical
    weight: 3
    capability: command
    clause: {{source: "Your plan", ref: "§4.2", certainty: seed}}
"""

SCENARIO_TEMPLATE = """\
# yaml-language-server: $schema={schema}
#
# A scenario is a master scenario events list (MSEL) for plan {plan_id}. Injects fire at a
# time (at), after another inject or an expectation's outcome (after), or when a condition
# holds (when). Check it: drillhall validate {file}
# Try it:  drillhall run {file} --bot ideal   (must score 100)
#          drillhall run {file} --bot idle    (must be rated U)
id: {id}
plan: {plan_id}
family: {family}
title: {{zh: 新演练想定, en: New drill scenario}}
summary: {{zh: 一段给参演人员的情景概述。, en: A short situation summary for the players.}}
duration: {duration}                           # scenario time; write "90m", "2h" — never 12:30
compression: {compression}                        # scenario seconds per wall second when played live
state: {{alerts: 0}}                      # figures the scenario tracks
tracked:
  - {{key: alerts, name: {{zh: 告警数, en: Alerts}}}}
injects:
  - id: I01
    at: 0
    from: {{zh: 监测系统, en: Monitoring system}}
    to: [{role}]
    channel: system
    text: {{zh: 第一条情况通报。, en: The first situation report.}}
    background: {{zh: 只有导调看得到的真实情况。, en: What only the controller sees.}}
    effects: [{{add: alerts, value: 1}}]
    expects:
      - rule: {rule}                     # owner, action, parameters, deadline from the plan
        id: E1
    hints:
      - {{after: {hint}, text: {{zh: 提示：预案对此有何规定？, en: "Hint: what does the plan say?"}}}}
  - id: I02
    after: {{inject: I01, delay: 10m}}
    from: {{zh: 现场人员, en: Field staff}}
    to: [{role}]
    channel: phone
    text: {{zh: 现场情况更新。, en: An update from the field.}}
  - id: I03-escalate                      # a branch: only if E1 was missed
    after: {{expectation: E1, outcome: missed}}
    from: {{zh: 上级, en: Higher authority}}
    to: [{role}]
    channel: phone
    text: {{zh: 上级询问为何未按预案处置。, en: Higher authority asks why the plan was not followed.}}
    effects: [{{add: alerts, value: 5}}]
  - id: I04-relief                        # a branch: only if E1 was done on time
    after: {{expectation: E1, outcome: met, delay: 15m}}
    from: {{zh: 上级, en: Higher authority}}
    to: [{role}]
    channel: phone
    text: {{zh: 上级确认收到，情况得到控制。, en: Higher authority acknowledges; things are under control.}}
"""


def _schema_ref(relative_depth: int, name: str) -> str:
    return "../" * relative_depth + name


def plan_text(plan_id: str, file_name: str, schema: str = "../plan.schema.json") -> str:
    _check_id(plan_id)
    return PLAN_TEMPLATE.format(id=plan_id, file=file_name, schema=schema)


def scenario_text(
    scenario_id: str,
    plan: Plan,
    file_name: str,
    *,
    family: str = "other",
    schema: str = "../scenario.schema.json",
) -> str:
    """A scenario on ``plan`` that validates: it uses the plan's first scored rule."""
    _check_id(scenario_id)
    rule = next((r for r in plan.rules if r.scored), None) or (
        plan.rules[0] if plan.rules else None
    )
    if rule is None:
        raise ValueError(f"plan {plan.id} has no rules to build a scenario on")
    deadline = IMMEDIATE_SECONDS if rule.deadline == "immediate" else rule.deadline
    limit = (rule.hard_limit or 2 * deadline) if deadline else 3600
    duration = max(2 * 3600, limit + 3600)
    hint = format_duration(max(60, (deadline or 1800) // 2))
    return SCENARIO_TEMPLATE.format(
        id=scenario_id,
        plan_id=plan.id,
        family=family,
        file=file_name,
        schema=schema,
        role=rule.role,
        rule=rule.id,
        hint=hint,
        duration=format_duration(duration),
        compression=max(1, round(duration / 3600)),
    )


def _check_id(name: str) -> None:
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}", name):
        raise ValueError(
            f"{name!r} cannot be an id: start with a letter; use letters, digits, . _ -"
        )
