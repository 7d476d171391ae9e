"""Calibration: how hard is a scenario? Play N seeded bot drills and look at the scores.

Runs are headless and in memory (nothing is journaled), so a thousand take seconds.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from engine.bots import RogueBot, make_bot
from engine.compiled import CompiledScenario
from engine.events import Kind, canonical_json
from engine.runner import Runner
from engine.runtime import DrillEngine
from scoring.profile import DEFAULT_PROFILE, ScoringProfile
from scoring.score import score_drill


@dataclass(frozen=True)
class CatchRate:
    """How often a bot tried a prohibited item and how often the engine caught it."""

    id: str
    severity: str
    tried: int
    caught: int  # of the bot's attempts
    also: int = 0  # other decisions caught by the item (a right act at a wrong moment)

    @property
    def rate(self) -> str:
        return f"{100 * self.caught / self.tried:.0f}%" if self.tried else "not tried"


@dataclass
class Calibration:
    scores: list[float]
    ratings: Counter[str]
    seconds: float
    prohibited: list[CatchRate] = field(default_factory=list)

    def quantile(self, q: float) -> float:
        ordered = sorted(self.scores)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, object]:
        return {
            "runs": len(self.scores),
            "mean": round(statistics.fmean(self.scores), 2),
            "median": round(statistics.median(self.scores), 2),
            "p10": self.quantile(0.1),
            "p90": self.quantile(0.9),
            "ratings": {r: self.ratings.get(r, 0) for r in "PSMU"},
            "seconds": round(self.seconds, 3),
            "prohibited": [
                {
                    "id": c.id,
                    "severity": c.severity,
                    "tried": c.tried,
                    "caught": c.caught,
                    "also_caught": c.also,
                }
                for c in self.prohibited
            ],
        }


def calibrate(
    compiled: CompiledScenario,
    runs: int,
    *,
    bot: str = "novice",
    first_seed: int = 0,
    profile: ScoringProfile = DEFAULT_PROFILE,
) -> Calibration:
    roles = [r.id for r in compiled.plan.roles]
    scores: list[float] = []
    ratings: Counter[str] = Counter()
    start = time.perf_counter()
    tried: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    also: Counter[str] = Counter()
    for seed in range(first_seed, first_seed + runs):
        engine = DrillEngine(compiled, seed=seed)
        player = make_bot(bot, roles, seed)
        Runner(engine, [player]).run_to_end()
        result = score_drill(compiled, engine.events, profile)
        scores.append(result.score)
        ratings[result.rating] += 1
        attempted = player.attempted if isinstance(player, RogueBot) else {}
        if isinstance(player, RogueBot):
            tried.update(player.attempts)
        for event in engine.events:
            if event.kind != Kind.COMMISSION:
                continue
            decision = engine.events[event.data["decision"] - 1]
            key = (
                decision.t,
                decision.data["role"],
                decision.data["action"],
                canonical_json(decision.data["params"]),
            )
            item_id = event.data["prohibited"]
            if attempted.get(key) == item_id:
                caught[item_id] += 1
            else:
                also[item_id] += 1
    rates = [
        CatchRate(item_id, item.severity, tried[item_id], caught[item_id], also[item_id])
        for item_id, (_inject, item) in sorted(compiled.prohibited.items())
        if bot == "rogue" or caught[item_id] or also[item_id]
    ]
    return Calibration(scores, ratings, time.perf_counter() - start, rates)


def histogram(scores: list[float], width: int = 40) -> list[str]:
    """Ten bins of 10 points, drawn with block characters."""
    bins = [0] * 10
    for score in scores:
        bins[min(9, int(score // 10))] += 1
    peak = max(bins) or 1
    lines = []
    for i, count in enumerate(bins):
        bar = "█" * round(width * count / peak)
        label = f"{i * 10:>3}–{i * 10 + 9 if i < 9 else 100:<3}"
        lines.append(f"{label} {bar} {count}")
    return lines
