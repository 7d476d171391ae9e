"""The consoles: ``play`` (a trainee), ``trainer`` and ``review``. Textual is imported
only here, so headless commands stay fast."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import click

from drills.cli.common import (
    SEED,
    SPEED,
    WAIT_COUNT,
    DbTarget,
    RoomRefused,
    db_option,
    drill_purpose,
    lang_option,
    load_for_play,
    log_option,
    logged_failures,
    open_store,
    person_name,
    purpose_option,
    setup_logging,
    warn_network,
)


def _mode_and_speed(func: Any) -> Any:
    """--mode, --purpose and --speed, the same for every console that runs a drill."""
    func = click.option(
        "--speed", type=SPEED, help="Scenario seconds per wall second (default: the scenario's)."
    )(func)
    func = purpose_option()(func)
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
@click.option("--name", callback=person_name, help="Your name, for the roster and the report.")
@click.option("--seed", type=SEED, default=0, show_default=True)
@lang_option
@_plan_option
@db_option
def play(
    scenario: str,
    role: str | None,
    mode: str,
    purpose: str | None,
    speed: float | None,
    others: str,
    name: str | None,
    seed: int,
    lang: str,
    plan_file: Path | None,
    db_path: DbTarget | None,
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
                bundle=bundle, store=open_store(db_path, create=True), mode=mode, speed=speed,
                others=others, seed=seed, participant=name, purpose=drill_purpose(purpose, mode),
            )  # fmt: skip
            return setup.start(chosen)

        return PlayOpening(plan.title.get(lang), plan_roles(plan), start)

    warn_network(db_path)  # before the console owns the terminal
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
@click.option("--seed", type=SEED, default=0, show_default=True)
@lang_option
@_plan_option
@db_option
@log_option
def trainer(
    scenario: str,
    mode: str,
    purpose: str | None,
    speed: float | None,
    bots: str,
    seed: int,
    lang: str,
    plan_file: Path | None,
    db_path: DbTarget | None,
    log_file: Path | None,
) -> None:
    """Run a drill from the trainer console: timeline, board, scores and controls."""
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.ui.app import make_app

    bundle = load_for_play(scenario, plan_file)
    store = open_store(db_path, create=True)
    log = setup_logging(log_file, store.path)
    roles = [r.id for r in bundle.compiled.plan.roles]
    session = DrillSession.create(
        store, bundle, seed=seed, mode=mode, bots=dict.fromkeys(roles, bots),
        speed=speed or 0.0, purpose=drill_purpose(purpose, mode),
    )  # fmt: skip
    log.info(
        "drill %s created by the trainer (pid %s, %s)", session.drill_id, os.getpid(), store.path
    )
    try:
        live = LiveDrill(session, speed or bundle.compiled.scenario.compression, paused=True)
        app = make_app("trainer", lang=lang, trainer=live)
    except Exception:
        session.discard_if_unstarted()
        raise
    try:
        with logged_failures(session.drill_id):
            _run(app)
    finally:
        session.close()


@click.command()
@lang_option
@db_option
def review(lang: str, db_path: DbTarget | None) -> None:
    """Review drills: scores, findings, trends, report export and sign-off."""
    from drills.cli.review import report_filing
    from drills.review.desk import StoreDesk
    from drills.ui.app import make_app

    # reads: a mistyped --db makes no database; exports carry the config's cover block
    desk = StoreDesk(open_store(db_path), report_filing(None, None, ()))
    _run(make_app("review", lang=lang, desk=desk))


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
@click.option("--seed", type=SEED, default=0, show_default=True)
@click.option(
    "--headless",
    is_flag=True,
    help="No console: start when --wait-for trainees have joined, apply their decisions, "
    "finish (servers, load tests).",
)
@click.option(
    "--wait-for",
    type=WAIT_COUNT,
    default=0,
    show_default=True,
    help="With --headless: how many trainees to wait for before starting.",
)
@lang_option
@_plan_option
@db_option
@log_option
def host(
    scenario: str,
    mode: str,
    purpose: str | None,
    speed: float | None,
    bots: str,
    seed: int,
    headless: bool,
    wait_for: int,
    lang: str,
    plan_file: Path | None,
    db_path: DbTarget | None,
    log_file: Path | None,
) -> None:
    """Host a drill: print its code for trainees to join, then run the trainer console."""
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.rooms.hosting import LINGER_SECONDS, joined_at_least, open_room, run_hosted
    from drills.ui.app import make_app

    bundle = load_for_play(scenario, plan_file)
    store = open_store(db_path, create=True)
    log = setup_logging(log_file, store.path)
    session = DrillSession.create(
        store, bundle, seed=seed, mode=mode, bots={}, speed=speed or 0.0,
        purpose=drill_purpose(purpose, mode),
    )  # fmt: skip
    log.info("drill %s hosted (pid %s, %s)", session.drill_id, os.getpid(), store.path)
    with contextlib.ExitStack() as stack:
        stack.callback(session.close)
        stack.enter_context(logged_failures(session.drill_id))
        try:
            live = LiveDrill(
                session, speed or bundle.compiled.scenario.compression, paused=True, room_bots=bots
            )
            room = stack.enter_context(open_room(live))  # served before the code is printed
        except Exception:
            session.discard_if_unstarted()  # logged as it leaves: see logged_failures
            raise
        click.echo(_hosting_lines(session.drill_id, room.tokens, wait_for if headless else None))
        if not headless:
            _run(make_app("trainer", lang=lang, trainer=live))
            return
        outcome = run_hosted(live, start_when=joined_at_least(live, wait_for))
        log.info(
            "drill %s ended: score %s %s",
            outcome.drill_id,
            outcome.score.score,
            outcome.score.rating,
        )
        room.wait_idle(LINGER_SECONDS)
    click.echo(
        f"drill {outcome.drill_id} ended: score {outcome.score.score} "
        f"{outcome.score.rating}, {outcome.events} events"
    )


def _hosting_lines(code: str, tokens: dict[str, str], wait_for: int | None) -> str:
    """What ``host`` prints: the code, the seat tokens, how trainees join."""
    width = max((len(role) for role in tokens), default=0)
    lines = [
        f"drill code: {code}",
        "seat tokens (one per role: give each trainee theirs, privately; a trainee types "
        f"it in the console or sets {TOKEN_ENV}, never on a command line):",
        *(f"  {role:<{width}}  {token}" for role, token in tokens.items()),
        f"trainees join with: drillhall join {code} --role ROLE --name NAME",
        f"starting when {wait_for} trainee(s) have joined"
        if wait_for is not None
        else "press Start in the console when everyone has joined (F5 there shows the seats)",
    ]
    return "\n".join(lines)


TOKEN_ENV = "DRILLHALL_SEAT_TOKEN"  # drills.rooms.seats.ENV_TOKEN, without importing it


@click.command()
@click.argument("code")
@click.option("--role", help="The plan role you take (default: the one your seat token opens).")
@click.option(
    "--name", required=True, callback=person_name, help="Your name (one person per role)."
)
@lang_option
def join(code: str, role: str | None, name: str, lang: str) -> None:
    """Join a hosted drill as a plan role, from any terminal on the host machine.

    The seat token the trainer gave you is read from $DRILLHALL_SEAT_TOKEN, or typed in
    the console (never an argument: command lines are visible to every user). The
    console talks only to the host (no database is opened here), so it holds nothing of
    the scenario but what this role may see."""
    import sys

    from drills.port.feeds import FeedError, JoinForm
    from drills.rooms.remote import GatewayLobby
    from drills.ui.app import make_app

    lobby = GatewayLobby(JoinForm(code, name, role))
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise RoomRefused(
                f"drill {code}: no seat token: set {TOKEN_ENV}, or run join in a terminal "
                "to type it"
            )
        _run(make_app("lobby", lang=lang, lobby=lobby))  # the token is typed there
        return
    try:
        if role is not None:
            _run(make_app("trainee", lang=lang, trainee=lobby.join(code, role, name, token)))
            return
        roles = lobby.free_roles(code, token)
    except FeedError as exc:
        raise RoomRefused(str(exc)) from None
    if not roles:
        raise RoomRefused(f"drill {code}: the role of this seat token is not free")
    app = make_app(
        "play",
        lang=lang,
        roles=roles,
        picker_title=code,
        start_play=lambda chosen: lobby.join(code, chosen, name, token),
    )
    _run(app)


@click.command(hidden=True)
@lang_option
def lobby(lang: str) -> None:
    """The join screen (what `drillhall serve` shows each browser): code, name and seat
    token are typed there (never $DRILLHALL_SEAT_TOKEN: every browser would share it)."""
    from drills.rooms.remote import GatewayLobby
    from drills.ui.app import make_app

    _run(make_app("lobby", lang=lang, lobby=GatewayLobby()))


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--host",
    "bind",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep localhost; see the README to expose it.",
)
@click.option(
    "--allow-origin",
    "origins",
    multiple=True,
    help="Another page origin whose browsers may connect (scheme://host[:port]), e.g. "
    "the address of a reverse proxy in front of serve. Repeatable.",
)
@lang_option
def serve(port: int, bind: str, origins: tuple[str, ...], lang: str) -> None:
    """Serve the trainee console to browsers (textual-serve): trainees need only a browser.

    Each browser gets the join screen (drill code, name and seat token, typed in the
    console: never in the URL); it reaches hosted drills through their gateways, never
    the database. A websocket opened by a page from another origin is refused (a
    web page elsewhere cannot drive a console in the trainee's browser)."""
    import shlex
    import sys

    # A fixed command line, quoted: nothing a browser sends reaches the shell.
    command = shlex.join([sys.executable, "-m", "drills", "lobby", "--lang", lang])
    click.echo(f"serving the trainee console on http://{bind}:{port}")
    _same_origin_server(command, bind, port, origins).serve()


def _same_origin_server(command: str, bind: str, port: int, origins: tuple[str, ...]) -> Any:
    """textual-serve's server, refusing cross-origin websockets (403)."""
    import logging

    from aiohttp import web
    from textual_serve.server import Server

    allowed = {o.rstrip("/").lower() for o in origins}

    class SameOriginServer(Server):
        async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
            origin = request.headers.get("Origin")
            if origin is not None and not _origin_allowed(origin, request, allowed):
                logging.getLogger("drills.cli").warning(
                    "serve: refused a websocket from origin %r (host %r)", origin, request.host
                )
                raise web.HTTPForbidden(text="cross-origin websocket refused")
            return await super().handle_websocket(request)

    return SameOriginServer(command, host=bind, port=port, title="Drillhall")


def _origin_allowed(origin: str, request: Any, allowed: set[str]) -> bool:
    """Same origin: the page that opens the websocket was served by this host and port."""
    from urllib.parse import urlsplit

    origin = origin.rstrip("/").lower()
    if origin in allowed:
        return True
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    default = 443 if parts.scheme == "https" else 80
    name = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    origin_host = f"{name}:{parts.port or default}"
    host = str(request.host).lower()
    request_host = host if ":" in host.rsplit("]", 1)[-1] else f"{host}:{default}"
    return origin_host == request_host


COMMANDS = [play, trainer, review, host, join, lobby, serve]
