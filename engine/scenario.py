"""The scenario (MSEL): timed, relative and conditional injects for one plan.

An inject fires at a time (``at``), after another inject or an expectation's outcome
(``after``), or when a condition first holds (``when``). When it fires it applies state
effects and opens expectations (plan rules, or inline ones), prohibited actions and hints.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from engine.conditions import Condition, Outcome
from engine.fields import (
    Compression,
    Duration,
    Identifier,
    Pair,
    PositiveDuration,
    Scalar,
    StartTime,
    Strict,
    Text,
    Weight,
)
from engine.plan import Clause, Criticality, Deadline, ParamValue, Prohibited, check_deadline

Channel = Literal[
    "phone",
    "sms",
    "email",
    "radio",
    "system",
    "media",
    "social",
    "meeting",
    "walk_in",
    "document",
    "hotline",
    "fax",
]
Family = Literal["flood", "cyber", "complaint", "other"]
StateValue = Scalar


class After(Strict):
    """Fire ``delay`` after an inject is delivered or an expectation reaches an outcome."""

    inject: Identifier | None = None
    expectation: Identifier | None = None
    outcome: Outcome | None = None
    delay: Duration = 0

    @model_validator(mode="after")
    def _one_anchor(self) -> After:
        if (self.inject is None) == (self.expectation is None):
            raise ValueError("after: name exactly one of inject or expectation")
        if self.inject is not None and self.outcome is not None:
            raise ValueError("after: outcome applies to an expectation, not an inject")
        if self.expectation is not None and self.outcome is None:
            raise ValueError(
                "after: an expectation anchor needs outcome: met|late|partly|missed|done"
            )
        if self.outcome == "pending":
            raise ValueError("after: outcome must be met, late, partly, missed or done")
        return self


class Effect(Strict):
    """Change tracked state: ``{set: water_level, value: 35.2}`` or ``{add: calls, value: 15}``."""

    set: Identifier | None = None
    add: Identifier | None = None
    value: StateValue

    @model_validator(mode="after")
    def _one_target(self) -> Effect:
        if (self.set is None) == (self.add is None):
            raise ValueError("an effect names exactly one of set or add")
        if self.add is not None and (
            isinstance(self.value, bool) or not isinstance(self.value, (int, float))
        ):
            raise ValueError("add needs a number")
        return self

    @property
    def key(self) -> str:
        key = self.set if self.set is not None else self.add
        assert key is not None
        return key


class Expectation(Strict):
    """An expected action: a plan rule (``rule:``) with optional overrides, or inline."""

    id: Identifier | None = None
    rule: Identifier | None = None
    title: Text | None = None
    role: Identifier | None = None
    substitutes: list[Identifier] | None = None
    action: Identifier | None = None
    params: dict[str, ParamValue] | None = None
    when: Condition | None = None
    deadline: Deadline | None = None
    grace: Duration | None = None
    hard_limit: Duration | None = None
    hard_deadline: bool | None = None
    criticality: Criticality | None = None
    weight: Weight | None = None
    capability: Identifier | None = None
    clause: Clause | None = None
    scored: bool | None = None

    _deadline = field_validator("deadline")(check_deadline)

    @model_validator(mode="after")
    def _rule_or_inline(self) -> Expectation:
        if self.rule is None:
            missing = [k for k in ("id", "role", "action", "title") if getattr(self, k) is None]
            if missing:
                raise ValueError("an inline expectation (no rule:) needs " + ", ".join(missing))
        return self

    @property
    def key(self) -> str:
        key = self.id or self.rule
        assert key is not None
        return key


class Hint(Strict):
    """Sent ``after`` the inject if its expectations (or ``unless`` ones) are still pending."""

    after: Duration
    text: Text
    to: list[Identifier] | None = None
    unless: list[Identifier] | None = None


class Inject(Strict):
    id: Identifier
    at: Duration | None = None
    after: After | None = None
    when: Condition | None = None
    delay: Duration = 0
    jitter: Duration = Field(
        default=0, description="Fire up to this much later, drawn from the drill's seed."
    )
    title: Text | None = None
    source: Text = Field(alias="from")
    to: list[Identifier] = Field(min_length=1)
    channel: Channel = "phone"
    text: Text
    background: Text | None = None
    provenance: list[str] = Field(
        default_factory=list,
        description="Where the author took this inject from (seed lines, proxies): shown to "
        "trainers and in the report's appendix, never to trainees.",
    )
    effects: list[Effect] = Field(default_factory=list)
    expects: list[Expectation] = Field(default_factory=list)
    prohibited: list[Prohibited] = Field(default_factory=list)
    precedence: list[Pair] = Field(default_factory=list)
    hints: list[Hint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_trigger(self) -> Inject:
        given = [k for k in ("at", "after", "when") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("an inject fires by exactly one of at, after or when")
        if self.delay and self.when is None:
            raise ValueError("delay belongs with when: (after: has its own delay)")
        return self


class Objective(Strict):
    id: Identifier
    text: Text
    capabilities: list[Identifier] = Field(default_factory=list)
    weight: Weight = 1.0


class Tracked(Strict):
    """How to show a state value: name and unit (e.g. 水位 m)."""

    key: Identifier
    name: Text
    unit: str | None = None
    scale: Identifier | None = None


class Scenario(Strict):
    id: Identifier
    version: str = "1"
    plan: Identifier
    family: Family
    title: Text
    summary: Text | None = None
    background: Text | None = None
    start: StartTime | None = None
    duration: PositiveDuration
    compression: Compression = 60.0
    objectives: list[Objective] = Field(default_factory=list)
    state: dict[Identifier, StateValue] = Field(default_factory=dict)
    tracked: list[Tracked] = Field(default_factory=list)
    injects: list[Inject] = Field(min_length=1)
    prohibited: list[Prohibited] = Field(default_factory=list)
    precedence: list[Pair] = Field(default_factory=list)

    def inject(self, inject_id: str) -> Inject | None:
        return next((i for i in self.injects if i.id == inject_id), None)
