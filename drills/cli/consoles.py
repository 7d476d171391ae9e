"""The consoles: ``play`` (a trainee), ``trainer`` and ``review``. Textual is imported
only here, so headless commands stay fast."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from drills.cli.common import LANGS, RoomRefused, db_option, load_for_play, open_store


def _mode_and_speed(func: Any) -> Any:
    """--mode and --speed, the same for every console that runs a drill."""
    func = click.option(
        "--speed", type=float, help="Scenario seconds per wall second (default: the scenario's)."
    )(func)
    return click.option(
        "--mode", type=click.Choice(["training", "exam"]), default="training", show_default=True
    )(func)


def _plan_option(func: Any) -> Any:
    return click.option(
        "--plan",
        "plan_file",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help="Plan file (default: found by the scenario's plan id).",
    )(func)


def _run(app: Any) -> None:
    """Run a console; benchmarks measure start-up to first frame headless."""
    import os

    app.run(headless=bool(os.environ.get("DRILLHALL_EXIT_AFTER_FIRST_FRAME")))


@click.command()
@click.argument("scenario")
@click.option("--role", help="Your plan role (default: pick one on screen).")
@_mode_and_speed
@click.option(
    "--others",
    type=click.Choice(["ideal", "novice", "idle"]),
    default="ideal",
    show_default=True,
    help="Bots in the other roles.",
)
@click.option("--name", help="Your name, for the roster and the report.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--lang", type=LANGS, default="zh", show_default=True)
@_plan_option
@db_option
def play(
    scenario: str,
    role: str | None,
    mode: str,
    speed: float | None,
    others: str,
    name: str | None,
    seed: int,
    lang: str,
    plan_file: Path | None,
    db_path: Path | None,
) -> None:
    """Practise alone: you take one plan role, bots fill the others."""
    from drills.ui.app import make_app

    def prepare() -> Any:
        """Off the UI thread, behind the console's first frame: read and check the files."""
        from drills.play.solo import SoloSetup
        from drills.port.briefing import plan_roles
        from drills.port.feeds import PlayOpening

        bundle = load_for_play(scenario, plan_file)
        plan = bundle.compiled.plan
        if role is not None and plan.role(role) is None:
            roles = ", ".join(r.id for r in plan.roles)
            raise click.BadParameter(
                f"no role {role!r} in plan {plan.id} ({roles})", param_hint="--role"
            )

        def start(chosen: str) -> Any:  # on the UI thread, which owns the connection
            setup = SoloSetup(
                bundle=bundle, store=open_store(db_path), mode=mode, speed=speed,
                others=others, seed=seed, participant=name,
            )  # fmt: skip
            return setup.start(chosen)

        return PlayOpening(plan.title.get(lang), plan_roles(plan), start)

    app = make_app("play", lang=lang, role=role, prepare=prepare)
    _run(app)
    if app.failure is not None:
        raise app.failure


@click.command()
@click.argument("scenario")
@_mode_and_speed
@click.option(
    "--bots",
    type=click.Choice(["ideal", "novice", "idle"]),
    default="novice",
    show_default=True,
    help="Bots in the roles no trainee takes.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--lang", type=LANGS, default="zh", show_default=True)
@_plan_option
@db_option
def trainer(
    scenario: str,
    mode: str,
    speed: float | None,
    bots: str,
    seed: int,
    lang: str,
    plan_file: Path | None,
    db_path: Path | None,
) -> None:
    """Run a drill from the trainer console: timeline, board, scores and controls."""
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.ui.app import make_app

    bundle = load_for_play(scenario, plan_file)
    store = open_store(db_path)
    roles = [r.id for r in bundle.compiled.plan.roles]
    session = DrillSession.create(
        store, bundle, seed=seed, mode=mode, bots=dict.fromkeys(roles, bots), speed=speed or 0.0
    )
    live = LiveDrill(session, speed or bundle.compiled.scenario.compression, paused=True)
    _run(make_app("trainer", lang=lang, trainer=live))


@click.command()
@click.option("--lang", type=LANGS, default="zh", show_default=True)
@db_option
def review(lang: str, db_path: Path | None) -> None:
    """Review drills: scores, findings, trends, report export and sign-off."""
    from drills.review.desk import StoreDesk
    from drills.ui.app import make_app

    _run(make_app("review", lang=lang, desk=StoreDesk(open_store(db_path))))


