"""Hosted drill with real processes: clients decide through the host's gateway, the host
is killed with SIGKILL half way, resumes, and every decision is journaled exactly once."""

from pathlib import Path

import pytest

from benchmarks.bench_rooms import run

pytestmark = pytest.mark.slow


def test_host_killed_mid_drill_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    result = run(clients=4, injects=40, speed=200, kill=True, folder=tmp_path)
    assert result["host_killed_and_resumed"]
    assert result["clients_reported"] == 4
    assert result["made"] == result["submitted"] == result["applied"] == result["journaled"] == 40
    assert result["journaled_once"] and result["all_applied_journaled"]
    assert result["replay_identical"] and result["replay_same_score"]
