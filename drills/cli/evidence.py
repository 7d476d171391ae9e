"""Evidence packs: ``export`` one drill into an archive, ``verify`` an archive, ``import``
one into a database (see drills/review/evidence for what a pack holds)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from drills.cli.common import (
    EXIT_INVALID,
    DatabaseTarget,
    DbTarget,
    EnvironmentProblem,
    db_option,
    lang_option,
    one_line,
    open_store,
    output_option,
    profile_option,
    write_bytes,
)
from drills.cli.review import load_profile

if TYPE_CHECKING:
    from drills.review.evidence import Verification

PACK = click.Path(exists=True, dir_okay=False, path_type=Path)


def inert(text: str) -> str:
    """A line about a hostile file, shown inert: its member names, keys and values may
    hold control characters, which are made visible, and newlines, which are escaped."""
    from drills.port.text import printable

    return printable(text.replace("\n", "\\n").replace("\t", "\\t"))


@click.command()
@click.argument("drill")
@output_option("The pack to write (a zip; suggested suffix .drillpack).")
@lang_option
@profile_option("Pack this scoring profile (YAML or JSON) instead of the default.")
@db_option
def export(
    drill: str, output: Path, lang: str, profile_path: Path | None, db_path: DbTarget | None
) -> None:
    """Write DRILL's evidence pack: journal with a hash chain, scenario and plan, scoring
    profile, records (roster, notes, signatures, improvement plan, scores) and the report
    in HTML and Word, with a manifest of sha256 sums."""
    from drills.review.evidence import build_pack

    profile = load_profile(profile_path)
    store = open_store(db_path)
    built = build_pack(store, drill, profile, lang)
    write_bytes(output, built.data)
    for name, reason in built.manifest["omitted"].items():
        click.echo(f"drillhall: warning: {name} is left out of the pack: {reason}", err=True)
    chain = built.manifest["chain"]
    standing = built.manifest["standing"]
    status = standing["status"] + ("" if standing["rated"] else ", not rated")
    click.echo(
        f"wrote {output}: drill {built.manifest['drill']} ({status}), {chain['inputs']} "
        f"inputs, {chain['events']} events, {len(built.data):,} bytes; chain head "
        f"{chain['head']} (covers the journal and the record as of now: write it on the "
        "signed report)"
    )


def _verified(path: Path) -> Verification:
    """Every check on the pack; a file that is not a pack at all is one line, exit 1."""
    from drills.review.evidence import PackError, verify_pack

    try:
        return verify_pack(path)
    except PackError as exc:
        click.echo(inert(f"drillhall: not an evidence pack: {one_line(exc)} ({path})"), err=True)
        raise click.exceptions.Exit(EXIT_INVALID) from None
    except OSError as exc:
        raise EnvironmentProblem(
            f"cannot read {path.name}: {(exc.strerror or str(exc)).lower()} ({path})"
        ) from None


@click.command()
@click.argument("pack", type=PACK)
def verify(pack: Path) -> None:
    """Check an evidence pack: file sums, the hash chain over the journal and the record,
    the journal replayed through the engine, the score rescored, the record's rules and
    the report copy. Exit 1 naming the first position that fails."""
    result = _verified(pack)
    for check in result.checks:
        click.echo(inert(check.line()))
    if not result.ok:
        failed = result.failures()
        click.echo(f"NOT verified: {len(failed)} of {len(result.checks)} checks failed")
        raise click.exceptions.Exit(EXIT_INVALID)
    assert result.pack is not None
    click.echo(
        f"verified: drill {result.pack.id}, chain head {result.pack.manifest['chain']['head']}"
    )


@click.command("import")
@click.argument("pack", type=PACK)
@db_option
def import_(pack: Path, db_path: DbTarget | None) -> None:
    """Load an evidence pack into the database after verifying it. The drill keeps its
    id and is scored from its journal here (a pack's scores are never imported).
    Importing it again changes nothing; a later pack of a drill already here adds what
    the record gained (the voiding, signatures, notes, improvement edits); an older pack
    (the database holds more) or a drill here with other content is refused, never
    overwritten."""
    from drills.review.evidence.verify import not_rated
    from drills.store.packs import PackConflict, import_drill

    result = _verified(pack)
    if not result.ok or result.pack is None:
        for check in result.failures():
            click.echo(inert(check.line()), err=True)
        click.echo(f"drillhall: not imported: the pack does not verify ({pack})", err=True)
        raise click.exceptions.Exit(EXIT_INVALID)
    store = open_store(db_path, create=True)
    try:
        done = import_drill(store, result.pack.rows())
    except PackConflict as exc:
        click.echo(inert(f"drillhall: {one_line(exc)}"), err=True)
        raise click.exceptions.Exit(EXIT_INVALID) from None
    drill = result.pack.id
    if done.outcome == "unchanged":
        click.echo(f"drill {drill}: already present, unchanged ({store.where})")
        return
    if done.outcome == "extended":
        click.echo(inert(f"drill {drill}: added {', '.join(done.added)} ({store.where})"))
        return
    tables = result.pack.tables
    if done.score is not None:
        score, rating, profile = done.score
        scored = (
            f"scored {score} {rating} under {profile} from its journal (a pack's scores are "
            "never imported)"
        )
    else:
        assert done.standing is not None
        scored = f"not rated ({not_rated(done.standing, result.pack.drill)})"
    click.echo(
        inert(
            f"imported drill {drill} ({len(result.pack.inputs)} inputs, "
            f"{len(result.pack.events)} events, {len(tables['notes'])} notes, "
            f"{len(tables['signatures'])} signatures) into {store.where}; {scored}"
        )
    )


@click.command()
@click.option(
    "--to",
    "central",
    required=True,
    type=DatabaseTarget(),
    help="The central record: a postgresql:// URL (or another SQLite file).",
)
@db_option
def push(central: DbTarget, db_path: DbTarget | None) -> None:
    """Send this site's finished drills to the central record, one drill per transaction.

    Idempotent and resumable: a drill the centre already has unchanged is skipped, a
    later signature or a voiding is added, a push cut off halfway and repeated sends the
    rest. Each drill's journal must replay to its events, as `verify` checks a pack;
    the centre rescores it from its journal. Exit 1 if any drill was refused (its journal
    does not replay, its record breaks the rules, or the centre holds other content under
    its id); the others are sent."""
    from drills.review.evidence.verify import journal_problem
    from drills.store.push import push as send

    if isinstance(central, Path) and not central.parent.is_dir():  # a typo, not a new tree
        raise EnvironmentProblem(f"cannot write {central.name}: no such folder ({central.parent})")
    site = open_store(db_path)
    centre = open_store(central, create=True)
    if site.target == centre.target:
        raise click.BadParameter("the central record is this database", param_hint="--to")
    counts: dict[str, int] = {}
    for pushed in send(site, centre, check=journal_problem):
        counts[pushed.outcome] = counts.get(pushed.outcome, 0) + 1
        if pushed.outcome == "refused":
            click.echo(inert(f"drillhall: {one_line(pushed.reason)}"), err=True)
    said = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counts.items())) or "nothing"
    click.echo(f"pushed {sum(counts.values())} finished drill(s) to {centre.where}: {said}")
    if counts.get("refused"):
        raise click.exceptions.Exit(EXIT_INVALID)


COMMANDS = [export, verify, import_, push]
