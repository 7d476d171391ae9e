"""What an evidence pack holds, how it is built from the store and read back.

Members (all UTF-8 text but the Word report):

    manifest.json          format, version, drill id, the drill's standing at export
                           (status as shown, started, rated), each file's sha256 and
                           size, the chain's genesis, counts, journal head and head
    drill.json             the drill row as stored (ids, versions, seed, mode, purpose,
                           bots, speed, status, created, ended, last_t, void fields ...)
    scenario.yaml          the scenario and plan texts the drill was played on
    plan.yaml
    profile.json           the scoring profile the report and the checked score use
    journal/inputs.jsonl   one input per line, then one event per line, each with the
    journal/events.jsonl   ``prev`` and ``hash`` of the chain (see chain.py)
    roster.json            who played each role (people, and bots as ``bot:<policy>``)
    participants.json      who joined a hosted drill
    notes.json             hot-wash notes and self-assessments (``amendment`` marked)
    signatures.json        the sign-offs: name, capacity, comment, at
    improvements.json      the improvement plan's edits and its log
    scores.json            the saved scores of a rated drill, under the packed profile
                           and the default one, with their per-expectation and role rows
                           (a copy for reading: verify rescores them, import never
                           stores them)
    report.html            the after-action report, rendered at export (a copy for
    report.docx            reading; left out, with the reason in the manifest's
                           ``omitted``, if the Word renderer fails)

The chain's last entry covers the record: drill.json, participants.json, notes.json,
signatures.json and improvements.json (see chain.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import TYPE_CHECKING, Any

from drills.review.evidence.archive import PackError, write_archive
from drills.review.evidence.chain import (
    ALGORITHM,
    chained,
    genesis,
    link,
    record_entry,
    record_of,
    record_parts,
)
from drills.store.database import Store
from drills.store.kinds import Standing
from drills.store.packs import DrillRows, read_drill, shown_status, started
from engine.events import Event, canonical_json
from scoring.profile import DEFAULT_PROFILE, ScoringProfile

if TYPE_CHECKING:
    from scoring.report import Report

FORMAT = "drillhall-evidence"
VERSION = 2  # 2: the chain's record entry, the standing in the manifest
log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
JOURNAL = {"inputs": "journal/inputs.jsonl", "events": "journal/events.jsonl"}
TABLE_FILES = {
    "scores.json": ("scores", "results", "role_scores"),
    "participants.json": ("participants",),
    "notes.json": ("notes",),
    "signatures.json": ("signatures",),
    "improvements.json": ("improvement_edits", "improvement_log"),
}
REPORTS = ("report.html", "report.docx")


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(canonical_json(line) + "\n" for line in lines).encode()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def roster_of(drill: dict[str, Any]) -> dict[str, str]:
    """Who played each role: the drill's roster, bots as ``bot:<policy>`` (as the store
    answers ``Store.roster``)."""
    roster: dict[str, str] = json.loads(drill.get("roster") or "{}")
    for role, kind in json.loads(drill.get("bots") or "{}").items():
        roster.setdefault(role, f"bot:{kind}")
    return roster


def scored_profiles(profile: ScoringProfile) -> set[str]:
    """The profiles whose saved scores a pack holds: the packed one and the default
    (what an import saves); scores under others could not be rescored from the pack."""
    return {profile.label, DEFAULT_PROFILE.label}


@dataclass(frozen=True)
class Built:
    data: bytes
    manifest: dict[str, Any]


def build_pack(store: Store, drill_id: str, profile: ScoringProfile, lang: str) -> Built:
    """The evidence pack of one drill, as zip bytes."""
    from drills.review.reports import render, render_docx

    rows = read_drill(store, drill_id)
    standing = Standing(
        shown_status(store, rows.drill),
        started(rows.drill, rows.tables["inputs"]),
        rows.drill.get("void_reason"),
    )
    if not standing.rated:  # a score of a drill that is not rated is nobody's result
        for table in TABLE_FILES["scores.json"]:
            rows.tables[table] = []
    else:
        keep = scored_profiles(profile)
        for table in TABLE_FILES["scores.json"]:
            rows.tables[table] = [r for r in rows.tables[table] if r.get("profile") in keep]
    report = pack_report(rows, profile, standing)
    start = genesis(rows.id)
    inputs = list(chained(start, "input", _records(rows.tables["inputs"])))
    after_inputs = inputs[-1]["hash"] if inputs else start
    events = list(chained(after_inputs, "event", _records(rows.tables["events"])))
    journal_head = events[-1]["hash"] if events else after_inputs
    record = record_entry(rows.drill, rows.tables)
    files: dict[str, bytes] = {
        "drill.json": _dump(rows.drill),
        "scenario.yaml": rows.scenario_text.encode(),
        "plan.yaml": rows.plan_text.encode(),
        "profile.json": _dump(profile.model_dump(mode="json")),
        JOURNAL["inputs"]: _jsonl(inputs),
        JOURNAL["events"]: _jsonl(events),
        "roster.json": _dump(roster_of(rows.drill)),
    }
    for name, tables in TABLE_FILES.items():
        files[name] = _dump({table: rows.tables[table] for table in tables})
    files["report.html"] = render(report, "html", lang).encode()
    omitted: dict[str, str] = {}
    try:
        files["report.docx"] = render_docx(report, lang)
    except Exception as exc:  # the Word renderer's own failure must not cost the evidence
        log.warning("report.docx left out of the pack of drill %s", rows.id, exc_info=True)
        omitted["report.docx"] = f"the Word report could not be rendered: {type(exc).__name__}"
    now = datetime.now(UTC)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "drill": rows.id,
        "exported": now.isoformat(timespec="seconds"),
        "drillhall": drillhall_version(),
        "profile": profile.label,
        "lang": lang,
        "standing": {
            "status": standing.status,
            "started": standing.started,
            "rated": standing.rated,
        },
        "files": {
            name: {"sha256": sha256(data), "bytes": len(data)} for name, data in files.items()
        },
        "omitted": omitted,
        "chain": {
            "algorithm": ALGORITHM,
            "genesis": start,
            "inputs": len(inputs),
            "events": len(events),
            "journal_head": journal_head,
            "record": record_parts(record),
            "head": link(journal_head, "record", record),
        },
    }
    archive = write_archive({MANIFEST: _dump(manifest), **files}, now)
    return Built(archive, manifest)


def drillhall_version() -> str:
    try:
        return metadata.version("drillhall")
    except metadata.PackageNotFoundError:
        return "unknown"


def _records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Journal rows as records: the ``data`` column as the JSON it holds."""
    return [{**row, "data": json.loads(row["data"])} for row in rows]


