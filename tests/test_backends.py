"""The record store on SQLite and on PostgreSQL: the same calls give the same results.

Each test runs twice (``any_store``): on an SQLite file and on a fresh database of a
throwaway PostgreSQL cluster (skipped, with the reason, where the server is missing).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from drills.play.live import POLL_EVERY, LiveDrill
from drills.play.session import DrillSession
from drills.store import rooms
from drills.store.database import DrillBusy, RecordRefused, Store
from drills.store.history import Filters, drill_ids, history, regrade, trends
from drills.store.notes import add_note, edit_improvement, improvement_log, notes, sign_off
from drills.store.postgres import redacted
from engine.bundle import Bundle
from engine.events import Decision
from scoring.profile import ScoringProfile

from .waits import wait_for


def _played(
    store: Store, bundle: Bundle, person: str | None = "Li", purpose: str = "practice"
) -> str:
    roles = [r.id for r in bundle.compiled.plan.roles]
    bots = dict.fromkeys(roles[1:] if person else roles, "ideal")
    session = DrillSession.create(store, bundle, bots=bots, purpose=purpose)
    if person:
        store.set_roster(session.drill_id, {roles[0]: person})
    session.run_headless()
    return session.drill_id


def test_a_drill_is_journaled_scored_and_replayed_alike(
    any_store: Store, worked_bundle: Bundle
) -> None:
    drill = _played(any_store, worked_bundle, purpose="official")
    record = any_store.drill(drill)
    assert (record.status, record.purpose, any_store.started(drill)) == ("ended", "official", True)
    assert any_store.drill(drill[:5]).id == drill  # a prefix names it
    events = any_store.events(drill)
    assert events and [e.seq for e in events] == list(range(1, len(events) + 1))
    assert any_store.events_after(drill, 3) == events[3:]
    assert len(any_store.inputs(drill)) >= 1
    saved = any_store.saved_score(drill, "drillhall-rubric v2.0")
    assert saved is not None and saved[1] in "PSMU"
    resumed = DrillSession.resume  # a second writer of an ended drill is refused outright
    with pytest.raises(Exception, match="already ended"):
        resumed(any_store, drill)


def test_history_trends_and_void_alike(any_store: Store, worked_bundle: Bundle) -> None:
    people = [_played(any_store, worked_bundle, person) for person in ("Li", "Wang")]
    bots_only = _played(any_store, worked_bundle, None, purpose="test")
    rows = {r["id"]: r for r in history(any_store, Filters())}
    assert set(rows) == {*people, bots_only}
    assert rows[bots_only]["bots_only"] and not rows[people[0]]["bots_only"]
    assert [r["id"] for r in history(any_store, Filters(trainee="Wang"))] == [people[1]]
    assert [r["id"] for r in history(any_store, Filters(search=people[0][:6]))] == [people[0]]
    assert history(any_store, Filters(search="%")) == []  # LIKE specials are literal
    assert {t.key for t in trends(any_store, "trainee", Filters())} == {"Li", "Wang"}
    assert {t.key for t in trends(any_store, "role", Filters(with_bots=True, with_tests=True))}
    any_store.void_drill(people[0], "aborted", "Zhou")
    with pytest.raises(RecordRefused, match="already voided"):
        any_store.void_drill(people[0], "again", "Zhou")
    assert {t.key for t in trends(any_store, "trainee", Filters())} == {"Wang"}
    [void] = history(any_store, Filters(), status="void")
    assert void["id"] == people[0] and void["score"] is None
    assert drill_ids(any_store, Filters()) == sorted(
        [people[1], bots_only], key=lambda d: any_store.drill(d).created
    )
    strict = ScoringProfile(id="strict", version="2.0", alpha=0.2)
    regraded = list(regrade(any_store, drill_ids(any_store, Filters()), strict))
    assert len(regraded) == 2


def test_one_writer_per_drill_across_connections(any_store: Store, worked_bundle: Bundle) -> None:
    session = DrillSession.create(any_store, worked_bundle, bots={})
    other = Store(any_store.target)
    try:
        with pytest.raises(DrillBusy):
            other.hold_drill(session.drill_id)
        assert other.status(other.drill(session.drill_id)) == "running"
        session.close()
        assert other.status(other.drill(session.drill_id)) == "interrupted"
        other.hold_drill(session.drill_id)  # free now: a resume takes it
        assert any_store.status(any_store.drill(session.drill_id)) == "running"
    finally:
        other.close()


def test_an_unstarted_hosted_drill_is_not_rated(any_store: Store, worked_bundle: Bundle) -> None:
    session = DrillSession.create(any_store, worked_bundle, bots={})
    live = LiveDrill(session, 60.0, paused=True, room_bots="ideal")
    live.end()
    assert live.finish().rated is False
    [row] = history(any_store, Filters())
    assert (row["status"], row["started"], row["score"]) == ("ended", False, None)


def test_signatures_amendments_and_edits_alike(any_store: Store, worked_bundle: Bundle) -> None:
    drill = _played(any_store, worked_bundle)
    assert not add_note(any_store, drill, "hotwash", "Zhou", "before").amendment
    sign_off(any_store, drill, "张安全", "safety_manager", "同意")
    with pytest.raises(RecordRefused):
        sign_off(any_store, drill, "张安全", "safety_manager")
    sign_off(any_store, drill, "王评估", "evaluator")
    assert add_note(any_store, drill, "hotwash", "Zhou", "after").amendment
    edit_improvement(any_store, drill, "F1", owner="市防办")
    edit_improvement(any_store, drill, "F1", status="done")
    assert [n.amendment for n in notes(any_store, drill)] == [False, True]
    assert [(e.fields, e.amendment) for e in improvement_log(any_store, drill)] == [
        ({"owner": "市防办"}, True),
        ({"status": "done"}, True),
    ]


def test_room_submissions_are_stored_once_per_key(any_store: Store, worked_bundle: Bundle) -> None:
    session = DrillSession.create(any_store, worked_bundle, bots={})
    drill = session.drill_id
    role = worked_bundle.compiled.plan.roles[0].id
    assert rooms.join(any_store, drill, role, "Li") == drill
    decision = Decision(role, "report", {})
    first = rooms.submit(any_store, drill, role, "Li", decision, key="k1")
    assert rooms.submit(any_store, drill, role, "Li", decision, key="k1") == first
    assert [i for i, _ in rooms.pending(any_store, drill)] == [first]
    rooms.publish_clock(any_store, drill, 30, 60.0, False, False)
    rooms.publish_clock(any_store, drill, 90, 60.0, True, False)
    assert rooms.read_clock(any_store, drill).t == 90
    session.close()


def test_passwords_are_never_shown() -> None:
    assert redacted("postgresql://li:s3cret@db.example/drills") == (
        "postgresql://li:***@db.example/drills"
    )
    assert "s3cret" not in redacted("postgresql:///drills?host=/run/pg&password=s3cret")
    assert redacted("postgresql:///drills?host=/run/pg") == "postgresql:///drills?host=/run/pg"


def test_the_command_line_on_either_backend(any_store: Store) -> None:
    """``--db`` takes a file or a postgresql:// URL; answers are the same."""
    import json
    from pathlib import Path

    from click.testing import CliRunner

    from drills.cli.main import main

    data = Path(__file__).parent / "data"
    worked = [str(data / "worked-scenario.yaml"), "--plan", str(data / "worked-plan.yaml")]
    where = ["--db", any_store.target]
    cli = CliRunner()
    ran = cli.invoke(main, ["run", *worked, "--bot", "ideal", "--json", *where])
    assert ran.exit_code == 0, ran.output
    drill = json.loads(ran.stdout)["drill_id"]
    [row] = json.loads(cli.invoke(main, ["history", "--json", *where]).stdout)
    assert (row["id"], row["score"], row["rating"], row["purpose"]) == (drill, 100.0, "P", "test")
    assert cli.invoke(main, ["replay", drill, *where]).exit_code == 0
    signed = cli.invoke(
        main, ["signoff", drill, "--name", "Zhou", "--capacity", "evaluator", *where]
    )
    assert signed.exit_code == 0, signed.output
    voided = cli.invoke(main, ["void", drill, "--reason", "test run", "--by", "Zhou", *where])
    assert voided.exit_code == 0, voided.output
    said = cli.invoke(main, ["score", drill, "--lang", "en", *where])
    assert "not rated (void: test run)" in said.stdout
    missing = cli.invoke(main, ["score", "nosuch", *where])
    assert missing.exit_code == 2 and len(missing.stderr.splitlines()) == 1


