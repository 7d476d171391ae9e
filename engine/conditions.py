"""Branch conditions as structured data.

A scenario branches on what happened (an expectation met, late or missed; an inject
delivered; an action taken) and on the tracked state (water level, complainants). These
are plain YAML mappings with exactly one key each, so a scenario file can never run code:

    when: {all: [{missed: E-activate}, {state: water_level, ">=": 35.5}]}

Evaluation is a pure function of a ``Facts`` snapshot, which the engine keeps up to date.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from engine.fields import Identifier, Strict

Outcome = Literal["met", "late", "partly", "missed", "done", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("met", "late", "partly", "missed", "done", "pending")
Scalar = Union[int, float, str, bool]
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")


class OutcomeCond(Strict):
    """True when an expectation has reached its final outcome (``done`` = met or late).

    A partly right answer stays open until the hard limit (it may still be corrected), so
    ``partly`` holds only once that answer is final; until then the expectation is pending.
    """

    met: Identifier | None = None
    late: Identifier | None = None
    partly: Identifier | None = None
    missed: Identifier | None = None
    done: Identifier | None = None
    pending: Identifier | None = None

    @model_validator(mode="after")
    def _one_key(self) -> OutcomeCond:
        keys = [k for k in OUTCOMES if getattr(self, k)]
        if len(keys) != 1:
            raise ValueError("write exactly one of met/late/partly/missed/done/pending")
        return self

    @property
    def outcome(self) -> Outcome:
        for key in OUTCOMES:
            if getattr(self, key):
                return key
        raise AssertionError("validated to have one key")

    @property
    def expectation(self) -> str:
        value = getattr(self, self.outcome)
        assert isinstance(value, str)
        return value


class FiredCond(Strict):
    """True once the named inject has been delivered."""

    fired: Identifier


class ActionCond(Strict):
    """True once an accepted decision used this action (optionally with these parameters)."""

    action: Identifier
    role: Identifier | None = None
    params: dict[str, Scalar] = Field(default_factory=dict)


class StateCond(Strict):
    """Compare a tracked state value, e.g. ``{state: water_level, ">=": 35.5}``."""

    state: Identifier
    eq: Scalar | None = Field(default=None, alias="==")
    ne: Scalar | None = Field(default=None, alias="!=")
    lt: float | None = Field(default=None, alias="<")
    le: float | None = Field(default=None, alias="<=")
    gt: float | None = Field(default=None, alias=">")
    ge: float | None = Field(default=None, alias=">=")

    @model_validator(mode="after")
    def _one_comparison(self) -> StateCond:
        if len(self.comparisons()) != 1:
            raise ValueError(
                'write exactly one comparison: one of "==", "!=", "<", "<=", ">", ">="'
            )
        return self

    def comparisons(self) -> list[tuple[str, Scalar]]:
        pairs = zip(
            COMPARISONS,
            (self.eq, self.ne, self.lt, self.le, self.gt, self.ge),
            strict=True,
        )
        return [(op, value) for op, value in pairs if value is not None]

    @property
    def op(self) -> str:
        return self.comparisons()[0][0]

    @property
    def value(self) -> Scalar:
        return self.comparisons()[0][1]


class AllCond(Strict):
    all: list[Condition] = Field(min_length=1)


class AnyCond(Strict):
    any: list[Condition] = Field(min_length=1)


class NotCond(Strict):
    not_: Condition = Field(alias="not")


# Tags end in "-condition" so they never look like keys of the file in error locations.
_TAGS = {
    key: f"{kind}-condition"
    for key, kind in (
        ("met", "outcome"),
        ("late", "outcome"),
        ("partly", "outcome"),
        ("missed", "outcome"),
        ("done", "outcome"),
        ("pending", "outcome"),
        ("fired", "fired"),
        ("action", "action"),
        ("state", "state"),
        ("all", "all"),
        ("any", "any"),
        ("not", "not"),
    )
}


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, Mapping):
        for key in value:
            if key in _TAGS:
                return _TAGS[key]
        return None
    if isinstance(value, Strict):
        kinds = {
            OutcomeCond: "outcome",
            FiredCond: "fired",
            ActionCond: "action",
            StateCond: "state",
            AllCond: "all",
            AnyCond: "any",
            NotCond: "not",
        }
        kind = kinds.get(type(value))
        return f"{kind}-condition" if kind else None
    return None


Condition = Annotated[
    Union[
        Annotated[OutcomeCond, Tag("outcome-condition")],
        Annotated[FiredCond, Tag("fired-condition")],
        Annotated[ActionCond, Tag("action-condition")],
        Annotated[StateCond, Tag("state-condition")],
        Annotated[AllCond, Tag("all-condition")],
        Annotated[AnyCond, Tag("any-condition")],
        Annotated[NotCond, Tag("not-condition")],
    ],
    Discriminator(
        _condition_tag,
        custom_error_type="condition_kind",
        custom_error_message=(
            "a condition needs one of: met, late, partly, missed, done, pending, fired, "
            "action, "
            "state, all, any, not"
        ),
    ),
]

AllCond.model_rebuild()
AnyCond.model_rebuild()
NotCond.model_rebuild()


@dataclass
class Facts:
    """What conditions can see: the engine updates this as the drill runs."""

    outcomes: dict[str, str] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    actions: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)


def compare(left: Any, op: str, right: Any) -> bool:
    """Compare a state value; values of different kinds compare unequal rather than raise."""
    if op == "==":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    numeric = (int, float)
    if isinstance(left, bool) or not isinstance(left, numeric) or not isinstance(right, numeric):
        return False
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def evaluate(cond: Condition, facts: Facts) -> bool:
    """Evaluate a condition against the current facts."""
    if isinstance(cond, OutcomeCond):
        outcome = facts.outcomes.get(cond.expectation)
        if cond.outcome == "done":
            return outcome in ("met", "late")
        if cond.outcome == "pending":
            return outcome == "pending"
        return outcome == cond.outcome
    if isinstance(cond, FiredCond):
        return cond.fired in facts.fired
    if isinstance(cond, ActionCond):
        return any(
            action == cond.action
            and (cond.role is None or role == cond.role)
            and all(params.get(k) == v for k, v in cond.params.items())
            for role, action, params in facts.actions
        )
    if isinstance(cond, StateCond):
        if cond.state not in facts.state:
            return False
        return compare(facts.state[cond.state], cond.op, cond.value)
    if isinstance(cond, AllCond):
        return all(evaluate(c, facts) for c in cond.all)
    if isinstance(cond, AnyCond):
        return any(evaluate(c, facts) for c in cond.any)
    if isinstance(cond, NotCond):
        return not evaluate(cond.not_, facts)
    raise TypeError(f"unknown condition {cond!r}")


def walk(cond: Condition) -> list[Condition]:
    """Every condition node in the tree, the root first."""
    nodes: list[Condition] = [cond]
    if isinstance(cond, AllCond):
        for child in cond.all:
            nodes.extend(walk(child))
    elif isinstance(cond, AnyCond):
        for child in cond.any:
            nodes.extend(walk(child))
    elif isinstance(cond, NotCond):
        nodes.extend(walk(cond.not_))
    return nodes


def walk_paths(
    cond: Condition, path: tuple[str | int, ...] = ()
) -> list[tuple[Condition, tuple[str | int, ...]]]:
    """Every node with its key path inside the condition, for positioned messages."""
    nodes: list[tuple[Condition, tuple[str | int, ...]]] = [(cond, path)]
    if isinstance(cond, AllCond):
        for i, child in enumerate(cond.all):
            nodes.extend(walk_paths(child, (*path, "all", i)))
    elif isinstance(cond, AnyCond):
        for i, child in enumerate(cond.any):
            nodes.extend(walk_paths(child, (*path, "any", i)))
    elif isinstance(cond, NotCond):
        nodes.extend(walk_paths(cond.not_, (*path, "not")))
    return nodes
