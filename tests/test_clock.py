"""Real-time pacing: no drift, no catch-up burst after a pause, speed changes re-anchor."""

import pytest

from drills.store.database import Store
from engine.bundle import Bundle
from engine.clock import SimClock


class FakeWall:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_target_follows_wall_time_times_speed() -> None:
    wall = FakeWall()
    clock = SimClock(60, now=wall)
    wall.t += 2.5
    assert clock.target() == pytest.approx(150)
    assert clock.scenario_time() == 150


def test_pause_freezes_and_resume_does_not_burst() -> None:
    wall = FakeWall()
    clock = SimClock(10, now=wall)
    wall.t += 1
    clock.pause()
    wall.t += 1000  # a long pause
    assert clock.target() == pytest.approx(10)
    clock.resume()
    assert clock.target() == pytest.approx(10)
    wall.t += 0.5
    assert clock.target() == pytest.approx(15)


def test_speed_change_keeps_the_current_time() -> None:
    wall = FakeWall()
    clock = SimClock(10, now=wall)
    wall.t += 3
    clock.set_speed(100)
    assert clock.target() == pytest.approx(30)
    wall.t += 1
    assert clock.target() == pytest.approx(130)


def test_skip_jumps_forward_only() -> None:
    wall = FakeWall()
    clock = SimClock(1, now=wall)
    clock.skip_to(500)
    assert clock.scenario_time() == 500
    clock.skip_to(100)
    assert clock.scenario_time() == 500
    wall.t += 2
    assert clock.scenario_time() == 502


def test_no_float_drift_over_many_ticks() -> None:
    """0.1-second ticks for an hour land exactly on whole scenario seconds."""
    wall = FakeWall()
    clock = SimClock(10, now=wall)
    for _ in range(36000):
        wall.t += 0.1
    assert clock.scenario_time() == 36000


def test_paced_session_processes_injects_as_the_wall_clock_passes(
    worked_bundle: Bundle, store: Store
) -> None:
    from drills.play.session import DrillSession

    wall = FakeWall()
    session = DrillSession.create(store, worked_bundle, bots={}, seed=0, speed=600)
    seen: list[int] = []

    def sleep(seconds: float) -> None:
        wall.t += seconds

    def on_tick(s: DrillSession) -> None:
        assert s.clock is not None  # run_paced sets the clock before the first tick
        seen.append(s.clock.scenario_time())

    outcome = session.run_paced(
        600,
        tick_seconds=1.0,
        now=wall,
        sleep=sleep,
        on_tick=on_tick,
    )
    assert outcome.score.rating == "U"
    assert seen[:3] == [0, 600, 1200]  # one tick per wall second at 600x
    assert len(seen) == 3 * 3600 // 600 + 1
