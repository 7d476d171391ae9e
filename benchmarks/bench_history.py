"""History and trends over a large record, on SQLite and on PostgreSQL; regrading and
calibration speed.

    python -m benchmarks.bench_history [--drills 100000] [--sites 50]
                                       [--backend sqlite|postgresql|both] [--postgres URL]
                                       [--regrade 1000] [--calibrate 1000]

On each backend, builds a record of ``--drills`` drills played at ``--sites`` sites: 30
real novice/ideal/idle drills of the shipped flood scenario are played headless, then
cloned with new ids by set-based ``INSERT … SELECT`` statements (one code path for both
backends, through ``store.sql``). Each clone gets a date in 2026, a site, a purpose
(mostly practice, exam or official, some test), a crew of trainees from a pool of 60
names (one role in four crews is left to a bot) and, for about 1 %, a voiding (its trend
rows removed, as ``Store.void_drill`` does). Journals are cloned for the first
``--regrade`` drills only. The 30 originals are then removed and the statistics gathered
(SQLite: ANALYZE; PostgreSQL: VACUUM ANALYZE, the state autovacuum reaches).

Then times, best of 5, the functions the command line and the consoles run
(``drills.store.history``: ``trends`` by site, role, trainee and rule; ``history``
newest first and filtered), prints them side by side with the query plans of trends by
site, regrades ``--regrade`` drills from their journals on each backend and calibrates.

PostgreSQL runs on ``--postgres URL`` (a maintenance database) or a throwaway cluster
started with tests/postgres.py; without the server binaries its column is skipped.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from drills.library.calibrate import calibrate
from drills.library.catalog import find_plan, installed
from drills.play.session import DrillSession
from drills.store.database import DRILL_TABLES, Store
from drills.store.history import Filters, history, regrade, trends
from drills.store.sql import Connection, Params, Rows
from engine.bundle import Bundle, load_bundle
from scoring.profile import ScoringProfile

SCENARIO = "flood-river-crest"
TRAINEES = [f"trainee-{i:02d}" for i in range(60)]
PURPOSES = {"practice": 60, "exam": 17, "official": 17, "test": 6}
VOID_SHARE = 0.01
CREWS = 500  # distinct rosters drawn from the trainee pool
SOURCES = 30  # real drills played, then cloned
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
CHUNK = 500  # rows per multi-row INSERT of the clone plan


def flood_bundle() -> Bundle:
    entry = next(e for e in installed() if e.id == SCENARIO)
    return load_bundle(entry.path, find_plan(entry.path, entry.plan))


# -- building ------------------------------------------------------------------------


@dataclass(frozen=True)
class Clone:
    """One drill to make: which real drill it copies and what differs."""

    n: int
    id: str
    source: int  # index into the real drills
    created: str
    ended: str
    site: str
    purpose: str
    crew: int
    voided: str | None
    journal: bool

    def row(self) -> tuple[Any, ...]:
        void = (self.voided, "entered in error", "records clerk") if self.voided else (None,) * 3
        return (self.n, self.id, self.source, self.created, self.ended, self.site,
                self.purpose, self.crew, *void, int(self.journal))  # fmt: skip


def play_sources(store: Store, bundle: Bundle) -> list[str]:
    """A few dozen real drills: one in ten ideal, one in ten idle, the rest novice."""
    roles = [r.id for r in bundle.compiled.plan.roles]
    ids = []
    for i in range(SOURCES):
        bot = "ideal" if i % 10 == 0 else "idle" if i % 10 == 1 else "novice"
        session = DrillSession.create(store, bundle, seed=i, bots=dict.fromkeys(roles, bot))
        session.run_headless()
        ids.append(session.drill_id)
    return ids


def plan_clones(drills: int, sites: int, journals: int, sources: int) -> list[Clone]:
    """The same plan on every backend (seeded): dates over a year, in date order."""
    rng = random.Random(1)
    names = [f"site-{k:02d}" for k in range(sites)]
    weights = [1 / (1 + k / 10) for k in range(sites)]  # some sites drill more than others
    minutes = sorted(rng.randrange(365 * 24 * 60) for _ in range(drills))
    ids: set[str] = set()
    clones: list[Clone] = []
    journaled = 0
    for n, minute in enumerate(minutes):
        while (new_id := f"{rng.getrandbits(32):08x}") in ids:
            pass
        ids.add(new_id)
        created = YEAR + timedelta(minutes=minute, milliseconds=rng.randrange(60_000))
        voided = created + timedelta(days=2) if rng.random() < VOID_SHARE else None
        journal = voided is None and journaled < journals  # the first ones, to regrade
        journaled += journal
        clones.append(
            Clone(
                n=n,
                id=new_id,
                source=rng.randrange(sources),
                created=created.isoformat(timespec="milliseconds"),
                ended=(created + timedelta(minutes=50)).isoformat(timespec="milliseconds"),
                site=rng.choices(names, weights)[0],
                purpose=rng.choices(list(PURPOSES), list(PURPOSES.values()))[0],
                crew=rng.randrange(CREWS),
                voided=voided.isoformat(timespec="milliseconds") if voided else None,
                journal=journal,
            )
        )
    return clones


def crews(roles: list[str]) -> tuple[list[tuple[int, str, str]], list[tuple[int, str, str]]]:
    """Rosters: (crew, roster JSON, bots JSON) and seats: (crew, role, participant)."""
    rng = random.Random(2)
    rosters, seats = [], []
    for crew in range(CREWS):
        people = dict(zip(roles, rng.sample(TRAINEES, len(roles)), strict=True))
        bots = {}
        if crew % 4 == 3:  # in one crew in four, nobody took the last role: a bot played it
            del people[roles[-1]]
            bots[roles[-1]] = "novice"
        rosters.append((crew, json.dumps(people, sort_keys=True), json.dumps(bots)))
        seats += [(crew, role, name) for role, name in people.items()]
        seats += [(crew, role, f"bot:{kind}") for role, kind in bots.items()]
    return rosters, seats


def insert_rows(sql: Connection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    """Multi-row INSERTs, ``CHUNK`` rows per statement (one round trip each)."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        marks = ", ".join("(" + ", ".join("?" * len(row)) + ")" for row in chunk)
        sql.execute(f"INSERT INTO {table} VALUES {marks}", [v for row in chunk for v in row])


