"""Spreadsheets in and out: the controller's script (演练脚本 / MSEL) as xlsx or csv.

Trainers keep drill scripts in spreadsheets. ``export_msel`` writes a scenario as one:
the sheet "演练脚本 MSEL" has a row per inject with bilingual headers, the sheet
"情景 Scenario" the scenario-level fields, and "选项 Lists" the plan's roles, methods and
rules that the drop-downs offer. ``import_msel`` reads such a sheet (or a CSV with the
same tables) back into a scenario that validates, or refuses with one
``FILE:Sheet!C12: what is wrong`` line per problem. Nothing is lost on the way: every
field of the scenario model has a column or a row (docs/scenario-authoring.md, §7).

Cells that hold structure (expected actions, effects, prohibited items, hints, conditions)
use the scenario file's own YAML flow syntax, parsed with the engine's loader, so they
follow exactly the rules a YAML author knows and never run code.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula
from openpyxl.worksheet.worksheet import Worksheet

from drills.library.catalog import find_plan, library_dir
from engine.compiled import CompiledScenario
from engine.crosscheck import check_plan, check_scenario
from engine.fields import Bilingual, format_duration, parse_duration
from engine.loader import Diagnostic, Document, LoadError, parse_yaml, read_document, validate_model
from engine.plan import IMMEDIATE, Plan
from engine.scenario import Channel, Effect, Expectation, Inject, Scenario

Format = Literal["xlsx", "csv"]

MSEL_SHEET = "演练脚本 MSEL"
SCENARIO_SHEET = "情景 Scenario"
LISTS_SHEET = "选项 Lists"
NONE_MARK = "—"  # a line of the Deadline or Clause column with nothing to say
# Rows below the last inject that still get the drop-downs, for injects a trainer adds.
SPARE_ROWS = 200


# ---------------------------------------------------------------------------- problems


@dataclass(frozen=True)
class CellRef:
    """A cell as a spreadsheet shows it: ``演练脚本 MSEL!C12``."""

    sheet: str
    row: int
    col: int

    def __str__(self) -> str:
        return f"{self.sheet}!{get_column_letter(self.col)}{self.row}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a sheet, printed as ``FILE:Sheet!C12: message``."""

    file: str
    where: CellRef | None
    message: str
    warning: bool = False

    def __str__(self) -> str:
        place = f"{self.file}:{self.where}" if self.where else self.file
        return f"{place}: {'warning: ' if self.warning else ''}{self.message}"


class SheetError(Exception):
    """The sheet cannot become a valid scenario; ``problems`` say where and why."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class _CellError(ValueError):
    """A value in one cell cannot be read; the caller adds the cell's position."""


def sheet_format(path: Path, *, writing: bool = False) -> Format:
    """The format a file name asks for; anything else is refused with what to do."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx" or (suffix == ".xlsm" and not writing):
        return "xlsx"
    if suffix == ".csv":
        return "csv"
    if suffix == ".xls" and not writing:
        message = (
            "legacy .xls workbooks are not read: save it as .xlsx (Excel: File > Save As > "
            "Excel Workbook) or as CSV UTF-8, then import that"
        )
    else:
        message = f"cannot tell the format from {suffix or 'no suffix'!r}: name it .xlsx or .csv"
    raise SheetError([Problem(str(path), None, message)])


# ---------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class Column:
    """A column of the MSEL sheet; a bilingual text has a second, English column."""

    key: str
    zh: str
    en: str
    width: int
    english: bool = False

    @property
    def header(self) -> str:
        if self.english:
            return f"{self.zh}（英文） {self.en} (English)"
        return f"{self.zh} {self.en}"

    @property
    def slot(self) -> str:
        """Where the column's value goes when a row is read: ``text`` or ``text:en``."""
        return f"{self.key}:en" if self.english else self.key


def _pair(key: str, zh: str, en: str, width: int) -> list[Column]:
    return [Column(key, zh, en, width), Column(key, zh, en, width, english=True)]


MSEL_COLUMNS: list[Column] = [
    Column("id", "序号", "No.", 8),
    Column("time", "时间", "Time", 10),
    Column("phase", "阶段", "Phase", 14),
    *_pair("title", "标题", "Title", 22),
    *_pair("from", "发送方", "From", 18),
    Column("to", "接收角色", "To", 22),
    Column("channel", "方式", "Method", 10),
    *_pair("text", "情景内容", "Message", 50),
    Column("expects", "预期行动", "Expected action", 44),
    Column("deadline", "时限", "Deadline", 10),
    Column("clause", "条款", "Clause", 30),
    *_pair("background", "导调备注", "Controller notes", 40),
    Column("trigger", "触发", "Trigger", 28),
    Column("effects", "效果", "Effects", 24),
    Column("prohibited", "禁止行动", "Prohibited", 40),
    Column("hints", "提示", "Hints", 40),
    Column("precedence", "先后顺序", "Precedence", 20),
    Column("provenance", "出处", "Provenance", 30),
]

# Header words each column answers to (Chinese, English; matched whole, case-insensitive).
_MSEL_ALIASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "id": (("序号", "编号", "事件编号", "注入编号"), ("no", "id", "number", "inject", "inject id")),
    "time": (("时间", "时刻", "演练时间", "发生时间"), ("time", "at", "scenario time", "clock")),
    "phase": (("阶段", "环节", "演练阶段"), ("phase", "stage")),
    "title": (("标题", "事件名称", "名称", "事件"), ("title", "name", "event", "subject")),
    "from": (("发送方", "发送单位", "发送人", "发出方", "信息来源"), ("from", "sender", "source")),
    "to": (
        ("接收角色", "接收方", "接收人", "接收对象", "接收单位", "角色"),
        ("to", "recipients", "recipient", "roles", "role", "players"),
    ),
    "channel": (
        ("方式", "传递方式", "发送方式", "渠道", "途径"),
        ("method", "channel", "medium", "via"),
    ),
    "text": (
        ("情景内容", "内容", "事件内容", "信息内容", "情景", "情景描述", "注入内容"),
        ("message", "text", "content", "inject text", "description"),
    ),
    "expects": (
        ("预期行动", "预期响应", "期望行动", "预期处置", "预期结果"),
        ("expected action", "expected actions", "expects", "expected response", "expectations"),
    ),
    "deadline": (("时限", "完成时限", "处置时限"), ("deadline", "deadlines", "time limit", "due")),
    "clause": (("条款", "预案条款", "依据", "预案依据"), ("clause", "clauses", "plan clause")),
    "background": (
        ("导调备注", "导调说明", "备注", "导调提示", "说明"),
        ("controller notes", "notes", "background", "controller", "remarks"),
    ),
    "trigger": (("触发", "触发条件", "触发方式"), ("trigger", "triggers", "condition", "fires")),
    "effects": (("效果", "状态变化", "影响"), ("effects", "effect", "state changes")),
    "prohibited": (("禁止行动", "禁止", "禁止事项"), ("prohibited", "prohibitions", "forbidden")),
    "hints": (("提示",), ("hints", "hint")),
    "precedence": (("先后顺序", "顺序", "先后"), ("precedence", "order")),
    "provenance": (("出处", "来源依据"), ("provenance", "sources")),
}
_BILINGUAL_KEYS = {"title", "from", "text", "background"}
# Columns that are written for reading and never read back (docs: §7).
_DERIVED_KEYS = {"phase", "clause"}

SCENARIO_HEADER = ["字段 Field", "值 Value", "英文 English"]
_SCENARIO_HEADER_ALIASES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "field": (("字段", "项目", "属性"), ("field", "key", "item")),
    "value": (("值", "内容", "取值"), ("value", "values")),
}

