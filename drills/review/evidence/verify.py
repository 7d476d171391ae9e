"""Verify an evidence pack: its files, its hash chain, its journal replayed, its score
rescored, its record checked and its report copy compared.

Checks, in order, each one line:

    files     every member's sha256 is the manifest's, no member missing or added
    contents  every member reads (UTF-8, JSON, the shape of a pack) and agrees with the
              drill row (its id, the sha256 of its scenario and plan texts, the roster)
              and with the standing the manifest records
    chain     the hash chain over inputs then events holds and ends at the manifest's
              journal head; the record entry after it (drill row, participants, notes,
              signatures, improvement plan) leads to the manifest's head
    replay    the inputs, played through this engine, regenerate the packed events byte
              for byte (canonical JSON)
    score     a drill that is not rated (not finished, not started, void) says so and
              has no packed score; a rated one is rescored under the packed profile (and
              the default, if that is another) and every packed score, per-expectation
              and role row must be what the rescore gives, their person and purpose what
              the roster and the drill row say; a row under any other profile, or a
              packed profile that is not what its label names, fails
    records   the record keeps the rules its commands apply: signers' capacities,
              signature times (after the end, before the voiding), note roles (roles of
              the plan), amendment marks (recomputed from the times)
    reports   report.html is regenerated from the pack and compared (by the Drillhall
              version that made it); report.docx is a copy for reading, not checked

A failure names its first position (``event #37 (seq 37): hash does not match``).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.port.labels import label
from drills.review.evidence.archive import PackError, read_archive
from drills.review.evidence.chain import check_chain
from drills.review.evidence.pack import (
    MANIFEST,
    REPORTS,
    Pack,
    drillhall_version,
    pack_report,
    read_manifest,
    read_pack,
    roster_of,
    scored_profiles,
    sha256,
    strict_json,
)
from drills.store.database import is_person
from drills.store.kinds import Standing
from drills.store.packs import DRILL_ID, SCORE_TABLES, DrillRows, record_problems
from engine.events import Event, canonical_json, input_from_dict
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.score import DrillScore, score_drill

RECORD_CHECKS = "capacities, times, roles, amendment marks"


@dataclass(frozen=True)
class Check:
    """One line of the verification. ``status`` replaces ``ok``/``FAILED`` on a line that
    neither passes nor fails something (``not rated``, ``not checked``)."""

    name: str
    ok: bool
    detail: str
    status: str = ""

    def line(self) -> str:
        if self.status:
            gap = " " if self.detail.startswith("(") else ": "
            return f"{self.name:<9}{self.status}{gap}{self.detail}"
        return f"{self.name:<9}{'ok' if self.ok else 'FAILED'}: {self.detail}"


@dataclass
class Verification:
    path: Path
    checks: list[Check] = field(default_factory=list)
    pack: Pack | None = None

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def verify_pack(path: Path) -> Verification:
    """Run every check on the pack at ``path``. ``PackError`` (one line) when it cannot
    be read as a pack at all; ``OSError`` when the file cannot be read."""
    members = read_archive(path)
    manifest = read_manifest(members)
    result = Verification(path)
    result.checks.append(_files(manifest, members))
    try:
        pack = read_pack(members, manifest)
    except PackError as exc:
        result.checks.append(Check("contents", False, str(exc)))
        return result
    result.pack = pack
    result.checks.append(_contents(pack))
    chain = pack.manifest["chain"]
    broken = check_chain(pack.id, pack.inputs, pack.events, pack.record(), chain)
    result.checks.append(
        Check("chain", False, broken)
        if broken
        else Check(
            "chain",
            True,
            f"{len(pack.inputs)} inputs and {len(pack.events)} events (journal head "
            f"{chain['journal_head']}), then the record entry: head {chain['head']} as in "
            "the manifest",
        )
    )
    replay_check, regenerated, compiled = _replay(pack)
    result.checks.append(replay_check)
    if regenerated is not None and compiled is not None:
        result.checks.append(_score(pack, compiled, regenerated))
    result.checks.append(_records(pack))
    result.checks.append(_reports(pack, members))
    return result


def _files(manifest: dict[str, Any], members: dict[str, bytes]) -> Check:
    listed = manifest["files"]
    problems = []
    for name, entry in listed.items():
        if name not in members:
            problems.append(f"{name}: missing")
        elif sha256(members[name]) != entry["sha256"]:
            problems.append(f"{name}: sha256 does not match the manifest")
    problems += [f"{n}: not in the manifest" for n in members if n not in listed and n != MANIFEST]
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        return Check("files", False, problems[0] + more)
    return Check("files", True, f"{len(listed)} files match the manifest's sha256")


def _contents(pack: Pack) -> Check:
    drill = pack.drill
    if not DRILL_ID.fullmatch(pack.id):
        return Check("contents", False, f"drill id {pack.id!r} is not one Drillhall makes")
    if pack.id != pack.manifest["drill"]:
        return Check(
            "contents",
            False,
            f"drill.json is drill {pack.id}, the manifest's {pack.manifest['drill']}",
        )
    for name, column, text in (
        ("scenario.yaml", "scenario_sha", pack.scenario_text),
        ("plan.yaml", "plan_sha", pack.plan_text),
    ):
        if drill.get(column) != hashlib.sha256(text.encode("utf-8")).hexdigest():
            return Check("contents", False, f"{name} is not the text drill.json's {column} names")
    try:
        roster = roster_of(drill)
    except (ValueError, TypeError, AttributeError):
        return Check("contents", False, "drill.json: its roster or bots is not a JSON object")
    if roster != pack.roster:
        return Check("contents", False, "roster.json does not match drill.json's roster and bots")
    if pack.profile is None:
        return Check("contents", False, f"{pack.profile_problem} (not a scoring profile)")
    standing = pack.standing()
    recorded = pack.manifest.get("standing") or {}
    mine = {"status": standing.status, "started": standing.started, "rated": standing.rated}
    if {key: recorded.get(key) for key in mine} != mine:
        return Check(
            "contents",
            False,
            f"the manifest's standing ({_standing_words(recorded)}) is not the drill's "
            f"({_standing_words(mine)}, from drill.json and the inputs)",
        )
    left_out = "".join(
        f"; {name} left out: {reason}" for name, reason in pack.manifest.get("omitted", {}).items()
    )
    return Check(
        "contents",
        True,
        f"drill {pack.id}: {drill.get('scenario_id')} (seed {drill['seed']}, {drill['mode']}, "
        f"{standing.status}, purpose {drill.get('purpose')}){left_out}",
    )


def _standing_words(standing: dict[str, Any]) -> str:
    started = "started" if standing.get("started") else "not started"
    rated = "rated" if standing.get("rated") else "not rated"
    return f"{standing.get('status')}, {started}, {rated}"


def not_rated(standing: Standing, drill: dict[str, Any]) -> str:
    """Why a drill is not rated, as ``drillhall score`` says it (in English)."""
    why = standing.withheld or "not_finished"
    if why != "void":
        return label(why, "en")
    return (
        f"{label('void', 'en')}: {drill.get('void_reason')} (by {drill.get('voided_by')}, "
        f"at {drill.get('voided')})"
    )


def journal_problem(rows: DrillRows) -> str | None:
    """Why a stored drill's journal does not replay to its stored events, or None. What
    ``verify`` checks of a pack's journal, for a drill sent as rows (``push``): a site's
    database is as open to editing as a pack, and the centre rescores what it stores."""
    try:
        inputs = [_journal_row(row) for row in rows.tables.get("inputs", [])]
        events = [_journal_row(row) for row in rows.tables.get("events", [])]
    except (TypeError, ValueError, RecursionError) as exc:  # not JSON, nested too deep
        return f"its journal does not read as JSON ({type(exc).__name__})"
    check, _, _ = _replay_journal(rows.drill, rows.scenario_text, rows.plan_text, inputs, events)
    return None if check.ok else f"its journal does not replay: {check.detail}"


def _journal_row(row: dict[str, Any]) -> dict[str, Any]:
    """A stored input or event row as a pack's journal line (its data parsed)."""
    data = strict_json(row["data"])
    return {**{k: row[k] for k in ("seq", "t", "kind") if k in row}, "data": data}


