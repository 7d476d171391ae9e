"""Review commands for safety managers and trainers: reports, notes, sign-off, the
improvement plan, history, trends, regrading, what-ifs and calibration."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drills.cli.common import (
    COUNT,
    DAY,
    DbTarget,
    config_path,
    db_option,
    lang_option,
    open_store,
    output_option,
    person_name,
    plain_text,
    profile_option,
    writable_file,
    write_bytes,
    write_output,
)
from drills.port.text import json_escaped
from drills.store.kinds import PURPOSES, STATUSES

if TYPE_CHECKING:
    from scoring.profile import ScoringProfile
    from scoring.report import Filing


def plain_texts(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> tuple[str, ...]:
    """Several names as typed (``plain_text`` for each); blank ones are left out."""
    return tuple(str(plain_text(ctx, param, value)) for value in values if value and value.strip())


@click.command()
@click.argument("drill")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["term", "md", "html", "docx"]),
    default="term",
    show_default=True,
    help="docx: a Word document for filing (needs -o).",
)
@output_option("Write to this file instead of the terminal.", required=False)
@lang_option
@profile_option("Score with this scoring profile (YAML or JSON).")
@click.option(
    "--organisation",
    "--organization",
    "organisation",
    callback=plain_text,
    help="Organisation (组织单位) on the cover; default: organisation in the [report] "
    "table of config.toml.",
)
@click.option(
    "--location",
    callback=plain_text,
    help="Where the drill was held (地点); default: location in [report] of config.toml.",
)
@click.option(
    "--evaluator",
    "evaluators",
    multiple=True,
    callback=plain_texts,
    help="An evaluator (评估人员) on the cover; repeat for several. Given, they replace "
    "evaluators in [report] of config.toml.",
)
@db_option
def report(
    drill: str,
    fmt: str,
    output: Path | None,
    lang: str,
    profile_path: Path | None,
    organisation: str | None,
    location: str | None,
    evaluators: tuple[str, ...],
    db_path: DbTarget | None,
) -> None:
    """The after-action report (演练评估报告) of a drill: terminal, Markdown, HTML or Word.

    The cover names the organisation, the location and the evaluators: from the options,
    else from the [report] table of config.toml (organisation, location, evaluators)."""
    from drills.review.report import load_report
    from drills.review.reports import render, render_docx

    if fmt == "docx" and output is None:
        raise click.BadParameter("a Word document needs a file: add -o FILE.docx", param_hint="-o")
    filing = report_filing(organisation, location, evaluators)
    store = open_store(db_path)
    loaded = load_report(store, drill, load_profile(profile_path), filing)
    if fmt == "docx":
        assert output is not None
        write_bytes(output, render_docx(loaded.report, lang))
        click.echo(f"wrote {output}")
        return
    text = render(loaded.report, "html" if fmt == "html" else "md", lang)
    if output is not None:
        write_output(output, text)
        click.echo(f"wrote {output}")
    elif fmt == "term":
        from rich.console import Console
        from rich.markdown import Markdown

        Console().print(Markdown(text))
    else:
        click.echo(text)


REPORT_KEYS = ("organisation", "location", "evaluators")


def report_filing(
    organisation: str | None, location: str | None, evaluators: tuple[str, ...]
) -> Filing:
    """The report's cover block: the options, else the ``[report]`` table of the config
    file (``organisation``, ``location``: text; ``evaluators``: a list of names)."""
    from drills.port.text import unsafe_characters
    from scoring.report import Filing

    path = config_path()
    table: dict[str, Any] = {}
    if path.exists():
        import tomllib

        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise click.UsageError(f"cannot read {path}: {exc}") from None
        table = config.get("report", {})
        if not isinstance(table, dict):
            raise click.UsageError(f"{path}: report must be a table ([report])")
    unknown = sorted(set(table) - set(REPORT_KEYS))
    if unknown:
        raise click.UsageError(
            f"{path}: [report] has no {', '.join(unknown)} (keys: {', '.join(REPORT_KEYS)})"
        )
    names = table.get("evaluators", [])
    if isinstance(names, str):
        names = [names]
    if not isinstance(names, list):
        raise click.UsageError(f"{path}: [report] evaluators must be a list of names")
    for key, value in (
        ("organisation", table.get("organisation", "")),
        ("location", table.get("location", "")),
        *(("evaluators", name) for name in names),
    ):
        if not isinstance(value, str) or unsafe_characters(value):
            raise click.UsageError(
                f"{path}: [report] {key} must be text without control characters"
            )
    return Filing(
        organisation=(organisation or str(table.get("organisation", ""))).strip(),
        location=(location or str(table.get("location", ""))).strip(),
        evaluators=list(evaluators) or [str(n).strip() for n in names if str(n).strip()],
    )


def _needs_text(value: str, param: str, message: str) -> None:
    if not value.strip():
        raise click.BadParameter(message, param_hint=param)


def load_profile(path: Path | None) -> ScoringProfile:
    """The default profile, or one read from a YAML/JSON file (with positioned errors)."""
    from engine.loader import read_document, validate_model
    from scoring.profile import DEFAULT_PROFILE, ScoringProfile

    if path is None:
        return DEFAULT_PROFILE
    return validate_model(read_document(path), ScoringProfile)


@click.command()
@click.argument("drill")
@click.argument("text", callback=plain_text)
@click.option("--author", required=True, callback=person_name, help="Who says it.")
@click.option(
    "--self",
    "self_assessment",
    is_flag=True,
    help="A participant's self-assessment (default: a hot-wash note).",
)
@click.option(
    "--role",
    help="The author's role: a role id of the drill's plan (refused otherwise, with the "
    "plan's roles).",
)
@db_option
def note(
    drill: str,
    text: str,
    author: str,
    self_assessment: bool,
    role: str | None,
    db_path: DbTarget | None,
) -> None:
    """Record a hot-wash note or a participant's self-assessment on a drill.

    After the drill's first signature a note is an amendment: the report lists it under
    "Amendments after signature" (签字后修订) and leaves the signed hot wash as it was."""
    from drills.store.database import RecordRefused
    from drills.store.notes import add_note

    _needs_text(text, "TEXT", "a note needs some text")
    _needs_text(author, "--author", "give the author's name")
    store = open_store(db_path)
    try:
        added = add_note(store, drill, "self" if self_assessment else "hotwash", author, text, role)
    except RecordRefused as exc:
        raise click.BadParameter(str(exc), param_hint="'--role'") from None
    amended = " (an amendment: the drill was already signed)" if added.amendment else ""
    click.echo(f"noted on drill {store.drill(drill).id}{amended}")


class Capacity(click.ParamType[str]):
    """In what capacity someone signs: a key of the label table's ``CAPACITIES``
    (``safety_manager``, also ``safety-manager`` or ``safety manager``) or its Chinese or
    English name. Nothing else: a signature must read the same in both languages."""

    name = "capacity"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from drills.port.labels import CAPACITIES

        text = " ".join(str(value).split())
        key = text.casefold().replace("-", "_").replace(" ", "_")
        if key in CAPACITIES:
            return key
        for known, (zh, en) in CAPACITIES.items():
            if text == zh or text.casefold() == en.casefold():
                return known
        choices = ", ".join(f"{k} ({zh})" for k, (zh, _en) in CAPACITIES.items())
        self.fail(f"{value!r} is not a capacity; one of: {choices}", param, ctx)


@click.command()
@click.argument("drill")
@click.option("--name", required=True, callback=person_name, help="Who signs.")
@click.option(
    "--capacity",
    required=True,
    type=Capacity(),
    help="In what capacity: evaluator (评估人员), safety_manager (安全管理人员), trainer "
    "(导调人员), director (总指挥) or observer (观察员); the key or the Chinese name. "
    "Free text is refused.",
)
@click.option("--comment", default="", callback=plain_text, help="Review comment.")
@lang_option
@db_option
def signoff(
    drill: str, name: str, capacity: str, comment: str, lang: str, db_path: DbTarget | None
) -> None:
    """Sign a drill's report: it stops being a draft (草稿).

    Signatures are added, never replaced: several people sign, each in a capacity, and
    the same person signs once per capacity (a second time is refused, exit 1). Only an
    ended drill that is not void can be signed. After the first signature, notes and
    improvement-plan edits are amendments, listed as such in the report."""
    from drills.port.labels import CAPACITIES, pick_lang
    from drills.store.database import RecordRefused
    from drills.store.notes import sign_off

    _needs_text(name, "--name", "a sign-off needs the signer's name")
    store = open_store(db_path)
    try:
        signed = sign_off(store, drill, name, capacity, comment)
    except RecordRefused as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{exc.about}'") from None
    click.echo(
        f"drill {store.drill(drill).id} signed by {signed.name} "
        f"({pick_lang(CAPACITIES[signed.capacity], lang)}) at {signed.at}"
    )


@click.command()
@click.argument("drill")
@click.argument("finding", required=False)
@click.option("--action", help="Corrective action.")
@click.option("--element", help="Capability element (规划/组织/装备/培训/演练).")
@click.option("--owner", help="Responsible person or unit.")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="Due date (YYYY-MM-DD).")
@click.option("--status", type=click.Choice(["open", "in-progress", "done"]))
@click.option("--json", "as_json", is_flag=True)
@db_option
def improve(
    drill: str,
    finding: str | None,
    action: str | None,
    element: str | None,
    owner: str | None,
    due: datetime | None,
    status: str | None,
    as_json: bool,
    db_path: DbTarget | None,
) -> None:
    """Show the improvement plan of a drill, or edit the row of one FINDING (F1, F2 ...)."""
    from drills.review.report import load_report
    from drills.store.database import StoreError
    from drills.store.notes import edit_improvement

    store = open_store(db_path)
    report_data = load_report(store, drill).report
    if finding is not None:
        if finding not in {f.id for f in report_data.findings}:
            known = ", ".join(f.id for f in report_data.findings) or "none"
            raise StoreError(f"no finding {finding!r} in drill {report_data.drill.id} ({known})")
        edited = edit_improvement(
            store,
            drill,
            finding,
            action=action,
            element=element,
            owner=owner,
            due=due.date().isoformat() if due is not None else None,
            status=status,
        )
        if edited.amendment and not as_json:
            click.echo(f"{finding}: an amendment (the drill was already signed)")
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


def _filters(**options: str | None) -> Any:
    from drills.store.history import Filters

    chosen: dict[str, Any] = {k: v for k, v in options.items() if v is not None}
    return Filters(**chosen)


def filter_options(func: Any) -> Any:
    for option in reversed(
        [
            click.option("--scenario", help="Scenario id."),
            click.option("--plan", help="Plan id."),
            click.option("--trainee", help="Participant name."),
            click.option("--role", help="Plan role id."),
            click.option("--since", type=DAY, help="From this date (YYYY-MM-DD)."),
            click.option("--until", type=DAY, help="Up to and including this date."),
            click.option("--rating", type=click.Choice(["P", "S", "M", "U"])),
            click.option("--purpose", type=click.Choice(PURPOSES), help="Drill purpose."),
            click.option("--site", help="Only drills played at this site."),
        ]
    ):
        func = option(func)
    return func


@click.command()
@filter_options
@click.option("--status", type=click.Choice(STATUSES), help="Only drills in this status.")
@click.option("--limit", type=COUNT, default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@lang_option
@db_option
def history(
    status: str | None,
    limit: int,
    as_json: bool,
    lang: str,
    db_path: DbTarget | None,
    **filters: str | None,
) -> None:
    """List drills, newest first, with filters: who played which role, score, rating and
    status. Only ended drills that started are rated; void drills keep their reason."""
    from drills.review.tables import history_table
    from drills.store.history import history as query

    store = open_store(db_path)
    rows = query(store, _filters(**filters), limit, status=status)
    if as_json:
        click.echo(json_escaped(json.dumps(rows, ensure_ascii=False)))
        return
    click.echo(history_table(rows, lang))


@click.command()
@click.option(
    "--by",
    type=click.Choice(["role", "trainee", "rule", "site"]),
    default="role",
    show_default=True,
)
@filter_options
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    callback=writable_file,
    help="Also write the table as CSV.",
)
@click.option("--with-bots", is_flag=True, help="Count roles bots played (left out by default).")
@click.option(
    "--with-tests", is_flag=True, help="Count drills whose purpose is test (left out by default)."
)
@click.option("--json", "as_json", is_flag=True)
@lang_option
@db_option
def trends(
    by: str,
    csv_path: Path | None,
    with_bots: bool,
    with_tests: bool,
    as_json: bool,
    lang: str,
    db_path: DbTarget | None,
    **filters: str | None,
) -> None:
    """Scores, on-time rate and latency across drills, per role, trainee, plan rule or
    site. Roles bots played and test drills are left out unless asked for."""
    import csv
    import io

    from drills.review.tables import trends_table
    from drills.store.history import trends as query

    store = open_store(db_path)
    chosen = _filters(**filters)
    chosen.with_bots, chosen.with_tests = with_bots, with_tests
    rows = query(store, by, chosen)
    fields = ["key", "drills", "mean", "first", "last", "on_time", "latency_ratio"]
    if csv_path is not None:
        table = io.StringIO(newline="")
        writer = csv.writer(table)
        writer.writerow([*fields, "series"])
        for row in rows:
            writer.writerow([getattr(row, f) for f in fields] + [" ".join(map(str, row.series))])
        write_output(csv_path, table.getvalue())
    if as_json:
        click.echo(json_escaped(json.dumps([vars(r) for r in rows], ensure_ascii=False)))
        return
    click.echo(trends_table(rows, by, lang))
    if csv_path is not None:
        click.echo(f"wrote {csv_path}")


@click.command()
@profile_option("The new scoring profile (YAML or JSON).")
@filter_options
@db_option
def regrade(
    profile_path: Path | None,
    db_path: DbTarget | None,
    **filters: str | None,
) -> None:
    """Recompute scores of ended drills from their journals under a scoring profile.

    Results under earlier profiles stay; every result names its profile version."""
    import time

    from drills.store.history import drill_ids, previous_results
    from drills.store.history import regrade as run_regrade

    profile = load_profile(profile_path)
    store = open_store(db_path)
    ids = drill_ids(store, _filters(**filters))
    start = time.perf_counter()
    before = previous_results(store, ids, profile.label)
    with click.progressbar(
        length=len(ids), label=f"regrading under {profile.label}", file=sys.stderr
    ) as bar:
        after = list(run_regrade(store, ids, profile, bar.update))
    seconds = time.perf_counter() - start
    rate = len(after) / seconds if seconds else 0.0
    click.echo(f"{'drill':<10} {'before':<34} {'after (' + profile.label + ')'}")
    for drill_id, score, rating in after:
        old = before.get(drill_id)
        was = f"{old[0]:5.1f} {old[1]}  ({old[2]})" if old else "—"
        click.echo(f"{drill_id:<10} {was:<34} {score:5.1f} {rating}")
    click.echo(
        f"regraded {len(after)} drill(s) under {profile.label} in {seconds:.2f}s ({rate:.0f}/s); "
        "earlier results are kept"
    )


@click.command()
@click.argument("drill")
@click.option(
    "--change",
    "changes",
    multiple=True,
    required=True,
    help='"add ROLE ACTION [k=v ...] @TIME", "remove N" or "move N @TIME".',
)
@click.option("--json", "as_json", is_flag=True)
@db_option
def whatif(drill: str, changes: tuple[str, ...], as_json: bool, db_path: DbTarget | None) -> None:
    """Replay a drill with decisions added, removed or moved, and show what would differ."""
    from drills.port.words import clock
    from drills.review.whatif import ChangeError, what_if

    store = open_store(db_path)
    try:
        result = what_if(store, drill, list(changes))
    except ChangeError as exc:  # the --change cannot be read or applied: invalid input
        raise click.BadParameter(str(exc), param_hint="--change") from None
    data = {
        "score": [result.before.score, result.after.score],
        "rating": [result.before.rating, result.after.rating],
        "credit_changes": [
            {"expectation": e, "before": a, "after": b, "status": [sa, sb]}
            for e, a, b, sa, sb in result.credit_changes
        ],
        "inject_changes": [
            {"inject": i, "before": a, "after": b} for i, a, b in result.inject_changes
        ],
    }
    if as_json:
        click.echo(json.dumps(data))
        return
    click.echo(
        f"score {result.before.score:.1f} {result.before.rating} -> "
        f"{result.after.score:.1f} {result.after.rating}"
    )
    for exp_id, a, b, sa, sb in result.credit_changes:
        click.echo(f"  {exp_id:<28} credit {a:.2f} -> {b:.2f}   ({sa} -> {sb})")
    for inject, fired_before, fired_after in result.inject_changes:
        before = "never" if fired_before is None else clock(fired_before)
        after = "never" if fired_after is None else clock(fired_after)
        click.echo(f"  inject {inject:<21} {before} -> {after}")


@click.command()
@click.argument("scenario")
@click.option("--runs", type=click.IntRange(1, 1_000_000), default=200, show_default=True)
@click.option(
    "--bot",
    type=click.Choice(["novice", "ideal", "idle", "rogue"]),
    default="novice",
    show_default=True,
)
@click.option("--plan", "plan_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def calibrate(scenario: str, runs: int, bot: str, plan_file: Path | None, as_json: bool) -> None:
    """Play RUNS seeded bot drills headless and show the score distribution."""
    from drills.cli.common import load_for_play
    from drills.library.calibrate import calibrate as run_calibration
    from drills.library.calibrate import histogram

    bundle = load_for_play(scenario, plan_file)
    result = run_calibration(bundle.compiled, runs, bot=bot)
    summary = result.summary()
    if as_json:
        click.echo(json.dumps(summary))
        return
    click.echo(f"{bundle.compiled.scenario.id}: {runs} {bot} drills in {result.seconds:.2f}s")
    for line in histogram(result.scores):
        click.echo(line)
    ratings = " ".join(f"{r} {n}" for r, n in summary["ratings"].items())  # type: ignore[attr-defined]
    click.echo(
        f"mean {summary['mean']}  median {summary['median']}  p10 {summary['p10']}  "
        f"p90 {summary['p90']}   {ratings}"
    )
    if result.prohibited:
        click.echo(
            "prohibited item                     severity  tried  caught         also caught"
        )
        for item in result.prohibited:
            click.echo(
                f"{item.id:<35} {item.severity:<9} {item.tried:>5}  {item.caught:>6} "
                f"{'(' + item.rate + ')':<13} {item.also or ''}"
            )
        click.echo(
            "tried: the bot chose the act while it was armed; also caught: other decisions "
            "in its shape at an armed moment (a right act at the wrong time)"
        )


@click.command()
@click.argument("drill")
@click.option("--reason", required=True, callback=plain_text, help="Why it does not count.")
@click.option("--by", "by", required=True, callback=person_name, help="Who voids it.")
@db_option
def void(drill: str, reason: str, by: str, db_path: DbTarget | None) -> None:
    """Void a drill (作废): it stays in the record with who, when and why, and leaves
    ratings and trends. For aborted practice runs and drills played by mistake."""
    _needs_text(reason, "--reason", "give the reason for voiding")
    _needs_text(by, "--by", "give your name")
    store = open_store(db_path)
    record = store.void_drill(drill, reason, by)
    click.echo(f"drill {record.id} voided by {record.voided_by} at {record.voided}")


COMMANDS = [void, report, note, signoff, improve, history, trends, regrade, whatif, calibrate]
