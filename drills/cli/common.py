"""Pieces shared by the CLI modules: error handling, the --db option, loading.

The engine, the store and their errors are imported when a command needs them, not when
the CLI starts: a console's first frame should not wait for models it does not use yet.

One error path: whatever fails prints one line, ``drillhall: <what failed> (<path>)``
(broken files: ``file:line:col: field: message``), and exits with a documented code.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import logging

    from drills.store.database import Store

LANGS = click.Choice(["zh", "en"])
LANG_ENV = "DRILLHALL_LANG"


def config_path() -> Path:
    """A small TOML file for defaults one sets once (today: ``lang = "en"``)."""
    from platformdirs import user_config_dir

    return Path(user_config_dir("drillhall", appauthor=False)) / "config.toml"


def default_lang() -> str:
    """``--lang`` when it is not given, the same for every command: ``$DRILLHALL_LANG``,
    else ``lang`` in the config file, else Chinese (zh)."""
    chosen = os.environ.get(LANG_ENV)
    if chosen:
        return chosen  # checked by the option's type: a wrong value is an invalid input
    path = config_path()
    if path.exists():
        import tomllib

        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="--lang") from None
        return str(config.get("lang", "zh"))
    return "zh"


def plain_text(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A name or note as typed: control and bidi characters are refused (a terminal would
    obey them instead of showing them)."""
    from drills.port.text import unsafe_characters

    bad = unsafe_characters(value) if value else []
    if bad:
        raise click.BadParameter(f"control characters are not allowed ({', '.join(bad)})")
    return value


def person_name(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A person's name (a participant, an author, a signer): see ``name_problem``."""
    from drills.port.text import name_problem

    problem = name_problem(value) if value else None
    if problem:
        raise click.BadParameter(problem)
    return value


def lang_option(func: Any) -> Any:
    """``--lang zh|en``: one default for every command (see ``default_lang``)."""
    return click.option(
        "--lang",
        type=LANGS,
        default=default_lang,
        show_default=f"zh, or ${LANG_ENV}, or lang in config.toml",
        help="Language of what is shown.",
    )(func)


# Exit codes (README "CLI reference" and `drillhall --help`): 0 ok, 1 invalid input,
# 2 database or environment, 3 refused by a hosted drill (wrong code, role taken, ended).
EXIT_OK, EXIT_INVALID, EXIT_STORE, EXIT_REFUSED = 0, 1, 2, 3
EXIT_CODES_HELP = (
    "Exit codes: 0 ok; 1 invalid input (bad option, broken file, with positions; a change "
    "the record refuses, such as voiding a void drill); "
    "2 database or environment (cannot open, read or write the database or a file, no "
    "such database or drill, drill busy in another process); 3 refused by a hosted drill "
    "(wrong code, role taken, drill ended)."
)


class RoomRefused(Exception):
    """A hosted drill refused the request; the message says why."""


class EnvironmentProblem(Exception):
    """A file the command must write or read outside the database cannot be used."""


class DrillhallGroup(click.Group):
    """Turns the expected failures into messages and exit codes.

    Click's own usage errors (a bad option value, a missing argument) are invalid input:
    exit 1, not click's default 2, which here means the database or the environment."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            show_usage_error(exc)
            raise click.exceptions.Exit(EXIT_INVALID) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            show_usage_error(exc)
            ctx.exit(EXIT_INVALID)
        except click.ClickException:
            raise
        except Exception as exc:
            code = expected_failure(exc)
            if code is None:
                raise
            ctx.exit(code)


def expected_failure(exc: BaseException) -> int | None:
    """Print an expected failure as its answer and return its exit code (None: a bug)."""
    from drills.port.feeds import FeedError
    from drills.port.text import printable
    from drills.store.database import RecordRefused, StoreError
    from drills.store.rooms import RoomError
    from engine.loader import LoadError

    if isinstance(exc, LoadError):
        for diagnostic in exc.diagnostics:
            click.echo(printable(str(diagnostic)), err=True)  # a file's name may hold anything
        return EXIT_INVALID
    if isinstance(exc, click.UsageError):
        show_usage_error(exc)
        return EXIT_INVALID
    if isinstance(exc, RecordRefused):
        click.echo(f"drillhall: {one_line(exc)}", err=True)
        return EXIT_INVALID
    if isinstance(exc, RoomRefused | RoomError | FeedError):
        click.echo(f"drillhall: {one_line(exc)}", err=True)
        return EXIT_REFUSED
    if isinstance(exc, StoreError | EnvironmentProblem):
        click.echo(f"drillhall: {one_line(exc)}", err=True)
        return EXIT_STORE
    return None


def show_usage_error(exc: click.UsageError) -> None:
    """A bad option or argument, in one line with where to read more."""
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):
        exc.show()  # ``drillhall`` alone: the help
        return
    message = one_line(exc.format_message()).rstrip(".")
    message = message[:1].lower() + message[1:]
    where = exc.ctx.command_path if exc.ctx is not None else "drillhall"
    click.echo(f"drillhall: {message} (see: {where} --help)", err=True)


def one_line(exc: BaseException | str) -> str:
    """The message on one line, inert on a terminal (it may quote a name or a path)."""
    from drills.port.text import printable

    return " ".join(printable(str(exc)).split()) or type(exc).__name__


# -- options ---------------------------------------------------------------------------


def purpose_option(default: str | None = None) -> Callable[[Any], Any]:
    """``--purpose``: what the drill is played for (practice, exam, official, test).
    Without it: ``exam`` for exam mode, else ``default`` or ``practice``."""
    from drills.store.kinds import PURPOSES

    return click.option(
        "--purpose",
        type=click.Choice(PURPOSES),
        default=default,
        help="What the drill is for; test runs stay out of trends. "
        f"[default: {default or 'exam in exam mode, else practice'}]",
    )


def drill_purpose(purpose: str | None, mode: str) -> str:
    return purpose or ("exam" if mode == "exam" else "practice")


# Where the drills are: an SQLite file (a Path) or a PostgreSQL URL (a str).
DbTarget = Path | str


class DatabaseTarget(click.ParamType):  # type: ignore[type-arg]
    """``--db``: an SQLite file, or a ``postgresql://`` URL of a central record."""

    name = "path-or-url"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, Path) or not str(value).startswith(("postgresql:", "postgres:")):
            return click.Path(dir_okay=False, path_type=Path).convert(value, param, ctx)
        return str(value)


