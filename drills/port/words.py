"""How the drill is put into words for consoles and the CLI: timeline lines, refusals.

Everything here returns text in one language (``lang``); ``drills.port.views.both``
words it in both for a view event.
"""

from __future__ import annotations

from typing import Any

from drills.port.labels import CHANNELS
from drills.port.text import one_line
from drills.port.views import both, literal
from engine.compiled import CompiledScenario
from engine.fields import Bilingual
from engine.plan import Param, Plan
from scoring.wording import commission_line, outcome_line

# Engine events that state an expectation's outcome, and the outcome word they carry.
OUTCOME_KINDS = {
    "expectation_met": "met",
    "expectation_late": "late",
    "answer_partly": "answer_partly",
    "expectation_partly": "partly",
    "expectation_missed": "missed",
}


def channel_name(channel: str, lang: str) -> str:
    """How an inject arrives (电话, phone …), by the label table."""
    zh, en = CHANNELS.get(channel, (channel, channel))
    return zh if lang == "zh" else en


def name_of(items: Any, item_id: str, lang: str) -> str:
    """The name of the role/action/capability ``item_id`` in ``items`` (else the id)."""
    for item in items:
        if item.id == item_id:
            return str(item.name.get(lang))
    return one_line(item_id)


# Why the engine refuses a decision, by reason code (engine/params.py ``Problem.code``):
# worded here in both languages with the plan's own names, never the engine's English.
REFUSALS: dict[str, tuple[str, str]] = {
    "drill_ended": (
        "演练已结束，不再受理决策",
        "the drill has ended: decisions are no longer taken",
    ),
    "unknown_role": ("预案中没有角色“{value}”", "the plan has no role {value!r}"),
    "unknown_action": ("预案中没有行动“{value}”", "the plan has no action {value!r}"),
    "not_authorised": (
        "预案未授权{role}执行“{action}”",
        "the plan does not authorise {role} to {action}",
    ),
    "unknown_param": ("“{action}”没有参数“{param}”", "{action} has no parameter {param!r}"),
    "missing_param": ("缺少“{param}”", "{param} is missing"),
    "not_allowed_value": ("“{param}”应为{allowed}之一", "{param} must be one of {allowed}"),
    "not_a_role": ("“{param}”应为预案中的角色", "{param} must be a role of the plan"),
    "not_a_number": ("“{param}”应为数字", "{param} must be a number"),
    "not_whole": ("“{param}”应为整数", "{param} must be a whole number"),
    "out_of_range": (
        "“{param}”应为绝对值不超过10^15的有限数",
        "{param} must be a finite number within ±10^15",
    ),
    "below_min": ("“{param}”不得小于{limit}", "{param} must be at least {limit}"),
    "above_max": ("“{param}”不得大于{limit}", "{param} must be at most {limit}"),
    "empty_text": ("“{param}”不能为空", "{param} cannot be empty"),
    "unreadable_text": (
        "“{param}”须为可见的普通文字，不能含控制字符或不可见字符",
        "{param} must be plain visible text, without control or invisible characters",
    ),
    "not_bool": ("“{param}”应为是或否", "{param} must be yes or no"),
}


def refusal_words(data: dict[str, Any], plan: Plan | None = None) -> Bilingual:
    """Why the engine refused a decision, in both languages.

    Journals of this engine carry reason codes (``problems``); older ones only the
    English reason, which is shown as it was journaled."""
    problems = data.get("problems")
    if data.get("code") == "drill_ended":
        return both(lambda lang: _refusal({"code": "drill_ended"}, data, plan, lang))
    if not isinstance(problems, list) or not problems:
        return literal(str(data.get("reason", "")))
    return both(lambda lang: "; ".join(_refusal(p, data, plan, lang) for p in problems))


