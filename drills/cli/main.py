"""The ``drillhall`` command line.

Bad input never produces a traceback: broken files print ``file:line:col: field: message``
and bad options one line, exit 1; database and environment problems print
``drillhall: <what failed> (<path>)`` and exit 2; a hosted drill's refusal exits 3.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drills.cli.common import (
    EXIT_CODES_HELP,
    SEED,
    SPEED_OR_ZERO,
    DbTarget,
    DrillhallGroup,
    db_option,
    lang_option,
    load_for_play,
    log_option,
    logged_failures,
    open_store,
    purpose_option,
    setup_logging,
)

if TYPE_CHECKING:
    from drills.store.database import Store


@click.group(
    cls=DrillhallGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(package_name="drillhall")
def main() -> None:
    """Drillhall: tabletop drills for emergency plans (应急预案演练)."""


@main.command()
@click.argument("scenario")
@click.option(
    "--bot",
    type=click.Choice(["ideal", "novice", "idle", "rogue"]),
    default="novice",
    show_default=True,
    help="Policy that plays every role.",
)
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed for bots and jitter.")
@click.option(
    "--mode", type=click.Choice(["training", "exam"]), default="training", show_default=True
)
@click.option(
    "--speed",
    type=SPEED_OR_ZERO,
    default=0.0,
    help="Play in real time at this compression (scenario s per wall s); 0 = as fast as possible.",
)
@click.option(
    "--plan",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Plan file (default: found by the scenario's plan id).",
)
@purpose_option("test")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--follow", is_flag=True, help="Print the timeline as it happens.")
@lang_option
@db_option
def run(
    scenario: str,
    bot: str,
    seed: int,
    mode: str,
    purpose: str,
    speed: float,
    plan: Path | None,
    as_json: bool,
    follow: bool,
    lang: str,
    db_path: DbTarget | None,
) -> None:
    """Play SCENARIO headless with bots in every role, journal it, and score it."""
    from drills.play.session import DrillSession

    bundle = load_for_play(scenario, plan)
    for warning in bundle.warnings:
        click.echo(str(warning), err=True)
    store = open_store(db_path, create=True)
    bots = {role.id: bot for role in bundle.compiled.plan.roles}
    session = DrillSession.create(
        store, bundle, seed=seed, mode=mode, bots=bots, speed=speed, durable_inputs=speed > 0,
        purpose=purpose,
    )  # fmt: skip
    try:
        if not as_json and speed > 0:
            click.echo(
                f"drill {session.drill_id} running at {speed:g}x; "
                f"resume with: drillhall resume {session.drill_id}",
                err=True,
            )
        if follow:
            _follow(session, lang)
        outcome = session.run_paced(speed) if speed > 0 else session.run_headless()
    except Exception:
        # Nothing journaled yet (a bot run keeps its inputs until the end): no drill is
        # left "running" that a resume could not finish. With inputs, it stays resumable.
        session.discard_if_unstarted()
        raise
    _print_outcome(outcome, session, store, as_json, lang)


def _resume_hosted(session: Any, lang: str) -> None:
    """A hosted drill comes back in the trainer console, clock paused where it stopped;
    trainees rejoin with the same code and role, and their submissions continue."""
    from drills.cli.consoles import _run
    from drills.play.live import LiveDrill
    from drills.rooms.hosting import open_room
    from drills.ui.app import make_app

    click.echo(
        f"drill code: {session.drill_id} (resumed at {session.engine.now}s); trainees "
        "rejoin with drillhall join and their seat tokens (F5 in the console lists the "
        "seats; F4 frees one and shows its new token)",
        err=True,
    )
    speed = session.compiled.scenario.compression
    live = LiveDrill(session, speed, paused=True, room_bots="ideal")
    with open_room(live) as room:
        _new_tokens(room.tokens)
        _run(make_app("trainer", lang=lang, trainer=live))


def _new_tokens(tokens: dict[str, str]) -> None:
    """Seat tokens a resumed host had to issue (a drill hosted before seat tokens)."""
    if tokens:
        click.echo("new seat tokens (the drill had none):", err=True)
        for role, token in tokens.items():
            click.echo(f"  {role}  {token}", err=True)


def _resume_solo(session: Any, role: str, lang: str) -> None:
    """A solo drill comes back in its trainee's console, paused where it stopped."""
    from drills.cli.consoles import _run
    from drills.play.live import LiveDrill, LocalTrainee
    from drills.ui.app import make_app

    participant = session.store.roster(session.drill_id).get(role)
    live = LiveDrill(session, session.compiled.scenario.compression, paused=True)
    feed = LocalTrainee(live, role, participant if participant != role else None)
    _run(make_app("trainee", lang=lang, trainee=feed))