def _replay(pack: Pack) -> tuple[Check, list[Event] | None, Any]:
    return _replay_journal(pack.drill, pack.scenario_text, pack.plan_text, pack.inputs, pack.events)


def _replay_journal(
    drill: dict[str, Any],
    scenario_text: str,
    plan_text: str,
    journal: list[dict[str, Any]],
    events: list[dict[str, Any]],
) -> tuple[Check, list[Event] | None, Any]:
    """Play ``journal`` (input lines) through this engine and compare with ``events``."""
    from engine.bundle import bundle_from_texts
    from engine.loader import LoadError
    from engine.runner import replay
    from engine.runtime import ENGINE_RULES, DrillEngine

    try:
        bundle = bundle_from_texts(scenario_text, plan_text, "scenario.yaml", "plan.yaml")
    except LoadError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else exc
        return Check("replay", False, f"the packed scenario does not load: {first}"), None, None
    inputs = []
    for number, line in enumerate(journal, 1):
        try:
            inputs.append((line["t"], input_from_dict(line["data"])))
        except (KeyError, TypeError, ValueError) as exc:
            return Check("replay", False, f"input #{number}: not an input ({exc})"), None, None
    try:
        engine = DrillEngine(bundle.compiled, seed=drill["seed"], mode=drill["mode"])
        ended = drill["status"] == "ended"
        replay(engine, inputs, until=math.inf if ended else int(drill.get("last_t") or 0))
    except Exception as exc:  # a hostile journal may break the engine: an answer, not a trace
        return (
            Check("replay", False, f"the engine stopped: {type(exc).__name__}: {exc}"),
            None,
            None,
        )
    regenerated = engine.events
    try:
        packed = [
            {"seq": e["seq"], "t": e["t"], "kind": e["kind"], "data": e["data"]} for e in events
        ]
    except (KeyError, TypeError) as exc:
        return Check("replay", False, f"an event is not an event ({exc})"), None, None
    rules = packed[0]["data"].get("engine_rules", 1) if packed else ENGINE_RULES
    why = (
        f" (recorded under engine rules {rules}; this engine plays rules {ENGINE_RULES})"
        if rules != ENGINE_RULES
        else ""
    )
    for number, (mine, theirs) in enumerate(zip(packed, regenerated, strict=False), 1):
        if canonical_json(mine) != theirs.to_json():
            where = first_difference(mine, theirs.to_dict())
            return (
                Check(
                    "replay", False, f"event #{number} (seq {mine['seq']}) differs: {where}{why}"
                ),
                regenerated,
                bundle.compiled,
            )
    if len(regenerated) < len(packed):
        gone = packed[len(regenerated)]
        detail = (
            f"event #{len(regenerated) + 1} (seq {gone['seq']}) is not regenerated: the replay "
            f"gives {len(regenerated)} events, the pack holds {len(packed)}{why}"
        )
        return Check("replay", False, detail), regenerated, bundle.compiled
    if len(regenerated) > len(packed) and ended:
        detail = (
            f"event #{len(packed) + 1} missing from the pack: the replay gives "
            f"{len(regenerated)} events, the pack holds {len(packed)}{why}"
        )
        return Check("replay", False, detail), regenerated, bundle.compiled
    extra = (
        f" (the drill had not ended: the replay to {drill.get('last_t')}s gives "
        f"{len(regenerated) - len(packed)} events more, not yet journaled)"
        if len(regenerated) > len(packed)
        else ""
    )
    return (
        Check(
            "replay",
            True,
            f"{len(packed)} events regenerated from {len(inputs)} inputs, identical{extra}",
        ),
        regenerated[: len(packed)],
        bundle.compiled,
    )


