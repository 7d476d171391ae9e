"""Markdown rendering of the report blocks (also what the terminal shows)."""

from __future__ import annotations

from drills.review.reports.document import Block
from drills.review.reports.labels import t


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(blocks: list[Block], lang: str) -> str:
    out: list[str] = []
    for block in blocks:
        if block.kind == "heading":
            out.append(f"{'#' * block.level} {block.text}\n")
        elif block.kind == "banner":
            out.append(f"> **{block.text}**\n")
        elif block.kind == "para":
            out.append(block.text + "\n")
        elif block.kind == "list":
            out.append("\n".join(f"- {item}" for item in block.items) + "\n")
        elif block.kind == "table":
            if not block.rows:
                out.append(f"{t('none', lang)}\n")
                continue
            headers = [h or " " for h in block.headers]
            out.append("| " + " | ".join(_cell(h) for h in headers) + " |")
            out.append("|" + "---|" * len(headers))
            out.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows)
            out.append("")
        elif block.kind == "code":
            out.append(f"```json\n{block.text}\n```\n")
        elif block.kind == "details":
            out.append(f"```\n{block.text}\n```\n")
        elif block.kind == "chart":
            note = (
                "（时间线图见HTML版报告）"
                if lang == "zh"
                else "(The timeline chart is in the HTML report.)"
            )
            out.append(note + "\n")
    return "\n".join(out)
