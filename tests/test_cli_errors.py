"""Failing disks, locked and broken databases, and bad arguments get an answer: one line,
``drillhall: <what failed> (<path>)`` or a bad option named, and a documented exit code —
never a traceback (issue 12, "Databases and the command line", items 4 and 5).

Exit codes: 0 ok, 1 invalid input, 2 database or environment, 3 refused by a hosted drill.
Real processes where they matter (kill, locks, a deleted ``-wal``, 30 first uses at once,
a full or read-only file system, permissions); click's runner elsewhere.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drills.cli import common
from drills.cli.main import main
from drills.play.session import DrillSession
from drills.store import paths
from drills.store.database import DRILL_TABLES, DrillBusy, NoDatabase, Store, StoreError
from drills.store.history import Filters, history
from drills.store.locks import FileLock, LockHeld
from engine.bundle import Bundle
from engine.events import Event

from .conftest import DATA, ROOT, start_headless_host
from .waits import wait_for

WORKED = [str(DATA / "worked-scenario.yaml"), "--plan", str(DATA / "worked-plan.yaml")]
DRILLHALL = [sys.executable, "-m", "drills"]


def journaled_events(db: Path) -> int:
    """Events the running drill has committed (0 while the table is not there yet)."""
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return int(conn.execute("SELECT COUNT(*) FROM events").fetchone()[0])
    except sqlite3.Error:
        return 0


def cli(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), prog_name="drillhall")


def answered(result: Result, code: int, *words: str) -> str:
    """The command failed with ``code`` and one line on stderr, no traceback; returns it."""
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"traceback: {result.exception!r}\n{result.output}"
    )
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("drillhall: "), lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def proc_answered(proc: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == code, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("drillhall: "), proc.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def played(tmp_path: Path) -> tuple[Path, str]:
    """A database holding one ended drill."""
    db = tmp_path / "d.db"
    result = cli("run", *WORKED, "--bot", "novice", "--json", "--db", str(db))
    assert result.exit_code == 0, result.output
    return db, json.loads(result.stdout)["drill_id"]


def drill_rows(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        return [(r[0], r[1]) for r in conn.execute("SELECT id, status FROM drills")]


@pytest.fixture(autouse=True)
def _quiet_logs() -> Iterator[None]:
    """Commands that log (host, trainer, resume) add a file handler: take it off again."""
    yield
    logger = logging.getLogger("drills")
    for handler in list(logger.handlers):
        if not isinstance(handler, logging.NullHandler):
            logger.removeHandler(handler)
            handler.close()


# -- 1. one error path: storage failures after opening -----------------------------------


def test_a_locked_database_is_one_line_and_exit_2(
    played: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, drill = played
    monkeypatch.setattr("drills.store.database.BUSY_TIMEOUT", 0.2)
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock past the busy timeout
    try:
        line = answered(cli("note", drill, "hello", "--author", "Li", "--db", str(db)), 2)
        assert line == (f"drillhall: cannot add a note to drill {drill}: database is locked ({db})")
        answered(cli("run", *WORKED, "--db", str(db)), 2, "database is locked", str(db))
        assert cli("history", "--db", str(db)).exit_code == 0  # readers are not blocked (WAL)
    finally:
        other.execute("ROLLBACK")
        other.close()


def _full_after(pages: int) -> object:
    """Store._connect that caps the file at its size now plus ``pages``: SQLite itself
    answers SQLITE_FULL ("database or disk is full"), as on a full disk."""
    connect = Store._connect

    def capped(self: Store, create: bool) -> sqlite3.Connection:
        conn = connect(self, create)
        size = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {size + pages}")
        return conn

    return capped


def test_a_full_disk_while_journaling_is_one_line_and_exit_2(
    played: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = played
    assert cli("run", "flood-river-crest", "--db", str(db)).exit_code == 0  # texts stored
    monkeypatch.setattr(Store, "_connect", _full_after(2))
    result = cli("run", "flood-river-crest", "--bot", "novice", "--db", str(db))
    answered(result, 2, "cannot write the journal of drill", "database or disk is full", f"({db})")
    assert "Score" not in result.stdout


def _in_mount_namespace() -> str | None:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return "needs root and unshare(1) to mount a private file system"
    probe = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
        capture_output=True,
    )
    return None if probe.returncode == 0 else "cannot mount in a private namespace here"


@pytest.mark.slow
def test_a_really_full_file_system(tmp_path: Path) -> None:
    """A 2 MB tmpfs, filled to its last 96 kB: the next drill does not fit."""
    reason = _in_mount_namespace()
    if reason:
        pytest.skip(reason)
    where = tmp_path / "full"
    where.mkdir()
    db = where / "d.db"
    script = f"""
