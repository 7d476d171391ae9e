"""The report as a Word document (.docx), the form Chinese agencies file drill records in.

The same blocks as the HTML and Markdown reports, in the same section order; the timeline
chart goes in as a picture (the SVG drawn to PNG by cairosvg, which needs the system's
libcairo: without it the document says where the chart is instead). CJK text gets an East
Asian font on every run, so Word and LibreOffice do not fall back to a Latin one. A4 paper;
the cover block has a page of its own; tables get the column widths their blocks ask for.
"""

from __future__ import annotations

import io
import logging
import re

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row
from docx.shared import Cm, Emu, Pt, RGBColor
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
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(21), Cm(29.7), Cm(2)  # A4, as filed
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN
TABLE_SIZE, COVER_SIZE, TITLE_SIZE = Pt(9), Pt(14), Pt(24)


def render_docx(report: Report, blocks: list[Block], lang: str) -> bytes:
    """The report as .docx bytes."""
    document = Document()
    _set_fonts(document)
    section = document.sections[0]
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = MARGIN
    section.top_margin = section.bottom_margin = MARGIN
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


def _text(paragraph: Paragraph, text: str, size: Pt | None = None, *, bold: bool = False) -> None:
    """Text as written in one run with its CJK font; emphasis comes from the block."""
    if not text:
        return
    run = paragraph.add_run(text)
    run.bold = bold or None
    if size is not None:
        run.font.size = size
    _east_asian(run)


def _add(document: WordDocument, report: Report, block: Block, lang: str) -> None:
    kind = block.kind
    if kind == "heading" and block.level == 1:  # the title, on the cover page
        title = document.add_heading(level=1)
        title.alignment = WD_ALIGN_PARAGRAPH.CENTER
        title.paragraph_format.space_before = Cm(5)
        title.paragraph_format.space_after = Cm(1)
        _text(title, block.text, TITLE_SIZE)
    elif kind == "heading":
        heading = document.add_heading(level=min(block.level, 3))
        _text(heading, block.text)
    elif kind == "banner":
        paragraph = document.add_paragraph()
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        paragraph.paragraph_format.space_after = Cm(1.5)
        run = paragraph.add_run(block.text)
        run.bold = True
        run.font.color.rgb = (
            RGBColor(0xE6, 0x51, 0x00) if report.draft else RGBColor(0x2E, 0x7D, 0x32)
        )
        _east_asian(run)
    elif kind == "para":
        _text(document.add_paragraph(), block.text, bold=block.strong)
    elif kind == "list":
        for item in block.items:
            _text(document.add_paragraph(style="List Bullet"), item)
    elif kind == "table":
        _table(document, block, lang)
    elif kind == "cover":
        _table(document, block, lang, cover=True)
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    elif kind == "code":
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block.text)
        run.font.name = MONO_FONT
        run.font.size = Pt(8)
        _east_asian(run)
    elif kind == "chart":
        _chart(document, report, lang)


def _table(document: WordDocument, block: Block, lang: str, *, cover: bool = False) -> None:
    """A grid table: a bold header row, repeated on every page it runs over (the cover:
    its first column bold, larger text, centred); columns as wide as the block asks."""
    if not block.rows:
        _text(document.add_paragraph(), t("none", lang))
        return
    headed = any(block.headers)
    columns = max(len(block.headers), *(len(row) for row in block.rows))
    table: Table = document.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    if cover:
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
    widths = _widths(block, columns, Cm(14) if cover else TEXT_WIDTH)
    if widths is not None:
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = width
    size = COVER_SIZE if cover else TABLE_SIZE
    body = ([block.headers] if headed else []) + block.rows
    total = len(body) - 1 if block.strong_last_row else -1
    for index, row in enumerate(body):
        added = table.add_row()  # type: ignore[no-untyped-call]
        if cover:
            added.height = Cm(1.1)
        if headed and index == 0:
            _repeat_header(added._tr)
        cells = added.cells  # each cell takes its width from the grid's column
        for column, value in enumerate(row):
            cell = cells[column]
            bold = (headed and index == 0) or (cover and column == 0) or index == total
            _text(cell.paragraphs[0], value, size, bold=bold)


def _repeat_header(row: CT_Row) -> None:
    """Mark a table row as its header: Word and LibreOffice repeat it on every page."""
    properties = row.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def _widths(block: Block, columns: int, width: int) -> list[Emu] | None:
    if len(block.widths) != columns:
        return None
    total = sum(block.widths)
    return [Emu(int(width * share / total)) for share in block.widths]


# Taller than this (a long drill has a row per expectation) the chart is unreadable on a
# page, and cairo refuses images past 32,767 pixels: the DOCX says so and points to the
# event table in Appendix A instead.
MAX_CHART_HEIGHT = 4000


def chart_png(report: Report, lang: str) -> tuple[bytes | None, str]:
    """The timeline chart as PNG, or None with the label key saying why it is left out
    (cairosvg or libcairo missing, or a chart too tall for a page)."""
    try:
        import cairosvg
    except (ImportError, OSError) as exc:  # OSError: the library is there, libcairo is not
        log.warning("the report's chart is left out of the DOCX: %s", exc)
        return None, "chart_no_cairo"
    svg = timeline_svg(report, lang)
    height = re.search(r'height="(\d+)"', svg)
    if height is None or int(height.group(1)) > MAX_CHART_HEIGHT:
        log.info("the chart of drill %s is too tall for the DOCX", report.drill.id)
        return None, "chart_too_tall"
    try:
        png: bytes = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=2)
    except Exception as exc:  # cairo's own errors have no common base class to name
        log.warning("cairo could not draw the chart of drill %s: %s", report.drill.id, exc)
        return None, "chart_too_tall"
    return png, ""


def _chart(document: WordDocument, report: Report, lang: str) -> None:
    png, why = chart_png(report, lang)
    if png is None:
        _text(document.add_paragraph(), t(why, lang))
        return
    document.add_picture(io.BytesIO(png), width=TEXT_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