# Scenario-level fields: label on export, aliases, and whether one row holds one item of a
# list (objectives, state, tracked, prohibited, precedence) or the whole value.
_FIELDS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "id": ("标识 id", ("标识", "编号", "想定编号"), ("id",)),
    "version": ("版本 version", ("版本",), ("version",)),
    "plan": ("预案 plan", ("预案",), ("plan",)),
    "family": ("类别 family", ("类别", "类型", "种类"), ("family", "type", "kind")),
    "title": ("标题 title", ("标题", "名称", "想定名称"), ("title", "name")),
    "summary": ("概述 summary", ("概述", "简介", "摘要"), ("summary",)),
    "background": ("导调说明 background", ("导调说明", "背景", "导调备注"), ("background",)),
    "start": ("开始时间 start", ("开始时间", "开始", "起始时间"), ("start", "start time")),
    "duration": ("时长 duration", ("时长", "持续时间", "演练时长"), ("duration", "length")),
    "compression": ("时间压缩 compression", ("时间压缩", "压缩比", "倍速"), ("compression",)),
    "objectives": ("目标 objective", ("目标", "演练目标"), ("objective", "objectives")),
    "state": ("初始状态 state", ("初始状态", "状态"), ("state", "initial state")),
    "tracked": ("显示 tracked", ("显示", "跟踪显示", "状态显示"), ("tracked", "track")),
    "prohibited": ("禁止行动 prohibited", ("禁止行动", "禁止"), ("prohibited",)),
    "precedence": ("先后顺序 precedence", ("先后顺序", "顺序"), ("precedence", "order")),
}
_LIST_FIELDS = ("objectives", "state", "tracked", "prohibited", "precedence")
_TEXT_FIELDS = ("title", "summary", "background")

# The methods (channels) with the words a trainer may write for them.
CHANNELS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "phone": ("电话", "Phone", ("电话通知", "telephone", "call")),
    "sms": ("短信", "SMS", ("text message",)),
    "email": ("邮件", "Email", ("电子邮件", "e-mail", "mail")),
    "radio": ("电台", "Radio", ("对讲", "对讲机", "无线电")),
    "system": ("系统", "System", ("平台", "监测系统")),
    "media": ("媒体", "Media", ("新闻", "news", "press")),
    "social": ("社交媒体", "Social media", ("网络", "微博", "微信", "social")),
    "meeting": ("会议", "Meeting", ("会商",)),
    "walk_in": ("来访", "Walk-in", ("现场", "上门", "walk in", "in person")),
    "document": ("文件", "Document", ("公文", "书面", "letter")),
    "hotline": ("热线", "Hotline", ()),
    "fax": ("传真", "Fax", ()),
}
assert set(CHANNELS) == set(get_args(Channel)), "every engine channel has its words"

_OUTCOMES = ("met", "late", "partly", "missed", "done")
_IMMEDIATE_WORDS = {"immediate", "immediately", "立即", "第一时间", "迅速", "立刻"}
_NONE_WORDS = {"", "—", "-", "–", "无", "none", "n/a"}
_ID = r"[A-Za-z][A-Za-z0-9_.\-]*"
_SPLIT_ROLES = re.compile(r"[,，、;；/\n]+")


# ---------------------------------------------------------------------------- small texts


def flow_text(value: Any) -> str:
    """One line of YAML flow (``{id: X1, reason: {zh: …, en: …}}``), Chinese kept readable.

    The emitter quotes whatever a reader would take for another type (``"1:30"``,
    ``"true"``, ``"2026-06-30"``), so reading the text back gives the same value."""
    text = yaml.safe_dump(
        value, default_flow_style=True, allow_unicode=True, width=math.inf, sort_keys=False
    )
    if text.endswith("\n...\n"):  # a lone scalar ends its document explicitly
        text = text[: -len("\n...\n")]
    return text.strip()


def clock(seconds: int) -> str:
    """Scenario seconds as H:MM:SS, the way an MSEL shows times (hours may pass 24)."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _compact(value: Any) -> Any:
    """Dumped models as an author writes them: a text equal in both languages is one
    string (the engine reads a string as both), and lists and mappings recurse."""
    if isinstance(value, dict):
        if set(value) == {"zh", "en"} and value["zh"] == value["en"]:
            return value["zh"]
        return {k: _compact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compact(v) for v in value]
    return value


_DURATION_KEYS = ("after", "deadline", "grace", "hard_limit", "delay", "jitter")


def _readable_durations(data: dict[str, Any]) -> dict[str, Any]:
    """Durations in a flow as ``10m`` rather than ``600``: that is how authors write them."""
    return {
        k: format_duration(v)
        if k in _DURATION_KEYS and isinstance(v, int) and not isinstance(v, bool) and v
        else v
        for k, v in data.items()
    }


def _dump(model: Any) -> dict[str, Any]:
    dumped: dict[str, Any] = _compact(model.model_dump(by_alias=True, exclude_defaults=True))
    return _readable_durations(dumped)


def _lines(items: Iterable[str]) -> str:
    return "\n".join(items)


# ---------------------------------------------------------------------------- export


def _phase(inject: Inject) -> str:
    """A reading aid: where the inject sits in the story (never read back)."""
    if inject.at is not None:
        return "主线 Main line"
    if inject.after is not None and inject.after.inject is not None:
        return "续接 Follow-on"
    if inject.after is not None:
        return "缓解 Relief" if inject.after.outcome in ("met", "done") else "升级 Escalation"
    return "条件 Conditional"


def trigger_text(inject: Inject) -> str:
    """The Trigger column: empty for a timed inject (the Time column says when)."""
    text = ""
    if inject.at is not None:
        text = f"at {clock(inject.at)}" if inject.jitter else ""
    elif inject.after is not None:
        anchor = inject.after.inject or f"{inject.after.expectation} {inject.after.outcome}"
        delay = f" +{format_duration(inject.after.delay)}" if inject.after.delay else ""
        text = f"after {anchor}{delay}"
    elif inject.when is not None:
        condition = flow_text(
            _compact(inject.when.model_dump(by_alias=True, exclude_defaults=True))
        )
        delay = f" +{format_duration(inject.delay)}" if inject.delay else ""
        text = f"when {condition}{delay}"
    if inject.jitter:
        text += f" ~{format_duration(inject.jitter)}"
    return text


def _deadline_of(plan: Plan, exp: Expectation) -> int | str | None:
    """The deadline that applies: the scenario's override, else the plan rule's."""
    if exp.deadline is not None:
        return exp.deadline
    rule = plan.rule(exp.rule) if exp.rule else None
    return rule.deadline if rule is not None else None


def deadline_text(deadline: int | str | None) -> str:
    if deadline is None:
        return NONE_MARK
    if deadline == IMMEDIATE:
        return "立即 immediate"
    assert isinstance(deadline, int)
    return format_duration(deadline)


def expectation_line(plan: Plan, exp: Expectation) -> str:
    """``E-id = R-rule {overrides}  # who: what`` — one expected action per line.

    The deadline has its own column; the comment after ``#`` is filled in from the plan
    for the reader and ignored on import (it is a YAML comment)."""
    overrides = {k: v for k, v in _dump(exp).items() if k not in ("id", "rule", "deadline")}
    rest = f" {flow_text(overrides)}" if overrides else ""
    if exp.rule is not None:
        head = f"{exp.id} = {exp.rule}" if exp.id else exp.rule
        line = head + rest
    else:
        line = f"{exp.id} = {flow_text(overrides)}"
    rule = plan.rule(exp.rule) if exp.rule else None
    title = exp.title or (rule.title if rule else None)
    role = exp.role or (rule.role if rule else None)
    if title is not None:
        words = title.zh if title.zh == title.en else f"{title.zh} / {title.en}"
        line += f"  # {role}: {' '.join(words.split())}"  # one line, whatever the title
    return line


def _clause_line(plan: Plan, exp: Expectation) -> str:
    rule = plan.rule(exp.rule) if exp.rule else None
    clause = exp.clause or (rule.clause if rule else None)
    scored = exp.scored if exp.scored is not None else (rule.scored if rule else True)
    text = f"{clause.ref} · {clause.source}" if clause else NONE_MARK
    return text if scored else f"{text}（不计分 not scored）"


def _effect_line(effect: Effect) -> str:
    """``key = value`` for set, ``key += n`` / ``key -= n`` for add."""
    value = effect.value
    if effect.set is not None or isinstance(value, (bool, str)):
        return f"{effect.key} = {flow_text(value)}"
    sign = "-=" if value < 0 else "+="
    return f"{effect.key} {sign} {flow_text(abs(value))}"


def _english(text: Bilingual | None) -> str:
    """The English column: empty when the text is one string for both languages."""
    if text is None or text.en == text.zh:
        return ""
    return str(text.en)


def inject_row(plan: Plan, inject: Inject) -> dict[str, str]:
    """The cells of one inject, by column slot."""
    return {
        "id": inject.id,
        "time": clock(inject.at) if inject.at is not None else "",
        "phase": _phase(inject),
        "title": inject.title.zh if inject.title else "",
        "title:en": _english(inject.title),
        "from": inject.source.zh,
        "from:en": _english(inject.source),
        "to": ", ".join(inject.to),
        "channel": inject.channel,
        "text": inject.text.zh,
        "text:en": _english(inject.text),
        "expects": _lines(expectation_line(plan, e) for e in inject.expects),
        "deadline": _lines(deadline_text(_deadline_of(plan, e)) for e in inject.expects),
        "clause": _lines(_clause_line(plan, e) for e in inject.expects),
        "background": inject.background.zh if inject.background else "",
        "background:en": _english(inject.background),
        "trigger": trigger_text(inject),
        "effects": _lines(_effect_line(e) for e in inject.effects),
        "prohibited": _lines(flow_text(_dump(p)) for p in inject.prohibited),
        "hints": _lines(flow_text(_dump(h)) for h in inject.hints),
        "precedence": _lines(flow_text(list(p)) for p in inject.precedence),
        "provenance": _provenance_text(inject.provenance),
    }


def _provenance_text(items: list[str]) -> str:
    """One source per line; a flow list when a line could not hold them apart."""
    if any("\n" in item or item.lstrip().startswith("[") or not item.strip() for item in items):
        return flow_text(items)
    return _lines(items)


def msel_table(compiled: CompiledScenario) -> list[list[str]]:
    """The MSEL sheet: the header row, then one row per inject in scenario order."""
    plan = compiled.plan
    rows = [[c.header for c in MSEL_COLUMNS]]
    for inject in compiled.scenario.injects:
        cells = inject_row(plan, inject)
        rows.append([cells[c.slot] for c in MSEL_COLUMNS])
    return rows


def scenario_table(scenario: Scenario) -> list[list[str]]:
    """The Scenario sheet: one field per row; a list field has a row per item."""
    rows = [list(SCENARIO_HEADER)]

    def add(key: str, value: str, english: str = "") -> None:
        rows.append([_FIELDS[key][0], value, english])

    add("id", scenario.id)
    add("version", scenario.version)
    add("plan", scenario.plan)
    add("family", scenario.family)
    for key in _TEXT_FIELDS:
        text = getattr(scenario, key)
        if text is not None:
            add(key, text.zh, _english(text))
    if scenario.start is not None:
        add("start", scenario.start)
    add("duration", clock(scenario.duration))
    compression = scenario.compression
    add("compression", flow_text(int(compression) if compression.is_integer() else compression))
    for objective in scenario.objectives:
        add("objectives", flow_text(_dump(objective)))
    for key, value in scenario.state.items():
        add("state", f"{key} = {flow_text(value)}")
    for tracked in scenario.tracked:
        add("tracked", flow_text(_dump(tracked)))
    for item in scenario.prohibited:
        add("prohibited", flow_text(_dump(item)))
    for pair in scenario.precedence:
        add("precedence", flow_text(list(pair)))
    return rows


def lists_table(plan: Plan) -> list[list[str]]:
    """The Lists sheet: what the drop-downs offer, with names, and the plan's rules."""
    roles = [[r.id, r.name.zh, r.name.en] for r in plan.roles]
    channels = [[cid, zh, en] for cid, (zh, en, _) in CHANNELS.items()]
    rules = [
        [r.id, r.title.zh, r.title.en, r.role, r.action, deadline_text(r.deadline)]
        for r in plan.rules
    ]
    header = [
        "角色 Role",
        "中文",
        "English",
        "",
        "方式 Method",
        "中文",
        "English",
        "",
        "规则 Rule",
        "中文",
        "English",
        "角色 Role",
        "行动 Action",
        "时限 Deadline",
    ]
    rows = [header]
    for i in range(max(len(roles), len(channels), len(rules))):
        row = [*_at(roles, i, 3), "", *_at(channels, i, 3), "", *_at(rules, i, 6)]
        rows.append(row)
    return rows


