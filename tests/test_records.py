"""Drill status and purpose: running, interrupted, ended, void; unstarted drills are never
rated; voiding keeps the record and leaves ratings and trends."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from drills.cli.main import main
from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.store.database import Store
from drills.store.history import Filters, history
from engine.bundle import Bundle

from .conftest import NewDb


def _hosted(store: Store, bundle: Bundle) -> LiveDrill:
    session = DrillSession.create(store, bundle, bots={}, mode="exam", purpose="exam")
    return LiveDrill(session, 60.0, paused=True, room_bots="ideal")


def test_a_hosted_drill_ended_before_start_is_not_rated(
    store: Store, worked_bundle: Bundle
) -> None:
    """The worst case: the trainer opens a room and ends it before anyone played. It must
    not read as "0.0 U, must be re-run" against the trainees."""
    live = _hosted(store, worked_bundle)
    live.end()
    outcome = live.finish()
    assert outcome.rated is False
    assert store.saved_score(live.drill_id, outcome.score.profile) is None
    [row] = history(store, Filters())
    assert (row["status"], row["started"], row["rated"]) == ("ended", False, False)
    assert row["score"] is None and row["rating"] is None
    assert row["purpose"] == "exam"
    store.close()
    for lang, words in (("en", "not rated (not started)"), ("zh", "不评级 (未开始)")):
        said = CliRunner().invoke(
            main, ["score", live.drill_id, "--lang", lang, "--db", store.target]
        )
        assert said.exit_code == 0 and words in said.stdout and "0.0" not in said.stdout
    for lang, words in (("en", "Not rated: not started"), ("zh", "不评级：未开始")):
        report = (
            CliRunner()
            .invoke(
                main,
                [
                    "report",
                    live.drill_id,
                    "--format",
                    "md",
                    "--lang",
                    lang,
                    "--db",
                    store.target,
                ],
            )
            .stdout
        )
        assert words in report
        assert "re-run" not in report and "重新演练" not in report and "0.0 / 100" not in report
    said = CliRunner().invoke(main, ["score", live.drill_id, "--json", "--db", store.target])
    assert json.loads(said.stdout) == {
        "drill_id": live.drill_id,
        "rated": False,
        "reason": "not_started",
    }


def test_a_started_drill_is_rated(store: Store, worked_bundle: Bundle) -> None:
    roles = [r.id for r in worked_bundle.compiled.plan.roles]
    session = DrillSession.create(store, worked_bundle, bots=dict.fromkeys(roles, "ideal"))
    outcome = session.run_headless()
    assert outcome.rated and outcome.score.score == 100.0
    [row] = history(store, Filters())
    assert (row["status"], row["rated"], row["rating"], row["bots_only"]) == (
        "ended",
        True,
        "P",
        True,
    )


def test_running_until_its_process_lets_go_then_interrupted(
    store: Store, worked_bundle: Bundle
) -> None:
    session = DrillSession.create(store, worked_bundle, bots={})
    assert history(store, Filters())[0]["status"] == "running"  # this process plays it
    assert store.status(store.drill(session.drill_id)) == "running"
    session.close()  # the console quit (or the process died): nobody plays it any more
    [row] = history(store, Filters())
    assert row["status"] == "interrupted" and row["score"] is None
    assert history(store, Filters(), status="interrupted") == [row]
    assert history(store, Filters(), status="running") == []
    said = CliRunner().invoke(
        main, ["score", session.drill_id, "--lang", "en", "--db", store.target]
    )
    assert "not rated (not finished)" in said.stdout


def test_void_keeps_the_record_and_leaves_ratings_and_trends(new_db: NewDb) -> None:
    db = new_db("v")
    cli = CliRunner()
    data = Path(__file__).parent / "data"
    worked = [str(data / "worked-scenario.yaml"), "--plan", str(data / "worked-plan.yaml")]
    ran = cli.invoke(main, ["run", *worked, "--bot", "ideal", "--purpose", "practice",
                            "--json", "--db", str(db)])  # fmt: skip
    drill = json.loads(ran.stdout)["drill_id"]
    voided = cli.invoke(
        main, ["void", drill, "--reason", "wrong scenario", "--by", "周", "--db", str(db)]
    )
    assert voided.exit_code == 0 and f"drill {drill} voided by 周" in voided.stdout
    [row] = json.loads(cli.invoke(main, ["history", "--json", "--db", str(db)]).stdout)
    assert row["status"] == "void" and row["void_reason"] == "wrong scenario"
    assert row["score"] is None and row["rating"] is None and not row["rated"]
    table = cli.invoke(main, ["history", "--lang", "en", "--db", str(db)]).stdout
    assert "void: wrong scenario" in table and "100.0" not in table
    report = cli.invoke(main, ["report", drill, "--format", "md", "--lang", "en", "--db", str(db)])
    assert "Not rated: void — wrong scenario" in report.stdout and "100.0" not in report.stdout
    trended = cli.invoke(main, ["trends", "--with-bots", "--json", "--db", str(db)])
    assert json.loads(trended.stdout) == []
    again = cli.invoke(main, ["void", drill, "--reason", "x", "--by", "y", "--db", str(db)])
    assert again.exit_code == 1 and "already voided" in again.stderr
    assert "regraded 0 drill(s)" in cli.invoke(main, ["regrade", "--db", str(db)]).stdout
    resumed = cli.invoke(main, ["resume", drill, "--db", str(db)])
    assert resumed.exit_code != 0 and "nothing to resume" in resumed.stderr


def test_a_drill_being_played_cannot_be_voided(store: Store, worked_bundle: Bundle) -> None:
    session = DrillSession.create(store, worked_bundle, bots={})
    result = CliRunner().invoke(
        main, ["void", session.drill_id, "--reason", "x", "--by", "y", "--db", store.target]
    )
    assert result.exit_code == 2 and "being played" in result.stderr
    session.close()
    assert store.void_drill(session.drill_id, "aborted practice", "Zhou").void
    resumed = CliRunner().invoke(main, ["resume", session.drill_id, "--db", store.target])
    assert resumed.exit_code == 2 and "voided" in resumed.stderr


def test_history_has_headers_players_and_both_languages(
    store: Store, worked_bundle: Bundle
) -> None:
    roles = [r.id for r in worked_bundle.compiled.plan.roles]
    session = DrillSession.create(
        store, worked_bundle, bots=dict.fromkeys(roles[1:], "ideal"), purpose="official"
    )
    store.set_roster(session.drill_id, {roles[0]: "李明"})
    session.run_headless()
    store.close()
    for lang, words in (
        ("en", ["ID", "Date", "Scenario", "Mode", "Trainees (roles)", "Score", "Rating", "Status",
                "training/official", "ended"]),
        ("zh", ["编号", "日期", "想定", "模式", "参演人员（角色）", "得分", "评定", "状态",
                "训练/正式演练", "已结束"]),
    ):  # fmt: skip
        out = CliRunner().invoke(main, ["history", "--lang", lang, "--db", store.target]).stdout
        header, rule, line = out.splitlines()[:3]
        for word in words[:8]:
            assert word in header, (lang, word)
        for word in words[8:]:
            assert word in line, (lang, word)
        assert f"李明 ({roles[0]})" in line and session.drill_id in line
        assert set(rule) <= {"─", " "}


def test_a_hosted_drill_never_started_is_not_finished_headless(
    store: Store, worked_bundle: Bundle
) -> None:
    """The host was stopped while waiting for trainees. Finishing it headless would play
    it with nobody in any role and rate the empty room 0.0 U: refused, with the way on."""
    from drills.rooms.hosting import open_room

    live = _hosted(store, worked_bundle)
    with open_room(live):
        pass  # served, nobody joined, the host stopped
    live.session.close()
    assert history(store, Filters())[0]["status"] == "interrupted"
    result = CliRunner().invoke(main, ["resume", live.drill_id, "--headless", "--db", store.target])
    assert result.exit_code == 1, result.output
    assert "never started" in result.stderr and f"drillhall void {live.drill_id}" in result.stderr
    [row] = history(store, Filters())
    assert row["status"] == "interrupted" and row["score"] is None


def test_a_signer_is_one_visible_line_and_signs_once(store: Store, worked_bundle: Bundle) -> None:
    """A zero-width space made "Alice Smith" a second signer; a newline made one
    signature read as two signers on paper; a 70,000-character name was accepted."""
    roles = [r.id for r in worked_bundle.compiled.plan.roles]
    drill = DrillSession.create(store, worked_bundle, bots=dict.fromkeys(roles, "ideal"))
    drill.run_headless()
    store.close()
    where = ["--db", store.target]

    def sign(name: str) -> Result:
        args = ["signoff", drill.drill_id, "--name", name, "--capacity", "evaluator", *where]
        return CliRunner().invoke(main, args)

    assert sign("Alice Smith").exit_code == 0
    for twin in ("Alice\u200bSmith", "Alice Smith\u200b", "ALICE  SMITH", "Ａｌｉｃｅ Smith"):
        refused = sign(twin)
        assert refused.exit_code == 1 and len(refused.stderr.splitlines()) == 1, twin
    for bad, said in (
        ("Eve\nThe Mayor", "one line"),
        ("Eve\u2060", "one line"),
        ("E" * 81, "at most 80"),
        ("Eve\x1b[31m", "control characters"),
    ):
        refused = sign(bad)
        assert refused.exit_code == 1 and said in refused.stderr, (bad, refused.output)
    note = ["note", drill.drill_id, "how it went", "--author", "Li", "--self", *where]
    refused = CliRunner().invoke(main, note)
    assert refused.exit_code == 1 and "names the role" in refused.stderr
    joined = CliRunner().invoke(main, [*note, "--role", roles[0]])
    assert joined.exit_code == 0, joined.output