def pack_report(rows: DrillRows, profile: ScoringProfile, standing: Standing) -> Report:
    """The after-action report of a drill's rows, as ``drillhall report`` builds it from
    the store (export renders it into the pack; verify renders it again to compare)."""
    from engine.bundle import bundle_from_texts
    from scoring.report import DrillInfo, ImprovementEdit, Note, Signature, build_report
    from scoring.score import score_drill

    compiled = bundle_from_texts(
        rows.scenario_text, rows.plan_text, "scenario.yaml", "plan.yaml"
    ).compiled
    events = [
        Event(int(r["seq"]), int(r["t"]), str(r["kind"]), json.loads(r["data"]))
        for r in rows.tables["events"]
    ]
    drill, tables = rows.drill, rows.tables
    info = DrillInfo(
        id=rows.id,
        created=drill["created"],
        mode=drill["mode"],
        seed=int(drill["seed"]),
        speed=float(drill.get("speed") or 0),
        roster=roster_of(drill),
        status=standing.status,
        withheld=standing.withheld,
        void_reason=drill.get("void_reason"),
    )
    return build_report(
        compiled,
        events,
        score_drill(compiled, events, profile),
        profile,
        info,
        notes=[
            Note(r["kind"], r["author"], r["role"], r["text"], r["at"], bool(r.get("amendment")))
            for r in tables["notes"]
        ],
        signatures=[
            Signature(r["name"], r.get("capacity") or "", r["at"], r.get("comment") or "")
            for r in tables["signatures"]
        ],
        edits={r["finding"]: json.loads(r["fields"]) for r in tables["improvement_edits"]},
        log=[
            ImprovementEdit(r["finding"], json.loads(r["fields"]), r["at"], bool(r["amendment"]))
            for r in tables["improvement_log"]
        ],
    )


