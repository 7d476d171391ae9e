"""Library commands: list, validate, scaffold and the JSON Schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from drills.cli.common import EnvironmentProblem, lang_option, write_output
from drills.port.text import printable


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--stats", is_flag=True, help="Injects, branches, roles, scored rules per scenario.")
@lang_option
def scenarios(as_json: bool, stats: bool, lang: str) -> None:
    """List the installed scenarios."""
    from drills.library.catalog import installed
    from engine.fields import format_duration

    entries = installed()
    if stats:
        from drills.library.catalog import scenario_stats

        rows = [scenario_stats(e) for e in entries]
        if as_json:
            click.echo(json.dumps(rows))
            return
        head = (
            "id",
            "injects",
            "branches",
            "roles",
            "scored_rules",
            "unscored_rules",
            "verbatim_share",
            "prohibited",
            "wall_minutes",
        )
        widths = [max(len(h), *(len(str(r[h])) for r in rows)) for h in head]
        click.echo("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        for row in rows:
            click.echo("  ".join(str(row[h]).ljust(w) for h, w in zip(head, widths, strict=True)))
        return
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": e.id,
                        "family": e.family,
                        "plan": e.plan,
                        "title": {"zh": e.title_zh, "en": e.title_en},
                        "injects": e.injects,
                        "duration": e.duration,
                        "path": str(e.path),
                    }
                    for e in entries
                ],
                ensure_ascii=False,
            )
        )
        return
    if not entries:
        click.echo("no scenarios installed")
        return
    width = max(len(e.id) for e in entries)
    for e in entries:
        title = e.title_zh if lang == "zh" else e.title_en
        click.echo(
            f"{e.id:<{width}}  {e.family:<9} {e.injects:>3} injects  "
            f"{format_duration(e.duration):>6}  {title}"
        )


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--plan",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check scenarios against this plan file.",
)
def validate(paths: tuple[Path, ...], strict: bool, plan: Path | None) -> None:
    """Check plan and scenario files: schema first, then cross-references."""
    from drills.library.validate import validate_paths

    diagnostics, summaries = validate_paths(list(paths), plan)
    for line in summaries:
        click.echo(line)
    for diagnostic in diagnostics:
        click.echo(printable(str(diagnostic)), err=True)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    checked = len({p.resolve() for p in paths})
    click.echo(f"{checked} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        sys.exit(1)


@click.command()
@click.option("--check", is_flag=True, help="Exit 1 if the shipped schema files are out of date.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write plan.schema.json and scenario.schema.json to.",
)
def schema(check: bool, out: Path | None) -> None:
    """Write (or check) the JSON Schemas that editors use to autocomplete files."""
    from drills.library.catalog import library_dir
    from engine.schema import schema_files

    folder = out or library_dir()
    stale = []
    for name, text in schema_files().items():
        target = folder / name
        try:
            current = target.read_text(encoding="utf-8") if target.exists() else None
        except (OSError, UnicodeDecodeError):
            current = None  # unreadable: written anew (or reported stale)
        if current == text:
            continue
        stale.append(name)
        if not check:
            write_output(target, text)
            click.echo(f"wrote {target}")
    if check and stale:
        click.echo(f"out of date: {', '.join(stale)}; run: drillhall schema", err=True)
        sys.exit(1)
    if not stale:
        click.echo("schemas are up to date")


@click.command()
@click.argument("kind", type=click.Choice(["plan", "scenario"]))
@click.argument("name")
@click.option(
    "--plan", "plan_ref", help="For a scenario: the plan it plays (installed id or file)."
)
@click.option(
    "--family",
    type=click.Choice(["flood", "cyber", "complaint", "other"]),
    default="other",
    show_default=True,
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="File to write (default: NAME.yaml here).",
)
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def new(
    kind: str, name: str, plan_ref: str | None, family: str, output: Path | None, force: bool
) -> None:
    """Write a commented starting plan or scenario that validates."""
    import os

    from drills.library import scaffold
    from drills.library.catalog import library_dir
    from drills.library.validate import validate_paths
    from engine.loader import load_plan

    target = output or Path(f"{name}.yaml")
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; use --force to overwrite it")
    schema_file = "plan.schema.json" if kind == "plan" else "scenario.schema.json"
    schema = os.path.relpath(library_dir() / schema_file, target.resolve().parent)
    if schema.startswith("../../.."):  # far away: an absolute path reads better
        schema = str(library_dir() / schema_file)
    plan_path: Path | None = None
    try:
        if kind == "plan":
            text = scaffold.plan_text(name, str(target), schema)
        else:
            if not plan_ref:
                raise click.UsageError("a scenario plays a plan: pass --plan ID or --plan FILE")
            plan_path = Path(plan_ref)
            if not plan_path.exists():
                plan_path = library_dir() / "plans" / f"{plan_ref}.yaml"
            text = scaffold.scenario_text(
                name, load_plan(plan_path), str(target), family=family, schema=schema
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot make the folder for {target.name}: {(exc.strerror or str(exc)).lower()} "
            f"({target.parent})"
        ) from exc
    write_output(target, text)
    diagnostics, _ = validate_paths([target], plan_path)
    for diagnostic in diagnostics:
        click.echo(printable(str(diagnostic)), err=True)
    if any(d.severity == "error" for d in diagnostics):
        sys.exit(1)
    check = f"drillhall validate {target}" + (f" --plan {plan_path}" if plan_path else "")
    click.echo(f"wrote {target} (it validates; edit it, then run: {check})")


@click.command()
@click.argument("scenario")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def swaps(scenario: str, plan_file: Path | None, as_json: bool) -> None:
    """The swap table: each expectation's ideal decision swapped for nothing, for each
    prohibited variant and each wrong-parameter variant. Exit 1 on any violation."""
    from dataclasses import asdict

    from drills.cli.common import load_for_play
    from drills.library.swaps import render, swap_table

    table = swap_table(load_for_play(scenario, plan_file).compiled)
    if as_json:
        data = asdict(table)
        data["ideal"]["fired"] = sorted(data["ideal"]["fired"])
        data["violations"] = table.violations
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        for line in render(table):
            click.echo(line)
    if table.violations:
        sys.exit(1)


COMMANDS = [scenarios, validate, schema, new, swaps]
