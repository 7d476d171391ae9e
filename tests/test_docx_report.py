"""The after-action report as a Word document: the sections in the report's order, CJK
fonts on every run, the timeline chart as a picture, the cover block, signatures and
amendments, and LibreOffice renders it to pages that show the Chinese text."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.text.run import Run

from drills.play.session import DrillSession
from drills.review.report import load_report
from drills.review.reports import render_docx
from drills.review.reports.docx import chart_png
from drills.review.reports.labels import t
from drills.store.database import Store
from drills.store.notes import add_note, edit_improvement, sign_off
from engine.bundle import Bundle
from scoring.report import Filing

FILING = Filing("益阳市防汛抗旱指挥部办公室", "市防指会商室", ["张三", "李四"])


def _report_bytes(
    store: Store, bundle: Bundle, lang: str, *, signed: bool = False
) -> tuple[bytes, object]:
    """A novice drill's report; ``signed``: two signatures, then a note and an edit that
    are amendments."""
    roles = [r.id for r in bundle.compiled.plan.roles]
    outcome = DrillSession.create(store, bundle, bots=dict.fromkeys(roles, "novice")).run_headless()
    if signed:
        sign_off(store, outcome.drill_id, "张安全", "safety_manager", "同意")
        sign_off(store, outcome.drill_id, "王评估", "evaluator")
        add_note(store, outcome.drill_id, "hotwash", "王主任", "签字后补充：通知转发延迟")
        first = load_report(store, outcome.drill_id).report.findings[0].id
        edit_improvement(store, outcome.drill_id, first, owner="市防办", status="done")
    report = load_report(store, outcome.drill_id, filing=FILING).report
    return render_docx(report, lang), report


def east_asian_font(run: Run) -> str | None:
    properties = run._element.rPr
    fonts = properties.rFonts if properties is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_word_report_has_every_section_in_order(
    store: Store, flood_bundle: Bundle, lang: str
) -> None:
    data, _report = _report_bytes(store, flood_bundle, lang, signed=True)
    document = Document(io.BytesIO(data))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style and (p.style.name or "").startswith("Heading")
    ]
    sections = [
        "section_overview", "section_summary", "section_method", "section_timeline",
        "section_analysis", "section_roles", "section_adequacy", "section_findings",
        "section_improvement", "section_hotwash", "section_conclusion", "signoff",
        "amendments", "appendix", "appendix_journal", "appendix_decisions",
        "appendix_profile",
    ]  # fmt: skip
    positions = [next(i for i, h in enumerate(headings) if h == t(s, lang)) for s in sections]
    assert positions == sorted(positions)
    assert document.tables, "the overview and registers are tables"
    cover = document.tables[0]  # the cover block comes first
    rows = {r.cells[0].text: r.cells[1].text for r in cover.rows}
    assert rows[t("organisation", lang)] == FILING.organisation
    assert rows[t("location", lang)] == FILING.location
    assert rows[t("evaluators", lang)] == ("张三、李四" if lang == "zh" else "张三, 李四")
    cells = [c for table in document.tables for row in table.rows for c in row.cells]
    signed = next(
        table for table in document.tables if table.rows[0].cells[1].text == t("capacity", lang)
    )
    assert [r.cells[0].text for r in signed.rows[1:]] == ["张安全", "王评估"]
    assert signed.rows[1].cells[1].text == ("安全管理人员" if lang == "zh" else "safety manager")
    assert any("签字后补充：通知转发延迟" in c.text for c in cells)
    runs = [run for p in document.paragraphs for run in p.runs if run.text.strip()]
    runs += [run for c in cells for p in c.paragraphs for run in p.runs if run.text.strip()]
    fonts = {east_asian_font(run) for run in runs}
    assert fonts == {"Noto Sans CJK SC"}
    section = document.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)  # A4
    if lang == "zh":
        assert any("演练" in p.text for p in document.paragraphs)


def test_the_chart_is_a_picture_where_cairo_draws(store: Store, flood_bundle: Bundle) -> None:
    data, report = _report_bytes(store, flood_bundle, "zh")
    document = Document(io.BytesIO(data))
    png, why = chart_png(report, "zh")  # type: ignore[arg-type]
    if why == "chart_no_cairo":
        pytest.skip("cairosvg/libcairo is not installed: the document says so instead")
    assert png is not None and len(document.inline_shapes) == 1


def test_a_chart_too_tall_for_a_page_is_left_out_with_a_pointer(
    store: Store, flood_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long drill (thousands of expectations) makes a chart cairo cannot draw: the Word
    report is still written, and says where the events are instead."""
    from drills.review.reports import docx

    monkeypatch.setattr(docx, "MAX_CHART_HEIGHT", 100)
    data, _report = _report_bytes(store, flood_bundle, "en")
    document = Document(io.BytesIO(data))
    assert len(document.inline_shapes) == 0
    assert any("Appendix A lists every event" in p.text for p in document.paragraphs)


def test_libreoffice_renders_the_word_report(
    store: Store, flood_bundle: Bundle, tmp_path: Path
) -> None:
    """LibreOffice headless turns the document into a PDF; poppler draws its pages. The
    pages are images with something on them, and the PDF's text holds the report's
    Chinese: the title, the cover, the signatures and the event log."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed (apt-get install poppler-utils)")
    from PIL import Image  # Pillow comes with cairosvg

    data, _report = _report_bytes(store, flood_bundle, "zh", signed=True)
    source = tmp_path / "report.docx"
    source.write_bytes(data)
    subprocess.run(
        [office, "--headless", f"-env:UserInstallation=file://{tmp_path / 'profile'}",
         "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    pdf = tmp_path / "report.pdf"
    assert pdf.exists() and pdf.stat().st_size > 20_000
    assert b"/Font" in pdf.read_bytes()
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "3", str(pdf), str(tmp_path / "page")],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 3
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            width, height = grey.size
            assert width > 200 and height > 300  # A4 at 40 dpi is 331 × 468
            dark = sum(grey.histogram()[:200])  # pixels clearly not white
            assert dark > width * height / 200, f"{page.name} looks blank"
    if shutil.which("pdftotext") is None:
        return
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
        check=True, capture_output=True, timeout=120, text=True,
    ).stdout  # fmt: skip
    flat = "".join(text.split())
    for words in ("演练评估报告", "益阳市防汛抗旱指挥部办公室", "评估人员", "安全管理人员",
                  "签字后修订", "附录A演练事件记录", "信息送达"):  # fmt: skip
        assert words in flat, words


def test_the_cli_writes_a_word_report_and_needs_a_file(
    store: Store, flood_bundle: Bundle, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from drills.cli.main import main

    roles = [r.id for r in flood_bundle.compiled.plan.roles]
    drill = DrillSession.create(store, flood_bundle, bots=dict.fromkeys(roles, "ideal"))
    outcome = drill.run_headless()
    runner = CliRunner()
    db = ["--db", store.target]
    refused = runner.invoke(main, ["report", outcome.drill_id, "--format", "docx", *db])
    assert refused.exit_code == 1 and "needs a file" in refused.output
    target = tmp_path / "r.docx"
    written = runner.invoke(
        main, ["report", outcome.drill_id, "--format", "docx", "-o", str(target), *db]
    )
    assert written.exit_code == 0, written.output
    assert Document(str(target)).paragraphs
