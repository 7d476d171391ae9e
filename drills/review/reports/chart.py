"""The timeline chart of a report as a self-contained SVG picture.

One row per expected action, named by its rule's title: its deadline window (from the
inject to deadline + grace), the late zone up to the hard limit, and when it was actually
done — green on time, amber late, half-filled yellow partly right, a red cross where it
was missed. Then one row per role
that committed a prohibited act, a purple diamond at each. Injects are thin vertical lines
with their ids. Words come from the label table.
"""

from __future__ import annotations

import unicodedata
from html import escape

from drills.port.text import printable
from drills.review.reports.labels import pick, t
from scoring.report import Report
from scoring.wording import SEVERITY

COLOURS = {
    "window": "#9ecae1",
    "late_zone": "#fdd0a2",
    "met": "#2e7d32",
    "late": "#e65100",
    "partly": "#f9a825",
    "missed": "#c62828",
    "prohibited": "#6a1b9a",
    "inject": "#9e9e9e",
    "text": "#212121",
    "grid": "#eeeeee",
}
ROW = 20
LEFT = 300
RIGHT = 30
TOP = 56


def _clock(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}"


def _fit(text: str, room: float) -> str:
    """``text`` cut to about ``room`` pixels at the chart's 11 px font (CJK twice as wide)."""
    used = 0.0
    for index, char in enumerate(text):
        used += _width(char)
        if used > room:
            return text[: max(index - 1, 0)] + "…"
    return text


def timeline_svg(report: Report, lang: str = "en", width: int = 1000) -> str:
    rows = [(entry, exp) for entry in report.timeline for exp in entry.expectations]
    commissions: dict[str, list[tuple[int, str]]] = {}
    for event in report.events:
        if event.kind == "commission":
            reason = pick(event.data.get("reason"), lang) or str(event.data.get("prohibited"))
            severity = SEVERITY.get(str(event.data.get("severity")), {}).get(lang, "")
            commissions.setdefault(str(event.data.get("role") or ""), []).append(
                (event.t, f"#{event.seq} {severity}: {reason}")
            )
    end = max(
        [report.scenario["duration"]] + [e.t for e in report.events[-1:]],
    )
    span = max(end, 1)
    plot = width - LEFT - RIGHT
    height = TOP + ROW * max(len(rows) + len(commissions), 1) + 60

    def x(t: float) -> float:
        return float(LEFT + plot * min(max(t, 0), span) / span)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, Microsoft YaHei, '
        f'sans-serif" font-size="11" role="img" aria-label="timeline">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
    ]
    step = _tick_step(span)
    for tick in range(0, int(span) + 1, step):
        parts.append(
            f'<line x1="{x(tick):.1f}" y1="{TOP - 6}" x2="{x(tick):.1f}" '
            f'y2="{height - 50}" stroke="{COLOURS["grid"]}"/>'
            f'<text x="{x(tick):.1f}" y="{height - 36}" text-anchor="middle" '
            f'fill="{COLOURS["text"]}">{_clock(tick)}</text>'
        )
    for entry in report.timeline:
        parts.append(
            f'<line x1="{x(entry.t):.1f}" y1="{TOP - 10}" x2="{x(entry.t):.1f}" '
            f'y2="{height - 50}" stroke="{COLOURS["inject"]}" stroke-dasharray="2,3"/>'
            f'<text x="{x(entry.t):.1f}" y="{TOP - 14}" font-size="9" '
            f'transform="rotate(-35 {x(entry.t):.1f} {TOP - 14})" '
            f'fill="{COLOURS["text"]}">{escape(entry.inject)}</text>'
        )
    roles = report.plan["roles"]
    for i, (_entry, exp) in enumerate(rows):
        y = TOP + i * ROW
        mid = y + ROW / 2
        label = pick(exp["title"], lang) or exp["id"]
        if not exp["scored"]:
            label += " *"
        role = pick(roles.get(exp["role"]), lang) or exp["role"]
        tip = f"{label} — {role}" + (f" ({exp['clause']})" if exp.get("clause") else "")
        parts.append(
            f'<text x="{LEFT - 8}" y="{mid + 4:.1f}" text-anchor="end" '
            f'fill="{COLOURS["text"]}">{escape(_fit(label, LEFT - 16))}'
            f"<title>{escape(tip)}</title></text>"
        )
        anchor = exp["anchor"]
        due = exp["due"] if exp["due"] is not None else end
        parts.append(_bar(x(anchor), x(due), y + 4, ROW - 8, COLOURS["window"]))
        if exp["hard"] is not None and exp["hard"] > due:
            parts.append(_bar(x(due), x(exp["hard"]), y + 4, ROW - 8, COLOURS["late_zone"]))
        status = exp["status"]
        if status in ("met", "late") and exp["done_at"] is not None:
            parts.append(
                f'<circle cx="{x(exp["done_at"]):.1f}" cy="{mid:.1f}" r="5" '
                f'fill="{COLOURS[status]}"><title>{escape(label)}: {status} at '
                f"{_clock(exp['done_at'])}</title></circle>"
            )
        elif status == "partly" and exp["done_at"] is not None:
            parts.append(
                f"{_half(x(exp['done_at']), mid)}<title>{escape(label)}: partly right at "
                f"{_clock(exp['done_at'])}</title></g>"
            )
        elif status == "missed":
            where = x(exp["hard"] if exp["hard"] is not None else end)
            parts.append(
                f'<path d="M{where - 5:.1f},{mid - 5:.1f} l10,10 m0,-10 l-10,10" '
                f'stroke="{COLOURS["missed"]}" stroke-width="2.5"><title>'
                f"{escape(label)}: missed</title></path>"
            )
    for j, (role_id, acts) in enumerate(commissions.items()):
        y = TOP + (len(rows) + j) * ROW
        mid = y + ROW / 2
        who = pick(roles.get(role_id), lang) or role_id or "—"
        label = f"{t('chart_prohibited', lang)} · {who}"
        parts.append(
            f'<line x1="{LEFT}" y1="{mid:.1f}" x2="{width - RIGHT}" y2="{mid:.1f}" '
            f'stroke="{COLOURS["prohibited"]}" stroke-opacity="0.25" stroke-dasharray="1,3"/>'
            f'<text x="{LEFT - 8}" y="{mid + 4:.1f}" text-anchor="end" '
            f'fill="{COLOURS["prohibited"]}">{escape(_fit(label, LEFT - 16))}</text>'
        )
        for when, what in acts:
            parts.append(
                f"{_diamond(x(when), mid)[:-2]}><title>{_clock(when)} {escape(what)}</title></path>"
            )
    parts.append(_legend(lang, height - 18))
    parts.append("</svg>")
    return printable("".join(parts))  # authors' words: well-formed XML, inert on a terminal