def db_option(func: Any) -> Any:
    return click.option(
        "--db",
        "db_path",
        type=DatabaseTarget(),
        default=None,
        help="SQLite file, or a postgresql:// URL of a central record (default: the user "
        "data directory, or $DRILLHALL_DB).",
    )(func)


def log_option(func: Any) -> Any:
    return click.option(
        "--log-file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Log the host and its gateway here (rotating; default: drillhall.log next to "
        "the database).",
    )(func)


class Speed(click.ParamType[float]):
    """Scenario seconds per wall second: a finite number above 0 (``zero_ok``: 0 means
    as fast as possible)."""

    name = "speed"

    def __init__(self, *, zero_ok: bool) -> None:
        self.zero_ok = zero_ok

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number) or number < 0 or (number == 0 and not self.zero_ok):
            wanted = "0 (as fast as possible) or more" if self.zero_ok else "more than 0"
            self.fail(f"{value!r}: the speed must be {wanted}", param, ctx)
        if number > MAX_SPEED:
            self.fail(f"{value!r}: at most {MAX_SPEED:g} scenario seconds a second", param, ctx)
        return number


MAX_SPEED = 1_000_000.0
# SQLite stores 64-bit integers: a seed or a limit beyond is a bad value, not an overflow.
SEED = click.IntRange(-(2**63), 2**63 - 1)
COUNT = click.IntRange(1, 2**63 - 1)
WAIT_COUNT = click.IntRange(0, 10_000)
SPEED_OR_ZERO = Speed(zero_ok=True)
SPEED = Speed(zero_ok=False)


class Day(click.ParamType[str]):
    """A calendar date (YYYY-MM-DD) or a date and time (ISO 8601; without a zone, UTC),
    checked and written the way drills store their times."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value).strip()
        try:
            if len(text) == 10:
                return date.fromisoformat(text).isoformat()
            moment = datetime.fromisoformat(text)
        except ValueError:
            self.fail(f"{value!r} is not a date (YYYY-MM-DD) or date and time", param, ctx)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="milliseconds")


DAY = Day()


def output_option(help: str, *, required: bool = True) -> Callable[[Any], Any]:
    """``-o/--output FILE``, checked before any work (see ``writable_file``)."""
    return click.option(
        "-o",
        "--output",
        required=required,
        type=click.Path(dir_okay=False, path_type=Path),
        callback=writable_file,
        help=help,
    )


def profile_option(help: str) -> Callable[[Any], Any]:
    """``--profile FILE``: a scoring profile (YAML or JSON) that must exist."""
    return click.option(
        "--profile",
        "profile_path",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help=help,
    )


def writable_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An output file (``-o``, ``--csv``) is checked before any work: its folder must
    exist and be writable (exit 2, an environment problem), the file must not be a
    folder."""
    if value is None:
        return None
    folder = value.parent if str(value.parent) else Path(".")
    if value.is_dir():
        raise EnvironmentProblem(f"cannot write {value}: it is a folder ({value})")
    if not folder.is_dir():
        raise EnvironmentProblem(f"cannot write {value.name}: no such folder ({folder})")
    if not os.access(folder, os.W_OK | os.X_OK) or (
        value.exists() and not os.access(value, os.W_OK)
    ):
        raise EnvironmentProblem(f"cannot write {value.name}: permission denied ({value})")
    return value


