"""A file that validates never crashes a drill, and its ideal run scores exactly 100.

10,000 seeded variants of the shipped plans and scenarios (``tests/mutations.py``): each
is refused with diagnostics at nodes of its files, or played headless by the ideal bot
to a finite score of exactly 100.0 (P). Run ``python -m tests.mutations --seed N`` to
look further than CI does.
"""

from __future__ import annotations

import pytest

from tests import mutations

VARIANTS = 10_000
SEED = 12


@pytest.mark.slow
def test_every_variant_is_refused_at_a_node_or_plays_to_100() -> None:
    tally = mutations.run(VARIANTS, SEED)
    print(tally.summary())  # the figures, with -s
    assert tally.failures == [], "\n".join(tally.failures[:10])
    assert tally.variants == VARIANTS
    assert tally.exceptions == tally.non_finite == tally.not_100 == tally.unpositioned == 0
    # Both sides of the invariant are exercised, not just refusals.
    assert tally.refused > VARIANTS // 2
    assert tally.played > VARIANTS // 10


def test_the_same_seed_makes_the_same_variants() -> None:
    bases = mutations.shipped_bases()
    first = [what for _, what in mutations.variants(bases, 200, SEED)]
    assert first == [what for _, what in mutations.variants(bases, 200, SEED)]
    assert len(set(first)) > 150


def test_a_variant_shares_what_it_did_not_change() -> None:
    [base] = [b for b in mutations.shipped_bases() if b.name == "river-crest"]
    variant = mutations.Variant(base, {k: doc.data for k, doc in base.docs.items()})
    variant.set("scenario", ("injects", 3, "at"), 0)
    assert variant.data["scenario"]["injects"][3]["at"] == 0
    assert base.docs["scenario"].data["injects"][3]["at"] != 0
    assert variant.data["scenario"]["injects"][4] is base.docs["scenario"].data["injects"][4]
    mixed = variant.for_validation("scenario")
    assert mixed["injects"][3] is variant.data["scenario"]["injects"][3]  # checked again
    assert mixed["injects"][4] is base.models["scenario"].injects[4]  # type: ignore[attr-defined]
