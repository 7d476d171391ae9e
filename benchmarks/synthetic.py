"""Synthetic scenarios for benchmarks: N injects over a plan with a few roles and actions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from engine.fields import parse_duration

PLAN = {
    "id": "bench-plan",
    "version": "1",
    "title": {"zh": "基准预案", "en": "Benchmark plan"},
    "roles": [{"id": f"r{i}", "name": {"zh": f"角色{i}", "en": f"Role {i}"}} for i in range(4)],
    "scales": [
        {
            "id": "level",
            "name": {"zh": "级别", "en": "Level"},
            "levels": [{"id": x, "name": x} for x in ("IV", "III", "II", "I")],
        }
    ],
    "actions": [
        {
            "id": f"a{i}",
            "name": {"zh": f"行动{i}", "en": f"Action {i}"},
            "roles": ["r0", "r1", "r2", "r3"],
            "params": [{"id": "level", "name": "L", "type": "scale", "scale": "level"}],
        }
        for i in range(4)
    ],
    "rules": [
        {
            "id": f"rule{i}",
            "title": {"zh": f"规则{i}", "en": f"Rule {i}"},
            "role": f"r{i}",
            "action": f"a{i}",
            "params": {"level": "III"},
            "deadline": "30m",
            "criticality": "essential",
            "clause": {"source": "benchmark", "ref": f"§{i}", "certainty": "seed"},
        }
        for i in range(4)
    ],
}


def scenario(n: int, *, spacing: int = 60) -> dict[str, Any]:
    """n injects, one every ``spacing`` seconds, each expecting one action."""
    injects = []
    for i in range(n):
        injects.append(
            {
                "id": f"I{i}",
                "at": i * spacing,
                "from": {"zh": "来源", "en": "Source"},
                "to": [f"r{i % 4}"],
                "channel": "phone",
                "text": {"zh": f"第{i}条信息", "en": f"Message {i}"},
                "effects": [{"add": "counter", "value": 1}],
                "expects": [{"rule": f"rule{i % 4}", "id": f"E{i}"}],
            }
        )
    return {
        "id": f"bench-{n}",
        "plan": "bench-plan",
        "family": "other",
        "title": {"zh": "基准", "en": "Benchmark"},
        "duration": n * spacing + 7200,
        "state": {"counter": 0},
        "injects": injects,
    }


def write(folder: Path, n: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    plan_path = folder / "bench-plan.yaml"
    scenario_path = folder / f"bench-{n}.yaml"
    plan_path.write_text(yaml.safe_dump(PLAN, allow_unicode=True, sort_keys=False), "utf-8")
    scenario_path.write_text(
        yaml.safe_dump(scenario(n), allow_unicode=True, sort_keys=False), "utf-8"
    )
    return scenario_path, plan_path


def room(folder: Path, roles: int, injects: int, spacing: int = 10) -> tuple[Path, Path]:
    """A plan with ``roles`` roles and a scenario that sends each role injects in turn,
    each expecting that role's rule: the load test's drill."""
    plan = {
        "id": "room-plan",
        "version": "1",
        "title": {"zh": "联合演练基准", "en": "Room benchmark"},
        "roles": [
            {"id": f"r{i}", "name": {"zh": f"角色{i}", "en": f"Role {i}"}} for i in range(roles)
        ],
        "actions": [
            {
                "id": "respond",
                "name": {"zh": "处置", "en": "Respond"},
                "roles": [f"r{i}" for i in range(roles)],
            }
        ],
        "rules": [
            {
                "id": f"rule{i}",
                "title": {"zh": f"规则{i}", "en": f"Rule {i}"},
                "role": f"r{i}",
                "action": "respond",
                "deadline": "10m",
                "clause": {"source": "benchmark", "ref": f"§{i}", "certainty": "seed"},
            }
            for i in range(roles)
        ],
    }
    scenario = {
        "id": f"room-{roles}",
        "plan": "room-plan",
        "family": "other",
        "title": {"zh": "联合演练", "en": "Room"},
        "duration": injects * spacing + 900,
        "injects": [
            {
                "id": f"I{i}",
                "at": (i + 1) * spacing,
                "from": "Control",
                "to": [f"r{i % roles}"],
                "text": {"zh": f"第{i}条", "en": f"Message {i}"},
                "expects": [{"rule": f"rule{i % roles}", "id": f"E{i}"}],
            }
            for i in range(injects)
        ],
    }
    folder.mkdir(parents=True, exist_ok=True)
    plan_path, scenario_path = folder / "room-plan.yaml", folder / f"room-{roles}.yaml"
    plan_path.write_text(yaml.safe_dump(plan, allow_unicode=True, sort_keys=False), "utf-8")
    scenario_path.write_text(yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False), "utf-8")
    return scenario_path, plan_path


def _ids_to_rename(data: dict[str, Any]) -> set[str]:
    """Inject, expectation and prohibited ids of a scenario: each copy gets its own."""
    ids: set[str] = set()
    for inject in data["injects"]:
        ids.add(inject["id"])
        ids.update(e.get("id") or e["rule"] for e in inject.get("expects", []))
        ids.update(p["id"] for p in inject.get("prohibited", []))
    ids.update(p["id"] for p in data.get("prohibited", []))
    return ids


def _renamed(value: Any, ids: set[str], suffix: str, key: str = "") -> Any:
    """``value`` with every id of ``ids`` suffixed (plan rule references stay as they are)."""
    if isinstance(value, dict):
        out = {k: _renamed(v, ids, suffix, k) for k, v in value.items()}
        if "rule" in value and "id" not in value and key != "when":
            out["id"] = value["rule"] + suffix  # a rule used once per copy needs its own id
        return out
    if isinstance(value, list):
        return [_renamed(v, ids, suffix, key) for v in value]
    if isinstance(value, str) and value in ids and key != "rule":
        return value + suffix
    return value


def replicated(data: dict[str, Any], copies: int) -> dict[str, Any]:
    """A scenario played ``copies`` times in a row: ids renamed, timed injects shifted.

    Every copy keeps the original's branches (after/when), hints, prohibited items and
    precedence pairs, so validation and play do the same work per inject at any size.
    """
    length = int(parse_duration(data["duration"]))
    ids = _ids_to_rename(data)
    injects: list[Any] = []
    prohibited: list[Any] = []
    precedence: list[Any] = []
    for k in range(copies):
        suffix = f"-c{k}"
        for inject in _renamed(data["injects"], ids, suffix):
            if "at" in inject:
                inject["at"] = int(parse_duration(inject["at"])) + k * length
            injects.append(inject)
        prohibited += _renamed(data.get("prohibited", []), ids, suffix)
        precedence += _renamed(data.get("precedence", []), ids, suffix)
    return {
        **data,
        "id": f"{data['id']}-x{copies}",
        "duration": copies * length,
        "injects": injects,
        "prohibited": prohibited,
        "precedence": precedence,
    }
