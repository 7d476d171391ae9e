"""Drill history and trends: indexed queries over the store, and regrading.

Every query filters on indexed columns (created, scenario, plan, profile, rating, role,
participant, rule), so listing and trending stay fast on tens of thousands of drills
(see benchmarks/bench_history.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from drills.store.database import Store, drill_status, escape_like, storage
from drills.store.kinds import Standing
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.score import score_drill


@dataclass
class Filters:
    scenario: str | None = None
    plan: str | None = None
    trainee: str | None = None
    role: str | None = None
    since: str | None = None
    until: str | None = None
    rating: str | None = None
    search: str | None = None
    purpose: str | None = None
    site: str | None = None
    profile: str = DEFAULT_PROFILE.label
    # trends count people in real drills; these put bot-played roles and test runs back
    with_bots: bool = False
    with_tests: bool = False

    def where(self, alias: str = "d") -> tuple[str, list[Any]]:
        """SQL conditions on drills (``alias``) and their score under ``profile``."""
        clauses: list[str] = []
        args: list[Any] = []
        equal = (("scenario_id", self.scenario), ("plan_id", self.plan),
                 ("purpose", self.purpose), ("site", self.site))  # fmt: skip
        for column, wanted in equal:
            if wanted:
                clauses.append(f"{alias}.{column} = ?")
                args.append(wanted)
        if self.search:
            clauses.append(
                f"({alias}.scenario_id LIKE ? ESCAPE '\\' OR {alias}.id LIKE ? ESCAPE '\\')"
            )
            search = escape_like(self.search)
            args += [f"%{search}%", f"{search}%"]
        if self.since:
            clauses.append(f"{alias}.created >= ?")
            args.append(self.since)
        if self.until:
            clauses.append(f"{alias}.created < ?")
            args.append(_end_of(self.until))
        if self.rating:
            clauses.append("s.rating = ?")
            args.append(self.rating)
        if self.trainee or self.role:
            sub = ["r.drill_id = " + alias + ".id", "r.profile = ?"]
            sub_args: list[Any] = [self.profile]
            if self.trainee:
                sub.append("r.participant = ?")
                sub_args.append(self.trainee)
            if self.role:
                sub.append("r.role = ?")
                sub_args.append(self.role)
            clauses.append(f"EXISTS (SELECT 1 FROM role_scores r WHERE {' AND '.join(sub)})")
            args += sub_args
        return (" AND ".join(clauses) or "1 = 1"), args


def _end_of(day: str) -> str:
    """``--until 2026-11-23`` includes that whole day."""
    return day + "\uffff" if len(day) == 10 else day


def _started_sql(store: Store) -> str:
    """Whether drill ``d`` ever ran (see ``Store.started``), as a column."""
    decision = store.sql.json_text("i.data", "type")
    return (
        "(d.last_t > 0 OR EXISTS (SELECT 1 FROM inputs i WHERE i.drill_id = d.id AND "
        f"{decision} = 'decision'))"
    )


_STATUS_SQL = {
    "ended": "d.status = 'ended' AND d.voided IS NULL",
    "void": "d.voided IS NOT NULL",
    "running": "d.status = 'running' AND d.voided IS NULL",
    "interrupted": "d.status = 'running' AND d.voided IS NULL",
}


@storage("cannot read the drill history", decodes=True)
def history(
    store: Store, filters: Filters, limit: int = 50, status: str | None = None
) -> list[dict[str, Any]]:
    """Drills newest first: id, date, scenario, mode and purpose, who played which role,
    score and rating (only for ended, started, unvoided drills: the rest are not rated),
    and status (``drills.store.kinds.STATUSES``)."""
    where, args = filters.where()
    if status:
        where += " AND " + _STATUS_SQL[status]
    # A drill not yet regraded under this profile shows the result it was saved with, and
    # names that profile: old drills stay what they were until someone regrades them.
    sql = (
        "SELECT d.id, d.created, d.site, d.scenario_id, d.plan_id, d.mode, d.purpose, "
        "d.status, "
        "d.roster, d.bots, d.voided, d.void_reason, d.voided_by, "
        f"{_started_sql(store)} AS started, "
        "COALESCE(s.score, o.score) AS score, COALESCE(s.rating, o.rating) AS rating, "
        "COALESCE(s.profile, o.profile) AS profile "
        "FROM drills d LEFT JOIN scores s ON s.drill_id = d.id AND s.profile = ? "
        "LEFT JOIN scores o ON s.drill_id IS NULL AND o.drill_id = d.id AND o.profile = "
        "(SELECT profile FROM scores WHERE drill_id = d.id ORDER BY computed DESC, profile "
        "LIMIT 1) "
        f"WHERE {where} ORDER BY d.created DESC, d.id DESC LIMIT ?"
    )
    rows = [
        _history_row(store, dict(row))
        for row in store.sql.query(sql, [filters.profile, *args, limit])
    ]
    return [row for row in rows if status is None or row["status"] == status]


@storage("cannot list the sites")
def sites(store: Store) -> list[str]:
    """The sites the stored drills were played at, sorted by code point (the same order on
    every backend, whatever a server's collation); drills older than sites have none."""
    sql = "SELECT DISTINCT site FROM drills WHERE site IS NOT NULL"
    return sorted(str(row[0]) for row in store.sql.execute(sql).fetchall())


def _history_row(store: Store, row: dict[str, Any]) -> dict[str, Any]:
    roster: dict[str, str] = json.loads(row.pop("roster") or "{}")
    bots: dict[str, str] = json.loads(row.pop("bots") or "{}")
    row["started"] = bool(row["started"])
    row["status"] = drill_status(row["status"], row["voided"], lambda: store.playing(row["id"]))
    row["trainees"] = [{"name": name, "role": role} for role, name in roster.items()]
    row["bots"] = bots
    row["bots_only"] = not roster
    row["rated"] = Standing(row["status"], row["started"]).rated
    if not row["rated"]:
        row["score"] = row["rating"] = row["profile"] = None
    return row


@dataclass
class Trend:
    key: str
    drills: int
    mean: float
    first: float
    last: float
    on_time: float | None
    latency_ratio: float | None
    series: list[float] = field(default_factory=list)


TREND_KINDS = ("role", "trainee", "rule", "site")


_TREND_SOURCES = {
    # key column, value (0..1), on-time flag (0..1), latency/deadline ratio
    "rule": (
        "results",
        "x.rule",
        "x.credit",
        # on time ÷ all that came due: late, partly and missed count against it
        "CASE WHEN x.status = 'met' THEN 1.0 "
        "WHEN x.status IN ('late', 'partly', 'missed') THEN 0.0 END",
        "CASE WHEN x.status IN ('met', 'late') AND x.deadline > 0 "
        "THEN 1.0 * x.latency / x.deadline END",
    ),
    "role": ("role_scores", "x.role", "x.score / 100.0", "x.on_time", "CAST(NULL AS REAL)"),
    "site": ("role_scores", "x.site", "x.score / 100.0", "x.on_time", "CAST(NULL AS REAL)"),
    "trainee": (
        "role_scores",
        "x.participant",
        "x.score / 100.0",
        "x.on_time",
        "CAST(NULL AS REAL)",
    ),
}


def _trend_where(filters: Filters) -> tuple[str, str, list[Any]]:
    """Join and conditions for a trend query. Dates, purpose and site use the copies on
    each result row (in the covering indexes); only the other filters join the drills."""
    clauses = ["x.profile = ?"]
    args: list[Any] = [filters.profile]
    if not filters.with_bots:
        clauses.append("x.person = 1")
    if not filters.with_tests:
        clauses.append("x.purpose != 'test'")
    for column, wanted in (("purpose", filters.purpose), ("site", filters.site)):
        if wanted:
            clauses.append(f"x.{column} = ?")
            args.append(wanted)
    if filters.since:
        clauses.append("x.created >= ?")
        args.append(filters.since)
    if filters.until:
        clauses.append("x.created < ?")
        args.append(_end_of(filters.until))
    rest = Filters(
        scenario=filters.scenario,
        plan=filters.plan,
        trainee=filters.trainee,
        role=filters.role,
        rating=filters.rating,
        profile=filters.profile,
    )
    join = ""
    rest.search = filters.search
    if any(
        (
            rest.scenario,
            rest.plan,
            rest.trainee,
            rest.role,
            rest.rating,
            rest.search,
        )
    ):
        where, more = rest.where()
        join = (
            "JOIN drills d ON d.id = x.drill_id "
            "LEFT JOIN scores s ON s.drill_id = d.id AND s.profile = x.profile"
        )
        clauses.append(where)
        args += more
    return join, " AND ".join(clauses), args


@storage("cannot read the trends")
def trends(store: Store, by: str, filters: Filters, points: int = 30) -> list[Trend]:
    """How scores (per rule: credit), on-time rate and latency moved across drills.

    SQLite aggregates; only the last ``points`` values per key (for the sparkline) and the
    first value travel to Python.
    """
    if by not in TREND_KINDS:
        raise ValueError(f"trends by role, trainee, rule or site, not {by!r}")
    table, key, value, on_time, ratio = _TREND_SOURCES[by]
    # a site has a row per role and drill: it counts drills (a role or a trainee has one
    # row per drill, a rule one per expectation)
    count = "COUNT(DISTINCT x.drill_id)" if by == "site" else "COUNT(*)"
    join, where, args = _trend_where(filters)
    rows = store.sql.execute(
        f"SELECT {key}, {count}, AVG({value}), AVG({on_time}), AVG({ratio}) "
        f"FROM {table} x {join} WHERE {where} GROUP BY {key} ORDER BY {key}",
        args,
    ).fetchall()
    out = []
    for name, count, mean, on_time_rate, latency in rows:
        if mean is None:
            continue
        rows_of_key = (
            f"SELECT x.created, x.drill_id, {value} FROM {table} x {join} "
            f"WHERE {where} AND {key} = ?"
        )
        last = _per_drill(store, rows_of_key, [*args, name], points, "DESC")[::-1]
        first = _per_drill(store, rows_of_key, [*args, name], 1, "ASC")
        out.append(
            Trend(
                key=name or "—",
                drills=count,
                mean=round(100 * mean, 1),
                first=round(100 * (first[0] if first else mean), 1),
                last=round(100 * last[-1], 1) if last else round(100 * mean, 1),
                on_time=round(on_time_rate, 3) if on_time_rate is not None else None,
                latency_ratio=round(latency, 3) if latency is not None else None,
                series=[round(100 * v, 1) for v in last],
            )
        )
    return out


def _per_drill(
    store: Store, rows_sql: str, args: list[Any], points: int, order: str
) -> list[float]:
    """The first ``points`` drills' mean values in ``order`` of creation, ties by drill id:
    one point per drill (a site has a row per role, a rule may have several expectations),
    the same whatever plan the database picks. Rows come a page at a time in index order
    (no sort of every row of the key, which a GROUP BY costs SQLite) and are averaged here."""
    page = max(4 * points, 64)
    found: list[float] = []
    group: tuple[str, str] | None = None
    values: list[float] = []
    offset = 0
    while len(found) < points:
        rows = store.sql.execute(
            f"{rows_sql} ORDER BY x.created {order}, x.drill_id {order} LIMIT ? OFFSET ?",
            [*args, page, offset],
        ).fetchall()
        for created, drill_id, value in rows:
            if (created, drill_id) != group:
                if values:
                    found.append(sum(values) / len(values))
                    if len(found) == points:
                        return found
                group, values = (created, drill_id), []
            if value is not None:
                values.append(float(value))
        if len(rows) < page:
            break
        offset += page
    if values and len(found) < points:
        found.append(sum(values) / len(values))
    return found


SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float], low: float = 0.0, high: float = 100.0) -> str:
    if not values:
        return ""
    span = (high - low) or 1.0
    return "".join(SPARK[min(7, max(0, int((v - low) / span * 7.999)))] for v in values)


