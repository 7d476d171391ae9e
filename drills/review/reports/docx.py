"""The report as a Word document (.docx), the form Chinese agencies file drill records in.

The same blocks as the HTML and Markdown reports, in the same section order; the timeline
chart goes in as a picture (the SVG drawn to PNG by cairosvg, which needs the system's
libcairo: without it the document says where the chart is instead). CJK text gets an East
Asian font on every run, so Word and LibreOffice do not fall back to a Latin one.
"""

from __future__ import annotations

import io
import logging
import re

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from drills.review.reports.chart import timeline_svg
from drills.review.reports.document import Block
from drills.review.reports.labels import t
from scoring.report import Report

log = logging.getLogger(__name__)

LATIN_FONT = "Calibri"
CJK_FONT = "Noto Sans CJK SC"  # falls back to the reader's own CJK font (SimSun, YaHei)
MONO_FONT = "Consolas"
BOLD = re.compile(r"\*\*(.+?)\*\*")


def render_docx(report: Report, blocks: list[Block], lang: str) -> bytes:
    """The report as .docx bytes."""
    document = Document()
    _set_fonts(document)
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    for block in blocks:
        _add(document, report, block, lang)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _set_fonts(document: WordDocument) -> None:
    """Default fonts for Latin and East Asian text in every style the report uses."""
    styles = document.styles
    for name in ("Normal", "Title", "Heading 1", "Heading 2", "Heading 3", "List Bullet"):
        style = styles[name]
        style.font.name = LATIN_FONT
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), CJK_FONT)
    styles["Normal"].font.size = Pt(10.5)


def _east_asian(run: Run, font: str = CJK_FONT) -> None:
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), font)


def _text(paragraph: Paragraph, text: str) -> None:
    """Plain text with the reports' **bold** spans, every run with its CJK font."""
    for number, part in enumerate(BOLD.split(text)):
        if not part:
            continue
        run = paragraph.add_run(part)
        run.bold = number % 2 == 1
        _east_asian(run)


def _add(document: WordDocument, report: Report, block: Block, lang: str) -> None:
    kind = block.kind
    if kind == "heading":
        heading = document.add_heading(level=min(block.level, 3))
        _text(heading, block.text)
    elif kind == "banner":
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block.text)
        run.bold = True
        run.font.color.rgb = (
            RGBColor(0xE6, 0x51, 0x00) if report.draft else RGBColor(0x2E, 0x7D, 0x32)
        )
        _east_asian(run)
    elif kind == "para":
        _text(document.add_paragraph(), block.text)
    elif kind == "list":
        for item in block.items:
            _text(document.add_paragraph(style="List Bullet"), item)
    elif kind == "table":
        _table(document, block, lang)
    elif kind in ("code", "details"):
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block.text)
        run.font.name = MONO_FONT
        run.font.size = Pt(8)
        _east_asian(run)
    elif kind == "chart":
        _chart(document, report, lang)


def _table(document: WordDocument, block: Block, lang: str) -> None:
    if not block.rows:
        _text(document.add_paragraph(), t("none", lang))
        return
    headed = any(block.headers)
    columns = max(len(block.headers), *(len(row) for row in block.rows))
    table: Table = document.add_table(rows=len(block.rows) + (1 if headed else 0), cols=columns)
    table.style = "Table Grid"
    offset = 0
    if headed:
        for index, header in enumerate(block.headers):
            cell = table.rows[0].cells[index]
            cell.text = ""
            _text(cell.paragraphs[0], f"**{header}**" if header else "")
        offset = 1
    for row_index, row in enumerate(block.rows):
        for index, value in enumerate(row):
            cell = table.rows[row_index + offset].cells[index]
            cell.text = ""
            _text(cell.paragraphs[0], value)


def chart_png(report: Report, lang: str) -> bytes | None:
    """The timeline chart as PNG, or None where cairosvg or libcairo is missing."""
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # OSError: the library is there, libcairo is not
        log.warning("the report's chart is left out of the DOCX: %s", exc)
        return None
    svg = timeline_svg(report, lang)
    png: bytes = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=2)
    return png


def _chart(document: WordDocument, report: Report, lang: str) -> None:
    png = chart_png(report, lang)
    if png is None:
        note = (
            "（时间线图见HTML版报告：本机缺少绘图库 libcairo。）"
            if lang == "zh"
            else "(The timeline chart is in the HTML report: libcairo is missing here.)"
        )
        _text(document.add_paragraph(), note)
        return
    document.add_picture(io.BytesIO(png), width=Cm(17))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
