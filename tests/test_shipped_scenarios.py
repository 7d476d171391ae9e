"""Every shipped scenario: validates clean, ideal = 100 P, idle = U, novice in between."""

import pytest

from drills.library.catalog import CatalogEntry, find_plan, installed
from drills.library.validate import validate_paths
from engine.bots import make_bot
from engine.bundle import load_bundle
from engine.compiled import CompiledScenario
from engine.runner import Runner
from engine.runtime import DrillEngine
from scoring.score import DrillScore, score_drill

ENTRIES = installed()
IDS = [e.id for e in ENTRIES]


def test_the_library_has_a_flood_scenario() -> None:
    assert any(e.family == "flood" for e in ENTRIES)


@pytest.fixture(params=ENTRIES, ids=IDS, scope="module")
def compiled(request: pytest.FixtureRequest) -> CompiledScenario:
    entry = request.param
    return load_bundle(entry.path, find_plan(entry.path, entry.plan)).compiled


def play(compiled: CompiledScenario, bot: str, seed: int = 0) -> tuple[DrillEngine, DrillScore]:
    engine = DrillEngine(compiled, seed=seed)
    Runner(engine, [make_bot(bot, [r.id for r in compiled.plan.roles], seed)]).run_to_end()
    return engine, score_drill(compiled, engine.events)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_validates_without_warnings(entry: CatalogEntry) -> None:
    plan = find_plan(entry.path, entry.plan)
    diagnostics, _ = validate_paths([plan, entry.path])
    assert diagnostics == []


def test_ideal_scores_100(compiled: CompiledScenario) -> None:
    _, result = play(compiled, "ideal")
    assert (result.score, result.rating) == (100.0, "P")


def test_idle_is_unable(compiled: CompiledScenario) -> None:
    _, result = play(compiled, "idle")
    assert result.rating == "U"


NOVICE_SEEDS = range(20)


@pytest.fixture(scope="module")
def novice_runs(compiled: CompiledScenario) -> list[tuple[DrillEngine, DrillScore]]:
    return [play(compiled, "novice", seed) for seed in NOVICE_SEEDS]


def test_novice_lands_between_and_depends_on_the_seed(
    compiled: CompiledScenario, novice_runs: list[tuple[DrillEngine, DrillScore]]
) -> None:
    scores = sorted(result.score for _, result in novice_runs)
    ratings = {result.rating for _, result in novice_runs}
    assert 0 < scores[len(scores) // 2] < 100
    assert len(set(scores)) > 5 and len(ratings) >= 2
    assert play(compiled, "novice", 4)[1].to_dict() == play(compiled, "novice", 4)[1].to_dict()


def test_every_branch_is_reached_by_some_bot_run(
    compiled: CompiledScenario, novice_runs: list[tuple[DrillEngine, DrillScore]]
) -> None:
    """Each conditional inject fires in the ideal, the idle or one of the novice runs."""
    runs = [play(compiled, "ideal")[0], play(compiled, "idle")[0]] + [e for e, _ in novice_runs]
    fired: set[str] = set().union(*(engine.fired for engine in runs))
    branches = {i.id for i in compiled.scenario.injects if i.at is None}
    assert branches - fired == set()


def test_scenario_shape(compiled: CompiledScenario) -> None:
    """What a trainer buys: enough injects and branches, every role, 45-90 minutes."""
    scenario = compiled.scenario
    conditional = [i for i in scenario.injects if i.when or (i.after and i.after.expectation)]
    assert len(scenario.injects) >= 15
    assert len(conditional) >= 3
    used = {r for i in scenario.injects for r in i.to} | {
        e.role for e in compiled.expectations.values()
    }
    assert used == {r.id for r in compiled.plan.roles}
    assert 45 * 60 <= scenario.duration / scenario.compression <= 90 * 60
    for inject in scenario.injects:
        assert inject.text.zh != inject.text.en, f"{inject.id} is not translated"


def test_every_scored_expectation_cites_its_clause(compiled: CompiledScenario) -> None:
    for exp in compiled.expectations.values():
        if exp.scored:
            assert exp.clause is not None and exp.clause.certainty != "unverified", exp.id
