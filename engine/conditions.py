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

from engine.fields import Identifier, Number, Scalar, Strict

Outcome = Literal["met", "late", "partly", "missed", "done", "pending"]
OUTCOMES: tuple[Outcome, ...] = ("met", "late", "partly", "missed", "done", "pending")
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
    lt: Number | None = Field(default=None, alias="<")
    le: Number | None = Field(default=None, alias="<=")
    gt: Number | None = Field(default=None, alias=">")
    ge: Number | None = Field(default=None, alias=">=")

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
    """What conditions can see: the engine updates this as the drill runs.

    Decisions are also indexed by action and by (action, parameter, value), so asking
    "was this done?" looks at the few decisions that could match, not at all of them:
    a long drill would otherwise slow down with every decision it records.
    """

    outcomes: dict[str, str] = field(default_factory=dict)
    fired: set[str] = field(default_factory=set)
    actions: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    state: dict[str, Any] = field(default_factory=dict)
    # The indexes: derived from ``actions``, so neither compared, shown nor given.
    _indexed: int = field(default=0, init=False, repr=False, compare=False)
    _by_action: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _by_param: dict[tuple[str, str, Any], list[tuple[str, dict[str, Any]]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def done(self, action: str, role: str | None, params: Mapping[str, Any]) -> bool:
        """Whether an accepted decision did ``action`` (by ``role``, with ``params``)."""
        self._index_new_actions()
        return any(
            (role is None or done_by == role) and all(given.get(k) == v for k, v in params.items())
            for done_by, given in self._candidates(action, params)
        )

    def _candidates(
        self, action: str, params: Mapping[str, Any]
    ) -> list[tuple[str, dict[str, Any]]]:
        """The decisions of ``action`` that have the first asked parameter's value."""
        first = next(iter(params.items()), None)
        if first is not None:
            try:
                return self._by_param.get((action, *first), [])
            except TypeError:  # an unhashable value: look at every decision of the action
                pass
        return self._by_action.get(action, [])

    def _index_new_actions(self) -> None:
        """Index decisions appended to ``actions`` since the last question."""
        for role, action, params in self.actions[self._indexed :]:
            entry = (role, params)
            self._by_action.setdefault(action, []).append(entry)
            for key, value in params.items():
                try:
                    self._by_param.setdefault((action, key, value), []).append(entry)
                except TypeError:
                    continue
        self._indexed = len(self.actions)


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
        return facts.done(cond.action, cond.role, cond.params)
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


# A fact a condition can read: ("outcome", E), ("fired", I), ("action", A), ("state", K),
# and finer ones a change also announces: ("action", A, param, value) for each parameter
# of a decision, ("state", K, value) for the value a state key takes.
Fact = tuple[Any, ...]


def explain(cond: Condition, facts: Facts) -> tuple[bool, list[Fact]]:
    """The value of ``cond`` and the facts it depends on *now*: only a change to one of
    them can change it (none: it is settled for the rest of the drill).

    A false ``all`` depends on its first false member alone, a true ``any`` on its first
    true one; a false ``state ==`` waits for that value and a false ``action`` with
    parameters for a decision with its first one; what has happened (a delivery, a
    decision, a final outcome) stays happened. So an engine re-evaluates a waiting
    condition only when it may have turned, however long the drill.
    """
    if isinstance(cond, (AllCond, AnyCond)):
        members = cond.all if isinstance(cond, AllCond) else cond.any
        decisive = not isinstance(cond, AllCond)  # the member value that settles it
        reasons: list[Fact] = []
        for member in members:
            value, why = explain(member, facts)
            if value == decisive:
                return value, why
            reasons += why
        return not decisive, reasons
    if isinstance(cond, NotCond):
        value, why = explain(cond.not_, facts)
        return not value, why
    value = evaluate(cond, facts)
    fact = _fact_of(cond, value, facts)
    return value, [] if fact is None else [fact]


_FINAL = ("met", "late", "partly", "missed")


def _fact_of(cond: Condition, value: bool, facts: Facts) -> Fact | None:
    """The fact whose change could change this atom's ``value``; None once it cannot."""
    if isinstance(cond, OutcomeCond):
        if facts.outcomes.get(cond.expectation) in _FINAL:
            return None
        return ("outcome", cond.expectation)
    if isinstance(cond, FiredCond):
        return None if value else ("fired", cond.fired)
    if isinstance(cond, ActionCond):
        first = next(iter(cond.params.items()), None)
        if value:
            return None
        return ("action", cond.action) if first is None else ("action", cond.action, *first)
    if isinstance(cond, StateCond):
        if not value and cond.op == "==":
            return ("state", cond.state, cond.value)
        return ("state", cond.state)
    raise TypeError(f"not an atom: {cond!r}")


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