def _at(items: list[list[str]], i: int, width: int) -> list[str]:
    return items[i] if i < len(items) else [""] * width


# ---------------------------------------------------------------------------- writing


def write_atomically(path: Path, data: bytes) -> None:
    """Write next to the target and rename: a crash never leaves half a file behind. The
    file gets the mode a plain write would give it (mkstemp's is owner-only)."""
    if path.exists():
        mode = path.stat().st_mode & 0o7777
    else:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _put(ws: Worksheet, row: int, col: int, value: str) -> Cell | MergedCell:
    """A text cell that stays text: a leading ``=`` is never taken for a formula."""
    cell = ws.cell(row=row, column=col)
    try:
        cell.value = value
    except IllegalCharacterError:
        raise _CellError(
            f"{ws.title}!{cell.coordinate}: {value[:40]!r} holds a control character that a "
            "spreadsheet cannot store; remove it from the scenario (or export to .csv)"
        ) from None
    if value.startswith("="):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _fill(ws: Worksheet, rows: list[list[str]], widths: Sequence[int]) -> None:
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if value == "" and r > 1:
                continue
            cell = _put(ws, r, c, value)
            if r == 1:
                cell.font = _HEADER_FONT
                cell.fill = _HEADER_FILL
            cell.alignment = _WRAP
    for c, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = "B2"


def _drop_down(
    ws: Worksheet, col: int, last_row: int, source: str, count: int, prompt: str
) -> None:
    """A list validation that offers the Lists sheet's ids but lets a trainer type more
    (several roles, a Chinese method name): a warning, not a refusal."""
    letter = get_column_letter(col)
    validation = DataValidation(
        type="list",
        formula1=f"'{LISTS_SHEET}'!${source}$2:${source}${count + 1}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        errorTitle="不在列表中 Not in the list",
        error=prompt,
        showInputMessage=True,
        promptTitle=MSEL_COLUMNS[col - 1].header,
        prompt=prompt,
    )
    validation.add(f"{letter}2:{letter}{last_row}")
    ws.add_data_validation(validation)


def _column_index(slot: str) -> int:
    return next(i for i, c in enumerate(MSEL_COLUMNS, start=1) if c.slot == slot)


def workbook_bytes(compiled: CompiledScenario) -> bytes:
    """The three sheets as an xlsx file."""
    book = Workbook()
    msel = book.active
    assert isinstance(msel, Worksheet)
    msel.title = MSEL_SHEET
    rows = msel_table(compiled)
    _fill(msel, rows, [c.width for c in MSEL_COLUMNS])
    last = len(rows) + SPARE_ROWS
    for slot in ("id", "time", "deadline"):  # typed times stay text, not Excel times
        msel.column_dimensions[get_column_letter(_column_index(slot))].number_format = "@"
    plan = compiled.plan
    _drop_down(
        msel,
        _column_index("to"),
        last,
        "A",
        len(plan.roles),
        "角色编号，多个用逗号分隔 Role ids; several: separate with commas",
    )
    _drop_down(
        msel,
        _column_index("channel"),
        last,
        "E",
        len(CHANNELS),
        "选择方式（也可写中文名） Pick a method (or write its Chinese name)",
    )
    scenario = book.create_sheet(SCENARIO_SHEET)
    _fill(scenario, scenario_table(compiled.scenario), [22, 60, 60])
    lists = book.create_sheet(LISTS_SHEET)
    _fill(lists, lists_table(plan), [18, 16, 22, 2, 14, 10, 14, 2, 24, 30, 30, 16, 18, 12])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(compiled: CompiledScenario) -> bytes:
    """The MSEL table, a blank row, then the Scenario table, in one UTF-8 CSV (with the
    byte-order mark Excel needs to read Chinese)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(msel_table(compiled))
    writer.writerow([])
    writer.writerows(scenario_table(compiled.scenario))
    return buffer.getvalue().encode("utf-8-sig")


def export_msel(compiled: CompiledScenario, target: Path) -> None:
    """Write the scenario's controller script to ``target`` (.xlsx or .csv), atomically."""
    kind = sheet_format(target, writing=True)
    try:
        data = workbook_bytes(compiled) if kind == "xlsx" else csv_bytes(compiled)
    except _CellError as exc:
        raise SheetError([Problem(str(target), None, str(exc))]) from None
    write_atomically(target, data)


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class _Unreadable:
    """A cell whose value cannot be used (a formula never calculated, ``#N/A``)."""

    message: str


