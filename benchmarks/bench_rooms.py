"""Load test: one host and N trainee clients as separate processes on one machine.

    python -m benchmarks.bench_rooms [--clients 30] [--injects 180] [--speed 60] [--kill]
                                     [--backend sqlite|postgresql|both] [--postgres URL]

The host runs headless (`drillhall host --headless --wait-for N`); each client joins a
role through the host's gateway and answers its injects (benchmarks/room_client.py, the
same path as a trainee console). Reports the latency from a client's submit to the
client seeing the engine's answer, and from the gateway storing a decision to the host
applying it (p50/p95/p99), and checks that every decision the clients made was stored,
applied and journaled exactly once. With --kill, the host is
killed with SIGKILL mid-drill and resumed (`drillhall resume CODE --headless`); the final
score must equal a replay of the journal. ``--backend postgresql`` puts the drill's
database on a PostgreSQL server (``--postgres URL``, or a throwaway cluster started with
tests/postgres.py); ``both`` runs the same load on each and prints them side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from benchmarks.synthetic import room
from drills.store.database import Store

DRILLHALL = [sys.executable, "-m", "drills"]
OUTAGE = 1.0  # seconds the killed host stays down
PATIENCE = 300.0  # seconds to wait for a condition before declaring the run stuck


def _wait_applied(db: str, code: str, count: int, host: subprocess.Popen[str]) -> None:
    """Until the host has applied ``count`` submissions (it must still be running)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if host.poll() is not None:
            raise RuntimeError(f"the host exited ({host.returncode}) before {count} were applied")
        store = Store(db, create=False)
        try:
            done = store.sql.execute(
                "SELECT COUNT(*) FROM submissions WHERE drill_id = ? AND status = 'applied'",
                [code],
            ).fetchone()[0]
        finally:
            store.close()
        if done >= count:
            return
        time.sleep(0.05)
    raise RuntimeError(f"fewer than {count} submissions applied after {PATIENCE:.0f} s")


def read_tokens(stdout: IO[str]) -> tuple[str, dict[str, str]]:
    """The drill code and the seat tokens (role → token) `drillhall host` prints first."""
    code = stdout.readline().split(":", 1)[1].strip()
    tokens: dict[str, str] = {}
    for line in iter(stdout.readline, ""):
        if line.startswith("starting when"):
            break
        if line.startswith("  "):
            role, token = line.split()
            tokens[role] = token
    return code, tokens


def run(
    clients: int, injects: int, speed: float, kill: bool, folder: Path, db: str
) -> dict[str, object]:
    scenario, plan = room(folder, clients, injects)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    host_cmd = [
        *DRILLHALL,
        "host",
        str(scenario),
        "--plan",
        str(plan),
        "--headless",
        "--wait-for",
        str(clients),
        "--speed",
        str(speed),
        "--db",
        str(db),
    ]
    host = subprocess.Popen(host_cmd, stdout=subprocess.PIPE, text=True, env=env)
    assert host.stdout is not None
    code, tokens = read_tokens(host.stdout)
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "benchmarks.room_client",
                code,
                f"r{i}",
                f"trainee-{i}",
                str(scenario),
                str(plan),
                str(folder / "clients.jsonl"),
            ],
            env={**env, "DRILLHALL_SEAT_TOKEN": tokens[f"r{i}"]},  # never on a command line
        )
        for i in range(clients)
    ]
    try:
        return _finish(code, folder, db, env, host, procs, clients, injects, speed, kill)
    finally:
        everyone: list[subprocess.Popen[Any]] = [host, *procs]
        for proc in everyone:  # never leave clients polling a deleted database
            if proc.poll() is None:
                proc.kill()


def _finish(
    code: str,
    folder: Path,
    db: str,
    env: dict[str, str],
    host: subprocess.Popen[str],
    procs: list[subprocess.Popen[bytes]],
    clients: int,
    injects: int,
    speed: float,
    kill: bool,
) -> dict[str, object]:
    resumed = False
    if kill:
        _wait_applied(db, code, injects // 2, host)  # half way through, by what happened
        os.kill(host.pid, signal.SIGKILL)
        host.wait()
        time.sleep(OUTAGE)  # the outage: clients keep deciding into their outboxes
        host = subprocess.Popen(
            [
                *DRILLHALL,
                "resume",
                code,
                "--headless",
                "--json",
                "--speed",
                str(speed),
                "--db",
                db,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        resumed = True
    host.wait(timeout=600)
    for proc in procs:
        proc.wait(timeout=60)
    store = Store(db, create=False)
    subs = store.sql.execute(
        "SELECT id, submitted, applied, status FROM submissions WHERE drill_id = ?", [code]
    ).fetchall()
    keys = [
        json.loads(d).get("key")
        for (d,) in store.sql.execute("SELECT data FROM inputs WHERE drill_id = ?", [code])
    ]
    store.close()
    sub_keys = [k for k in keys if k and k.startswith("sub:")]
    latencies = sorted(
        (datetime.fromisoformat(a) - datetime.fromisoformat(s)).total_seconds() * 1000
        for _, s, a, status in subs
        if status == "applied"
    )
    replay = subprocess.run(
        [*DRILLHALL, "replay", code, "--json", "--db", db],
        capture_output=True,
        text=True,
        env=env,
    )
    replayed = json.loads(replay.stdout)

    reports = [json.loads(line) for line in (folder / "clients.jsonl").read_text().splitlines()]
    seen = sorted(s * 1000 for r in reports for s in r["answered"])

    def pct(values: list[float], p: float) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))], 1)

    def summary(values: list[float]) -> dict[str, float] | None:
        if not values:
            return None
        return {
            "p50": pct(values, 0.5),
            "p95": pct(values, 0.95),
            "p99": pct(values, 0.99),
            "mean": round(statistics.fmean(values), 1),
        }

    return {
        "clients": clients,
        "clients_reported": len(reports),
        "made": sum(r["made"] for r in reports),
        "answers_seen": len(seen),
        "submitted": len(subs),
        "applied": sum(1 for *_, status in subs if status == "applied"),
        "journaled": len(sub_keys),
        "journaled_once": len(sub_keys) == len(set(sub_keys)),
        "all_applied_journaled": {f"sub:{i}" for i, *_ in subs} == set(sub_keys),
        "submit_to_answer_seen_ms": summary(seen),
        "stored_to_applied_ms": summary(latencies),
        "host_killed_and_resumed": resumed,
        "replay_identical": replayed["identical"],
        "replay_same_score": replayed["same_score"],
        "score": replayed["score"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=30)
    parser.add_argument("--injects", type=int, default=180)
    parser.add_argument("--speed", type=float, default=60)
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--postgres", help="a postgresql:// URL of a maintenance database")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        for backend in backends:
            folder = Path(tmp) / backend
            folder.mkdir()
            db = str(folder / "room.db")
            if backend == "postgresql":
                from tests.postgres import fresh_database, throwaway_cluster

                server = args.postgres or stack.enter_context(throwaway_cluster())
                db = fresh_database(server)
            results[backend] = run(args.clients, args.injects, args.speed, args.kill, folder, db)
    print(json.dumps(results if len(results) > 1 else results[backends[0]], indent=2))


if __name__ == "__main__":
    main()
