"""Isolation enforced by the operating system: a trainee running as another user than the
trainer cannot read the drill's database, yet plays the drill through the host's gateway.

This is how a training room should run terminal exams (see README, "Hosting a drill"):
the trainer's database is private to the trainer, trainees log in as themselves.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from .conftest import start_headless_host

TRAINEE = """
import json, sys, time
from drills.port.views import DecisionRecorded, DecisionRefused, InjectArrived
from drills.rooms.remote import RemoteDrill
from engine.events import Decision

db, code = sys.argv[1:3]
try:
    open(db, "rb").read(16)
    read_db = "read"
except PermissionError:
    read_db = "denied"
remote = RemoteDrill(code, "hydrology", "Li")
answer = None
deadline = time.monotonic() + 30
while answer is None and time.monotonic() < deadline:
    for view in remote.advance():
        if isinstance(view, InjectArrived) and view.inject_id == "I01":
            remote.submit(Decision("hydrology", "issue_forecast", {}))
        if isinstance(view, (DecisionRecorded, DecisionRefused)):
            answer = type(view).__name__
    time.sleep(0.05)
print(json.dumps({"db": read_db, "answer": answer,
                  "expectations": len(remote.public.expectations)}))
"""


def _can_drop_privileges() -> str | None:
    if os.geteuid() != 0:
        return "needs root to run the trainee as another user"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    probe = subprocess.run(
        ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-c",
         "import drills.rooms.remote"],
        capture_output=True,
        env={**os.environ, "HOME": "/tmp"},
    )  # fmt: skip
    if probe.returncode != 0:
        return "user nobody cannot run this checkout's Python (directory permissions)"
    return None


def test_a_trainee_of_another_user_cannot_read_the_database_but_plays(tmp_path: Path) -> None:
    reason = _can_drop_privileges()
    if reason:
        pytest.skip(reason)
    # a directory every user can enter (pytest's own is private): only the file protects
    shared = Path(tempfile.mkdtemp(prefix="drillhall-room-"))
    shared.chmod(0o755)
    db = shared / "d.db"
    host, code = start_headless_host(db)
    try:
        assert db.stat().st_mode & 0o077 == 0  # Drillhall creates its databases private
        out = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
             "-c", TRAINEE, str(db), code],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "HOME": "/tmp"},
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["db"] == "denied"  # the OS keeps the answer key from the trainee
        assert result["answer"] == "DecisionRecorded"  # and the drill works all the same
        assert result["expectations"] > 0  # training mode: its own role's checklist only
    finally:
        host.kill()
        host.wait()
        shutil.rmtree(shared, ignore_errors=True)
