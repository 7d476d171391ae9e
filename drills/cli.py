"""The ``drillhall`` command line.

Bad input never produces a traceback: broken files print ``file:line:col: field: message``
and exit 1; database problems print what went wrong and exit 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from drills.catalog import find_plan, installed, resolve_scenario, scenario_plan_id
from drills.paths import default_db_path
from drills.store import Store, StoreError
from engine.loader import Diagnostic, LoadError

LANGS = click.Choice(["zh", "en"])


class DrillhallGroup(click.Group):
    """Turns the expected failures into messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LoadError as exc:
            for diagnostic in exc.diagnostics:
                click.echo(str(diagnostic), err=True)
            ctx.exit(1)
        except StoreError as exc:
            click.echo(f"drillhall: {exc}", err=True)
            ctx.exit(2)


def _db_option(func: Any) -> Any:
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="SQLite database (default: the user data directory, or $DRILLHALL_DB).",
    )(func)


def open_store(db_path: Path | None) -> Store:
    return Store(db_path or default_db_path())


def load_for_play(scenario: str, plan: Path | None) -> Any:
    from engine.bundle import load_bundle

    path = resolve_scenario(scenario)
    plan_path = plan or find_plan(path, scenario_plan_id(path))
    return load_bundle(path, plan_path)


@click.group(cls=DrillhallGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="drillhall")
def main() -> None:
    """Drillhall: tabletop drills for emergency plans (应急预案演练)."""


@main.command()
@click.argument("scenario")
@click.option(
    "--bot",
    type=click.Choice(["ideal", "novice", "idle"]),
    default="novice",
    show_default=True,
    help="Policy that plays every role.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed for bots and jitter.")