# -- reading ---------------------------------------------------------------------------


@dataclass
class Pack:
    """A pack's contents, read and checked for shape (not yet for truth). ``profile`` is
    None when profile.json is not a scoring profile (``profile_problem`` says why)."""

    manifest: dict[str, Any]
    drill: dict[str, Any]
    scenario_text: str
    plan_text: str
    profile: ScoringProfile | None
    profile_problem: str | None
    inputs: list[dict[str, Any]]  # journal lines: records with prev and hash
    events: list[dict[str, Any]]
    tables: dict[str, list[dict[str, Any]]]
    roster: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.drill["id"])

    def rows(self) -> DrillRows:
        """The pack as the store's rows (its scores too: ``import_drill`` leaves them)."""
        tables = dict(self.tables)
        for table in JOURNAL:
            lines = self.inputs if table == "inputs" else self.events
            tables[table] = [
                {**record_of(line), "data": canonical_json(line["data"])} for line in lines
            ]
        return DrillRows(dict(self.drill), self.scenario_text, self.plan_text, tables)

    def record(self) -> dict[str, Any]:
        """The chain's record entry, from the packed members."""
        return record_entry(self.drill, self.tables)

    def standing(self) -> Standing:
        """The drill's standing, from the pack itself: void if it has void fields, not
        finished unless its stored status is ended, not started unless its clock moved
        or someone decided something. The manifest only tells ``running`` from
        ``interrupted`` (whether a process still played it at export)."""
        drill = self.drill
        if drill.get("voided") is not None:
            status = "void"
        elif drill.get("status") == "ended":
            status = "ended"
        else:
            shown = (self.manifest.get("standing") or {}).get("status")
            status = shown if shown in ("running", "interrupted") else "running"
        return Standing(status, started(drill, self.inputs), drill.get("void_reason"))


def text(members: dict[str, bytes], name: str) -> str:
    if name not in members:
        raise PackError(f"missing member {name}")
    try:
        return members[name].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackError(
            f"{name} is not UTF-8 text (byte 0x{members[name][exc.start]:02x} at offset "
            f"{exc.start})"
        ) from None


