"""Signatures and amendments (issue 11, item 1) and the report for filing (item 5).

Several people sign a report, each in a capacity; the same person signs once per
capacity; only an ended drill that is not void is signed. Notes and improvement-plan
edits after the first signature are amendments: the report keeps what was signed and
lists them apart. The cover names the organisation, location and evaluators; rules are
named by their titles; the event log is a table numbered by the journal's sequence.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drills.cli.main import main
from drills.play.session import DrillSession
from drills.port.labels import CAPACITIES, LABELS
from drills.review.desk import StoreDesk
from drills.review.report import load_report
from drills.review.reports import render
from drills.review.reports.chart import COLOURS, timeline_svg
from drills.store.database import RecordRefused, Store
from drills.store.notes import (
    add_note,
    edit_improvement,
    improvement_log,
    notes,
    sign_off,
    signatures,
)
from drills.ui.app import make_app
from drills.ui.screens.review import ReviewScreen, SignOffDialog
from engine.bundle import Bundle
from scoring.report import Filing

from .ui.conftest import plain, until

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="drillhall")


def refused(result: Result, *words: str) -> str:
    """Exit 1 with one line on stderr, no traceback; returns the line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("drillhall: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def played(store: Store, bundle: Bundle, bot: str = "novice", seed: int = 3) -> str:
    roles = [r.id for r in bundle.compiled.plan.roles]
    session = DrillSession.create(store, bundle, seed=seed, bots=dict.fromkeys(roles, bot))
    session.run_headless()
    return session.drill_id


@pytest.fixture
def drill(store: Store, flood_bundle: Bundle) -> str:
    return played(store, flood_bundle, "rogue")  # findings and prohibited acts


# -- signatures -----------------------------------------------------------------------


def test_capacities_are_bilingual_labels() -> None:
    assert set(CAPACITIES) == {"evaluator", "safety_manager", "trainer", "director", "observer"}
    assert CAPACITIES["evaluator"][0] == "评估人员"
    assert CAPACITIES["safety_manager"][0] == "安全管理人员"
    for zh, en in CAPACITIES.values():
        assert CJK.search(zh) and en.strip() and not CJK.search(en)


def test_several_signatures_each_with_its_capacity(store: Store, drill: str) -> None:
    sign_off(store, drill, "张安全", "safety_manager", "同意")
    sign_off(store, drill, "张安全", "evaluator")  # the same person, another capacity
    sign_off(store, drill, "Li Ping", "director", "Approved")
    assert [(s.name, s.capacity) for s in signatures(store, drill)] == [
        ("张安全", "safety_manager"),
        ("张安全", "evaluator"),
        ("Li Ping", "director"),
    ]
    report = load_report(store, drill).report
    assert not report.draft
    zh, en = render(report, "md", "zh"), render(report, "md", "en")
    assert "| 张安全 | 安全管理人员 |" in zh and "| 同意 |" in zh
    assert "| 张安全 | 评估人员 |" in zh and "| Li Ping | 总指挥 |" in zh
    assert "| 张安全 | safety manager |" in en and "| Li Ping | director |" in en
    html = render(report, "html", "en")
    assert html.count("<td>张安全</td>") == 2 and "<td>director</td>" in html
    assert "已审核签字" in zh and "草稿" not in zh


@pytest.mark.parametrize("again", ["张安全", " 张安全 ", "张安全　"])
def test_the_same_person_in_the_same_capacity_is_refused(
    store: Store, drill: str, again: str
) -> None:
    sign_off(store, drill, "张安全", "safety_manager")
    with pytest.raises(RecordRefused, match="already signed"):
        sign_off(store, drill, again, "safety_manager")
    assert len(signatures(store, drill)) == 1  # nothing was written
    line = refused(
        cli("signoff", drill, "--name", again, "--capacity", "安全管理人员", "--db", store.target),
        "already signed",
        "safety manager (安全管理人员)",
    )
    assert "--name" in line
    same_case = cli("signoff", drill, "--name", "li ping", "--capacity", "observer",
                    "--db", store.target)  # fmt: skip
    assert same_case.exit_code == 0
    refused(
        cli("signoff", drill, "--name", "LI PING", "--capacity", "observer", "--db", store.target),
        "already signed",
    )


@pytest.mark.parametrize(
    ("given", "key"),
    [
        ("evaluator", "evaluator"),
        ("safety-manager", "safety_manager"),
        ("Safety manager", "safety_manager"),
        ("导调人员", "trainer"),
        ("DIRECTOR", "director"),
    ],
)
def test_a_capacity_is_a_key_or_its_name(store: Store, drill: str, given: str, key: str) -> None:
    result = cli("signoff", drill, "--name", "王", "--capacity", given, "--db", store.target)
    assert result.exit_code == 0, result.output
    assert signatures(store, drill)[-1].capacity == key


def test_free_text_capacities_and_missing_ones_are_refused(store: Store, drill: str) -> None:
    db = ["--db", store.target]
    line = refused(cli("signoff", drill, "--name", "王", "--capacity", "boss", *db), "--capacity")
    for key, (zh, _en) in CAPACITIES.items():
        assert key in line and zh in line
    refused(cli("signoff", drill, "--name", "王", *db), "--capacity")
    with pytest.raises(RecordRefused, match="unknown capacity"):
        sign_off(store, drill, "王", "boss")
    assert signatures(store, drill) == []


def test_only_ended_drills_that_are_not_void_are_signed(store: Store, flood_bundle: Bundle) -> None:
    roles = [r.id for r in flood_bundle.compiled.plan.roles]
    running = DrillSession.create(store, flood_bundle, bots=dict.fromkeys(roles, "idle"))
    db = ["--db", store.target]
    sign = ["--name", "张安全", "--capacity", "evaluator"]
    refused(cli("signoff", running.drill_id, *sign, *db), "has not ended", "DRILL")
    void = played(store, flood_bundle, "idle")
    store.void_drill(void, "the room's projector failed", "王主任")
    line = refused(cli("signoff", void, *sign, *db), "void", "the room's projector failed")
    assert "王主任" in line
    assert signatures(store, running.drill_id) == signatures(store, void) == []


def test_signatures_copied_from_old_sign_offs_show_no_capacity(store: Store, drill: str) -> None:
    with store.sql.transaction():  # m008 copies the one-row signoffs table in with capacity ''
        store.sql.execute(
            "INSERT INTO signatures (drill_id, name, capacity, comment, at) "
            "VALUES (?, ?, '', '', ?)",
            [drill, "老签字人", "2025-06-01T08:00:00.000+00:00"],
        )
    report = load_report(store, drill).report
    assert "| 老签字人 | （未注明） |" in render(report, "md", "zh")
    assert "| 老签字人 | (not stated) |" in render(report, "md", "en")


# -- amendments -----------------------------------------------------------------------


def test_edits_after_the_first_signature_are_amendments(store: Store, drill: str) -> None:
    before = add_note(store, drill, "hotwash", "王主任", "口径发布混乱")
    first = load_report(store, drill).report.findings[0].id
    edit_improvement(store, drill, first, owner="甲单位", status="in-progress")
    assert not before.amendment
    assert render(load_report(store, drill).report, "md", "zh").count("签字后修订") == 0
    sign_off(store, drill, "张安全", "safety_manager")
    after = add_note(store, drill, "self", "李明", "报告对象选错了", role="duty_officer")
    edit_improvement(store, drill, first, owner="乙单位", due="2027-01-15")
    edit_improvement(store, drill, first, status="done")
    assert after.amendment
    assert [n.amendment for n in notes(store, drill)] == [False, True]
    assert [e.amendment for e in improvement_log(store, drill)] == [False, True, True]

    report = load_report(store, drill).report
    current = next(r for r in report.improvement_plan if r.finding == first)
    signed = next(r for r in report.signed_plan if r.finding == first)
    assert (current.owner, current.due, current.status) == ("乙单位", "2027-01-15", "done")
    assert (signed.owner, signed.status) == ("甲单位", "in-progress")
    assert report.amended_findings == [first]
    zh = render(report, "md", "zh")
    signed_part, amendments = zh.split("## 签字后修订")
    plan_table = signed_part.split("## 九、改进计划")[1].split("## 十、")[0]
    assert "| 甲单位 |" in plan_table and "乙单位" not in plan_table  # as signed
    assert f"签字后修订过的行：{first}" in plan_table
    hot_wash = signed_part.split("## 十、")[1]
    assert "口径发布混乱" in hot_wash and "报告对象选错了" not in hot_wash
    amendments = amendments.split("## 附录")[0]
    assert "| 参演人员自评 | 李明 (市防汛办值班员) | 报告对象选错了 |" in amendments
    assert f"{first} 责任人：甲单位 → 乙单位" in amendments
    assert "完成期限：" in amendments and "状态：整改中 → 完成" in amendments
    en = render(report, "md", "en")
    assert "## Amendments after signature" in en
    assert "Status: in progress → done" in en and "Owner: 甲单位 → 乙单位" in en
    # `improve` shows the plan as it stands, and says an edit is an amendment
    db = ["--db", store.target]
    shown = cli("improve", drill, first, "--action", "复训", *db)
    assert shown.exit_code == 0 and "an amendment" in shown.stdout and "复训" in shown.stdout


def test_a_signed_drill_without_amendments_says_so(store: Store, drill: str) -> None:
    sign_off(store, drill, "张安全", "evaluator")
    report = load_report(store, drill).report
    assert "签字后没有修订。" in render(report, "md", "zh")
    assert "Nothing was amended after signature." in render(report, "md", "en")


def test_a_note_s_role_must_be_one_of_the_plan(store: Store, drill: str) -> None:
    db = ["--db", store.target]
    line = refused(
        cli("note", drill, "我报错了对象", "--author", "李明", "--self", "--role", "mayor", *db),
        "--role",
        "no role 'mayor'",
    )
    assert "duty_officer" in line and "commander" in line
    refused(cli("note", drill, "热回顾", "--author", "王", "--role", "nobody", *db), "no role")
    assert notes(store, drill) == []
    ok = cli(
        "note", drill, "我报错了对象", "--author", "李明", "--self", "--role", "duty_officer", *db
    )
    assert ok.exit_code == 0 and "amendment" not in ok.stdout
    cli("signoff", drill, "--name", "张", "--capacity", "evaluator", *db)
    late = cli("note", drill, "补充", "--author", "王", *db)
    assert late.exit_code == 0 and "an amendment" in late.stdout


# -- the review console -----------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_the_review_console_signs_with_a_capacity_and_shows_every_signature(
    store: Store, drill: str, lang: str
) -> None:
    sign_off(store, drill, "Li Ping", "director")
    app = make_app("review", lang=lang, desk=StoreDesk(store))
    async with app.run_test(size=(140, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, ReviewScreen), "the console")
        screen = app.screen
        assert isinstance(screen, ReviewScreen)
        detail = screen.query_one("#detail")
        signed_by = LABELS["signed_by"][0 if lang == "zh" else 1]
        director = CAPACITIES["director"][0 if lang == "zh" else 1]
        await until(pilot, lambda: f"{signed_by}: Li Ping — {director}" in plain(detail))
        for name, capacity in (("[b]张安全[/b]", "evaluator"), ("[b]张安全[/b]", "evaluator")):
            await pilot.press("ctrl+g")
            await until(pilot, lambda: isinstance(app.screen, SignOffDialog), "the dialog")
            dialog = app.screen
            from textual.widgets import Input, Select

            assert dialog.query_one("#capacity", Select).value == "safety_manager"
            dialog.query_one("#name", Input).value = name
            dialog.query_one("#capacity", Select).value = capacity
            await pilot.click("#ok")
            await until(pilot, lambda: app.screen is screen, "back to the console")
        evaluator = CAPACITIES["evaluator"][0 if lang == "zh" else 1]
        await until(pilot, lambda: f"{signed_by}: [b]张安全[/b] — {evaluator}" in plain(detail))
        assert plain(detail).count(signed_by) == 2  # the second was refused
        assert any("already signed" in n.message for n in app._notifications)
    assert [s.capacity for s in signatures(store, drill)] == ["director", "evaluator"]


