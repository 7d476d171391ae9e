"""Domain events and inputs: the only language between the engine and everything else.

The engine speaks in events (an inject delivered, a decision accepted or refused, an
expectation met, late or missed ...). The outside world speaks to it in inputs
(decisions, a trainer firing an inject or sending a hint, ending the drill). Both are
plain JSON-able records, so the journal can store them and a replay can compare them
byte for byte.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple


class Kind(StrEnum):
    DRILL_STARTED = "drill_started"
    INJECT_DELIVERED = "inject_delivered"
    STATE_CHANGED = "state_changed"
    DECISION_ACCEPTED = "decision_accepted"
    DECISION_REFUSED = "decision_refused"
    EXPECTATION_MET = "expectation_met"
    EXPECTATION_LATE = "expectation_late"
    # A decision with the right action but a wrong parameter: the expectation stays open
    # until its hard limit, so a later right decision can still correct it.
    ANSWER_PARTLY = "answer_partly"
    # The final outcome of an expectation whose best answer was partly right.
    EXPECTATION_PARTLY = "expectation_partly"
    EXPECTATION_OVERDUE = "expectation_overdue"
    EXPECTATION_MISSED = "expectation_missed"
    COMMISSION = "commission"
    HINT_SENT = "hint_sent"
    DRILL_ENDED = "drill_ended"


_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def canonical_json(data: Any) -> str:
    """One spelling per value, so equal streams are equal bytes."""
    return _CANONICAL.encode(data)


class Event(NamedTuple):
    """Something that happened at scenario second ``t``; ``seq`` orders the stream.

    A named tuple rather than a frozen dataclass: the engine makes one per event and a
    tuple is several times cheaper to build.
    """

    seq: int
    t: int
    kind: str
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "t": self.t, "kind": self.kind, "data": self.data}

    def to_json(self) -> str:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Event:
        return cls(int(raw["seq"]), int(raw["t"]), str(raw["kind"]), dict(raw["data"]))


@dataclass(frozen=True, slots=True)
class Decision:
    """A role takes an action: what a trainee submits and what a bot plays."""

    role: str
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    source: str = "human"
    participant: str | None = None
    key: str | None = None


@dataclass(frozen=True, slots=True)
class FireInject:
    """The trainer fires an inject now (if it has not fired yet)."""

    inject: str


@dataclass(frozen=True, slots=True)
class SendHint:
    """The trainer sends a hint to roles."""

    to: tuple[str, ...]
    text: str


@dataclass(frozen=True, slots=True)
class EndDrill:
    """The trainer ends the drill early."""

    reason: str = "ended by trainer"


Input = Decision | FireInject | SendHint | EndDrill


def input_to_dict(item: Input) -> dict[str, Any]:
    """Serialise an input for the journal."""
    if isinstance(item, Decision):
        return {
            "type": "decision",
            "role": item.role,
            "action": item.action,
            "params": item.params,
            "note": item.note,
            "source": item.source,
            "participant": item.participant,
            "key": item.key,
        }
    if isinstance(item, FireInject):
        return {"type": "fire_inject", "inject": item.inject}
    if isinstance(item, SendHint):
        return {"type": "hint", "to": list(item.to), "text": item.text}
    return {"type": "end", "reason": item.reason}


def input_from_dict(raw: dict[str, Any]) -> Input:
    kind = raw.get("type")
    if kind == "decision":
        return Decision(
            role=raw["role"],
            action=raw["action"],
            params=dict(raw.get("params") or {}),
            note=raw.get("note") or "",
            source=raw.get("source") or "human",
            participant=raw.get("participant"),
            key=raw.get("key"),
        )
    if kind == "fire_inject":
        return FireInject(raw["inject"])
    if kind == "hint":
        return SendHint(tuple(raw["to"]), raw["text"])
    if kind == "end":
        return EndDrill(raw.get("reason") or "ended by trainer")
    raise ValueError(f"unknown input type {kind!r}")