@click.option(
    "--mode", type=click.Choice(["training", "exam"]), default="training", show_default=True
)
@click.option(
    "--speed",
    type=float,
    default=0.0,
    help="Play in real time at this compression (scenario s per wall s); 0 = as fast as possible.",
)
@click.option(
    "--plan",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Plan file (default: found by the scenario's plan id).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--follow", is_flag=True, help="Print the timeline as it happens.")
@click.option("--lang", type=LANGS, default="en", show_default=True)
@_db_option
def run(
    scenario: str,
    bot: str,
    seed: int,
    mode: str,
    speed: float,
    plan: Path | None,
    as_json: bool,
    follow: bool,
    lang: str,
    db_path: Path | None,
) -> None:
    """Play SCENARIO headless with bots in every role, journal it, and score it."""
    from drills.session import DrillSession

    bundle = load_for_play(scenario, plan)
    for warning in bundle.warnings:
        click.echo(str(warning), err=True)
    store = open_store(db_path)
    bots = {role.id: bot for role in bundle.compiled.plan.roles}
    session = DrillSession.create(
        store, bundle, seed=seed, mode=mode, bots=bots, speed=speed, durable_inputs=speed > 0
    )
    if not as_json and speed > 0:
        click.echo(
            f"drill {session.drill_id} running at {speed:g}x; "
            f"resume with: drillhall resume {session.drill_id}",
            err=True,
        )
    if follow:
        _follow(session, lang)
    outcome = session.run_paced(speed) if speed > 0 else session.run_headless()
    _print_outcome(outcome, session, store, as_json, lang)


def _follow(session: Any, lang: str) -> None:
    """Echo each event as a timeline line while the drill plays."""
    from drills.summary import describe_event

    def show(event: Any) -> None:
        line = describe_event(event, session.compiled, lang)
        if line:
            click.echo(line)

    for event in session.engine.events:
        show(event)
    session.engine.listeners.append(show)


def _print_outcome(outcome: Any, session: Any, store: Store, as_json: bool, lang: str) -> None:
    from drills.summary import render_summary

    if as_json:
        click.echo(
            json.dumps(
                {
                    "drill_id": outcome.drill_id,
                    "scenario": session.compiled.scenario.id,
                    "seed": session.seed,
                    "score": outcome.score.score,
                    "rating": outcome.score.rating,
                    "expectations": outcome.score.counts(),
                    "events": outcome.events,
                },
                ensure_ascii=False,
            )
        )
        return
    click.echo(
        render_summary(
            outcome.drill_id,
            session.compiled,
            outcome.score,
            events=outcome.events,
            seed=session.seed,
            mode=session.mode,
            bots=session.bots,
            db_path=str(store.path),
            lang=lang,
        )
    )


@main.command()
@click.argument("drill")
@click.option(
    "--speed",
    type=float,
    default=0.0,
    help="Continue in real time at this compression; 0 = as fast as possible.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--follow", is_flag=True, help="Print the timeline as it happens.")
@click.option("--lang", type=LANGS, default="en", show_default=True)
@_db_option
def resume(
    drill: str, speed: float, as_json: bool, follow: bool, lang: str, db_path: Path | None
) -> None:
    """Resume a drill that was interrupted (killed, power loss) from its journal."""
    from drills.session import DrillSession

    store = open_store(db_path)
    session = DrillSession.resume(store, drill)
    if not as_json:
        click.echo(
            f"drill {session.drill_id} resumed at scenario time {session.engine.now}s "
            f"({len(store.inputs(session.drill_id))} journaled inputs replayed)",
            err=True,
        )
    if follow:
        _follow(session, lang)
    outcome = session.run_paced(speed) if speed > 0 else session.run_headless()
    _print_outcome(outcome, session, store, as_json, lang)


@main.command()
@click.argument("drill")
@click.option("--json", "as_json", is_flag=True)
@_db_option
def replay(drill: str, as_json: bool, db_path: Path | None) -> None:
    """Replay a drill's journal and check it reproduces the stored events and score."""
    from drills.session import replay_journal
    from engine.events import canonical_json
    from scoring.score import score_drill

    store = open_store(db_path)
    record = store.drill(drill)
    stored = store.events(record.id)
    bundle, replayed = replay_journal(store, record.id)
    identical = [e.to_json() for e in stored] == [e.to_json() for e in replayed]
    stored_score = score_drill(bundle.compiled, stored)
    replay_score = score_drill(bundle.compiled, replayed)
    same_score = canonical_json(stored_score.to_dict()) == canonical_json(replay_score.to_dict())
    result = {
        "drill_id": record.id,
        "events": len(stored),
        "replayed_events": len(replayed),
        "identical": identical,
        "score": stored_score.score,
        "replay_score": replay_score.score,
        "same_score": same_score,
    }
    if as_json:
        click.echo(json.dumps(result))
    else:
        verdict = "identical" if identical else "DIFFERENT"
        click.echo(
            f"drill {record.id}: {len(stored)} stored events, {len(replayed)} replayed: "
            f"{verdict}; score {stored_score.score} / replay {replay_score.score}"
        )
    if not (identical and same_score):
        sys.exit(1)


@main.command()
@click.argument("drill")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=LANGS, default="en", show_default=True)
@_db_option
def score(drill: str, as_json: bool, lang: str, db_path: Path | None) -> None:
    """Score a drill from its journal."""
    from drills.summary import render_summary
    from engine.bundle import bundle_from_texts
    from scoring.score import score_drill

    store = open_store(db_path)
    record = store.drill(drill)
    bundle = bundle_from_texts(record.scenario_text, record.plan_text, record.scenario_path)
    events = store.events(record.id)
    result = score_drill(bundle.compiled, events)
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    click.echo(
        render_summary(
            record.id,
            bundle.compiled,
            result,
            events=len(events),
            seed=record.seed,
            mode=record.mode,
            bots=record.bots,
            db_path=str(store.path),
            lang=lang,
        )
    )


@main.command()
@click.argument("drill")
@_db_option
def journal(drill: str, db_path: Path | None) -> None:
    """Print a drill's journaled events, one JSON object per line."""
    store = open_store(db_path)
    record = store.drill(drill)
    for event in store.iter_events(record.id):
        click.echo(event.to_json())


@main.command()
@click.option("--json", "as_json", is_flag=True)
@click.option("--stats", is_flag=True, help="Injects, branches, roles, scored rules per scenario.")
@click.option("--lang", type=LANGS, default="en", show_default=True)
def scenarios(as_json: bool, stats: bool, lang: str) -> None:
    """List the installed scenarios."""
    from engine.fields import format_duration

    entries = installed()
    if stats:
        from drills.catalog import scenario_stats

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


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--plan",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check scenarios against this plan file.",
)
def validate(paths: tuple[Path, ...], strict: bool, plan: Path | None) -> None:
    """Check plan and scenario files: schema first, then cross-references."""
    from drills.validate import validate_paths

    diagnostics, summaries = validate_paths(list(paths), plan)
    for line in summaries:
        click.echo(line)
    for diagnostic in diagnostics:
        click.echo(str(diagnostic), err=True)
    errors = sum(d.severity == "error" for d in diagnostics)
    warnings = len(diagnostics) - errors
    checked = len({p.resolve() for p in paths})
    click.echo(f"{checked} file(s) checked: {errors} error(s), {warnings} warning(s)")
    if errors or (strict and warnings):
        sys.exit(1)


@main.command()
@click.option("--check", is_flag=True, help="Exit 1 if the shipped schema files are out of date.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write plan.schema.json and scenario.schema.json to.",
)
def schema(check: bool, out: Path | None) -> None:
    """Write (or check) the JSON Schemas that editors use to autocomplete files."""
    from drills.catalog import library_dir
    from engine.schema import schema_files

    folder = out or library_dir()
    stale = []
    for name, text in schema_files().items():
        target = folder / name
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(name)
        if not check:
            target.write_text(text, encoding="utf-8")
            click.echo(f"wrote {target}")
    if check and stale:
        click.echo(f"out of date: {', '.join(stale)}; run: drillhall schema", err=True)
        sys.exit(1)
    if not stale:
        click.echo("schemas are up to date")


@main.command()
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

    from drills import scaffold
    from drills.catalog import library_dir
    from drills.validate import validate_paths
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
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    diagnostics, _ = validate_paths([target], plan_path)
    for diagnostic in diagnostics:
        click.echo(str(diagnostic), err=True)
    if any(d.severity == "error" for d in diagnostics):
        sys.exit(1)
    check = f"drillhall validate {target}" + (f" --plan {plan_path}" if plan_path else "")
    click.echo(f"wrote {target} (it validates; edit it, then run: {check})")


def report_diagnostics(items: list[Diagnostic]) -> None:
    for item in items:
        click.echo(str(item), err=True)