@dataclass
class Grid:
    """One sheet's non-empty cells, row by row (1-based), merged ranges filled in."""

    name: str
    cells: dict[int, dict[int, Any]] = field(default_factory=dict)
    # Cells merged across several columns: a banner or a heading row, not an inject.
    wide: set[tuple[int, int]] = field(default_factory=set)

    def put(self, r: int, c: int, value: Any) -> None:
        self.cells.setdefault(r, {})[c] = value

    def get(self, r: int, c: int) -> Any:
        return self.cells.get(r, {}).get(c)

    def rows(self) -> list[int]:
        return sorted(self.cells)

    def row(self, r: int) -> dict[int, Any]:
        return self.cells.get(r, {})


def _xlsx_value(formula_cell: Cell | MergedCell, value_cell: Cell | MergedCell) -> Any:
    """The value a person sees: a formula's saved result, never the formula itself."""
    raw = formula_cell.value
    if formula_cell.data_type == "f" or isinstance(raw, (ArrayFormula, DataTableFormula)):
        if value_cell.value is None:
            text = raw.text if isinstance(raw, ArrayFormula) else raw
            return _Unreadable(
                f"the formula {text} has no saved value (the file was never recalculated): "
                "open and save it in a spreadsheet program, or type the value"
            )
        return value_cell.value
    if formula_cell.data_type == "e":
        return _Unreadable(f"the cell shows the error {raw}; type the value")
    return raw


def read_xlsx(path: Path) -> list[Grid]:
    """Every worksheet; formulas read by their saved results (a second, values-only load)."""
    try:
        formulas = load_workbook(path, data_only=False)
        values = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not xlsx
        raise SheetError(
            [Problem(str(path), None, f"cannot read it as an xlsx workbook ({exc})")]
        ) from None
    grids = []
    for ws in formulas.worksheets:
        shown = values[ws.title]
        grid = Grid(ws.title)
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell) or cell.value is None:
                    continue
                value = _xlsx_value(cell, shown.cell(row=cell.row, column=cell.column))
                if not (isinstance(value, str) and not value.strip()):
                    grid.put(cell.row, cell.column, value)
        for merged in ws.merged_cells.ranges:
            _spread(grid, merged.min_row, merged.max_row, merged.min_col, merged.max_col)
        grids.append(grid)
    return grids


def _spread(grid: Grid, top: int, bottom: int, left: int, right: int) -> None:
    """A value merged down several rows belongs to each of them (one sender for three
    injects); merged across columns it stays in its first cell (a banner, a heading)."""
    value = grid.get(top, left)
    if value is None:
        return
    for r in range(top, bottom + 1):
        grid.put(r, left, value)
        if right > left:
            grid.wide.add((r, left))


def _decode(path: Path, raw: bytes) -> str:
    """UTF-8 (with or without the byte-order mark), else GB18030: what Excel on a
    Chinese Windows saves as "CSV"."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SheetError([Problem(str(path), None, "the CSV is neither UTF-8 nor GB18030 text")])


def read_csv(path: Path) -> list[Grid]:
    """A CSV as two grids: the MSEL section and the Scenario section, in either order (row
    numbers are the file's record numbers: what a spreadsheet shows when it opens it)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SheetError([Problem(str(path), None, f"cannot read: {exc.strerror}")]) from None
    text = _decode(path, raw)
    first = text.split("\n", 1)[0]
    delimiter = next((d for d in (",", ";", "\t") if d in first), ",")
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise SheetError([Problem(str(path), None, f"cannot read the CSV: {exc}")]) from None
    everything = range(1, len(records) + 1)
    start = next((r for r in everything if _is_scenario_header(records[r - 1])), None)
    if start is None:
        return [_records_grid(MSEL_SHEET, records, everything)]
    before = _records_grid(MSEL_SHEET, records, range(1, start))
    if _header_row(before) is not None:  # the MSEL table first (what export writes)
        return [before, _records_grid(SCENARIO_SHEET, records, range(start, len(records) + 1))]
    after = _records_grid(MSEL_SHEET, records, range(start + 1, len(records) + 1))
    header = _header_row(after, scan=len(records)) or len(records) + 1
    return [
        _records_grid(MSEL_SHEET, records, range(header, len(records) + 1)),
        _records_grid(SCENARIO_SHEET, records, range(start, header)),
    ]


def _records_grid(name: str, records: list[list[str]], rows: range) -> Grid:
    grid = Grid(name)
    for r in rows:
        for c, value in enumerate(records[r - 1], start=1):
            if value.strip():
                grid.put(r, c, value)
    return grid


def _is_scenario_header(record: Sequence[Any]) -> bool:
    """字段 Field | 值 Value [| 英文 English]: two or three cells, nothing else."""
    filled = [str(v) for v in record if str(v).strip()]
    if not 2 <= len(filled) <= 3:
        return False
    keys = [_header_key(v, _SCENARIO_HEADER_ALIASES)[0] for v in filled]
    return "field" in keys and "value" in keys


# ---------------------------------------------------------------------------- headers


def _words(text: str) -> tuple[str, str, bool]:
    """A header as (its Chinese words, its English words, whether it names the English
    half of a text), e.g. "情景内容（英文） Message (English)" -> 情景内容, message, True."""
    lowered = text.lower().replace("（", "(").replace("）", ")")
    chinese = re.findall(r"[\u3400-\u9fff]+", lowered)
    english_marks = {"英文", "英"}
    is_english = any(w in english_marks for w in chinese)
    chinese = [w for w in chinese if w not in english_marks | {"中文", "中"}]
    latin = re.sub(r"[\u3400-\u9fff]+", " ", lowered)
    tokens = re.sub(r"[^a-z0-9#]+", " ", latin).split()
    is_english = is_english or any(t in ("english", "en") for t in tokens)
    tokens = [t for t in tokens if t not in ("english", "en", "chinese", "zh", "cn")]
    return "".join(chinese), " ".join(tokens), is_english


def _header_key(
    text: str, aliases: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]
) -> tuple[str | None, bool, str | None]:
    """(column key, English half?, a conflict to report) for a header cell."""
    chinese, latin, is_english = _words(text)
    if latin == "#":
        return "id" if "id" in aliases else None, is_english, None
    by_zh = next((k for k, (zh, _) in aliases.items() if chinese and chinese in zh), None)
    by_en = next((k for k, (_, en) in aliases.items() if latin and latin in en), None)
    if by_zh and by_en and by_zh != by_en:
        return None, is_english, f"the header {text!r} names two columns ({by_zh}, {by_en})"
    return by_zh or by_en, is_english, None


def _header_row(grid: Grid, scan: int = 20) -> int | None:
    """The row that holds the MSEL headers: the one of the first rows (a title banner may
    sit above) that names the most known columns, at least three."""
    best, best_count = None, 2
    for r in grid.rows()[:scan]:
        count = sum(
            _header_key(str(v), _MSEL_ALIASES)[0] is not None
            for v in grid.row(r).values()
            if isinstance(v, str)
        )
        if count > best_count:
            best, best_count = r, count
    return best


# ---------------------------------------------------------------------------- cell values


@dataclass
class _Anchor:
    """Where a part of the scenario came from: a cell, the line in it, the column name."""

    ref: CellRef
    label: str
    line: int | None = None

    def describe(self) -> str:
        return f"{self.label}" + (f", line {self.line}" if self.line else "")


