"""A real drill process killed with SIGKILL resumes from its journal with nothing lost."""

import json
import os
import signal
import subprocess
import sys

import pytest

from drills.store.database import Store

from .conftest import DATA, ROOT, NewDb, rows
from .waits import wait_for

pytestmark = pytest.mark.slow


def test_kill_9_mid_drill_then_resume(new_db: NewDb) -> None:
    db = new_db("drills")
    cmd = [
        sys.executable,
        "-m",
        "drills",
        "run",
        str(DATA / "branching-scenario.yaml"),
        "--plan",
        str(DATA / "worked-plan.yaml"),
        "--bot",
        "novice",
        "--seed",
        "4",
        "--speed",
        "1500",
        "--db",
        str(db),
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # mid-drill: decisions journaled, the drill well under way, not yet at its end
    wait_for(
        lambda: (
            len(rows(db, "SELECT seq FROM inputs")) >= 2
            and len(rows(db, "SELECT seq FROM events")) >= 10
        ),
        "the drill to be under way",
        30,
    )
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL, "the drill finished before it could be killed"

    [(drill_id, status, last_t)] = rows(db, "SELECT id, status, last_t FROM drills")
    assert status == "running" and 0 < last_t < 4 * 3600
    inputs_before = rows(db, "SELECT seq, t, data FROM inputs ORDER BY seq")
    events_before = rows(db, "SELECT seq, t, kind, data FROM events ORDER BY seq")
    assert inputs_before

    def let_go() -> bool:
        """Whether no live process holds the drill any more: SQLite's lock file is free
        once the kernel has reaped the process; a PostgreSQL server drops the dead
        session's advisory lock once it notices the closed connection, a moment later."""
        store = Store(db, create=False)
        try:
            return not store.playing(drill_id)
        finally:
            store.close()

    wait_for(let_go, "the killed drill to be let go of", 30)

    resumed = subprocess.run(
        [sys.executable, "-m", "drills", "resume", drill_id, "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Traceback" not in resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["drill_id"] == drill_id and result["rating"] in "PSMU"

    inputs_after = rows(db, "SELECT seq, t, data FROM inputs ORDER BY seq")
    events_after = rows(db, "SELECT seq, t, kind, data FROM events ORDER BY seq")
    assert inputs_after[: len(inputs_before)] == inputs_before  # every decision intact
    assert events_after[: len(events_before)] == events_before
    assert [r[0] for r in events_after] == list(range(1, len(events_after) + 1))
    assert events_after[-1][2] == "drill_ended"
    assert rows(db, "SELECT status FROM drills") == [("ended",)]

    replay = subprocess.run(
        [sys.executable, "-m", "drills", "replay", drill_id, "--db", str(db), "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stdout + replay.stderr
    assert json.loads(replay.stdout)["identical"] is True
