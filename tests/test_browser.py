"""The trainee console in a real browser: `drillhall serve`, Debian's headless Chromium
(driven by Playwright; no browser download), a decision that reaches the host.

The terminal is drawn on a canvas; what it shows is read from the terminal output the
server sends over the page's websocket, and the drill's state from the host's database:
each step waits for one of them, never for a fixed time."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .conftest import NewDb, rows, start_headless_host
from .waits import wait_for

T = TypeVar("T")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


ANSI = re.compile(
    rb"\x1b\[[0-9;?$<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)|\x1b[=>()][0-9A-Za-z]?"
)


class TerminalOutput:
    """Everything the served console has written to the page's terminal, as text."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.page: Any = None

    def received(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            self.frames.append(payload)

    def text(self) -> str:
        return ANSI.sub(b"", b"".join(self.frames)).decode("utf-8", "replace")

    def wait_for(self, text: str, timeout: float = 20) -> None:
        """Poll through Playwright (its sync API delivers websocket frames only while
        one of its calls runs)."""
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline:
                tail = self.text()[-2000:]
                raise AssertionError(f"{text!r} never showed on the page; last:\n{tail}")
            self.page.wait_for_timeout(100)


def test_a_browser_trainee_joins_with_a_seat_token_and_decides(
    tmp_path: Path, new_db: NewDb
) -> None:
    """The served lobby: code, Enter, name, Enter, seat token (a password field, never in
    the URL), Enter; the role the token opens, picked with Enter; the briefing, closed
    with Enter; then F3, Enter, Down, Enter, F5."""
    from playwright.sync_api import WebSocket, sync_playwright

    db = new_db("d")
    host, code, tokens = start_headless_host(db)
    port = free_port()
    serve = subprocess.Popen(
        [sys.executable, "-m", "drills", "serve", "--port", str(port), "--lang", "en"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    shown = TerminalOutput()

    def db_row(sql: str, *args: object) -> Any:
        found = rows(db, sql, args)
        return found[0] if found else None

    try:
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, "the server", 20)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=CHROMIUM,
                args=[
                    "--no-sandbox",
                    "--disable-gpu",
                    "--no-first-run",
                    "--disable-background-networking",
                    "--disable-component-update",
                    "--disable-sync",
                ],
            )
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.route("**/fonts.googleapis.com/**", lambda route: route.abort())
            page.route("**/fonts.gstatic.com/**", lambda route: route.abort())

            def watch(ws: WebSocket) -> None:
                ws.on("framereceived", shown.received)

            page.on("websocket", watch)
            shown.page = page
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#terminal.-connected canvas", timeout=30_000)
            shown.wait_for("Join a drill", 30)  # the lobby's first frame
            # keys to the terminal, without a click that would land on a field of the form
            page.locator("#terminal .xterm-helper-textarea").focus()
            page.keyboard.type(code)
            page.keyboard.press("Enter")
            page.keyboard.type("Browser Li")
            page.keyboard.press("Enter")
            page.keyboard.type(tokens["hydrology"])
            shown.wait_for("•" * 8)  # the token shows as dots
            page.keyboard.press("Enter")
            shown.wait_for("Pick your role")  # the role the token opens, as a list
            shown.wait_for("City hydrology bureau")
            assert "HQ commander (mayor)" not in shown.text()
            assert tokens["hydrology"] not in page.url and tokens["hydrology"][9:] not in (
                shown.text()
            )
            page.keyboard.press("Enter")
            joined = wait_for(
                lambda: db_row(
                    "SELECT role FROM participants WHERE drill_id = ? AND name = ?",
                    code,
                    "Browser Li",
                ),
                "the browser trainee to join",
                20,
            )
            assert joined[0] == "hydrology"
            shown.wait_for("Role: City hydrology bureau")  # the briefing comes first
            shown.wait_for("Close")
            page.keyboard.press("Enter")
            shown.wait_for("Hekou station starts to rise", 30)  # the host started: I01
            page.keyboard.press("F3")
            page.keyboard.press("Enter")
            shown.wait_for("Issue a flood forecast")
            page.keyboard.press("ArrowDown")
            page.keyboard.press("Enter")
            shown.wait_for("Forecast crest (m)")
            page.keyboard.press("F5")
            result = wait_for(
                lambda: db_row(
                    "SELECT result FROM submissions WHERE drill_id = ? AND name = ? "
                    "AND status = 'applied'",
                    code,
                    "Browser Li",
                ),
                "the host to apply the browser's decision",
                30,
            )
            assert '"accepted":true' in result[0]
            shown.wait_for("Recorded: Issue a flood forecast")
            assert "Traceback" not in shown.text()
            page.screenshot(path=str(tmp_path / "browser.png"))
            browser.close()
        assert (tmp_path / "browser.png").stat().st_size > 10_000
        inputs = rows(db, "SELECT data FROM inputs WHERE drill_id = ?", [code])
        assert any('"participant":"Browser Li"' in row[0] for row in inputs)
    finally:
        for proc in (serve, host):
            proc.kill()
            proc.wait()
