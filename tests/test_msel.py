"""Spreadsheets in and out (`drillhall msel`): the round trip on every shipped scenario,
header aliases, a sheet as people really keep it, a position for every bad cell, the
drop-downs, and the exit codes."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from drills.cli.main import main
from drills.library.catalog import CatalogEntry, find_plan, installed
from drills.library.msel import (
    CHANNELS,
    LISTS_SHEET,
    MSEL_COLUMNS,
    MSEL_SHEET,
    SCENARIO_SHEET,
    Imported,
    SheetError,
    export_msel,
    import_msel,
    load_checked_plan,
    parse_trigger,
    seconds_of,
)
from engine.bots import make_bot
from engine.bundle import load_bundle
from engine.compiled import CompiledScenario, compile_scenario
from engine.plan import Plan
from engine.runner import Runner
from engine.runtime import DrillEngine
from engine.scenario import Scenario
from scoring.score import score_drill

DATA = Path(__file__).parent / "data"
Cellish = str | int | None
ENTRIES = installed()
FLOOD_PLAN = Path(__file__).parent.parent / "scenarios" / "plans" / "flood-municipal.yaml"


def results(compiled: CompiledScenario) -> dict[str, tuple[float, str]]:
    """The ideal and idle runs' score and rating (what the round trip must keep)."""
    roles = [r.id for r in compiled.plan.roles]
    found: dict[str, tuple[float, str]] = {}
    for bot in ("ideal", "idle"):
        engine = DrillEngine(compiled, seed=0)
        Runner(engine, [make_bot(bot, roles, 0)]).run_to_end()
        score = score_drill(compiled, engine.events)
        found[bot] = (score.score, score.rating)
    return found


def read_back(path: Path, plan: Plan) -> Imported:
    """Import as the CLI does, the output file's name standing in for a missing id."""
    return import_msel(path, lambda _named: plan, default_id=path.stem)


def problems(path: Path, plan: Plan) -> list[str]:
    """The lines an import refuses with (without the file name)."""
    with pytest.raises(SheetError) as caught:
        read_back(path, plan)
    return [str(p).removeprefix(f"{path}:") for p in caught.value.problems]


# ---------------------------------------------------------------------------- round trip


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
@pytest.mark.parametrize("entry", ENTRIES, ids=[e.id for e in ENTRIES])
def test_every_shipped_scenario_survives_the_round_trip(
    entry: CatalogEntry, kind: str, tmp_path: Path
) -> None:
    """Exported and imported back: the same scenario model, it validates with no warning
    (what `validate --strict` asks), and the ideal and idle runs score the same."""
    from drills.library.validate import validate_paths

    plan_path = find_plan(entry.path, entry.plan)
    original = load_bundle(entry.path, plan_path).compiled
    sheet = tmp_path / f"{entry.id}.{kind}"
    export_msel(original, sheet)
    imported = read_back(sheet, load_checked_plan(plan_path))
    assert imported.warnings == []
    written = tmp_path / f"{entry.id}.yaml"
    written.write_text(imported.text, encoding="utf-8")
    diagnostics, _ = validate_paths([written], plan_path)
    assert diagnostics == []
    again = load_bundle(written, plan_path).compiled
    assert again.scenario == original.scenario
    before = results(original)
    assert results(again) == before
    assert before["ideal"] == (100.0, "P") and before["idle"][1] == "U"


def test_the_written_yaml_is_readable(tmp_path: Path) -> None:
    """Safe YAML, Chinese as is, keys in the model's order, durations as authors write them."""
    entry = next(e for e in ENTRIES if e.id == "flood-river-crest")
    original = load_bundle(entry.path, FLOOD_PLAN).compiled
    export_msel(original, tmp_path / "s.xlsx")
    text = read_back(tmp_path / "s.xlsx", original.plan).text
    assert "洪峰过境与堤防管涌" in text and "\\u" not in text
    keys = re.findall(r"^([a-z]+):", text, re.MULTILINE)
    assert keys[:4] == ["id", "version", "plan", "family"] and keys[-1] == "injects"
    assert "duration: 8h30m" in text and "after: {inject: I01, delay: 15m}" in text
    assert "!!python" not in text


