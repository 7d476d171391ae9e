"""Where scenarios and plans live: the shipped library, and files the user names.

A SCENARIO argument is a path or the id of an installed scenario; a scenario's plan is
found next to it (``plans/<id>.yaml`` in its folder or the folder above) or in the
shipped library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from engine.loader import Diagnostic, LoadError, read_document
from engine.plan import Clause


def library_dir() -> Path:
    """The installed ``scenarios`` package folder."""
    return Path(str(resources.files("scenarios")))


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    family: str
    plan: str
    title_zh: str
    title_en: str
    injects: int
    duration: int
    path: Path


def _scenario_files(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("*/*.yaml") if p.parent.name != "plans")


def installed() -> list[CatalogEntry]:
    """Every scenario in the shipped library (unreadable files are skipped here)."""
    from engine.loader import validate_model
    from engine.scenario import Scenario

    entries = []
    for path in _scenario_files(library_dir()):
        try:
            scenario = validate_model(read_document(path), Scenario)
        except LoadError:
            continue
        entries.append(
            CatalogEntry(
                scenario.id,
                scenario.family,
                scenario.plan,
                scenario.title.zh,
                scenario.title.en,
                len(scenario.injects),
                scenario.duration,
                path,
            )
        )
    return entries


_ID_LINE = re.compile(r"^id:\s*[\"']?([A-Za-z][A-Za-z0-9_.\-]*)", re.MULTILINE)


def _peek_id(path: Path) -> str | None:
    """The top-level id of a file without parsing it (start-up stays fast)."""
    try:
        match = _ID_LINE.search(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    return match.group(1) if match else None


def resolve_scenario(name: str) -> Path:
    """A path as given, or the file of an installed scenario with that id."""
    path = Path(name)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    for candidate in _scenario_files(library_dir()):
        if _peek_id(candidate) == name:
            return candidate
    known = ", ".join(e.id for e in installed()) or "none"
    raise LoadError(
        [Diagnostic(name, 1, 1, "", f"no such file or installed scenario (installed: {known})")]
    )


def find_plan(scenario_path: Path, plan_id: str) -> Path:
    """The plan file for ``plan_id``, looked up near the scenario, then in the library."""
    folder = scenario_path.resolve().parent
    candidates = [
        folder / "plans" / f"{plan_id}.yaml",
        folder.parent / "plans" / f"{plan_id}.yaml",
        folder / f"{plan_id}.yaml",
        library_dir() / "plans" / f"{plan_id}.yaml",
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise LoadError(
        [
            Diagnostic(
                str(scenario_path),
                1,
                1,
                "plan",
                f"plan {plan_id!r} not found (looked for plans/{plan_id}.yaml next to the "
                "scenario and in the installed library; pass --plan PATH)",
            )
        ]
    )


_PLAN_LINE = re.compile(
    r"^plan:\s*[\"']?([A-Za-z][A-Za-z0-9_.\-]*)[\"']?\s*(?:#.*)?$", re.MULTILINE
)


def scenario_plan_id(scenario_path: Path) -> str:
    """Read just the plan id of a scenario (with a positioned error if it is missing)."""
    try:
        match = _PLAN_LINE.search(scenario_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        match = None
    if match:
        return match.group(1)  # the common case, without parsing the file twice
    doc = read_document(scenario_path)
    data = doc.data if isinstance(doc.data, dict) else {}
    plan_id = data.get("plan")
    if not isinstance(plan_id, str):
        line, col = doc.position(["plan"])
        raise LoadError(
            [Diagnostic(doc.path, line, col, "plan", "the scenario must name its plan")]
        )
    return plan_id


def quotes_its_source(clause: Clause | None) -> bool:
    """A rule quoted word for word from an official text or from the plan's own seed
    document (the organisation's plan is its own official text)."""
    return bool(
        clause is not None and clause.quote and clause.certainty in ("verbatim-official", "seed")
    )


def scenario_stats(entry: CatalogEntry) -> dict[str, object]:
    """Figures a trainer compares scenarios by (and the library table in notes)."""
    from engine.bundle import load_bundle

    compiled = load_bundle(entry.path, find_plan(entry.path, entry.plan)).compiled
    scenario = compiled.scenario
    rules: dict[str, tuple[bool, bool]] = {}
    for exp in compiled.expectations.values():
        rules.setdefault(exp.rule or exp.id, (exp.scored, quotes_its_source(exp.clause)))
    scored = [verbatim for s, verbatim in rules.values() if s]
    used = {r for i in scenario.injects for r in i.to} | {
        e.role for e in compiled.expectations.values()
    }
    branches = [i for i in scenario.injects if i.when or (i.after and i.after.expectation)]
    return {
        "id": entry.id,
        "injects": len(scenario.injects),
        "branches": len(branches),
        "roles": f"{len(used)}/{len(compiled.plan.roles)}",
        "scored_rules": len(scored),
        "unscored_rules": len(rules) - len(scored),
        "verbatim_share": round(sum(scored) / len(scored), 2) if scored else None,
        "prohibited": len(compiled.prohibited),
        "wall_minutes": round(scenario.duration / scenario.compression / 60),
    }
