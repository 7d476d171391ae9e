"""Load time of a large scenario file: parse (C vs pure-Python loader), validate, cross-check.

python -m benchmarks.bench_load [--injects 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from benchmarks.synthetic import write
from engine.bundle import load_bundle
from engine.crosscheck import check_scenario
from engine.loader import parse_yaml, validate_model
from engine.plan import Plan
from engine.scenario import Scenario


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--injects", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scenario_path, plan_path = write(Path(tmp), args.injects)
        text = scenario_path.read_text(encoding="utf-8")
        plan = validate_model(parse_yaml(plan_path.read_text("utf-8"), "plan"), Plan)
        doc = parse_yaml(text, str(scenario_path))
        scenario = validate_model(doc, Scenario)
        rows = {
            "parse (C loader, with node marks)": timed(lambda: parse_yaml(text, "s")),
            "parse (plain yaml.safe_load, pure Python)": timed(
                lambda: yaml.load(text, Loader=yaml.SafeLoader)
            ),
            "parse (plain yaml.load, CSafeLoader)": timed(
                lambda: yaml.load(text, Loader=yaml.CSafeLoader)
            ),
            "validate (pydantic)": timed(lambda: validate_model(doc, Scenario)),
            "cross-check": timed(lambda: check_scenario(plan, scenario, doc)),
            "load_bundle (all of it)": timed(lambda: load_bundle(scenario_path, plan_path)),
        }
        size = len(text.encode("utf-8")) / 1e6
    print(f"{args.injects} injects, {size:.1f} MB of YAML, best of 3")
    for name, seconds in rows.items():
        print(f"  {name:<36}{seconds * 1000:>9.0f} ms")


if __name__ == "__main__":
    main()