def _bar(x1: float, x2: float, y: float, h: float, colour: str) -> str:
    return (
        f'<rect x="{x1:.1f}" y="{y:.1f}" width="{max(x2 - x1, 1.5):.1f}" height="{h}" '
        f'fill="{colour}" rx="2"/>'
    )


def _diamond(cx: float, cy: float) -> str:
    """A prohibited act: a filled diamond (a self-closed path)."""
    return (
        f'<path d="M{cx:.1f},{cy - 6:.1f} l6,6 l-6,6 l-6,-6 z" '
        f'fill="{COLOURS["prohibited"]}" stroke="white" stroke-width="1"/>'
    )


def _half(cx: float, cy: float) -> str:
    """A partly right answer: a half-filled circle (an open group: the caller closes it)."""
    colour = COLOURS["partly"]
    return (
        f'<g><circle cx="{cx:.1f}" cy="{cy:.1f}" r="4.5" fill="white" stroke="{colour}" '
        f'stroke-width="2"/><path d="M{cx:.1f},{cy - 4.5:.1f} a4.5,4.5 0 0,0 0,9 z" '
        f'fill="{colour}"/>'
    )


def _legend(lang: str, y: float) -> str:
    parts, cursor = [], 20.0  # from the left edge: six entries need the width
    for key in ("window", "late_zone", "met", "late", "partly", "missed", "prohibited"):
        text = t(f"chart_{key}", lang)
        if key in ("window", "late_zone"):
            parts.append(_bar(cursor, cursor + 18, y - 9, 10, COLOURS[key]))
        elif key == "missed":
            parts.append(
                f'<path d="M{cursor + 4},{y - 9} l10,10 m0,-10 l-10,10" '
                f'stroke="{COLOURS[key]}" stroke-width="2.5"/>'
            )
        elif key == "prohibited":
            parts.append(_diamond(cursor + 9, y - 4))
        elif key == "partly":
            parts.append(_half(cursor + 9, y - 4) + "</g>")
        else:
            parts.append(f'<circle cx="{cursor + 9}" cy="{y - 4}" r="5" fill="{COLOURS[key]}"/>')
        parts.append(
            f'<text x="{cursor + 24}" y="{y}" fill="{COLOURS["text"]}">{escape(text)}</text>'
        )
        cursor += 24 + _width(text) + 18
    return "".join(parts)


def _width(text: str) -> float:
    """About how many pixels ``text`` takes at 11 px (CJK characters are square)."""
    return sum(11.0 if unicodedata.east_asian_width(c) in ("W", "F") else 6.2 for c in text)


def _tick_step(span: float) -> int:
    for step in (300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400):
        if span / step <= 12:
            return step
    return 172800
