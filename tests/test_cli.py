"""The CLI as a user types it (click's runner for speed; a subprocess for the entry point)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from drills.cli.main import main

from .conftest import DATA, ROOT, NewDb

WORKED = [str(DATA / "worked-scenario.yaml"), "--plan", str(DATA / "worked-plan.yaml")]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_run_json_has_the_documented_fields(new_db: NewDb) -> None:
    result = invoke("run", *WORKED, "--bot", "ideal", "--json", "--db", new_db("d"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"drill_id", "score", "rating", "expectations", "events"}
    assert (data["score"], data["rating"]) == (100.0, "P")
    assert data["expectations"] == {"met": 3, "late": 0, "partly": 0, "missed": 0}


def test_run_summary_in_both_languages(new_db: NewDb) -> None:
    db = new_db("d")
    en = invoke("run", *WORKED, "--bot", "idle", "--db", db, "--lang", "en")
    assert "Rating  U 差 (Unable to be performed)" in en.stdout
    assert "critical action A1 omitted or wrong" in en.stdout
    zh = invoke("run", *WORKED, "--bot", "idle", "--db", db, "--lang", "zh")
    assert "评定  U 差 (不合格，需重新演练)" in zh.stdout and "超警戒水位" in zh.stdout


def test_one_language_default_for_every_command(
    tmp_path: Path, new_db: NewDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chinese unless DRILLHALL_LANG (or lang in the config file) says otherwise."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DRILLHALL_LANG", raising=False)
    db = new_db("d")
    default = invoke("run", *WORKED, "--bot", "idle", "--db", db)
    assert "评定  U 差" in default.stdout
    monkeypatch.setenv("DRILLHALL_LANG", "en")
    assert "Rating  U 差" in invoke("run", *WORKED, "--bot", "idle", "--db", db).stdout
    monkeypatch.delenv("DRILLHALL_LANG")
    config = tmp_path / "config" / "drillhall" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text('lang = "en"\n', encoding="utf-8")
    assert "Rating  U 差" in invoke("run", *WORKED, "--bot", "idle", "--db", db).stdout
    monkeypatch.setenv("DRILLHALL_LANG", "fr")
    wrong = CliRunner().invoke(main, ["run", *WORKED, "--db", db])
    assert wrong.exit_code == 1 and "'fr' is not one of 'zh', 'en'" in wrong.output
    for command in main.commands.values():  # every command that speaks takes the same option
        langs = [p for p in command.params if p.name == "lang"]
        assert all(callable(p.default) for p in langs), command.name


def test_score_and_replay_of_a_journaled_drill(new_db: NewDb) -> None:
    db = new_db("d")
    run = json.loads(
        invoke("run", *WORKED, "--bot", "novice", "--seed", "3", "--json", "--db", db).stdout
    )
    scored = json.loads(invoke("score", run["drill_id"], "--json", "--db", db).stdout)
    assert scored["score"] == run["score"]
    replayed = json.loads(invoke("replay", run["drill_id"], "--json", "--db", db).stdout)
    assert replayed["identical"] and replayed["same_score"]
    lines = invoke("journal", run["drill_id"], "--db", db).stdout.splitlines()
    assert len(lines) == run["events"] and json.loads(lines[0])["kind"] == "drill_started"


def test_validate_ok_and_error_exit_codes(tmp_path: Path) -> None:
    ok = invoke("validate", str(DATA / "worked-plan.yaml"), str(DATA / "worked-scenario.yaml"))
    assert ok.exit_code == 0 and "ok (scenario worked-example-fld007" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nplan: worked-example\nfamily: flood\ntitle: t\nduration: 1h\n"
        "injects:\n  - {id: I1, at: 2h, from: a, to: [duty_chief], text: t}\n"
    )
    result = CliRunner().invoke(
        main, ["validate", str(bad), "--plan", str(DATA / "worked-plan.yaml")]
    )
    assert result.exit_code == 1
    assert f"{bad}:7:18: injects.0.at: fires at 2h, after the scenario ends (1h)" in result.stderr


def test_a_broken_scenario_passed_to_run_is_reported_not_raised(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: x\nplan: worked-example\nfamily: flood\ntitle: t\nduration: soon\ninjects: []\n"
    )
    result = CliRunner().invoke(main, ["run", str(bad), "--plan", str(DATA / "worked-plan.yaml")])
    assert result.exit_code == 1
    assert f"{bad}:5:11: duration:" in result.stderr


def test_unopenable_database_is_a_message(tmp_path: Path) -> None:
    db = tmp_path / "garbage.db"
    db.write_bytes(b"x" * 4096)
    result = CliRunner().invoke(main, ["run", *WORKED, "--db", str(db)])
    assert result.exit_code == 2 and "cannot open the drill database" in result.stderr


def test_schema_files_are_current() -> None:
    result = invoke("schema", "--check")
    assert result.exit_code == 0, result.output


def test_entry_points_work_as_installed() -> None:
    script = Path(sys.executable).parent / "drillhall"
    for cmd in ([sys.executable, "-m", "drills", "--help"], [str(script), "--version"]):
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert proc.returncode == 0, proc.stderr


def test_new_plan_and_scenario_validate_and_play(
    tmp_path: Path, new_db: NewDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke("new", "plan", "my-plan").exit_code == 0
    made = invoke("new", "scenario", "my-drill", "--plan", "my-plan.yaml")
    assert made.exit_code == 0 and "it validates" in made.stdout
    db = new_db("d")
    ideal = json.loads(
        invoke("run", "my-drill.yaml", "--bot", "ideal", "--json", "--db", db).stdout
    )
    idle = json.loads(invoke("run", "my-drill.yaml", "--bot", "idle", "--json", "--db", db).stdout)
    assert (ideal["score"], ideal["rating"], idle["rating"]) == (100.0, "P", "U")
    again = CliRunner().invoke(main, ["new", "plan", "my-plan"])
    assert again.exit_code == 1 and "exists; use --force" in again.output  # invalid input


def test_new_scenario_on_an_installed_plan(tmp_path: Path) -> None:
    out = tmp_path / "flood" / "mine.yaml"
    result = invoke("new", "scenario", "mine", "--plan", "flood-municipal", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert invoke("validate", str(out)).exit_code == 0


def test_scenarios_stats_table() -> None:
    rows = json.loads(invoke("scenarios", "--stats", "--json").stdout)
    flood = next(r for r in rows if r["id"] == "flood-river-crest")
    assert flood["injects"] >= 15 and flood["branches"] >= 3 and flood["scored_rules"] > 0
    assert 0 <= flood["verbatim_share"] <= 1
