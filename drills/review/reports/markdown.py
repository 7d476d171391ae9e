"""Markdown rendering of the report blocks (also what the terminal shows)."""

from __future__ import annotations

import re

from drills.review.reports.document import Block
from drills.review.reports.labels import t

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")


def literal(text: str) -> str:
    """``text`` as Markdown that reads as the text itself: a participant's ``**x**`` or
    ``[link](…)`` is shown with its characters, not as emphasis or a link."""
    return _SPECIAL.sub(r"\\\1", text)


def _cell(text: str) -> str:
    return literal(text).replace("\n", " ")


def _fence(text: str) -> str:
    """A code fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def render_markdown(blocks: list[Block], lang: str) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            out.append(f"{'#' * block.level} {literal(block.text)}\n")
        elif block.kind == "banner":
            out.append(f"> **{literal(block.text)}**\n")
        elif block.kind == "para":
            text = literal(block.text)
            out.append((f"**{text}**" if block.strong else text) + "\n")
        elif block.kind == "list":
            out.append("\n".join(f"- {literal(item)}" for item in block.items) + "\n")
        elif block.kind in ("table", "cover"):
            if not block.rows:
                out.append(f"{t('none', lang)}\n")
                continue
            headers = [h or " " for h in block.headers]
            out.append("| " + " | ".join(_cell(h) for h in headers) + " |")
            out.append("|" + "---|" * len(headers))
            last = len(block.rows) - 1
            for number, row in enumerate(block.rows):
                bold = block.strong_last_row and number == last
                cells = [f"**{_cell(c)}**" if bold and c else _cell(c) for c in row]
                out.append("| " + " | ".join(cells) + " |")
            out.append("")
        elif block.kind == "code":
            fence = _fence(block.text)
            out.append(f"{fence}json\n{block.text}\n{fence}\n")
        elif block.kind == "chart":
            out.append(t("chart_in_html", lang) + "\n")
    return "\n".join(out)