@click.command()
@click.argument("scenario")
@_mode_and_speed
@click.option(
    "--bots",
    type=click.Choice(["ideal", "novice", "idle"]),
    default="ideal",
    show_default=True,
    help="Bots for the roles nobody joined when you start.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--headless",
    is_flag=True,
    help="No console: start when --wait-for trainees have joined, apply their decisions, "
    "finish (servers, load tests).",
)
@click.option(
    "--wait-for",
    type=int,
    default=0,
    show_default=True,
    help="With --headless: how many trainees to wait for before starting.",
)
@click.option("--lang", type=LANGS, default="zh", show_default=True)
@_plan_option
@db_option
def host(
    scenario: str,
    mode: str,
    speed: float | None,
    bots: str,
    seed: int,
    headless: bool,
    wait_for: int,
    lang: str,
    plan_file: Path | None,
    db_path: Path | None,
) -> None:
    """Host a drill: print its code for trainees to join, then run the trainer console."""
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.ui.app import make_app

    bundle = load_for_play(scenario, plan_file)
    store = open_store(db_path)
    session = DrillSession.create(store, bundle, seed=seed, mode=mode, bots={}, speed=speed or 0.0)
    live = LiveDrill(
        session, speed or bundle.compiled.scenario.compression, paused=True, room_bots=bots
    )
    from drills.rooms.hosting import LINGER_SECONDS, joined_at_least, open_room, run_hosted

    with open_room(live) as room:  # served before the code is printed: joins come at once
        click.echo(
            f"drill code: {session.drill_id}\n"
            f"trainees join with: drillhall join {session.drill_id} --role ROLE --name NAME\n"
            + (
                f"starting when {wait_for} trainee(s) have joined"
                if headless
                else "press Start in the console when everyone has joined"
            )
        )
        if not headless:
            _run(make_app("trainer", lang=lang, trainer=live))
            return
        outcome = run_hosted(live, start_when=joined_at_least(live, wait_for))
        room.wait_idle(LINGER_SECONDS)
    click.echo(
        f"drill {outcome.drill_id} ended: score {outcome.score.score} "
        f"{outcome.score.rating}, {outcome.events} events"
    )


@click.command()
@click.argument("code")
@click.option("--role", help="The plan role you take (default: pick a free one on screen).")
@click.option("--name", required=True, help="Your name (one person per role).")
@click.option("--lang", type=LANGS, default="zh", show_default=True)
def join(code: str, role: str | None, name: str, lang: str) -> None:
    """Join a hosted drill as a plan role, from any terminal on the host machine.

    The console talks only to the host (no database is opened here), so it holds nothing
    of the scenario but what this role may see."""
    from drills.port.feeds import FeedError
    from drills.rooms.remote import GatewayLobby
    from drills.ui.app import make_app

    lobby = GatewayLobby()
    try:
        if role is not None:
            _run(make_app("trainee", lang=lang, trainee=lobby.join(code, role, name)))
            return
        roles = lobby.free_roles(code)
    except FeedError as exc:
        raise RoomRefused(str(exc)) from None
    if not roles:
        raise RoomRefused(f"drill {code}: every role is taken")
    app = make_app(
        "play",
        lang=lang,
        roles=roles,
        picker_title=code,
        start_play=lambda chosen: lobby.join(code, chosen, name),
    )
    _run(app)


@click.command(hidden=True)
@click.option("--lang", type=LANGS, default="zh", show_default=True)
def lobby(lang: str) -> None:
    """The join screen (what `drillhall serve` shows each browser)."""
    from drills.rooms.remote import GatewayLobby
    from drills.ui.app import make_app

    _run(make_app("lobby", lang=lang, lobby=GatewayLobby()))


@click.command()
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--host",
    "bind",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep localhost; see the README to expose it.",
)
@click.option("--lang", type=LANGS, default="zh", show_default=True)
def serve(port: int, bind: str, lang: str) -> None:
    """Serve the trainee console to browsers (textual-serve): trainees need only a browser.

    Each browser gets the join screen; it reaches hosted drills through their gateways,
    never the database."""
    import shlex
    import sys

    from textual_serve.server import Server

    # A fixed command line, quoted: nothing a browser sends reaches the shell.
    command = shlex.join([sys.executable, "-m", "drills", "lobby", "--lang", lang])
    click.echo(f"serving the trainee console on http://{bind}:{port}")
    Server(command, host=bind, port=port, title="Drillhall").serve()


COMMANDS = [play, trainer, review, host, join, lobby, serve]
