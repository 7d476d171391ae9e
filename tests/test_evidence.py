"""Evidence packs (issue 11, item 4): export a drill into one archive, verify it (file
sums, the hash chain over the journal and the record, the journal replayed, the score
rescored, the record's rules, the report copy), import it elsewhere.

Tampering is caught at its position; hostile archives (traversal names, bombs, not a zip,
not UTF-8, missing members) are one-line answers with exit 1, never a traceback. A pack's
scores are never imported (the importer scores the journal); a later pack of a drill
extends its record (void, signatures, notes), an older one is refused.
"""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from drills.cli.main import main
from drills.play.live import LiveDrill
from drills.play.session import DrillSession
from drills.review.evidence import archive, verify_pack
from drills.review.evidence.chain import (
    RECORD_TABLES,
    chained,
    genesis,
    link,
    record_entry,
    record_of,
    record_parts,
)
from drills.review.evidence.pack import JOURNAL, MANIFEST, TABLE_FILES
from drills.store.database import DRILL_TABLES, Store
from drills.store.packs import KEYS, LEFT_OUT, PackConflict, import_drill, row_counts
from engine.bundle import Bundle

from .conftest import NewDb


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@dataclass(frozen=True)
class Played:
    db: Path
    drill: str
    pack: Path


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Played:
    """A real drill (the shipped flood scenario, novice bots: late, partly and missed
    answers), with a note, a sign-off and an improvement edit, exported once."""
    folder = tmp_path_factory.mktemp("evidence")
    db = folder / "origin.db"
    run = invoke("run", "flood-river-crest", "--bot", "novice", "--seed", "3", "--json", "--db", db)
    assert run.exit_code == 0, run.output
    drill = json.loads(run.stdout)["drill_id"]
    note = invoke("note", drill, "水位上报晚了 — late gauge report", "--author", "李明", "--db", db)
    assert note.exit_code == 0, note.output
    assert (
        invoke("signoff", drill, "--name", "王芳", "--capacity", "evaluator", "--db", db).exit_code
        == 0
    )
    improve = invoke("improve", drill, "--json", "--db", db)
    findings = json.loads(improve.stdout)
    if findings:
        edit = invoke("improve", drill, findings[0]["finding"], "--owner", "水务局", "--db", db)
        assert edit.exit_code == 0, edit.output
    pack = folder / "drill.drillpack"
    exported = invoke("export", drill, "-o", pack, "--db", db, "--lang", "en")
    assert exported.exit_code == 0, exported.output
    return Played(db, drill, pack)


# -- helpers: open a pack, change it, zip it again ------------------------------------


