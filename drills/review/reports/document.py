"""The report's content as a list of blocks, written once for every output format.

Markdown, HTML, Word and the terminal all render these blocks; only the chart differs (a
picture in HTML and Word, a note elsewhere). Rules are named by their titles, with their
clauses; events by the journal's sequence number (the ``#`` of ``drillhall journal``, the
review console and ``whatif``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from drills.port.labels import CAPACITIES, pick_lang
from drills.port.words import OUTCOME_KINDS, describe_event, name_of, params_words
from drills.port.words import clock as event_clock
from drills.review.reports.labels import pick, t
from engine.events import Event
from scoring.findings import CLASSES
from scoring.profile import RATING_EN, RATING_ZH
from scoring.report import Amendment, ImprovementItem, Report
from scoring.wording import MARK, status_word


@dataclass
class Block:
    kind: str  # heading | para | table | cover | list | code | chart | banner
    text: str = ""
    level: int = 2
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    widths: list[float] = field(default_factory=list)  # relative column widths (Word)
    # Emphasis is a property of the block, never markup in its text: a participant's note
    # "**urgent**" is shown with its asterisks, in every format.
    strong: bool = False  # the whole paragraph in bold
    strong_last_row: bool = False  # a table's last row (a total) in bold


def clock(seconds: int | None) -> str:
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def _rating(rating: str, lang: str) -> str:
    return f"{rating} {RATING_ZH[rating]}" if lang == "zh" else f"{rating} ({RATING_EN[rating]})"


def _decision_status(d: dict[str, Any], lang: str) -> str:
    if not d["accepted"]:
        return f"{t('refused', lang)}: {d['reason']}"
    if d.get("prohibited"):
        return f"✗ {status_word('prohibited', lang)}: {', '.join(d['prohibited'])}"
    return t("accepted", lang)


def _status_cell(exp: dict[str, Any], lang: str) -> str:
    """The same words the trainee and ``run --follow`` see: ✓ only for met."""
    status = exp["status"]
    cell = f"{MARK.get(status, '')} {status_word(status, lang)}".strip()
    if status == "partly" and exp.get("said"):
        cell += f" — {pick(exp['said'], lang)}"
    return cell


def capacity_name(capacity: str, lang: str) -> str:
    """A signer's capacity by the label table (an unknown or empty one as stated)."""
    if capacity in CAPACITIES:
        return pick_lang(CAPACITIES[capacity], lang)
    return capacity or t("capacity_unknown", lang)


def when(at: str) -> str:
    """A stored wall-clock time (ISO, UTC) as the report shows it."""
    return at[:16].replace("T", " ") + " UTC" if at else "—"


def _cover(report: Report, lang: str) -> Block:
    """The cover block of a report for filing (AQ/T 9009): what, who, where, when."""
    filing = report.filing
    missing = t("not_given", lang)
    sep = "、" if lang == "zh" else ", "
    return Block(
        "cover",
        headers=["", ""],
        rows=[
            [t("exercise_name", lang), pick(report.scenario["title"], lang)],
            [t("organisation", lang), filing.organisation or missing],
            [t("location", lang), filing.location or missing],
            [t("date", lang), report.drill.created[:10]],
            [t("evaluators", lang), sep.join(filing.evaluators) or missing],
            [t("drill_number", lang), report.drill.id],
        ],
        widths=[1, 4],
    )


FIELD_LABELS = {
    "action": "corrective_action",
    "element": "element",
    "owner": "owner",
    "due": "due",
    "status": "status",
}
PLAN_STATUS = {"open": "plan_open", "in-progress": "plan_in_progress", "done": "done"}


def _not_rated(report: Report, lang: str) -> str:
    """``Not rated: not finished``: an unfinished, unstarted or void drill has no score."""
    why = t(report.drill.withheld or "not_finished", lang)
    if report.drill.void_reason:
        why += f" — {report.drill.void_reason}"
    words = t("not_rated", lang)
    colon = "：" if lang == "zh" else ": "
    return f"{words[:1].upper()}{words[1:]}{colon}{why}"


