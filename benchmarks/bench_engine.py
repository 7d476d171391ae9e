"""Engine throughput against bare SimPy, measured in the same run.

    python benchmarks/bench_engine.py [--injects 10000] [--repeat 5]

Baseline: the same inject stream on bare SimPy (one timeout per inject, plus the deadline
and hard-limit timeouts an expectation needs, each callback recording a tuple). Then the
engine without a journal (idle and ideal bots), and the engine writing its journal to
SQLite in batches. Reports best-of-N wall times, events per second and the ratios.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import simpy

from benchmarks.synthetic import write
from drills.play.session import DrillSession
from drills.store.database import Store
from engine.bots import make_bot
from engine.bundle import Bundle, load_bundle
from engine.compiled import CompiledScenario, ResolvedExpectation
from engine.runner import Runner
from engine.runtime import DrillEngine
from engine.scenario import Inject
from scoring.score import score_drill

ROLES = ["r0", "r1", "r2", "r3"]


def bare_simpy(compiled: CompiledScenario) -> int:
    """The same timeouts as the engine schedules, with trivial callbacks."""
    env = simpy.Environment()
    log: list[tuple[Any, ...]] = []
    for inject in compiled.scenario.injects:
        assert inject.at is not None  # synthetic injects are all timed

        def deliver(_ev: object, inject: Inject = inject) -> None:
            log.append((env.now, inject.id, tuple(inject.to)))
            for exp in inject.expects:
                spec = compiled.expectations[exp.key]
                for delay in (spec.deadline, spec.hard_limit):
                    assert delay is not None  # synthetic expectations all have deadlines
                    t = env.timeout(delay)

                    def due(_e: object, k: str = spec.id) -> None:
                        log.append((env.now, k))

                    t.callbacks.append(due)

        env.timeout(inject.at).callbacks.append(deliver)
    env.run()
    return len(log)


def engine_only(compiled: CompiledScenario, bot: str) -> int:
    engine = DrillEngine(compiled, seed=1)
    Runner(engine, [make_bot(bot, ROLES, 1)]).run_to_end()
    return len(engine.events)


def with_journal(bundle: Bundle, bot: str, folder: Path) -> tuple[int, float]:
    """Play with the journal (batched writes); returns events and the scoring time."""
    store = Store(folder / f"bench-{time.perf_counter_ns()}.db")
    session = DrillSession.create(
        store, bundle, seed=1, bots={r: bot for r in ROLES}, durable_inputs=False
    )
    session.runner.run_until(float("inf"))
    session.flush()
    start = time.perf_counter()
    session.finish()
    finish = time.perf_counter() - start
    store.close()
    return len(session.engine.events), finish


def best(fn: Callable[[], int | tuple[int, float]], repeat: int) -> tuple[float, int]:
    """Best of ``repeat`` runs; a function may return (count, seconds to exclude)."""
    times, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
        count, excluded = result if isinstance(result, tuple) else (result, 0.0)
        times.append(elapsed - excluded)
    return min(times), count


def bare_simpy_processes(compiled: CompiledScenario) -> int:
    """The idiomatic SimPy way: one process per inject and per expectation watch."""
    env = simpy.Environment()
    log: list[tuple[Any, ...]] = []

    def watch(spec: ResolvedExpectation) -> Generator[Any, Any, None]:
        assert spec.deadline is not None and spec.hard_limit is not None
        yield env.timeout(spec.deadline)
        log.append((env.now, spec.id))
        yield env.timeout(spec.hard_limit - spec.deadline)
        log.append((env.now, spec.id))

    def inject_process(inject: Inject) -> Generator[Any, Any, None]:
        assert inject.at is not None
        yield env.timeout(inject.at)
        log.append((env.now, inject.id, tuple(inject.to)))
        for exp in inject.expects:
            env.process(watch(compiled.expectations[exp.key]))

    for inject in compiled.scenario.injects:
        env.process(inject_process(inject))
    env.run()
    return len(log)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--injects", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        scenario_path, plan_path = write(folder, args.injects)
        bundle = load_bundle(scenario_path, plan_path)
        compiled = bundle.compiled
        rows = {}
        rows["bare_simpy"] = best(lambda: bare_simpy(compiled), args.repeat)
        rows["bare_simpy_procs"] = best(lambda: bare_simpy_processes(compiled), args.repeat)
        rows["engine_idle"] = best(lambda: engine_only(compiled, "idle"), args.repeat)
        rows["engine_ideal"] = best(lambda: engine_only(compiled, "ideal"), args.repeat)
        rows["journal_idle"] = best(lambda: with_journal(bundle, "idle", folder), args.repeat)
        rows["journal_ideal"] = best(lambda: with_journal(bundle, "ideal", folder), args.repeat)
        engine = DrillEngine(compiled, seed=1)
        Runner(engine, [make_bot("novice", ROLES, 1)]).run_to_end()

        def score_novice() -> int:
            score_drill(compiled, engine.events)
            return len(engine.events)

        rows["score_novice"] = best(score_novice, args.repeat)
    base = rows["bare_simpy"][0]
    # bare_simpy: callbacks, the fastest SimPy can go; bare_simpy_procs: the idiomatic way.
    result = {
        name: {
            "seconds": round(sec, 4),
            "events": count,
            "events_per_s": round(count / sec),
            "ratio_to_bare_simpy": round(sec / base, 2),
        }
        for name, (sec, count) in rows.items()
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{args.injects} injects, best of {args.repeat}")
    print(f"{'run':<15}{'seconds':>10}{'events':>10}{'events/s':>12}{'x bare':>9}")
    for name, row in result.items():
        print(
            f"{name:<15}{row['seconds']:>10.4f}{row['events']:>10}{row['events_per_s']:>12}"
            f"{row['ratio_to_bare_simpy']:>9.2f}"
        )


if __name__ == "__main__":
    main()
