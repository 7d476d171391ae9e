"""Every shipped scenario: validates clean, ideal = 100 P, idle = U, novice in between."""

import pytest

from drills.catalog import find_plan, installed
from drills.validate import validate_paths
from engine.bots import make_bot
from engine.bundle import load_bundle
from engine.runner import Runner
from engine.runtime import DrillEngine
from scoring.score import score_drill

ENTRIES = installed()
IDS = [e.id for e in ENTRIES]


def test_the_library_has_a_flood_scenario():
    assert any(e.family == "flood" for e in ENTRIES)


@pytest.fixture(params=ENTRIES, ids=IDS, scope="module")
def compiled(request):
    entry = request.param
    return load_bundle(entry.path, find_plan(entry.path, entry.plan)).compiled


def play(compiled, bot, seed=0):
    engine = DrillEngine(compiled, seed=seed)
    Runner(engine, [make_bot(bot, [r.id for r in compiled.plan.roles], seed)]).run_to_end()
    return engine, score_drill(compiled, engine.events)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_validates_without_warnings(entry):
    plan = find_plan(entry.path, entry.plan)
    diagnostics, _ = validate_paths([plan, entry.path])
    assert diagnostics == []


def test_ideal_scores_100(compiled):
    _, result = play(compiled, "ideal")
    assert (result.score, result.rating) == (100.0, "P")


def test_idle_is_unable(compiled):
    _, result = play(compiled, "idle")
    assert result.rating == "U"


def test_novice_lands_between_and_depends_on_the_seed(compiled):
    scores = {}
    for seed in range(10):
        _, result = play(compiled, "novice", seed)
        scores[seed] = result.score
        assert 0 < result.score < 100
    assert len(set(scores.values())) > 3
    assert play(compiled, "novice", 4)[1].to_dict() == play(compiled, "novice", 4)[1].to_dict()


def test_every_scored_expectation_cites_its_clause(compiled):
    for exp in compiled.expectations.values():
        if exp.scored:
            assert exp.clause is not None and exp.clause.certainty != "unverified", exp.id
