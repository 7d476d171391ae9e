"""History, trends, regrading, what-if and calibration."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from drills.cli.main import main
from drills.library.calibrate import calibrate, histogram
from drills.play.session import DrillSession
from drills.review.whatif import ChangeError, JournalInput, apply_change, what_if
from drills.store.database import Store
from drills.store.history import Filters, drill_ids, history, regrade, sparkline, trends
from engine.bundle import Bundle
from engine.events import Decision, EndDrill
from scoring.profile import ScoringProfile
from scoring.score import DrillScore

from .conftest import NewDb


def play(store: Store, bundle: Bundle, bot: str, seed: int = 0) -> str:
    roles = [r.id for r in bundle.compiled.plan.roles]
    session = DrillSession.create(store, bundle, seed=seed, bots=dict.fromkeys(roles, bot))
    session.run_headless()
    return session.drill_id


@pytest.fixture
def filled(store: Store, flood_bundle: Bundle, worked_bundle: Bundle) -> list[str]:
    ids = [play(store, flood_bundle, "novice", s) for s in range(4)]
    ids.append(play(store, flood_bundle, "idle"))
    ids.append(play(store, worked_bundle, "ideal"))
    store.set_roster(ids[0], {"commander": "李明"})
    store.save_score(ids[0], load_score(store, ids[0]))
    return ids


def load_score(store: Store, drill_id: str) -> DrillScore:
    from drills.review.report import load_report

    return load_report(store, drill_id).report.score


def test_history_filters(store: Store, filled: list[str]) -> None:
    assert len(history(store, Filters())) == 6
    assert {
        r["scenario_id"] for r in history(store, Filters(scenario="worked-example-fld007"))
    } == {"worked-example-fld007"}
    assert [r["rating"] for r in history(store, Filters(rating="U", plan="flood-municipal"))]
    assert [r["id"] for r in history(store, Filters(trainee="李明"))] == [filled[0]]
    assert history(store, Filters(since="2999-01-01")) == []
    assert len(history(store, Filters(until="2999-01-01"))) == 6


def test_trends_count_people_unless_bots_are_asked_for(store: Store, filled: list[str]) -> None:
    """Bot-played roles (every role of these drills but 李明's) stay out of trends."""
    assert {t.key for t in trends(store, "trainee", Filters())} == {"李明"}
    roles = {t.key: t for t in trends(store, "role", Filters())}
    assert set(roles) == {"commander"} and roles["commander"].drills == 1
    rules = trends(store, "rule", Filters())
    assert rules and all(t.drills <= 1 for t in rules)  # only the commander's rules, once


def test_trends_leave_out_test_runs_and_void_drills(store: Store, filled: list[str]) -> None:
    with store.sql.transaction():
        store.sql.execute("UPDATE role_scores SET purpose = 'test' WHERE drill_id = ?", [filled[0]])
    assert trends(store, "trainee", Filters()) == []
    assert {t.key for t in trends(store, "trainee", Filters(with_tests=True))} == {"李明"}
    store.void_drill(filled[1], "aborted", "Zhou")
    everything = Filters(with_bots=True, with_tests=True)
    roles = {t.key: t for t in trends(store, "role", everything)}
    assert roles["commander"].drills == 4  # 5 flood drills, one of them void
    [void] = history(store, Filters(search=filled[1]))
    assert void["status"] == "void" and void["score"] is None and void["rating"] is None


def test_trends_by_role_trainee_and_rule(store: Store, filled: list[str]) -> None:
    bots = Filters(with_bots=True)
    roles = {
        t.key: t for t in trends(store, "role", Filters(plan="flood-municipal", with_bots=True))
    }
    assert roles["commander"].drills == 5 and 0 <= roles["commander"].mean <= 100
    assert len(roles["commander"].series) == 5
    trainees = {t.key for t in trends(store, "trainee", bots)}
    assert "李明" in trainees and "bot:novice" in trainees
    worked = Filters(scenario="worked-example-fld007", with_bots=True)
    rules = {t.key: t for t in trends(store, "rule", worked)}
    assert set(rules) == {"A1", "A2", "A3"} and rules["A1"].on_time == 1.0


def test_regrade_keeps_old_results_and_names_the_profile(store: Store, filled: list[str]) -> None:
    strict = ScoringProfile(id="strict", version="2.0", alpha=0.2)
    ids = drill_ids(store, Filters(plan="flood-municipal"))
    assert len(list(regrade(store, ids, strict))) == 5
    profiles = {r[0] for r in store.sql.execute("SELECT DISTINCT profile FROM scores")}
    assert profiles == {"drillhall-rubric v2.0", "strict v2.0"}
    old = history(store, Filters(plan="flood-municipal"))
    new = history(store, Filters(plan="flood-municipal", profile="strict v2.0"))
    assert [r["id"] for r in old] == [r["id"] for r in new]


def test_regrade_cli_reads_a_profile_file(tmp_path: Path, store: Store, filled: list[str]) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("id: lenient\nversion: '3'\nalpha: 0.9\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["regrade", "--profile", str(profile), "--db", store.target])
    assert result.exit_code == 0 and "regraded 6 drill(s) under lenient v3" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nalpha: 7\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["regrade", "--profile", str(bad), "--db", store.target])
    assert result.exit_code == 1 and f"{bad}:2:8: alpha:" in result.stderr


def test_what_if_an_idle_drill_does_one_critical_action(store: Store, filled: list[str]) -> None:
    idle = filled[4]
    result = what_if(store, idle, ["add commander activate_response level=IV @40m"])
    changed = {e: (a, b) for e, a, b, _, _ in result.credit_changes}
    assert changed["E-activate-IV"] == (0.0, 1.0)
    # every other difference is explained by injects that now fire (or no longer fire)
    opened_by = {e: result.after.expectations for e in changed}
    new_injects = {i for i, a, b in result.inject_changes if a is None}
    for exp_id, (before, after) in changed.items():
        if exp_id != "E-activate-IV":
            assert before == after == 0.0
            inject = next(r.inject for r in opened_by[exp_id] if r.id == exp_id)
            assert inject in new_injects
    assert result.after.score > result.before.score


def test_change_syntax() -> None:
    a, b = Decision("a", "x"), Decision("b", "y")
    inputs = [JournalInput(60, a, 4), JournalInput(120, b, 9), JournalInput(130, EndDrill("x"), 12)]
    assert [x.t for x in apply_change(inputs, "move #9 @30s")] == [30, 60, 130]
    assert apply_change(inputs, "move 9 @0:00:30")[0].item is b
    assert apply_change(inputs, "move @0:01:00 @1:00:00")[-1].item is a
    assert [x.item for x in apply_change(inputs, "remove #4")] == [b, inputs[2].item]
    assert [x.item for x in apply_change(inputs, "remove @0:02:00")] == [a, inputs[2].item]
    added = apply_change(inputs, "add c z level=III n=3 ok=true @90")
    assert isinstance(added[1].item, Decision)
    assert added[1].item.params == {"level": "III", "n": 3, "ok": True}
    for bad in (
        "jump 4", "remove 9x", "remove #5", "remove #12", "remove 2", "add c @1m", "move #4",
        "add c z level @1m", "add c z @soon", "remove @0:03:00", "move @25:61:00 @1m",
    ):  # fmt: skip
        with pytest.raises(ChangeError):
            apply_change(inputs, bad)
    twice = [JournalInput(60, a, 4), JournalInput(60, b, 5)]
    with pytest.raises(ChangeError, match="#4, #5"):
        apply_change(twice, "remove @0:01:00")


def test_whatif_takes_the_number_the_journal_shows(new_db: NewDb) -> None:
    """``remove #N`` drops the decision journal event #N recorded: the reviewer reads the
    number off ``drillhall journal`` (and the report appendix) and names that decision."""
    db = new_db("w")
    runner = CliRunner()
    data = Path(__file__).parent / "data"
    worked = [str(data / "worked-scenario.yaml"), "--plan", str(data / "worked-plan.yaml")]
    assert runner.invoke(main, ["run", *worked, "--bot", "novice", "--db", str(db)]).exit_code == 0
    store = Store(db)
    [drill] = [row[0] for row in store.sql.execute("SELECT id FROM drills")]
    store.close()
    journal = runner.invoke(main, ["journal", drill, "--db", str(db)]).stdout.splitlines()
    events = [json.loads(line) for line in journal]
    report = next(
        e for e in events if e["kind"] == "decision_accepted" and e["data"]["action"] == "report"
    )
    ran = runner.invoke(
        main, ["whatif", drill, "--change", f"remove #{report['seq']}", "--json", "--db", str(db)]
    )
    changes = {c["expectation"]: c["status"] for c in json.loads(ran.stdout)["credit_changes"]}
    assert changes == {"A2": ["late", "missed"]}  # the report decision, and only it
    at = f"@{report['t'] // 3600}:{report['t'] % 3600 // 60:02d}:{report['t'] % 60:02d}"
    by_time = runner.invoke(
        main, ["whatif", drill, "--change", f"remove {at}", "--json", "--db", str(db)]
    )
    assert json.loads(by_time.stdout) == json.loads(ran.stdout)


def test_calibration_distribution(flood_bundle: Bundle) -> None:
    result = calibrate(flood_bundle.compiled, 30)
    summary = result.summary()
    ratings = summary["ratings"]
    assert isinstance(ratings, dict)
    assert summary["runs"] == 30 and sum(ratings.values()) == 30
    assert calibrate(flood_bundle.compiled, 30).scores == result.scores  # seeded
    lines = histogram(result.scores)
    assert len(lines) == 10 and sum(int(line.split()[-1]) for line in lines) == 30


def test_sparkline() -> None:
    assert sparkline([0, 50, 100]) == "▁▄█"


def test_calibrate_and_history_cli(store: Store, filled: list[str], tmp_path: Path) -> None:
    out = CliRunner().invoke(main, ["calibrate", "flood-river-crest", "--runs", "20", "--json"])
    assert json.loads(out.stdout)["runs"] == 20
    listing = CliRunner().invoke(main, ["history", "--rating", "U", "--db", store.target])
    assert listing.exit_code == 0 and " U " in listing.stdout
    csv_path = tmp_path / "t.csv"
    result = CliRunner().invoke(
        main, ["trends", "--by", "rule", "--csv", str(csv_path), "--db", store.target]
    )
    assert result.exit_code == 0 and csv_path.read_text().startswith("key,drills,mean")


@pytest.mark.sqlite
def test_trend_and_history_queries_use_indexes(store: Store, filled: list[str]) -> None:
    plan = " ".join(
        r[-1]
        for r in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT x.rule, COUNT(*), AVG(x.credit) FROM results x "
            "WHERE x.profile = ? GROUP BY x.rule",
            ["drillhall-rubric v1.0"],
        )
    )
    assert "USING COVERING INDEX idx_results_trend" in plan
    where, args = Filters(since="2026-01-01").where()
    plan = " ".join(
        r[-1]
        for r in store.db.execute(
            "EXPLAIN QUERY PLAN SELECT d.id FROM drills d LEFT JOIN scores s ON s.drill_id = d.id "
            f"AND s.profile = ? WHERE {where} ORDER BY d.created DESC LIMIT 50",
            ["drillhall-rubric v1.0", *args],
        )
    )
    assert "USING INDEX idx_drills_created" in plan