def _text(value: Any) -> str:
    """A cell as text (numbers as a person typed them: 1, not 1.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    return str(value).strip()


_CLOCK = re.compile(r"^(\d+):([0-5]?\d)(?::([0-5]?\d))?$")


def seconds_of(value: Any) -> int:
    """A time or duration cell: H:MM:SS (or H:MM), the engine's ``1h30m``, or a time
    the spreadsheet stored as one. Bare numbers other than 0 are refused: 30 could be
    seconds, minutes or a day fraction."""
    if isinstance(value, bool):
        raise _CellError("write a time such as 0:30:00 or 30m, not true/false")
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    if isinstance(value, time):
        return value.hour * 3600 + value.minute * 60 + value.second
    if isinstance(value, (datetime, date)):
        raise _CellError(f"{value} is a date; write a scenario time such as 1:30:00 or 1h30m")
    if isinstance(value, (int, float)):
        if value == 0:
            return 0
        raise _CellError(
            f"{_text(value)} is a bare number (seconds? minutes?); write 0:30:00 or 30m"
        )
    text = _text(value).replace("：", ":")
    match = _CLOCK.match(text)
    if match:
        hours, minutes, secs = (int(g or 0) for g in match.groups())
        return hours * 3600 + minutes * 60 + secs
    if text.isdigit() and int(text) != 0:
        raise _CellError(f"{text} is a bare number (seconds? minutes?); write 0:30:00 or 30m")
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise _CellError(f"{exc}, or H:MM:SS") from None


def _duration_value(seconds: int) -> int | str:
    """How the written file holds a duration: 0, or ``1h30m``."""
    return format_duration(seconds) if seconds else 0


def _flow(text: str, what: str) -> Any:
    """Read YAML flow text with the engine's loader (no code, no silent ``12:30``)."""
    try:
        return parse_yaml(text, "cell").data
    except LoadError as exc:
        detail = "; ".join(d.message for d in exc.diagnostics)
        raise _CellError(f"cannot read {what} ({detail})") from None


def _flow_mapping(text: str, what: str) -> dict[str, Any]:
    data = _flow(text, what)
    if not isinstance(data, dict):
        raise _CellError(f"{what} must be a {{key: value, …}} mapping; got {text!r}")
    return data


def _cell_lines(value: Any, *, notes: bool = True) -> list[tuple[int, str]]:
    """The lines of a cell, with their 1-based line numbers; blank lines and (with
    ``notes``) lines that start with ``#`` are left out: they are for people."""
    return [
        (n, line.strip())
        for n, line in enumerate(_text(value).splitlines(), start=1)
        if line.strip() and not (notes and line.lstrip().startswith("#"))
    ]


def _bilingual(zh: Any, en: Any) -> str | dict[str, str] | None:
    """Two cells as a text: both languages, or one string the engine uses for both."""
    first, second = _text(zh), _text(en)
    if first and second and first != second:
        return {"zh": first, "en": second}
    return first or second or None


def _roles(value: Any, plan: Plan) -> list[str]:
    """Role ids from ids or names, separated by commas (、，; or new lines)."""
    roles = []
    for piece in _SPLIT_ROLES.split(_text(value)):
        piece = piece.strip()
        if piece:
            roles.append(_role(piece, plan))
    return roles


def _role(piece: str, plan: Plan) -> str:
    """A role by its id (``commander``, ``commander 指挥长``) or by its name, whole or a
    part only one role's name has (值班员 for 市防汛办值班员); an ambiguous part is refused."""
    ids = {r.id for r in plan.roles}
    head = piece.split()[0]
    if head in ids:
        return head
    folded = piece.lower()
    whole = [r.id for r in plan.roles if folded in (r.name.zh, r.name.en.lower())]
    if whole:
        return whole[0]
    parts = sorted({r.id for r in plan.roles if folded in r.name.zh or folded in r.name.en.lower()})
    if len(parts) == 1 and len(piece) >= 2:
        return parts[0]
    if len(parts) > 1:
        raise _CellError(f"{piece!r} could be any of {', '.join(parts)}: write the role id")
    known = ", ".join(sorted(ids))
    raise _CellError(f"unknown role {piece!r} (roles of plan {plan.id}: {known})")


def _channel(value: Any) -> str:
    """A method by its id, its Chinese or English name, or both (``电话 phone``)."""
    words: dict[str, str] = {}
    for cid, (zh, en, more) in CHANNELS.items():
        for word in (cid, zh, en.lower(), *more):
            words[word.lower()] = cid
    text = _text(value).lower().replace("-", "_")
    candidates = [text, text.replace("_", " "), *text.split()]
    found = {words[w] for w in candidates if w in words}
    if len(found) == 1:
        return found.pop()
    options = ", ".join(f"{cid} {zh}" for cid, (zh, _, _) in CHANNELS.items())
    raise _CellError(f"unknown method {_text(value)!r}; use one of {options}")


# ---------------------------------------------------------------------------- triggers


def _suffix(text: str, sign: str) -> tuple[str, int | None]:
    """Split ``… +10m`` (delay) or ``… ~5m`` (jitter) off the end of a trigger."""
    match = re.match(rf"^(.*?)\s*{re.escape(sign)}\s*([0-9][0-9A-Za-z:]*)\s*$", text, re.S)
    if not match:
        return text, None
    return match.group(1), seconds_of(match.group(2))


def _inject_ref(token: str) -> str:
    """An inject named in a trigger: its id, or the number of a numbered row (3 -> I03)."""
    return f"I{int(token):02d}" if token.isdigit() else token


def parse_trigger(text: str) -> dict[str, Any]:
    """``at 1:30:00`` | ``after I03 +10m`` | ``after E-x missed +5m`` |
    ``when {missed: E-x} +10m``, each with an optional ``~5m`` of jitter."""
    rest, jitter = _suffix(text.strip(), "~")
    word, _, rest = rest.strip().partition(" ")
    word, rest = word.lower(), rest.strip()
    result: dict[str, Any] = {}
    if word == "at":
        result["at"] = _duration_value(seconds_of(rest))
    elif word == "after":
        rest, delay = _suffix(rest, "+")
        tokens = rest.split()
        if len(tokens) == 1:
            after: dict[str, Any] = {"inject": _inject_ref(tokens[0])}
        elif len(tokens) == 2 and tokens[1].lower() in _OUTCOMES:
            after = {"expectation": tokens[0], "outcome": tokens[1].lower()}
        else:
            raise _CellError(
                f"cannot read {text!r}: write 'after I03 +10m' or 'after E-x missed' "
                f"(outcome: {', '.join(_OUTCOMES)})"
            )
        if delay:
            after["delay"] = format_duration(delay)
        result["after"] = after
    elif word == "when":
        rest, delay = _suffix(rest, "+")
        if not rest:
            raise _CellError("'when' needs a condition, e.g. when {missed: E-x}")
        result["when"] = _flow(rest, "the condition")
        if delay:
            result["delay"] = format_duration(delay)
    else:
        raise _CellError(
            f"cannot read the trigger {text!r}: start it with at, after or when "
            "(at 1:30:00 · after I03 +10m · after E-x missed · when {missed: E-x})"
        )
    if jitter:
        result["jitter"] = format_duration(jitter)
    return result


# ---------------------------------------------------------------------------- expectations


_EXPECTATION = re.compile(rf"^(?:(?P<id>{_ID})\s*=\s*)?(?P<rule>{_ID})?\s*(?P<rest>.*)$", re.S)


def parse_expectation(line: str) -> dict[str, Any]:
    """``RULE`` · ``ID = RULE`` · ``ID = RULE {overrides}`` · ``ID = {inline fields}`` ·
    ``{rule: …, id: …}``; text after ``#`` is a comment."""
    match = _EXPECTATION.match(line)
    assert match is not None  # every part is optional
    exp_id, rule, rest = match.group("id"), match.group("rule"), match.group("rest")
    extra = _flow(rest, "the expected action") if rest.strip() else None
    if extra is not None and not isinstance(extra, dict):
        raise _CellError(
            f"cannot read {line!r}: write RULE, ID = RULE, ID = RULE {{overrides}} or "
            "ID = {title: …, role: …, action: …}"
        )
    data: dict[str, Any] = {}
    if rule:
        data["rule"] = rule
    if exp_id:
        data["id"] = exp_id
    for key, value in (extra or {}).items():
        if key in data and data[key] != value:
            raise _CellError(f"{key} is written twice ({data[key]!r} and {value!r})")
        data[key] = value
    if not data:
        raise _CellError(f"cannot read {line!r} as an expected action")
    return data


def _deadline_cell(text: str) -> int | str | None:
    words = {w.lower() for w in text.split()}
    if text.strip().lower() in _NONE_WORDS:
        return None
    if words & _IMMEDIATE_WORDS:
        return IMMEDIATE
    return seconds_of(text)


def _same_deadline(written: Any, column: int | str) -> bool:
    if written == IMMEDIATE or column == IMMEDIATE:
        return bool(written == column)
    try:
        return parse_duration(written) == column
    except ValueError:
        return False


# ---------------------------------------------------------------------------- the sheet