def _number(value: Any) -> str:
    return str(float(value)) if isinstance(value, int | float) else repr(value)


def _score(pack: Pack, compiled: Any, events: list[Event]) -> Check:
    standing = pack.standing()
    packed_rows = sum(len(pack.tables[table]) for table in SCORE_TABLES)
    if pack.profile is None:
        instead = (
            f"rescored under the default {DEFAULT_PROFILE.label} instead: "
            f"{_replayed(score_drill(compiled, events, DEFAULT_PROFILE))}"
            if standing.rated
            else f"the drill is not rated ({not_rated(standing, pack.drill)})"
        )
        return Check("score", False, f"{pack.profile_problem} (not a scoring profile); {instead}")
    if not standing.rated:
        if packed_rows:
            return Check(
                "score",
                False,
                f"the drill is not rated ({not_rated(standing, pack.drill)}), yet the pack "
                f"holds {packed_rows} score rows",
            )
        return Check("score", True, f"({not_rated(standing, pack.drill)})", status="not rated")
    profile = pack.profile
    if profile.label == DEFAULT_PROFILE.label and profile != DEFAULT_PROFILE:
        where = first_difference(
            profile.model_dump(mode="json"), DEFAULT_PROFILE.model_dump(mode="json")
        ).replace("replayed", "the default")
        return Check(
            "score",
            False,
            f"profile.json is labelled {profile.label}, but its parameters are not that "
            f"profile's ({where})",
        )
    known = scored_profiles(profile)
    for table in SCORE_TABLES:
        for number, row in enumerate(pack.tables[table], 1):
            if row.get("profile") not in known:
                return Check(
                    "score",
                    False,
                    f"{table} row {number}: a score under {row.get('profile')!r} cannot be "
                    f"recomputed (the pack holds the profile {profile.label})",
                )
    said = []
    for used, why in _profiles(profile):
        rescored = score_drill(compiled, events, used)
        problem = _score_rows(pack, rescored)
        if problem:
            return Check("score", False, problem)
        saved = any(r.get("profile") == used.label for r in pack.tables["scores"])
        said.append(
            f"{_replayed(rescored)} rescored under {used.label} ({why}), "
            + ("as packed" if saved else "no packed score under it")
        )
    return Check("score", True, "; ".join(said))


