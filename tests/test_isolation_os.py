"""Isolation enforced by the operating system: a trainee running as another user than the
trainer cannot read the drill's database, cannot join without the seat token, and cannot
pass for the host; with the token it plays the drill through the host's gateway.

This is how a training room should run terminal exams (see README, "Hosting a drill"):
the trainer's database is private to the trainer, trainees log in as themselves, and
each gets the seat token of their role from the trainer, privately.
"""

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from drills.rooms import seats

from .conftest import ROOT, start_headless_host

NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]

TRAINEE = """
import json, os, sys, time
from drills.port.views import DecisionRecorded, DecisionRefused, InjectArrived
from drills.rooms.remote import RemoteDrill
from engine.events import Decision

db, code = sys.argv[1:3]
try:
    open(db, "rb").read(16)
    read_db = "read"
except PermissionError:
    read_db = "denied"
remote = RemoteDrill(code, "hydrology", "Li", token=os.environ["DRILLHALL_SEAT_TOKEN"])
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

# Another user who knows the code (from `ps`) but has no token: every abstract socket on
# the machine is tried with the requests a trainee would send, and a made-up hello.
INTRUDER = """
import json, socket, sys
code = sys.argv[1]
names = [line.split()[-1][1:] for line in open("/proc/net/unix").read().splitlines()[1:]
         if line.split()[-1].startswith("@")]
answers, squatted = [], []
for name in names:
    for request in ({"op": "roles", "code": code},
                    {"op": "join", "code": code, "role": "hydrology", "name": "Eve"},
                    {"op": "hello", "seat": "0" * 32, "nonce": "0" * 64}):
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(1)
                sock.connect("\\0" + name)
                sock.sendall(json.dumps(request).encode() + b"\\n")
                line = sock.makefile("rb").readline(4096)
                answers.append(json.loads(line) if line.startswith(b"{") else None)
        except (OSError, ValueError):
            continue
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind("\\0" + name)  # taken while its owner lives
            squatted.append(name)
    except OSError:
        pass
print(json.dumps({"names": names, "answers": answers, "squatted": squatted}))
"""

# After the host died: another user binds the drill's address (seen in /proc/net/unix
# while it was hosted), answers like a host would, and prints every line it is sent.
SQUATTER = """
import json, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind("\\0" + sys.argv[1])
srv.listen(8)
print("bound", flush=True)
forged = json.dumps({"ok": True, "nonce": "1" * 64, "proof": "2" * 64}).encode() + b"\\n"
while True:
    conn, _ = srv.accept()
    with conn, conn.makefile("rb") as reader:
        for line in reader:
            print(line.decode().strip(), flush=True)
            conn.sendall(forged)
"""


def _can_drop_privileges() -> str | None:
    if os.geteuid() != 0:
        return "needs root to run the trainee as another user"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    probe = subprocess.run(
        [*NOBODY, sys.executable, "-c", "import drills.rooms.remote"],
        capture_output=True,
        env={**os.environ, "HOME": "/tmp"},
    )
    if probe.returncode != 0:
        return "user nobody cannot run this checkout's Python (directory permissions)"
    return None


def as_nobody(args: list[str], token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != seats.ENV_TOKEN} | {"HOME": "/tmp"}
    if token is not None:
        env[seats.ENV_TOKEN] = token
    return subprocess.run(
        [*NOBODY, sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
    )


def test_another_user_cannot_join_without_the_token_nor_read_nor_impersonate(
    tmp_path: Path,
) -> None:
    reason = _can_drop_privileges()
    if reason:
        pytest.skip(reason)
    # a directory every user can enter (pytest's own is private): only the file protects
    shared = Path(tempfile.mkdtemp(prefix="room-"))
    shared.chmod(0o755)
    db = shared / "d.db"
    host, code, tokens = start_headless_host(db)
    address = seats.SeatKey.from_token(tokens["hydrology"]).address[1:]
    squatter: subprocess.Popen[str] | None = None
    try:
        assert db.stat().st_mode & 0o077 == 0  # Drillhall creates its databases private
        # 1. the code alone (it shows in `ps`) opens nothing: not the CLI, not the socket
        join = ["-m", "drills", "join", code, "--role", "hydrology", "--name", "Eve"]
        refused = as_nobody(join)
        assert refused.returncode == 3 and len(refused.stderr.splitlines()) == 1
        assert "no seat token" in refused.stderr
        room = tokens["hydrology"].partition("-")[0]  # even knowing the room part
        wrong = as_nobody(join, token=seats.new_token(room))
        assert wrong.returncode == 3 and len(wrong.stderr.splitlines()) == 1
        assert "this seat token is not valid" in wrong.stderr
        intruder = as_nobody(["-c", INTRUDER, code])
        assert intruder.returncode == 0, intruder.stderr
        tried = json.loads(intruder.stdout)
        assert address in tried["names"] and address not in tried["squatted"]
        assert not [a for a in tried["answers"] if a and a.get("ok")], tried["answers"]
        listed = [
            line for line in Path("/proc/net/unix").read_text().splitlines() if address in line
        ]
        assert listed and not [line for line in listed if "drillhall" in line or code in line]
        # 2. with its seat token, the same user plays; the database stays out of reach
        out = as_nobody(["-c", TRAINEE, str(db), code], token=tokens["hydrology"])
        assert out.returncode == 0, out.stderr
        result = json.loads(out.stdout)
        assert result["db"] == "denied"  # the OS keeps the answer key from the trainee
        assert result["answer"] == "DecisionRecorded"  # and the drill works all the same
        assert result["expectations"] > 0  # training mode: its own role's checklist only
        # 3. the host dies; the other user takes its address and plays host
        host.kill()
        host.wait()
        squatter = subprocess.Popen(
            [*NOBODY, sys.executable, "-c", SQUATTER, address],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "HOME": "/tmp"},
        )
        assert squatter.stdout is not None and squatter.stdout.readline() == "bound\n"
        who = f"pid {squatter.pid} (uid {pwd.getpwnam('nobody').pw_uid})"
        # a trainee's console refuses it, in one line, and sends it nothing of theirs
        trainee = subprocess.run(
            [sys.executable, "-m", "drills", "join", code, "--role", "hydrology", "--name", "Li"],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
            env={**os.environ, seats.ENV_TOKEN: tokens["hydrology"]},
        )
        assert trainee.returncode == 3 and len(trainee.stderr.splitlines()) == 1
        assert f"the drill's address is held by {who}, which is not the drill's host" in (
            trainee.stderr
        )
        # the trainer's resume names the squatter instead of saying "already hosted"
        resume = subprocess.run(
            [sys.executable, "-m", "drills", "resume", code, "--headless", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        assert resume.returncode == 3 and len(resume.stderr.splitlines()) == 1
        assert re.search(
            rf"address of drill {code} is held by {re.escape(who)}, which is not the drill's "
            "host",
            resume.stderr,
        ), resume.stderr
    finally:
        if host.poll() is None:
            host.kill()
            host.wait()
        sent = ""
        if squatter is not None:
            squatter.kill()
            sent = squatter.communicate()[0]
        shutil.rmtree(shared, ignore_errors=True)
    lines = [json.loads(line) for line in sent.splitlines()]
    assert lines and {line["op"] for line in lines} == {"hello"}  # a seat id and a nonce
    assert tokens["hydrology"] not in sent and "Li" not in sent