def test_regrade_shows_the_result_before_and_after_side_by_side(new_db: NewDb) -> None:
    """A database of drills scored under profile 1.0 (before the outcome model): history
    shows each with the profile it was saved under; regrade prints old and new side by side
    and keeps the old result."""
    from click.testing import CliRunner

    from drills.cli.main import main
    from scoring.profile import ScoringProfile
    from scoring.score import score_drill

    db = new_db("old")
    runner = CliRunner()
    data = Path(__file__).parent / "data"
    worked = [str(data / "worked-scenario.yaml"), "--plan", str(data / "worked-plan.yaml")]
    ran = runner.invoke(main, ["run", *worked, "--bot", "novice", "--db", str(db)])
    assert ran.exit_code == 0, ran.output
    store = Store(db)
    [drill] = [row[0] for row in store.sql.execute("SELECT id FROM drills")]
    compiled = store.drill(drill).bundle().compiled
    old = score_drill(compiled, store.events(drill), ScoringProfile(version="1.0"))
    store.save_score(drill, old)
    with store.sql.transaction():
        store.sql.execute("DELETE FROM scores WHERE profile = 'drillhall-rubric v2.0'")
    store.close()
    listed = runner.invoke(main, ["history", "--db", str(db), "--lang", "en"])
    assert "U*" in listed.output
    assert "* saved under drillhall-rubric v1.0; regrade to rescore" in listed.output
    regraded = runner.invoke(main, ["regrade", "--db", str(db)])
    assert regraded.exit_code == 0, regraded.output
    [row] = [line for line in regraded.output.splitlines() if line.startswith(drill)]
    assert "(drillhall-rubric v1.0)" in row and f"{old.score:5.1f} {old.rating}" in row
    profiles = {r[0] for r in Store(db).sql.execute("SELECT profile FROM scores")}
    assert profiles == {"drillhall-rubric v1.0", "drillhall-rubric v2.0"}