set -e
mount -t tmpfs -o size=2m tmpfs {where}
{" ".join(DRILLHALL)} run {" ".join(WORKED)} --db {db} --json > /dev/null
avail=$(df -k --output=avail {where} | tail -1)
dd if=/dev/zero of={where}/filler bs=1k count=$((avail - 96)) 2>/dev/null || true
set +e
{" ".join(DRILLHALL)} run flood-river-crest --db {db} --json
echo "exit=$?" >&2
"""
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "exit=2", proc.stderr
    assert lines[-2].startswith("drillhall: ") and "disk is full" in lines[-2], proc.stderr
    assert len(lines) == 2, proc.stderr


def _without_root_powers() -> str | None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        return "needs root and setpriv(1) to drop the capability to ignore permissions"
    probe = subprocess.run(
        ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", "true"],
        capture_output=True,
    )
    return None if probe.returncode == 0 else "setpriv cannot drop capabilities here"


@pytest.mark.slow
def test_read_only_file_and_permission_denied(played: tuple[Path, str], tmp_path: Path) -> None:
    """As a user without root's power over permissions: a read-only database, and a
    folder nobody may enter."""
    reason = _without_root_powers()
    if reason:
        pytest.skip(reason)
    db, drill = played
    shut = tmp_path / "shut"
    shut.mkdir(mode=0o000)
    db.chmod(0o444)
    drop = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *DRILLHALL]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*drop, *args], capture_output=True, text=True, timeout=60, cwd=ROOT)

    try:
        proc_answered(
            run("note", drill, "hello", "--author", "Li", "--db", str(db)),
            2,
            f"cannot add a note to drill {drill}: attempt to write a readonly database ({db})",
        )
        proc_answered(run("run", *WORKED, "--db", str(db)), 2, "readonly database")
        assert run("history", "--db", str(db)).returncode == 0  # reading still works
        locked_out = shut / "d.db"
        proc_answered(run("history", "--db", str(locked_out)), 2, "permission denied")
        proc_answered(run("run", *WORKED, "--db", str(locked_out)), 2, "permission denied")
    finally:
        shut.chmod(0o700)
        db.chmod(0o600)


@pytest.mark.slow
def test_a_read_only_file_system(played: tuple[Path, str]) -> None:
    reason = _in_mount_namespace()
    if reason:
        pytest.skip(reason)
    db, drill = played
    folder = db.parent
    drillhall = " ".join(DRILLHALL)
    script = f"""
