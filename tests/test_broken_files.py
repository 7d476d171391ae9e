"""The broken-file corpus: every file in tests/broken/ must get a positioned diagnostic.

Each row of ``CASES`` names a file, the real position of the offending token (found by
reading the file, not copied from the validator's output) and a substring of the
``path:line:col: field: message`` line that must report it. Scenarios are checked against
``tests/data/worked-plan.yaml``; files named ``plan-*`` are checked as plans on their own.

Rows listed in ``KNOWN_BUGS`` say what the validator should print but does not yet; they
are strict xfails, so a fix turns them into failures that ask for the entry to be removed.

The table runs ``drills.library.validate.validate_paths`` in-process (one subprocess per file
would take most of the time budget); a few tests run the real CLI as a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from drills.library.validate import validate_paths

ROOT = Path(__file__).parent.parent
BROKEN = Path("tests/broken")  # relative to ROOT, as the CLI is given it and prints it
PLAN = Path("tests/data/worked-plan.yaml")
PWNED = Path("/tmp/drillhall-pwned")  # what python-tag-injection.yaml would create

# (file in tests/broken, "line:col" of the offending token, substring of the diagnostic)
CASES: list[tuple[str, str, str]] = [
    # --- reading and YAML syntax -----------------------------------------------------
    ("yaml-bad-indentation.yaml", "10:4", "YAML syntax: did not find expected '-' indicator"),
    ("yaml-unclosed-bracket.yaml", "11:9", "flow sequence"),
    ("yaml-tab-character.yaml", "9:1", "tab character"),
    ("yaml-duplicate-key.yaml", "14:5", "text: duplicate key (first written on line 12)"),
    ("yaml-control-character.yaml", "12:19", "control characters are not allowed"),
    ("yaml-recursive-alias.yaml", "12:27", "alias"),
    ("empty-file.yaml", "1:1", "expected a mapping (a plan or a scenario), found an empty file"),
    ("top-level-list.yaml", "2:1", "expected a mapping (a plan or a scenario), found list"),
    ("not-utf8-gbk.yaml", "5:8", "file is not UTF-8 text"),
    (
        "python-tag-injection.yaml",
        "12:11",
        "refused: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'",
    ),
    # --- schema ----------------------------------------------------------------------
    (
        "scenario-unknown-field-typo.yaml",
        "15:9",
        "injects.0.expects.0.dealine: unknown field 'dealine'; did you mean 'deadline'?",
    ),
    (
        "plan-unknown-field-typo.yaml",
        "16:5",
        "rules.0.dealine: unknown field 'dealine'; did you mean 'deadline'?",
    ),
    ("scenario-missing-required-field.yaml", "8:5", "injects.0.text: required field is missing"),
    ("scenario-wrong-type-list.yaml", "3:7", "plan: Input should be a valid string"),
    (
        "scenario-duration-unparseable.yaml",
        "6:11",
        "duration: cannot read 'ten minutes' as a duration",
    ),
    ("scenario-zero-duration.yaml", "6:11", "duration: must be greater than 0"),
    (
        "scenario-boolean-duration.yaml",
        "9:9",
        "injects.0.at: a duration must be seconds or a string like '30m', not a boolean",
    ),
    (
        "scenario-inject-at-and-after.yaml",
        "14:5",
        "injects.1: an inject fires by exactly one of at, after or when",
    ),
    ("scenario-condition-unknown-key.yaml", "17:7", "injects.1.when.by: unknown field 'by'"),
    (
        "scenario-fired-condition-unknown-key.yaml",
        "17:7",
        "injects.1.when.delay: unknown field 'delay'",
    ),
    ("scenario-state-two-operators.yaml", "17:11", "injects.1.when: write exactly one comparison"),
    (
        "plan-scale-param-without-scale.yaml",
        "18:9",
        "actions.0.params.0: a 'scale' parameter names its scale",
    ),
    ("plan-rule-without-clause.yaml", "12:5", "rules.0: a scored rule must cite its plan clause"),
    # --- plan cross-checks -----------------------------------------------------------
    (
        "plan-rule-role-not-authorised.yaml",
        "15:11",
        "rules.0.role: role 'office' is not authorised for report (allowed: chief)",
    ),
    ("plan-action-unknown-role.yaml", "11:20", "actions.0.roles.1: unknown role 'comander'"),
    (
        "plan-param-value-not-in-scale.yaml",
        "26:21",
        "rules.0.params.level: level must be one of IV, III, II, I; got 'V'",
    ),
    (
        "plan-unverified-scored-rule.yaml",
        "20:18",
        "rules.0.clause.certainty: an unverified source cannot be scored",
    ),
    # --- scenario cross-checks -------------------------------------------------------
    ("scenario-unknown-role.yaml", "11:22", "injects.0.to.1: unknown role 'mayor'"),
    ("scenario-unknown-rule.yaml", "13:34", "injects.0.expects.1.rule: unknown plan rule 'A9'"),
    (
        "scenario-duplicate-expectation.yaml",
        "19:15",
        "injects.1.expects.0: expectation id 'A1' is used twice (also in inject 'I1'); "
        "give each its own id",
    ),
    ("scenario-after-unknown-inject.yaml", "15:21", "injects.1.after.inject: unknown inject 'I9'"),
    (
        "scenario-when-unknown-expectation.yaml",
        "15:20",
        "injects.1.when.missed: unknown expectation 'A9'",
    ),
    (
        "scenario-condition-never-holds.yaml",
        "15:11",
        "injects.1.when: this condition can never hold",
    ),
    ("scenario-state-never-set.yaml", "16:11", "injects.1.when: this condition can never hold"),
    (
        "scenario-state-never-set.yaml",
        "16:19",
        "injects.1.when.state: state 'river_flow' is never set",
    ),
    (
        "scenario-inject-after-end.yaml",
        "15:9",
        "injects.1.at: fires at 4h, after the scenario ends (3h)",
    ),
    ("scenario-sexagesimal-time.yaml", "16:9", "YAML 1.1 reads 12:30 as a base-60 number"),
    ("scenario-sexagesimal-time-silent.yaml", "17:9", "quote the text ('12:30')"),
    (
        "scenario-deadline-after-end.yaml",
        "19:15",
        "injects.1.expects.0: the deadline (with grace) ends at 1h40m, after the scenario ends",
    ),
    (
        "scenario-precedence-unknown.yaml",
        "14:23",
        "injects.0.precedence.0.1: unknown expectation 'A9'",
    ),
    ("scenario-precedence-not-a-pair.yaml", "15:14", "precedence.0: List should have at least 2"),
    # --- values YAML cannot build (they used to print a traceback) ---------------------
    ("yaml-impossible-date.yaml", "6:8", "'2026-02-30' is not a real date"),
    ("yaml-int-tag-not-a-number.yaml", "7:14", "cannot read 'x' as a whole number"),
    ("yaml-float-tag-empty.yaml", "7:22", "cannot read '' as a number"),
    ("yaml-bool-tag-maybe.yaml", "13:34", "cannot read 'maybe' as true or false"),
    ("yaml-timestamp-tag-nope.yaml", "6:8", "cannot read 'nope' as a date"),
    ("yaml-int-tag-0x.yaml", "9:9", "cannot read '0x' as a whole number"),
    # --- numbers a drill cannot play or score ----------------------------------------
    (
        "plan-param-bound-infinite.yaml",
        "12:55",
        "actions.0.params.0.min: a number must be finite, not .inf",
    ),
    (
        "plan-param-bound-nan.yaml",
        "15:14",
        "actions.0.params.0.max: a number must be finite, not .nan",
    ),
    ("plan-weight-too-large.yaml", "17:13", "rules.0.weight: a weight can be at most 1000"),
    (
        "scenario-duration-2-63.yaml",
        "6:11",
        "duration: a duration can be at most 10 years (315,360,000 s, '3650d')",
    ),
    (
        "scenario-weight-infinite.yaml",
        "13:34",
        "injects.0.expects.0.weight: a number must be finite, not .inf",
    ),
    (
        "scenario-state-value-too-large.yaml",
        "7:22",
        "state.water_level: a number must be between -10^15 and 10^15",
    ),
    ("scenario-compression-out-of-range.yaml", "7:14", "compression: compression must be between"),
    ("scenario-start-impossible-date.yaml", "6:8", "start: start must be a real date and time"),
    # --- scenarios whose ideal run cannot score 100 ----------------------------------
    ("plan-deadline-zero.yaml", "16:15", "rules.0.deadline: a deadline of 0 can never be met"),
    (
        "scenario-deadline-zero.yaml",
        "13:36",
        "injects.0.expects.0.deadline: a deadline of 0 can never be met",
    ),
    (
        "plan-param-min-above-max.yaml",
        "12:9",
        "actions.0.params.0: min (10) is above max (1): no value would be accepted",
    ),
    (
        "plan-param-int-no-whole-number.yaml",
        "12:9",
        "actions.0.params.0: no whole number lies between min (0.2) and max (0.8)",
    ),
    ("plan-rule-also-prohibited.yaml", "17:5", "rules.0: the rule's answer is also prohibited"),
    (
        "scenario-opens-at-end.yaml",
        "19:15",
        "injects.1.expects.0: opens at 3h, when the scenario ends (3h)",
    ),
    (
        "scenario-opens-at-end-jitter.yaml",
        "20:15",
        "injects.1.expects.0: opens at 3h at the latest (jitter), when the scenario ends (3h)",
    ),
    (
        "scenario-expected-also-prohibited.yaml",
        "19:9",
        "injects.0.expects.0: the expected action is also prohibited (X-publish)",
    ),
    (
        "scenario-expected-prohibited-by-earlier-inject.yaml",
        "20:15",
        "the expected action is also prohibited (X-report, armed by inject I1 at 0s)",
    ),
    (
        "scenario-expected-prohibited-by-branch.yaml",
        "13:27",
        "(X-report, armed by inject I2, whose time is only known in play)",
    ),
    (
        "scenario-precedence-cannot-be-kept.yaml",
        "7:14",
        "precedence.0: the ideal run answers A2 (opened at 0s) before A3 (opened at 1h)",
    ),
    (
        "scenario-prohibited-when-holds.yaml",
        "20:15",
        "injects.0.expects.0: the ideal answer, given at 1m, is a commission (X-report-high",
    ),
    ("scenario-partly-condition.yaml", "16:11", "injects.1.when: this condition can never hold"),
]

# (file, "line:col") -> what the validator does today. Strict xfails: see the docstring.
KNOWN_BUGS: dict[tuple[str, str], str] = {}

# Files that would hang an in-process run; they are checked in a subprocess with a timeout
# and left out of the whole-corpus run.
HANGS: set[str] = set()
HANG_TIMEOUT = 5


def _param(name: str, position: str, expected: str) -> object:
    stem = name.removesuffix(".yaml")
    twice = sum(1 for row in CASES if row[0] == name) > 1
    reason = KNOWN_BUGS.get((name, position))
    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
    return pytest.param(
        name, position, expected, id=f"{stem}@{position}" if twice else stem, marks=marks
    )


def _is_plan(name: str) -> bool:
    return name.startswith("plan-")


def _run_cli(names: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "drills", "validate", *(str(BROKEN / n) for n in names)]
    if not all(_is_plan(n) for n in names):
        command += ["--plan", str(PLAN)]
    return subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
    )


def _assert_reported(lines: list[str], name: str, position: str, expected: str) -> None:
    prefix = f"{BROKEN / name}:{position}:"
    shown = "\n".join(lines)
    assert any(line.startswith(prefix) and expected in line for line in lines), (
        f"expected a line starting {prefix!r} containing {expected!r}; got:\n{shown}"
    )


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)


def test_corpus_matches_table() -> None:
    folder = ROOT / BROKEN
    on_disk = {p.name for p in folder.iterdir() if p.is_file() and p.name != ".gitattributes"}
    in_table = {name for name, _, _ in CASES}
    assert on_disk == in_table
    assert len(on_disk) >= 24
    assert set(name for name, _ in KNOWN_BUGS) <= in_table
    assert all((name, pos) in {(n, p) for n, p, _ in CASES} for name, pos in KNOWN_BUGS)


@pytest.mark.parametrize(("name", "position", "expected"), [_param(*row) for row in CASES])
def test_broken_file(name: str, position: str, expected: str, at_root: None) -> None:
    if name in HANGS:
        try:
            result = _run_cli([name], timeout=HANG_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"validate {name} did not finish in {HANG_TIMEOUT}s")
        assert result.returncode == 1
        assert "Traceback" not in result.stdout + result.stderr
        _assert_reported(result.stderr.splitlines(), name, position, expected)
        return
    diagnostics, _ = validate_paths([BROKEN / name], None if _is_plan(name) else PLAN)
    lines = [str(d) for d in diagnostics]
    # The CLI exits 1 exactly when there is an error (warnings alone exit 0).
    assert any(d.severity == "error" for d in diagnostics), f"no error for {name}: {lines}"
    # Every diagnostic is one `path:line:col: ...` line.
    assert all("\n" not in line for line in lines), lines
    _assert_reported(lines, name, position, expected)


@pytest.mark.parametrize(
    "name",
    [
        "not-utf8-gbk.yaml",
        "scenario-unknown-field-typo.yaml",
        "scenario-unknown-role.yaml",
        "plan-rule-role-not-authorised.yaml",
    ],
)
def test_cli_reports_one_file(name: str) -> None:
    position, expected = next((p, e) for n, p, e in CASES if n == name)
    result = _run_cli([name])
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    assert f"{BROKEN / name}:{position}:" in result.stderr
    _assert_reported(result.stderr.splitlines(), name, position, expected)


def test_cli_whole_corpus_in_one_run() -> None:
    names = sorted({name for name, _, _ in CASES} - HANGS)
    result = _run_cli(names)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stdout
    assert "Traceback" not in result.stderr
    # The summary line is not a diagnostic; which stream it goes to is not part of this.
    assert f"{len(names)} file(s) checked:" in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    for name, position, expected in CASES:
        if (name, position) not in KNOWN_BUGS:
            _assert_reported(lines, name, position, expected)


def test_python_tag_runs_nothing(at_root: None) -> None:
    name = "python-tag-injection.yaml"
    assert str(PWNED) in (ROOT / BROKEN / name).read_text(encoding="utf-8")
    PWNED.unlink(missing_ok=True)
    diagnostics, _ = validate_paths([BROKEN / name], PLAN)
    assert not PWNED.exists(), "validate_paths ran the !!python tag"
    assert [d.severity for d in diagnostics] == ["error"]
    result = _run_cli([name])
    assert not PWNED.exists(), "drillhall validate ran the !!python tag"
    assert result.returncode == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert f"{BROKEN / name}:12:11:" in result.stderr