def test_texts_that_look_like_formulas_or_numbers_stay_text(tmp_path: Path) -> None:
    entry = next(e for e in ENTRIES if e.id == "flood-river-crest")
    original = load_bundle(entry.path, FLOOD_PLAN).compiled
    data = original.scenario.model_dump(by_alias=True, exclude_defaults=True)
    data["injects"][0]["text"] = "=SUM(A1:A3) 不是公式"
    data["injects"][0]["title"] = "007"
    data["injects"][0]["effects"] = [{"set": "dike_status", "value": "1:30"}]
    scenario = Scenario.model_validate(data)
    for kind in ("xlsx", "csv"):
        sheet = tmp_path / f"odd.{kind}"
        export_msel(compile_scenario(original.plan, scenario), sheet)
        assert read_back(sheet, original.plan).scenario == scenario


# ---------------------------------------------------------------------------- a real sheet


def _with_saved_result(path: Path, cell: str, value: str) -> None:
    """Give a formula the result a spreadsheet program would have saved with it (openpyxl
    writes formulas without one)."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet, count = re.subn(
        rf'<c r="{cell}"><f>(.*?)</f>(?:<v\s*/>|<v></v>)',  # with lxml or without
        rf'<c r="{cell}" t="str"><f>\1</f><v>{value}</v>',
        sheet,
    )
    assert count == 1
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)


def _trainers_sheet(path: Path) -> None:
    """An MSEL as a trainer keeps it: a banner, Chinese and English headers, a heading row
    merged across, a sender merged down two rows, a formula, empty rows, numbered rows, a
    note among the expected actions, role names instead of ids, and a Scenario sheet with
    only what has no default."""
    book = Workbook()
    ws = book.active
    assert isinstance(ws, Worksheet)
    ws.title = "Sheet1"
    ws["A1"] = "某市防汛桌面推演 演练脚本"
    ws.merge_cells("A1:I1")
    headers = [
        "#",
        "Time",
        "阶段",
        "发送单位",
        "Recipients",
        "传递方式",
        "内容",
        "Expected actions",
    ]
    for col, header in enumerate([*headers, "备注"], start=1):
        ws.cell(row=3, column=col, value=header)
    ws["A4"] = "第一阶段 预警"
    ws.merge_cells("A4:I4")
    ws.append(
        [
            1,
            "0:10:00",
            "预警",
            "市水文局",
            "值班长",
            "电话",
            "水位超警戒",
            "E1 = A1\n# 值班长先研判\nA2",
            "备注",
        ]
    )
    ws.append([2, "0:40", None, None, "duty_chief", "sms", '="水位"&"继续上涨"', None, None])
    ws.merge_cells("D5:D6")
    ws.append([])
    ws.append([3, "1h", "响应", "市防指", "防汛办、commander", "会议 meeting", "会商", "A3", None])
    scenario = book.create_sheet("情景 Scenario")
    scenario.append(["Field", "Value", "English"])
    scenario.append(["标识", "trainers-drill"])
    scenario.append([])
    scenario.append(["Duration", "3:00:00"])
    scenario.append(["title", "防汛推演", "Flood tabletop"])
    book.save(path)
    _with_saved_result(path, "G6", "水位继续上涨")


@pytest.fixture
def worked_plan() -> Plan:
    return load_checked_plan(DATA / "worked-plan.yaml")


def test_a_sheet_as_trainers_keep_it(tmp_path: Path, worked_plan: Plan) -> None:
    sheet = tmp_path / "trainers.xlsx"
    _trainers_sheet(sheet)
    imported = read_back(sheet, worked_plan)
    scenario = imported.scenario
    assert [i.id for i in scenario.injects] == ["I01", "I02", "I03"]
    first, second, third = scenario.injects
    assert (first.at, second.at, third.at) == (600, 2400, 3600)
    assert first.source.zh == second.source.zh == "市水文局"  # merged down
    assert second.text.zh == "水位继续上涨"  # the formula's saved result
    assert first.to == ["duty_chief"] and third.to == ["office", "commander"]
    assert (second.channel, third.channel) == ("sms", "meeting")
    assert [(e.id, e.rule) for e in first.expects] == [("E1", "A1"), (None, "A2")]
    assert first.background is not None and first.background.zh == "备注"
    assert (scenario.id, scenario.plan, scenario.family, scenario.duration) == (
        "trainers-drill",
        "worked-example",
        "other",
        10800,
    )
    assert scenario.title.en == "Flood tabletop"
    assert imported.warnings == []


def test_a_formula_without_a_saved_result_is_refused(tmp_path: Path, worked_plan: Plan) -> None:
    sheet = tmp_path / "trainers.xlsx"
    _trainers_sheet(sheet)
    book = load_workbook(sheet)
    book["Sheet1"]["G5"] = '="超"&"警戒"'
    book.save(sheet)  # openpyxl keeps no saved results: G6 loses its result as well
    found = problems(sheet, worked_plan)
    assert [line.split(" has no saved value")[0] for line in found] == [
        'Sheet1!G5: 内容: the formula ="超"&"警戒"',
        'Sheet1!G6: 内容: the formula ="水位"&"继续上涨"',
    ]


@pytest.mark.parametrize(
    ("headers", "encoding"),
    [
        (["序号", "时间", "发送方", "接收角色", "方式", "情景内容", "预期行动", "时限"], "utf-8"),
        (
            ["No.", "time", "From", "To", "Method", "Message", "Expected action", "Deadline"],
            "utf-8",
        ),
        (
            ["编号", "演练时间", "sender", "recipients", "渠道", "Text", "预期响应", "完成时限"],
            "gb18030",
        ),
    ],
    ids=["chinese", "english", "mixed-gb18030"],
)
def test_header_aliases_in_both_languages(
    headers: list[str], encoding: str, tmp_path: Path, worked_plan: Plan
) -> None:
    rows = [
        ",".join(headers),
        '1,0:05:00,市水文局,duty_chief,phone,水位超警戒,"E1 = A1\nA2","45m\n—"',
        "",
        "字段 Field,值 Value,英文 English",
        "id,csv-drill,",
        "duration,2h,",
    ]
    sheet = tmp_path / "drill.csv"
    sheet.write_bytes("\r\n".join(rows).encode(encoding))
    scenario = read_back(sheet, worked_plan).scenario
    [inject] = scenario.injects
    assert (inject.id, inject.at, inject.to) == ("I01", 300, ["duty_chief"])
    assert inject.text.zh == "水位超警戒"
    assert [(e.key, e.deadline) for e in inject.expects] == [("E1", 2700), ("A2", None)]


def test_the_english_half_of_a_text_has_its_own_column(tmp_path: Path, worked_plan: Plan) -> None:
    rows = [
        "序号 No.,时间 Time,发送方 From,发送方（英文） From (English),接收角色 To,"
        "情景内容 Message,Message (en)",
        "I01,0:05:00,市水文局,City hydrology,duty_chief,水位超警戒,Above warning",
        "",
        "字段 Field,值 Value",
        "duration,1h",
    ]
    sheet = tmp_path / "two.csv"
    sheet.write_text("\n".join(rows), encoding="utf-8")
    [inject] = read_back(sheet, worked_plan).scenario.injects
    assert (inject.source.zh, inject.source.en) == ("市水文局", "City hydrology")
    assert (inject.text.zh, inject.text.en) == ("水位超警戒", "Above warning")


def test_unknown_columns_are_named_but_not_fatal(tmp_path: Path, worked_plan: Plan) -> None:
    rows = [
        "序号,时间,发送方,接收角色,情景内容,负责人,预期行动",
        "I01,0:05:00,局,office,水位,张三,A3",
    ]
    rows += ["", "字段,值", "duration,2h"]
    sheet = tmp_path / "extra.csv"
    sheet.write_text("\n".join(rows), encoding="utf-8")
    imported = read_back(sheet, worked_plan)
    assert [str(w).removeprefix(f"{sheet}:") for w in imported.warnings] == [
        f"{MSEL_SHEET}!F1: warning: column '负责人' is not read"
    ]


# ---------------------------------------------------------------------------- bad cells


@pytest.fixture(scope="module")
def flood_sheet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    entry = next(e for e in ENTRIES if e.id == "flood-river-crest")
    path = tmp_path_factory.mktemp("msel") / "flood.xlsx"
    export_msel(load_bundle(entry.path, FLOOD_PLAN).compiled, path)
    return path


@pytest.fixture(scope="module")
def flood_plan() -> Plan:
    return load_checked_plan(FLOOD_PLAN)


def _column(header: str) -> str:
    from openpyxl.utils import get_column_letter

    index = next(i for i, c in enumerate(MSEL_COLUMNS, start=1) if c.header == header)
    return get_column_letter(index)


def _edited(source: Path, target: Path, edits: dict[str, Cellish]) -> Path:
    """The sheet with cells changed: ``{"时间 Time@3": "1:3x", "情景 Scenario!B10": …}``."""
    book = load_workbook(source)
    for where, value in edits.items():
        if "@" in where:
            header, row = where.split("@")
            book[MSEL_SHEET][f"{_column(header)}{row}"] = value
        else:
            sheet, cell = where.split("!")
            book[sheet][cell] = value
    book.save(target)
    return target


BAD_CELLS: list[tuple[str, dict[str, Cellish], str]] = [
    ("time", {"时间 Time@3": "1:3x"}, "演练脚本 MSEL!B3: 时间 Time: cannot read '1:3x'"),
    ("bare number", {"时间 Time@3": 30}, "演练脚本 MSEL!B3: 时间 Time: 30 is a bare number"),
    ("a date", {"时间 Time@3": "2026-06-30"}, "演练脚本 MSEL!B3: 时间 Time: cannot read"),
    ("role", {"接收角色 To@3": "duty_officer, nobody"}, "!H3: 接收角色 To: unknown role 'nobody'"),
    ("ambiguous role", {"接收角色 To@3": "指挥长"}, "!H3: 接收角色 To: '指挥长' could be any of"),
    ("empty recipients", {"接收角色 To@3": None}, "!H3: 接收角色 To: required field is missing"),
    ("method", {"方式 Method@3": "pigeon"}, "!I3: 方式 Method: unknown method 'pigeon'"),
    ("trigger", {"触发 Trigger@4": "sometime"}, "!Q4: 触发 Trigger: cannot read the trigger"),
    ("time and trigger", {"时间 Time@4": "0:20:00"}, "!B4: 时间 Time: the inject fires by its"),
    (
        "time against at",
        {"时间 Time@3": "0:20:00", "触发 Trigger@3": "at 0:15:00"},
        "!Q3: 触发 Trigger: the time 0:20:00 and the trigger 'at 0:15:00' differ",
    ),
    ("no trigger", {"时间 Time@2": None}, "!B2: 时间 Time: no time and no trigger"),
    ("unknown inject", {"触发 Trigger@4": "after I99"}, "!Q4: 触发 Trigger: inject: unknown"),
    (
        "condition",
        {"触发 Trigger@4": "when {state: water_level, '>=': 12:30}"},
        "!Q4: 触发 Trigger: cannot read the condition (YAML 1.1 reads 12:30",
    ),
    (
        "rule",
        {"预期行动 Expected action@3": "E-log-1 = R-duty-24h\nE-r = R-duty-relay\nE-x = R-nope"},
        "!L3: 预期行动 Expected action, line 3: rule: unknown plan rule 'R-nope'",
    ),
    (
        "override",
        {"预期行动 Expected action@2": "E-forecast-1 = R-hyd-forecast {weight: -1}"},
        "!L2: 预期行动 Expected action, line 1: weight: must be greater than 0",
    ),
    ("deadline", {"时限 Deadline@2": "soon"}, "!M2: 时限 Deadline, line 1: cannot read 'soon'"),
    (
        "zero deadline",
        {"时限 Deadline@2": "0:00:00"},
        "!M2: 时限 Deadline, line 1: a deadline of 0",
    ),
    ("deadlines", {"时限 Deadline@2": "1h\n2h"}, "!M2: 时限 Deadline: 2 deadlines for 1 expected"),
    (
        "hint",
        {"提示 Hints@2": "{after: 10m, text: "},
        "!T2: 提示 Hints, line 1: cannot read a hint",
    ),
    (
        "effect",
        {"效果 Effects@2": "water_level += high"},
        "!R2: 效果 Effects, line 1: water_level +=",
    ),
    (
        "state key",
        {"效果 Effects@2": "water_level = 33.7\nseepage_points += yes"},
        "!R2: 效果 Effects, line 2: seepage_points += needs a number",
    ),
    (
        "prohibited",
        {"禁止行动 Prohibited@2": "[a]"},
        "!S2: 禁止行动 Prohibited, line 1: a prohibited",
    ),
    ("duplicate id", {"序号 No.@3": "I01"}, "!A3: 序号 No.: inject id 'I01' is used twice"),
    (
        "no message",
        {"情景内容 Message@3": None, "情景内容（英文） Message (English)@3": None},
        "!J3: 情景内容 Message: required field is missing",
    ),
    (
        "scenario field",
        {"情景 Scenario!A3": "颜色 colour"},
        "情景 Scenario!A3: unknown field '颜色",
    ),
    ("duration", {"情景 Scenario!B10": "forever"}, "情景 Scenario!B10: 时长 duration: cannot read"),
    ("family", {"情景 Scenario!B5": "fire"}, "情景 Scenario!B5: 类别 family: Input should be"),
    (
        "plan",
        {"情景 Scenario!B4": "cyber-national"},
        "情景 Scenario!B4: 预案 plan: the sheet plays",
    ),
    (
        "state",
        {"情景 Scenario!B16": "water_level"},
        "情景 Scenario!B16: 初始状态 state: cannot read",
    ),
]


@pytest.mark.parametrize(
    ("edits", "expected"), [(e, x) for _, e, x in BAD_CELLS], ids=[n for n, _, _ in BAD_CELLS]
)
def test_each_bad_cell_is_reported_at_its_cell(
    edits: dict[str, Cellish], expected: str, flood_sheet: Path, flood_plan: Plan, tmp_path: Path
) -> None:
    found = problems(_edited(flood_sheet, tmp_path / "edited.xlsx", edits), flood_plan)
    assert any(line.startswith(expected) or expected in line for line in found), found
    assert len(found) <= 3, found  # one mistake, not a cascade


def test_every_problem_is_reported_at_once(
    flood_sheet: Path, flood_plan: Plan, tmp_path: Path
) -> None:
    edits: dict[str, Cellish] = {"时间 Time@3": "1:3x", "方式 Method@5": "pigeon"}
    edits["情景 Scenario!B10"] = "forever"
    found = problems(_edited(flood_sheet, tmp_path / "edited.xlsx", edits), flood_plan)
    assert [line.split(":")[0] for line in found] == [
        "情景 Scenario!B10",
        "演练脚本 MSEL!B3",
        "演练脚本 MSEL!I5",
    ]


def test_csv_problems_name_the_record_a_spreadsheet_shows(
    tmp_path: Path, worked_plan: Plan
) -> None:
    rows = ["序号,时间,发送方,接收角色,情景内容", "I01,0:05:00,水文局,office,水位"]
    rows += ['I02,"0:10:00",水文局,nobody,"多行\n内容"', "I03,later,水文局,office,水位"]
    rows += ["", "字段,值", "duration,1h"]
    sheet = tmp_path / "bad.csv"
    sheet.write_text("\n".join(rows), encoding="utf-8")
    found = problems(sheet, worked_plan)
    assert [line.split(": ")[0] for line in found] == [f"{MSEL_SHEET}!D3", f"{MSEL_SHEET}!B4"]


def test_a_sheet_without_a_header_or_duration_says_so(tmp_path: Path, worked_plan: Plan) -> None:
    no_header = tmp_path / "none.csv"
    no_header.write_text("a,b\n1,2\n", encoding="utf-8")
    assert any(
        line.startswith(f"{MSEL_SHEET}!A1: no header row")
        for line in problems(no_header, worked_plan)
    )
    no_duration = tmp_path / "short.csv"
    no_duration.write_text("序号,时间,发送方,接收角色,情景内容\nI01,0:05:00,局,office,水位\n")
    assert problems(no_duration, worked_plan) == [
        " the scenario's duration is missing: add a row 时长 duration | 8:30:00 to the "
        "情景 Scenario sheet (or the CSV's Scenario section)"
    ]


# ---------------------------------------------------------------------------- small parsers


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1:30:00", 5400), ("1:30", 5400), ("0:00:45", 45), ("72:00:00", 259200), ("1h30m", 5400)],
)
def test_times_as_clock_or_duration(text: str, seconds: int) -> None:
    assert seconds_of(text) == seconds


@pytest.mark.parametrize(
    ("text", "trigger"),
    [
        ("at 1:30:00", {"at": "1h30m"}),
        ("at 0", {"at": 0}),
        ("after I03 +10m", {"after": {"inject": "I03", "delay": "10m"}}),
        ("after 3", {"after": {"inject": "I03"}}),
        ("after E-x missed", {"after": {"expectation": "E-x", "outcome": "missed"}}),
        ("when {missed: E-x} +0:10:00", {"when": {"missed": "E-x"}, "delay": "10m"}),
        ("when {fired: I01} ~5m", {"when": {"fired": "I01"}, "jitter": "5m"}),
        ("at 30m ~5m", {"at": "30m", "jitter": "5m"}),
    ],
)
def test_trigger_syntax(text: str, trigger: dict[str, Cellish]) -> None:
    assert parse_trigger(text) == trigger


# ---------------------------------------------------------------------------- the workbook


def test_the_workbook_has_drop_downs_and_bilingual_headers(
    flood_sheet: Path, flood_plan: Plan
) -> None:
    book = load_workbook(flood_sheet)
    assert book.sheetnames == [MSEL_SHEET, SCENARIO_SHEET, LISTS_SHEET]
    msel = book[MSEL_SHEET]
    headers = [c.value for c in msel[1]]
    wanted = "序号 No.|时间 Time|阶段 Phase|发送方 From|接收角色 To|方式 Method|情景内容 Message|"
    wanted += (
        "预期行动 Expected action|时限 Deadline|条款 Clause|导调备注 Controller notes|触发 Trigger"
    )
    assert set(wanted.split("|")) <= set(headers)
    validations = {str(v.sqref): v for v in msel.data_validations.dataValidation}
    last = msel.max_row + 200  # room for the injects a trainer adds
    roles, methods = validations[f"H2:H{last}"], validations[f"I2:I{last}"]
    assert roles.type == methods.type == "list"
    assert roles.formula1 == f"'{LISTS_SHEET}'!$A$2:$A${len(flood_plan.roles) + 1}"
    assert methods.formula1 == f"'{LISTS_SHEET}'!$E$2:$E${len(CHANNELS) + 1}"
    lists = book[LISTS_SHEET]
    assert [lists.cell(row=r, column=1).value for r in range(2, len(flood_plan.roles) + 2)] == [
        r.id for r in flood_plan.roles
    ]
    assert {lists.cell(row=r, column=5).value for r in range(2, len(CHANNELS) + 2)} == set(CHANNELS)
    assert msel["A2"].value == "I01" and msel["B2"].value == "0:00:00"


# ---------------------------------------------------------------------------- the CLI


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_cli_export_then_import(tmp_path: Path) -> None:
    sheet, scenario = tmp_path / "s.xlsx", tmp_path / "s.yaml"
    code, out, _ = cli("msel", "export", "flood-river-crest", "-o", str(sheet))
    assert code == 0 and "wrote" in out
    assert cli("msel", "export", "flood-river-crest", "-o", str(sheet))[0] == 1  # exists
    assert cli("msel", "export", "flood-river-crest", "-o", str(sheet), "--force")[0] == 0
    code, out, err = cli(
        "msel", "import", str(sheet), "--plan", str(FLOOD_PLAN), "-o", str(scenario)
    )
    assert code == 0 and "it validates" in out and err == ""
    assert cli("msel", "import", str(sheet), "-o", str(scenario))[0] == 1  # exists
    code, _, _ = cli("msel", "import", str(sheet), "-o", str(scenario), "--force")
    assert code == 0  # the plan the sheet names, from the library
    assert cli("validate", "--strict", str(scenario), "--plan", str(FLOOD_PLAN))[0] == 0


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.with_suffix(".xls").write_bytes(b"\xd0\xcf"), "legacy .xls workbooks"),
        (lambda p: p.with_suffix(".xlsx").write_text("not a zip"), "cannot read it as an xlsx"),
        (lambda p: p.with_suffix(".csv").write_bytes(b"\xff\xfe\x00"), "neither UTF-8 nor GB18030"),
        (lambda p: None, "file not found"),
    ],
    ids=["xls", "not-xlsx", "not-text", "missing"],
)
def test_cli_refuses_bad_files_without_a_traceback(
    make: Callable[[Path], object], message: str, tmp_path: Path
) -> None:
    make(tmp_path / "in")
    source = next(iter(tmp_path.glob("in.*")), tmp_path / "in.xlsx")
    code, out, err = cli(
        "msel", "import", str(source), "--plan", str(FLOOD_PLAN), "-o", str(tmp_path / "x.yaml")
    )
    assert code == 1 and message in err and "Traceback" not in err + out
    assert not (tmp_path / "x.yaml").exists()


def test_cli_import_prints_one_line_per_problem(flood_sheet: Path, tmp_path: Path) -> None:
    edited = _edited(
        flood_sheet, tmp_path / "e.xlsx", {"时间 Time@3": "1:3x", "方式 Method@5": "x"}
    )
    code, _, err = cli("msel", "import", str(edited), "-o", str(tmp_path / "x.yaml"))
    assert code == 1
    assert err.splitlines() == [
        f"{edited}:演练脚本 MSEL!B3: 时间 Time: cannot read '1:3x' as a duration; write seconds "
        "or e.g. '90s', '30m', '2h', '3d', or H:MM:SS",
        f"{edited}:演练脚本 MSEL!I5: 方式 Method: unknown method 'x'; use one of "
        + ", ".join(f"{cid} {zh}" for cid, (zh, _, _) in CHANNELS.items()),
    ]


def test_a_control_character_is_refused_not_raised(tmp_path: Path) -> None:
    """YAML's "\\a" escape can put a character in a text that xlsx cannot store."""
    entry = next(e for e in ENTRIES if e.id == "flood-river-crest")
    original = load_bundle(entry.path, FLOOD_PLAN).compiled
    data = original.scenario.model_dump(by_alias=True, exclude_defaults=True)
    data["injects"][0]["text"] = "铃\a"
    odd = compile_scenario(original.plan, Scenario.model_validate(data))
    with pytest.raises(SheetError, match=r"演练脚本 MSEL!J2: '铃.*' holds a control character"):
        export_msel(odd, tmp_path / "odd.xlsx")
    assert not (tmp_path / "odd.xlsx").exists()
    export_msel(odd, tmp_path / "odd.csv")
    assert read_back(tmp_path / "odd.csv", original.plan).scenario.injects[0].text.zh == "铃\a"


def test_cli_export_refuses_an_unknown_format_and_a_bad_scenario(tmp_path: Path) -> None:
    code, _, err = cli("msel", "export", "flood-river-crest", "-o", str(tmp_path / "s.ods"))
    assert code == 1 and "name it .xlsx or .csv" in err
    code, _, err = cli("msel", "export", "no-such-drill", "-o", str(tmp_path / "s.xlsx"))
    assert code == 1 and "no such file or installed scenario" in err


def test_a_missing_output_folder_is_an_answer_not_created(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from drills.cli.main import main

    target = tmp_path / "no" / "such" / "x.xlsx"
    result = CliRunner().invoke(main, ["msel", "export", "flood-river-crest", "-o", str(target)])
    assert result.exit_code == 2 and "no such folder" in result.output
    assert not (tmp_path / "no").exists()
