"""After-action reports: every format, ratings and findings that match the scores, sign-off."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drills.cli.main import main
from drills.play.session import DrillSession
from drills.review.report import load_report
from drills.review.reports import render
from drills.store.database import Store
from drills.store.notes import add_note, edit_improvement, sign_off
from engine.bundle import Bundle


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def drills(store: Store, flood_bundle: Bundle) -> dict[str, str]:
    ids: dict[str, str] = {}
    for bot in ("ideal", "novice", "idle"):
        session = DrillSession.create(
            store,
            flood_bundle,
            seed=5,
            bots=dict.fromkeys((r.id for r in flood_bundle.compiled.plan.roles), bot),
        )
        session.run_headless()
        ids[bot] = session.drill_id
    return ids


@pytest.mark.parametrize("bot", ["ideal", "novice", "idle"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_in_every_format(store: Store, drills: dict[str, str], bot: str, lang: str) -> None:
    report = load_report(store, drills[bot]).report
    md = render(report, "md", lang)
    html = render(report, "html", lang)
    heading = "演练评估报告" if lang == "zh" else "After-action report"
    assert md.startswith(f"# {heading}") and f"<h1>{heading}" in html
    assert f"{report.score.score:.1f} / 100" in md
    assert ("草稿" if lang == "zh" else "DRAFT") in md
    assert "<svg" in html and "<script" not in html
    assert not re.search(r"(src|href)=\"https?:", html)  # one self-contained file
    for finding in report.findings:
        assert finding.id in md


def test_findings_match_the_scores(store: Store, drills: dict[str, str]) -> None:
    ideal = load_report(store, drills["ideal"]).report
    idle = load_report(store, drills["idle"]).report
    novice = load_report(store, drills["novice"]).report
    assert ideal.score.rating == "P" and ideal.findings == []
    assert idle.score.rating == "U" and idle.finding_counts()["deficiency"] > 0
    assert all(f.klass == "deficiency" or f.klass == "improvement" for f in idle.findings)
    assert novice.findings and 0 < novice.score.score < 100
    # every missed critical expectation is a deficiency with its clause and evidence
    for result in idle.score.expectations:
        if result.scored and result.criticality == "critical":
            finding = next(f for f in idle.findings if f"expectation {result.id}" in f.evidence)
            assert finding.klass == "deficiency" and finding.clause == result.clause


def test_notes_signoff_and_improvement_edits(store: Store, drills: dict[str, str]) -> None:
    drill = drills["novice"]
    add_note(store, drill, "hotwash", "王主任", "通知发出偏晚")
    add_note(store, drill, "self", "李明", "没有及时报告", role="duty_officer")
    first = load_report(store, drill).report.findings[0].id
    edit_improvement(store, drill, first, owner="防汛办", due="2026-12-31", status="in-progress")
    sign_off(store, drill, "张安全", "safety_manager", "同意")
    report = load_report(store, drill).report
    md = render(report, "md", "zh")
    assert "王主任: 通知发出偏晚" in md and "李明 (市防汛办值班员): 没有及时报告" in md
    assert "已审核签字" in md and "草稿" not in md and "张安全" in md
    row = next(i for i in report.improvement_plan if i.finding == first)
    assert (row.owner, row.due, row.status) == ("防汛办", "2026-12-31", "in-progress")


def test_report_cli_writes_html(tmp_path: Path, store: Store, drills: dict[str, str]) -> None:
    out = tmp_path / "r.html"
    result = invoke(
        "report", drills["idle"], "--format", "html", "-o", str(out), "--db", store.target
    )
    assert result.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    term = invoke("report", drills["idle"], "--lang", "en", "--db", store.target)
    assert "After-action report" in term.stdout


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_html_report_renders_in_headless_chromium(
    tmp_path: Path, store: Store, drills: dict[str, str]
) -> None:
    page = tmp_path / "r.html"
    page.write_text(render(load_report(store, drills["novice"]).report, "html", "zh"), "utf-8")
    shot = tmp_path / "r.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1200,2000",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 20_000


def test_improve_cli_refuses_unknown_findings(store: Store, drills: dict[str, str]) -> None:
    result = CliRunner().invoke(
        main, ["improve", drills["ideal"], "F9", "--owner", "x", "--db", store.target]
    )
    assert result.exit_code == 2 and "no finding 'F9'" in result.stderr
    listing = json.loads(invoke("improve", drills["idle"], "--json", "--db", store.target).stdout)
    assert listing and listing[0]["finding"] == "F1"


def test_emphasis_and_links_a_participant_typed_stay_as_typed(
    store: Store, drills: dict[str, str]
) -> None:
    """Bold comes from the report's structure, never from what someone wrote: a note
    ``**urgent** [x](http://e) <b>`` shows its asterisks, brackets and tag in every format."""
    import io

    from docx import Document

    from drills.review.reports import render_docx

    drill = drills["novice"]
    note = "**urgent** [x](http://e) <b>no</b> _it_"
    add_note(store, drill, "hotwash", "Zhou **Z**", note)
    report = load_report(store, drill).report
    markdown = render(report, "md", "en")
    assert "\\*\\*urgent\\*\\* \\[x\\](http://e) \\<b\\>no\\</b\\> \\_it\\_" in markdown
    html = render(report, "html", "en")
    assert "**urgent** [x](http://e) &lt;b&gt;no&lt;/b&gt; _it_" in html
    assert "<strong>urgent" not in html and "<strong>Z" not in html
    document = Document(io.BytesIO(render_docx(report, "en")))
    runs = [r for p in document.paragraphs for r in p.runs if "urgent" in r.text]
    assert runs and all(not r.bold and "**urgent**" in r.text for r in runs)
    # the structure's own emphasis is still there: the score line and the team's total
    assert "<p><strong>Score:" in html and re.search(r"<td><strong>Team</strong></td>", html)