def members(pack: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(pack) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def lines(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.decode().splitlines()]


def jsonl(items: list[dict[str, Any]]) -> bytes:
    from engine.events import canonical_json

    return "".join(canonical_json(item) + "\n" for item in items).encode()


def rechain(files: dict[str, bytes]) -> None:
    """Recompute every hash of the journal, the record entry and the manifest's chain (a
    forger who knows the format): only the replay and the other checks can still tell."""
    manifest = json.loads(files[MANIFEST])
    prev = genesis(manifest["drill"])
    counts = {}
    for table in ("inputs", "events"):
        records = [record_of(line) for line in lines(files[JOURNAL[table]])]
        linked = list(chained(prev, table[:-1], records))
        prev = linked[-1]["hash"] if linked else prev
        files[JOURNAL[table]] = jsonl(linked)
        counts[table] = len(linked)
    tables: dict[str, Any] = {}
    for name in ("participants.json", "notes.json", "signatures.json", "improvements.json"):
        tables.update(json.loads(files[name]))
    record = record_entry(json.loads(files["drill.json"]), tables)
    manifest["chain"].update(
        journal_head=prev,
        head=link(prev, "record", record),
        record=record_parts(record),
        **counts,
    )
    files[MANIFEST] = json.dumps(manifest).encode()


def edit(files: dict[str, bytes], name: str, change: Any) -> None:
    """Change one JSON member in place: ``change`` gets its content and edits it."""
    content = json.loads(files[name])
    change(content)
    files[name] = json.dumps(content, ensure_ascii=False).encode()


def write(
    files: dict[str, bytes],
    path: Path,
    *,
    update_manifest: bool = True,
    names: list[str] | None = None,
) -> Path:
    """Zip ``files`` to ``path``; ``update_manifest``: with the manifest's sums made to fit."""
    if update_manifest:
        manifest = json.loads(files[MANIFEST])
        manifest["files"] = {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for name, data in files.items()
            if name != MANIFEST
        }
        files = {**files, MANIFEST: json.dumps(manifest).encode()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        for name in names or []:
            zf.writestr(name, b"x")
    return path


def verify(path: Path) -> Result:
    result = invoke("verify", path)
    assert "Traceback" not in result.output
    return result


def check_line(result: Result, name: str) -> str:
    found = [line for line in result.stdout.splitlines() if line.startswith(name + " ")]
    assert len(found) == 1, result.output
    return found[0]


def one_event_byte_changed(files: dict[str, bytes]) -> tuple[int, int]:
    """Change one byte in one event's data (the inject id of a delivered inject):
    returns the event's position and seq."""
    data = bytearray(files[JOURNAL["events"]])
    text = data.decode()
    start = 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        event = json.loads(line)
        if number > 3 and event["kind"] == "inject_delivered":
            at = start + len(line[: line.index('"inject":"')].encode()) + len('"inject":"')
            data[at] = ord("Z")
            files[JOURNAL["events"]] = bytes(data)
            return number, int(event["seq"])
        start += len(line.encode())
    raise AssertionError("no inject delivered")


# -- export and verify -----------------------------------------------------------------


def test_export_then_verify_passes(played: Played) -> None:
    result = verify(played.pack)
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert [line.split()[0] for line in out] == [
        "files", "contents", "chain", "replay", "score", "records", "reports", "verified:",
    ]  # fmt: skip
    assert all(" ok: " in line for line in out[:-1])
    assert out[-1].startswith(f"verified: drill {played.drill}, chain head ")
    assert "identical" in check_line(result, "replay")
    assert "(profile.json, the default: what import saves), as packed" in check_line(
        result, "score"
    )
    assert check_line(result, "records") == (
        "records  ok: 1 note, 1 signature, 1 improvement edit (covered by the chain head; "
        "checked: capacities, times, roles, amendment marks)"
    )
    assert check_line(result, "reports").startswith(
        "reports  ok: report.html is the report regenerated from the pack, identical; "
        "report.docx is a copy for reading, not checked: regenerate it with drillhall report "
        "after import"
    )


def test_the_pack_holds_what_the_issue_lists(played: Played) -> None:
    files = members(played.pack)
    manifest = json.loads(files[MANIFEST])
    assert manifest["format"] == "drillhall-evidence" and manifest["version"] == 2
    assert manifest["drill"] == played.drill
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
    events = lines(files[JOURNAL["events"]])
    assert manifest["chain"]["journal_head"] == events[-1]["hash"]
    assert manifest["chain"]["head"] != events[-1]["hash"]  # the record entry follows
    assert manifest["chain"]["events"] == len(events)
    assert manifest["standing"] == {"status": "ended", "started": True, "rated": True}
    drill = json.loads(files["drill.json"])
    assert drill["id"] == played.drill and drill["status"] == "ended"
    for column in ("scenario_version", "plan_version", "seed", "purpose", "void_reason", "last_t"):
        assert column in drill
    assert b"injects:" in files["scenario.yaml"] and b"roles:" in files["plan.yaml"]
    notes = json.loads(files["notes.json"])["notes"]
    assert notes[0]["text"] == "水位上报晚了 — late gauge report" and "amendment" in notes[0]
    signatures = json.loads(files["signatures.json"])["signatures"]
    assert [s["name"] for s in signatures] == ["王芳"] and "capacity" in signatures[0]
    assert json.loads(files["scores.json"])["scores"][0]["profile"] == "drillhall-rubric v2.0"
    assert "improvement_log" in json.loads(files["improvements.json"])
    assert json.loads(files["profile.json"])["id"] == "drillhall-rubric"
    assert files["report.html"].startswith(b"<!") or b"<html" in files["report.html"][:200]
    assert files["report.docx"][:2] == b"PK"


def test_every_table_of_a_drill_is_packed_or_left_out_on_purpose() -> None:
    packed = set(JOURNAL) | {t for tables in TABLE_FILES.values() for t in tables}
    assert packed == set(KEYS)
    assert set(DRILL_TABLES) == set(KEYS) | set(LEFT_OUT)
    assert not set(KEYS) & set(LEFT_OUT)


# -- tampering -------------------------------------------------------------------------


def test_one_changed_byte_in_an_event_is_found_by_the_chain(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    number, seq = one_event_byte_changed(files)
    result = verify(write(files, tmp_path / "t.drillpack"))
    assert result.exit_code == 1
    assert check_line(result, "files").startswith("files    ok")
    assert f"event #{number} (seq {seq}): hash does not match" in check_line(result, "chain")
    assert f"event #{number} (seq {seq}) differs: data.inject" in check_line(result, "replay")
    assert result.stdout.splitlines()[-1].startswith("NOT verified")


def test_a_changed_event_without_the_manifest_updated(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    number, seq = one_event_byte_changed(files)
    result = verify(write(files, tmp_path / "t.drillpack", update_manifest=False))
    assert result.exit_code == 1
    assert "journal/events.jsonl: sha256 does not match the manifest" in check_line(result, "files")
    assert f"event #{number} (seq {seq}): hash does not match" in check_line(result, "chain")


def test_a_rechained_forgery_is_found_by_the_replay(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    number, seq = one_event_byte_changed(files)
    rechain(files)
    result = verify(write(files, tmp_path / "t.drillpack"))
    assert result.exit_code == 1
    assert " ok: " in check_line(result, "files") and " ok: " in check_line(result, "chain")
    replay = check_line(result, "replay")
    assert f"FAILED: event #{number} (seq {seq}) differs: data.inject: packed " in replay


@pytest.mark.parametrize(
    ("member", "content", "said"),
    [
        ("drill.json", b"[" * 200_000 + b"]" * 200_000, "drill.json: not JSON (RecursionError"),
        ("manifest.json", b"[" * 200_000, "manifest.json: not JSON (RecursionError"),
        ("roster.json", b'{"chief": ' + b"9" * 5000 + b"}", "roster.json: not JSON (ValueError"),
        ("drill.json", b'{"id": NaN}', "drill.json: not JSON (ValueError: NaN is not JSON)"),
    ],
    ids=["nested", "nested-manifest", "5000-digits", "nan"],
)
def test_a_member_that_is_not_standard_json_is_one_line(
    played: Played, tmp_path: Path, member: str, content: bytes, said: str
) -> None:
    """Nested 200,000 deep, a 5,000-digit number, a NaN: Python's reader raises more than
    JSONDecodeError (RecursionError, ValueError) or takes NaN, which no database's JSON
    does (an import then blamed the centre's database)."""
    files = members(played.pack)
    files[member] = content
    path = write(files, tmp_path / "t.drillpack", update_manifest=member != MANIFEST)
    for command in ("verify", "import"):
        result = invoke(
            command, path, *(["--db", str(tmp_path / "c.db")] if command == "import" else [])
        )
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert said in result.output, result.output


def test_an_input_of_nan_is_refused_by_verify_and_import(played: Played, tmp_path: Path) -> None:
    """A rechained pack whose decision holds NaN (and events the engine regenerates from
    it): verify said "verified", import then failed on the centre's JSON as a database
    fault (exit 2)."""
    files = members(played.pack)
    text = files[JOURNAL["inputs"]].decode()
    files[JOURNAL["inputs"]] = text.replace('"params":{', '"params":{"x":NaN,', 1).encode()
    path = write(files, tmp_path / "t.drillpack")
    for command in ("verify", "import"):
        result = invoke(
            command, path, *(["--db", str(tmp_path / "c.db")] if command == "import" else [])
        )
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert "not JSON (ValueError: NaN is not JSON)" in result.output, result.output


def test_a_deleted_input_breaks_the_chain_there(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    inputs = lines(files[JOURNAL["inputs"]])
    assert len(inputs) > 4
    files[JOURNAL["inputs"]] = jsonl(inputs[:3] + inputs[4:])
    result = verify(write(files, tmp_path / "t.drillpack"))
    assert result.exit_code == 1
    assert "FAILED: input #4 missing: chain breaks after input #3" in check_line(result, "chain")
    assert "FAILED" in check_line(result, "replay")


def test_a_deleted_last_event_and_last_input(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    events = lines(files[JOURNAL["events"]])
    files[JOURNAL["events"]] = jsonl(events[:-1])
    result = verify(write(files, tmp_path / "e.drillpack"))
    assert f"event #{len(events)} missing: chain breaks after event #{len(events) - 1}" in (
        check_line(result, "chain")
    )
    files = members(played.pack)
    inputs = lines(files[JOURNAL["inputs"]])
    files[JOURNAL["inputs"]] = jsonl(inputs[:-1])
    result = verify(write(files, tmp_path / "i.drillpack"))
    assert f"input #{len(inputs)} missing: chain breaks after input #{len(inputs) - 1}" in (
        check_line(result, "chain")
    )


def test_a_changed_score_is_found_by_the_rescore(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    scores = json.loads(files["scores.json"])
    row = scores["scores"][0]
    real = f"{float(row['score'])} {row['rating']}"
    row.update(score=99.5, rating="P")
    files["scores.json"] = json.dumps(scores).encode()
    result = verify(write(files, tmp_path / "t.drillpack"))
    assert result.exit_code == 1
    assert f"FAILED: score differs: packed 99.5 P, replayed {real}" in check_line(result, "score")
    assert " ok: " in check_line(result, "chain") and " ok: " in check_line(result, "replay")


def test_a_changed_score_detail_is_found(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    scores = json.loads(files["scores.json"])
    detail = json.loads(scores["scores"][0]["detail"])
    detail["expectations"][0]["status"] = "forged"
    scores["scores"][0]["detail"] = json.dumps(detail)
    files["scores.json"] = json.dumps(scores).encode()
    result = verify(write(files, tmp_path / "t.drillpack"))
    assert result.exit_code == 1
    assert "score detail differs: expectations[0].status" in check_line(result, "score")


def test_a_tampered_pack_is_not_imported(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    one_event_byte_changed(files)
    db = tmp_path / "other.db"
    result = invoke("import", write(files, tmp_path / "t.drillpack"), "--db", db)
    assert result.exit_code == 1
    assert "not imported: the pack does not verify" in result.stderr
    assert not db.exists()


# -- import ----------------------------------------------------------------------------


def test_import_into_another_database_then_everything_works(
    played: Played, tmp_path: Path, new_db: NewDb
) -> None:
    other = new_db("other")
    first = invoke("import", played.pack, "--db", other)
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith(f"imported drill {played.drill} (")
    for args in (
        ("report", played.drill, "--format", "md", "--lang", "en"),
        ("report", played.drill, "--format", "html", "--lang", "zh"),
        ("journal", played.drill),
        ("score", played.drill, "--json"),
        ("improve", played.drill, "--json"),
    ):
        here, there = invoke(*args, "--db", played.db), invoke(*args, "--db", other)
        assert there.exit_code == 0, there.output
        assert here.stdout == there.stdout, args
    replayed = invoke("replay", played.drill, "--json", "--db", other)
    assert replayed.exit_code == 0 and json.loads(replayed.stdout)["identical"]
    history = json.loads(invoke("history", "--json", "--db", other).stdout)
    original = json.loads(invoke("history", "--json", "--db", played.db).stdout)
    assert history == original
    again_packed = tmp_path / "again.drillpack"  # the same record: the same chain head
    assert invoke("export", played.drill, "-o", again_packed, "--db", other).exit_code == 0
    heads = [json.loads(members(p)[MANIFEST])["chain"]["head"] for p in (played.pack, again_packed)]
    assert heads[0] == heads[1]

    store = Store(other)
    before = row_counts(store)
    store.close()
    again = invoke("import", played.pack, "--db", other)
    assert again.exit_code == 0
    assert again.stdout.strip() == f"drill {played.drill}: already present, unchanged ({other})"
    store = Store(other)
    assert row_counts(store) == before
    store.close()
    assert before["events"] > 100 and before["notes"] == 1 and before["signatures"] == 1


def test_importing_back_into_the_origin_changes_nothing(played: Played) -> None:
    result = invoke("import", played.pack, "--db", played.db)
    assert result.exit_code == 0, result.output
    assert "already present, unchanged" in result.stdout


def test_a_later_pack_extends_the_record_and_an_older_one_is_refused(
    played: Played, tmp_path: Path, new_db: NewDb
) -> None:
    """Notes and signatures added after a pack was imported make a later pack: its
    import adds them (and nothing else). The earlier pack imported over the later record
    is refused (exit 1, one line) and writes nothing."""
    origin = new_db("origin")  # a copy of the origin: the pack imported there
    assert invoke("import", played.pack, "--db", origin).exit_code == 0
    other = new_db("other")
    assert invoke("import", played.pack, "--db", other).exit_code == 0
    assert invoke("note", played.drill, "later", "--author", "x", "--db", origin).exit_code == 0
    signed = invoke(
        "signoff", played.drill, "--name", "赵强", "--capacity", "director", "--db", origin
    )
    assert signed.exit_code == 0, signed.output
    finding = json.loads(invoke("improve", played.drill, "--json", "--db", origin).stdout)[0]
    improved = invoke(
        "improve", played.drill, finding["finding"], "--due", "2031-01-01", "--db", origin
    )
    assert improved.exit_code == 0, improved.output
    newer = tmp_path / "newer.drillpack"
    assert invoke("export", played.drill, "-o", newer, "--db", origin).exit_code == 0
    assert verify(newer).exit_code == 0
    old_head = json.loads(members(played.pack)[MANIFEST])["chain"]
    new_head = json.loads(members(newer)[MANIFEST])["chain"]
    assert new_head["journal_head"] == old_head["journal_head"]
    assert new_head["head"] != old_head["head"]  # the record is in the chain

    store = Store(other)
    before = row_counts(store)
    store.close()
    added = invoke("import", newer, "--db", other)
    assert added.exit_code == 0, added.output
    assert added.stdout.strip() == (
        f"drill {played.drill}: added 1 note, 1 signature, 1 improvement edit ({other})"
    )
    store = Store(other)
    after = row_counts(store)
    store.close()
    assert after == {
        **before,
        "notes": before["notes"] + 1,
        "signatures": 2,
        "improvement_log": before["improvement_log"] + 1,
    }
    for args in (
        ("report", played.drill, "--format", "md", "--lang", "en"),
        ("improve", played.drill, "--json"),
        ("history", "--json"),
    ):
        assert invoke(*args, "--db", other).stdout == invoke(*args, "--db", origin).stdout
    again = invoke("import", newer, "--db", other)
    assert again.exit_code == 0 and "already present, unchanged" in again.stdout

    refused = invoke("import", played.pack, "--db", other)
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert (
        f"the database holds a newer record of drill {played.drill} (2 notes here, 1 in the "
        "pack; 2 signatures here, 1 in the pack; 2 improvement edits here, 1 in the pack); "
        "unchanged" in refused.stderr
    )
    store = Store(other)
    assert row_counts(store) == after
    store.close()


def test_a_forged_pack_with_the_same_id_is_refused(
    played: Played, tmp_path: Path, new_db: NewDb
) -> None:
    """A drill row changed after export breaks the chain's record entry; a forger who
    recomputes the chain gets a pack that verifies (the purpose is consistent) but whose
    drill row differs from the one in the database: refused, never overwritten."""
    other = new_db("other")
    assert invoke("import", played.pack, "--db", other).exit_code == 0
    files = members(played.pack)
    purpose = ""

    def swap(drill: dict[str, Any]) -> None:
        nonlocal purpose
        purpose = drill["purpose"] = "exam" if drill.get("purpose") != "exam" else "practice"

    edit(files, "drill.json", swap)
    changed = verify(write(files, tmp_path / "c.drillpack"))
    assert changed.exit_code == 1
    assert "chain    FAILED: the record entry (after event #" in check_line(changed, "chain")
    assert "hash does not match (drill.json: not the record that was chained)" in (changed.stdout)

    def rows_purpose(scores: dict[str, Any]) -> None:
        for table in ("results", "role_scores"):
            for row in scores[table]:
                row["purpose"] = purpose

    edit(files, "scores.json", rows_purpose)
    rechain(files)
    forged = write(files, tmp_path / "f.drillpack")
    assert verify(forged).exit_code == 0
    refused = invoke("import", forged, "--db", other)
    assert refused.exit_code == 1
    assert "the drill's purpose differs" in refused.stderr and "not imported" in refused.stderr


# -- finding 1: a packed score is never the record ---------------------------------------


def swapped_score(files: dict[str, bytes]) -> None:
    """The reviewer's forgery: profile.json relabelled 2.0.1, every score row 100 / P /
    met / person 1 / official, drill.json official."""
    edit(files, "profile.json", lambda p: p.update(version="2.0.1"))
    edit(files, "drill.json", lambda d: d.update(purpose="official"))

    def perfect(scores: dict[str, Any]) -> None:
        for row in scores["scores"]:
            row.update(score=100.0, rating="P")
        for row in scores["results"]:
            row.update(status="met", credit=1.0, person=1, purpose="official")
        for row in scores["role_scores"]:
            row.update(score=100.0, rating="P", on_time=1.0, person=1, purpose="official")

    edit(files, "scores.json", perfect)


def test_a_swapped_score_is_refused_and_never_imported(
    played: Played, tmp_path: Path, new_db: NewDb
) -> None:
    files = members(played.pack)
    real = json.loads(files["scores.json"])["scores"][0]
    swapped_score(files)
    rechain(files)  # even with the chain recomputed
    path = write(files, tmp_path / "swap.drillpack")
    result = verify(path)
    assert result.exit_code == 1
    assert check_line(result, "score") == (
        f"score    FAILED: score differs: packed 100.0 P, replayed {float(real['score'])} "
        f"{real['rating']} under drillhall-rubric v2.0"
    )
    db = new_db("d")
    refused = invoke("import", path, "--db", db)
    assert refused.exit_code == 1 and "not imported: the pack does not verify" in refused.stderr

    # forced past verify: the store never takes the packed rows, it scores the journal
    verification = verify_pack(path)
    assert verification.pack is not None
    store = Store(db)
    done = import_drill(store, verification.pack.rows())
    assert done.outcome == "imported"
    assert done.score == (real["score"], real["rating"], "drillhall-rubric v2.0")
    assert store.saved_score(played.drill, "drillhall-rubric v2.0") == (
        real["score"],
        real["rating"],
    )
    assert store.saved_score(played.drill, "drillhall-rubric v2.0.1") is None
    people = store.sql.query(
        "SELECT DISTINCT person, purpose FROM role_scores WHERE drill_id = ?", [played.drill]
    )
    store.close()
    assert {(r["person"], r["purpose"]) for r in people} == {(0, "official")}  # bots played
    history = json.loads(invoke("history", "--json", "--db", db).stdout)
    assert [(h["score"], h["rating"]) for h in history] == [(real["score"], real["rating"])]


def test_a_score_row_that_cannot_be_recomputed_fails(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    edit(files, "scores.json", lambda s: s["scores"][0].update(profile="house-rules v9"))
    result = verify(write(files, tmp_path / "other.drillpack"))
    assert result.exit_code == 1
    assert (
        "score    FAILED: scores row 1: a score under 'house-rules v9' cannot be recomputed"
        in result.stdout
    )
    files = members(played.pack)  # the default's label on other parameters
    edit(files, "profile.json", lambda p: p.update(alpha=1.0))
    result = verify(write(files, tmp_path / "label.drillpack"))
    assert result.exit_code == 1
    assert (
        "profile.json is labelled drillhall-rubric v2.0, but its parameters are not that "
        "profile's" in check_line(result, "score")
    )
    files = members(played.pack)  # not a profile at all: the default, and said so
    files["profile.json"] = b'{"alpha": 7}'
    result = verify(write(files, tmp_path / "bad.drillpack"))
    assert result.exit_code == 1
    assert check_line(result, "contents").startswith("contents FAILED: profile.json: alpha")
    assert "; rescored under the default drillhall-rubric v2.0 instead: " in (
        check_line(result, "score")
    )


def test_a_row_whose_person_disagrees_with_the_roster_fails(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    edit(files, "scores.json", lambda s: [r.update(person=1) for r in s["role_scores"]])
    result = verify(write(files, tmp_path / "person.drillpack"))
    assert result.exit_code == 1
    assert "person packed 1, the roster says 0" in check_line(result, "score")


def test_a_pack_under_another_profile_says_which_it_rescored(
    played: Played, tmp_path: Path
) -> None:
    profile = tmp_path / "strict.json"
    profile.write_text(json.dumps({"id": "strict", "version": "1"}))
    pack = tmp_path / "strict.drillpack"
    exported = invoke("export", played.drill, "-o", pack, "--profile", profile, "--db", played.db)
    assert exported.exit_code == 0, exported.output
    result = verify(pack)
    assert result.exit_code == 0, result.output
    line = check_line(result, "score")
    assert "rescored under strict v1 (profile.json), no packed score under it" in line
    assert "rescored under drillhall-rubric v2.0 (the default: what import saves), as packed" in (
        line
    )


# -- finding 2: a drill that is not rated says so -----------------------------------------


def _export(store: Store, drill_id: str, path: Path) -> Path:
    store.close()
    result = invoke("export", drill_id, "-o", path, "--db", store.target, "--lang", "en")
    assert result.exit_code == 0, result.output
    return path


def test_an_interrupted_drill_pack_says_not_rated(
    store: Store, worked_bundle: Bundle, tmp_path: Path, new_db: NewDb
) -> None:
    roles = [r.id for r in worked_bundle.compiled.plan.roles]
    session = DrillSession.create(store, worked_bundle, bots=dict.fromkeys(roles, "ideal"))
    session.tick(900, finish=False)
    session.close()  # nobody plays it any more: interrupted
    pack = _export(store, session.drill_id, tmp_path / "int.drillpack")
    manifest = json.loads(members(pack)[MANIFEST])
    assert manifest["standing"] == {"status": "interrupted", "started": True, "rated": False}
    assert json.loads(members(pack)["scores.json"]) == {
        "scores": [], "results": [], "role_scores": []
    }  # fmt: skip
    result = verify(pack)
    assert result.exit_code == 0, result.output
    assert check_line(result, "score") == "score    not rated (not finished)"
    assert "interrupted" in check_line(result, "contents")
    other = new_db("other")
    imported = invoke("import", pack, "--db", other)
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip().endswith("; not rated (not finished)")
    said = invoke("score", session.drill_id, "--lang", "en", "--db", other)
    assert "not rated (not finished)" in said.stdout

    files = members(pack)  # a made-up score in it fails
    edit(
        files,
        "scores.json",
        lambda s: s["scores"].append({"profile": "drillhall-rubric v2.0", "score": 100.0}),
    )
    forged = verify(write(files, tmp_path / "f.drillpack"))
    assert forged.exit_code == 1
    assert "the drill is not rated (not finished), yet the pack holds 1 score rows" in (
        forged.stdout
    )


def test_a_hosted_drill_ended_before_start_pack_says_not_started(
    store: Store, worked_bundle: Bundle, tmp_path: Path
) -> None:
    live = LiveDrill(
        DrillSession.create(store, worked_bundle, bots={}), 60.0, paused=True, room_bots="ideal"
    )
    live.end()
    live.finish()
    pack = _export(store, live.drill_id, tmp_path / "hosted.drillpack")
    result = verify(pack)
    assert result.exit_code == 0, result.output
    assert check_line(result, "score") == "score    not rated (not started)"
    assert "0.0" not in result.stdout


# -- finding 3: void travels -----------------------------------------------------------------


def test_a_void_pack_verifies_and_its_void_is_imported(
    played: Played, tmp_path: Path, new_db: NewDb
) -> None:
    voided_db = new_db("voided")
    assert invoke("import", played.pack, "--db", voided_db).exit_code == 0
    plain_db = new_db("plain")
    assert invoke("import", played.pack, "--db", plain_db).exit_code == 0
    voided = invoke(
        "void", played.drill, "--reason", "wrong plan", "--by", "王芳", "--db", voided_db
    )
    assert voided.exit_code == 0, voided.output
    pack = tmp_path / "void.drillpack"
    assert invoke("export", played.drill, "-o", pack, "--db", voided_db).exit_code == 0
    files = members(pack)
    drill = json.loads(files["drill.json"])
    assert json.loads(files[MANIFEST])["standing"]["status"] == "void"
    result = verify(pack)
    assert result.exit_code == 0, result.output
    assert check_line(result, "score") == (
        f"score    not rated (void: wrong plan (by 王芳, at {drill['voided']}))"
    )
    before = json.loads(members(played.pack)[MANIFEST])["chain"]
    after = json.loads(files[MANIFEST])["chain"]
    assert after["journal_head"] == before["journal_head"] and after["head"] != before["head"]

    applied = invoke("import", pack, "--db", plain_db)
    assert applied.exit_code == 0, applied.output
    assert applied.stdout.strip() == (
        f"drill {played.drill}: added void (wrong plan; by 王芳, at {drill['voided']}) ({plain_db})"
    )
    assert invoke("history", "--json", "--db", plain_db).stdout == (
        invoke("history", "--json", "--db", voided_db).stdout
    )
    store = Store(plain_db)
    assert store.drill(played.drill).void_reason == "wrong plan"
    assert store.sql.query("SELECT 1 FROM results WHERE drill_id = ?", [played.drill]) == []
    store.close()

    older = invoke("import", played.pack, "--db", plain_db)  # the pre-void pack
    assert older.exit_code == 1
    assert (
        f"the database holds a newer record of drill {played.drill} (it is void here); "
        "unchanged" in older.stderr
    )
    fresh = new_db("fresh")
    imported = invoke("import", pack, "--db", fresh)
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.strip().endswith(
        f"; not rated (void: wrong plan (by 王芳, at {drill['voided']}))"
    )

    late = members(pack)  # a signature after the voiding
    edit(
        late,
        "signatures.json",
        lambda s: s["signatures"].append(
            {"name": "x", "capacity": "director", "comment": "", "at": "2099-01-01T00:00:00+00:00"}
        ),
    )
    rechain(late)
    result = verify(write(late, tmp_path / "late.drillpack"))
    assert result.exit_code == 1
    assert (
        "records  FAILED: signature #2 (x): signed at 2099-01-01T00:00:00+00:00, after the "
        f"drill was voided ({drill['voided']})" in result.stdout
    )


def test_a_diverged_record_is_refused(played: Played, tmp_path: Path, new_db: NewDb) -> None:
    """The database gained a note, the pack a signature: neither extends the other."""
    ahead = new_db("ahead")
    assert invoke("import", played.pack, "--db", ahead).exit_code == 0
    signer = invoke("signoff", played.drill, "--name", "b", "--capacity", "director", "--db", ahead)
    assert signer.exit_code == 0
    pack = tmp_path / "signed.drillpack"
    assert invoke("export", played.drill, "-o", pack, "--db", ahead).exit_code == 0
    other = new_db("other")
    assert invoke("import", played.pack, "--db", other).exit_code == 0
    assert invoke("note", played.drill, "mine", "--author", "c", "--db", other).exit_code == 0
    refused = invoke("import", pack, "--db", other)
    assert refused.exit_code == 1
    assert "different content (the pack adds 1 signature, but the database has 2 notes" in (
        refused.stderr
    )


# -- finding 4: the record's rules -------------------------------------------------------------


@pytest.mark.parametrize(
    ("member", "change", "words"),
    [
        (
            "signatures.json",
            lambda s: s["signatures"][0].update(capacity="supreme_leader"),
            "signature #1 (王芳): capacity 'supreme_leader' is not one Drillhall knows",
        ),
        (
            "signatures.json",
            lambda s: s["signatures"][0].update(at="2020-01-01T00:00:00+00:00"),
            "signature #1 (王芳): signed at 2020-01-01T00:00:00+00:00, before the drill ended",
        ),
        (
            "notes.json",
            lambda n: n["notes"][0].update(role="mayor"),
            "note #1 (李明): role 'mayor' is not a role of the drill's plan",
        ),
        (
            "notes.json",
            lambda n: n["notes"][0].update(amendment=1),
            "note #1 (at ",
        ),
        (
            "improvements.json",
            lambda i: i["improvement_log"][0].update(amendment=0),
            "not marked as an amendment, but written after the first signature",
        ),
    ],
    ids=["capacity", "time", "role", "note-amendment", "edit-amendment"],
)
def test_a_forged_record_is_caught_with_its_position(
    played: Played, tmp_path: Path, new_db: NewDb, member: str, change: Any, words: str
) -> None:
    files = members(played.pack)
    edit(files, member, change)
    rechain(files)  # the chain recomputed: only the record's rules can tell
    path = write(files, tmp_path / "r.drillpack")
    result = verify(path)
    assert result.exit_code == 1
    line = check_line(result, "records")
    assert line.startswith("records  FAILED: ") and words in line, line
    assert " ok: " in check_line(result, "chain")
    verification = verify_pack(path)
    assert verification.pack is not None
    store = Store(new_db("d"))
    with pytest.raises(PackConflict, match="not imported"):
        import_drill(store, verification.pack.rows())
    assert row_counts(store)["drills"] == 0
    store.close()


def test_the_note_amendment_mark_names_the_signature(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    edit(files, "notes.json", lambda n: n["notes"][0].update(amendment=1))
    rechain(files)
    result = verify(write(files, tmp_path / "n.drillpack"))
    assert "marked as an amendment, but written before the first signature" in (
        check_line(result, "records")
    )


# -- finding 5: the report copies ---------------------------------------------------------------


def test_the_packed_report_is_the_report_of_the_pack(
    played: Played, tmp_path: Path, new_db: NewDb
) -> None:
    other = new_db("other")
    assert invoke("import", played.pack, "--db", other).exit_code == 0
    report = invoke("report", played.drill, "--format", "html", "--lang", "en", "--db", other)
    assert report.exit_code == 0, report.output
    assert report.stdout.rstrip("\n") == members(played.pack)["report.html"].decode().rstrip("\n")

    files = members(played.pack)
    files["report.html"] = files["report.html"].replace(b"</body>", b"<script>x()</script></body>")
    result = verify(write(files, tmp_path / "html.drillpack"))
    assert result.exit_code == 1
    assert check_line(result, "reports").startswith(
        "reports  FAILED: report.html is not the report of this pack (it differs from the one "
        "regenerated from the pack at line "
    )
    files = members(played.pack)
    edit(files, MANIFEST, lambda m: m.update(drillhall="0.0.1"))
    result = verify(write(files, tmp_path / "old.drillpack"))
    assert result.exit_code == 0, result.output
    assert check_line(result, "reports") == (
        "reports  not checked: report.html and report.docx are copies for reading (made by "
        f"Drillhall 0.0.1, this is {_ours()}); regenerate them with drillhall report after "
        "import"
    )


def _ours() -> str:
    from drills.review.evidence.pack import drillhall_version

    return drillhall_version()


def test_the_record_entry_covers_what_the_readme_says() -> None:
    assert set(RECORD_TABLES) == {
        t for name in TABLE_FILES if name != "scores.json" for t in TABLE_FILES[name]
    }


# -- hostile archives ------------------------------------------------------------------


def refused_in_one_line(result: Result, words: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and words in result.stderr, result.stderr


def test_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "x.drillpack"
    path.write_bytes(b"hello, not a zip\n")
    refused_in_one_line(verify(path), "not a readable zip archive")
    empty = tmp_path / "empty.drillpack"
    empty.write_bytes(b"")
    refused_in_one_line(verify(empty), "not a readable zip archive")


def test_a_truncated_pack(played: Played, tmp_path: Path) -> None:
    data = played.pack.read_bytes()
    path = tmp_path / "cut.drillpack"
    path.write_bytes(data[: len(data) // 2])
    refused_in_one_line(verify(path), "not a readable zip archive")


def test_a_zip_that_is_not_a_pack(tmp_path: Path) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("hello.txt", "hi")
    refused_in_one_line(verify(path), "missing member manifest.json")


@pytest.mark.parametrize(
    "name", ["../../evil.txt", "/etc/passwd", "journal/../../x", "C:\\x", "a\\..\\b"]
)
def test_path_traversal_names_are_refused(played: Played, tmp_path: Path, name: str) -> None:
    files = members(played.pack)
    path = write(files, tmp_path / "t.drillpack", names=[name])
    refused_in_one_line(verify(path), "unsafe member name")
    refused_in_one_line(invoke("import", path, "--db", tmp_path / "d.db"), "unsafe member name")
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "d.db").exists()


def test_duplicate_and_too_many_members(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    with pytest.warns(UserWarning):  # zipfile warns about the duplicate it writes
        dup = write(files, tmp_path / "d.drillpack", names=["notes.json"])
    refused_in_one_line(verify(dup), "appears twice")
    many = write(files, tmp_path / "m.drillpack", names=[f"x{i}" for i in range(70)])
    refused_in_one_line(verify(many), "members, more than a pack has")


def test_an_oversized_member_is_refused_unread(
    played: Played, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive, "MAX_BYTES", 1_000_000)
    files = members(played.pack)
    files["notes.json"] = b" " * 2_000_000  # compresses to almost nothing
    path = write(files, tmp_path / "big.drillpack")
    assert path.stat().st_size < 1_000_000
    refused_in_one_line(verify(path), "members would unpack to")


def test_a_zip_bomb_at_the_real_limit(tmp_path: Path) -> None:
    path = tmp_path / "bomb.drillpack"
    chunk = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf,
        zf.open("journal/events.jsonl", "w", force_zip64=True) as member,
    ):
        for _ in range(archive.MAX_BYTES // len(chunk) + 1):
            member.write(chunk)
    assert path.stat().st_size < 2_000_000
    refused_in_one_line(verify(path), "members would unpack to")


def test_a_member_whose_header_lies_about_its_size(played: Played, tmp_path: Path) -> None:
    """Headers that claim a small member cannot make the reader take more: it stops at
    the claimed size, and the checksum then refuses the member."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(MANIFEST, b"{" + b" " * 3_000_000 + b"}")
    data = bytearray(buffer.getvalue())
    local = data.index(b"PK\x03\x04")
    struct.pack_into("<I", data, local + 22, 100)
    central = data.index(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    path = tmp_path / "liar.drillpack"
    path.write_bytes(bytes(data))
    refused_in_one_line(verify(path), "not a readable zip archive")


def test_a_member_that_is_not_utf8(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    files["drill.json"] = b'{"id": "\xff\xfe"}'
    result = verify(write(files, tmp_path / "t.drillpack"))
    assert result.exit_code == 1
    assert "contents FAILED: drill.json is not UTF-8 text (byte 0xff at offset 8)" in result.stdout
    files = members(played.pack)
    files[MANIFEST] = b"\xff" + files[MANIFEST]
    refused_in_one_line(
        verify(write(files, tmp_path / "m.drillpack", update_manifest=False)), "not UTF-8"
    )


def test_a_missing_member(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    del files["notes.json"]
    result = verify(write(files, tmp_path / "t.drillpack", update_manifest=False))
    assert result.exit_code == 1
    assert "files    FAILED: notes.json: missing" in result.stdout
    assert "contents FAILED: missing member notes.json" in result.stdout
    result = verify(write(files, tmp_path / "u.drillpack"))  # and gone from the manifest too
    assert result.exit_code == 1
    assert "contents FAILED: missing member notes.json" in result.stdout


def test_malformed_contents_are_answers(played: Played, tmp_path: Path) -> None:
    for name, data, words in [
        ("drill.json", b"[1, 2]", "drill.json: not a JSON object"),
        (
            "scores.json",
            b'{"scores": [{"score": [1]}]}',
            "scores row 1: score is not a plain value",
        ),
        (JOURNAL["inputs"], b'{"seq": "a"}\n', "input #1"),
        ("profile.json", b'{"alpha": 7}', "profile.json: alpha"),
        ("scenario.yaml", b"id: [", "scenario.yaml is not the text"),
    ]:
        files = members(played.pack)
        files[name] = data
        result = verify(write(files, tmp_path / "t.drillpack"))
        assert result.exit_code == 1 and words in result.stdout, (name, result.output)
        assert "Traceback" not in result.output


def test_a_word_report_that_cannot_be_rendered_is_left_out_and_said(
    played: Played, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Word renderer failing (a timeline too tall for cairo) must not cost the
    evidence: the pack says what is left out and why, and verifies."""
    from drills.review import reports

    def broken(*args: object) -> bytes:
        raise RuntimeError("too big")

    monkeypatch.setattr(reports, "render_docx", broken)
    pack = tmp_path / "no-word.drillpack"
    result = invoke("export", played.drill, "-o", pack, "--db", played.db)
    assert result.exit_code == 0, result.output
    assert "report.docx is left out of the pack" in result.stderr
    assert "report.docx" not in members(pack)
    verified = verify(pack)
    assert verified.exit_code == 0, verified.output
    assert "report.docx left out: the Word report could not be rendered" in verified.stdout


def test_hostile_ids_and_names_are_refused_and_shown_inert(played: Played, tmp_path: Path) -> None:
    files = members(played.pack)
    drill = json.loads(files["drill.json"])
    drill["id"] = "../../x"
    files["drill.json"] = json.dumps(drill).encode()
    manifest = json.loads(files[MANIFEST])
    manifest["drill"] = "../../x"
    files[MANIFEST] = json.dumps(manifest).encode()
    result = verify(write(files, tmp_path / "id.drillpack"))
    assert result.exit_code == 1
    assert "drill id '../../x' is not one Drillhall makes" in result.stdout
    files = members(played.pack)
    manifest = json.loads(files[MANIFEST])
    manifest["files"]["\x1b]0;owned\x07.json"] = {"sha256": "0" * 64}
    files[MANIFEST] = json.dumps(manifest).encode()
    result = verify(write(files, tmp_path / "esc.drillpack", update_manifest=False))
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "␛]0;owned␇.json: missing" in result.stdout


def test_the_rescore_is_part_of_the_import(
    played: Played, new_db: NewDb, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A score that cannot be saved leaves no drill without its score behind."""
    from drills.store.database import StoreError

    def broken(self: Store, drill_id: str, score: object) -> None:
        raise StoreError("disk full")

    verification = verify_pack(played.pack)
    assert verification.pack is not None
    store = Store(new_db("d"))
    monkeypatch.setattr(Store, "save_score", broken)
    with pytest.raises(StoreError, match="disk full"):
        import_drill(store, verification.pack.rows())
    assert set(row_counts(store).values()) == {0}
    store.close()