def write_output(path: Path, text: str) -> None:
    """Write a report or table; a failing disk is an answer, not a traceback."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write a file; a failing disk is an answer, not a traceback."""
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write {path.name}: {(exc.strerror or str(exc)).lower()} ({path})"
        ) from exc


# -- the store -------------------------------------------------------------------------


def open_store(db_path: DbTarget | None, *, create: bool = False) -> Store:
    """The drill database. Commands that start a drill ``create`` it; every other
    command needs it to exist (a mistyped --db is an error, not a new empty database).
    Warns once, on stderr, when it lives on a network file system."""
    from drills.store.database import Store
    from drills.store.paths import default_db_path

    target = db_path or default_db_path()
    store = Store(target, create=create)
    if isinstance(target, Path):
        warn_network(target)
    return store


_warned: set[Path] = set()


def warn_network(db_path: DbTarget | None) -> None:
    """One line on stderr if the database is on a network file system (once per path;
    a console calls this before it owns the terminal)."""
    from drills.store.paths import default_db_path, network_filesystem

    path = db_path or default_db_path()
    if not isinstance(path, Path):
        return  # a server: SQLite's write-ahead log is not involved
    fstype = network_filesystem(path)
    if fstype and path not in _warned:
        _warned.add(path)
        click.echo(
            f"drillhall: warning: the database is on a network file system ({fstype}); "
            "SQLite's write-ahead log needs every process on one machine, so run drills "
            f"from one host only ({path})",
            err=True,
        )


def load_for_play(scenario: str, plan: Path | None) -> Any:
    from drills.library.catalog import find_plan, resolve_scenario, scenario_plan_id
    from engine.bundle import load_bundle

    path = resolve_scenario(scenario)
    plan_path = plan or find_plan(path, scenario_plan_id(path))
    return load_bundle(path, plan_path)


# -- logging ---------------------------------------------------------------------------


@contextlib.contextmanager
def logged_failures(drill_id: str) -> Iterator[None]:
    """Whatever stops a hosted or resumed drill goes to the log with its drill id (an
    expected failure as its one line, a bug with its traceback), then on to the answer."""
    import logging

    from drills.port.feeds import FeedError
    from drills.store.database import StoreError

    log = logging.getLogger("drills.cli")
    try:
        yield
    except (StoreError, FeedError, RoomRefused, EnvironmentProblem) as exc:
        log.error("drill %s stopped: %s", drill_id, one_line(exc))
        raise
    except Exception:
        log.exception("drill %s failed", drill_id)
        raise


LOG_BYTES = 1_000_000
LOG_BACKUPS = 3


def setup_logging(log_file: Path | None, db_path: Path | None) -> logging.Logger:
    """Send the ``drills`` loggers (host, gateway, session, store) to a rotating file at
    info level: ``log_file``, or ``drillhall.log`` next to the database. Returns the
    command's logger."""
    import logging
    from logging.handlers import RotatingFileHandler

    from drills.store.paths import data_dir, default_db_path

    base = db_path or default_db_path()
    folder = base.parent if isinstance(base, Path) else data_dir()
    path = log_file or folder / "drillhall.log"
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handler = _rotating_handler(path)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot write the log: {(exc.strerror or str(exc)).lower()} ({path})"
        ) from exc
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(threadName)s] %(message)s")
    )
    logger = logging.getLogger("drills")
    for old in [h for h in logger.handlers if isinstance(h, RotatingFileHandler)]:
        logger.removeHandler(old)
        old.close()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logging.getLogger("drills.cli")


def _private_opener(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


def _rotating_handler(path: Path) -> Any:
    """A rotating file handler whose files are readable by their owner only (logs hold
    trainees' names and decisions). Built here: logging.handlers loads when needed."""
    from logging.handlers import RotatingFileHandler

    class PrivateRotatingFileHandler(RotatingFileHandler):
        def _open(self) -> Any:
            return open(
                self.baseFilename,
                self.mode,
                encoding=self.encoding,
                errors=self.errors,
                opener=_private_opener,
            )

    return PrivateRotatingFileHandler(
        path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
