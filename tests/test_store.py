"""The journal: WAL, migrations, replay gives identical streams, resume loses nothing."""

from pathlib import Path

import pytest

from drills.play.session import DrillSession, replay_journal
from drills.store.database import Store, StoreError
from engine.bundle import Bundle
from engine.events import Decision
from scoring.score import score_drill

from .conftest import NewDb

ROLES = ("duty_chief", "office", "commander")


@pytest.mark.sqlite
def test_database_is_wal_with_migrations_recorded(store: Store) -> None:
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = [r["name"] for r in store.db["_sqlite_migrations"].rows]
    assert names == [
        "m001_journal",
        "m002_wal",
        "m003_review",
        "m004_sources",
        "m005_trend_indexes",
        "m006_rooms",
        "m007_submission_keys",
        "m008_records",
        "m009_counted_results",
        "m010_seat_tokens",
        "m011_site",
        "m012_site_trend_index",
    ]
    assert store.path.stat().st_mode & 0o777 == 0o600  # private: trainees use the gateway


def test_a_database_from_before_the_last_migration_still_opens(
    tmp_path: Path, worked_bundle: Bundle
) -> None:
    """Drills written by an older Drillhall (texts stored per drill) survive the upgrade."""
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    from drills.store import database as store_module

    path = tmp_path / "old.db"
    old = Migrations("drillhall")
    for step in (store_module.m001_journal, store_module.m003_review):
        old()(step)
    old(transactional=False)(store_module.m002_wal)
    db = Database(path)
    old.apply(db)
    db.table("drills").insert(
        {
            "id": "0ld0ld00",
            "scenario_id": "worked-example-fld007",
            "scenario_version": "1",
            "plan_id": "worked-example",
            "plan_version": "1",
            "seed": 0,
            "mode": "training",
            "bots": "{}",
            "speed": 0,
            "status": "running",
            "created": "2026-01-01T00:00:00",
            "ended": None,
            "last_t": 0,
            "scenario_path": "old.yaml",
            "scenario_text": worked_bundle.scenario_text,
            "plan_text": worked_bundle.plan_text,
        }
    )
    db.close()
    upgraded = Store(path)
    record = upgraded.drill("0ld0ld00")
    assert record.scenario_text == worked_bundle.scenario_text
    assert record.bundle().compiled.scenario.id == "worked-example-fld007"
    assert "scenario_text" not in upgraded.db["drills"].columns_dict


def test_reopening_an_existing_database_keeps_drills(new_db: NewDb, worked_bundle: Bundle) -> None:
    path = new_db()
    first = Store(path)
    session = DrillSession.create(first, worked_bundle, bots={r: "ideal" for r in ROLES})
    session.run_headless()
    first.close()
    again = Store(path)
    assert again.drill(session.drill_id).status == "ended"
    assert again.drill(session.drill_id[:5]).id == session.drill_id  # prefixes work


def test_garbage_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "not-a-db.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open the drill database"):
        Store(path)


def test_unknown_drill_is_a_clear_error(store: Store) -> None:
    with pytest.raises(StoreError, match="no drill 'nope'"):
        store.drill("nope")


@pytest.mark.parametrize("bot", ["ideal", "novice", "idle"])
def test_replayed_journal_gives_identical_events_and_score(
    store: Store, branching_bundle: Bundle, bot: str
) -> None:
    session = DrillSession.create(store, branching_bundle, seed=11, bots={r: bot for r in ROLES})
    outcome = session.run_headless()
    stored = store.events(session.drill_id)
    assert [e.to_json() for e in stored] == [e.to_json() for e in session.engine.events]
    bundle, replayed = replay_journal(store, session.drill_id)
    assert [e.to_json() for e in replayed] == [e.to_json() for e in stored]
    assert score_drill(bundle.compiled, replayed).to_dict() == outcome.score.to_dict()


def test_resume_in_process_keeps_every_decision(new_db: NewDb, branching_bundle: Bundle) -> None:
    """Stop a drill half way (as a crash would), resume it, and finish."""
    path = new_db()
    store = Store(path)
    session = DrillSession.create(
        store, branching_bundle, seed=2, bots={"office": "novice", "commander": "ideal"}
    )
    session.tick(650)
    session.submit(700, Decision("duty_chief", "report", note="typed by a person"))
    session.tick(5000)
    drill_id = session.drill_id
    before = store.inputs(drill_id)
    store.close()  # the process "dies": nothing else is written

    store = Store(path)
    resumed = DrillSession.resume(store, drill_id)
    outcome = resumed.run_headless()
    after = store.inputs(drill_id)
    assert after[: len(before)] == before
    assert any(isinstance(i, Decision) and i.note == "typed by a person" for _, i in after)
    assert store.drill(drill_id).status == "ended"
    # A fresh run with the same inputs gives the same stream as the resumed one.
    _, replayed = replay_journal(store, drill_id)
    assert [e.to_json() for e in replayed] == [e.to_json() for e in store.events(drill_id)]
    assert outcome.score.to_dict() == score_drill(resumed.compiled, replayed).to_dict()


def test_resuming_an_ended_drill_is_refused(store: Store, worked_bundle: Bundle) -> None:
    session = DrillSession.create(store, worked_bundle, bots={})
    session.run_headless()
    with pytest.raises(StoreError, match="already ended"):
        DrillSession.resume(store, session.drill_id)


def test_inputs_are_committed_before_they_are_applied(store: Store, worked_bundle: Bundle) -> None:
    session = DrillSession.create(store, worked_bundle, bots={})
    session.runner.submit(60, Decision("duty_chief", "report"))  # no flush of events
    other = Store(store.target)  # another connection sees it: committed
    rows = other.sql.execute("SELECT t, data FROM inputs").fetchall()
    assert rows and rows[0][0] == 60 and '"action":"report"' in rows[0][1]