# -- the report for filing --------------------------------------------------------------


def test_the_cover_from_options_and_the_config_file(
    store: Store, drill: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    db = ["--db", store.target]
    bare = cli("report", drill, "--format", "md", *db).stdout
    assert "| 组织单位 | （未填写） |" in bare and "| 评估人员 | （未填写） |" in bare
    config = tmp_path / "config" / "drillhall" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        '[report]\norganisation = "益阳市防汛抗旱指挥部办公室"\nlocation = "市防指会商室"\n'
        'evaluators = ["张三", "李四"]\n',
        encoding="utf-8",
    )
    from_config = cli("report", drill, "--format", "md", *db).stdout
    assert "| 组织单位 | 益阳市防汛抗旱指挥部办公室 |" in from_config
    assert (
        "| 演练地点 | 市防指会商室 |" in from_config and "| 评估人员 | 张三、李四 |" in from_config
    )
    given = cli(
        "report", drill, "--format", "md", "--lang", "en", "--location", "Room 2",
        "--evaluator", "Wang", "--evaluator", "Zhao", *db,
    ).stdout  # fmt: skip
    assert "| Organisation | 益阳市防汛抗旱指挥部办公室 |" in given
    assert "| Location | Room 2 |" in given and "| Evaluators | Wang, Zhao |" in given
    html = cli("report", drill, "--format", "html", "--organization", "<b>x</b>", *db).stdout
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    config.write_text('[report]\norganization = "typo"\n', encoding="utf-8")
    refused(cli("report", drill, *db), "[report] has no organization", "organisation")
    config.write_text("[report]\nevaluators = 3\n", encoding="utf-8")
    refused(cli("report", drill, *db), "evaluators")


