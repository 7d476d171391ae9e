"""Console benchmarks: start-up to first frame, a 10,000-entry timeline, and whether the
engine ever blocks the UI.

    python -m benchmarks.bench_ui

1. ``drillhall play`` from process start to its first frame, against a minimal Textual
   app measured the same way in the same run (both headless, exit after the first
   refresh; median of 7).
2. The trainer's timeline with 10,000 entries: time to append them and to repaint.
3. A drill of 10,000 injects played at high compression while keys are typed: the gaps
   between UI timer ticks (the engine works in bounded slices, so the UI stays live).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MINIMAL = """
from textual.app import App
from textual.widgets import Static
class Minimal(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(self.exit)
Minimal().run(headless=True)
"""


def first_frame(cmd: list[str], env: dict[str, str], runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=60)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def startup(tmp: Path) -> None:
    """First frame (the console drawn, the scenario still being read behind it) and the
    console ready (the scenario read and checked, the drill created, its console shown)."""
    base = {**os.environ, "DRILLHALL_DB": str(tmp / "s.db")}
    frame = {**base, "DRILLHALL_EXIT_AFTER_FIRST_FRAME": "1"}
    ready = {**base, "DRILLHALL_EXIT_WHEN_READY": "1"}
    drillhall = str(Path(sys.executable).parent / "drillhall")
    play = [drillhall, "play", "flood-river-crest", "--role", "hydrology", "--lang", "en"]
    minimal = first_frame([sys.executable, "-c", MINIMAL], frame)
    first = first_frame(play, frame)
    console = first_frame(play, ready)
    print(
        f"first frame: minimal Textual app {minimal * 1000:.0f} ms, drillhall play "
        f"{first * 1000:.0f} ms, ratio {first / minimal:.2f}x; trainee console ready "
        f"{console * 1000:.0f} ms ({console / minimal:.2f}x)"
    )


async def timeline(tmp: Path) -> None:
    from textual.widgets import Log

    from benchmarks.synthetic import write
    from drills.play.live import LiveDrill
    from drills.play.session import DrillSession
    from drills.store.database import Store
    from drills.ui.app import make_app
    from engine.bundle import load_bundle

    scenario, plan = write(tmp / "synthetic", 10_000)
    bundle = load_bundle(scenario, plan)
    store = Store(tmp / "t.db")
    session = DrillSession.create(store, bundle, bots={})
    live = LiveDrill(session, 600, paused=True)
    app = make_app("trainer", lang="en", live=live)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        log = app.screen.query_one("#timeline", Log)
        lines = [
            f"{i:5d}  ▸ I{i} [phone] Source → Role {i % 4}: Message {i}" for i in range(10_000)
        ]
        ticks = []
        for first in range(0, 10_000, 100):  # as the console does: one write per tick
            start = time.perf_counter()
            log.write_lines(lines[first : first + 100])
            await pilot.pause()
            ticks.append(time.perf_counter() - start)
        start = time.perf_counter()
        log.write_line("one more")
        await pilot.pause()
        one_more = time.perf_counter() - start
        start = time.perf_counter()
        app.screen.refresh(layout=True)
        await pilot.pause()
        repaint = time.perf_counter() - start
        start = time.perf_counter()
        log.scroll_home(animate=False)
        await pilot.pause()
        scroll = time.perf_counter() - start
    total = sum(ticks)
    ticks.sort()
    print(
        f"timeline: 10,000 entries in 100 ticks took {total * 1000:.0f} ms (tick p50 "
        f"{ticks[50] * 1000:.0f} ms, max {ticks[-1] * 1000:.0f} ms); with 10,000 present: "
        f"append one {one_more * 1000:.0f} ms, full repaint {repaint * 1000:.0f} ms, "
        f"scroll to top {scroll * 1000:.0f} ms"
    )

    # 3. the engine never blocks the UI: a heavy drill at high speed while typing
    session = DrillSession.create(store, bundle, bots={f"r{i}": "ideal" for i in range(4)})
    live = LiveDrill(session, 50_000, paused=False)
    app = make_app("trainer", lang="en", live=live)
    gaps: list[float] = []
    where: list[bool] = []
    async with app.run_test(size=(160, 50)) as pilot:
        last = [time.perf_counter()]

        def probe() -> None:  # a UI timer beside the drill's own: its gaps show stalls
            now = time.perf_counter()
            gaps.append(now - last[0])
            where.append(live.ended)
            last[0] = now

        app.set_interval(0.05, probe)
        for _ in range(40):
            await pilot.press("x")
            await pilot.pause(0.05)
    worst = sorted(zip(gaps, where, strict=True), reverse=True)[:3]
    print("  worst gaps (ms, drill ended?):", [(round(g * 1000), e) for g, e in worst])
    gaps.sort()
    p50, p99 = gaps[len(gaps) // 2], gaps[int(len(gaps) * 0.99) - 1]
    print(
        f"UI ticks while a 10,000-inject drill runs at 50,000x and keys are typed: "
        f"{len(gaps)} ticks, gap p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
        f"max {gaps[-1] * 1000:.0f} ms (probe timer: 50 ms), scenario reached "
        f"{live.now}s with {len(live.engine.events)} events"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        startup(Path(tmp))
        asyncio.run(timeline(Path(tmp)))


if __name__ == "__main__":
    main()
