"""The trainee console in a real browser: `drillhall serve`, Debian's headless Chromium
(driven by Playwright; no browser download), a decision that reaches the host."""

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from .conftest import start_headless_host

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


def wait_for(check: Callable[[], T], timeout: float, what: str) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_browser_trainee_decides_and_the_host_applies_it(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    db = tmp_path / "d.db"
    host, code = start_headless_host(db)
    port = free_port()
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "drills",
            "serve",
            "--port",
            str(port),
            "--lang",
            "en",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: socket.socket().connect_ex(("127.0.0.1", port)) == 0, 20, "the server")
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
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#terminal.-connected canvas", timeout=30_000)
            time.sleep(2)  # the lobby's first frame
            page.locator("#terminal").click()
            for text in (code, "hydrology", "Browser Li"):
                page.keyboard.type(text)
                page.keyboard.press("Enter")
                time.sleep(0.4)
            with sqlite3.connect(db) as conn:
                wait_for(
                    lambda: conn.execute(
                        "SELECT name FROM participants WHERE drill_id = ?", [code]
                    ).fetchone(),
                    20,
                    "the browser trainee to join",
                )
            time.sleep(2)  # the host starts, I01 reaches the trainee console
            for key in ("Control+d", "Enter", "ArrowDown", "Enter", "Control+s"):
                page.keyboard.press(key)
                time.sleep(0.4)

            def applied() -> Any:
                with sqlite3.connect(db) as conn:
                    return conn.execute(
                        "SELECT result FROM submissions WHERE drill_id = ? AND name = ? "
                        "AND status = 'applied'",
                        [code, "Browser Li"],
                    ).fetchone()

            result = wait_for(applied, 30, "the host to apply the browser's decision")
            assert '"accepted":true' in result[0]
            page.screenshot(path=str(tmp_path / "browser.png"))
            browser.close()
        assert (tmp_path / "browser.png").stat().st_size > 10_000
        with sqlite3.connect(db) as conn:
            inputs = conn.execute("SELECT data FROM inputs WHERE drill_id = ?", [code]).fetchall()
        assert any('"participant":"Browser Li"' in row[0] for row in inputs)
    finally:
        for proc in (serve, host):
            proc.kill()
