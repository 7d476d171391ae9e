"""The after-action report (演练评估报告 / AAR-IP) as data, ready for any renderer.

Everything here is derived from the scenario, the journal's events, the score and what the
safety manager recorded (notes, improvement plan edits, signatures), so a report can always
be rebuilt. Text stays bilingual ({"zh", "en"}); renderers pick the language.

Signed content stays as it was signed: a note or an improvement-plan edit made after the
first signature is an amendment. The report keeps the hot wash and the improvement plan as
signed and lists every amendment (when, who, what changed) in a section of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from engine.compiled import CompiledScenario
from engine.events import Event, Kind
from scoring.findings import CLASSES, Finding, build_findings
from scoring.outcomes import DrillFacts, collect
from scoring.profile import RATING_EN, RATING_ZH, ScoringProfile
from scoring.score import DrillScore, ExpectationResult, _cap, prohibited_capability
from scoring.wording import SEVERITY, wrong_text


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
    # Why the drill is not rated (a label key: not_finished, not_started, void), None if
    # it is; a report without a rating still shows what happened, never a score.
    withheld: str | None = None
    void_reason: str | None = None


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
class Signature:
    """One signature on the report (append-only, several per drill)."""

    name: str
    capacity: str  # a key of drills.port.labels.CAPACITIES; "" for sign-offs before capacities
    at: str
    comment: str


@dataclass
class Note:
    kind: str  # hotwash | self
    author: str
    role: str | None
    text: str
    at: str
    amendment: bool = False  # written after the first signature


@dataclass
class ImprovementEdit:
    """One edit of an improvement-plan row, as logged (only the fields it set)."""

    finding: str
    fields: dict[str, str]
    at: str
    amendment: bool = False  # made after the first signature


@dataclass
class Amendment:
    """A change after the first signature: a note, or an improvement-plan edit."""

    at: str
    kind: str  # hotwash | self | improvement
    author: str | None = None  # a note's author (improvement edits record no author)
    role: str | None = None
    text: str = ""  # a note's text
    finding: str | None = None
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # field, before, after


@dataclass
class Filing:
    """The cover block of a report for filing: given when it is rendered, not stored."""

    organisation: str = ""
    location: str = ""
    evaluators: list[str] = field(default_factory=list)


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
    improvement_plan: list[ImprovementItem]  # as it stands now, amendments included
    plan_adequacy: list[dict[str, str]]
    notes: list[Note]
    signatures: list[Signature]
    conclusion: dict[str, str]
    events: list[Event]
    compiled: CompiledScenario = field(repr=False, compare=False)
    signed_plan: list[ImprovementItem] = field(default_factory=list)  # as first signed
    amendments: list[Amendment] = field(default_factory=list)
    held_back: list[dict[str, str]] = field(default_factory=list)  # what capped the rating
    held_back_by: dict[str, list[dict[str, str]]] = field(default_factory=dict)  # capability
    evidence: dict[str, dict[str, str]] = field(default_factory=dict)  # finding id → words
    filing: Filing = field(default_factory=Filing)

    @property
    def draft(self) -> bool:
        return not self.signatures

    @property
    def signed_notes(self) -> list[Note]:
        """The notes as signed (before the first signature; all of them while a draft)."""
        return [n for n in self.notes if not n.amendment]

    @property
    def amended_findings(self) -> list[str]:
        """Improvement-plan rows changed after the first signature, in finding order."""
        changed = {a.finding for a in self.amendments if a.kind == "improvement"}
        return [row.finding for row in self.improvement_plan if row.finding in changed]

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
                        "zh": f"{spec.title['zh']}：责任角色从未收到相关信息，"
                        "预案的信息流转可能不畅",
                        "en": f"{spec.title['en']}: the responsible role never received what it "
                        "needs",
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
                    "zh": f"{spec.title['zh']}：时限{spec.deadline}秒，可能不切实际",
                    "en": f"{spec.title['en']}: a {spec.deadline}s limit may be unrealistic",
                }
            )
    return items


def _receivers(compiled: CompiledScenario, fired: list[str]) -> set[str]:
    return {role for inject_id in fired for role in compiled.injects[inject_id].to}


def _held_back_line(result: ExpectationResult, title: dict[str, str]) -> dict[str, str]:
    """Why an expectation capped the rating, by the rule's title and its clause."""
    critical = result.criticality == "critical"
    if critical and (result.status in ("missed", "pending") or result.q == 0 or result.rho == 0):
        zh, en = "遗漏或错误", "omitted or wrong"
    elif result.status in ("missed", "pending"):
        zh, en = "遗漏", "omitted"
    elif result.status == "partly":
        zh, en = "部分正确", "partly right"
    else:
        zh, en = "超时", "late"
    clause = f"（{result.clause}）" if result.clause else ""
    return {
        "zh": f"{'关键行动' if critical else '行动'}{zh}：{title['zh']}{clause}",
        "en": f"{'critical action' if critical else 'action'} {en}: {title['en']}"
        + (f" ({result.clause})" if result.clause else ""),
    }


