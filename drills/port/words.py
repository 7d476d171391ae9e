"""How the drill is put into words for consoles and the CLI: timeline lines, refusals.

Everything here returns text in one language (``lang``); ``drills.port.views.both``
words it in both for a view event.
"""

from __future__ import annotations

from typing import Any

from drills.port.views import literal
from engine.compiled import CompiledScenario
from engine.fields import Bilingual
from scoring.wording import commission_line, outcome_line

# Engine events that state an expectation's outcome, and the outcome word they carry.
OUTCOME_KINDS = {
    "expectation_met": "met",
    "expectation_late": "late",
    "answer_partly": "answer_partly",
    "expectation_partly": "partly",
    "expectation_missed": "missed",
}


def name_of(items: Any, item_id: str, lang: str) -> str:
    """The name of the role/action/capability ``item_id`` in ``items`` (else the id)."""
    for item in items:
        if item.id == item_id:
            return str(item.name.get(lang))
    return item_id


def refusal_words(data: dict[str, Any]) -> Bilingual:
    """Why the engine refused a decision (its reason as journaled)."""
    return literal(str(data.get("reason", "")))


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
        return f"{when}  ▸ {inject.id} [{inject.channel}] {source} → {to}: {inject.text.get(lang)}"
    if kind == "decision_accepted":  # recorded, not judged: the outcome lines judge it
        params = " ".join(f"{k}={v}" for k, v in data["params"].items())
        action = name_of(plan.actions, data["action"], lang)
        return f"{when}  → {role(data['role'])}: {action} {params}".rstrip()
    if kind == "decision_refused":
        action = name_of(plan.actions, data["action"], lang)
        return f"{when}  ✗ {role(data['role'])}: {action} — {data['reason']}"
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