mount --bind {folder} {folder} && mount -o remount,ro,bind {folder} || exit 99
{drillhall} note {drill} hello --author Li --db {db}; echo "exit=$?" >&2
"""
    proc = subprocess.run(
        ["unshare", "-m", "--propagation", "private", "sh", "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert lines[-1] == "exit=2" and len(lines) == 2, proc.stderr
    assert lines[0].startswith("drillhall: ") and f"({db})" in lines[0], proc.stderr


def test_corrupt_pages_are_answered_never_a_traceback(tmp_path: Path) -> None:
    """Seeded damage (1-3 spots of 1-64 random bytes in random pages) to a database of 7
    drills; ten commands on each copy. Each answers: ok, invalid (1), or one line exit 2."""
    base = tmp_path / "base.db"
    for seed in range(6):
        ran = cli("run", *WORKED, "--seed", str(seed), "--json", "--db", str(base))
        assert ran.exit_code == 0
    assert cli("run", "flood-river-crest", "--json", "--db", str(base)).exit_code == 0
    with sqlite3.connect(base) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        ids = [r[0] for r in conn.execute("SELECT id FROM drills")]
    pages = base.stat().st_size // 4096
    tracebacks, codes = [], {0: 0, 1: 0, 2: 0}
    for k in range(24):
        rng = random.Random(k)
        db = tmp_path / f"c{k}.db"
        data = bytearray(base.read_bytes())
        for _ in range(rng.randint(1, 3)):
            spot = rng.randrange(1, pages) * 4096 + rng.randrange(0, 4096 - 64)
            size = rng.choice([1, 8, 64])
            data[spot : spot + size] = bytes(rng.randrange(256) for _ in range(size))
        db.write_bytes(bytes(data))
        drill = rng.choice(ids)
        commands = [
            ["history"], ["trends", "--by", "rule"], ["score", drill], ["journal", drill],
            ["replay", drill], ["report", drill, "--format", "md"], ["run", *WORKED],
            ["note", drill, "x", "--author", "y"], ["regrade"],
            ["whatif", drill, "--change", "remove 1"],
        ]  # fmt: skip
        for command in commands:
            result = cli(*command, "--db", str(db))
            if not (result.exception is None or isinstance(result.exception, SystemExit)):
                tracebacks.append((k, command[0], repr(result.exception)))
                continue
            assert result.exit_code in codes, result.output
            codes[result.exit_code] += 1
            if result.exit_code == 2:
                last = result.stderr.strip().splitlines()[-1]
                assert last.startswith("drillhall: ") and f"({db}" in last, last
    assert tracebacks == []
    assert codes[2] > 0  # the damage was seen, and answered


@pytest.mark.sqlite
def test_storage_errors_say_what_failed_and_where(store: Store) -> None:
    store.db.close()  # every later call fails inside SQLite
    with pytest.raises(StoreError) as failed:
        store.inputs("abc12345")
    assert str(failed.value) == (
        "cannot read the journal of drill abc12345: Cannot operate on a closed database. "
        f"({store.path})"
    )
    with pytest.raises(StoreError, match=r"cannot read the journal of drill abc"):
        list(store.iter_events("abc"))


def test_damaged_rows_are_store_errors(played: tuple[Path, str]) -> None:
    db, drill = played
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE events SET data = '{not json' WHERE drill_id = ? AND seq = 2", [drill])
    answered(cli("journal", drill, "--db", str(db)), 2, "damaged data", f"({db})")
    answered(cli("score", drill, "--db", str(db)), 2, f"journal of drill {drill}")


# -- 2. arguments are checked before anything starts ---------------------------------------


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["calibrate", "flood-river-crest", "--runs", "0"], 1, ["--runs"]),
        (["calibrate", "flood-river-crest", "--runs", "-3"], 1, ["--runs"]),
        (["run", *WORKED, "--speed", "-1"], 1, ["--speed", "0 (as fast as possible) or more"]),
        (["run", *WORKED, "--speed", "nan"], 1, ["--speed"]),
        (["run", *WORKED, "--speed", "inf"], 1, ["--speed"]),
        (["resume", "abc", "--speed", "-2"], 1, ["--speed"]),
        (["play", "flood-river-crest", "--speed", "0"], 1, ["--speed", "more than 0"]),
        (["trainer", "flood-river-crest", "--speed", "-1"], 1, ["--speed"]),
        (["host", "flood-river-crest", "--headless", "--speed", "0"], 1, ["--speed"]),
        (["host", "flood-river-crest", "--headless", "--wait-for", "-1"], 1, ["--wait-for"]),
        (["history", "--since", "2026-13-45"], 1, ["--since", "not a date"]),
        (["history", "--until", "2026-02-30"], 1, ["--until"]),
        (["trends", "--since", "yesterday"], 1, ["--since"]),
        (["history", "--limit", "0"], 1, ["--limit"]),
        (["serve", "--port", "70000"], 1, ["--port"]),
        (["improve", "abc", "F1", "--due", "2026-02-30"], 1, ["--due"]),
        (["run", *WORKED, "--seed", str(2**64)], 1, ["--seed"]),
        (["host", "flood-river-crest", "--seed", str(-(2**64))], 1, ["--seed"]),
        (["history", "--limit", str(2**64)], 1, ["--limit"]),
        (["nosuchcommand"], 1, ["no such command"]),
        (["run"], 1, ["missing argument"]),
    ],
)
def test_bad_arguments_are_one_line_before_anything_starts(
    tmp_path: Path, args: list[str], code: int, words: list[str]
) -> None:
    db = tmp_path / "never.db"
    without_db = args[0] in ("calibrate", "serve", "nosuchcommand")
    line = answered(cli(*args, *([] if without_db else ["--db", str(db)])), code, *words)
    assert "(see: drillhall" in line
    assert not db.exists()  # nothing was created: no orphan drill


def test_bad_values_in_a_drill_are_invalid_input(played: tuple[Path, str]) -> None:
    db, drill = played
    answered(cli("whatif", drill, "--change", "bogus", "--db", str(db)), 1, "--change")
    answered(cli("whatif", drill, "--change", "remove 99", "--db", str(db)), 1, "not a decision")
    answered(cli("note", drill, " ", "--author", "Li", "--db", str(db)), 1, "needs some text")
    answered(
        cli("signoff", drill, "--name", "", "--capacity", "evaluator", "--db", str(db)),
        1,
        "signer's name",
    )


def test_output_files_are_checked_before_the_work(played: tuple[Path, str], tmp_path: Path) -> None:
    db, drill = played
    line = answered(cli("trends", "--csv", "/no/dir/t.csv", "--db", str(db)), 2)
    assert line == "drillhall: cannot write t.csv: no such folder (/no/dir)"
    answered(cli("report", drill, "-o", "/no/dir/x.html", "--db", str(db)), 2, "(/no/dir)")
    answered(cli("report", drill, "-o", str(tmp_path), "--db", str(db)), 1, "is a directory")
    out = tmp_path / "r.html"
    assert cli("report", drill, "-o", str(out), "--format", "html", "--db", str(db)).exit_code == 0
    assert out.read_text().startswith("<!")


def test_files_written_where_they_cannot_be_are_exit_2(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    answered(cli("new", "plan", "p", "-o", str(blocker / "p.yaml")), 2, f"({blocker}")
    answered(cli("schema", "--out", str(blocker)), 1, "is a file")
    answered(cli("schema", "--out", str(tmp_path / "none")), 2, "cannot write plan.schema.json")


READERS = [
    ["history"],
    ["trends"],
    ["regrade"],
    ["report", "abc"],
    ["replay", "abc"],
    ["journal", "abc"],
    ["score", "abc"],
    ["whatif", "abc", "--change", "remove 1"],
    ["note", "abc", "text", "--author", "Li"],
    ["signoff", "abc", "--name", "Li", "--capacity", "evaluator"],
    ["improve", "abc"],
    ["resume", "abc"],
    ["review"],
]


@pytest.mark.parametrize("args", READERS, ids=[a[0] for a in READERS])
def test_commands_on_drills_never_create_a_database(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "drilhall" / "drillhall.db"
    line = answered(cli(*args, "--db", str(typo)), 2)
    assert line == f"drillhall: no database at {typo}"
    assert not typo.exists() and not typo.parent.exists()


def test_store_without_create_refuses_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(NoDatabase, match="no database at"):
        Store(tmp_path / "missing.db", create=False)
    assert not (tmp_path / "missing.db").exists()


def test_id_prefixes_match_literally(played: tuple[Path, str]) -> None:
    db, drill = played
    for wildcard in ("%", "_", "_" * 8, drill[:2] + "%", "%" + drill[-1]):
        answered(cli("score", wildcard, "--db", str(db)), 2, f"no drill {wildcard!r}")
    assert cli("score", drill[:3], "--db", str(db)).exit_code == 0  # a real prefix still works
    store = Store(db, create=False)
    try:
        assert history(store, Filters(search="%")) == []
        assert history(store, Filters(search="_")) == []
        assert [r["id"] for r in history(store, Filters(search=drill[:4]))] == [drill]
    finally:
        store.close()


def test_a_wrong_join_code_is_refused_by_the_room_exit_3() -> None:
    result = subprocess.run(
        [*DRILLHALL, "join", "0badc0de", "--role", "hydrology", "--name", "Li"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    proc_answered(result, 3, "0badc0de")


def test_dates_are_real_dates_not_strings(played: tuple[Path, str]) -> None:
    db, drill = played
    future = json.loads(cli("history", "--since", "2999-01-01", "--json", "--db", str(db)).stdout)
    assert future == []
    past = json.loads(cli("history", "--since", "2000-01-01", "--json", "--db", str(db)).stdout)
    assert [r["id"] for r in past] == [drill]
    timed = cli("history", "--since", "2000-01-01T08:00+08:00", "--json", "--db", str(db))
    assert [r["id"] for r in json.loads(timed.stdout)] == [drill]


# -- 3. no drill left running by a failed start -------------------------------------------


def test_a_start_that_fails_leaves_no_drill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "d.db"

    def boom(self: object) -> None:
        raise RuntimeError("the engine broke before the first tick")

    monkeypatch.setattr("engine.runner.Runner.start", boom)
    result = cli("run", *WORKED, "--db", str(db))
    assert isinstance(result.exception, RuntimeError)  # a bug stays a bug, but ...
    assert drill_rows(db) == []  # ... no drill is left "running"
    assert not list(tmp_path.glob("d.db-*.lock"))


def test_a_bot_run_that_fails_before_journaling_leaves_no_drill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "d.db"

    def boom(self: DrillSession) -> object:
        self.runner.run_until(3600)  # events and bot decisions, nothing journaled yet
        raise OverflowError("a duration of 2**63 s")

    monkeypatch.setattr(DrillSession, "run_headless", boom)
    result = cli("run", *WORKED, "--db", str(db))
    assert isinstance(result.exception, OverflowError)
    assert drill_rows(db) == []


def test_a_hosted_drill_that_cannot_be_served_leaves_no_drill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drills.store.rooms import RoomError

    db = tmp_path / "d.db"

    def squatted(live: object) -> object:
        raise RoomError("drill is already hosted by another process (Address already in use)")

    monkeypatch.setattr("drills.rooms.hosting.open_room", squatted)
    result = cli("host", "flood-river-crest", "--headless", "--db", str(db))
    answered(result, 3, "already hosted")
    assert drill_rows(db) == []


def test_a_drill_with_journaled_inputs_is_kept(store: Store, worked_bundle: Bundle) -> None:
    from engine.events import Decision

    session = DrillSession.create(store, worked_bundle, bots={})
    session.submit(60, Decision("duty_chief", "report"))
    assert not session.discard_if_unstarted()  # someone decided something: resumable
    assert store.drill(session.drill_id).status == "running"
    fresh = DrillSession.create(store, worked_bundle, bots={})
    assert fresh.discard_if_unstarted()
    with store.sql.transaction():
        for table in DRILL_TABLES:
            count = store.sql.execute(
                f"SELECT COUNT(*) FROM {table} WHERE drill_id = ?", (fresh.drill_id,)
            ).fetchone()[0]
            assert count == 0, table


# -- 4. files replaced under a running drill; one writer; first uses; network ------------


def _start_paced_run(db: Path, speed: int) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [*DRILLHALL, "run", *WORKED, "--speed", str(speed), "--db", str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # "drill <id> running at 120x; resume with: ..."
    assert first.startswith("drill "), first
    return proc, first.split()[1]


@pytest.mark.slow
def test_a_deleted_wal_stops_the_drill_with_exit_2(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    proc, _ = _start_paced_run(db, speed=600)  # 3 h in 18 s: it ends soon, and must not
    wal = tmp_path / "d.db-wal"
    try:
        wait_for(lambda: journaled_events(db) > 5 and wal.exists(), "a few ticks journaled")
        wal.unlink()
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 2, out + err
    assert "Traceback" not in err and "Score" not in out and "Rating" not in out
    lines = err.strip().splitlines()
    assert lines == [
        f"drillhall: the database's write-ahead log was deleted while in use: the latest "
        f"changes are lost ({wal})"
    ]


def test_a_replaced_database_file_is_detected(tmp_path: Path, worked_bundle: Bundle) -> None:
    path = tmp_path / "d.db"
    store = Store(path)
    session = DrillSession.create(store, worked_bundle, bots={})
    session.tick(600)
    other = tmp_path / "other.db"
    Store(other).close()
    os.replace(other, path)  # someone restores a backup over the running drill's file
    with pytest.raises(StoreError, match=r"database file was replaced while in use"):
        session.run_headless()
    path.unlink()
    with pytest.raises(StoreError, match=r"database file was deleted while in use"):
        store.append_events(session.drill_id, [Event(99, 1, "x", {})], 1)


@pytest.mark.slow
def test_a_second_writer_on_a_live_drill_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "d.db"
    proc, drill = _start_paced_run(db, speed=60)
    try:
        lock = db.parent / f"{db.name}-{drill}.lock"

        def held() -> bool:  # the file is made, then locked, then given the holder's pid
            with contextlib.suppress(FileNotFoundError):
                return lock.read_text().strip() == str(proc.pid)
            return False

        wait_for(held, "the first process to hold the drill")
        second = subprocess.run(
            [*DRILLHALL, "resume", drill, "--json", "--db", str(db)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=ROOT,
        )
        line = proc_answered(second, 2, f"drill {drill} is being played by another process")
        assert f"(pid {proc.pid})" in line
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    # the process died: its lock went with it, and the drill resumes at once
    third = subprocess.run(
        [*DRILLHALL, "resume", drill, "--json", "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert third.returncode == 0, third.stderr
    assert json.loads(third.stdout)["drill_id"] == drill
    assert not list(tmp_path.glob("d.db-*.lock"))  # let go when it ended


def test_one_writer_per_drill_in_process(tmp_path: Path, worked_bundle: Bundle) -> None:
    first = Store(tmp_path / "d.db")
    session = DrillSession.create(first, worked_bundle, bots={})
    second = Store(tmp_path / "d.db")
    with pytest.raises(DrillBusy, match=f"pid {os.getpid()}"):
        DrillSession.resume(second, session.drill_id)
    first.close()  # the first writer is gone: the drill is free
    DrillSession.resume(second, session.drill_id).run_headless()
    second.close()


def test_file_lock_is_exclusive_and_cleans_up(tmp_path: Path) -> None:
    path = tmp_path / "x.lock"
    with FileLock(path):
        with pytest.raises(LockHeld) as held:
            FileLock(path).acquire()
        assert held.value.holder == os.getpid()
    assert not path.exists()
    FileLock(path).acquire(wait=0.1).release()


FIRST_USE = """
import os, sys
from pathlib import Path
from drills.cli.main import main
ready, go = Path(sys.argv[1]), Path(sys.argv[2])
ready.touch()  # imported and waiting
while not go.exists():  # every process opens the new database at once
    os.sched_yield()