def test_whatif_names_what_the_drill_refuses(new_db: NewDb) -> None:
    """A decision the engine would refuse is an answer, not "no difference"."""
    db = new_db("w")
    runner = CliRunner()
    data = Path(__file__).parent / "data"
    worked = [str(data / "worked-scenario.yaml"), "--plan", str(data / "worked-plan.yaml")]
    ran = runner.invoke(main, ["run", *worked, "--bot", "novice", "--json", "--db", str(db)])
    drill = json.loads(ran.stdout)["drill_id"]
    for change, said in (
        ("add nosuch x @1m", "unknown role 'nosuch'"),
        ("add duty_chief decide_level level=IX @1m", "level must be one of"),
        ("add duty_chief report @100h", "the drill has ended"),
        ("move #11 @100h", "the drill has ended"),
        ("remove '#5", "No closing quotation"),
    ):
        result = runner.invoke(main, ["whatif", drill, "--change", change, "--db", str(db)])
        assert result.exit_code == 1 and said in result.stderr, (change, result.output)
        assert "Traceback" not in result.output and len(result.stderr.splitlines()) == 1


def test_a_trend_is_the_same_however_the_query_is_planned(store: Store, filled: list[str]) -> None:
    """First, last and the sparkline are one point per drill, in the order the drills
    were made (ties by id): a filter that only makes the query join the drills (every
    drill's scenario has a '-') changes nothing, on either backend."""
    from drills.store.history import TREND_KINDS

    for by in TREND_KINDS:
        direct = trends(store, by, Filters(with_bots=True, with_tests=True))
        joined = trends(store, by, Filters(with_bots=True, with_tests=True, search="-"))
        assert direct == joined, by
    for site in trends(store, "site", Filters(with_bots=True, with_tests=True)):
        assert len(site.series) == site.drills  # a point per drill, not per role


