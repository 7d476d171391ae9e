"""Seeded mutations of the shipped plans and scenarios, and the invariant they must keep.

A file that validates never crashes a drill, and its ideal run scores exactly 100: for
every variant, either validation refuses it with diagnostics that point at nodes of the
file, or the ideal bot plays it headless to the end without an exception and the score
is finite, exactly 100.0 and rated P.

Variants are made in memory from the parsed shipped files (no YAML text is written):
one or two mutations each — edge numbers (0, -1, NaN, ±inf, 1e308, 2**63 ...), edge
durations and dates, deleted keys, swapped ids, reversed precedence pairs, parameter
bounds, wrong types. The original node tree stays with the data, so diagnostics carry
the positions a file with that change would have (a deleted key keeps its old place).

Reproduce or explore further from the command line:

    python -m tests.mutations --variants 100000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from engine.bots import make_bot
from engine.compiled import compile_scenario
from engine.crosscheck import check_plan, check_scenario
from engine.loader import Diagnostic, Document, LoadError, read_document, validate_model
from engine.plan import Plan
from engine.runner import Runner
from engine.runtime import DrillEngine
from engine.scenario import Scenario
from scoring.score import score_drill

ROOT = Path(__file__).parent.parent
LIBRARY = ROOT / "scenarios"

Path_ = tuple[str | int, ...]

EDGE_NUMBERS: list[Any] = [
    0,
    -1,
    1,
    2,
    0.5,
    1e-300,
    math.inf,
    -math.inf,
    math.nan,
    1e308,
    -1e308,
    2**63,
    -(2**63),
    10**15,
    10**15 + 1,
    1000,
    1001,
]
EDGE_DURATIONS: list[Any] = [
    0,
    1,
    -1,
    2,
    59,
    "0s",
    "1s",
    "3650d",
    "3651d",
    "99999999999d",
    2**63,
    315_360_001,
    True,
    "immediate",
    None,
    "12:30",
    "",
]
EDGE_DATES: list[Any] = [
    "2026-02-30 06:00",
    "2026-02-28 06:00",
    "2026-13-01",
    "9999-12-31 23:00",
    "9989-12-31 23:59",
    "morning",
    "",
    date(2026, 6, 30),
    20260630,
]
EDGE_WEIGHTS: list[Any] = [0, -1, 1e-300, 0.001, 1000, 1001, 1e308, math.inf, math.nan, "3"]
EDGE_BOUNDS: list[Any] = [None, -1, 0, 0.2, 0.5, 0.8, 1, 3, 100, 1e15, 1e16, math.inf, math.nan]
WRONG_TYPES: list[Any] = [None, True, 0, "x", [], {}, ["x"], {"x": 1}]
DURATION_KEYS = {"at", "delay", "jitter", "deadline", "grace", "hard_limit", "duration", "after"}
ID_KEYS = {
    "id",
    "rule",
    "role",
    "action",
    "inject",
    "expectation",
    "plan",
    "fired",
    "met",
    "late",
    "partly",
    "missed",
    "done",
    "pending",
    "state",
    "set",
    "add",
    "key",
    "scale",
    "capability",
    "reports_to",
}


@dataclass
class Base:
    """One shipped plan + scenario pair, parsed and validated once.

    Variants share everything they do not change with it (see ``Variant``); the lists
    of candidate places for each kind of mutation are gathered here once.
    """

    name: str
    docs: dict[str, Document]  # "plan", "scenario"
    models: dict[str, BaseModel]  # the validated files
    marks: dict[str, set[tuple[int, int]]]  # every node's (line, col) in each file
    numbers: dict[str, list[Path_]]
    durations: dict[str, list[Path_]]
    weighted: dict[str, list[Path_]]  # mappings that have or may have a weight
    mappings: dict[str, list[tuple[Path_, list[str]]]]  # every mapping with its keys
    id_leaves: dict[str, list[Path_]]
    leaves: dict[str, list[Path_]]
    ids: list[str]  # every id-like value, for swaps
    params: list[Path_]  # the plan's action parameters
    precedence: list[Path_]  # the scenario's precedence pairs
    plan_checks: list[Diagnostic]  # the unchanged plan's
    id_lists: dict[str, list[tuple[Path_, int]]]  # lists of 2+ items that have ids

    @classmethod
    def load(cls, scenario_path: Path, plan_path: Path) -> Base:
        docs = {"plan": read_document(plan_path), "scenario": read_document(scenario_path)}
        plan = validate_model(docs["plan"], Plan)
        models: dict[str, BaseModel] = {
            "plan": plan,
            "scenario": validate_model(docs["scenario"], Scenario),
        }
        leaves = {kind: list(_leaves(doc.data)) for kind, doc in docs.items()}
        mappings = {kind: list(_mappings(doc.data)) for kind, doc in docs.items()}
        ids = sorted(
            {
                str(value)
                for kind in docs
                for path, value in leaves[kind]
                if isinstance(value, str) and path and _key_of(path) in ID_KEYS
            }
        )
        return cls(
            name=scenario_path.stem,
            docs=docs,
            models=models,
            marks={kind: _marks(doc.root) for kind, doc in docs.items()},
            numbers={
                kind: [
                    p for p, v in found if isinstance(v, (int, float)) and not isinstance(v, bool)
                ]
                for kind, found in leaves.items()
            },
            durations={
                kind: [p for p, _ in found if p and _key_of(p) in DURATION_KEYS]
                for kind, found in leaves.items()
            },
            weighted={
                kind: [p for p, keys in found if "weight" in keys or "rule" in keys]
                for kind, found in mappings.items()
            },
            mappings=mappings,
            id_leaves={
                kind: [p for p, v in found if isinstance(v, str) and p and v in ids]
                for kind, found in leaves.items()
            },
            leaves={kind: [p for p, _ in found] for kind, found in leaves.items()},
            ids=ids,
            params=[p for p, _ in mappings["plan"] if len(p) == 4 and p[2] == "params"],
            precedence=[
                path
                for path, value in _nodes(docs["scenario"].data)
                if len(path) >= 2 and path[-2] == "precedence" and isinstance(value, list)
            ],
            plan_checks=check_plan(plan, docs["plan"]),
            id_lists={
                kind: [
                    (path, len(value))
                    for path, value in _nodes(doc.data)
                    if isinstance(value, list)
                    and len(value) > 1
                    and all(isinstance(item, dict) and "id" in item for item in value)
                ]
                for kind, doc in docs.items()
            },
        )


@dataclass
class Variant:
    """A base's data with a few changes; containers on a changed path are copied.

    ``touched`` records which top-level entries changed (a key, or one item of a list)
    so that only they go through the schema again: the others are handed over as the
    base's already validated objects, which pydantic accepts as they are. The result
    equals validating the whole changed file, at a fraction of the cost.
    """

    base: Base
    data: dict[str, Any]
    touched: set[tuple[str, str, int | None]] = field(default_factory=set)

    def set(self, kind: str, path: Path_, value: Any) -> None:
        self.data[kind] = _replaced(self.data[kind], path, value)
        index = path[1] if len(path) > 1 and isinstance(path[1], int) else None
        self.touched.add((kind, str(path[0]), index))

    def get(self, kind: str, path: Path_) -> Any:
        return _at(self.data[kind], path)

    def for_validation(self, kind: str) -> Any:
        """The data of ``kind`` with untouched entries replaced by validated objects."""
        data = self.data[kind]
        if not isinstance(data, dict):
            return data
        model = self.base.models[kind]
        touched = {(key, index) for k, key, index in self.touched if k == kind}
        mixed: dict[str, Any] = {}
        for key, value in data.items():
            if (key, None) in touched or key not in type(model).model_fields:
                mixed[key] = value
                continue
            validated = getattr(model, key)
            indexes = {index for k, index in touched if k == key}
            if indexes and isinstance(value, list) and isinstance(validated, list):
                validated = [value[i] if i in indexes else v for i, v in enumerate(validated)]
            mixed[key] = validated
        return mixed


def _nodes(data: Any, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    yield path, data
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _nodes(value, (*path, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _nodes(value, (*path, i))


def _leaves(data: Any) -> Iterator[tuple[Path_, Any]]:
    return ((p, v) for p, v in _nodes(data) if not isinstance(v, (dict, list)))


def _mappings(data: Any) -> Iterator[tuple[Path_, list[str]]]:
    return ((p, list(v)) for p, v in _nodes(data) if isinstance(v, dict) and v)


def _key_of(path: Path_) -> str:
    """The mapping key a path ends in (list indexes skipped: ``to: [a, b]`` is ``to``)."""
    for part in reversed(path):
        if isinstance(part, str):
            return part
    return ""


def _marks(root: yaml.Node | None) -> set[tuple[int, int]]:
    marks: set[tuple[int, int]] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        marks.add((node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return marks


_MISSING = object()


def _replaced(data: Any, path: Path_, value: Any) -> Any:
    """``data`` with the node at ``path`` set to ``value`` (or deleted, for _MISSING);
    containers on the path are copied, everything else is shared."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        copy = dict(data)
        if rest or value is not _MISSING:
            copy[str(head)] = _replaced(data[head], rest, value)
        else:
            copy.pop(str(head), None)
        return copy
    assert isinstance(data, list) and isinstance(head, int)
    items = list(data)
    if rest or value is not _MISSING:
        items[head] = _replaced(data[head], rest, value)
    else:
        del items[head]
    return items


