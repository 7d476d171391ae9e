"""After-action report rendering: one document of blocks, three formats."""

from __future__ import annotations

from drills.review.reports.document import build_document
from drills.review.reports.html import render_html
from drills.review.reports.markdown import render_markdown
from scoring.report import Report

FORMATS = ("term", "md", "html", "docx")


def render(report: Report, fmt: str, lang: str) -> str:
    """Markdown or HTML text (the terminal renders the Markdown with rich)."""
    blocks = build_document(report, lang)
    if fmt == "html":
        return render_html(report, blocks, lang)
    return render_markdown(blocks, lang)


def render_docx(report: Report, lang: str) -> bytes:
    """The report as a Word document (python-docx is imported only for this)."""
    from drills.review.reports.docx import render_docx as to_docx

    return to_docx(report, build_document(report, lang), lang)
