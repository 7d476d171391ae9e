"""End to end in a real terminal: tmux runs the installed `drillhall`, we read the screen.

Keys go in with `tmux send-keys`; every step waits for the text it should bring on screen
(or in the database), never for a fixed time."""

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import DATA, ROOT, NewDb, rows, start_headless_host

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


# Each test gets its own tmux server (-L) started from a clean environment: COLUMNS and
# LINES, which CI runners often export, would reach the pane and make Textual (through
# shutil.get_terminal_size) draw 80x24 inside a 120x40 pane.
# (no "drillhall" in the socket's name: a test reads /proc/net/unix for that word)
_SOCKET = f"dh-tests-{uuid.uuid4().hex[:8]}"
_ENV = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LINES", "TMUX"}}


def _tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", "-L", _SOCKET, "-f", os.devnull, *args],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    ).stdout


def _open_terminal(command: str, env: dict[str, str] | None = None) -> str:
    """A detached 120x40 tmux session running `command` (with ``env`` set in it, not on
    its command line); fails loudly if the size is wrong."""
    session = f"drillhall-{uuid.uuid4().hex[:8]}"
    setenv = [arg for k, v in (env or {}).items() for arg in ("-e", f"{k}={v}")]
    _tmux(
        "new-session", "-d", "-x", "120", "-y", "40", "-s", session, "-c", str(ROOT), *setenv,
        command,
    )  # fmt: skip
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


def _screen(session: str) -> str:
    """What the pane shows now (the visible screen only: a full-screen app redraws it)."""
    return _tmux("capture-pane", "-p", "-t", session)


