"""History, trends and regrading on a large database; calibration speed.

    python -m benchmarks.bench_history [--drills 10000] [--regrade 1000] [--calibrate 1000]

Builds a database of N drills: a few dozen real novice/ideal/idle drills of the shipped
flood scenario, cloned with new ids, dates spread over a year and trainees from a pool
of 60 names (journals are cloned for the first ``--regrade`` drills only, to keep the
file small). Then times the list, filter and trend queries (best of 5) and prints their
SQLite query plans, regrades drills from their journals, and calibrates.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from drills.library.calibrate import calibrate
from drills.library.catalog import find_plan, installed
from drills.play.session import DrillSession
from drills.store.database import Store
from drills.store.history import Filters, history, regrade, trends
from engine.bundle import load_bundle
from scoring.profile import ScoringProfile

TRAINEES = [f"trainee-{i:02d}" for i in range(60)]


def build(path: Path, drills: int, journals: int) -> Store:
    entry = next(e for e in installed() if e.id == "flood-river-crest")
    bundle = load_bundle(entry.path, find_plan(entry.path, entry.plan))
    roles = [r.id for r in bundle.compiled.plan.roles]
    store = Store(path)
    seeds = []
    for i in range(30):
        bot = "ideal" if i % 10 == 0 else "idle" if i % 10 == 1 else "novice"
        session = DrillSession.create(store, bundle, seed=i, bots=dict.fromkeys(roles, bot))
        session.run_headless()
        seeds.append(session.drill_id)
    rng = random.Random(1)
    db = store.db
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tables = ("scores", "results", "role_scores")
    with db.conn:
        for n in range(drills - len(seeds)):
            source = seeds[n % len(seeds)]
            new_id = f"b{n:07d}"
            created = (start + timedelta(minutes=rng.randrange(525_600))).isoformat()
            db.conn.execute(
                "INSERT INTO drills SELECT ?, scenario_id, scenario_version, plan_id, "
                "plan_version, seed, mode, bots, speed, status, ?, ended, last_t, "
                "scenario_path, roster, scenario_sha, plan_sha FROM drills WHERE id = ?",
                (new_id, created, source),
            )
            for table in tables:
                columns = [c for c in db[table].columns_dict if c not in ("drill_id", "created")]
                names = ", ".join(columns)
                db.conn.execute(
                    f"INSERT INTO {table} (drill_id, created, {names}) "
                    f"SELECT ?, ?, {names} FROM {table} WHERE drill_id = ?",
                    (new_id, created, source),
                )
            db.conn.execute(
                "UPDATE role_scores SET participant = ? WHERE drill_id = ? AND role = ?",
                (rng.choice(TRAINEES), new_id, rng.choice(roles)),
            )
            if n < journals:
                for table in ("inputs", "events"):
                    columns = [c for c in db[table].columns_dict if c != "drill_id"]
                    names = ", ".join(columns)
                    db.conn.execute(
                        f"INSERT INTO {table} (drill_id, {names}) "
                        f"SELECT ?, {names} FROM {table} WHERE drill_id = ?",
                        (new_id, source),
                    )
    db.execute("ANALYZE")
    return store


def best_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--drills", type=int, default=10_000)
    parser.add_argument("--regrade", type=int, default=1_000)
    parser.add_argument("--calibrate", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        store = build(Path(tmp) / "history.db", args.drills, args.regrade)
        print(f"built {args.drills} drills in {time.perf_counter() - start:.1f}s")
        queries = {
            "list newest 50": lambda: history(store, Filters(), 50),
            "filter scenario+rating+dates": lambda: history(
                store,
                Filters(
                    scenario="flood-river-crest", rating="U", since="2026-03-01", until="2026-06-30"
                ),
                50,
            ),
            "filter trainee": lambda: history(store, Filters(trainee="trainee-07"), 50),
            "filter role+since": lambda: history(
                store, Filters(role="commander", since="2026-10-01"), 50
            ),
            "trend by role (all drills)": lambda: trends(store, "role", Filters()),
            "trend by trainee (all drills)": lambda: trends(store, "trainee", Filters()),
            "trend by rule (one quarter)": lambda: trends(
                store, "rule", Filters(since="2026-04-01", until="2026-06-30")
            ),
            "trend by rule (all drills)": lambda: trends(store, "rule", Filters()),
        }
        for name, fn in queries.items():
            print(f"  {name:<32}{best_ms(fn):>9.1f} ms")
        where, params = Filters(trainee="trainee-07", since="2026-03-01").where()
        plan = store.db.execute(
            "EXPLAIN QUERY PLAN SELECT d.id FROM drills d LEFT JOIN scores s ON "
            "s.drill_id = d.id AND s.profile = ? WHERE " + where + " ORDER BY d.created DESC "
            "LIMIT 50",
            ["drillhall-rubric v1.0", *params],
        ).fetchall()
        print("  query plan (trainee filter):", "; ".join(row[-1] for row in plan))
        ids = [
            row[0]
            for row in store.db.execute(
                "SELECT DISTINCT drill_id FROM events LIMIT ?", [args.regrade]
            )
        ]
        profile = ScoringProfile(id="bench", version="2")
        start = time.perf_counter()
        done = sum(1 for _ in regrade(store, ids, profile))
        seconds = time.perf_counter() - start
        print(f"regrade: {done} drills in {seconds:.2f}s = {done / seconds:.0f} drills/s")
        entry = next(e for e in installed() if e.id == "flood-river-crest")
        compiled = load_bundle(entry.path, find_plan(entry.path, entry.plan)).compiled
        result = calibrate(compiled, args.calibrate)
        summary = result.summary()
        print(
            f"calibrate: {args.calibrate} novice runs of flood-river-crest in "
            f"{result.seconds:.2f}s ({args.calibrate / result.seconds:.0f} runs/s); "
            f"ratings {summary['ratings']}"
        )


if __name__ == "__main__":
    main()
