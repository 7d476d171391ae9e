"""Validation and headless play must grow linearly with the number of injects.

    python -m benchmarks.bench_scale [--sizes 700,5600,11200] [--repeat 3] [--json]
        [--scenario scenarios/flood/river-crest.yaml --plan scenarios/plans/flood-municipal.yaml]

The scenario is a shipped one played again and again (``benchmarks.synthetic.replicated``:
ids renamed per copy, timed injects shifted), so every size keeps the same mix of timed,
chained and conditional injects, hints, prohibited items and precedence pairs; the state
keys and actions are shared by all copies, as in any long drill. Sizes are rounded to
whole copies.

- validate: what ``drillhall validate`` does with the two files: read, parse, schema,
  plan and scenario cross-checks;
- play: compile, then the ideal bot in every role, headless to the end;
- score: ``score_drill`` over the events of that run.

Prints the best of ``--repeat`` runs per size, in CPU seconds of this process (a shared
machine's other work does not count), and, against the previous size, the time ratio
divided by the size ratio: 1.0 is linear; quadratic work shows as the size ratio itself
(8.0 from 700 to 5,600). Larger working sets cost some cache misses, so linear code reads
1.0 to about 1.5.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from benchmarks.synthetic import replicated
from engine.bots import make_bot
from engine.compiled import CompiledScenario, compile_scenario
from engine.crosscheck import check_plan, check_scenario
from engine.events import Event
from engine.loader import read_document, validate_model
from engine.memory import gc_paused
from engine.plan import Plan
from engine.runner import Runner
from engine.runtime import DrillEngine
from engine.scenario import Scenario
from scoring.score import score_drill

ROOT = Path(__file__).parent.parent
SCENARIO = ROOT / "scenarios/flood/river-crest.yaml"
PLAN = ROOT / "scenarios/plans/flood-municipal.yaml"


def validate(scenario_path: Path, plan_path: Path) -> tuple[Plan, Scenario]:
    """Every check ``drillhall validate`` makes; raises if the files are not clean."""
    with gc_paused():  # as the loader does for a bundle
        plan_doc, doc = read_document(plan_path), read_document(scenario_path)
        plan = validate_model(plan_doc, Plan)
        scenario = validate_model(doc, Scenario)
        problems = check_plan(plan, plan_doc) + check_scenario(plan, scenario, doc)
    errors = [str(d) for d in problems if d.severity == "error"]
    if errors:
        raise SystemExit("the generated scenario does not validate:\n" + "\n".join(errors[:5]))
    return plan, scenario


def play(plan: Plan, scenario: Scenario) -> tuple[CompiledScenario, list[Event]]:
    """Ideal bots in every role, as fast as possible."""
    compiled = compile_scenario(plan, scenario)
    engine = DrillEngine(compiled, seed=1)
    Runner(engine, [make_bot("ideal", [r.id for r in plan.roles], 1)]).run_to_end()
    return compiled, engine.events


def best_of(repeat: int, fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """The fastest of ``repeat`` runs in CPU time (the others measure the machine)."""
    fastest, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn(*args)
        fastest = min(fastest, time.process_time() - start)
    return fastest, result


PHASES = ("validate", "play", "score")


def _timed(path: Path, plan_path: Path, repeat: int) -> dict[str, Any]:
    """Best times of each phase for one generated file."""
    seconds_v, (plan, scenario) = best_of(repeat, validate, path, plan_path)
    seconds_p, (compiled, events) = best_of(repeat, play, plan, scenario)
    seconds_s, result = best_of(repeat, score_drill, compiled, events)
    return {
        "injects": len(scenario.injects),
        "validate_s": round(seconds_v, 3),
        "play_s": round(seconds_p, 3),
        "score_s": round(seconds_s, 3),
        "ideal_score": result.score,
    }


def measure(
    sizes: list[int], repeat: int, scenario_path: Path, plan_path: Path
) -> Iterator[dict[str, Any]]:
    """One row per size, as soon as it is measured (large old engines take minutes)."""
    base = yaml.safe_load(scenario_path.read_text(encoding="utf-8"))
    per_copy = len(base["injects"])
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    previous: dict[str, Any] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            copies = max(1, round(size / per_copy))
            path = Path(tmp) / f"scale-{copies}.yaml"
            data = replicated(base, copies)
            text = yaml.dump(data, Dumper=dumper, allow_unicode=True, sort_keys=False)
            path.write_text(text, encoding="utf-8")
            row = _timed(path, plan_path, repeat)
            if previous is not None:
                growth = row["injects"] / previous["injects"]
                for phase in PHASES:
                    ratio = row[f"{phase}_s"] / previous[f"{phase}_s"] / growth
                    row[f"{phase}_vs_linear"] = round(ratio, 2)
            previous = row
            yield row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="700,5600,11200", help="inject counts, comma-separated")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    parser.add_argument("--plan", type=Path, default=PLAN)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    rows = measure(sizes, args.repeat, args.scenario, args.plan)
    if args.json:
        print(json.dumps(list(rows), indent=2))
        return
    name, repeat = args.scenario.name, args.repeat
    print(f"{name} replicated, CPU s, best of {repeat}; ratio = time ratio / size ratio")
    header = "".join(f"{phase + ' s':>12}{'ratio':>7}" for phase in PHASES)
    print(f"{'injects':>8}{header}{'ideal':>8}", flush=True)
    for row in rows:
        cells = "".join(
            f"{row[f'{phase}_s']:>12.3f}{row.get(f'{phase}_vs_linear', ''):>7}" for phase in PHASES
        )
        print(f"{row['injects']:>8}{cells}{row['ideal_score']:>8}", flush=True)


if __name__ == "__main__":
    main()