sys.argv = ["drillhall", "run", *sys.argv[3:]]
main()
"""


@pytest.mark.slow
def test_thirty_first_uses_of_a_new_database_at_once(tmp_path: Path) -> None:
    db = tmp_path / "new" / "d.db"
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                FIRST_USE,
                str(tmp_path / f"ready-{n}"),
                str(go),
                *WORKED,
                "--bot",
                "idle",
                "--seed",
                str(n),
                "--json",
                "--db",
                str(db),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(30)
    ]
    wait_for(lambda: len(list(tmp_path.glob("ready-*"))) == 30, "all 30 ready", timeout=180)
    go.touch()
    results = [(p.wait(timeout=180), p.communicate()) for p in procs]
    failed = [err for code, (_, err) in results if code != 0]
    assert failed == [], failed[:3]
    assert len(drill_rows(db)) == 30


def test_migrations_lock_is_gone_after_first_use(tmp_path: Path) -> None:
    Store(tmp_path / "d.db").close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.db"]


def test_network_filesystems_are_recognised(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/vda / ext4 rw 0 0\n"
        "server:/export /mnt/share nfs4 rw 0 0\n"
        "//nas/drills /mnt/my\\040drills cifs rw 0 0\n"
        "tmpfs /mnt/share/local tmpfs rw 0 0\n"
    )
    check = paths.network_filesystem
    assert check(Path("/home/x/d.db"), mounts) is None
    assert check(Path("/mnt/share/x/d.db"), mounts) == "nfs4"
    assert check(Path("/mnt/my drills/d.db"), mounts) == "cifs"
    assert check(Path("/mnt/share/local/d.db"), mounts) is None  # the longest mount wins
    assert check(Path("/x/d.db"), tmp_path / "no-such-mounts") is None


def test_a_database_on_a_network_filesystem_is_warned_about_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(paths, "network_filesystem", lambda path: "nfs4")
    monkeypatch.setattr(common, "_warned", set())
    db = tmp_path / "d.db"
    result = cli("run", *WORKED, "--json", "--db", str(db))
    assert result.exit_code == 0  # a warning, not an error
    warning = result.stderr.strip().splitlines()
    assert len(warning) == 1 and "network file system (nfs4)" in warning[0]
    assert json.loads(result.stdout)["drill_id"]


# -- 5. exit codes documented --------------------------------------------------------------


def test_exit_codes_are_documented_in_help_and_readme() -> None:
    text = cli("--help").stdout
    assert "Exit codes: 0 ok; 1 invalid input" in " ".join(text.split())
    assert "2 database or environment" in " ".join(text.split())
    assert "3 refused by a hosted drill" in " ".join(text.split())
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for row in ("| 1 | invalid input |", "| 2 | database or environment", "| 3 | refused"):
        assert row in readme
    assert common.EXIT_INVALID == 1 and common.EXIT_STORE == 2 and common.EXIT_REFUSED == 3


# -- 6. logging ----------------------------------------------------------------------------


@pytest.mark.slow
def test_the_host_and_its_gateway_log_to_a_file(tmp_path: Path) -> None:
    from drills.rooms.remote import RemoteDrill
    from drills.store.rooms import RoomError

    db = tmp_path / "d.db"
    host, code, tokens = start_headless_host(db, wait_for=2)
    log_file = tmp_path / "drillhall.log"  # the default: next to the database
    try:
        with pytest.raises(RoomError):
            RemoteDrill(code, "nosuchrole", "Li", token=tokens["hydrology"])
        remote = RemoteDrill(code, "hydrology", "Li", token=tokens["hydrology"])
        wait_for(lambda: "joined as hydrology" in log_file.read_text(), "the join logged", 20)
        remote.client.close()
    finally:
        host.kill()
        host.wait()
    text = log_file.read_text()
    assert f"drill {code} hosted (pid {host.pid}" in text
    assert f"drill {code}: connection from pid {os.getpid()} uid {os.getuid()}" in text
    assert f"drill {code}: join by - (pid {os.getpid()}" in text and "refused: no role" in text
    assert f"drill {code}: Li joined as hydrology" in text
    assert log_file.stat().st_mode & 0o077 == 0  # names and decisions: owner only


def test_log_files_rotate_and_are_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "LOG_BYTES", 2000)
    path = tmp_path / "logs" / "host.log"
    common.setup_logging(path, None)
    log = logging.getLogger("drills.rooms.gateway")
    for n in range(100):
        log.info("drill abc: line %s of a long evening", n)
    files = sorted(p.name for p in path.parent.iterdir())
    assert files == ["host.log", "host.log.1", "host.log.2", "host.log.3"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in path.parent.iterdir())
    log.debug("not at info level")
    assert "not at info level" not in path.read_text()


def test_log_file_in_a_missing_folder_is_exit_2(played: tuple[Path, str]) -> None:
    db, drill = played
    answered(cli("resume", drill, "--log-file", "/proc/no/x.log", "--db", str(db)), 2, "log")


def _silent_handlers(tree: ast.AST) -> list[int]:
    """Lines of handlers that swallow everything: a bare ``except:``, or ``except
    Exception``/``BaseException`` that neither re-raises, nor logs, nor uses the error;
    and ``contextlib.suppress(Exception)``."""
    broad = {"Exception", "BaseException"}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler):
            names = (
                {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                if node.type is not None
                else broad
            )
            if not names & broad:
                continue
            body = list(ast.walk(ast.Module(body=node.body, type_ignores=[])))
            reraises = any(isinstance(n, ast.Raise) for n in body)
            uses = node.name is not None and any(
                isinstance(n, ast.Name) and n.id == node.name for n in body
            )
            logs = any(
                isinstance(n, ast.Attribute) and n.attr in ("exception", "error", "warning")
                for n in body
            )
            if not (reraises or uses or logs):
                found.append(node.lineno)
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "suppress":
            if any(isinstance(a, ast.Name) and a.id in broad for a in node.args):
                found.append(node.lineno)
    return found


def test_no_silent_catch_alls_in_drills() -> None:
    silent = {}
    for path in sorted((ROOT / "drills").rglob("*.py")):
        lines = _silent_handlers(ast.parse(path.read_text(encoding="utf-8")))
        if lines:
            silent[str(path.relative_to(ROOT))] = lines
    assert silent == {}
    assert _silent_handlers(ast.parse("try:\n    x()\nexcept Exception:\n    pass\n")) == [3]
    assert _silent_handlers(ast.parse("try:\n    x()\nexcept:\n    pass\n")) == [3]
    assert _silent_handlers(ast.parse("try:\n    x()\nexcept ValueError:\n    pass\n")) == []


def _handshake(port: int, origin: str | None) -> str:
    """The status line the server answers a websocket upgrade with."""
    import socket

    lines = [
        "GET /ws?width=80&height=24 HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version: 13",
        *([f"Origin: {origin}"] if origin else []),
    ]
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(4096).decode("latin-1").splitlines()[0]


@pytest.mark.slow
def test_serve_refuses_cross_origin_websockets() -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    serve = subprocess.Popen(
        [*DRILLHALL, "serve", "--port", str(port), "--allow-origin", "https://drills.example"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, "serve", 30)
        assert " 403 " in _handshake(port, "http://evil.example")
        assert " 403 " in _handshake(port, f"http://127.0.0.1:{port + 1}")
        assert " 101 " in _handshake(port, f"http://127.0.0.1:{port}")
        assert " 101 " in _handshake(port, "https://drills.example")  # --allow-origin
        assert " 101 " in _handshake(port, None)  # not a browser: nothing to forge
    finally:
        serve.terminate()
        serve.wait(timeout=30)


def test_same_origin_rule() -> None:
    from types import SimpleNamespace

    from drills.cli.consoles import _origin_allowed

    def allowed(origin: str, host: str, extra: set[str] | None = None) -> bool:
        return _origin_allowed(origin, SimpleNamespace(host=host), extra or set())

    assert allowed("http://localhost:8000", "localhost:8000")
    assert allowed("HTTP://LocalHost:8000/", "localhost:8000")
    assert allowed("http://room.example", "room.example")  # default ports
    assert allowed("https://room.example", "room.example:443")
    assert allowed("http://[::1]:8000", "[::1]:8000")
    assert not allowed("http://localhost:8001", "localhost:8000")
    assert allowed("https://localhost:8000", "localhost:8000")  # TLS ends in a proxy
    assert not allowed("https://localhost", "localhost:8000")
    assert not allowed("null", "localhost:8000")
    assert not allowed("file://", "localhost:8000")
    assert allowed("https://proxy.example", "127.0.0.1:8000", {"https://proxy.example"})