def test_an_unreachable_server_is_one_line_without_its_password() -> None:
    from click.testing import CliRunner

    from drills.cli.main import main

    url = "postgresql://li:s3cretpw@127.0.0.1:1/drills?connect_timeout=2"
    result = CliRunner().invoke(main, ["history", "--db", url])
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert "s3cretpw" not in result.output and "li:***@127.0.0.1" in result.stderr


def test_kill_9_mid_drill_then_resume_loses_and_duplicates_nothing(any_store: Store) -> None:
    """A drill killed while it plays (SIGKILL: no clean-up at all) resumes from its
    journal on either backend and ends exactly as the same drill played straight through."""
    import json
    import os
    import signal
    import subprocess
    import sys

    from click.testing import CliRunner

    from drills.cli.main import main

    where = ["--db", any_store.target]
    args = ["flood-river-crest", "--bot", "novice", "--seed", "3", "--json", *where]
    straight = json.loads(CliRunner().invoke(main, ["run", *args]).stdout)
    proc = subprocess.Popen(
        [sys.executable, "-m", "drills", "run", *args, "--speed", "3000"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:

        def journaled_three() -> str:
            """The running drill once three of its decisions are journaled ("" before)."""
            for row in history(any_store, Filters(), status="running"):
                if len(any_store.inputs(row["id"])) >= 3:
                    return str(row["id"])
            return ""

        killed = wait_for(journaled_three, "three journaled decisions", 60)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    journaled = len(any_store.inputs(killed))
    # SQLite's lock file is free the moment the kernel reaps the process; a PostgreSQL
    # server lets go of the dead session's advisory lock once it notices the closed
    # connection, a moment later (CI once saw "running" here).
    wait_for(
        lambda: any_store.status(any_store.drill(killed)) == "interrupted",
        "the killed drill to be interrupted",
        30,
    )
    resumed = CliRunner().invoke(main, ["resume", killed, "--json", *where])
    assert resumed.exit_code == 0, resumed.output
    after = json.loads(resumed.stdout)
    assert (after["score"], after["expectations"], after["events"]) == (
        straight["score"],
        straight["expectations"],
        straight["events"],
    )
    inputs = any_store.inputs(killed)
    assert len(inputs) >= journaled and len(inputs) == len(any_store.inputs(straight["drill_id"]))
    assert CliRunner().invoke(main, ["replay", killed, *where]).exit_code == 0


def test_sites_push_to_the_centre_once_even_when_cut_off(
    any_store: Store,
    worked_bundle: Bundle,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two sites push their finished drills to one central record. A push cut off after
    its first drills and repeated sends the rest; every drill is there exactly once, with
    its site; history and trends filter and group by site."""
    from itertools import islice

    from drills.store.push import push

    sites = {}
    for name in ("county-a", "county-b"):
        monkeypatch.setenv("DRILLHALL_SITE", name)
        site = Store(tmp_path / f"{name}.db")
        ids = [_played(site, worked_bundle, person) for person in ("Li", "Wang", "Zhao")]
        running = DrillSession.create(site, worked_bundle, bots={})  # not finished: stays
        sites[name] = (site, ids, running)
    site_a, ids_a, _ = sites["county-a"]
    cut = list(islice(push(site_a, any_store), 2))  # the push dies after two drills
    assert [p.outcome for p in cut] == ["imported", "imported"]
    for name, (site, _ids, running) in sites.items():
        outcomes = [p.outcome for p in push(site, any_store)]
        expected = (
            ["unchanged", "unchanged", "imported"] if name == "county-a" else ["imported"] * 3
        )
        assert outcomes == expected, name
        assert [p.outcome for p in push(site, any_store)] == ["unchanged"] * 3  # idempotent
        running.close()
    rows = history(any_store, Filters())
    assert sorted(r["id"] for r in rows) == sorted(ids_a + sites["county-b"][1])
    assert {r["site"] for r in rows} == {"county-a", "county-b"}
    assert {r["id"] for r in history(any_store, Filters(site="county-b"))} == set(
        sites["county-b"][1]
    )
    by_site = {t.key: t for t in trends(any_store, "site", Filters())}
    assert (
        set(by_site) == {"county-a", "county-b"} and by_site["county-a"].drills == 3
    )  # drills, not role rows
    # a signature added at the site after the push travels with the next one
    sign_off(site_a, ids_a[0], "Zhou", "safety_manager")
    assert [p.outcome for p in push(site_a, any_store)] == ["extended", "unchanged", "unchanged"]
    for site, _, _ in sites.values():
        site.close()


def test_a_read_only_role_is_enough_to_read_the_record(
    postgres_server: str, worked_bundle: Bundle
) -> None:
    """history, trends, score and report need only SELECT on a central record."""
    import json
    import uuid

    import psycopg
    from click.testing import CliRunner

    from drills.cli.main import main

    from .postgres import drop_database, fresh_database

    url = fresh_database(postgres_server)
    writer = Store(url)
    drill = _played(writer, worked_bundle)
    writer.close()
    reader = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {reader} LOGIN")
        conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
    where = ["--db", url.replace("user=drillhall", f"user={reader}")]
    cli = CliRunner()
    [row] = json.loads(cli.invoke(main, ["history", "--json", *where]).stdout)
    assert row["id"] == drill
    for args in (
        ["trends", "--by", "trainee"],
        ["score", drill],
        ["report", drill, "--format", "md"],
    ):
        result = cli.invoke(main, [*args, *where])
        assert result.exit_code == 0, (args, result.output)
    refused = cli.invoke(main, ["void", drill, "--reason", "x", "--by", "y", *where])
    assert refused.exit_code == 2 and "permission denied" in refused.stderr
    from drills.review.desk import StoreDesk  # what the review console reads through

    desk = StoreDesk(Store(where[1], create=False))
    [listed] = desk.drills(None, None)
    assert listed.id == drill and desk.sites() == [listed.site]
    assert desk.report(drill).events  # rebuilt from the journal, read only
    drop_database(postgres_server, url)


def test_a_submission_wakes_the_host(any_store: Store, worked_bundle: Bundle) -> None:
    """A trainee's decision stored by another connection (the gateway's) is applied on
    the host's next tick: on PostgreSQL a notification says it came, so the host does not
    read the queue every tick; on SQLite the host reads it every tick."""
    import time

    session = DrillSession.create(any_store, worked_bundle, bots={})
    live = LiveDrill(session, 1.0, paused=True, room_bots="ideal")
    role = worked_bundle.compiled.plan.roles[0].id
    gateway = Store(any_store.target)
    try:
        rooms.join(gateway, session.drill_id, role, "Li")
        live.resume()
        live.advance_events()
        queue_reads = 0
        original = rooms.pending

        def counted(store: Store, drill_id: str) -> list[tuple[int, Decision]]:
            nonlocal queue_reads
            queue_reads += 1
            return original(store, drill_id)

        rooms.pending = counted
        try:
            idle_started = time.monotonic()
            for _ in range(20):
                live.advance_events()  # nothing submitted yet
            idle_reads = queue_reads
            # the periodic look, once per POLL_EVERY (a loaded machine may take that long)
            looks = 1 + int((time.monotonic() - idle_started) // POLL_EVERY)
            submitted = rooms.submit(
                gateway, session.drill_id, role, "Li", Decision(role, "report", {}), key="k1"
            )
            deadline = time.monotonic() + 10
            while rooms.pending(gateway, session.drill_id) and time.monotonic() < deadline:
                live.advance_events()
        finally:
            rooms.pending = original
        assert rooms.pending(gateway, session.drill_id) == []
        keys = [i.key for _, i in any_store.inputs(session.drill_id) if isinstance(i, Decision)]
        assert f"sub:{submitted}" in keys
        if any_store.sql.dialect == "postgresql":
            assert idle_reads <= looks  # woken, not polling (at most the periodic look)
        else:
            assert idle_reads == 20
    finally:
        gateway.close()
        session.close()


def test_the_host_wakes_on_a_submission_and_polls_are_answered_from_memory(
    any_store: Store, worked_bundle: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between ticks the host waits; a trainee's decision wakes it (PostgreSQL: the
    database's notification; SQLite: the gateway in the same process), so it is applied
    at once, not at the end of the tick. Trainees' polls read what the host published,
    not the database, and see exactly the journal."""
    from drills.rooms.gateway import RoomGateway
    from drills.rooms.messages import Submit

    session = DrillSession.create(any_store, worked_bundle, bots={})
    live = LiveDrill(session, 1.0, paused=True, room_bots="ideal")
    role = worked_bundle.compiled.plan.roles[0].id
    trainee = Store(any_store.target)  # the gateway's connection for this trainee
    with RoomGateway(any_store.target, session.drill_id) as gate:
        live.room = gate
        rooms.join(trainee, session.drill_id, role, "Li")
        live.resume()
        live.advance_events()
        live.wait_for_submission(0)  # PostgreSQL: now listening
        assert live.wait_for_submission(0.01) is False  # nothing submitted: the tick ends
        gate.service.submit(trainee, role, "Li", Submit("k1", "report"))
        assert live.wait_for_submission(60) is True  # woken by the decision, not the clock
        live.advance_events()
        assert rooms.pending(trainee, session.drill_id) == []

        def no_database(*args: object) -> None:
            raise AssertionError("a poll read the journal from the database")

        monkeypatch.setattr(Store, "events_after", no_database)
        monkeypatch.setattr(rooms, "read_clock", no_database)
        polled = gate.service.poll(trainee, role, 0)
        monkeypatch.undo()
        journal = [(e.seq, e.t, str(e.kind)) for e in any_store.events(session.drill_id)]
        assert polled.last == journal[-1][0]
        seen = {(seq, t, kind) for seq, t, kind, _ in polled.events}
        assert seen <= set(journal) and ("decision_accepted" in {k for _, _, k in seen})
        live.room = None
    trainee.close()
    session.close()


def test_push_to_a_missing_folder_is_an_answer(tmp_path: Path) -> None:
    """A mistyped --to is exit 2 with one line, not a new folder tree and a database."""
    from click.testing import CliRunner

    from drills.cli.main import main

    target = tmp_path / "no" / "such" / "centre.db"
    site = Store(tmp_path / "site.db")
    site.close()
    result = CliRunner().invoke(main, ["push", "--to", str(target), "--db", str(site.target)])
    assert result.exit_code == 2 and "no such folder" in result.stderr
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize(
    ("site", "why"),
    [
        ("county\x1b[31m-a", "control characters"),
        ("x" * 81, "at most 80"),
        ("a\nb", "one line"),
        # one spelling per site: these looked like county-a and were other sites
        ("county-a ", "cannot start or end with a space"),
        ("ｃｏｕｎｔｙ-a", "write the site name as 'county-a'"),
    ],
)
def test_a_site_name_is_one_short_visible_line(
    site: str, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The site is shown in every central list and report: a bad $DRILLHALL_SITE stops a
    drill before it starts (exit 2, one line), and records nothing."""
    from click.testing import CliRunner

    from drills.cli.main import main

    monkeypatch.setenv("DRILLHALL_SITE", site)
    result = CliRunner().invoke(main, ["run", "flood-river-crest", "--bot", "ideal"])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("drillhall: DRILLHALL_SITE cannot name this site") and why in line
    assert "\x1b" not in line
    listed = CliRunner().invoke(main, ["history", "--json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout) == []


def test_a_lost_server_connection_while_the_host_waits_is_one_error(
    postgres_server: str, worked_bundle: Bundle
) -> None:
    """The host spends its time waiting on LISTEN: a connection the server drops there is
    a StoreError saying what failed (one line at the CLI), not a psycopg traceback; the
    drill's lock needs no release (the server dropped it with the session)."""
    import psycopg

    from drills.store.database import StoreError

    from .postgres import drop_database, fresh_database

    url = fresh_database(postgres_server)
    store = Store(url)
    session = DrillSession.create(store, worked_bundle, bots={})
    live = LiveDrill(session, 1.0, paused=True, room_bots="ideal")
    live.wait_for_submission(0)  # listening
    live.advance_events()  # reads the queue once: nothing heard is left
    assert store.postgres is not None
    pid = store.postgres.conn.info.backend_pid
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    with pytest.raises(StoreError, match=r"^cannot wait for decisions to drill .*\(postgresql:"):
        live.wait_for_submission(30)
    session.close()  # no second error from releasing the lock
    again = Store(url)
    # the server let go of it: the terminated session sends its error, then ends and
    # drops its advisory locks (a moment later)
    wait_for(lambda: not again.playing(session.drill_id), "the server to let go of it", 30)
    again.close()
    drop_database(postgres_server, url)


def test_a_concurrent_migration_runs_again_after_a_crash(postgres_server: str) -> None:
    """m012 rebuilds an index without locking writers out (CREATE INDEX CONCURRENTLY,
    outside a transaction): cut off anywhere, it runs again to the same schema, with one
    valid index of that name and no half-built one left."""
    import psycopg

    from .postgres import drop_database, fresh_database

    url = fresh_database(postgres_server)
    Store(url).close()
    with psycopg.connect(url, autocommit=True) as conn:
        # as if the process died after building the new index, before the swap
        conn.execute("DELETE FROM drillhall_migrations WHERE name = 'm012_site_trend_index'")
        conn.execute("CREATE INDEX idx_role_scores_trend_site_new ON role_scores (profile, site)")
    again = Store(url)
    assert again.postgres is not None
    assert "m012_site_trend_index" in again.postgres.migrations()
    again.close()
    with psycopg.connect(url, autocommit=True) as conn:
        indexes = conn.execute(
            "SELECT c.relname, i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname LIKE 'idx_role_scores_trend_site%'"
        ).fetchall()
    assert [(name, valid) for name, valid, _ in indexes] == [("idx_role_scores_trend_site", True)]
    assert indexes[0][2].endswith(
        "(profile, site, created, score, on_time, person, purpose, drill_id)"
    )
    drop_database(postgres_server, url)


def test_a_host_hears_its_own_drill_only(postgres_server: str, worked_bundle: Bundle) -> None:
    """Each drill has its own channel: a decision in one drill on a shared server does not
    wake the hosts of the others; one in its own drill does."""
    from .postgres import drop_database, fresh_database

    url = fresh_database(postgres_server)
    host, gateway = Store(url), Store(url)
    role = worked_bundle.compiled.plan.roles[0].id
    mine, other = (DrillSession.create(host, worked_bundle, bots={}) for _ in range(2))
    for drill in (mine, other):
        rooms.join(gateway, drill.drill_id, role, "Li")
    assert rooms.wait_submitted(host, mine.drill_id, 0) is True  # now listening: look once
    assert rooms.notified(host, mine.drill_id) is True  # the look, taken
    listening = {row[0] for row in host.sql.execute("SELECT pg_listening_channels()")}
    assert listening == {rooms.submitted_channel(mine.drill_id)}
    decision = Decision(role, "report", {})
    rooms.submit(gateway, other.drill_id, role, "Li", decision, key="elsewhere")
    assert rooms.wait_submitted(host, mine.drill_id, 0.3) is False
    rooms.submit(gateway, mine.drill_id, role, "Li", decision, key="here")
    assert rooms.wait_submitted(host, mine.drill_id, 30) is True
    for session in (mine, other):
        session.close()
    gateway.close()
    host.close()
    drop_database(postgres_server, url)


def test_the_server_probes_a_silent_site(postgres_server: str) -> None:
    """A site that dies without closing its connection (power cut, network gone) must
    not hold its drill for the system's TCP defaults (hours): each connection asks the
    server to probe it after 15 s of silence and to give up on data unacknowledged for
    30 s."""
    from .postgres import drop_database, fresh_database

    url = fresh_database(postgres_server)
    store = Store(url)
    settings = store.sql.query(
        "SELECT name, setting, source FROM pg_settings "
        "WHERE name LIKE 'tcp_keepalives%' OR name = 'tcp_user_timeout' ORDER BY name"
    )
    store.close()
    # the test cluster listens on a unix socket, where "setting" reads 0; the session
    # value is what a TCP connection would use
    assert [(s["name"], s["source"]) for s in settings] == [
        ("tcp_keepalives_count", "session"),
        ("tcp_keepalives_idle", "session"),
        ("tcp_keepalives_interval", "session"),
        ("tcp_user_timeout", "session"),
    ]
    drop_database(postgres_server, url)


def test_a_site_record_that_does_not_hold_up_is_not_sent(
    any_store: Store, worked_bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site's database is as open to editing as a pack: push checks each drill as
    `verify` checks a pack and refuses, with the reason, one whose journal does not replay
    (its inputs deleted: a drill nobody played scored 100 P at the centre) or whose record
    breaks the rules (a newline in its site forged a row of history; an unknown status or
    purpose broke it), and sends the others."""
    from click.testing import CliRunner

    from drills.cli.main import main

    monkeypatch.setenv("DRILLHALL_SITE", "county-a")
    site = Store(tmp_path / "site.db")
    honest, unplayed, forged_site, bogus, nan = (
        _played(site, worked_bundle, person) for person in ("Li", "Wang", "Zhao", "Qian", "Sun")
    )
    tamper = [
        ("DELETE FROM inputs WHERE drill_id = ?", [unplayed]),
        (
            "UPDATE drills SET site = 'county-a' || char(10) || 'FAKE ROW' WHERE id = ?",
            [forged_site],
        ),
        ("UPDATE drills SET purpose = 'bogus' WHERE id = ?", [bogus]),
        (
            'UPDATE inputs SET data = replace(data, \'"params":{\', \'"params":{"x":NaN,\') '
            "WHERE drill_id = ? AND seq = 1",
            [nan],
        ),
    ]
    with site.sql.transaction():
        for sql, params in tamper:
            site.sql.execute(sql, params)
    site.close()
    pushed = CliRunner().invoke(
        main, ["push", "--db", str(tmp_path / "site.db"), "--to", any_store.target]
    )
    assert pushed.exit_code == 1, pushed.output
    said = pushed.stderr.splitlines()
    assert len(said) == 4 and all(line.startswith("drillhall: drill ") for line in said), said
    assert f"drill {unplayed}: its journal does not replay: event #" in pushed.stderr
    assert f"drill {forged_site}: its site: a name is one line" in pushed.stderr
    assert f"drill {nan}: its journal does not read as JSON (ValueError)" in pushed.stderr
    assert f"drill {bogus}: its purpose 'bogus' is not one of practice, exam" in pushed.stderr
    assert "1 imported, 4 refused" in pushed.stdout
    assert [r["id"] for r in history(any_store, Filters())] == [honest]
    assert CliRunner().invoke(main, ["history", "--db", any_store.target]).exit_code == 0


def test_a_note_backdated_before_a_signature_the_centre_holds_is_refused(
    any_store: Store, worked_bundle: Bundle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Signed and pushed; then a note slipped into the site's record dated just before the
    signature, unmarked: it read as written before signing ("nothing was amended after
    signature"). A record only grows forward; a note written after it is an amendment."""
    from drills.store.push import push

    monkeypatch.setenv("DRILLHALL_SITE", "county-a")
    site = Store(tmp_path / "site.db")
    drill = _played(site, worked_bundle)
    add_note(site, drill, "hotwash", "Zhou", "levee team late")
    signed = sign_off(site, drill, "Zhou", "safety_manager")
    assert [p.outcome for p in push(site, any_store)] == ["imported"]
    before = datetime.fromisoformat(signed.at) - timedelta(milliseconds=1)
    with site.sql.transaction():
        site.sql.execute(
            "INSERT INTO notes (drill_id, kind, author, role, text, at, amendment) "
            "VALUES (?, 'hotwash', 'Zhou', NULL, 'the levee team was on time', ?, 0)",
            [drill, before.isoformat(timespec="milliseconds")],
        )
    [refused] = push(site, any_store)
    assert refused.outcome == "refused" and "a record only grows forward" in refused.reason
    assert [n.text for n in notes(any_store, drill)] == ["levee team late"]
    site.close()


def test_a_drill_from_before_sites_is_still_sent(
    any_store: Store, worked_bundle: Bundle, tmp_path: Path
) -> None:
    """Drills recorded before m011 have no site: the record checks must not refuse them."""
    from drills.review.evidence.verify import journal_problem
    from drills.store.push import push

    site = Store(tmp_path / "site.db")
    drill = _played(site, worked_bundle)
    with site.sql.transaction():
        site.sql.execute("UPDATE drills SET site = NULL WHERE id = ?", [drill])
    assert [p.outcome for p in push(site, any_store, check=journal_problem)] == ["imported"]
    site.close()
