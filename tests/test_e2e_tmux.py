"""End to end in a real terminal: tmux runs the installed `drillhall`, we read the screen."""

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DATA, ROOT, start_headless_host

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


# Each test gets its own tmux server (-L) started from a clean environment: COLUMNS and
# LINES, which CI runners often export, would reach the pane and make Textual (through
# shutil.get_terminal_size) draw 80x24 inside a 120x40 pane.
_SOCKET = f"drillhall-tests-{uuid.uuid4().hex[:8]}"
_ENV = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "TMUX"}}


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", _SOCKET, "-f", os.devnull, *args],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    ).stdout


def _open_terminal(command: str) -> str:
    """A detached 120x40 tmux session running `command`; fails loudly if the size is wrong."""
    session = f"drillhall-{uuid.uuid4().hex[:8]}"
    _tmux("new-session", "-d", "-x", "120", "-y", "40", "-s", session, "-c", str(ROOT), command)
    size = _tmux("display-message", "-p", "-t", session, "#{window_width}x#{window_height}")
    assert size.strip() == "120x40", f"tmux made a {size.strip()} window, not 120x40"
    return session


def _close_terminal(session: str) -> None:
    subprocess.run(
        ["tmux", "-L", _SOCKET, "kill-session", "-t", session], capture_output=True, env=_ENV
    )


@pytest.fixture(autouse=True, scope="module")
def _own_tmux_server() -> Iterator[None]:
    yield
    subprocess.run(["tmux", "-L", _SOCKET, "kill-server"], capture_output=True, env=_ENV)


def _wait_for(session: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = _tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def _open_files_below(pid: int) -> list[str]:
    """Every file the process ``pid`` and its children hold open (Linux /proc)."""
    files, todo = [], [pid]
    while todo:
        proc = Path(f"/proc/{todo.pop()}")
        children = proc / "task" / proc.name / "children"
        if children.exists():
            todo += [int(c) for c in children.read_text().split()]
        for fd in (proc / "fd").glob("*"):
            try:
                files.append(os.readlink(fd))
            except OSError:
                continue
    return files


def test_a_followed_drill_in_a_terminal(tmp_path: Path) -> None:
    drillhall = Path(sys.executable).parent / "drillhall"
    command = (
        f"{drillhall} run {DATA / 'worked-scenario.yaml'} --plan {DATA / 'worked-plan.yaml'} "
        f"--bot ideal --speed 1500 --follow --lang zh --db {tmp_path / 'd.db'}; "
        "echo EXIT=$?; sleep 60"
    )
    session = _open_terminal(command)
    try:
        live = _wait_for(session, "▸ FLD-007", timeout=20)
        assert "得分" not in live  # the inject shows while the drill is still running
        screen = _wait_for(session, "EXIT=0", timeout=30)
        assert "XX站水位已超警戒水位0.3米" in screen
        assert "得分  100.0 / 100" in screen
        assert "评定  P 优" in screen
        assert "Traceback" not in screen
    finally:
        _close_terminal(session)


def test_a_whole_solo_drill_played_through_drillhall_play(tmp_path: Path) -> None:
    """Keys in, screen out: a trainee makes a decision, the drill runs to its end, and the
    results screen shows the score."""
    drillhall = Path(sys.executable).parent / "drillhall"
    command = (
        f"{drillhall} play flood-river-crest --role hydrology --speed 500 --lang en "
        f"--name Tester --db {tmp_path / 'd.db'}; echo EXIT=$?; sleep 60"
    )
    session = _open_terminal(command)
    try:
        _wait_for(session, "Hekou station starts", timeout=20)
        for key in ("C-d", "Enter", "Down", "Enter", "C-s"):  # action list, first action, submit
            _tmux("send-keys", "-t", session, key)
            time.sleep(0.4)
        _wait_for(session, "Recorded: Issue a flood forecast", timeout=10)
        for _ in range(3):  # the rest of the drill at 4000x: the speed keys work in a terminal
            _tmux("send-keys", "-t", session, "]")
            time.sleep(0.2)
        _wait_for(session, "×4000", timeout=5)
        screen = _wait_for(session, "Your score:", timeout=40)
        assert "Team score:" in screen and "Rating:" in screen
        assert "Traceback" not in screen
        _tmux("send-keys", "-t", session, "q")
        _wait_for(session, "EXIT=0", timeout=10)
    finally:
        _close_terminal(session)


def test_a_trainee_joins_a_hosted_drill_from_another_terminal(tmp_path: Path) -> None:
    """Host headless, join from tmux with keys, and the host applies the decision."""
    import sqlite3

    db = tmp_path / "d.db"
    host, code = start_headless_host(db)
    drillhall = Path(sys.executable).parent / "drillhall"
    command = (
        f"{drillhall} join {code} --role hydrology --name Wang --lang en; echo EXIT=$?; sleep 60"
    )
    session = _open_terminal(command)
    try:
        _wait_for(session, "Hekou station starts", timeout=20)
        for key in ("C-d", "Enter", "Down", "Enter", "C-s"):
            _tmux("send-keys", "-t", session, key)
            time.sleep(0.4)
        screen = _wait_for(session, "Recorded: Issue a flood forecast", timeout=15)
        assert "Traceback" not in screen
        # the trainee's process holds no file of the drill's database: only the gateway
        pid = _tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
        opened = _open_files_below(int(pid))
        assert opened and not any(str(db) in f for f in opened), opened
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
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert second.returncode == 2
        assert "role 'hydrology' is already taken by Wang" in second.stderr
    finally:
        _close_terminal(session)
        host.kill()
