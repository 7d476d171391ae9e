"""Readable terminal summaries of drills and scores (``--lang zh|en``)."""

from __future__ import annotations

from drills.port.labels import label
from drills.port.text import printable
from drills.port.words import name_of
from engine.compiled import CompiledScenario
from engine.fields import format_duration
from scoring.profile import RATING_EN, RATING_ZH, RATING_ZH_TEXT
from scoring.score import DrillScore
from scoring.wording import status_word


def describe_bots(bots: dict[str, str], compiled: CompiledScenario, lang: str) -> str:
    kinds = sorted(set(bots.values()))
    if len(kinds) == 1 and set(bots) == {r.id for r in compiled.plan.roles}:
        return f"{kinds[0]} ({label('all_roles', lang)})"
    return ", ".join(
        f"{name_of(compiled.plan.roles, r, lang)}={k}" for r, k in sorted(bots.items())
    )


def render_summary(
    drill_id: str,
    compiled: CompiledScenario,
    score: DrillScore,
    *,
    events: int,
    seed: int,
    mode: str,
    bots: dict[str, str],
    db_path: str,
    lang: str = "en",
) -> str:
    scenario = compiled.scenario
    plan = compiled.plan
    counts = score.counts()
    rating_text = RATING_ZH_TEXT[score.rating] if lang == "zh" else RATING_EN[score.rating]
    lines = [
        f"{label('drill', lang)} {drill_id} — {scenario.title.get(lang)} ({scenario.id}, "
        f"{format_duration(scenario.duration)})",
        f"{label('bots', lang)}: {describe_bots(bots, compiled, lang)} · "
        f"{label('seed', lang)} {seed} · {label('mode', lang)} {label(mode, lang)}",
        "",
        f"{label('score', lang)}  {score.score:5.1f} / 100    "
        f"{label('rating', lang)}  {score.rating} {RATING_ZH[score.rating]} ({rating_text})",
        f"{label('expectations', lang)}: "
        + " · ".join(
            f"{counts[s]} {status_word(s, lang)}" for s in ("met", "late", "partly", "missed")
        )
        + f"    {label('events', lang)}: {events}",
        "",
        f"{label('capabilities', lang)}:",
    ]
    for cap in score.capabilities:
        name = name_of(plan.capabilities, cap.id, lang)
        lines.append(f"  {cap.rating}  {cap.score:5.1f}  {name}")
    if score.roles:
        lines.append(f"{label('roles', lang)}:")
        for role_id, data in score.roles.items():
            name = name_of(plan.roles, role_id, lang)
            lines.append(f"  {data['rating']}  {data['score']:5.1f}  {name}")
    commissions = score.metrics.commissions
    if any(commissions.values()):
        parts = ", ".join(f"{k} {v}" for k, v in commissions.items() if v)
        lines.append(f"{label('commissions', lang)}: {parts}")
    if score.reasons:
        lines.append(f"{label('caps', lang)}:")
        for reason in dict.fromkeys(score.reasons):
            lines.append(f"  - {reason}")
    lines += [
        "",
        f"{label('profile', lang)}: {score.profile}    {label('journal', lang)}: {db_path}",
    ]
    return printable("\n".join(lines))  # authors' names, inert on a terminal
