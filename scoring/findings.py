"""Findings (演练发现) from a scored drill, classed the way Chinese practice does.

- 不足项 (deficiency): the capability could not be performed — a critical action omitted
  or wrong, a critical prohibited action. The drill must be re-run.
- 整改项 (corrective action): performed with major challenges — a critical action late or
  partly right (a wrong level), a major prohibited action. Must be rectified.
- 改进项 (improvement): performed with some challenges — another action late, partly
  right or omitted,
  a minor prohibited action, steps out of order. Worth improving.

Each finding carries its evidence (expectation, inject and decision ids) and the plan
clause it rests on, so a safety manager can check it against the journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.compiled import CompiledScenario
from scoring.outcomes import DrillFacts
from scoring.score import DrillScore, ExpectationResult, prohibited_capability
from scoring.wording import wrong_text

CLASSES = {
    "deficiency": {"zh": "不足项", "en": "Deficiency"},
    "corrective": {"zh": "整改项", "en": "Corrective action"},
    "improvement": {"zh": "改进项", "en": "Improvement"},
}
ORDER = ("deficiency", "corrective", "improvement")


@dataclass
class Finding:
    id: str
    klass: str
    capability: str
    role: str | None
    title: dict[str, str]
    evidence: list[str]
    clause: str | None
    analysis: dict[str, str] = field(default_factory=dict)


def _expectation_finding(
    result: ExpectationResult, compiled: CompiledScenario
) -> tuple[str, dict[str, str], dict[str, str]] | None:
    spec = compiled.expectations[result.id]
    title = spec.title
    if result.status in ("missed", "pending"):
        return (
            "deficiency" if result.criticality == "critical" else "improvement",
            {"zh": f"未完成：{title['zh']}", "en": f"Not done: {title['en']}"},
            {
                "zh": "预案要求的行动在时限内未完成。",
                "en": "The action the plan requires was not taken in time.",
            },
        )
    if result.status == "partly":
        critical = result.criticality == "critical"
        said_zh = wrong_text(compiled.plan, spec.action, result.wrong, "zh")
        said_en = wrong_text(compiled.plan, spec.action, result.wrong, "en")
        return (
            ("deficiency" if result.q == 0 else "corrective") if critical else "improvement",
            {"zh": f"部分正确：{title['zh']}", "en": f"Partly right: {title['en']}"},
            {"zh": f"{said_zh}。", "en": f"{said_en[:1].upper()}{said_en[1:]}."},
        )
    if result.q == 0 or result.rho == 0:
        return (
            "deficiency" if result.criticality == "critical" else "improvement",
            {"zh": f"处置错误：{title['zh']}", "en": f"Done wrongly: {title['en']}"},
            {"zh": "行动的参数或执行角色与预案不符。", "en": "Wrong parameters or wrong role."},
        )
    problems_zh: list[str] = []
    problems_en: list[str] = []
    klass = None
    if result.status == "late":
        klass = "corrective" if result.criticality == "critical" else "improvement"
        minutes = (result.latency or 0) // 60
        due = (result.deadline or 0) // 60
        problems_zh.append(f"用时{minutes}分钟，超过时限{due}分钟")
        problems_en.append(f"took {minutes} min against a {due} min limit")
    if result.q < 1:
        klass = klass or "improvement"
        problems_zh.append("参数部分正确（如级别相差一级）")
        problems_en.append("parameters partly right (e.g. one level off)")
    if result.rho < 1:
        klass = klass or "improvement"
        problems_zh.append("由预案指定的替代角色完成，而非责任角色")
        problems_en.append("done by a substitute the plan names, not the responsible role")
    if klass is None:
        return None
    return (
        klass,
        {
            "zh": f"{title['zh']}：{'；'.join(problems_zh)}",
            "en": f"{title['en']}: {'; '.join(problems_en)}",
        },
        {"zh": "；".join(problems_zh) + "。", "en": "; ".join(problems_en).capitalize() + "."},
    )


def build_findings(
    compiled: CompiledScenario, score: DrillScore, facts: DrillFacts
) -> list[Finding]:
    """Every finding of the drill, most serious first, numbered F1, F2, ..."""
    raw: list[Finding] = []
    for result in score.expectations:
        if not result.scored:
            continue
        found = _expectation_finding(result, compiled)
        if found is None:
            continue
        klass, title, analysis = found
        evidence = [f"expectation {result.id}", f"inject {result.inject}"]
        if result.decision_seq:
            evidence.append(f"decision #{result.decision_seq}")
        raw.append(
            Finding(
                "", klass, result.capability, result.role, title, evidence, result.clause, analysis
            )
        )
    for item in facts.commissions:
        inject_id, prohibited = compiled.prohibited.get(item.prohibited, (None, None))
        if prohibited is None:
            continue
        klass = {"critical": "deficiency", "major": "corrective"}.get(item.severity, "improvement")
        reason = prohibited.reason
        clause = (
            f"{prohibited.clause.source} {prohibited.clause.ref}" if prohibited.clause else None
        )
        raw.append(
            Finding(
                "",
                klass,
                prohibited_capability(compiled, item.prohibited),
                item.role,
                {"zh": f"违规行动：{reason.zh}", "en": f"Prohibited action: {reason.en}"},
                [f"prohibited {item.prohibited}", f"decision #{item.decision_seq}"]
                + ([f"inject {inject_id}"] if inject_id else []),
                clause,
                {"zh": reason.zh, "en": reason.en},
            )
        )
    for cap in score.capabilities:
        if cap.order_violations:
            raw.append(
                Finding(
                    "",
                    "improvement",
                    cap.id,
                    None,
                    {
                        "zh": f"处置顺序不当（{cap.order_violations}处）",
                        "en": f"Steps out of order ({cap.order_violations})",
                    },
                    [f"capability {cap.id}"],
                    None,
                    {
                        "zh": "预案规定的先后顺序未被遵守。",
                        "en": "The order the plan sets was not followed.",
                    },
                )
            )
    raw.sort(key=lambda f: (ORDER.index(f.klass), f.capability, f.title["en"]))
    for number, finding in enumerate(raw, start=1):
        finding.id = f"F{number}"
    return raw