def _held_back(
    compiled: CompiledScenario, score: DrillScore, facts: DrillFacts
) -> dict[str, list[dict[str, str]]]:
    """What held each capability's rating back (the scorer's caps), worded with rule titles
    and clauses in both languages, in the scorer's order."""
    lines: dict[str, list[dict[str, str]]] = {}
    for cap in score.capabilities:
        lines[cap.id] = [
            _held_back_line(r, compiled.expectations[r.id].title)
            for r in score.expectations
            if r.capability == cap.id
            and r.scored
            and r.status != "pending"
            and r.id in compiled.expectations
            and _cap(r) is not None
        ]
        for item in facts.commissions:
            if item.severity not in ("critical", "major"):
                continue
            if prohibited_capability(compiled, item.prohibited) != cap.id:
                continue
            _inject, prohibited = compiled.prohibited.get(item.prohibited, (None, None))
            reason = prohibited.reason.model_dump() if prohibited else {}
            severity = SEVERITY[item.severity]
            lines[cap.id].append(
                {
                    "zh": f"{severity['zh']}违规行动：{reason.get('zh', item.prohibited)}",
                    "en": f"{severity['en']} prohibited action: "
                    f"{reason.get('en', item.prohibited)}",
                }
            )
        if cap.order_violations:
            lines[cap.id].append(
                {
                    "zh": f"处置顺序不当（{cap.order_violations}处）",
                    "en": f"steps out of order ({cap.order_violations})",
                }
            )
    return lines


EVIDENCE = {
    "inject": ("信息", "inject"),
    "decision": ("决策", "decision"),
    "prohibited": ("违规项", "prohibited item"),
}


def _evidence(compiled: CompiledScenario, finding: Finding) -> dict[str, str]:
    """A finding's evidence in both languages, naming rules by their titles (the scorer
    gives ``expectation E1; inject I01; decision #7``)."""
    zh: list[str] = []
    en: list[str] = []
    for item in finding.evidence:
        kind, _, ref = item.partition(" ")
        if kind == "expectation" and ref in compiled.expectations:
            title = compiled.expectations[ref].title
            zh.append(f"预期行动「{title['zh']}」")
            en.append(f"expected action '{title['en']}'")
        elif kind == "capability":
            name = _name(compiled.plan.capabilities, ref)
            zh.append(f"能力项「{name['zh']}」")
            en.append(f"capability '{name['en']}'")
        elif kind in EVIDENCE:
            zh.append(f"{EVIDENCE[kind][0]} {ref}")
            en.append(f"{EVIDENCE[kind][1]} {ref}")
        else:
            zh.append(item)
            en.append(item)
    return {"zh": "；".join(zh), "en": "; ".join(en)}


EDITABLE = ("action", "element", "owner", "due", "status")


def _apply(row: ImprovementItem, fields: dict[str, str]) -> list[tuple[str, str, str]]:
    """Set ``fields`` on ``row``; returns what changed as (field, before, after)."""
    changes = []
    for key in EDITABLE:  # the table's column order, whatever order they were given in
        if key not in fields:
            continue
        value = fields[key]
        before = str(getattr(row, key))
        if before != value:
            changes.append((key, before, value))
        setattr(row, key, value)
    return changes


def _improvement_plans(
    rows: list[ImprovementItem],
    edits: dict[str, dict[str, str]],
    log: list[ImprovementEdit],
) -> tuple[list[ImprovementItem], list[ImprovementItem], list[Amendment]]:
    """The improvement plan now, as first signed, and its amendments.

    ``edits`` are the current fields per finding, ``log`` every edit in order. Fields set
    before the edit log existed (no log entry ever set them) count as signed content."""
    logged: dict[str, set[str]] = {}
    for entry in log:
        logged.setdefault(entry.finding, set()).update(entry.fields)
    by_finding = {row.finding: row for row in rows}
    for finding, fields in edits.items():
        row = by_finding.get(finding)
        if row is not None:
            _apply(row, {k: v for k, v in fields.items() if k not in logged.get(finding, ())})
    amendments: list[Amendment] = []
    signed: list[ImprovementItem] | None = None
    for entry in log:
        if entry.amendment and signed is None:
            signed = [replace(row) for row in rows]
        row = by_finding.get(entry.finding)
        if row is None:
            continue
        changes = _apply(row, entry.fields)
        if entry.amendment:
            amendments.append(
                Amendment(entry.at, "improvement", finding=entry.finding, changes=changes)
            )
    if signed is None:
        signed = [replace(row) for row in rows]
    for finding, fields in edits.items():  # the current fields are the authority
        row = by_finding.get(finding)
        if row is not None:
            _apply(row, fields)
    return rows, signed, amendments


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
    signatures: list[Signature] | None = None,
    edits: dict[str, dict[str, str]] | None = None,
    log: list[ImprovementEdit] | None = None,
    filing: Filing | None = None,
) -> Report:
    """Assemble the whole report; ``edits`` (the current fields) and ``log`` (every edit,
    in order) override improvement-plan rows by finding id."""
    facts = collect(events)
    findings = build_findings(compiled, score, facts)
    drill_date = date.fromisoformat(drill.created[:10])
    plan_rows, signed_plan, plan_amendments = _improvement_plans(
        default_improvements(compiled, findings, drill_date), edits or {}, log or []
    )
    note_amendments = [
        Amendment(n.at, n.kind, author=n.author, role=n.role, text=n.text)
        for n in notes or []
        if n.amendment
    ]
    held_back = _held_back(compiled, score, facts)
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
        signatures=list(signatures or []),
        compiled=compiled,
        signed_plan=signed_plan,
        amendments=sorted(note_amendments + plan_amendments, key=lambda a: a.at),
        held_back=[line for cap in score.capabilities for line in held_back.get(cap.id, [])],
        held_back_by=held_back,
        evidence={f.id: _evidence(compiled, f) for f in findings},
        filing=filing or Filing(),
        conclusion={
            "zh": f"总体评定 {score.rating}（{RATING_ZH[score.rating]}），{met[0]}。",
            "en": f"Overall rating {score.rating} ({RATING_EN[score.rating]}): {met[1]}.",
        },
        events=events,
    )