def _refusal(problem: dict[str, Any], data: dict[str, Any], plan: Plan | None, lang: str) -> str:
    zh, en = REFUSALS.get(str(problem.get("code")), ("{value}", "{value}"))
    action = plan.action(str(data.get("action"))) if plan else None
    param = action.param(str(problem.get("param"))) if action and problem.get("param") else None
    # ids and values as the trainee sent them are shown on one line, inert
    words = {
        "value": one_line(str(problem.get("value", ""))),
        "role": name_of(plan.roles, str(data.get("role")), lang)
        if plan
        else one_line(str(data.get("role"))),
        "action": action.name.get(lang) if action else one_line(str(data.get("action"))),
        "param": param.name.get(lang) if param else one_line(str(problem.get("param", ""))),
        "limit": problem.get("limit", ""),
        "allowed": _allowed(problem.get("allowed") or [], plan, param, lang),
    }
    return (zh if lang == "zh" else en).format(**words)


def _allowed(ids: list[Any], plan: Plan | None, param: Param | None, lang: str) -> str:
    """The allowed values by their names (scale levels, choices)."""
    names = {str(i): str(i) for i in ids}
    if param is not None and param.type == "choice":
        names.update({c.id: c.name.get(lang) for c in param.choices})
    elif param is not None and plan is not None and param.scale:
        scale = plan.scale(param.scale)
        names.update({lv.id: lv.name.get(lang) for lv in scale.levels} if scale else {})
    return ("、" if lang == "zh" else ", ").join(names[str(i)] for i in ids)


def params_words(plan: Plan, action_id: str, params: dict[str, Any], lang: str) -> str:
    """A decision's parameters by the plan's names: ``级别: IV级``, ``level: Level IV``."""
    action = plan.action(action_id)
    parts = []
    for key, value in params.items():
        param = action.param(key) if action else None
        if param is None:
            parts.append(one_line(f"{key}={value}"))
            continue
        shown = one_line(str(value))
        if param.type == "choice":
            shown = next((c.name.get(lang) for c in param.choices if c.id == value), shown)
        elif param.type == "scale" and (scale := plan.scale(param.scale or "")) is not None:
            shown = next((lv.name.get(lang) for lv in scale.levels if lv.id == value), shown)
        elif param.type == "role":
            shown = name_of(plan.roles, str(value), lang)
        elif param.type == "bool":
            shown = ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
        parts.append(f"{param.name.get(lang)}: {shown}")
    return ("，" if lang == "zh" else ", ").join(parts)


def clock(seconds: int) -> str:
    """Scenario time as H:MM:SS (days roll into hours)."""
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def describe_event(event: Any, compiled: CompiledScenario, lang: str = "en") -> str | None:
    """One readable timeline line per event (None for events not worth a line)."""
    plan = compiled.plan
    data = event.data
    kind = event.kind
    when = clock(event.t)

    def role(role_id: str) -> str:
        return name_of(plan.roles, role_id, lang)

    if kind == "inject_delivered":
        inject = compiled.injects[data["inject"]]
        to = ", ".join(role(r) for r in data["to"])
        source = inject.source.get(lang)
        way = channel_name(inject.channel, lang)
        return f"{when}  ▸ {inject.id} [{way}] {source} → {to}: {inject.text.get(lang)}"
    if kind == "decision_accepted":  # recorded, not judged: the outcome lines judge it
        params = params_words(plan, str(data["action"]), data["params"], lang)
        action = name_of(plan.actions, data["action"], lang)
        return f"{when}  → {role(data['role'])}: {action} {params}".rstrip()
    if kind == "decision_refused":
        action = name_of(plan.actions, data["action"], lang)
        reason = refusal_words(data, plan).get(lang)
        return f"{when}  ✗ {role(data['role'])}: {action} — {reason}"
    if kind in OUTCOME_KINDS:
        spec = compiled.expectations.get(data["expectation"])
        if spec is None:
            return None
        status = OUTCOME_KINDS[kind]
        return f"{when}    {outcome_line(plan, spec, status, lang, wrong=data.get('wrong'))}"
    if kind == "commission":
        _inject, item = compiled.prohibited.get(data["prohibited"], (None, None))
        if item is None:
            return f"{when}  ✗ {data['severity']}: {data['reason'].get(lang, '')}"
        return f"{when}  {commission_line(item, lang)}"
    if kind == "hint_sent":
        text = data["text"]
        text = text.get(lang, text.get("en")) if isinstance(text, dict) else text
        return f"{when}  ? {text}"
    if kind == "drill_ended":
        return f"{when}  ■ {data['reason']}"
    return None
