"""End to end in a real terminal: tmux runs the installed `drillhall`, we read the screen."""

import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from .conftest import DATA, ROOT, start_headless_host

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def _wait_for(session: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def test_a_followed_drill_in_a_terminal(tmp_path):
    drillhall = Path(sys.executable).parent / "drillhall"
    session = f"drillhall-{uuid.uuid4().hex[:8]}"
    command = (
        f"{drillhall} run {DATA / 'worked-scenario.yaml'} --plan {DATA / 'worked-plan.yaml'} "
        f"--bot ideal --speed 1500 --follow --lang zh --db {tmp_path / 'd.db'}; "
        "echo EXIT=$?; sleep 60"
    )
    _tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", session, "-c", str(ROOT), command)
    try:
        live = _wait_for(session, "▸ FLD-007", timeout=20)
        assert "得分" not in live  # the inject shows while the drill is still running
        screen = _wait_for(session, "EXIT=0", timeout=30)
        assert "XX站水位已超警戒水位0.3米" in screen
        assert "得分  100.0 / 100" in screen
        assert "评定  P 优" in screen
        assert "Traceback" not in screen
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_a_whole_solo_drill_played_through_drillhall_play(tmp_path):
    """Keys in, screen out: a trainee makes a decision, the drill runs to its end, and the
    results screen shows the score."""
    drillhall = Path(sys.executable).parent / "drillhall"
    session = f"drillhall-{uuid.uuid4().hex[:8]}"
    command = (
        f"{drillhall} play flood-river-crest --role hydrology --speed 2000 --lang en "
        f"--name Tester --db {tmp_path / 'd.db'}; echo EXIT=$?; sleep 60"
    )
    _tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", session, "-c", str(ROOT), command)
    try:
        _wait_for(session, "Hekou station starts", timeout=20)
        for key in ("C-d", "Enter", "Down", "Enter", "C-s"):  # action list, first action, submit
            _tmux("send-keys", "-t", session, key)
            time.sleep(0.4)
        _wait_for(session, "Accepted: Issue a flood forecast", timeout=10)
        screen = _wait_for(session, "Your score:", timeout=40)
        assert "Team score:" in screen and "Rating:" in screen
        assert "Traceback" not in screen
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, "EXIT=0", timeout=10)
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_a_trainee_joins_a_hosted_drill_from_another_terminal(tmp_path):
    """Host headless, join from tmux with keys, and the host applies the decision."""
    import sqlite3

    db = tmp_path / "d.db"
    host, code = start_headless_host(db)
    drillhall = Path(sys.executable).parent / "drillhall"
    session = f"drillhall-{uuid.uuid4().hex[:8]}"
    command = (
        f"{drillhall} join {code} --role hydrology --name Wang --lang en --db {db}; "
        "echo EXIT=$?; sleep 60"
    )
    _tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", session, "-c", str(ROOT), command)
    try:
        _wait_for(session, "Hekou station starts", timeout=20)
        for key in ("C-d", "Enter", "Down", "Enter", "C-s"):
            _tmux("send-keys", "-t", session, key)
            time.sleep(0.4)
        screen = _wait_for(session, "Accepted: Issue a flood forecast", timeout=15)
        assert "Traceback" not in screen
        with sqlite3.connect(db) as conn:
            row = conn.execute(
                "SELECT status, result FROM submissions WHERE drill_id = ? AND name = 'Wang'",
                [code],
            ).fetchone()
        assert row[0] == "applied" and '"accepted":true' in row[1]
        # a second trainee on the same role is refused with the reason, not a traceback
        second = subprocess.run(
            [
                str(drillhall),
                "join",
                code,
                "--role",
                "hydrology",
                "--name",
                "Zhao",
                "--db",
                str(db),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 2
        assert "role 'hydrology' is already taken by Wang" in second.stderr
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        host.kill()