def strict_json(raw: str) -> Any:
    """JSON as the standard has it: Python's reader also takes ``NaN`` and ``Infinity``
    (no database's JSON does, and NaN passes every comparison)."""
    return json.loads(raw, parse_constant=_not_json)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def _json(members: dict[str, bytes], name: str) -> Any:
    try:
        return strict_json(text(members, name))
    except json.JSONDecodeError as exc:
        raise PackError(
            f"{name}: not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None
    except (ValueError, RecursionError) as exc:  # NaN, nested too deep, 5,000 digits
        raise PackError(f"{name}: not JSON ({type(exc).__name__}: {str(exc)[:80]})") from None


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PackError(f"{where}: not a JSON object")
    return value


def read_manifest(members: dict[str, bytes]) -> dict[str, Any]:
    manifest = _object(_json(members, MANIFEST), MANIFEST)
    if manifest.get("format") != FORMAT:
        raise PackError(f"not a Drillhall evidence pack ({MANIFEST} has no format {FORMAT!r})")
    version = manifest.get("version")
    if version == 1:
        raise PackError(
            f"pack format version 1 (its chain does not cover the record); this Drillhall "
            f"reads version {VERSION}: export the drill again"
        )
    if version != VERSION:
        raise PackError(f"pack format version {version!r}; this Drillhall reads version {VERSION}")
    if not isinstance(manifest.get("drill"), str) or not manifest["drill"]:
        raise PackError(f"{MANIFEST}: no drill id")
    files = _object(manifest.get("files"), f"{MANIFEST} files")
    for name, entry in files.items():
        if not isinstance(_object(entry, f"{MANIFEST} files.{name}").get("sha256"), str):
            raise PackError(f"{MANIFEST}: files.{name} has no sha256")
    chain = _object(manifest.get("chain"), f"{MANIFEST} chain")
    for key in ("journal_head", "head"):
        if not isinstance(chain.get(key), str):
            raise PackError(f"{MANIFEST}: chain.{key} is not a hash")
    _object(manifest.get("standing", {}), f"{MANIFEST} standing")
    _object(manifest.get("omitted", {}), f"{MANIFEST} omitted")
    return manifest


SCALAR = (str, int, float, type(None))


def _rows(value: Any, where: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise PackError(f"{where}: not a list of rows")
    for number, row in enumerate(value, 1):
        for column, cell in _object(row, f"{where} row {number}").items():
            if not isinstance(cell, SCALAR) or isinstance(cell, bool):
                raise PackError(f"{where} row {number}: {column} is not a plain value")
    return value


def _journal(members: dict[str, bytes], table: str) -> list[dict[str, Any]]:
    name = JOURNAL[table]
    section = table[:-1]
    lines = []
    last = None
    for number, raw in enumerate(text(members, name).splitlines(), 1):
        where = f"{section} #{number} ({name} line {number})"
        try:
            line = _object(strict_json(raw), where)
        except json.JSONDecodeError as exc:
            raise PackError(f"{where}: not JSON ({exc.msg})") from None
        except (ValueError, RecursionError) as exc:
            raise PackError(f"{where}: not JSON ({type(exc).__name__}: {str(exc)[:80]})") from None
        seq, t = line.get("seq"), line.get("t")
        if not isinstance(seq, int) or not isinstance(t, int) or isinstance(seq, bool):
            raise PackError(f"{where}: no integer seq and t")
        if not isinstance(line.get("data"), dict):
            raise PackError(f"{where}: its data is not a JSON object")
        if table == "events" and not isinstance(line.get("kind"), str):
            raise PackError(f"{where}: no kind")
        if last is not None and seq <= last:
            raise PackError(f"{section} #{number} (seq {seq}): sequence numbers must increase")
        last = seq
        lines.append(line)
    return lines


def read_pack(members: dict[str, bytes], manifest: dict[str, Any]) -> Pack:
    """The pack's members, parsed and checked for shape; ``PackError`` at the first
    member that is missing, not UTF-8, not JSON, or not shaped as a pack has it."""
    drill = _object(_json(members, "drill.json"), "drill.json")
    for column, kind in (("id", str), ("seed", int), ("mode", str), ("status", str)):
        if not isinstance(drill.get(column), kind):
            raise PackError(f"drill.json: no {column}")
    _rows([drill], "drill.json")
    profile_data = _object(_json(members, "profile.json"), "profile.json")
    from pydantic import ValidationError

    profile: ScoringProfile | None = None
    problem = None
    try:
        profile = ScoringProfile.model_validate(profile_data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "profile"
        problem = f"profile.json: {where}: {first['msg']}"
    tables: dict[str, list[dict[str, Any]]] = {}
    for name, names in TABLE_FILES.items():
        content = _object(_json(members, name), name)
        unknown = sorted(set(content) - set(names))
        if unknown:
            raise PackError(f"{name}: unknown tables {', '.join(unknown)}")
        for table in names:
            tables[table] = _rows(content.get(table, []), f"{name} {table}")
    roster = _object(_json(members, "roster.json"), "roster.json")
    omitted = manifest.get("omitted") or {}
    for name in REPORTS:
        if name not in members and name not in omitted:
            raise PackError(f"missing member {name}")
    text(members, "report.html")
    return Pack(
        manifest=manifest,
        drill=drill,
        scenario_text=text(members, "scenario.yaml"),
        plan_text=text(members, "plan.yaml"),
        profile=profile,
        profile_problem=problem,
        inputs=_journal(members, "inputs"),
        events=_journal(members, "events"),
        tables=tables,
        roster=roster,
    )
