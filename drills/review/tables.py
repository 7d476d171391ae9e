"""Plain-text tables for the terminal: headers, columns aligned by display cells (a
Chinese character takes two), text from people shown literally."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len

from drills.port.labels import label, mode_purpose
from drills.port.text import one_line, players_text
from drills.store.history import Trend, sparkline
from scoring.profile import DEFAULT_PROFILE

PLAYERS_WIDTH = 40  # cells; longer rosters end in "…" (``--json`` has them all)


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` display cells, with "…" where it was cut."""
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cell_len(text))


def render_table(
    headers: list[str], rows: list[list[str]], right: frozenset[int] = frozenset()
) -> str:
    """Columns as wide as their widest cell, two spaces apart; ``right``: right-aligned."""
    widths = [max(cell_len(c) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        parts = [
            " " * (w - cell_len(c)) + c if i in right else pad(c, w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def players(row: dict[str, Any], lang: str) -> str:
    """Who played which role: ``Li (hydrology), Wang (dispatch)``, or the bots."""
    pairs = [(p["name"], p["role"]) for p in row["trainees"]]
    return fit(players_text(pairs, row["bots"].values(), label("bots_only", lang)), PLAYERS_WIDTH)


def mode_words(row: dict[str, Any], lang: str) -> str:
    return mode_purpose(row["mode"], row.get("purpose") or "practice", lang)


def status_words(row: dict[str, Any], lang: str) -> str:
    words = label(row["status"], lang)
    if row["status"] == "void" and row.get("void_reason"):
        return f"{words}: {fit(one_line(row['void_reason']), 30)}"
    if row["status"] == "ended" and not row["started"]:
        return f"{words} ({label('not_started', lang)})"
    return words


def history_table(rows: list[dict[str, Any]], lang: str) -> str:
    """``drillhall history``: id, date, scenario, mode/purpose, players, score, rating,
    status. Drills that are not rated show "—" (never a 0.0 nobody earned)."""
    if not rows:
        return label("no_drills_match", lang)
    headers = [
        label(k, lang)
        for k in ("col_id", "date", "col_site", "scenario", "mode", "col_players", "score",
                  "rating", "status")
    ]  # fmt: skip
    body = [
        [  # each cell one line, inert: a record pushed from a site is anybody's text
            one_line(str(cell))
            for cell in (
                row["id"],
                row["created"][:16].replace("T", " "),
                row.get("site") or "—",
                row["scenario_id"],
                mode_words(row, lang),
                players(row, lang),
                "—" if row["score"] is None else f"{row['score']:.1f}",
                (row["rating"] or "—") + ("*" if _older(row) else ""),
                status_words(row, lang),
            )
        ]
        for row in rows
    ]
    table = render_table(headers, body, right=frozenset({6}))
    older = sorted({row["profile"] for row in rows if _older(row)})
    if older:
        table += "\n" + (
            f"* saved under {', '.join(older)}; regrade to rescore"
            if lang == "en"
            else f"* 按 {', '.join(older)} 评分；重新评分请用 regrade"
        )
    return table


TREND_KEYS = {"role": "role", "trainee": "col_trainee", "rule": "col_rule", "site": "col_site"}


def trends_table(trends: list[Trend], by: str, lang: str) -> str:
    """``drillhall trends``: per role, trainee, rule or site, the drills counted, the mean,
    first and last (0-100), the on-time rate, latency over deadline, and a sparkline."""
    if not trends:
        return label("no_trends_match", lang)
    keys = (TREND_KEYS[by], "col_drill_count", "col_mean", "col_first", "col_last",
            "on_time_rate", "col_latency_ratio", "col_spark")  # fmt: skip
    body = [
        [
            one_line(t.key),
            str(t.drills),
            f"{t.mean:.1f}",
            f"{t.first:.1f}",
            f"{t.last:.1f}",
            "—" if t.on_time is None else f"{t.on_time:.0%}",
            "—" if t.latency_ratio is None else f"{t.latency_ratio:.2f}",
            sparkline(t.series),
        ]
        for t in trends
    ]
    return render_table([label(k, lang) for k in keys], body, right=frozenset(range(1, 7)))


def _older(row: dict[str, Any]) -> bool:
    """Scored under another profile than today's (shown with *: regrade to rescore)."""
    return bool(row["profile"]) and row["profile"] != DEFAULT_PROFILE.label
