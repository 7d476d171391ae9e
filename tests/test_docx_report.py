"""The after-action report as a Word document: the sections in the report's order, CJK
fonts on every run, the timeline chart as a picture, and LibreOffice can render it."""

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
from engine.bundle import Bundle


def _report_bytes(store: Store, bundle: Bundle, lang: str) -> tuple[bytes, object]:
    roles = [r.id for r in bundle.compiled.plan.roles]
    outcome = DrillSession.create(store, bundle, bots=dict.fromkeys(roles, "novice")).run_headless()
    report = load_report(store, outcome.drill_id).report
    return render_docx(report, lang), report


def east_asian_font(run: Run) -> str | None:
    properties = run._element.rPr
    fonts = properties.rFonts if properties is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_word_report_has_every_section_in_order(
    store: Store, flood_bundle: Bundle, lang: str
) -> None:
    data, _report = _report_bytes(store, flood_bundle, lang)
    document = Document(io.BytesIO(data))
    headings = [
        p.text
        for p in document.paragraphs
        if p.style and (p.style.name or "").startswith("Heading")
    ]
    sections = [
        "section_overview", "section_summary", "section_method", "section_timeline",
        "section_analysis", "section_roles", "section_adequacy",
    ]  # fmt: skip
    positions = [next(i for i, h in enumerate(headings) if h == t(s, lang)) for s in sections]
    assert positions == sorted(positions)
    assert document.tables, "the overview and registers are tables"
    runs = [run for p in document.paragraphs for run in p.runs if run.text.strip()]
    fonts = {east_asian_font(run) for run in runs}
    assert fonts == {"Noto Sans CJK SC"}
    if lang == "zh":
        assert any("演练" in p.text for p in document.paragraphs)


def test_the_chart_is_a_picture_where_cairo_draws(store: Store, flood_bundle: Bundle) -> None:
    data, report = _report_bytes(store, flood_bundle, "zh")
    document = Document(io.BytesIO(data))
    if chart_png(report, "zh") is None:  # type: ignore[arg-type]
        pytest.skip("cairosvg/libcairo is not installed: the document says so instead")
    assert len(document.inline_shapes) == 1


def test_libreoffice_renders_the_word_report(
    store: Store, flood_bundle: Bundle, tmp_path: Path
) -> None:
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    data, _report = _report_bytes(store, flood_bundle, "zh")
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


def test_the_cli_writes_a_word_report_and_needs_a_file(
    store: Store, flood_bundle: Bundle, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from drills.cli.main import main

    roles = [r.id for r in flood_bundle.compiled.plan.roles]
    drill = DrillSession.create(store, flood_bundle, bots=dict.fromkeys(roles, "ideal"))
    outcome = drill.run_headless()
    runner = CliRunner()
    db = ["--db", str(store.path)]
    refused = runner.invoke(main, ["report", outcome.drill_id, "--format", "docx", *db])
    assert refused.exit_code == 1 and "needs a file" in refused.output
    target = tmp_path / "r.docx"
    written = runner.invoke(
        main, ["report", outcome.drill_id, "--format", "docx", "-o", str(target), *db]
    )
    assert written.exit_code == 0, written.output
    assert Document(str(target)).paragraphs
