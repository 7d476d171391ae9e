"""After-action report rendering: one document of blocks, three formats."""

from __future__ import annotations

from dataclasses import replace

from drills.port.text import json_escaped, printable
from drills.review.reports.document import Block, build_document
from drills.review.reports.html import render_html
from drills.review.reports.markdown import render_markdown
from scoring.report import Report

FORMATS = ("term", "md", "html", "docx")


def render(report: Report, fmt: str, lang: str) -> str:
    """Markdown or HTML text (the terminal renders the Markdown with rich)."""
    blocks = inert(build_document(report, lang))
    if fmt == "html":
        return render_html(report, blocks, lang)
    return render_markdown(blocks, lang)


def render_docx(report: Report, lang: str) -> bytes:
    """The report as a Word document (python-docx is imported only for this)."""
    from drills.review.reports.docx import render_docx as to_docx

    return to_docx(report, inert(build_document(report, lang)), lang)


def inert(blocks: list[Block]) -> list[Block]:
    """What authors and participants wrote, as written, with nothing a terminal would obey
    or a Word file refuse: control and bidi characters made visible, or, in the JSON of
    the appendices, escaped (the same JSON)."""
    out = []
    for block in blocks:
        if block.kind in ("code", "details"):
            out.append(replace(block, text=json_escaped(block.text)))
            continue
        rows = [[printable(cell) for cell in row] for row in block.rows]
        out.append(
            replace(
                block,
                text=printable(block.text),
                headers=[printable(h) for h in block.headers],
                rows=rows,
                items=[printable(item) for item in block.items],
            )
        )
    return out