@dataclass
class _Reader:
    """Turns grids into the scenario's data, remembering which cell each part came from."""

    file: str
    plan: Plan | None = None  # known once the Scenario sheet has named it
    problems: list[Problem] = field(default_factory=list)
    anchors: dict[str, _Anchor] = field(default_factory=dict)

    @property
    def the_plan(self) -> Plan:
        assert self.plan is not None, "injects are read after the plan is known"
        return self.plan

    def anchor(self, path: Sequence[str | int], anchor: _Anchor) -> None:
        self.anchors[".".join(str(p) for p in path)] = anchor

    def problem(self, anchor: _Anchor | CellRef | None, message: str) -> None:
        if isinstance(anchor, _Anchor):
            self.problems.append(Problem(self.file, anchor.ref, f"{anchor.describe()}: {message}"))
        else:
            self.problems.append(Problem(self.file, anchor, message))

    def read(self, anchor: _Anchor, parse: Callable[..., Any], *args: Any) -> Any:
        """Parse one cell (or line); a problem is recorded at it, and None returned."""
        try:
            return parse(*args)
        except _CellError as exc:
            self.problem(anchor, str(exc))
            return None


@dataclass
class _Row:
    """One inject row: its values by slot, and the cell of every known column, empty ones
    too, so that a value the scenario misses is reported where it should be written."""

    values: dict[str, Any]
    refs: dict[str, CellRef]
    labels: dict[str, str]

    def has(self, slot: str) -> bool:
        return _text(self.values.get(slot)) != ""

    def at(self, slot: str, line: int | None = None) -> _Anchor:
        return _Anchor(self.refs[slot], self.labels[slot], line)


def _columns(reader: _Reader, grid: Grid, header: int) -> tuple[dict[int, str], dict[str, str]]:
    """Column index -> slot for the known headers; unknown ones are reported as warnings."""
    slots: dict[int, str] = {}
    labels: dict[str, str] = {}
    seen: dict[str, CellRef] = {}
    for col, value in sorted(grid.row(header).items()):
        ref = CellRef(grid.name, header, col)
        key, english, conflict = _header_key(_text(value), _MSEL_ALIASES)
        if conflict:
            reader.problem(ref, conflict)
            continue
        if key is None or (english and key not in _BILINGUAL_KEYS):
            reader.problems.append(
                Problem(reader.file, ref, f"column {_text(value)!r} is not read", warning=True)
            )
            continue
        slot = f"{key}:en" if english else key
        if slot in seen:
            reader.problem(ref, f"a second {_text(value)!r} column (the first is {seen[slot]})")
            continue
        seen[slot] = ref
        slots[col] = slot
        labels[slot] = _text(value)
    return slots, labels


def _rows(grid: Grid, header: int, slots: dict[int, str], labels: dict[str, str]) -> list[_Row]:
    """Data rows below the header; blank rows and heading rows (only 阶段 Phase, or only
    derived columns, filled) are skipped."""
    rows = []
    titles = grid.row(header)
    for r in grid.rows():
        if r <= header:
            continue
        cells = grid.row(r)
        if all((r, c) in grid.wide for c in cells) or all(
            titles.get(c) == v for c, v in cells.items()
        ):
            continue  # a heading merged across the row, or a header repeated below itself
        values = {slots[c]: v for c, v in cells.items() if c in slots}
        if not any(k.split(":")[0] not in _DERIVED_KEYS for k in values):
            continue
        refs = {slot: CellRef(grid.name, r, c) for c, slot in slots.items()}
        rows.append(_Row(values, refs, labels))
    return rows


_REQUIRED = ("id", "to", "text", "from")


def _read_injects(reader: _Reader, grid: Grid) -> list[dict[str, Any]]:
    header = _header_row(grid)
    if header is None:
        reader.problem(
            CellRef(grid.name, 1, 1),
            "no header row found: the first rows need column headers such as 序号 No., "
            "时间 Time, 接收角色 To, 情景内容 Message",
        )
        return []
    slots, labels = _columns(reader, grid, header)
    missing = [k for k in _REQUIRED if k not in labels]
    if "time" not in labels and "trigger" not in labels:
        missing.append("time")
    if missing:
        names = {c.key: c.header for c in MSEL_COLUMNS if not c.english}
        wanted = ", ".join(names[k] for k in missing)
        reader.problem(CellRef(grid.name, header, 1), f"missing column(s): {wanted}")
        return []
    rows = _rows(grid, header, slots, labels)
    if not rows:
        reader.problem(CellRef(grid.name, header, 1), "the sheet has no injects below its header")
    return [_inject(reader, row, i) for i, row in enumerate(rows)]


def _cell(reader: _Reader, row: _Row, slot: str) -> Any:
    """A cell's value, reporting one that cannot be used (a formula without a result)."""
    value = row.values.get(slot)
    if isinstance(value, _Unreadable):
        reader.problem(row.at(slot), value.message)
        return None
    return value


def _inject(reader: _Reader, row: _Row, i: int) -> dict[str, Any]:
    """One row as an inject, with every part anchored at the cell it came from."""
    base: list[str | int] = ["injects", i]
    reader.anchor(base, row.at("id"))
    reader.anchor([*base, "id"], row.at("id"))
    data: dict[str, Any] = {}
    inject_id = _cell(reader, row, "id")
    if _text(inject_id).isdigit():  # a numbered row (序号 7) is inject I07
        inject_id = _inject_ref(_text(inject_id))
    if _text(inject_id):
        data["id"] = _text(inject_id)
    data.update(_trigger(reader, row, base))
    for key in ("title", "from"):
        _text_pair(reader, row, base, key, data)
    reader.anchor([*base, "to"], row.at("to"))
    if row.has("to"):
        roles = reader.read(row.at("to"), _roles, _cell(reader, row, "to"), reader.the_plan)
        if roles is not None:
            data["to"] = roles
    if row.has("channel"):
        reader.anchor([*base, "channel"], row.at("channel"))
        channel = reader.read(row.at("channel"), _channel, _cell(reader, row, "channel"))
        if channel is not None:
            data["channel"] = channel
    for key in ("text", "background"):
        _text_pair(reader, row, base, key, data)
    for key, parse in (
        ("effects", _effect),
        ("prohibited", lambda line: _flow_mapping(line, "a prohibited item")),
        ("hints", lambda line: _flow_mapping(line, "a hint")),
        ("precedence", _pair_line),
    ):
        items = _line_items(reader, row, [*base, key], key, parse)
        if items:
            data[key] = items
    expects = _expectations(reader, row, base)
    if expects:
        data["expects"] = expects
    provenance = _provenance(reader, row, base)
    if provenance:
        data["provenance"] = provenance
    return data


def _text_pair(
    reader: _Reader, row: _Row, base: list[str | int], key: str, data: dict[str, Any]
) -> None:
    slot = key if key in row.refs else f"{key}:en"
    if slot in row.refs:
        reader.anchor([*base, key], row.at(slot))
    text = _bilingual(_cell(reader, row, key), _cell(reader, row, f"{key}:en"))
    if text is not None:
        data[key] = text


def _trigger(reader: _Reader, row: _Row, base: list[str | int]) -> dict[str, Any]:
    """The Trigger column decides; a Time alone means ``at``. Both at once must agree."""
    has_time, has_trigger = row.has("time"), row.has("trigger")
    for key in ("at", "after", "when", "delay", "jitter"):
        slot = "trigger" if has_trigger or "time" not in row.refs else "time"
        reader.anchor([*base, key], row.at(slot))
    if not has_time and not has_trigger:
        slot = "time" if "time" in row.refs else "trigger"
        reader.problem(row.at(slot), "no time and no trigger: give 时间 Time or 触发 Trigger")
        return {}
    time_value: int | None = None
    if has_time:
        time_value = reader.read(row.at("time"), lambda: seconds_of(_cell(reader, row, "time")))
        if time_value is None:
            return {}
    if not has_trigger:
        return {"at": _duration_value(time_value or 0)}
    text = _text(_cell(reader, row, "trigger"))
    trigger: dict[str, Any] | None = reader.read(row.at("trigger"), lambda: parse_trigger(text))
    if trigger is None:
        return {}
    if has_time and "at" not in trigger:
        reader.problem(
            row.at("time"),
            f"the inject fires by its trigger ({text}); clear the time, or write the "
            "trigger as 'at …'",
        )
        return {}
    if has_time and "at" in trigger and parse_duration(trigger["at"]) != time_value:
        reader.problem(
            row.at("trigger"), f"the time {clock(time_value or 0)} and the trigger {text!r} differ"
        )
        return {}
    return trigger