def test_rules_are_named_by_their_titles(store: Store, flood_bundle: Bundle) -> None:
    drill = played(store, flood_bundle, "idle")
    report = load_report(store, drill).report
    compiled = flood_bundle.compiled
    for lang in ("zh", "en"):
        text = render(report, "md", lang)
        conclusion = text.split(LABELS["section_conclusion"][0 if lang == "zh" else 1])[1]
        conclusion = conclusion.split("\n## ")[0]
        register = text.split(LABELS["section_findings"][0 if lang == "zh" else 1])[1]
        register = register.split("\n## ")[0]
        for result in report.score.expectations:
            if result.scored and result.status == "missed":
                spec = compiled.expectations[result.id]
                assert spec.title[lang] in conclusion, result.id
                assert f"expectation {result.id}" not in register
                if result.clause:
                    assert result.clause in conclusion  # the clause stays cited
        assert not re.search(r"\bE-[a-z]", conclusion), conclusion
        svg = timeline_svg(report, lang)
        assert compiled.expectations[report.score.expectations[0].id].title[lang][:6] in svg


def test_the_event_log_is_a_table_numbered_as_the_journal(store: Store, drill: str) -> None:
    report = load_report(store, drill).report
    for lang in ("zh", "en"):
        text = render(report, "md", lang)
        log = text.split(LABELS["appendix_journal"][0 if lang == "zh" else 1])[1]
        log = log.split("\n### ")[0]
        rows = [line for line in log.splitlines() if re.match(r"\| \d+ \|", line)]
        assert [int(r.split("|")[1]) for r in rows] == [e.seq for e in report.events]
        assert '{"' not in log  # no raw JSON
        decision = next(e for e in report.events if e.kind == "decision_accepted")
        row = rows[[e.seq for e in report.events].index(decision.seq)]
        word = LABELS["decision"][0 if lang == "zh" else 1]
        assert f"| {word} |" in row
    html = render(report, "html", "zh")
    assert "<details>" not in html and "附录A 演练事件记录" in html


