"""``drillhall msel``: the controller's script (演练脚本 / MSEL) as a spreadsheet.

``export`` writes a scenario as xlsx or csv; ``import`` reads such a sheet back into a
scenario file that validates, or prints ``FILE:Sheet!C12: what is wrong`` and exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from drills.cli.common import EXIT_INVALID, output_option


def _refuse(lines: list[str]) -> NoReturn:
    for line in lines:
        click.echo(line, err=True)
    sys.exit(EXIT_INVALID)


def _check_target(output: Path, force: bool) -> None:
    """Never overwrite a file the user did not ask to overwrite."""
    if output.exists() and not force:
        _refuse([f"drillhall: {output} exists; use --force to overwrite it"])
    if output.is_dir():
        _refuse([f"drillhall: {output} is a directory"])


@click.group()
def msel() -> None:
    """The controller's script (演练脚本 / MSEL) as a spreadsheet, out and back in."""


@msel.command("export")
@click.argument("scenario")
@output_option("The sheet to write: FILE.xlsx (three sheets, drop-downs) or FILE.csv.")
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def export_command(scenario: str, output: Path, plan_file: Path | None, force: bool) -> None:
    """Write SCENARIO (a file or an installed id) as the controller's script."""
    from drills.cli.common import load_for_play
    from drills.library.msel import SheetError, export_msel, sheet_format

    try:
        sheet_format(output, writing=True)
    except SheetError as exc:
        _refuse([str(p) for p in exc.problems])
    _check_target(output, force)
    compiled = load_for_play(scenario, plan_file).compiled
    try:
        export_msel(compiled, output)
    except SheetError as exc:
        _refuse([str(p) for p in exc.problems])
    click.echo(
        f"wrote {output} ({len(compiled.scenario.injects)} injects of {compiled.scenario.id}; "
        f"import it back with: drillhall msel import {output} --plan {compiled.plan.id} "
        "-o SCENARIO.yaml)"
    )


@msel.command("import")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--plan",
    "plan_ref",
    help="The plan (a file or an installed id); default: the plan the sheet names.",
)
@output_option("The scenario file to write (YAML).")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def import_command(source: Path, plan_ref: str | None, output: Path, force: bool) -> None:
    """Read a controller's script (xlsx or csv) into a scenario file that validates."""
    from drills.library.msel import SheetError, import_msel, plan_finder, write_atomically

    _check_target(output, force)
    try:
        imported = import_msel(
            source, plan_finder(plan_ref, output, source), default_id=output.stem
        )
    except SheetError as exc:
        _refuse([str(p) for p in exc.problems])
    for warning in imported.warnings:
        click.echo(str(warning), err=True)
    write_atomically(output, imported.text.encode("utf-8"))
    scenario = imported.scenario
    click.echo(
        f"wrote {output} (scenario {scenario.id}: {len(scenario.injects)} injects, plan "
        f"{scenario.plan}; it validates). Try it: drillhall run {output} --bot ideal"
    )


COMMANDS = [msel]
