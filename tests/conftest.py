"""Shared fixtures: the worked-example plan, small scenarios, a temporary store."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, NamedTuple

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


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    db = Store(tmp_path / "drills.db")
    yield db
    db.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for this test session (``tests/postgres.py``), or a skip that
    says why there is none."""
    import os

    from .postgres import ENV, server_binaries, throwaway_cluster

    if os.environ.get(ENV):
        yield os.environ[ENV]
        return
    if server_binaries() is None:
        pytest.skip("PostgreSQL server binaries are not installed (apt-get install postgresql)")
    with throwaway_cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend: the same tests, the same results."""
    if request.param == "sqlite":
        target = str(tmp_path / "drills.db")
    else:
        from .postgres import fresh_database

        target = fresh_database(request.getfixturevalue("postgres_server"))
    db = Store(target)
    yield db
    db.close()


@pytest.fixture(autouse=True)
def _isolated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the developer's real drill database."""
    monkeypatch.setenv("DRILLHALL_DB", str(tmp_path / "default.db"))


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


def start_headless_host(db: Path, *, speed: int = 120, wait_for: int = 1) -> HostProcess:
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
