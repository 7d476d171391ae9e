"""The emergency plan (应急预案): roles, scales, actions and rules.

A plan is encoded once and used by many scenarios. It is the source of truth for scoring:
a scenario's expectations point at plan rules, so owners and deadlines come from the plan
and every scored rule carries the clause (条款) it comes from.
"""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Literal, Union

from pydantic import Field, field_validator, model_validator

from engine.conditions import Condition
from engine.fields import Duration, Identifier, Number, Scalar, Strict, Text, Weight

Criticality = Literal["critical", "essential", "non_critical"]
Certainty = Literal[
    "verbatim-official",
    "restatement",
    "proxy",
    "later-doc",
    "practice",
    "seed",
    "unverified",
]
ParamValue = Scalar
Severity = Literal["minor", "major", "critical"]
IMMEDIATE = "immediate"
Deadline = Union[Literal["immediate"], Duration]


def check_deadline(value: Deadline | None) -> Deadline | None:
    """A deadline of 0 ends as the inject arrives: no answer could ever be on time."""
    if value == 0:
        raise ValueError(
            "a deadline of 0 can never be met; give at least 1s, 'immediate', or no deadline"
        )
    return value


class Role(Strict):
    """A plan role a trainee or bot can take (指挥长, 防汛办主任, 值班员 ...)."""

    id: Identifier
    name: Text
    duties: Text | None = None
    reports_to: Identifier | None = None


class Level(Strict):
    id: Identifier
    name: Text


class Scale(Strict):
    """An ordinal scale, listed from the lowest to the highest (Ⅳ, Ⅲ, Ⅱ, Ⅰ)."""

    id: Identifier
    name: Text
    levels: list[Level] = Field(min_length=2)

    def index(self, level_id: str) -> int:
        for i, level in enumerate(self.levels):
            if level.id == level_id:
                return i
        raise KeyError(level_id)

    def ids(self) -> list[str]:
        return [level.id for level in self.levels]


class Choice(Strict):
    id: Identifier
    name: Text


class Param(Strict):
    """A typed parameter of an action: a scale level, a choice, a role, a number or text."""

    id: Identifier
    name: Text
    type: Literal["scale", "choice", "role", "int", "number", "text", "bool"]
    scale: Identifier | None = None
    choices: list[Choice] = Field(default_factory=list)
    required: bool = True
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _typed(self) -> Param:
        if self.type == "scale" and not self.scale:
            raise ValueError("a 'scale' parameter names its scale: scale: <scale id>")
        if self.type != "scale" and self.scale:
            raise ValueError("only a parameter of type 'scale' can name a scale")
        if self.type == "choice" and not self.choices:
            raise ValueError("a 'choice' parameter lists its choices")
        if self.type != "choice" and self.choices:
            raise ValueError("only a parameter of type 'choice' can list choices")
        self._check_bounds()
        return self

    def _check_bounds(self) -> None:
        """Bounds that leave no value would refuse every decision, the right one too."""
        if self.min is None and self.max is None:
            return
        if self.type not in ("int", "number"):
            raise ValueError(
                f"only an int or number parameter has min/max, not a {self.type!r} one"
            )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"min ({self.min:g}) is above max ({self.max:g}): no value would be accepted"
            )
        if self.type == "int" and self.min is not None and self.max is not None:
            if math.ceil(self.min) > self.max:
                raise ValueError(
                    f"no whole number lies between min ({self.min:g}) and max ({self.max:g})"
                )


class Action(Strict):
    """Something a role can do; ``roles`` are the roles the plan authorises to do it."""

    id: Identifier
    name: Text
    roles: list[Identifier] = Field(min_length=1)
    params: list[Param] = Field(default_factory=list)
    description: Text | None = None
    sets: dict[Identifier, Identifier] = Field(
        default_factory=dict,
        description="State keys this action sets from its parameters: {state_key: param_id}.",
    )

    def param(self, param_id: str) -> Param | None:
        return next((p for p in self.params if p.id == param_id), None)


class Clause(Strict):
    """Where a rule comes from: the document, its clause and how certain the source is."""

    source: str = Field(min_length=1)
    ref: str = Field(min_length=1)
    quote: str | None = None
    certainty: Certainty