def test_the_chart_marks_prohibited_acts(store: Store, drill: str) -> None:
    report = load_report(store, drill).report
    acts = [e for e in report.events if e.kind == "commission"]
    assert acts, "the rogue bot commits prohibited acts"
    for lang, legend in (("zh", "违规行动"), ("en", "prohibited act")):
        svg = timeline_svg(report, lang)
        marks = svg.count(f'fill="{COLOURS["prohibited"]}" stroke="white"')
        assert marks == len(acts) + 1  # one per act, one in the legend
        assert f">{legend}</text>" in svg
        for act in acts:
            assert f"#{act.seq} " in svg


def test_filing_is_part_of_the_report_data(store: Store, drill: str) -> None:
    filing = Filing("益阳市防汛办", "会商室", ["张三"])
    report = load_report(store, drill, filing=filing).report
    assert report.filing == filing
    assert "| 演练地点 | 会商室 |" in render(report, "md", "zh")


def test_the_keys_the_report_looks_up_are_in_the_label_table() -> None:
    from drills.review.reports import chart, document

    keys = [
        *document.FIELD_LABELS.values(),
        *document.PLAN_STATUS.values(),
        *document.EVENT_KINDS.values(),
        *(f"chart_{key}" for key in chart.COLOURS if key not in ("inject", "text", "grid")),
    ]
    assert [key for key in keys if key not in LABELS] == []