def _wait_for(
    session: str, text: str | re.Pattern[str], timeout: float, *, history: bool = True
) -> str:
    """The pane's text once ``text`` (a literal, or a compiled regex) is in it."""
    deadline = time.monotonic() + timeout
    screen = ""

    def found(screen: str) -> bool:
        return bool(text.search(screen)) if isinstance(text, re.Pattern) else text in screen

    while time.monotonic() < deadline:
        if history:
            screen = _tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session)
        else:
            screen = _screen(session)
        if found(screen):
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def _wait_gone(session: str, text: str, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    screen = _screen(session)
    while text in screen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not go away; the screen was:\n{screen}")
        time.sleep(0.1)
        screen = _screen(session)
    return screen


def _keys(session: str, *keys: str) -> None:
    _tmux("send-keys", "-t", session, *keys)


def _type(session: str, text: str) -> None:
    _tmux("send-keys", "-t", session, "-l", text)


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


def _decisions(db: str, participant: str) -> list[str]:
    """The journaled decisions of ``participant`` (the bots' are journaled too), oldest
    first, as their JSON."""
    journal = rows(db, "SELECT data FROM inputs ORDER BY drill_id, seq")
    return [row[0] for row in journal if f'"participant":"{participant}"' in row[0]]


# The open list of actions: the action's name on a line of its own (the feedback log says
# "→ Recorded: Issue a flood forecast" once one has been taken, and stays on screen).
ACTION_LISTED = re.compile(r"(?<!Recorded: )Issue a flood forecast")


def _decide_forecast(session: str, crest: str, note: str) -> None:
    """F3, open the actions, the first (Issue a flood forecast), Enter; the crest; Tab to
    the note; type it; Enter there, which must not submit. Each step waits for the screen
    to show it (the line under the form says which field has the focus)."""
    _keys(session, "F3")
    _wait_for(session, "Enter opens the list", 20, history=False)
    _keys(session, "Enter")
    _wait_for(session, ACTION_LISTED, 20, history=False)  # the list is open
    _keys(session, "Down", "Enter")
    _wait_for(session, "Forecast crest (m)", 20, history=False)  # its parameter ...
    _wait_for(session, "Tab next field", 20, history=False)  # ... which has the focus
    _type(session, crest)
    _wait_for(session, crest, 20, history=False)
    _keys(session, "Tab")
    _wait_for(session, "Enter does not submit · F5 submit", 20, history=False)  # the note
    _type(session, note)
    _wait_for(session, note, 20, history=False)
    _keys(session, "Enter")  # Enter in the note: says how to submit, submits nothing
    _wait_for(session, "press F5 (or Ctrl+S)", 20, history=False)


def test_a_new_trainee_reads_the_briefing_decides_with_keys_quits_and_resumes(
    new_db: NewDb,
) -> None:
    """`drillhall play` as a new trainee would use it, keys only: the briefing, two injects
    answered (one reached with F9), Enter in the note that does not submit, F5 that does,
    Ctrl+Q with its question, then `drillhall resume` back into the same console."""
    drillhall = Path(sys.executable).parent / "drillhall"
    db = new_db("d")
    command = (
        f"{drillhall} play flood-river-crest --role hydrology --lang en --name Tester "
        f"--db {shlex.quote(db)}; exec bash --norc --noprofile"
    )
    session = _open_terminal(command)
    try:
        briefing = _wait_for(session, "Start the drill", 30, history=False)
        assert "Briefing" in briefing and "River crest and levee piping" in briefing
        assert "The water at Hekou station (fictional)" in briefing  # the summary
        assert "Member unit; monitors water levels" in briefing  # hydrology's duties
        assert "Role: City hydrology bureau" in briefing and "F5  Submit" in briefing
        _keys(session, "Enter")  # "Start the drill"
        _wait_gone(session, "Start the drill", 20)
        _wait_for(session, "Hekou station starts to rise", 20, history=False)

        # I01: forecast the crest; Enter in the note does not submit, F5 does
        _decide_forecast(session, "34.8", "first forecast")
        assert "Recorded" not in _screen(session) and _decisions(db, "Tester") == []
        _keys(session, "F5")
        _wait_for(session, "Recorded: Issue a flood forecast", 20, history=False)

        # F9: on to hydrology's next inject, I07 at 08:30 (2:30:00 into the drill)
        _keys(session, "F9")
        screen = _wait_for(session, "Hekou passes the warning level", 20, history=False)
        assert "06-30 08:3" in screen  # the clock bar
        _decide_forecast(session, "35.1", "revised forecast")
        _keys(session, "F5")
        _wait_for(session, re.compile(r"2:3\d:\d\d  → Recorded: Issue a flood"), 20, history=False)
        decided = _decisions(db, "Tester")
        assert len(decided) == 2
        assert '"note":"first forecast"' in decided[0] and '"crest":35.1' in decided[1]

        # Ctrl+Q asks first, then says how to come back
        _keys(session, "C-q")
        _wait_for(session, "Quit now?", 20, history=False)
        _keys(session, "BTab", "Enter")  # from Cancel (the safe default) to Quit, pressed
        farewell = _wait_for(session, re.compile(r"drillhall resume (d[0-9a-f]+|\w+)"), 15)
        match = re.search(r"Continue with: drillhall resume (\S+)", farewell)
        assert match, farewell
        drill = match.group(1)
        assert "Traceback" not in farewell

        # the same pane: resume, and the trainee's own console comes back with the inbox
        _type(session, f"{drillhall} resume {drill} --db {shlex.quote(db)} --lang en")
        _keys(session, "Enter")
        _wait_for(session, "Start the drill", 30, history=False)  # the briefing again
        _keys(session, "Enter")
        _wait_gone(session, "Start the drill", 20)
        screen = _wait_for(session, "2:30:00 [system] Hekou", 20, history=False)
        assert "0:00:00 [system] Hekou" in screen  # I01 and I07, read before quitting
        assert "Role: City hydrology bureau" in screen
        _keys(session, "C-q")
        _wait_for(session, "Quit now?", 20, history=False)
        _keys(session, "BTab", "Enter")
        screen = _wait_for(session, f"Continue with: drillhall resume {drill}", 15)
        assert "Traceback" not in screen
    finally:
        _close_terminal(session)


def test_a_trainee_joins_a_hosted_drill_from_another_terminal(new_db: NewDb) -> None:
    """Host headless, join from tmux with keys: one with --role and the seat token in the
    environment, one typing the token in the join screen (a password field) and picking
    the role it opens; the host applies the decision."""
    db = new_db("d")
    host, code, tokens = start_headless_host(db, wait_for=2)
    drillhall = Path(sys.executable).parent / "drillhall"
    command = (
        f"{drillhall} join {code} --role hydrology --name Wang --lang en; echo EXIT=$?; sleep 60"
    )
    session = _open_terminal(command, {"DRILLHALL_SEAT_TOKEN": tokens["hydrology"]})
    picker = ""
    try:
        _wait_for(session, "Close", 20, history=False)  # the briefing; the trainer starts
        assert "Role: City hydrology bureau" in _screen(session)
        assert "F6" not in _screen(session)  # the host's clock: no clock keys here
        _keys(session, "Enter")
        _wait_gone(session, "Key bindings", 20)

        def join(role: str, token: str | None) -> subprocess.CompletedProcess[str]:
            env = {k: v for k, v in os.environ.items() if k != "DRILLHALL_SEAT_TOKEN"}
            return subprocess.run(
                [str(drillhall), "join", code, "--role", role, "--name", "Zhao"],
                capture_output=True,
                text=True,
                timeout=30,
                env=env | ({"DRILLHALL_SEAT_TOKEN": token} if token else {}),
                stdin=subprocess.DEVNULL,
            )

        # refusals come with the reason and the documented exit code (3), not a traceback
        for role, token, reason in (
            ("hydrology", tokens["hydrology"], "role 'hydrology' is already taken by Wang"),
            ("hydrology", tokens["commander"], "is for role 'commander', not 'hydrology'"),
            ("hydrology", None, "no seat token: set DRILLHALL_SEAT_TOKEN"),
        ):
            refused = join(role, token)
            assert refused.returncode == 3, refused.stderr
            assert reason in refused.stderr and len(refused.stderr.splitlines()) == 1
            assert "Traceback" not in refused.stderr
        # no token in the environment: the join screen asks for it
        picker = _open_terminal(
            f"{drillhall} join {code} --name Zhao --lang en; echo EXIT=$?; sleep 60"
        )
        _wait_for(picker, "Seat token", 20, history=False)
        _type(picker, tokens["commander"])
        screen = _wait_for(picker, "•" * 8, 20, history=False)  # typed, shown as dots
        assert tokens["commander"][:8] not in screen
        _keys(picker, "Enter")
        roles = _wait_for(picker, "Pick your role", 20, history=False)
        assert "HQ commander (mayor)" in roles and "City hydrology bureau" not in roles
        _keys(picker, "Enter")  # the one role this token opens: the commander
        _wait_for(picker, "Role: HQ commander (mayor)", 20, history=False)
        joined = dict(rows(db, "SELECT role, name FROM participants"))
        assert joined == {"hydrology": "Wang", "commander": "Zhao"}
        # two have joined: the host starts, I01 reaches hydrology
        _wait_for(session, "Hekou station starts to rise", 30, history=False)
        _keys(session, "F3")
        _wait_for(session, "Enter opens the list", 20, history=False)
        _keys(session, "Enter")
        _wait_for(session, ACTION_LISTED, 20, history=False)
        _keys(session, "Down", "Enter")
        _wait_for(session, "Forecast crest (m)", 20, history=False)
        _keys(session, "F5")
        screen = _wait_for(session, "Recorded: Issue a flood forecast", 15, history=False)
        assert "Traceback" not in screen
        # the trainee's process holds no file of the drill's database: only the gateway
        pid = _tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
        opened = _open_files_below(int(pid))
        assert opened and not any(str(db) in f for f in opened), opened
        [row] = rows(
            db,
            "SELECT status, result FROM submissions WHERE drill_id = ? AND name = 'Wang'",
            [code],
        )
        assert row[0] == "applied" and '"accepted":true' in row[1]
    finally:
        _close_terminal(session)
        if picker:
            _close_terminal(picker)
        host.kill()
        host.wait()