def _follow(session: Any, lang: str) -> None:
    """Echo each event as a timeline line while the drill plays."""
    from drills.port.text import printable
    from drills.port.words import describe_event

    def show(event: Any) -> None:
        line = describe_event(event, session.compiled, lang)
        if line:
            click.echo(printable(line))  # authors' words, inert on a terminal

    for event in session.engine.events:
        show(event)
    session.engine.listeners.append(show)


def _print_outcome(outcome: Any, session: Any, store: Store, as_json: bool, lang: str) -> None:
    from drills.review.summary import render_summary

    if not outcome.rated:
        if as_json:
            click.echo(json.dumps({"drill_id": outcome.drill_id, "rated": False}))
        else:
            click.echo(f"drill {outcome.drill_id} ended before it started: not rated")
        return
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
            db_path=store.where,
            lang=lang,
        )
    )


@main.command()
@click.argument("drill")
@click.option(
    "--speed",
    type=SPEED_OR_ZERO,
    default=0.0,
    help="Continue in real time at this compression; 0 = as fast as possible.",
)
@click.option("--json", "as_json", is_flag=True)
@click.option("--follow", is_flag=True, help="Print the timeline as it happens.")
@click.option("--headless", is_flag=True, help="Finish a hosted drill with bots, no console.")
@lang_option
@db_option
@log_option
def resume(
    drill: str,
    speed: float,
    as_json: bool,
    follow: bool,
    headless: bool,
    lang: str,
    db_path: DbTarget | None,
    log_file: Path | None,
) -> None:
    """Resume a drill that was interrupted (killed, power loss, quit) from its journal.

    A solo drill reopens its trainee's console, a hosted drill the trainer console
    (unless --headless)."""
    from drills.play.session import DrillSession
    from drills.store.database import StoreError

    store = open_store(db_path)
    log = setup_logging(log_file, store.path)
    try:
        _check_address(store, drill)
        session = DrillSession.resume(store, drill)
    except StoreError as exc:
        log.warning("resume of drill %s refused: %s", drill, exc)
        raise
    except Exception:
        log.exception("resume of drill %s failed", drill)
        raise
    log.info(
        "drill %s resumed at %ss by pid %s (%s)",
        session.drill_id,
        session.engine.now,
        os.getpid(),
        store.path,
    )
    try:
        with logged_failures(session.drill_id):
            _continue(session, store, speed, as_json, follow, headless, lang)
    finally:
        session.close()


def _check_address(store: Store, drill: str) -> None:
    """A hosted drill's address must be free: held by its live host, resume says "already
    hosted by pid N"; held by another process (a squatter), its pid and uid (exit 3)."""
    from drills.store import rooms

    drill_id = store.drill(drill).id
    if rooms.room_secret(store, drill_id) is not None:
        from drills.rooms.hosting import check_not_hosted

        check_not_hosted(store, drill_id)


