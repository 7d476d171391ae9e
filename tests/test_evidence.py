"""Evidence packs (issue 11, item 4): export a drill into one archive, verify it (file
sums, the hash chain, the journal replayed, the score rescored), import it elsewhere.

Tampering is caught at its position; hostile archives (traversal names, bombs, not a zip,
not UTF-8, missing members) are one-line answers with exit 1, never a traceback.
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
from drills.review.evidence import archive
from drills.review.evidence.chain import chained, genesis, record_of
from drills.review.evidence.pack import JOURNAL, MANIFEST, TABLE_FILES
from drills.store.database import DRILL_TABLES, Store
from drills.store.packs import KEYS, LEFT_OUT, row_counts


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
    """Recompute every hash of the journal and the manifest's chain (a forger who knows
    the format): only the replay can still tell."""
    manifest = json.loads(files[MANIFEST])
    prev = genesis(manifest["drill"])
    counts = {}
    for table in ("inputs", "events"):
        records = [record_of(line) for line in lines(files[JOURNAL[table]])]
        linked = list(chained(prev, table[:-1], records))
        prev = linked[-1]["hash"] if linked else prev
        files[JOURNAL[table]] = jsonl(linked)
        counts[table] = len(linked)
    manifest["chain"].update(head=prev, **counts)
    files[MANIFEST] = json.dumps(manifest).encode()


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
        "files", "contents", "chain", "replay", "score", "verified:",
    ]  # fmt: skip
    assert all(" ok: " in line for line in out[:-1])
    assert out[-1].startswith(f"verified: drill {played.drill}, chain head ")
    assert "identical" in check_line(result, "replay")


def test_the_pack_holds_what_the_issue_lists(played: Played) -> None:
    files = members(played.pack)
    manifest = json.loads(files[MANIFEST])
    assert manifest["format"] == "drillhall-evidence" and manifest["version"] == 1
    assert manifest["drill"] == played.drill
    assert set(manifest["files"]) == set(files) - {MANIFEST}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256(files[name]).hexdigest() == entry["sha256"]
    events = lines(files[JOURNAL["events"]])
    assert manifest["chain"]["head"] == events[-1]["hash"]
    assert manifest["chain"]["events"] == len(events)
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


def test_import_into_another_database_then_everything_works(played: Played, tmp_path: Path) -> None:
    other = tmp_path / "other.db"
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


def test_a_newer_pack_of_the_same_drill_is_refused(played: Played, tmp_path: Path) -> None:
    """Notes and signatures added after a pack was imported make a different pack: the
    import refuses it (one line, exit 1) and writes nothing."""
    origin = tmp_path / "origin.db"  # a copy of the origin: the pack imported there
    assert invoke("import", played.pack, "--db", origin).exit_code == 0
    other = tmp_path / "other.db"
    assert invoke("import", played.pack, "--db", other).exit_code == 0
    assert invoke("note", played.drill, "later", "--author", "x", "--db", origin).exit_code == 0
    newer = tmp_path / "newer.drillpack"
    assert invoke("export", played.drill, "-o", newer, "--db", origin).exit_code == 0
    assert verify(newer).exit_code == 0
    store = Store(other)
    before = row_counts(store)
    store.close()
    refused = invoke("import", newer, "--db", other)
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert "already in this database with different content (notes: 1 here, 2 in the pack)" in (
        refused.stderr
    )
    store = Store(other)
    assert row_counts(store) == before
    store.close()


def test_a_forged_pack_with_the_same_id_is_refused(played: Played, tmp_path: Path) -> None:
    """A pack that verifies (its review records are not in the chain) but whose drill row
    differs from the one in the database: refused, never overwritten."""
    other = tmp_path / "other.db"
    assert invoke("import", played.pack, "--db", other).exit_code == 0
    files = members(played.pack)
    drill = json.loads(files["drill.json"])
    drill["purpose"] = "exam" if drill.get("purpose") != "exam" else "practice"
    files["drill.json"] = json.dumps(drill).encode()
    forged = write(files, tmp_path / "f.drillpack")
    assert verify(forged).exit_code == 0
    refused = invoke("import", forged, "--db", other)
    assert refused.exit_code == 1
    assert "the drill's purpose differs" in refused.stderr and "not imported" in refused.stderr


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