def _profiles(profile: ScoringProfile) -> list[tuple[ScoringProfile, str]]:
    """The profiles a rated drill is rescored under, and which each is."""
    if profile.label == DEFAULT_PROFILE.label:
        return [(profile, "profile.json, the default: what import saves")]
    return [
        (profile, "profile.json"),
        (DEFAULT_PROFILE, "the default: what import saves"),
    ]


def _replayed(score: DrillScore) -> str:
    return f"{_number(score.score)} {score.rating}"


def _score_rows(pack: Pack, score: DrillScore) -> str | None:
    """Where the packed rows under ``score``'s profile differ from the rescore (None:
    they agree, or there are none). Person and purpose are the roster's and the drill
    row's, as ``Store.save_score`` writes them."""
    label_ = score.profile
    drill = pack.drill
    try:
        roster = roster_of(drill)
    except (ValueError, TypeError, AttributeError):
        return "drill.json: its roster or bots is not a JSON object"
    rows = [r for r in pack.tables["scores"] if r.get("profile") == label_]
    results = [r for r in pack.tables["results"] if r.get("profile") == label_]
    roles = [r for r in pack.tables["role_scores"] if r.get("profile") == label_]
    if not rows:
        if results or roles:
            return (
                f"{len(results) + len(roles)} result and role rows under {label_} without a score"
            )
        return None
    row = rows[0]
    if (row.get("score"), row.get("rating")) != (score.score, score.rating):
        packed = f"{_number(row.get('score'))} {row.get('rating')}"
        return f"score differs: packed {packed}, replayed {_replayed(score)} under {label_}"
    if row.get("created") not in (None, drill.get("created")):
        return (
            f"score under {label_}: created {row.get('created')!r}, the drill row says "
            f"{drill.get('created')!r}"
        )
    try:
        detail = json.loads(row.get("detail") or "null")
    except (TypeError, ValueError):
        return "score detail is not JSON"
    if canonical_json(detail) != canonical_json(score.to_dict()):
        return f"score detail differs: {first_difference(detail, score.to_dict())}"
    by_id = {r.get("expectation"): r for r in results}
    expected = {e.id: e for e in score.expectations if e.scored}
    if set(by_id) != set(expected) or len(by_id) != len(results):
        return f"score results: {len(results)} rows packed, {len(expected)} scored expectations"
    for exp_id, result in expected.items():
        packed_row = by_id[exp_id]
        want = {
            "status": result.status,
            "credit": result.credit,
            "latency": result.latency,
            "deadline": result.deadline,
            "role": result.role,
            "rule": result.rule or result.id,
            "capability": result.capability,
            "criticality": result.criticality,
            "person": int(is_person(roster.get(result.role, ""))),
            "purpose": drill.get("purpose"),
            "created": drill.get("created"),
        }
        for column, value in want.items():
            if packed_row.get(column) != value:
                return (
                    f"score results differ: expectation {exp_id} {column} packed "
                    f"{packed_row.get(column)!r}, {_source(column)} {value!r}"
                )
    by_role = {r.get("role"): r for r in roles}
    if set(by_role) != set(score.roles) or len(by_role) != len(roles):
        return f"role scores: {len(roles)} rows packed, {len(score.roles)} roles scored"
    for role, data in score.roles.items():
        want = {
            "score": data["score"],
            "rating": data["rating"],
            "on_time": data.get("on_time"),
            "participant": roster.get(role, ""),
            "person": int(is_person(roster.get(role, ""))),
            "purpose": drill.get("purpose"),
            "created": drill.get("created"),
        }
        for column, value in want.items():
            if by_role[role].get(column) != value:
                return (
                    f"role scores differ: {role} {column} packed {by_role[role].get(column)!r}, "
                    f"{_source(column)} {value!r}"
                )
    return None


