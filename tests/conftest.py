"""Shared fixtures: the worked-example plan, small scenarios, a temporary store."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any, NamedTuple

import pytest

from drills.store.database import Store
from engine.bundle import Bundle, load_bundle
from engine.compiled import CompiledScenario

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


@pytest.fixture
def worked_bundle() -> Bundle:
    return load_bundle(DATA / "worked-scenario.yaml", DATA / "worked-plan.yaml")


@pytest.fixture
def worked(worked_bundle: Bundle) -> CompiledScenario:
    return worked_bundle.compiled


@pytest.fixture
def branching() -> CompiledScenario:
    return load_bundle(DATA / "branching-scenario.yaml", DATA / "worked-plan.yaml").compiled


BACKEND_ENV = "DRILLHALL_TEST_BACKEND"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=("sqlite", "postgresql"),
        default=os.environ.get(BACKEND_ENV, "sqlite"),
        help="where the tests keep their drill databases (default $DRILLHALL_TEST_BACKEND, "
        "else sqlite); postgresql starts a throwaway cluster (tests/postgres.py)",
    )
    parser.addoption(
        "--starved",
        action="store_true",
        help="console tests as on a loaded machine: every Pilot pause ends at once, so a "
        "test that trusts a pause instead of waiting for a condition fails every time",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--starved"):
        starve_pilot()


def starve_pilot() -> None:
    """Make Textual's "the app is idle" guess say yes at once. Pilot's pauses measure the
    CPU time the app used to guess when it has settled; a starved process uses little and
    the guess ends early. Tests must then wait for what they need (``until``); with this,
    one that does not fails deterministically instead of now and then in CI."""
    import asyncio

    import textual.app
    import textual.pilot

    async def idle_at_once(min_sleep: float = 0, max_sleep: float = 1) -> None:
        await asyncio.sleep(0)

    for module in (textual.app, textual.pilot):
        assert hasattr(module, "wait_for_idle"), f"{module.__name__} no longer waits for idle"
        module.wait_for_idle = idle_at_once  # type: ignore[attr-defined]


def pytest_report_header(config: pytest.Config) -> str:
    return f"drill databases: {config.getoption('--backend')}"


@pytest.fixture(scope="session")
def backend(request: pytest.FixtureRequest) -> str:
    """The backend this test session keeps its drill databases on."""
    return str(request.config.getoption("--backend"))


NewDb = Callable[..., str]


@pytest.fixture
def new_db(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> NewDb:
    """Make a fresh, empty drill database on the session's backend and give its target
    (a file path or a ``postgresql://`` URL) as ``--db`` and ``Store`` take it. The whole
    suite runs once per backend (``.ci/run``); tests about SQLite files use paths."""

    about_sqlite = request.node.get_closest_marker("sqlite") is not None

    def make(name: str = "drills") -> str:
        if backend == "sqlite" or about_sqlite:
            return str(tmp_path / f"{name}.db")
        from .postgres import drop_database, fresh_database

        server = request.getfixturevalue("postgres_server")
        url = fresh_database(server)
        request.addfinalizer(lambda: drop_database(server, url))
        return url

    return make


@pytest.fixture
def store(new_db: NewDb) -> Iterator[Store]:
    db = Store(new_db())
    yield db
    db.close()


def rows(target: str | Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql`` in the database at ``target``, read by another connection (as
    another process would); [] while the database does not exist yet or is busy."""
    from drills.store.database import STORAGE_ERRORS, StoreError

    try:
        other = Store(target, create=False)
    except StoreError:
        return []
    try:
        return [tuple(row) for row in other.sql.execute(sql, params)]
    except STORAGE_ERRORS:
        return []
    finally:
        other.close()


def raw_seat(
    token: str, role: str | None = None
) -> tuple[socket.socket, Callable[[dict[str, Any]], Any]]:
    """A connection to a hosted drill that has proven ``token`` by hand (and, given
    ``role``, was told it holds that seat), and a function to ask it things (None once
    the host has hung up)."""
    from drills.rooms import gateway, seats

    key = seats.SeatKey.from_token(token)
    sock = gateway.connect(key.address)
    reader = sock.makefile("rb")
    client_nonce, server_nonce, _ = gateway.challenge_host(sock, reader, key.key, key.sid)

    def ask(request: dict[str, Any]) -> Any:
        sock.sendall(json.dumps(request).encode() + b"\n")
        line = reader.readline()
        return json.loads(line) if line else None

    proof = seats.seat_proof(key.key, key.sid, client_nonce, server_nonce)
    proven = ask({"op": "prove", "proof": proof})
    assert proven["ok"] and (role is None or proven == {"ok": True, "role": role}), proven
    return sock, ask


def every_row(store: Store) -> str:
    """Every row of every table, as text: to show a secret is stored nowhere."""
    sql = store.sql
    if sql.dialect == "sqlite":
        listing = "SELECT name FROM sqlite_master WHERE type = 'table'"
    else:
        listing = "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    tables = [row[0] for row in sql.execute(listing)]
    return "\n".join(repr(row) for t in tables for row in sql.execute(f'SELECT * FROM "{t}"'))


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[str]:
    """A PostgreSQL server for this test session (``tests/postgres.py``), or a skip that
    says why there is none."""
    from .postgres import ENV, server_binaries, throwaway_cluster

    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    if server_binaries() is None:
        missing = "PostgreSQL server binaries are not installed (apt-get install postgresql)"
        if request.config.getoption("--backend") == "postgresql":
            pytest.fail(f"--backend postgresql: {missing}")  # asked for: never a green skip
        pytest.skip(missing)
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend: the same tests, the same results."""
    if request.param == "sqlite":
        target = str(tmp_path / "drills.db")
    else:
        from .postgres import drop_database, fresh_database

        server = request.getfixturevalue("postgres_server")
        target = fresh_database(server)
        request.addfinalizer(lambda: drop_database(server, target))
    db = Store(target)
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _isolated_db(
    backend: str, new_db: NewDb, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep tests away from the developer's real drill database and data folder: the
    default database is a fresh one on the session's backend."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DRILLHALL_DB", new_db("default"))


@pytest.fixture
def branching_bundle() -> Bundle:
    return load_bundle(DATA / "branching-scenario.yaml", DATA / "worked-plan.yaml")


@pytest.fixture(scope="session")
def flood_bundle() -> Bundle:
    scenarios = ROOT / "scenarios"
    return load_bundle(
        scenarios / "flood" / "river-crest.yaml", scenarios / "plans" / "flood-municipal.yaml"
    )


class HostProcess(NamedTuple):
    """A headless host in a subprocess: the process, its drill code and the seat tokens
    it printed (role → token)."""

    proc: subprocess.Popen[str]
    code: str
    tokens: dict[str, str]


def read_hosting_lines(stdout: IO[str]) -> tuple[str, dict[str, str]]:
    """The code and the seat tokens from what `drillhall host` prints first."""
    code = stdout.readline().split(":", 1)[1].strip()
    tokens: dict[str, str] = {}
    for line in iter(stdout.readline, ""):
        if line.startswith("starting when") or line.startswith("press Start"):
            break
        if line.startswith("  "):
            role, token = line.split()
            tokens[role] = token
    return code, tokens


def start_headless_host(db: str | Path, *, speed: int = 120, wait_for: int = 1) -> HostProcess:
    """`drillhall host --headless` in a subprocess, once it has printed its code and
    seat tokens."""
    host = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drills",
            "host",
            "flood-river-crest",
            "--headless",
            "--wait-for",
            str(wait_for),
            "--speed",
            str(speed),
            "--db",
            str(db),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert host.stdout is not None
    code, tokens = read_hosting_lines(host.stdout)
    return HostProcess(host, code, tokens)
