"""Pieces shared by the CLI modules: error handling, the --db option, loading.

The engine, the store and their errors are imported when a command needs them, not when
the CLI starts: a console's first frame should not wait for models it does not use yet."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from drills.store.database import Store

LANGS = click.Choice(["zh", "en"])

# Exit codes (documented in the README): 1 invalid input, 2 database or environment,
# 3 refused by a hosted drill (wrong code, role taken, drill ended).
EXIT_INVALID, EXIT_STORE, EXIT_REFUSED = 1, 2, 3


class RoomRefused(Exception):
    """A hosted drill refused the request; the message says why."""


class DrillhallGroup(click.Group):
    """Turns the expected failures into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            code = expected_failure(exc)
            if code is None:
                raise
            ctx.exit(code)


def expected_failure(exc: BaseException) -> int | None:
    """Print an expected failure as its answer and return its exit code (None: a bug)."""
    from drills.port.feeds import FeedError
    from drills.store.database import StoreError
    from drills.store.rooms import RoomError
    from engine.loader import LoadError

    if isinstance(exc, LoadError):
        for diagnostic in exc.diagnostics:
            click.echo(str(diagnostic), err=True)
        return EXIT_INVALID
    if isinstance(exc, RoomRefused | RoomError | FeedError):
        click.echo(f"drillhall: {exc}", err=True)
        return EXIT_REFUSED
    if isinstance(exc, StoreError):
        click.echo(f"drillhall: {exc}", err=True)
        return EXIT_STORE
    return None


def db_option(func: Any) -> Any:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="SQLite database (default: the user data directory, or $DRILLHALL_DB).",
    )(func)


def open_store(db_path: Path | None) -> Store:
    from drills.store.database import Store
    from drills.store.paths import default_db_path

    return Store(db_path or default_db_path())


def load_for_play(scenario: str, plan: Path | None) -> Any:
    from drills.library.catalog import find_plan, resolve_scenario, scenario_plan_id
    from engine.bundle import load_bundle

    path = resolve_scenario(scenario)
    plan_path = plan or find_plan(path, scenario_plan_id(path))
    return load_bundle(path, plan_path)