def columns(sql: Connection, table: str) -> list[str]:
    rows = sql.query(f"SELECT * FROM {table} LIMIT 1")
    return list(rows[0])


def clone_table(
    sql: Connection, table: str, changed: dict[str, str], joins: str = "", where: str = ""
) -> None:
    """Copy the real drills' rows of ``table`` for every planned clone (``p``), with the
    columns in ``changed`` computed from the plan instead of copied."""
    names = columns(sql, table)
    key = "id" if table == "drills" else "drill_id"
    select = ", ".join(changed.get(c, f"x.{c}") for c in names)
    sql.execute(
        f"INSERT INTO {table} ({', '.join(names)}) SELECT {select} FROM bench_plan p "
        f"JOIN bench_sources b ON b.k = p.source JOIN {table} x ON x.{key} = b.id {joins} "
        f"WHERE {where or '1 = 1'} ORDER BY p.n"
    )


INDEXES_SQL = {
    # the secondary indexes of a table and the statements that make them (not the keys)
    "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
    "AND sql IS NOT NULL",
    "postgresql": "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_index x ON "
    "x.indexrelid = to_regclass(i.indexname) WHERE i.tablename = ? AND NOT x.indisprimary",
}


@contextmanager
def indexes_set_aside(sql: Connection, tables: Sequence[str]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` and make them again at the end: building
    an index over millions of sorted rows is much faster than updating it row by row."""
    made = [
        (name, ddl)
        for table in tables
        for name, ddl in sql.execute(INDEXES_SQL[sql.dialect], [table]).fetchall()
    ]
    for name, _ in made:
        sql.execute(f"DROP INDEX {name}")
    yield
    for _, ddl in made:
        sql.execute(ddl)


def build(store: Store, drills: int, sites: int, journals: int) -> list[str]:
    """Fill an empty store; return the ids of the journaled drills (to regrade)."""
    bundle = flood_bundle()
    sources = play_sources(store, bundle)
    clones = plan_clones(drills, sites, journals, len(sources))
    rosters, seats = crews([r.id for r in bundle.compiled.plan.roles])
    sql = store.sql
    with sql.transaction():
        sql.execute("CREATE TEMPORARY TABLE bench_sources (k INTEGER PRIMARY KEY, id TEXT)")
        sql.execute(
            "CREATE TEMPORARY TABLE bench_plan (n INTEGER PRIMARY KEY, id TEXT, source INTEGER, "
            "created TEXT, ended TEXT, site TEXT, purpose TEXT, crew INTEGER, voided TEXT, "
            "void_reason TEXT, voided_by TEXT, journal INTEGER)"
        )
        sql.execute(
            "CREATE TEMPORARY TABLE bench_crews (crew INTEGER PRIMARY KEY, roster TEXT, bots TEXT)"
        )
        sql.execute(
            "CREATE TEMPORARY TABLE bench_seats (crew INTEGER, role TEXT, participant TEXT, "
            "PRIMARY KEY (crew, role))"
        )
        insert_rows(sql, "bench_sources", list(enumerate(sources)))
        insert_rows(sql, "bench_plan", [c.row() for c in clones])
        insert_rows(sql, "bench_crews", rosters)
        insert_rows(sql, "bench_seats", seats)
    crew = "JOIN bench_crews c ON c.crew = p.crew"
    seat = "LEFT JOIN bench_seats s ON s.crew = p.crew AND s.role = x.role"
    person = "CASE WHEN s.participant NOT LIKE 'bot:%' THEN 1 ELSE 0 END"
    dated = {"drill_id": "p.id", "created": "p.created"}
    counted = {**dated, "site": "p.site", "purpose": "p.purpose", "person": person}
    with sql.transaction(), indexes_set_aside(sql, ("results", "role_scores", "scores")):
        planned = ("created", "ended", "site", "purpose", "voided", "void_reason", "voided_by")
        drill = {"id": "p.id", "roster": "c.roster", "bots": "c.bots"}
        clone_table(sql, "drills", drill | {c: f"p.{c}" for c in planned}, crew)
        clone_table(sql, "scores", {**dated, "computed": "p.ended"})
        # a void drill keeps its score but leaves the trend tables (Store.void_drill)
        clone_table(sql, "results", counted, seat, "p.voided IS NULL")
        clone_table(
            sql,
            "role_scores",
            {**counted, "participant": "COALESCE(s.participant, '')"},
            seat,
            "p.voided IS NULL",
        )
        for table in ("inputs", "events"):
            clone_table(sql, table, {"drill_id": "p.id"}, where="p.journal = 1")
        for table in (*DRILL_TABLES, "drills"):  # the real drills leave: N clones remain
            key = "id" if table == "drills" else "drill_id"
            sql.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT id FROM bench_sources)")
        for table in ("bench_sources", "bench_plan", "bench_crews", "bench_seats"):
            sql.execute(f"DROP TABLE {table}")
    sql.execute("ANALYZE" if sql.dialect == "sqlite" else "VACUUM ANALYZE")
    return [c.id for c in clones if c.journal]


# -- measuring -----------------------------------------------------------------------


def best_ms(fn: Callable[[], Sequence[object]], repeat: int = 5) -> tuple[float, int]:
    """Fastest of ``repeat`` runs in ms, and how many rows the call returned."""
    best, size = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(fn())
        best = min(best, time.perf_counter() - start)
    return best * 1000, size


def queries(store: Store) -> dict[str, Callable[[], Sequence[object]]]:
    quarter = Filters(since="2026-04-01", until="2026-06-30")
    return {
        "trends by site": lambda: trends(store, "site", Filters()),
        "trends by site, one quarter": lambda: trends(store, "site", quarter),
        "trends by site, purpose exam": lambda: trends(store, "site", Filters(purpose="exam")),
        "trends by role": lambda: trends(store, "role", Filters()),
        "trends by trainee": lambda: trends(store, "trainee", Filters()),
        "trends by rule": lambda: trends(store, "rule", Filters()),
        "history newest 50": lambda: history(store, Filters(), 50),
        "history by site": lambda: history(store, Filters(site="site-07"), 50),
        "history by trainee": lambda: history(store, Filters(trainee="trainee-07"), 50),
        "history scenario+rating+dates": lambda: history(
            store,
            Filters(scenario=SCENARIO, rating="U", since="2026-03-01", until="2026-06-30"),
            50,
        ),
    }


class Recording:
    """``store.sql`` that notes every statement it is given (to explain them after)."""

    def __init__(self, inner: Connection) -> None:
        self.inner = inner
        self.statements: list[tuple[str, list[Any]]] = []

    def execute(self, sql: str, params: Params = ()) -> Rows:
        self.statements.append((sql, list(params)))
        return self.inner.execute(sql, params)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@contextmanager
def recording(store: Store) -> Iterator[Recording]:
    inner = store.sql
    recorder = Recording(inner)
    store.sql = cast(Connection, recorder)
    try:
        yield recorder
    finally:
        store.sql = inner


def explain(store: Store, sql: str, params: list[Any]) -> list[str]:
    if store.sql.dialect == "sqlite":
        rows = store.sql.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return [row[-1] for row in rows]
    return [row[0] for row in store.sql.execute("EXPLAIN " + sql, params).fetchall()]


def trend_statements(store: Store) -> list[tuple[str, list[Any]]]:
    """What trends by site runs: its aggregate, then two series statements per site."""
    with recording(store) as recorder:
        trends(store, "site", Filters())
    return recorder.statements


def trend_plans(store: Store, statements: list[tuple[str, list[Any]]]) -> list[str]:
    """The plans of the aggregate and of the first per-site series."""
    lines = []
    for title, (sql, params) in zip(("aggregate", "series"), statements, strict=False):
        lines.append(f"{title}: {' '.join(sql.split())}")
        lines += [f"    {line}" for line in explain(store, sql, params)]
    return lines


@dataclass
class Figures:
    backend: str
    build_seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    times: dict[str, tuple[float, int]] = field(default_factory=dict)
    statements: int = 0
    plan: list[str] = field(default_factory=list)
    regrade: str = ""


def measure(backend: str, target: str, args: argparse.Namespace) -> Figures:
    figures = Figures(backend)
    store = Store(target)
    try:
        start = time.perf_counter()
        ids = build(store, args.drills, args.sites, args.regrade)
        figures.build_seconds = time.perf_counter() - start
        for table in ("drills", "scores", "results", "role_scores", "events"):
            figures.counts[table] = store.sql.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        built = f"built {args.drills} drills at {args.sites} sites"
        print(f"{backend}: {built} in {figures.build_seconds:.1f} s: {figures.counts}", flush=True)
        for name, fn in queries(store).items():
            figures.times[name] = best_ms(fn)
        statements = trend_statements(store)
        figures.statements, figures.plan = len(statements), trend_plans(store, statements)
        aggregate, params = statements[0]
        figures.times["trends by site: its aggregate"] = best_ms(
            lambda: store.sql.execute(aggregate, params).fetchall()
        )
        profile = ScoringProfile(id="bench", version="2")
        start = time.perf_counter()
        done = sum(1 for _ in regrade(store, ids, profile))
        seconds = time.perf_counter() - start
        figures.regrade = f"{done} drills in {seconds:.2f} s = {done / seconds:.0f} drills/s"
    finally:
        store.close()
    return figures


@contextmanager
def targets(folder: Path, backends: list[str], postgres: str | None) -> Iterator[dict[str, str]]:
    """Where each backend's record goes; PostgreSQL left out (with the reason printed)
    when no server can be had."""
    found = {}
    with ExitStack() as stack:
        if "sqlite" in backends:
            found["sqlite"] = str(folder / "history.db")
        if "postgresql" in backends:
            try:
                from tests.postgres import fresh_database, throwaway_cluster

                server = postgres or stack.enter_context(throwaway_cluster())
                found["postgresql"] = fresh_database(server)
            except (ImportError, OSError, RuntimeError, subprocess.CalledProcessError) as exc:
                why = getattr(exc, "stderr", None) or b""
                print(f"PostgreSQL column skipped: {exc} {why.decode(errors='replace')}".strip())
        yield found


# -- reporting -----------------------------------------------------------------------


def table(results: list[Figures], backends: list[str]) -> list[str]:
    """Rows: the build and each query; columns: the backends (ms, build in s); last, how
    many rows the call returned on each (one number when they agree)."""
    by = {f.backend: f for f in results}
    titles = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

    def line(title: str, cells: dict[str, str], rows: str = "") -> str:
        texts = "".join(f"{cells.get(b, 'skipped'):>14}" for b in backends)
        return f"{title:<34}{texts}    {rows}".rstrip()

    lines = [line("", {b: titles[b] for b in backends}, "rows")]
    lines.append(line("build (s)", {b: f"{f.build_seconds:.1f}" for b, f in by.items()}))
    for name in results[0].times if results else ():
        sizes = sorted({f.times[name][1] for f in results})
        cells = {b: f"{f.times[name][0]:.1f}" for b, f in by.items()}
        lines.append(line(f"{name} (ms)", cells, "/".join(map(str, sizes))))
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--drills", type=int, default=100_000)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", help="a postgresql:// URL of a maintenance database")
    parser.add_argument("--regrade", type=int, default=1_000)
    parser.add_argument("--calibrate", type=int, default=1_000)
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = []
    with tempfile.TemporaryDirectory() as tmp, targets(Path(tmp), backends, args.postgres) as to:
        for backend, target in to.items():
            results.append(measure(backend, target, args))
    print()
    print("\n".join(table(results, backends)))
    for figures in results:
        print(f"\n{figures.backend}: trends by site runs {figures.statements} statements; plans:")
        print("\n".join(f"  {line}" for line in figures.plan))
    print()
    for figures in results:
        print(f"regrade ({figures.backend}): {figures.regrade}")
    compiled = flood_bundle().compiled
    result = calibrate(compiled, args.calibrate)
    summary = result.summary()
    print(
        f"calibrate: {args.calibrate} novice runs of {SCENARIO} in {result.seconds:.2f} s "
        f"({args.calibrate / result.seconds:.0f} runs/s); ratings {summary['ratings']}"
    )


if __name__ == "__main__":
    main()