def _effect(line: str) -> dict[str, Any]:
    """``key = value`` sets, ``key += n`` / ``key -= n`` adds; or the file's own flow."""
    if line.startswith("{"):
        return _flow_mapping(line, "an effect")
    match = re.match(rf"^({_ID}?)\s*(\+=|-=|=)\s*(.+)$", line)
    if not match:
        raise _CellError(f"cannot read {line!r}: write key = value, key += 1 or key -= 1")
    key, op, text = match.groups()
    value = _flow(text, "the value")
    if isinstance(value, (dict, list)) or value is None:
        raise _CellError(f"the value of {key} must be a number, text or true/false")
    if op == "=":
        return {"set": key, "value": value}
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _CellError(f"{key} {op} needs a number, not {text!r}")
    return {"add": key, "value": -value if op == "-=" else value}


def _pair_line(line: str) -> list[Any]:
    text = line if line.startswith("[") else f"[{line}]"
    pair = _flow(text, "the pair")
    if not isinstance(pair, list):
        raise _CellError(f"cannot read {line!r}: write [FIRST, SECOND]")
    return pair


def _line_items(
    reader: _Reader,
    row: _Row,
    path: list[str | int],
    slot: str,
    parse: Callable[[str], Any],
) -> list[Any]:
    if slot not in row.refs:
        return []
    reader.anchor(path, row.at(slot))
    items: list[Any] = []
    for n, line in _cell_lines(_cell(reader, row, slot)):
        reader.anchor([*path, len(items)], row.at(slot, n))
        item = reader.read(row.at(slot, n), parse, line)
        if item is not None:
            items.append(item)
    return items


def _provenance(reader: _Reader, row: _Row, base: list[str | int]) -> list[str]:
    if "provenance" not in row.refs or not row.has("provenance"):
        return []
    reader.anchor([*base, "provenance"], row.at("provenance"))
    text = _text(_cell(reader, row, "provenance"))
    if text.startswith("["):
        items = reader.read(row.at("provenance"), lambda: _flow(text, "the sources"))
        return [str(item) for item in items] if isinstance(items, list) else []
    return [line for _, line in _cell_lines(text, notes=False)]


def _expectations(reader: _Reader, row: _Row, base: list[str | int]) -> list[dict[str, Any]]:
    """Expected actions, one per line, with the Deadline column's line beside each."""
    path = [*base, "expects"]
    items = _line_items(reader, row, path, "expects", parse_expectation)
    if "deadline" not in row.refs or not row.has("deadline"):
        return items
    deadlines = _cell_lines(_cell(reader, row, "deadline"))
    if len(deadlines) > len(items):
        reader.problem(
            row.at("deadline"),
            f"{len(deadlines)} deadlines for {len(items)} expected action(s): one line each, "
            f"{NONE_MARK} for none",
        )
        return items
    for j, (n, text) in enumerate(deadlines):
        anchor = row.at("deadline", n)
        column = reader.read(anchor, _deadline_cell, text)
        if column is None:
            continue
        data = items[j]
        if "deadline" in data:
            if not _same_deadline(data["deadline"], column):
                reader.problem(
                    anchor,
                    f"the deadline is written twice: {data['deadline']!r} in "
                    f"预期行动 and {text!r} here",
                )
            continue
        rule = reader.the_plan.rule(data["rule"]) if isinstance(data.get("rule"), str) else None
        inherited = rule.deadline if rule is not None else None
        if column != inherited:
            data["deadline"] = column if column == IMMEDIATE else format_duration(int(column))
            reader.anchor([*path, j, "deadline"], anchor)
    return items


# ---------------------------------------------------------------------------- scenario sheet


def _read_scenario_fields(reader: _Reader, grid: Grid | None) -> dict[str, Any]:
    """The Scenario sheet's rows as scenario-level fields (list fields: a row per item)."""
    if grid is None or not grid.cells:
        return {}
    header = next(
        (r for r in grid.rows()[:20] if _is_scenario_header(list(grid.row(r).values()))), None
    )
    if header is None:
        reader.problem(
            CellRef(grid.name, 1, 1), f"no header row ({', '.join(SCENARIO_HEADER)}) found"
        )
        return {}
    columns: dict[str, int] = {}
    for col, value in grid.row(header).items():
        key, english, _ = _header_key(_text(value), _SCENARIO_HEADER_ALIASES)
        if english and key in (None, "value"):
            columns.setdefault("english", col)
        elif key is not None:
            columns.setdefault(key, col)
    data: dict[str, Any] = {}
    first: dict[str, CellRef] = {}
    for r in grid.rows():
        if r <= header:
            continue
        _scenario_row(reader, grid, r, columns, data, first)
    return data


_FIELD_ALIASES = {key: (zh, en) for key, (_, zh, en) in _FIELDS.items()}


def _scenario_row(
    reader: _Reader,
    grid: Grid,
    r: int,
    columns: dict[str, int],
    data: dict[str, Any],
    first: dict[str, CellRef],
) -> None:
    cells = grid.row(r)
    label_ref = CellRef(grid.name, r, columns["field"])
    label = _text(cells.get(columns["field"]))
    value_ref = CellRef(grid.name, r, columns["value"])
    value = cells.get(columns["value"])
    english = cells.get(columns["english"]) if "english" in columns else None
    if not label:
        if _text(value) or _text(english):
            reader.problem(label_ref, "a value with no field name")
        return
    key, _, _ = _header_key(label, _FIELD_ALIASES)
    if key is None:
        known = ", ".join(v[0] for v in _FIELDS.values())
        reader.problem(label_ref, f"unknown field {label!r} (fields: {known})")
        return
    anchor = _Anchor(value_ref, _FIELDS[key][0])
    if isinstance(value, _Unreadable):
        reader.problem(anchor, value.message)
        return
    if key in _LIST_FIELDS:
        _list_field(reader, key, value, anchor, data)
        return
    if key in first:
        reader.problem(label_ref, f"{label} is given twice (first at {first[key]})")
        return
    first[key] = label_ref
    reader.anchor([key], anchor)
    parsed = reader.read(anchor, lambda: _scalar_field(key, value, english))
    if parsed is not None:
        data[key] = parsed


def _scalar_field(key: str, value: Any, english: Any) -> Any:
    if key in _TEXT_FIELDS:
        return _bilingual(value, english)
    if key == "duration":
        return _duration_value(seconds_of(value))
    if key == "compression":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return _flow(_text(value), "the compression")
    if key == "start" and isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes" if not value.second else "seconds")
    return _text(value) or None


def _list_field(
    reader: _Reader, key: str, value: Any, anchor: _Anchor, data: dict[str, Any]
) -> None:
    text = _text(value)
    if not text:
        return
    if key == "state":
        effect = reader.read(anchor, lambda: _effect(text))
        if effect is None:
            return
        if "set" not in effect:
            reader.problem(anchor, "an initial state is written key = value")
            return
        state: dict[str, Any] = data.setdefault("state", {})
        if effect["set"] in state:
            reader.problem(anchor, f"the state {effect['set']!r} is given twice")
            return
        state[effect["set"]] = effect["value"]
        reader.anchor(["state", effect["set"]], anchor)
        return
    items: list[Any] = data.setdefault(key, [])
    reader.anchor([key, len(items)], anchor)
    if key == "precedence":
        item = reader.read(anchor, lambda: _pair_line(text))
    else:
        item = reader.read(anchor, _flow_mapping, text, "the row's value")
    if item is not None:
        items.append(item)


# ---------------------------------------------------------------------------- import


@dataclass
class Imported:
    """A scenario read from a sheet: its YAML text, its model and any warnings."""

    text: str
    scenario: Scenario
    warnings: list[Problem]


_SCENARIO_ORDER = (
    "id", "version", "plan", "family", "title", "summary", "background", "start", "duration",
    "compression", "objectives", "state", "tracked", "prohibited", "precedence", "injects",
)  # fmt: skip
_INJECT_ORDER = (
    "id", "at", "after", "when", "delay", "jitter", "title", "from", "to", "channel", "text",
    "background", "effects", "expects", "prohibited", "precedence", "hints", "provenance",
)  # fmt: skip


