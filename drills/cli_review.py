"""Review commands for safety managers and trainers: reports, notes, sign-off, the
improvement plan, history, trends, regrading, what-ifs and calibration."""

from __future__ import annotations

import json
from pathlib import Path

import click

from drills.cli_common import LANGS, db_option, open_store


@click.command()
@click.argument("drill")
@click.option(
    "--format", "fmt", type=click.Choice(["term", "md", "html"]), default="term", show_default=True
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of the terminal.",
)
@click.option("--lang", type=LANGS, default="zh", show_default=True)
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Score with this scoring profile (YAML or JSON).",
)
@db_option
def report(
    drill: str,
    fmt: str,
    output: Path | None,
    lang: str,
    profile_path: Path | None,
    db_path: Path | None,
) -> None:
    """The after-action report (演练评估报告) of a drill: terminal, Markdown or HTML."""
    from drills.reports import render
    from drills.review import load_report

    store = open_store(db_path)
    loaded = load_report(store, drill, load_profile(profile_path))
    text = render(loaded.report, "html" if fmt == "html" else "md", lang)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")
    elif fmt == "term":
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        click.echo(text)


def load_profile(path: Path | None):
    """The default profile, or one read from a YAML/JSON file (with positioned errors)."""
    from engine.loader import read_document, validate_model
    from scoring.profile import DEFAULT_PROFILE, ScoringProfile

    if path is None:
        return DEFAULT_PROFILE
    return validate_model(read_document(path), ScoringProfile)


@click.command()
@click.argument("drill")
@click.argument("text")
@click.option("--author", required=True, help="Who says it.")
@click.option(
    "--self",
    "self_assessment",
    is_flag=True,
    help="A participant's self-assessment (default: a hot-wash note).",
)
@click.option("--role", help="The participant's role, for a self-assessment.")
@db_option
def note(
    drill: str,
    text: str,
    author: str,
    self_assessment: bool,
    role: str | None,
    db_path: Path | None,
) -> None:
    """Record a hot-wash note or a participant's self-assessment on a drill."""
    from drills.review import add_note

    store = open_store(db_path)
    add_note(store, drill, "self" if self_assessment else "hotwash", author, text, role)
    click.echo(f"noted on drill {store.drill(drill).id}")


@click.command()
@click.argument("drill")
@click.option("--name", required=True, help="The safety manager signing.")
@click.option("--comment", default="", help="Review comment.")
@db_option
def signoff(drill: str, name: str, comment: str, db_path: Path | None) -> None:
    """Sign off a drill's report: it stops being a draft (草稿)."""
    from drills.review import sign_off

    store = open_store(db_path)
    signed = sign_off(store, drill, name, comment)
    click.echo(f"drill {store.drill(drill).id} signed off by {signed.name} at {signed.at}")


@click.command()
@click.argument("drill")
@click.argument("finding", required=False)
@click.option("--action", help="Corrective action.")
@click.option("--element", help="Capability element (规划/组织/装备/培训/演练).")
@click.option("--owner", help="Responsible person or unit.")
@click.option("--due", help="Due date (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(["open", "in-progress", "done"]))
@click.option("--json", "as_json", is_flag=True)
@db_option
def improve(
    drill: str,
    finding: str | None,
    action: str | None,
    element: str | None,
    owner: str | None,
    due: str | None,
    status: str | None,
    as_json: bool,
    db_path: Path | None,
) -> None:
    """Show the improvement plan of a drill, or edit the row of one FINDING (F1, F2 ...)."""
    from datetime import date

    from drills.review import edit_improvement, load_report
    from drills.store import StoreError

    store = open_store(db_path)
    report_data = load_report(store, drill).report
    if finding is not None:
        if finding not in {f.id for f in report_data.findings}:
            known = ", ".join(f.id for f in report_data.findings) or "none"
            raise StoreError(f"no finding {finding!r} in drill {report_data.drill.id} ({known})")
        if due is not None:
            try:
                date.fromisoformat(due)
            except ValueError:
                raise click.BadParameter(f"{due!r} is not a date (YYYY-MM-DD)") from None
        edit_improvement(
            store,
            drill,
            finding,
            action=action,
            element=element,
            owner=owner,
            due=due,
            status=status,
        )
        report_data = load_report(store, drill).report
    rows = [vars(item) for item in report_data.improvement_plan]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    for row in rows:
        click.echo(
            f"{row['finding']:>4}  {row['due']}  {row['status']:<11} {row['owner']}: "
            f"{row['action']}"
        )
    if not rows:
        click.echo("no findings: nothing to improve")


COMMANDS = [report, note, signoff, improve]