def _at(data: Any, path: Path_) -> Any:
    for part in path:
        data = data[part]
    return data


Mutation = Callable[[random.Random, Base, Variant], str | None]


def _edge_number(rng: random.Random, base: Base, variant: Variant) -> str | None:
    kind = rng.choice(["plan", "scenario"])
    if not base.numbers[kind]:
        return None
    path = rng.choice(base.numbers[kind])
    value = rng.choice(EDGE_NUMBERS)
    variant.set(kind, path, value)
    return f"{kind}:{_dotted(path)} = {value!r}"


def _edge_duration(rng: random.Random, base: Base, variant: Variant) -> str | None:
    kind = rng.choice(["plan", "scenario", "scenario"])
    if not base.durations[kind]:
        return None
    path = rng.choice(base.durations[kind])
    end = variant.data["scenario"].get("duration")
    choices = [*EDGE_DURATIONS]
    if isinstance(end, int):
        choices += [end, end - 1, end + 1]
    elif isinstance(end, str):
        choices += [end]
    value = rng.choice(choices)
    variant.set(kind, path, value)
    return f"{kind}:{_dotted(path)} = {value!r}"


def _edge_date(rng: random.Random, base: Base, variant: Variant) -> str | None:
    value = rng.choice(EDGE_DATES)
    variant.set("scenario", ("start",), value)
    return f"scenario:start = {value!r}"


