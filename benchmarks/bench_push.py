"""Sites pushing finished drills into one central record, on SQLite and on PostgreSQL.

    python -m benchmarks.bench_push [--sites 10] [--per-site 100] [--postgres URL]

Builds ``--sites`` SQLite site databases of ``--per-site`` finished drills each (the
worked example played by seeded novice bots with one trainee named per drill, each site
with its own ``DRILLHALL_SITE``). Then, for each central backend: a first push that is
cut off halfway (the first half of the sites, and half of the next site's drills), the
push repeated for every site, and a third push that must change nothing. Each push checks
every drill's journal as `drillhall push` does (replayed through the engine). Prints drills
per second for the pushes and checks that every drill is present exactly once.

Without ``--postgres`` a throwaway cluster is started (tests/postgres.py) where the
server binaries are installed; otherwise only SQLite is measured.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from itertools import islice
from pathlib import Path

from drills.play.session import DrillSession
from drills.review.evidence.verify import journal_problem
from drills.store.database import Store
from drills.store.push import push
from engine.bundle import load_bundle

DATA = Path(__file__).parent.parent / "tests" / "data"


def build_sites(folder: Path, sites: int, per_site: int) -> list[Store]:
    bundle = load_bundle(DATA / "worked-scenario.yaml", DATA / "worked-plan.yaml")
    roles = [r.id for r in bundle.compiled.plan.roles]
    stores = []
    for number in range(sites):
        os.environ["DRILLHALL_SITE"] = f"site-{number:02d}"
        store = Store(folder / f"site-{number:02d}.db")
        for seed in range(per_site):
            session = DrillSession.create(
                store, bundle, seed=seed, bots=dict.fromkeys(roles[1:], "novice")
            )
            store.set_roster(session.drill_id, {roles[0]: f"trainee-{seed % 40:02d}"})
            session.run_headless()
        stores.append(store)
    return stores


@contextmanager
def central_targets(folder: Path, postgres: str | None) -> Iterator[list[tuple[str, str]]]:
    targets = [("sqlite", str(folder / "central.db"))]
    with ExitStack() as stack:
        server = postgres
        if server is None:
            try:
                from tests.postgres import throwaway_cluster

                server = stack.enter_context(throwaway_cluster())
            except (FileNotFoundError, RuntimeError, OSError) as exc:
                print(f"PostgreSQL skipped: {exc}")
        if server is not None:
            from tests.postgres import fresh_database

            targets.append(("postgresql", fresh_database(server)))
        yield targets


def measure(name: str, target: str, sites: list[Store], total: int) -> None:
    centre = Store(target)
    half = len(sites) // 2
    start = time.perf_counter()
    sent = 0
    for site in sites[:half]:
        sent += sum(1 for _ in push(site, centre, check=journal_problem))
    per_site = total // len(sites)
    sent += sum(
        1 for _ in islice(push(sites[half], centre, check=journal_problem), per_site // 2)
    )  # cut off
    first = time.perf_counter() - start
    start = time.perf_counter()
    outcomes: dict[str, int] = {}
    for site in sites:
        for pushed in push(site, centre, check=journal_problem):
            outcomes[pushed.outcome] = outcomes.get(pushed.outcome, 0) + 1
    again = time.perf_counter() - start
    start = time.perf_counter()
    third = {p.outcome for site in sites for p in push(site, centre, check=journal_problem)}
    idle = time.perf_counter() - start
    present = centre.sql.execute("SELECT COUNT(*), COUNT(DISTINCT id) FROM drills").fetchone()
    centre.close()
    print(
        f"{name:<11} cut-off push: {sent} drills in {first:.1f} s ({sent / first:.0f}/s); "
        f"repeated: {outcomes} in {again:.1f} s; third push {sorted(third)} in {idle:.1f} s "
        f"({total / idle:.0f}/s); drills present {present[0]} (distinct {present[1]}, "
        f"expected {total})"
    )
    assert tuple(present) == (total, total), present
    assert third == {"unchanged"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=10)
    parser.add_argument("--per-site", type=int, default=100)
    parser.add_argument("--postgres", help="a postgresql:// URL of a maintenance database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        sites = build_sites(folder, args.sites, args.per_site)
        total = args.sites * args.per_site
        print(f"built {total} finished drills at {args.sites} sites in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
        with central_targets(folder, args.postgres) as targets:
            for name, target in targets:
                measure(name, target, sites, total)
        for site in sites:
            site.close()


if __name__ == "__main__":
    main()
