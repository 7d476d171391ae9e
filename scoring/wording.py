"""The words Drillhall uses for outcomes, in both languages, in one place.

The trainee's feedback, ``run --follow``, the results screen and the report all say the
same thing about the same expectation: ✓ only for met, and a partly right answer names what
was chosen and what the plan says. Pure: plan data in, strings out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.compiled import ResolvedExpectation
from engine.plan import Plan, Prohibited

STATUS: dict[str, dict[str, str]] = {
    "met": {"zh": "按时完成", "en": "met"},
    "late": {"zh": "超时完成", "en": "late"},
    "partly": {"zh": "部分正确", "en": "partly right"},
    "answer_partly": {"zh": "部分正确（仍可纠正）", "en": "partly right (can still be corrected)"},
    "missed": {"zh": "遗漏", "en": "missed"},
    "pending": {"zh": "未完成", "en": "open"},
    "overdue": {"zh": "已超时", "en": "overdue"},
    "prohibited": {"zh": "违规行动", "en": "prohibited act"},
    "unscored": {"zh": "不计分", "en": "unscored"},
}
MARK = {
    "met": "✓",
    "late": "◷",
    "partly": "◐",
    "answer_partly": "◐",
    "missed": "✗",
    "pending": "○",
    "overdue": "◷",
    "prohibited": "✗",
}
SEVERITY = {
    "critical": {"zh": "严重", "en": "critical"},
    "major": {"zh": "较重", "en": "major"},
    "minor": {"zh": "轻微", "en": "minor"},
}


def _lang(lang: str) -> str:
    return "zh" if lang == "zh" else "en"


def status_word(status: str, lang: str) -> str:
    return STATUS.get(status, {"zh": status, "en": status})[_lang(lang)]


def value_name(plan: Plan, action_id: str, param_id: str, value: Any, lang: str) -> str:
    """A parameter value as the plan names it (a level or a choice), else as given."""
    action = plan.action(action_id)
    param = action.param(param_id) if action else None
    if param is not None and param.type == "scale":
        scale = plan.scale(param.scale or "")
        for level in scale.levels if scale else []:
            if level.id == value:
                return level.name.get(_lang(lang))
    if param is not None and param.type == "choice":
        for choice in param.choices:
            if choice.id == value:
                return choice.name.get(_lang(lang))
    if param is not None and param.type == "role":
        role = plan.role(str(value))
        if role is not None:
            return role.name.get(_lang(lang))
    if isinstance(value, bool):
        return {True: {"zh": "是", "en": "yes"}, False: {"zh": "否", "en": "no"}}[value][
            _lang(lang)
        ]
    return "—" if value is None else str(value)


def wrong_text(
    plan: Plan, action_id: str, wrong: Mapping[str, Mapping[str, Any]], lang: str
) -> str:
    """ "you chose Level III; the plan says Level IV" for every wrong parameter."""
    parts = []
    for param_id, pair in wrong.items():
        given = value_name(plan, action_id, param_id, pair.get("given"), lang)
        expected = value_name(plan, action_id, param_id, pair.get("expected"), lang)
        if _lang(lang) == "zh":
            parts.append(f"您选择了“{given}”；预案要求“{expected}”")
        else:
            parts.append(f"you chose {given}; the plan says {expected}")
    return ("；" if _lang(lang) == "zh" else "; ").join(parts)


def clause_text(spec: ResolvedExpectation | Prohibited) -> str:
    return f"{spec.clause.source} {spec.clause.ref}" if spec.clause else ""


def outcome_line(
    plan: Plan,
    spec: ResolvedExpectation,
    status: str,
    lang: str,
    *,
    wrong: Mapping[str, Mapping[str, Any]] | None = None,
    with_clause: bool = True,
) -> str:
    """One line about an expectation's outcome: mark, word, title, what was wrong, clause."""
    key = status if spec.scored else "unscored"
    mark = MARK.get(status, "·") if spec.scored else "·"
    word = status_word(status, lang)
    if not spec.scored:
        word = f"{word}, {status_word('unscored', lang)}"
    line = f"{mark} {word}: {spec.title.get(_lang(lang), spec.id)}"
    if wrong and status in ("partly", "answer_partly"):
        line += f" — {wrong_text(plan, spec.action, wrong, lang)}"
    clause = clause_text(spec)
    if with_clause and clause and key != "unscored":
        line += f" ({clause})"
    return line


def commission_line(item: Prohibited, lang: str, *, with_clause: bool = True) -> str:
    """✗ prohibited act (critical): the reason (clause)."""
    severity = SEVERITY.get(item.severity, {"zh": item.severity, "en": item.severity})
    line = (
        f"✗ {status_word('prohibited', lang)}（{severity['zh']}）：{item.reason.zh}"
        if _lang(lang) == "zh"
        else f"✗ {status_word('prohibited', lang)} ({severity['en']}): {item.reason.en}"
    )
    clause = clause_text(item)
    if with_clause and clause:
        line += f" ({clause})"
    return line
