"""The after-action report (演练评估报告 / AAR-IP) as data, ready for any renderer.

Everything here is derived from the scenario, the journal's events, the score and what the
safety manager recorded (notes, improvement plan edits, sign-off), so a report can always
be rebuilt. Text stays bilingual ({"zh", "en"}); renderers pick the language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from engine.compiled import CompiledScenario
from engine.events import Event, Kind
from scoring.findings import CLASSES, Finding, build_findings
from scoring.outcomes import collect
from scoring.profile import RATING_EN, RATING_ZH, ScoringProfile
from scoring.score import DrillScore
from scoring.wording import wrong_text


@dataclass
class DrillInfo:
    """What the store knows about a drill, beyond its events."""

    id: str
    created: str
    mode: str
    seed: int
    speed: float
    roster: dict[str, str]
    status: str


@dataclass
class ImprovementItem:
    finding: str
    issue: dict[str, str]
    action: str
    element: str
    owner: str
    due: str
    status: str = "open"


@dataclass
class SignOff:
    name: str
    at: str
    comment: str


@dataclass
class Note:
    kind: str  # hotwash | self
    author: str
    role: str | None
    text: str
    at: str


@dataclass
class TimelineEntry:
    inject: str
    t: int
    title: dict[str, str]
    source: dict[str, str]
    to: list[str]
    channel: str
    manual: bool
    expectations: list[dict[str, Any]] = field(default_factory=list)
    provenance: list[str] = field(default_factory=list)  # for trainers and the appendix


@dataclass
class Report:
    drill: DrillInfo
    scenario: dict[str, Any]
    plan: dict[str, Any]
    score: DrillScore
    profile: ScoringProfile
    strengths: list[dict[str, str]]
    improvements: list[dict[str, str]]
    timeline: list[TimelineEntry]
    decisions: list[dict[str, Any]]
    findings: list[Finding]
    improvement_plan: list[ImprovementItem]
    plan_adequacy: list[dict[str, str]]
    notes: list[Note]
    signoff: SignOff | None
    conclusion: dict[str, str]
    events: list[Event]

    @property
    def draft(self) -> bool:
        return self.signoff is None

    def finding_counts(self) -> dict[str, int]:
        return {k: sum(f.klass == k for f in self.findings) for k in CLASSES}


def _name(items: Any, item_id: str) -> dict[str, str]:
    for item in items:
        if item.id == item_id:
            return dict(item.name.model_dump())
    return {"zh": item_id, "en": item_id}


def _timeline(
    compiled: CompiledScenario, events: list[Event], score: DrillScore
) -> list[TimelineEntry]:
    results = {r.id: r for r in score.expectations}
    entries = []
    for event in events:
        if event.kind != Kind.INJECT_DELIVERED:
            continue
        inject = compiled.injects[event.data["inject"]]
        entry = TimelineEntry(
            inject=inject.id,
            t=event.t,
            title=(inject.title or inject.text).model_dump(),
            source=inject.source.model_dump(),
            to=list(inject.to),
            channel=inject.channel,
            manual=bool(event.data.get("manual")),
            provenance=list(inject.provenance),
        )
        for exp_id in event.data["expectations"]:
            spec = compiled.expectations[exp_id]
            result = results.get(exp_id)
            deadline = result.deadline if result else spec.deadline  # the profile's, if immediate
            due = event.t + deadline + spec.grace if deadline is not None else None
            hard = event.t + spec.hard_limit if spec.hard_limit is not None else None
            entry.expectations.append(
                {
                    "id": exp_id,
                    "title": spec.title,
                    "role": spec.role,
                    "action": spec.action,
                    "anchor": event.t,
                    "due": due,
                    "hard": hard,
                    "done_at": event.t + result.latency
                    if result and result.latency is not None
                    else None,
                    "status": result.status if result else "pending",
                    "wrong": dict(result.wrong) if result else {},
                    "said": {
                        lang: wrong_text(compiled.plan, spec.action, result.wrong, lang)
                        for lang in ("zh", "en")
                    }
                    if result and result.wrong
                    else None,
                    "immediate": spec.immediate,
                    "credit": result.credit if result else 0.0,
                    "scored": spec.scored,
                    "criticality": spec.criticality,
                    "clause": result.clause if result else None,
                }
            )
        entries.append(entry)
    return entries


def _decisions(events: list[Event]) -> list[dict[str, Any]]:
    rows = []
    for event in events:
        if event.kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED):
            data = event.data
            rows.append(
                {
                    "seq": event.seq,
                    "t": event.t,
                    "role": data["role"],
                    "action": data["action"],
                    "params": data["params"],
                    "note": data.get("note", ""),
                    "source": data.get("source", "human"),
                    "accepted": event.kind == Kind.DECISION_ACCEPTED,
                    "reason": data.get("reason"),
                    "expectations": data.get("expectations", []),
                    "prohibited": data.get("prohibited", []),
                }
            )
    return rows


def _strengths(compiled: CompiledScenario, score: DrillScore) -> list[dict[str, str]]:
    good = sorted(
        (c for c in score.capabilities if c.rating in ("P", "S")),
        key=lambda c: (-c.score, c.id),
    )
    items = []
    for cap in good[:3]:
        name = _name(compiled.plan.capabilities, cap.id)
        items.append(
            {
                "zh": f"{name['zh']}：{cap.score:.1f}分（{RATING_ZH[cap.rating]}）",
                "en": f"{name['en']}: {cap.score:.1f} ({cap.rating})",
            }
        )
    return items


def _adequacy(
    compiled: CompiledScenario, events: list[Event], score: DrillScore
) -> list[dict[str, str]]:
    """Gaps the drill exposed in the plan itself, not in the players."""
    items: list[dict[str, str]] = []
    fired = [e.data["inject"] for e in events if e.kind == Kind.INJECT_DELIVERED]
    for inject_id in fired:
        inject = compiled.injects[inject_id]
        specs = [compiled.expectations[e.key] for e in inject.expects]
        title = (inject.title or inject.text).model_dump()
        if not any(s.scored for s in specs) and specs:
            items.append(
                {
                    "zh": f"{inject_id}「{title['zh']}」：预案对此情形无可核实的规定（不计分）",
                    "en": f"{inject_id} '{title['en']}': no verifiable plan rule (unscored)",
                }
            )
        for spec in specs:
            if (
                spec.scored
                and spec.role not in inject.to
                and spec.role not in _receivers(compiled, fired)
            ):
                items.append(
                    {
                        "zh": f"{spec.id}：责任角色从未收到相关信息，预案的信息流转可能不畅",
                        "en": f"{spec.id}: the responsible role never received what it needs",
                    }
                )
    results = {r.id: r for r in score.expectations}
    for exp_id, spec in compiled.expectations.items():
        result = results.get(exp_id)
        if (
            result
            and result.status == "missed"
            and spec.deadline is not None
            and spec.deadline < 300
        ):
            items.append(
                {
                    "zh": f"{exp_id}：时限{spec.deadline}秒，可能不切实际",
                    "en": f"{exp_id}: a {spec.deadline}s limit may be unrealistic",
                }
            )
    return items


def _receivers(compiled: CompiledScenario, fired: list[str]) -> set[str]:
    return {role for inject_id in fired for role in compiled.injects[inject_id].to}


DUE_DAYS = {"deficiency": 14, "corrective": 30, "improvement": 60}


def default_improvements(
    compiled: CompiledScenario, findings: list[Finding], drill_date: date
) -> list[ImprovementItem]:
    """One improvement-plan row per finding, with a suggested action, owner and due date."""
    items = []
    for finding in findings:
        owner = _name(compiled.plan.roles, finding.role)["zh"] if finding.role else "演练组织单位"
        clause = f"（{finding.clause}）" if finding.clause else ""
        items.append(
            ImprovementItem(
                finding=finding.id,
                issue=finding.title,
                action=f"针对“{finding.title['zh']}”组织专项培训并复训{clause}",
                element="培训",
                owner=owner,
                due=(drill_date + timedelta(days=DUE_DAYS[finding.klass])).isoformat(),
            )
        )
    return items


def build_report(
    compiled: CompiledScenario,
    events: list[Event],
    score: DrillScore,
    profile: ScoringProfile,
    drill: DrillInfo,
    *,
    notes: list[Note] | None = None,
    signoff: SignOff | None = None,
    edits: dict[str, dict[str, str]] | None = None,
) -> Report:
    """Assemble the whole report; ``edits`` override improvement-plan rows by finding id."""
    facts = collect(events)
    findings = build_findings(compiled, score, facts)
    drill_date = date.fromisoformat(drill.created[:10])
    plan_rows = default_improvements(compiled, findings, drill_date)
    for row in plan_rows:
        for key, value in (edits or {}).get(row.finding, {}).items():
            setattr(row, key, value)
    worst = [f for f in findings if f.klass in ("deficiency", "corrective")][:3] or findings[:3]
    scenario = compiled.scenario
    met = {
        "P": ("达到预期目标", "Objectives met"),
        "S": ("达到预期目标", "Objectives met"),
        "M": ("基本达到预期目标", "Objectives largely met"),
        "U": ("未达到预期目标，需重新演练", "Objectives not met; the drill should be re-run"),
    }[score.rating]
    return Report(
        drill=drill,
        scenario={
            "id": scenario.id,
            "version": scenario.version,
            "title": scenario.title.model_dump(),
            "summary": scenario.summary.model_dump() if scenario.summary else None,
            "family": scenario.family,
            "duration": scenario.duration,
            "compression": scenario.compression,
            "start": scenario.start,
            "objectives": [
                {"id": o.id, "text": o.text.model_dump(), "capabilities": o.capabilities}
                for o in scenario.objectives
            ],
        },
        plan={
            "id": compiled.plan.id,
            "version": compiled.plan.version,
            "title": compiled.plan.title.model_dump(),
            "roles": {r.id: r.name.model_dump() for r in compiled.plan.roles},
            "capabilities": {c.id: c.name.model_dump() for c in compiled.plan.capabilities},
            "actions": {a.id: a.name.model_dump() for a in compiled.plan.actions},
        },
        score=score,
        profile=profile,
        strengths=_strengths(compiled, score),
        improvements=[f.title for f in worst],
        timeline=_timeline(compiled, events, score),
        decisions=_decisions(events),
        findings=findings,
        improvement_plan=plan_rows,
        plan_adequacy=_adequacy(compiled, events, score),
        notes=list(notes or []),
        signoff=signoff,
        conclusion={
            "zh": f"总体评定 {score.rating}（{RATING_ZH[score.rating]}），{met[0]}。",
            "en": f"Overall rating {score.rating} ({RATING_EN[score.rating]}): {met[1]}.",
        },
        events=events,
    )
