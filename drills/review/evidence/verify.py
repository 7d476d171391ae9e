"""Verify an evidence pack: its files, its hash chain, and its journal replayed.

Checks, in order, each one line:

    files     every member's sha256 is the manifest's, no member missing or added
    contents  every member reads (UTF-8, JSON, the shape of a pack) and agrees with the
              drill row (its id, the sha256 of its scenario and plan texts, the roster)
    chain     the hash chain over inputs then events holds and ends at the manifest's head
    replay    the inputs, played through this engine, regenerate the packed events byte
              for byte (canonical JSON)
    score     the regenerated events, scored under the packed profile, give the packed
              score, rating, detail and per-expectation and role rows

A failure names its first position (``event #37 (seq 37): hash does not match``).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drills.review.evidence.archive import PackError, read_archive
from drills.review.evidence.chain import check_chain
from drills.review.evidence.pack import (
    MANIFEST,
    Pack,
    read_manifest,
    read_pack,
    roster_of,
    sha256,
)
from engine.events import Event, canonical_json, input_from_dict
from scoring.score import DrillScore, score_drill

# Drill ids are 8 hex digits today; a pack's id also names lock files next to the
# database, so it is held to letters, digits, - and _.
DRILL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
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
    broken = check_chain(pack.id, pack.inputs, pack.events, chain)
    result.checks.append(
        Check("chain", False, broken)
        if broken
        else Check(
            "chain",
            True,
            f"{len(pack.inputs)} inputs and {len(pack.events)} events, head "
            f"{chain['head']} as in the manifest",
        )
    )
    replay_check, regenerated, compiled = _replay(pack)
    result.checks.append(replay_check)
    if regenerated is not None and compiled is not None:
        result.checks.append(_score(pack, compiled, regenerated))
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
    left_out = "".join(
        f"; {name} left out: {reason}" for name, reason in pack.manifest.get("omitted", {}).items()
    )
    return Check(
        "contents",
        True,
        f"drill {pack.id}: {drill.get('scenario_id')} (seed {drill['seed']}, {drill['mode']}, "
        f"{drill['status']}){left_out}",
    )


def _replay(pack: Pack) -> tuple[Check, list[Event] | None, Any]:
    from engine.bundle import bundle_from_texts
    from engine.loader import LoadError
    from engine.runner import replay
    from engine.runtime import ENGINE_RULES, DrillEngine

    try:
        bundle = bundle_from_texts(pack.scenario_text, pack.plan_text, "scenario.yaml", "plan.yaml")
    except LoadError as exc:
        first = exc.diagnostics[0] if exc.diagnostics else exc
        return Check("replay", False, f"the packed scenario does not load: {first}"), None, None
    inputs = []
    for number, line in enumerate(pack.inputs, 1):
        try:
            inputs.append((line["t"], input_from_dict(line["data"])))
        except (KeyError, TypeError, ValueError) as exc:
            return Check("replay", False, f"input #{number}: not an input ({exc})"), None, None
    drill = pack.drill
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
    packed = [
        {"seq": e["seq"], "t": e["t"], "kind": e["kind"], "data": e["data"]} for e in pack.events
    ]
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
    profile = pack.profile
    score = score_drill(compiled, events, profile)
    saved = [r for r in pack.tables["scores"] if r.get("profile") == profile.label]
    others = sorted({str(r.get("profile")) for r in pack.tables["scores"]} - {profile.label})
    note = (
        f"; not rescored (their profile is not in the pack): {', '.join(others)}" if others else ""
    )
    replayed = f"{_number(score.score)} {score.rating}"
    if not saved:
        return Check(
            "score", True, f"{replayed} under {profile.label} (no saved score to compare){note}"
        )
    row = saved[0]
    if (row.get("score"), row.get("rating")) != (score.score, score.rating):
        packed = f"{_number(row.get('score'))} {row.get('rating')}"
        return Check("score", False, f"score differs: packed {packed}, replayed {replayed}")
    problem = _score_rows(pack, row, score)
    if problem:
        return Check("score", False, problem)
    return Check("score", True, f"{replayed} under {profile.label}, as packed{note}")


def _score_rows(pack: Pack, row: dict[str, Any], score: DrillScore) -> str | None:
    label = score.profile
    try:
        detail = json.loads(row.get("detail") or "null")
    except (TypeError, ValueError):
        return "score detail is not JSON"
    if canonical_json(detail) != canonical_json(score.to_dict()):
        return f"score detail differs: {first_difference(detail, score.to_dict())}"
    results = {r.get("expectation"): r for r in pack.tables["results"] if r.get("profile") == label}
    expected = {e.id: e for e in score.expectations if e.scored}
    if set(results) != set(expected):
        return f"score results: {len(results)} rows packed, {len(expected)} scored expectations"
    for exp_id, result in expected.items():
        packed = results[exp_id]
        for column in ("status", "credit", "latency", "deadline", "role"):
            if packed.get(column) != getattr(result, column):
                return (
                    f"score results differ: expectation {exp_id} {column} packed "
                    f"{packed.get(column)!r}, replayed {getattr(result, column)!r}"
                )
    roles = {r.get("role"): r for r in pack.tables["role_scores"] if r.get("profile") == label}
    if set(roles) != set(score.roles):
        return f"role scores: {len(roles)} rows packed, {len(score.roles)} roles scored"
    for role, data in score.roles.items():
        for column in ("score", "rating"):
            if roles[role].get(column) != data[column]:
                return (
                    f"role scores differ: {role} {column} packed {roles[role].get(column)!r}, "
                    f"replayed {data[column]!r}"
                )
    return None


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