@storage("cannot list the drills")
def drill_ids(store: Store, filters: Filters) -> list[str]:
    where, args = filters.where()
    sql = (
        "SELECT d.id FROM drills d LEFT JOIN scores s ON s.drill_id = d.id AND s.profile = ? "
        f"WHERE d.status = 'ended' AND d.voided IS NULL AND {where} ORDER BY d.created, d.id"
    )
    return [row[0] for row in store.sql.execute(sql, [filters.profile, *args]).fetchall()]


@storage("cannot read earlier scores")
def previous_results(
    store: Store, ids: list[str], profile_label: str
) -> dict[str, tuple[float, str, str]]:
    """The newest result of each drill under another profile: (score, rating, profile)."""
    found: dict[str, tuple[float, str, str]] = {}
    for drill_id in ids:
        row = store.sql.execute(
            "SELECT score, rating, profile FROM scores WHERE drill_id = ? AND profile != ? "
            "ORDER BY computed DESC LIMIT 1",
            [drill_id, profile_label],
        ).fetchone()
        if row is not None:
            found[drill_id] = (row[0], row[1], row[2])
    return found


def regrade(
    store: Store,
    ids: list[str],
    profile: ScoringProfile,
    on_progress: Callable[[int], None] | None = None,
) -> Iterator[tuple[str, float, str]]:
    """Rescore drills from their journals under ``profile``; earlier results stay."""
    for drill_id in ids:
        compiled = store.drill(drill_id).bundle().compiled  # cached per scenario version
        score = score_drill(compiled, store.events(drill_id), profile)
        store.save_score(drill_id, score)
        if on_progress is not None:
            on_progress(1)
        yield drill_id, score.score, score.rating
