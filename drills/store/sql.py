"""One way to talk SQL to either database: SQLite (embedded, the default) or PostgreSQL
(a central record for many sites).

The store writes its SQL once, in the subset both understand: ``?`` placeholders,
``INSERT … ON CONFLICT … DO NOTHING/UPDATE`` (SQLite 3.24+), ``RETURNING`` (3.35+), no
``rowid``, no ``INSERT OR …``. ``Connection`` runs it on either: for PostgreSQL the
placeholders become psycopg's ``%s`` (and a literal ``%`` becomes ``%%``). The few
things that differ in kind (JSON fields, advisory locks, the schema's DDL) are methods
of the connection, not ``if`` statements in the store.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

Params = Sequence[Any]

_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?|%")


def to_psycopg(sql: str) -> str:
    """``?`` placeholders as ``%s`` and every literal ``%`` doubled, for psycopg (a ``?``
    inside a quoted literal stays a question mark)."""

    def swap(match: re.Match[str]) -> str:
        text = match.group(0)
        if text == "?":
            return "%s"
        if text == "%":
            return "%%"
        return text.replace("%", "%%")

    return _QUOTED_OR_MARK.sub(swap, sql)


class Rows(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store needs of a database connection."""

    dialect: str  # "sqlite" or "postgresql"

    def execute(self, sql: str, params: Params = ()) -> Rows: ...
    def executemany(self, sql: str, rows: Sequence[Params]) -> None: ...
    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]: ...
    def transaction(self) -> Any: ...
    def write_transaction(self) -> Any: ...
    def json_text(self, column: str, key: str) -> str: ...
    def notify(self, channel: str, payload: str) -> None: ...
    def listen(self, channel: str) -> None: ...
    def notified(self, channel: str, payload: str) -> bool: ...
    def wait_notified(self, channel: str, payload: str, timeout: float) -> bool | None: ...
    def close(self) -> None: ...


class SqliteConnection:
    """A ``sqlite3`` connection (sqlite-utils keeps its migrations)."""

    dialect = "sqlite"

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Params = ()) -> Rows:
        return self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Params]) -> None:
        self.conn.executemany(sql, [tuple(r) for r in rows])

    def query(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        cursor = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn:  # commits, or rolls back on an exception
            yield

    @contextmanager
    def write_transaction(self) -> Iterator[None]:
        """A transaction that takes the write lock first, so what it reads (is the drill
        signed? who signed?) still holds when it writes."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.rollback()
            raise
        self.conn.commit()

    def json_text(self, column: str, key: str) -> str:
        return f"json_extract({column}, '$.{key}')"

    # SQLite has no notifications: a listener is always told to look (it polls).
    def notify(self, channel: str, payload: str) -> None:
        return None

    def listen(self, channel: str) -> None:
        return None

    def notified(self, channel: str, payload: str) -> bool:
        return True

    def wait_notified(self, channel: str, payload: str, timeout: float) -> bool | None:
        """SQLite sends no notifications: None at once (the caller waits its own way)."""
        return None

    def close(self) -> None:
        self.conn.close()