def _edge_weight(rng: random.Random, base: Base, variant: Variant) -> str | None:
    kind = rng.choice(["plan", "scenario"])
    if not base.weighted[kind]:
        return None
    path = (*rng.choice(base.weighted[kind]), "weight")
    value = rng.choice(EDGE_WEIGHTS)
    variant.set(kind, path, value)
    return f"{kind}:{_dotted(path)} = {value!r}"


def _delete_key(rng: random.Random, base: Base, variant: Variant) -> str | None:
    kind = rng.choice(["plan", "scenario", "scenario"])
    path, keys = rng.choice(base.mappings[kind])
    key = rng.choice(keys)
    variant.set(kind, (*path, key), _MISSING)
    return f"{kind}:{_dotted((*path, key))} deleted"


def _swap_id(rng: random.Random, base: Base, variant: Variant) -> str | None:
    kind = rng.choice(["plan", "scenario", "scenario", "scenario"])
    if not base.id_leaves[kind]:
        return None
    path = rng.choice(base.id_leaves[kind])
    value = rng.choice(base.ids)
    variant.set(kind, path, value)
    return f"{kind}:{_dotted(path)} = {value!r}"


def _duplicate_id(rng: random.Random, base: Base, variant: Variant) -> str | None:
    """Two items of one list (roles, rules, injects, prohibited items ...) share an id."""
    kind = rng.choice(["plan", "scenario"])
    lists = base.id_lists[kind]
    if not lists:
        return None
    path, size = rng.choice(lists)
    i, j = rng.sample(range(size), 2)
    value = variant.get(kind, (*path, j, "id"))
    variant.set(kind, (*path, i, "id"), value)
    return f"{kind}:{_dotted((*path, i, 'id'))} = {value!r} (as item {j})"


