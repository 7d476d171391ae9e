"""Forbidden never counts, wrong never succeeds: the swap table of every shipped scenario.

For each expectation an ideal run opens, its ideal decision is swapped for nothing, for
every prohibited variant and for every wrong-parameter variant the plan and scenario files
allow (generated from the files, none picked by hand); every prohibited item is also
committed once right after it is armed. The table is printed (``pytest -s`` or ``-rP``).
"""

import pytest

from drills.library.catalog import find_plan, installed
from drills.library.swaps import SwapTable, render, swap_table
from engine.bundle import load_bundle
from engine.compiled import CompiledScenario

Table = tuple[CompiledScenario, SwapTable]

ENTRIES = installed()


@pytest.fixture(params=ENTRIES, ids=[e.id for e in ENTRIES], scope="module")
def table(request: pytest.FixtureRequest) -> Table:
    entry = request.param
    compiled = load_bundle(entry.path, find_plan(entry.path, entry.plan)).compiled
    table = swap_table(compiled)
    print("\n".join(render(table)))
    return compiled, table


def test_no_prohibited_variant_beats_doing_nothing(table: Table) -> None:
    _, result = table
    bad = [r for r in result.rows if r.kind == "prohibited" and r.problems]
    assert bad == []


def test_no_wrong_parameter_fires_a_success_branch_or_is_met(table: Table) -> None:
    _, result = table
    assert [r for r in result.rows if r.kind == "wrong" and r.problems] == []


def test_the_table_covers_every_expectation_the_ideal_run_opens(table: Table) -> None:
    compiled, result = table
    opened = {s.id for s in compiled.expectations.values() if s.inject in result.ideal.fired}
    assert {r.expectation for r in result.rows if r.kind == "nothing"} == opened
    assert any(r.kind == "wrong" for r in result.rows)  # the files offer wrong answers


def test_every_prohibited_item_is_caught_and_caution_acts_are_rated_u(table: Table) -> None:
    compiled, result = table
    assert [r for r in result.caught if r.problems] == []
    for row in result.caught:
        _, item = compiled.prohibited[row.prohibited]
        if row.caught and (item.caution or item.severity == "critical"):
            assert row.rating == "U", row


def test_a_prohibited_swap_is_never_judged_an_answer(table: Table) -> None:
    _, result = table
    for row in result.rows:
        if row.kind == "prohibited" and row.caught:
            assert not row.problems


def test_the_rogue_bot_is_caught_every_time_it_tries_an_armed_prohibited_act(table: Table) -> None:
    """Point 9: seeded, the rogue tries prohibited options and wrong parameters; each
    attempt made while its item is armed must be caught."""
    from drills.library.calibrate import calibrate

    compiled, _ = table
    result = calibrate(compiled, 10, bot="rogue")
    assert sum(item.tried for item in result.prohibited) > 0
    for item in result.prohibited:
        assert item.caught == item.tried, item
    assert result.ratings["P"] == 0  # trying forbidden acts never earns the top rating
