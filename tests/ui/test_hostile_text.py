"""Text that a participant wrote is shown literally: a name or a note that looks like console
markup (``[/]``, ``[@click=…]``), an ANSI escape or a right-to-left override never crashes a
console, never runs an action, and reads back as typed."""

from __future__ import annotations

import pytest

from drills.port.views import DecisionRecorded
from drills.store import rooms
from drills.ui.app import make_app
from drills.ui.screens.trainer import TrainerScreen
from engine.events import Decision

from ..conftest import NewDb
from .conftest import HostedDrill, region_text, screen_text, until

HOSTILE = {
    "closing tag": "[/]",
    "click action": "[@click=screen.end]Wang[/]",
    "bold markup": "[b]Li[/b] [red]Ming",
}
CONTROLS = {
    "ansi escape": "\x1b[31mred\x1b[0m",
    "rtl override": "\u202eLi\u202c",
    "bell": "Li\x07",
}


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
async def test_a_hostile_name_in_the_trainers_roster_is_only_text(
    hosted: HostedDrill, name: str
) -> None:
    remote = hosted.join("hydrology", name)
    assert rooms.participants(hosted.store, hosted.code) == {"hydrology": name}
    app = make_app("trainer", lang="en", trainer=hosted.live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainerScreen), "the console")
        console = app.screen
        roster = console.query_one("#roster")
        await until(pilot, lambda: name[:8] in region_text(app, roster), "the name, literally")
        await pilot.click("#roster")  # a [@click=…] name must not act when clicked
        await pilot.pause()
        assert not hosted.live.ended and app.screen is console
        note = "[b]not bold[/b] [@click=app.quit]x[/]"  # a note is text, never markup
        remote.submit(Decision("hydrology", "issue_forecast", {}, note=note))
        hosted.live.toggle_pause()
        await until(
            pilot,
            lambda: any(isinstance(v, DecisionRecorded) for v in remote.advance()),
            "the decision answered",
            tick=lambda: hosted.live.advance(),
        )
        assert "Traceback" not in screen_text(app)


@pytest.mark.parametrize("name", list(CONTROLS.values()), ids=list(CONTROLS))
def test_a_name_with_control_characters_is_refused_at_the_door(
    hosted: HostedDrill, name: str
) -> None:
    with pytest.raises(rooms.RoomError, match="control characters"):
        hosted.join("hydrology", name)
    assert rooms.participants(hosted.store, hosted.code) == {}


def test_old_records_with_control_characters_are_shown_inert() -> None:
    from drills.port.text import printable, unsafe_characters

    shown = printable("\x1b[31mred\u202e")
    assert "\x1b" not in shown and "\u202e" not in shown and "red" in shown
    assert unsafe_characters(shown) == []
    assert printable("line one\nline two\tok") == "line one\nline two\tok"


def test_the_cli_refuses_a_name_with_control_characters(new_db: NewDb) -> None:
    from click.testing import CliRunner

    from drills.cli.main import main

    db = new_db("d")
    name = "Li\x1b[2J"
    for args in (
        ["play", "flood-river-crest", "--name", name, "--db", db],
        ["join", "abc123", "--name", name],
    ):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 1 and "control characters" in result.output, result.output