def _source(column: str) -> str:
    """Where the value a packed row must hold comes from."""
    if column in ("person", "participant"):
        return "the roster says"
    if column in ("purpose", "created"):
        return "the drill row says"
    return "replayed"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _records(pack: Pack) -> Check:
    tables = pack.tables
    counts = (
        f"{_plural(len(tables['notes']), 'note')}, "
        f"{_plural(len(tables['signatures']), 'signature')}, "
        f"{_plural(len(tables['improvement_log']), 'improvement edit')}"
    )
    try:
        problems = record_problems(pack.rows())
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return Check("records", False, f"the record cannot be read ({type(exc).__name__}: {exc})")
    if problems:
        shown = "; ".join(problems[:3])
        more = f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        return Check("records", False, f"{shown}{more}")
    return Check(
        "records",
        True,
        f"{counts} (covered by the chain head; checked: {RECORD_CHECKS})",
    )


DOCX = (
    "report.docx is a copy for reading, not checked: regenerate it with drillhall report "
    "after import"
)


def _reports(pack: Pack, members: dict[str, bytes]) -> Check:
    """report.html regenerated from the pack and compared, by the Drillhall that made
    it (another version may render the same record differently)."""
    from drills.review.reports import render

    omitted = pack.manifest.get("omitted") or {}
    docx = "report.docx left out" if "report.docx" in omitted else DOCX
    made_by, ours = pack.manifest.get("drillhall"), drillhall_version()
    lang = pack.manifest.get("lang")
    if made_by != ours or lang not in ("zh", "en") or pack.profile is None:
        why = (
            f"made by Drillhall {made_by}, this is {ours}"
            if made_by != ours
            else "the pack names no report language"
            if lang not in ("zh", "en")
            else "profile.json is not a scoring profile"
        )
        return Check(
            "reports",
            True,
            f"{' and '.join(REPORTS)} are copies for reading ({why}); regenerate them with "
            "drillhall report after import",
            status="not checked",
        )
    try:
        report = pack_report(pack.rows(), pack.profile, pack.standing())
        regenerated = render(report, "html", str(lang))
    except Exception as exc:  # a hostile record may break the report: an answer, not a trace
        return Check(
            "reports",
            False,
            f"report.html cannot be regenerated from the pack ({type(exc).__name__}: {exc})",
        )
    packed = members["report.html"].decode("utf-8")
    if packed != regenerated:
        where = next(
            (
                n
                for n, (a, b) in enumerate(
                    zip(packed.splitlines(), regenerated.splitlines(), strict=False), 1
                )
                if a != b
            ),
            min(len(packed.splitlines()), len(regenerated.splitlines())) + 1,
        )
        return Check(
            "reports",
            False,
            f"report.html is not the report of this pack (it differs from the one regenerated "
            f"from the pack at line {where}); {docx}",
        )
    return Check(
        "reports",
        True,
        f"report.html is the report regenerated from the pack, identical; {docx}",
    )


def _short(value: Any) -> str:
    text = canonical_json(value) if not isinstance(value, _Absent) else "(absent)"
    return text if len(text) <= 60 else text[:59] + "…"


class _Absent:
    pass


ABSENT = _Absent()


def first_difference(packed: Any, replayed: Any, path: str = "") -> str:
    """The first place two JSON values differ: ``data.level: packed "III", replayed "IV"``."""
    if isinstance(packed, dict) and isinstance(replayed, dict):
        for key in sorted(set(packed) | set(replayed)):
            a, b = packed.get(key, ABSENT), replayed.get(key, ABSENT)
            if (
                isinstance(a, _Absent)
                or isinstance(b, _Absent)
                or canonical_json(a) != canonical_json(b)
            ):
                return first_difference(a, b, f"{path}.{key}" if path else str(key))
    elif isinstance(packed, list) and isinstance(replayed, list):
        for index, (a, b) in enumerate(zip(packed, replayed, strict=False)):
            if canonical_json(a) != canonical_json(b):
                return first_difference(a, b, f"{path}[{index}]")
        if len(packed) != len(replayed):
            return f"{path or 'list'}: packed {len(packed)} items, replayed {len(replayed)}"
    return f"{path or 'value'}: packed {_short(packed)}, replayed {_short(replayed)}"