def _flip_precedence(rng: random.Random, base: Base, variant: Variant) -> str | None:
    if not base.precedence:
        return None
    path = rng.choice(base.precedence)
    pair = variant.get("scenario", path)
    if not isinstance(pair, list):
        return None
    variant.set("scenario", path, list(reversed(pair)))
    return f"scenario:{_dotted(path)} reversed"


def _bounds(rng: random.Random, base: Base, variant: Variant) -> str | None:
    if not base.params:
        return None
    path = rng.choice(base.params)
    low, high = rng.choice(EDGE_BOUNDS), rng.choice(EDGE_BOUNDS)
    kind = rng.choice([None, None, "int", "number", "text"])
    for key, value in (("min", low), ("max", high), ("type", kind)):
        if value is not None:
            variant.set("plan", (*path, key), value)
    return f"plan:{_dotted(path)} min={low!r} max={high!r} type={kind!r}"


def _wrong_type(rng: random.Random, base: Base, variant: Variant) -> str | None:
    kind = rng.choice(["plan", "scenario"])
    path = rng.choice(base.leaves[kind])
    value = rng.choice(WRONG_TYPES)
    variant.set(kind, path, value)
    return f"{kind}:{_dotted(path)} = {value!r}"


def _at_the_end(rng: random.Random, base: Base, variant: Variant) -> str | None:
    """An inject moved to the very end of the scenario, or just before it."""
    injects = variant.data["scenario"].get("injects")
    if not isinstance(injects, list) or not injects:
        return None
    i = rng.randrange(len(injects))
    inject = injects[i]
    end = variant.data["scenario"].get("duration")
    if not isinstance(inject, dict) or "at" not in inject or not isinstance(end, (int, str)):
        return None
    value: Any = end
    if isinstance(end, int) and rng.random() < 0.5:
        value = end - rng.choice([1, 30, 60, 300])
    variant.set("scenario", ("injects", i, "at"), value)
    return f"scenario:injects.{i}.at = {value!r}"


MUTATIONS: list[tuple[Mutation, int]] = [
    (_edge_number, 4),
    (_edge_duration, 4),
    (_edge_date, 1),
    (_edge_weight, 2),
    (_delete_key, 3),
    (_swap_id, 4),
    (_flip_precedence, 1),
    (_duplicate_id, 1),
    (_bounds, 2),
    (_wrong_type, 2),
    (_at_the_end, 1),
]


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


@dataclass
class Tally:
    """What happened to the variants; ``failures`` must stay empty."""

    variants: int = 0
    refused: int = 0
    played: int = 0
    exceptions: int = 0
    non_finite: int = 0
    not_100: int = 0
    unpositioned: int = 0
    failures: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        return {
            "variants": self.variants,
            "refused": self.refused,
            "played": self.played,
            "uncaught exceptions": self.exceptions,
            "non-finite scores": self.non_finite,
            "ideal runs not 100": self.not_100,
            "diagnostics without a position": self.unpositioned,
        }


def variants(bases: list[Base], count: int, seed: int) -> Iterator[tuple[Variant, str]]:
    """``count`` variants with what was changed, the same ones for the same seed."""
    rng = random.Random(seed)
    functions = [f for f, _ in MUTATIONS]
    weights = [w for _, w in MUTATIONS]
    made = 0
    while made < count:
        base = bases[made % len(bases)]
        variant = Variant(base, {kind: doc.data for kind, doc in base.docs.items()})
        described = []
        for _ in range(1 if rng.random() < 0.8 else 2):
            mutation = rng.choices(functions, weights)[0]
            try:
                what = mutation(rng, base, variant)
            except (KeyError, IndexError, TypeError):
                what = None  # a first mutation removed what the second one looked for
            if what:
                described.append(what)
        if described:
            made += 1
            yield variant, "; ".join(described)


