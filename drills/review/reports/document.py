"""The report's content as a list of blocks, written once for every output format.

Markdown, HTML and the terminal all render these blocks; only the chart differs (a
picture in HTML, a note elsewhere).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from drills.review.reports.labels import pick, t
from scoring.findings import CLASSES
from scoring.profile import RATING_EN, RATING_ZH
from scoring.report import Report
from scoring.wording import MARK, status_word


@dataclass
class Block:
    kind: str  # heading | para | table | list | code | chart | banner | details
    text: str = ""
    level: int = 2
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)


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


def build_document(report: Report, lang: str) -> list[Block]:
    blocks: list[Block] = []
    add = blocks.append
    plan, scenario, score = report.plan, report.scenario, report.score
    roles = plan["roles"]

    def role_name(role_id: str | None) -> str:
        return pick(roles.get(role_id or ""), lang) or (role_id or "—")

    add(Block("heading", f"{t('report', lang)} — {pick(scenario['title'], lang)}", level=1))
    add(Block("banner", t("report_draft", lang) if report.draft else t("report_signed", lang)))

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
            f"**{t('score', lang)}: {score.score:.1f} / 100 — {t('rating', lang)}: {_rating(score.rating, lang)}**",
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
                    f"{c.score:.1f}",
                    _rating(c.rating, lang),
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
                    f"{'; '.join(f.evidence)}" + (f" — {f.clause}" if f.clause else "")
                    for f in related
                ]
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
                    f"{d['score']:.1f}",
                    _rating(d["rating"], lang),
                    "—" if d.get("on_time_rate") is None else f"{d['on_time']:.0%}",
                ]
                for r, d in score.roles.items()
            ]
            + [
                [
                    f"**{'团队' if lang == 'zh' else 'Team'}**",
                    "",
                    f"**{score.score:.1f}**",
                    _rating(score.rating, lang),
                    "—"
                    if score.metrics.on_time_rate is None
                    else f"{score.metrics.on_time_rate:.0%}",
                ]
            ],
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
                    "; ".join(f.evidence),
                    f.clause or "—",
                ]
                for f in report.findings
            ],
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
                t("col_result", lang),
            ],
            rows=[
                [i.finding, pick(i.issue, lang), i.action, i.element, i.owner, i.due, i.status]
                for i in report.improvement_plan
            ],
        )
    )

    add(Block("heading", t("section_hotwash", lang)))
    for kind, key in (("hotwash", "hotwash_notes"), ("self", "self_notes")):
        items = [n for n in report.notes if n.kind == kind]
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
    add(Block("para", pick(report.conclusion, lang)))
    if score.reasons:
        add(Block("para", f"{t('reasons', lang)}: " + "; ".join(dict.fromkeys(score.reasons))))

    add(Block("heading", t("signoff", lang)))
    if report.signoff:
        add(
            Block(
                "table",
                headers=[t("name", lang), t("signed_at", lang), t("comment", lang)],
                rows=[
                    [
                        report.signoff.name,
                        report.signoff.at[:16].replace("T", " "),
                        report.signoff.comment or "—",
                    ]
                ],
            )
        )
    else:
        add(Block("para", t("not_signed", lang)))

    add(Block("heading", t("appendix", lang)))
    add(Block("heading", t("appendix_profile", lang), level=3))
    add(Block("code", json.dumps(report.profile.model_dump(), ensure_ascii=False, indent=2)))
    minutes = report.profile.immediate // 60
    add(Block("para", t("immediate_note", lang).format(minutes=minutes)))
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
                    + " ".join(f"{k}={v}" for k, v in d["params"].items()),
                    _decision_status(d, lang),
                    d["note"] or ("bot" if d["source"] == "bot" else ""),
                ]
                for d in report.decisions
            ],
        )
    )
    sourced = [e for e in report.timeline if e.provenance]
    if sourced:
        add(Block("heading", t("appendix_provenance", lang), level=3))
        add(
            Block(
                "table",
                headers=[t("inject", lang), t("appendix_provenance", lang)],
                rows=[[e.inject, "; ".join(e.provenance)] for e in sourced],
            )
        )
    add(Block("heading", t("appendix_journal", lang), level=3))
    add(Block("details", "\n".join(e.to_json() for e in report.events)))
    return blocks