def _continue(
    session: Any,
    store: Store,
    speed: float,
    as_json: bool,
    follow: bool,
    headless: bool,
    lang: str,
) -> None:
    """Play a resumed drill on: in its console, hosted, or headless."""
    from drills.store import rooms
    from drills.store.database import RecordRefused

    people = [r.id for r in session.compiled.plan.roles if r.id not in session.bots]
    joined = rooms.participants(store, session.drill_id)
    hosted = bool(joined) or rooms.room_secret(store, session.drill_id) is not None
    solo = len(people) == 1 and not joined
    if solo and not (headless or as_json or follow):
        _resume_solo(session, people[0], lang)
        return
    if hosted and not store.started(session.drill_id) and (headless or as_json or follow):
        # played on headless, nobody would hold any role: 0.0 U for a drill nobody played
        raise RecordRefused(
            f"drill {session.drill_id} was hosted but never started: nobody has played it. "
            f"Resume it in the trainer console (drillhall resume {session.drill_id}) to "
            f"start it, or void it (drillhall void {session.drill_id})"
        )
    if hosted:
        if not headless:
            _resume_hosted(session, lang)
            return
        from drills.play.live import LiveDrill
        from drills.rooms.hosting import LINGER_SECONDS, open_room, run_hosted

        speed = speed or session.compiled.scenario.compression
        live = LiveDrill(session, speed, paused=True, room_bots="ideal")
        with open_room(live) as room:
            _new_tokens(room.tokens)
            outcome = run_hosted(live)  # trainees keep submitting while it finishes
            room.wait_idle(LINGER_SECONDS)
        _print_outcome(outcome, session, store, as_json, lang)
        return
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
@db_option
def replay(drill: str, as_json: bool, db_path: DbTarget | None) -> None:
    """Replay a drill's journal and check it reproduces the stored events and score."""
    from drills.play.session import replay_journal
    from engine.events import canonical_json
    from engine.runtime import ENGINE_RULES
    from scoring.score import score_drill

    store = open_store(db_path)
    record = store.drill(drill)
    stored = store.events(record.id)
    bundle, replayed = replay_journal(store, record.id)
    identical = [e.to_json() for e in stored] == [e.to_json() for e in replayed]
    stored_score = score_drill(bundle.compiled, stored)
    replay_score = score_drill(bundle.compiled, replayed)
    same_score = canonical_json(stored_score.to_dict()) == canonical_json(replay_score.to_dict())
    recorded_rules = stored[0].data.get("engine_rules", 1) if stored else ENGINE_RULES
    result = {
        "drill_id": record.id,
        "rules": recorded_rules,
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
        if recorded_rules != ENGINE_RULES:
            click.echo(
                f"note: recorded under engine rules {recorded_rules}; this engine plays rules "
                f"{ENGINE_RULES} (the outcome model), so the streams differ. The stored "
                "journal stays the record; `drillhall score` judges it by today's rules."
            )
    if not (identical and same_score):
        sys.exit(1)


def _not_rated(drill_id: str, why: str, void_reason: str | None, as_json: bool, lang: str) -> None:
    """No score for a drill that is not finished, never started or void: say why."""
    from drills.port.labels import label
    from drills.port.text import printable

    if as_json:
        click.echo(json.dumps({"drill_id": drill_id, "rated": False, "reason": why}))
        return
    reason = label(why, lang) + (f": {printable(void_reason)}" if void_reason else "")
    click.echo(f"{label('drill', lang)} {drill_id}: {label('not_rated', lang)} ({reason})")


@main.command()
@click.argument("drill")
@click.option("--json", "as_json", is_flag=True)
@lang_option
@db_option
def score(drill: str, as_json: bool, lang: str, db_path: DbTarget | None) -> None:
    """Score a drill from its journal (only an ended drill that started is rated)."""
    from drills.review.summary import render_summary
    from scoring.score import score_drill

    store = open_store(db_path)
    record = store.drill(drill)
    withheld = store.standing(record).withheld
    if withheld is not None:
        _not_rated(record.id, withheld, record.void_reason, as_json, lang)
        return
    bundle = record.bundle()
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
            db_path=store.where,
            lang=lang,
        )
    )


@main.command()
@click.argument("drill")
@db_option
def journal(drill: str, db_path: DbTarget | None) -> None:
    """Print a drill's journaled events, one JSON object per line."""
    from drills.port.text import json_escaped

    store = open_store(db_path)
    record = store.drill(drill)
    for event in store.iter_events(record.id):
        click.echo(json_escaped(event.to_json()))  # the same JSON, inert on a terminal


def _register() -> None:
    """Commands that live in their own modules (library tools, reviews and history)."""
    from drills.cli import consoles, evidence, library, msel, review

    for module in (library, review, consoles, msel, evidence):
        for command in module.COMMANDS:
            main.add_command(command)


_register()