def _validate(
    docs: dict[str, Document], same_plan: Base | None = None
) -> tuple[list[Diagnostic], Plan | None, Scenario | None]:
    """What ``drillhall validate PLAN SCENARIO`` checks, in memory.

    ``same_plan``: the plan is the base's, unchanged, so its checks are the base's too.
    """
    if same_plan is not None:
        plan = same_plan.models["plan"]
        assert isinstance(plan, Plan)
        problems = list(same_plan.plan_checks)
    else:
        try:
            plan = validate_model(docs["plan"], Plan)
        except LoadError as exc:
            return exc.diagnostics, None, None
        problems = check_plan(plan, docs["plan"])
    try:
        scenario = validate_model(docs["scenario"], Scenario)
    except LoadError as exc:
        return problems + exc.diagnostics, None, None
    return problems + check_scenario(plan, scenario, docs["scenario"]), plan, scenario


def check(variant: Variant, tally: Tally, what: str) -> None:
    """One variant: refused with positioned diagnostics, or played to exactly 100."""
    tally.variants += 1
    base = variant.base
    docs = {
        kind: Document(doc.path, doc.text, variant.for_validation(kind), doc.root)
        for kind, doc in base.docs.items()
    }
    try:
        untouched = not any(kind == "plan" for kind, _, _ in variant.touched)
        diagnostics, plan, scenario = _validate(docs, base if untouched else None)
        errors = [d for d in diagnostics if d.severity == "error"]
        if errors or plan is None or scenario is None:
            tally.refused += 1
            _check_positions(base, docs, diagnostics, tally, what)
            return
        tally.played += 1
        _play(plan, scenario, tally, f"{base.name}: {what}")
    except Exception:
        tally.exceptions += 1
        tally.failures.append(f"{base.name}: {what}: {traceback.format_exc(limit=-3)}")


def _check_positions(
    base: Base,
    docs: dict[str, Document],
    diagnostics: list[Diagnostic],
    tally: Tally,
    what: str,
) -> None:
    """Every diagnostic names its file and the start of a node in it."""
    paths = {doc.path: kind for kind, doc in docs.items()}
    for d in diagnostics:
        kind = paths.get(d.path)
        if kind is None or (d.line, d.col) not in base.marks[kind] or "\n" in str(d):
            tally.unpositioned += 1
            tally.failures.append(f"{base.name}: {what}: not at a node: {d}")


def _play(plan: Plan, scenario: Scenario, tally: Tally, label: str) -> None:
    compiled = compile_scenario(plan, scenario)
    engine = DrillEngine(compiled, seed=0)
    Runner(engine, [make_bot("ideal", [r.id for r in plan.roles])]).run_to_end()
    json.dumps([event.data for event in engine.events], allow_nan=False)  # the journal's
    result = score_drill(compiled, engine.events)
    json.dumps(result.to_dict(), allow_nan=False)  # what `run --json` prints
    if not math.isfinite(result.score):
        tally.non_finite += 1
        tally.failures.append(f"{label}: score {result.score}")
    elif (result.score, result.rating) != (100.0, "P"):
        tally.not_100 += 1
        tally.failures.append(f"{label}: ideal scored {result.score} {result.rating}")


def shipped_bases() -> list[Base]:
    """Every shipped scenario with its plan."""
    bases = []
    for path in sorted(LIBRARY.glob("*/*.yaml")):
        if path.parent.name == "plans":
            continue
        plan_id = read_document(path).data["plan"]
        bases.append(Base.load(path, LIBRARY / "plans" / f"{plan_id}.yaml"))
    return bases


def run(count: int, seed: int) -> Tally:
    tally = Tally()
    for variant, what in variants(shipped_bases(), count, seed):
        check(variant, tally, what)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--variants", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    start = time.perf_counter()
    tally = run(args.variants, args.seed)
    for name, value in tally.summary().items():
        print(f"{name:>32}: {value:,}")
    print(f"{'seconds':>32}: {time.perf_counter() - start:.1f}")
    for failure in tally.failures[:20]:
        print("-", failure)


if __name__ == "__main__":
    main()
