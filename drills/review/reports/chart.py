"""The timeline chart of a report as a self-contained SVG picture.

One row per expected action: its deadline window (from the inject to deadline + grace),
the late zone up to the hard limit, and when it was actually done — green on time, amber
late, a red cross where it was missed. Injects are thin vertical lines with their ids.
"""

from __future__ import annotations

from html import escape

from scoring.report import Report

COLOURS = {
    "window": "#9ecae1",
    "late_zone": "#fdd0a2",
    "met": "#2e7d32",
    "late": "#e65100",
    "missed": "#c62828",
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


def timeline_svg(report: Report, lang: str = "en", width: int = 1000) -> str:
    rows = [(entry, exp) for entry in report.timeline for exp in entry.expectations]
    end = max(
        [report.scenario["duration"]] + [e.t for e in report.events[-1:]],
    )
    span = max(end, 1)
    plot = width - LEFT - RIGHT
    height = TOP + ROW * max(len(rows), 1) + 60

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
        label = f"{exp['id']} · {roles.get(exp['role'], {}).get(lang, exp['role'])}"
        if not exp["scored"]:
            label += " *"
        parts.append(
            f'<text x="{LEFT - 8}" y="{mid + 4:.1f}" text-anchor="end" '
            f'fill="{COLOURS["text"]}">{escape(label[:48])}</text>'
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
                f'fill="{COLOURS[status]}"><title>{escape(exp["id"])}: {status} at '
                f"{_clock(exp['done_at'])}</title></circle>"
            )
        elif status == "missed":
            where = x(exp["hard"] if exp["hard"] is not None else end)
            parts.append(
                f'<path d="M{where - 5:.1f},{mid - 5:.1f} l10,10 m0,-10 l-10,10" '
                f'stroke="{COLOURS["missed"]}" stroke-width="2.5"><title>'
                f"{escape(exp['id'])}: missed</title></path>"
            )
    parts.append(_legend(lang, height - 18))
    parts.append("</svg>")
    return "".join(parts)


def _bar(x1: float, x2: float, y: float, h: float, colour: str) -> str:
    return (
        f'<rect x="{x1:.1f}" y="{y:.1f}" width="{max(x2 - x1, 1.5):.1f}" height="{h}" '
        f'fill="{colour}" rx="2"/>'
    )


def _legend(lang: str, y: float) -> str:
    names = {
        "window": ("时限窗口", "deadline window"),
        "late_zone": ("超时区（至最终时限）", "late zone (to hard limit)"),
        "met": ("按时完成", "done on time"),
        "late": ("超时完成", "done late"),
        "missed": ("遗漏", "missed"),
    }
    parts, cursor = [], LEFT
    for key, (zh, en) in names.items():
        text = zh if lang == "zh" else en
        if key in ("window", "late_zone"):
            parts.append(_bar(cursor, cursor + 18, y - 9, 10, COLOURS[key]))
        elif key == "missed":
            parts.append(
                f'<path d="M{cursor + 4},{y - 9} l10,10 m0,-10 l-10,10" '
                f'stroke="{COLOURS[key]}" stroke-width="2.5"/>'
            )
        else:
            parts.append(f'<circle cx="{cursor + 9}" cy="{y - 4}" r="5" fill="{COLOURS[key]}"/>')
        parts.append(f'<text x="{cursor + 24}" y="{y}" fill="{COLOURS["text"]}">{text}</text>')
        cursor += 24 + 7 * len(text) + (len(text) * 5 if lang == "zh" else 0) + 18
    return "".join(parts)


def _tick_step(span: float) -> int:
    for step in (300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400):
        if span / step <= 12:
            return step
    return 172800