def test_trends_table_in_both_languages_and_an_empty_one_says_why(
    new_db: NewDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`drillhall trends` has headers in the console's language, columns aligned by
    display cells (a Chinese site name takes two per character), and an empty table says
    what was left out and how to count it, instead of printing only a header."""
    from rich.cells import cell_len

    db = new_db("t")
    runner = CliRunner()
    for site in ("益阳防汛办", "county-b"):
        monkeypatch.setenv("DRILLHALL_SITE", site)
        ran = runner.invoke(main, ["run", "flood-river-crest", "--bot", "novice", "--db", db])
        assert ran.exit_code == 0, ran.output
    empty = runner.invoke(main, ["trends", "--by", "site", "--lang", "en", "--db", db])
    assert empty.exit_code == 0 and "--with-bots, --with-tests" in empty.stdout
    for lang, header in (("zh", "站点  "), ("en", "Site  ")):
        out = runner.invoke(
            main,
            ["trends", "--by", "site", "--with-bots", "--with-tests", "--lang", lang, "--db", db],
        ).stdout.splitlines()
        assert out[0].startswith(header) and len(out) == 4
        counts = [re.match(r"\S+\s+\d+", line) for line in out[2:]]
        count_ends = {cell_len(m.group()) for m in counts if m}
        assert len(count_ends) == 1 and all(counts), out  # the counts line up