def _rated(report: Report, score: str, rating: str) -> tuple[str, str]:
    """A score and rating cell, or dashes where the drill is not rated."""
    return ("—", "—") if report.drill.withheld else (score, rating)


def _conclusion(report: Report, lang: str) -> list[Block]:
    """The verdict and what held the rating back; no verdict on an unrated drill."""
    if report.drill.withheld:
        return [Block("para", _not_rated(report, lang))]
    blocks = [Block("para", pick(report.conclusion, lang))]
    held_back = list(dict.fromkeys(pick(line, lang) for line in report.held_back))
    if held_back:
        blocks.append(Block("para", t("reasons", lang) + ("：" if lang == "zh" else ":")))
        blocks.append(Block("list", items=held_back))
    elif report.score.reasons:
        reasons = "; ".join(dict.fromkeys(report.score.reasons))
        blocks.append(Block("para", f"{t('reasons', lang)}: {reasons}"))
    return blocks


def plan_status(status: str, lang: str) -> str:
    """An improvement-plan row's status (open, in-progress, done) in words."""
    return t(PLAN_STATUS[status], lang) if status in PLAN_STATUS else status


def _amendment_row(amendment: Amendment, lang: str, role_name: Any) -> list[str]:
    def shown(key: str, value: str) -> str:
        return plan_status(value, lang) if key == "status" else value

    if amendment.kind == "improvement":
        sep = "；" if lang == "zh" else "; "
        colon = "：" if lang == "zh" else ": "
        changed = sep.join(
            f"{t(FIELD_LABELS[key], lang)}{colon}{shown(key, before) or '—'} → {shown(key, after)}"
            for key, before, after in amendment.changes
        )
        return [
            when(amendment.at),
            t("improvement_plan", lang),
            "—",
            f"{amendment.finding} {changed or '—'}",
        ]
    kind = t("hotwash_notes" if amendment.kind == "hotwash" else "self_notes", lang)
    author = amendment.author or "—"
    if amendment.role:
        author += f" ({role_name(amendment.role)})"
    return [when(amendment.at), kind, author, amendment.text]


def _plan_rows(rows: list[ImprovementItem], lang: str) -> list[list[str]]:
    return [
        [
            i.finding,
            pick(i.issue, lang),
            i.action,
            i.element,
            i.owner,
            i.due,
            plan_status(i.status, lang),
        ]
        for i in rows
    ]


EVENT_KINDS = {
    "drill_started": "ev_drill_started",
    "inject_delivered": "ev_inject",
    "state_changed": "ev_state",
    "decision_accepted": "decision",
    "decision_refused": "ev_refused",
    "hint_sent": "hint",
    "drill_ended": "ev_drill_ended",
}


def _event_row(report: Report, event: Event, lang: str) -> list[str]:
    """One row of the event log: #, time, kind, who, what (worded as the consoles do)."""
    compiled = report.compiled
    plan = compiled.plan
    data = event.data
    kind = event.kind

    def role(role_id: Any) -> str:
        return name_of(plan.roles, str(role_id), lang)

    if kind in EVENT_KINDS:
        kind_word = t(EVENT_KINDS[kind], lang)
    elif kind in OUTCOME_KINDS:
        kind_word = status_word(OUTCOME_KINDS[kind], lang)
    elif kind == "expectation_overdue":
        kind_word = status_word("overdue", lang)
    elif kind == "commission":
        kind_word = status_word("prohibited", lang)
    else:
        kind_word = kind
    who = "—"
    if kind == "inject_delivered" and data.get("inject") in compiled.injects:
        who = compiled.injects[data["inject"]].source.get(lang)
    elif data.get("role"):
        who = role(data["role"])
    elif kind == "expectation_overdue" and data.get("expectation") in compiled.expectations:
        who = role(compiled.expectations[data["expectation"]].role)
    elif kind == "hint_sent":
        to = data.get("to") or []
        who = ", ".join(role(r) for r in to) if to else t("all_roles", lang)
    line = describe_event(event, compiled, lang)
    if line is not None:
        what = line[len(event_clock(event.t)) :].strip()
        if kind == "decision_accepted":
            what = what.removeprefix(f"→ {who}:").strip()
        elif kind == "decision_refused":
            what = "✗ " + what.removeprefix(f"✗ {who}:").strip()
        elif kind == "inject_delivered":
            what = what.removeprefix("▸").strip()
    elif kind == "drill_started":
        what = t("drill_began", lang).format(seed=data.get("seed", "—"))
    elif kind == "state_changed":
        key = str(data.get("key", ""))
        tracked = next((x for x in compiled.scenario.tracked if x.key == key), None)
        what = t("state_change", lang).format(
            name=tracked.name.get(lang) if tracked else key,
            old=data.get("old", "—"),
            value=data.get("value", "—"),
        )
    elif kind == "expectation_overdue" and data.get("expectation") in compiled.expectations:
        what = f"{MARK['overdue']} " + pick(compiled.expectations[data["expectation"]].title, lang)
    else:
        what = json.dumps(data, ensure_ascii=False, sort_keys=True)
    return [str(event.seq), event_clock(event.t), kind_word, who, what]


