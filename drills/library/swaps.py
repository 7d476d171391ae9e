"""The swap table: what each wrong answer to each expectation would have earned.

For every expectation a scenario opens in an ideal run, replay the ideal drill with that one
decision swapped: for nothing, for each prohibited variant, for each wrong-parameter
variant. Two invariants make a judgement a reviewer can sign:

- a prohibited variant scores no higher (and is rated no better) than nothing, and a
  critical one is rated U;
- a wrong-parameter variant never fires a success branch, nor is judged met or late.

Separately, every prohibited item is committed once, right after it is armed, by a role
allowed to take that action: each must be caught, and a critical one rates the drill U.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.bots import SwapBot
from engine.compiled import CompiledScenario
from engine.events import Decision, Event, Kind
from engine.runner import Bot, PlannedDecision, Runner
from engine.runtime import DrillEngine
from engine.variants import (
    Variant,
    fill_params,
    prohibited_variants,
    success_injects,
    wrong_variants,
)
from scoring.profile import DEFAULT_PROFILE, RATINGS
from scoring.score import DrillScore, score_drill


@dataclass(frozen=True)
class Run:
    score: float
    rating: str
    status: str  # the swapped expectation's outcome
    by_swap: bool  # whether the swapped decision itself gave that outcome
    fired: frozenset[str]
    commissions: tuple[str, ...]


@dataclass
class SwapRow:
    expectation: str
    kind: str  # nothing | prohibited | wrong
    variant: str
    score: float
    rating: str
    status: str
    caught: bool
    problems: list[str] = field(default_factory=list)


@dataclass
class CaughtRow:
    prohibited: str
    severity: str
    armed_at: int | None
    caught: bool
    rating: str
    problems: list[str] = field(default_factory=list)


@dataclass
class SwapTable:
    scenario: str
    ideal: Run
    rows: list[SwapRow]
    caught: list[CaughtRow]

    @property
    def violations(self) -> int:
        return sum(bool(r.problems) for r in self.rows) + sum(bool(r.problems) for r in self.caught)


def _play(compiled: CompiledScenario, bots: list[Bot]) -> tuple[list[Event], DrillScore]:
    engine = DrillEngine(compiled, seed=0)
    Runner(engine, bots).run_to_end()
    return engine.events, score_drill(compiled, engine.events, DEFAULT_PROFILE)


def _run(
    compiled: CompiledScenario, swaps: dict[str, Variant | None], expectation: str | None
) -> Run:
    roles = [r.id for r in compiled.plan.roles]
    events, score = _play(compiled, [SwapBot(roles, swaps)])
    result = next((e for e in score.expectations if e.id == expectation), None)
    swapped = swaps.get(expectation or "")
    answered_by = events[result.decision_seq - 1] if result and result.decision_seq else None
    by_swap = bool(
        swapped
        and answered_by is not None
        and (answered_by.data["role"], answered_by.data["params"]) == (swapped.role, swapped.params)
    )
    return Run(
        score.score,
        score.rating,
        result.status if result else "not opened",
        by_swap,
        frozenset(e.data["inject"] for e in events if e.kind == Kind.INJECT_DELIVERED),
        tuple(e.data["prohibited"] for e in events if e.kind == Kind.COMMISSION),
    )


def _rank(rating: str) -> int:
    return RATINGS.index(rating)


def swap_rows(compiled: CompiledScenario, ideal: Run) -> list[SwapRow]:
    rows = []
    for spec in compiled.expectations.values():
        if not any(spec.inject == i for i in ideal.fired):
            continue
        nothing = _run(compiled, {spec.id: None}, spec.id)
        rows.append(
            SwapRow(spec.id, "nothing", "—", nothing.score, nothing.rating, nothing.status, False)
        )
        for variant in prohibited_variants(compiled, spec):
            run = _run(compiled, {spec.id: variant}, spec.id)
            caught = variant.label in run.commissions
            row = SwapRow(
                spec.id, "prohibited", variant.label, run.score, run.rating, run.status, caught
            )
            if caught and (run.score > nothing.score or _rank(run.rating) > _rank(nothing.rating)):
                row.problems.append("a prohibited variant beats doing nothing")
            if caught and run.by_swap and run.status in ("met", "late", "partly"):
                row.problems.append("a prohibited decision answered the expectation")
            rows.append(row)
        success = set(success_injects(compiled, spec.id))
        for variant in wrong_variants(compiled, spec):
            run = _run(compiled, {spec.id: variant}, spec.id)
            row = SwapRow(spec.id, "wrong", variant.label, run.score, run.rating, run.status, False)
            fired = sorted((success & run.fired) - nothing.fired)
            if fired:
                row.problems.append(f"success branch fired: {', '.join(fired)}")
            if run.by_swap and run.status in ("met", "late"):
                row.problems.append(f"a wrong parameter was judged {run.status}")
            rows.append(row)
    return rows


class _CommitOnce(Bot):
    """Commits a prohibited act right after the inject that arms it (or at second 1).

    An item with a ``when`` is armed only while a fact holds: the act is tried a second
    after every inject from then on, until the engine catches it once."""

    def __init__(self, item_id: str, role: str, decision: Decision, inject: str | None) -> None:
        self.item_id = item_id
        self.roles = frozenset([role])
        self.decision = decision
        self.inject = inject
        self.armed = False
        self.caught = False
        self.conditional = False

    def observe(self, event: Event, engine: DrillEngine) -> list[PlannedDecision]:
        if event.kind == Kind.COMMISSION and event.data["prohibited"] == self.item_id:
            self.caught = True
        if self.caught or (self.armed and not self.conditional):
            return []
        arming = (self.inject is None and event.kind == Kind.DRILL_STARTED) or (
            event.kind == Kind.INJECT_DELIVERED and event.data["inject"] == self.inject
        )
        if not arming and not (self.armed and event.kind == Kind.INJECT_DELIVERED):
            return []
        self.armed = True
        self.conditional = engine.compiled.prohibited[self.item_id][1].when is not None
        return [PlannedDecision(event.t + 1, 0, self.decision, lambda: not self.caught)]


def caught_rows(compiled: CompiledScenario, ideal: Run) -> list[CaughtRow]:
    plan = compiled.plan
    roles = [r.id for r in plan.roles]
    rows = []
    for item_id, (inject_id, item) in compiled.prohibited.items():
        action = plan.action(item.action)
        doers = [r for r in (action.roles if action else []) if item.role in (None, r)]
        if action is None or not doers:
            continue
        if inject_id is not None and inject_id not in ideal.fired:
            rows.append(CaughtRow(item_id, item.severity, None, False, "—", ["never armed"]))
            continue
        decision = Decision(doers[0], item.action, fill_params(plan, action, dict(item.params)))
        events, score = _play(
            compiled, [SwapBot(roles, {}), _CommitOnce(item_id, doers[0], decision, inject_id)]
        )
        caught = any(e.kind == Kind.COMMISSION and e.data["prohibited"] == item_id for e in events)
        armed_at = next(
            (
                e.t
                for e in events
                if inject_id is None
                or (e.kind == Kind.INJECT_DELIVERED and e.data["inject"] == inject_id)
            ),
            None,
        )
        row = CaughtRow(item_id, item.severity, armed_at, caught, score.rating)
        if caught and item.severity == "critical" and score.rating != "U":
            row.problems.append("a critical prohibited act is not rated U")
        if caught and item.severity == "major" and _rank(score.rating) > _rank("M"):
            row.problems.append("a major prohibited act is rated above M")
        if not caught and item.when is None:
            row.problems.append("not caught when committed right after it was armed")
        if not caught and item.caution:
            row.problems.append("a caution act the drill never catches")
        rows.append(row)
    return rows


def swap_table(compiled: CompiledScenario) -> SwapTable:
    """The table under the default rubric (the invariants are the rubric's)."""
    ideal = _run(compiled, {}, None)
    return SwapTable(
        compiled.scenario.id, ideal, swap_rows(compiled, ideal), caught_rows(compiled, ideal)
    )


def render(table: SwapTable) -> list[str]:
    lines = [
        f"{table.scenario}: ideal {table.ideal.score:.1f} {table.ideal.rating}",
        f"{'expectation':<28} {'swap':<10} {'variant':<34} {'score':>6} rating status   caught",
    ]
    for row in table.rows:
        flag = "  VIOLATION: " + "; ".join(row.problems) if row.problems else ""
        lines.append(
            f"{row.expectation:<28} {row.kind:<10} {row.variant:<34} {row.score:6.1f} "
            f"{row.rating:<6} {row.status:<8} {'yes' if row.caught else '-':<6}{flag}"
        )
    lines.append("")
    lines.append(f"{'prohibited item':<34} {'severity':<9} {'armed at':>8} caught rating")
    for item in table.caught:
        flag = "  VIOLATION: " + "; ".join(item.problems) if item.problems else ""
        armed = "—" if item.armed_at is None else str(item.armed_at)
        lines.append(
            f"{item.prohibited:<34} {item.severity:<9} {armed:>8} "
            f"{'yes' if item.caught else 'no':<6} {item.rating}{flag}"
        )
    lines.append(f"violations: {table.violations}")
    return lines