class RuleFields(Strict):
    """What is expected, by whom, how fast: shared by plan rules and inline expectations."""

    role: Identifier
    substitutes: list[Identifier] = Field(
        default_factory=list,
        description="Roles the plan explicitly allows to act for the owner (role_other credit).",
    )
    action: Identifier
    params: dict[str, ParamValue] = Field(default_factory=dict)
    when: Condition | None = Field(
        default=None,
        description="A fact of the situation the answer must fit, checked against the "
        "tracked state when the decision is made (not taken on the trainee's word).",
    )
    deadline: Deadline | None = Field(
        default=None,
        description="Seconds or a duration; 'immediate' for 立即/第一时间/迅速 (the scoring "
        "profile decides how many seconds that is).",
    )
    grace: Duration = 0
    hard_limit: Duration | None = None
    hard_deadline: bool = Field(
        default=False,
        description="The limit is absolute (最迟/不得超过): no credit after deadline + grace.",
    )
    criticality: Criticality = "essential"
    weight: Weight = 1.0
    capability: Identifier | None = None
    clause: Clause | None = None
    scored: bool = True

    _deadline = field_validator("deadline")(check_deadline)

    @model_validator(mode="after")
    def _limits(self) -> RuleFields:
        if self.hard_limit is not None and self.deadline is None:
            raise ValueError("hard_limit needs a deadline")
        if self.deadline == IMMEDIATE and self.hard_limit is not None:
            raise ValueError(
                "deadline: immediate takes its limits from the scoring profile; "
                "drop hard_limit (or set hard_deadline: true)"
            )
        if isinstance(self.deadline, int) and self.hard_limit is not None:
            if self.hard_limit < self.deadline + self.grace:
                raise ValueError("hard_limit must be at least deadline + grace")
        if self.scored and self.clause is None:
            raise ValueError(
                "a scored rule must cite its plan clause (clause:), or set scored: false"
            )
        return self


class Rule(RuleFields):
    """ "When X happens, role R does A within D" (trigger is described; injects invoke it)."""

    id: Identifier
    title: Text
    trigger: Text | None = None


class Prohibited(Strict):
    """An act that must not be taken while active (a commission if taken).

    In a plan or at the top of a scenario it is armed for the whole drill; in an inject,
    once that inject fires. ``when`` arms it only while a fact of the situation holds
    (e.g. sending people into a site whose power is still on).
    """

    id: Identifier
    action: Identifier
    role: Identifier | None = None
    params: dict[str, ParamValue] = Field(default_factory=dict)
    when: Condition | None = None
    severity: Severity
    caution: bool = Field(
        default=False,
        description="Illegal, or flagged CAUTION by the sources (paid post deletion, "
        "suppressing coverage, denying an incident): must be critical.",
    )
    reason: Text
    clause: Clause | None = None
    capability: Identifier | None = None

    @model_validator(mode="after")
    def _caution_is_critical(self) -> Prohibited:
        if self.caution and self.severity != "critical":
            raise ValueError("an act flagged caution: true is always severity: critical")
        return self


class Capability(Strict):
    id: Identifier
    name: Text


class Plan(Strict):
    """An emergency plan encoded for drills."""

    id: Identifier
    version: str = Field(min_length=1)
    title: Text
    issuer: Text | None = None
    sources: list[str] = Field(default_factory=list)
    notes: Text | None = None
    roles: list[Role] = Field(min_length=1)
    scales: list[Scale] = Field(default_factory=list)
    capabilities: list[Capability] = Field(default_factory=list)
    actions: list[Action] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    prohibited: list[Prohibited] = Field(
        default_factory=list,
        description="Acts that are always wrong under this plan, armed for every drill.",
    )

    @cached_property
    def _index(self) -> dict[str, dict[str, Any]]:
        """Lookups by id (the first of duplicates wins; cross-checks report duplicates)."""
        index: dict[str, dict[str, Any]] = {"role": {}, "action": {}, "rule": {}, "scale": {}}
        for kind, items in (
            ("role", self.roles),
            ("action", self.actions),
            ("rule", self.rules),
            ("scale", self.scales),
        ):
            for item in items:
                index[kind].setdefault(item.id, item)
        return index

    def role(self, role_id: str) -> Role | None:
        found: Role | None = self._index["role"].get(role_id)
        return found

    def action(self, action_id: str) -> Action | None:
        found: Action | None = self._index["action"].get(action_id)
        return found

    def rule(self, rule_id: str) -> Rule | None:
        found: Rule | None = self._index["rule"].get(rule_id)
        return found

    def scale(self, scale_id: str) -> Scale | None:
        found: Scale | None = self._index["scale"].get(scale_id)
        return found

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "title": self.title.model_dump(),
        }