def build_document(report: Report, lang: str) -> list[Block]:
    blocks: list[Block] = []
    add = blocks.append
    plan, scenario, score = report.plan, report.scenario, report.score
    roles = plan["roles"]

    def role_name(role_id: str | None) -> str:
        return pick(roles.get(role_id or ""), lang) or (role_id or "—")

    add(Block("heading", f"{t('report', lang)} — {pick(scenario['title'], lang)}", level=1))
    add(Block("banner", t("report_draft", lang) if report.draft else t("report_signed", lang)))
    if report.drill.withheld:
        add(Block("banner", _not_rated(report, lang)))
    add(_cover(report, lang))

    add(Block("heading", t("section_overview", lang)))
    speed = report.drill.speed or scenario["compression"]
    add(
        Block(
            "table",
            headers=["", ""],
            rows=[
                [t("plan", lang), f"{pick(plan['title'], lang)} ({plan['id']} v{plan['version']})"],
                [
                    t("scenario", lang),
                    f"{pick(scenario['title'], lang)} ({scenario['id']} v{scenario['version']})",
                ],
                [t("drill_number", lang), report.drill.id],
                [t("date", lang), report.drill.created[:16].replace("T", " ")],
                [
                    t("mode", lang),
                    t(report.drill.mode, lang)
                    if report.drill.mode in ("training", "exam")
                    else report.drill.mode,
                ],
                [t("compression", lang), f"{speed:g}×"],
                [t("seed", lang), str(report.drill.seed)],
            ],
        )
    )
    add(
        Block(
            "table",
            headers=[t("role", lang), t("who", lang)],
            rows=[[role_name(r), who] for r, who in sorted(report.drill.roster.items())],
        )
    )
    if scenario["objectives"]:
        add(
            Block(
                "list",
                items=[f"{o['id']}: {pick(o['text'], lang)}" for o in scenario["objectives"]],
            )
        )

    add(Block("heading", t("section_summary", lang)))
    add(
        Block(
            "para",
            _not_rated(report, lang)
            if report.drill.withheld
            else f"{t('score', lang)}: {score.score:.1f} / 100 — "
            f"{t('rating', lang)}: {_rating(score.rating, lang)}",
            strong=True,
        )
    )
    counts = report.finding_counts()
    add(
        Block(
            "para",
            f"{t('counts', lang)}: "
            + ", ".join(
                f"{CLASSES[k][lang if lang == 'zh' else 'en']} {n}" for k, n in counts.items()
            ),
        )
    )
    if not report.drill.withheld:  # strengths are scores: none for an unrated drill
        add(Block("heading", t("strengths", lang), level=3))
        add(Block("list", items=[pick(s, lang) for s in report.strengths] or [t("none", lang)]))
        add(Block("heading", t("to_improve", lang), level=3))
        add(Block("list", items=[pick(s, lang) for s in report.improvements] or [t("none", lang)]))

    add(Block("heading", t("section_method", lang)))
    add(Block("para", f"{t('method_text', lang)} ({score.profile})"))

    add(Block("heading", t("section_timeline", lang)))
    add(Block("chart"))
    rows = []
    for entry in report.timeline:
        to = ", ".join(role_name(r) for r in entry.to)
        first = [
            clock(entry.t),
            f"{entry.inject} {pick(entry.title, lang)}",
            f"{pick(entry.source, lang)} → {to}",
        ]
        if not entry.expectations:
            rows.append([*first, "—", "—", "—", "—"])
        for i, exp in enumerate(entry.expectations):
            mark = "" if exp["scored"] else " *"
            rows.append(
                [
                    *(first if i == 0 else ["", "", ""]),
                    f"{pick(exp['title'], lang)} ({role_name(exp['role'])}){mark}",
                    clock(exp["due"]),
                    clock(exp["done_at"]),
                    _status_cell(exp, lang),
                ]
            )
    add(
        Block(
            "table",
            headers=[
                t("time", lang),
                t("inject", lang),
                t("from_to", lang),
                t("expected", lang),
                t("deadline", lang),
                t("col_done", lang),
                t("col_result", lang),
            ],
            rows=rows,
            widths=[2, 3, 3, 4, 2, 2, 3.4],
        )
    )
    add(Block("para", t("unscored", lang)))

    add(Block("heading", t("section_analysis", lang)))
    caps = plan["capabilities"]
    objective_of = {c: o["id"] for o in scenario["objectives"] for c in o["capabilities"]}
    add(
        Block(
            "table",
            headers=[
                t("objective", lang),
                t("capability", lang),
                t("score", lang),
                t("rating", lang),
            ],
            rows=[
                [
                    objective_of.get(c.id, "—"),
                    pick(caps.get(c.id), lang) or c.id,
                    *_rated(report, f"{c.score:.1f}", _rating(c.rating, lang)),
                ]
                for c in score.capabilities
            ],
        )
    )
    for cap in score.capabilities:
        related = [f for f in report.findings if f.capability == cap.id]
        if not related and not cap.reasons:
            continue
        add(Block("heading", pick(caps.get(cap.id), lang) or cap.id, level=3))
        add(
            Block(
                "list",
                items=[
                    f"{f.id} [{CLASSES[f.klass]['zh' if lang == 'zh' else 'en']}] {pick(f.title, lang)} — "
                    f"{pick(report.evidence.get(f.id), lang) or '; '.join(f.evidence)}"
                    + (f" — {f.clause}" if f.clause else "")
                    for f in related
                ]
                or [pick(line, lang) for line in report.held_back_by.get(cap.id, [])]
                or cap.reasons,
            )
        )

    add(Block("heading", t("section_roles", lang)))
    add(
        Block(
            "table",
            headers=[
                t("role", lang),
                t("who", lang),
                t("score", lang),
                t("rating", lang),
                t("on_time_rate", lang),
            ],
            rows=[
                [
                    role_name(r),
                    report.drill.roster.get(r, "—"),
                    *_rated(report, f"{d['score']:.1f}", _rating(d["rating"], lang)),
                    "—" if d.get("on_time_rate") is None else f"{d['on_time']:.0%}",
                ]
                for r, d in score.roles.items()
            ]
            + [
                [
                    t("team", lang),
                    "",
                    *_rated(report, f"{score.score:.1f}", _rating(score.rating, lang)),
                    "—"
                    if score.metrics.on_time_rate is None
                    else f"{score.metrics.on_time_rate:.0%}",
                ]
            ],
            strong_last_row=True,
        )
    )

    add(Block("heading", t("section_adequacy", lang)))
    add(Block("list", items=[pick(a, lang) for a in report.plan_adequacy] or [t("none", lang)]))

    add(Block("heading", t("section_findings", lang)))
    add(
        Block(
            "table",
            headers=[
                t("id", lang),
                t("class", lang),
                t("capability", lang),
                t("finding", lang),
                t("evidence", lang),
                t("clause", lang),
            ],
            rows=[
                [
                    f.id,
                    CLASSES[f.klass]["zh" if lang == "zh" else "en"],
                    pick(caps.get(f.capability), lang) or f.capability,
                    pick(f.title, lang),
                    pick(report.evidence.get(f.id), lang) or "; ".join(f.evidence),
                    f.clause or "—",
                ]
                for f in report.findings
            ],
            widths=[0.7, 1.5, 2, 3.5, 3.5, 4],
        )
    )

    add(Block("heading", t("section_improvement", lang)))
    add(
        Block(
            "table",
            headers=[
                t("id", lang),
                t("issue", lang),
                t("corrective_action", lang),
                t("element", lang),
                t("owner", lang),
                t("due", lang),
                t("status", lang),
            ],
            rows=_plan_rows(report.improvement_plan if report.draft else report.signed_plan, lang),
            widths=[0.7, 3, 4.5, 1, 2, 1.6, 1.4],
        )
    )
    if not report.draft and report.amended_findings:
        add(Block("para", t("amended_rows", lang).format(rows=", ".join(report.amended_findings))))

    add(Block("heading", t("section_hotwash", lang)))
    for kind, key in (("hotwash", "hotwash_notes"), ("self", "self_notes")):
        items = [n for n in report.signed_notes if n.kind == kind]
        add(Block("heading", t(key, lang), level=3))
        add(
            Block(
                "list",
                items=[
                    f"{n.author}" + (f" ({role_name(n.role)})" if n.role else "") + f": {n.text}"
                    for n in items
                ]
                or [t("no_notes", lang)],
            )
        )

    add(Block("heading", t("section_conclusion", lang)))
    for block in _conclusion(report, lang):
        add(block)

    add(Block("heading", t("signoff", lang)))
    if report.signatures:
        add(
            Block(
                "table",
                headers=[
                    t("name", lang),
                    t("capacity", lang),
                    t("signed_at", lang),
                    t("comment", lang),
                ],
                rows=[
                    [s.name, capacity_name(s.capacity, lang), when(s.at), s.comment or "—"]
                    for s in report.signatures
                ],
                widths=[2, 2, 2, 5],
            )
        )
        add(Block("heading", t("amendments", lang)))
        if report.amendments:
            add(
                Block(
                    "table",
                    headers=[
                        t("time", lang),
                        t("event_kind", lang),
                        t("author", lang),
                        t("what_changed", lang),
                    ],
                    rows=[_amendment_row(a, lang, role_name) for a in report.amendments],
                    widths=[2, 2, 2, 6],
                )
            )
        else:
            add(Block("para", t("no_amendments", lang)))
    else:
        add(Block("para", t("not_signed", lang)))

    add(Block("heading", t("appendix", lang)))
    add(Block("heading", t("appendix_journal", lang), level=3))
    add(
        Block(
            "table",
            headers=["#", t("time", lang), t("event_kind", lang), t("who", lang), t("what", lang)],
            rows=[_event_row(report, e, lang) for e in report.events],
            widths=[1, 1.6, 1.8, 2.6, 8],
        )
    )
    add(Block("heading", t("appendix_decisions", lang), level=3))
    add(
        Block(
            "table",
            headers=[
                "#",
                t("time", lang),
                t("role", lang),
                t("decision", lang),
                t("col_result", lang),
                t("note", lang),
            ],
            rows=[
                [
                    str(d["seq"]),
                    clock(d["t"]),
                    role_name(d["role"]),
                    f"{pick(plan['actions'].get(d['action']), lang) or d['action']} "
                    + params_words(report.compiled.plan, d["action"], d["params"], lang),
                    _decision_status(d, lang),
                    d["note"] or (t("bot", lang) if d["source"] == "bot" else ""),
                ]
                for d in report.decisions
            ],
            widths=[1, 1.6, 2.4, 4, 3, 1.5],
        )
    )
    add(Block("heading", t("appendix_profile", lang), level=3))
    add(Block("code", json.dumps(report.profile.model_dump(), ensure_ascii=False, indent=2)))
    minutes = report.profile.immediate // 60
    add(Block("para", t("immediate_note", lang).format(minutes=minutes)))
    sourced = [e for e in report.timeline if e.provenance]
    if sourced:
        add(Block("heading", t("appendix_provenance", lang), level=3))
        add(
            Block(
                "table",
                headers=[t("inject", lang), t("source_col", lang)],
                rows=[[e.inject, "; ".join(e.provenance)] for e in sourced],
                widths=[1, 8],
            )
        )
    return blocks
