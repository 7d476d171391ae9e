"""A throwaway PostgreSQL cluster for the store tests: initdb in a temporary folder, a unix
socket only (no TCP port, no password over a network), stopped at the end of the session.

``DRILLHALL_TEST_POSTGRES`` (a ``postgresql://`` URL of a server that lets its user create
databases) is used instead when set: ``.ci/run`` starts one cluster for the whole run.
Without either, the PostgreSQL half of the tests is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ENV = "DRILLHALL_TEST_POSTGRES"


def server_binaries() -> Path | None:
    """The folder with initdb and pg_ctl (Debian keeps them out of PATH)."""
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), reverse=True)
    return versions[0].parent if versions else None


def _as_server_user() -> list[str]:
    """initdb refuses to run as root: run the server as ``postgres`` then."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        raise RuntimeError("running as root needs runuser to start PostgreSQL as postgres")
    return ["runuser", "-u", "postgres", "--"]


@contextlib.contextmanager
def throwaway_cluster(tcp_port: int | None = None) -> Iterator[str]:
    """Start a cluster; yield a URL of its maintenance database; stop and remove it.

    ``tcp_port`` also listens on 127.0.0.1 (no password: only for a private network
    namespace, as ``benchmarks.bench_dead_site`` uses it); the URL is the unix socket's."""
    binaries = server_binaries()
    if binaries is None:
        raise FileNotFoundError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    root = Path(tempfile.mkdtemp(prefix="drillhall-pg-"))
    prefix = _as_server_user()
    if prefix:
        shutil.chown(root, "postgres")
    data, log = root / "data", root / "server.log"
    subprocess.run(
        [*prefix, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", "drillhall",
         "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
        check=True, capture_output=True,
    )  # fmt: skip
    listen = f"127.0.0.1 -p {tcp_port}" if tcp_port else "''"
    options = f"-k {root} -c listen_addresses={listen} -c fsync=off -c max_connections=200"
    subprocess.run(
        [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log),
         "-w", "start"],
        check=True, capture_output=True,
    )  # fmt: skip
    try:
        port = f"&port={tcp_port}" if tcp_port else ""
        yield f"postgresql:///postgres?host={root}{port}&user=drillhall"
    finally:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)


def drop_database(server: str, url: str) -> None:
    """Drop the database of ``url`` (made by ``fresh_database``), closing what is still
    connected to it: a test session leaves no databases behind."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def fresh_database(server: str) -> str:
    """A new empty database on ``server``; its URL."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    parts = urlsplit(server)
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}/{name}{query}"  # urlunsplit drops an empty //