def _ordered(data: dict[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """The written file's key order: the models' field order, whatever the sheet's."""
    known = {k: data[k] for k in order if k in data}
    return {**known, **{k: v for k, v in data.items() if k not in known}}


def _pick_grids(grids: list[Grid]) -> tuple[Grid | None, Grid | None]:
    """The MSEL sheet (by name, else the first other sheet) and the Scenario sheet."""

    def named(*words: str) -> Grid | None:
        return next((g for g in grids if any(w in g.name.lower() for w in words)), None)

    scenario = named("情景", "scenario")
    lists = named("选项", "lists")
    msel = named("演练脚本", "msel", "脚本", "inject")
    if msel is None:
        msel = next((g for g in grids if g is not scenario and g is not lists), None)
    return msel, scenario


def read_grids(source: Path) -> list[Grid]:
    kind = sheet_format(source)
    if not source.is_file():
        raise SheetError([Problem(str(source), None, "file not found")])
    return read_xlsx(source) if kind == "xlsx" else read_csv(source)


def import_msel(
    source: Path, plan_for: Callable[[str | None], Plan], *, default_id: str | None = None
) -> Imported:
    """Read a sheet into a scenario that validates against its plan, or raise SheetError.

    ``plan_for`` gets the plan id the sheet names (None if it names none) and returns the
    plan to check against; ``default_id`` is the scenario id when the sheet gives none."""
    file = str(source)
    msel, scenario_grid = _pick_grids(read_grids(source))
    if msel is None:
        raise SheetError([Problem(file, None, f"no {MSEL_SHEET} sheet")])
    reader = _Reader(file)
    fields = _read_scenario_fields(reader, scenario_grid)
    plan = plan_for(fields.get("plan") if isinstance(fields.get("plan"), str) else None)
    reader.plan = plan
    injects = _read_injects(reader, msel)
    data = _defaults(reader, fields, plan, default_id, scenario_grid)
    data["injects"] = [_ordered(i, _INJECT_ORDER) for i in injects]
    data = _ordered(data, _SCENARIO_ORDER)
    if any(not p.warning for p in reader.problems):
        raise SheetError(_sorted(reader.problems))
    scenario, warnings = _validate(reader, data, plan)
    return Imported(scenario_yaml(data, source.name, plan.id), scenario, warnings)


def _defaults(
    reader: _Reader,
    fields: dict[str, Any],
    plan: Plan,
    default_id: str | None,
    grid: Grid | None,
) -> dict[str, Any]:
    """Scenario fields a sheet without a Scenario sheet can go without (not duration)."""
    data = dict(fields)
    if data.get("plan") not in (None, plan.id):
        anchor = reader.anchors.get("plan")
        reader.problem(
            anchor, f"the sheet plays plan {data['plan']!r}, but it is checked with {plan.id!r}"
        )
    data.setdefault("plan", plan.id)
    if "id" not in data and default_id:
        data["id"] = default_id
    data.setdefault("version", "1")
    data.setdefault("family", "other")
    if "title" not in data and isinstance(data.get("id"), str):
        data["title"] = data["id"]
    if "duration" not in data and "duration" not in reader.anchors:  # else: unreadable
        where = CellRef(grid.name, 1, 1) if grid is not None and grid.cells else None
        reader.problem(
            where,
            f"the scenario's duration is missing: add a row 时长 duration | 8:30:00 to the "
            f"{SCENARIO_SHEET} sheet (or the CSV's Scenario section)",
        )
    return data


def _sorted(problems: list[Problem]) -> list[Problem]:
    def key(p: Problem) -> tuple[int, str, int, int]:
        if p.where is None:
            return (0, "", 0, 0)
        return (1, p.where.sheet, p.where.row, p.where.col)

    return sorted(problems, key=key)


def _validate(reader: _Reader, data: dict[str, Any], plan: Plan) -> tuple[Scenario, list[Problem]]:
    """The engine's own checks (schema, then cross-checks against the plan), each problem
    reported at the cell its part of the scenario came from."""
    doc = Document(reader.file, "", data, None)
    try:
        scenario = validate_model(doc, Scenario)
    except LoadError as exc:
        raise SheetError(_sorted([*reader.problems, *_located(reader, exc.diagnostics)])) from None
    diagnostics = _located(reader, check_scenario(plan, scenario, doc))
    if any(not p.warning for p in diagnostics):
        raise SheetError(_sorted([*reader.problems, *diagnostics]))
    return scenario, _sorted([*reader.problems, *diagnostics])


def _located(reader: _Reader, diagnostics: Iterable[Diagnostic]) -> list[Problem]:
    """Each engine diagnostic at the cell of the longest part of its field path that a
    cell produced (``injects.3.expects.1.deadline`` -> that line of the Deadline cell)."""
    problems = []
    for d in diagnostics:
        warning = d.severity == "warning"
        prefix = d.field
        while prefix and prefix not in reader.anchors:
            prefix = prefix.rpartition(".")[0]
        if not prefix:
            where = f"{d.field}: " if d.field else ""
            problems.append(Problem(reader.file, None, where + d.message, warning))
            continue
        anchor = reader.anchors[prefix]
        rest = d.field[len(prefix) + 1 :]
        inner = f"{rest}: " if rest else ""
        message = f"{anchor.describe()}: {inner}{d.message}"
        problems.append(Problem(reader.file, anchor.ref, message, warning))
    return problems


# ---------------------------------------------------------------------------- YAML out


class _Dumper(yaml.SafeDumper):
    """Block style with indented lists, and short leaf mappings and lists in flow style:
    the way the shipped scenarios are written."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _is_leaf(value: Any) -> bool:
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) or _is_leaf_list(v) for v in value.values())
    return _is_leaf_list(value)


def _is_leaf_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)


def _width(value: Any) -> int:
    """About how wide a leaf is in flow style (emitting it to measure costs too much)."""
    if isinstance(value, dict):
        return sum(len(str(k)) + _width(v) + 4 for k, v in value.items())
    if isinstance(value, list):
        return sum(_width(v) + 2 for v in value) + 2
    return len(str(value))


def _represent_dict(dumper: yaml.SafeDumper, data: dict[str, Any]) -> yaml.Node:
    flow = _is_leaf(data) and _width(data) <= 90
    return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=flow)


def _represent_list(dumper: yaml.SafeDumper, data: list[Any]) -> yaml.Node:
    flow = _is_leaf_list(data) and _width(data) <= 90
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(list, _represent_list)


def scenario_yaml(data: dict[str, Any], source_name: str, plan_id: str) -> str:
    """The scenario file: safe YAML, UTF-8 with Chinese as is, keys in a stable order, a
    blank line between injects."""
    body = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)
    head, sep, tail = body.partition("\ninjects:\n")
    if sep:
        body = head + sep + tail.replace("\n  - id: ", "\n\n  - id: ")
    return (
        f"# Imported from {source_name} by `drillhall msel import` (plan {plan_id}).\n"
        "# Edit the sheet and import it again, or edit this file; check with drillhall validate.\n"
        + body
    )


# ---------------------------------------------------------------------------- plans


def load_checked_plan(path: Path) -> Plan:
    """A plan file, schema-valid and cross-checked (LoadError lists every problem)."""
    doc = read_document(path)
    plan = validate_model(doc, Plan)
    errors = [d for d in check_plan(plan, doc) if d.severity == "error"]
    if errors:
        raise LoadError(errors)
    return plan


def plan_finder(ref: str | None, near: Path, source: Path) -> Callable[[str | None], Plan]:
    """How an import finds its plan: ``--plan`` (a file or an installed id), else the id
    the sheet names, looked for next to the file being written, then in the library."""

    def find(named: str | None) -> Plan:
        if ref is not None:
            path = Path(ref)
            if not path.exists() and path.suffix not in (".yaml", ".yml"):
                path = library_dir() / "plans" / f"{ref}.yaml"
            return load_checked_plan(path)
        if named is None:
            message = f"the sheet names no plan (row 预案 plan of {SCENARIO_SHEET}): pass --plan"
            raise SheetError([Problem(str(source), None, message)])
        return load_checked_plan(find_plan(near, named))

    return find
