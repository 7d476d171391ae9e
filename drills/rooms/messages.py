"""The gateway's wire protocol as types: one request or reply class per message.

On the wire each is one JSON object per line, with ``op`` naming the request. Requests
are parsed here, once, with their limits; the gateway and the client never read raw
dicts. A request that does not parse is refused with a reason, never a traceback.

A connection starts with the handshake (``Hello`` → ``Challenge`` → ``Prove``): fixed-size
hex fields, lines of at most ``MAX_HELLO_LINE`` bytes; nothing else is taken before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from drills.port.clock import ClockState
from drills.port.text import MAX_NAME, name_problem, unsafe_characters
from engine.fields import playable
from engine.params import hidden_characters

MAX_LINE = 1 << 20  # a request larger than this is refused, not buffered
MAX_NOTE = 4000  # characters in a decision's note or a self-assessment
MAX_SEQ = 1 << 62  # poll positions beyond this are nonsense
MAX_PARAMS = 32  # parameters in one decision
MAX_HELLO_LINE = 1024  # bytes of a line before the seat token is proven
HEX_ID = 32  # hex characters of a seat id
HEX_NONCE = 64  # hex characters of a nonce
HEX_PROOF = 64  # hex characters of a proof (HMAC-SHA256)


class ProtocolError(ValueError):
    """A request the gateway cannot take, with the reason sent back."""


# -- the handshake: before anything else, each side proves it holds the seat's key ---------


@dataclass(frozen=True)
class Hello:
    """A client's first line: which key it will prove with (``seat``, a public id) and
    its random challenge for the host."""

    seat: str
    nonce: str


@dataclass(frozen=True)
class Challenge:
    """The host's answer to a hello: its proof over the client's nonce, and its own
    nonce for the client to answer."""

    nonce: str
    proof: str


@dataclass(frozen=True)
class Prove:
    """The client's proof over both nonces."""

    proof: str


def _hex(raw: dict[str, Any], key: str, length: int) -> str:
    value = raw.get(key)
    if (
        not isinstance(value, str)
        or len(value) != length
        or not all(c in "0123456789abcdef" for c in value)
    ):
        raise ProtocolError(f"{key} must be {length} hex digits")
    return value


def parse_hello(raw: object) -> Hello:
    """The first line of a connection (ProtocolError: anything else is refused)."""
    if not isinstance(raw, dict) or raw.get("op") != "hello":
        raise ProtocolError(
            "this drill is joined with a seat token: the console proves it holds one "
            "before anything else (ask the trainer for yours)"
        )
    return Hello(_hex(raw, "seat", HEX_ID), _hex(raw, "nonce", HEX_NONCE))


def parse_challenge(raw: object) -> Challenge:
    if not isinstance(raw, dict) or raw.get("ok") is not True:
        raise ProtocolError("not a challenge")
    return Challenge(_hex(raw, "nonce", HEX_NONCE), _hex(raw, "proof", HEX_PROOF))


def parse_prove(raw: object) -> Prove:
    if not isinstance(raw, dict) or raw.get("op") != "prove":
        raise ProtocolError("prove the seat token first")
    return Prove(_hex(raw, "proof", HEX_PROOF))


def hello_to_wire(hello: Hello) -> dict[str, Any]:
    return {"op": "hello", "seat": hello.seat, "nonce": hello.nonce}


def challenge_to_wire(challenge: Challenge) -> dict[str, Any]:
    return {"ok": True, "nonce": challenge.nonce, "proof": challenge.proof}


def prove_to_wire(prove: Prove) -> dict[str, Any]:
    return {"op": "prove", "proof": prove.proof}


# -- requests ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Roles:
    """Which roles of drill ``code`` are free (asked before joining)."""

    code: str


@dataclass(frozen=True)
class Join:
    code: str
    role: str
    name: str


@dataclass(frozen=True)
class Poll:
    after: int


@dataclass(frozen=True)
class Submit:
    key: str | None
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    note: str = ""


@dataclass(frozen=True)
class Results:
    pass


@dataclass(frozen=True)
class SelfAssessment:
    text: str


@dataclass(frozen=True)
class ReportHtml:
    lang: str


Request = Roles | Join | Poll | Submit | Results | SelfAssessment | ReportHtml


def _text(raw: dict[str, Any], key: str, limit: int, *, required: bool = True) -> str:
    value = raw.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ProtocolError(f"{key} must be text")
    value = value.strip()
    if required and not value:
        raise ProtocolError(f"{key} is missing")
    if len(value) > limit:
        raise ProtocolError(f"{key} is longer than {limit} characters")
    bad = unsafe_characters(value)
    if bad:
        raise ProtocolError(f"{key} holds control characters ({', '.join(bad)}): type plain text")
    return value


# What a plan's ids look like (engine.fields.Identifier), and the tokens a console makes
# (drill codes, idempotency keys): no space, no newline, nothing a terminal obeys.
IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}")
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")


def _id(raw: dict[str, Any], key: str, pattern: re.Pattern[str]) -> str:
    """An id field: it names something of the plan or the drill, so it is an id or refused
    (a newline in an action id drew a second, forged line on the trainer's timeline)."""
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(f"{key} is missing")
    value = value.strip()  # as typed: " c1a38d11 " is the code
    if pattern.fullmatch(value) is None:
        raise ProtocolError(f"{key} must be an id (letters, digits, _ . -), not {value[:64]!r}")
    return value


def _int(raw: dict[str, Any], key: str, limit: int) -> int:
    value = raw.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
        raise ProtocolError(f"{key} must be a whole number from 0 to {limit}")
    return value


def _params(params: Any) -> dict[str, Any]:
    """A decision's parameters: a few named scalars. The plan judges their values; here
    only what no plan could take is refused, so it never reaches the journal: NaN and
    infinities (``NaN``/``Infinity`` parse as JSON in Python, and NaN passes every
    comparison), numbers beyond ±10^15, nested objects, very long names or texts."""
    if not isinstance(params, dict) or len(params) > MAX_PARAMS:
        raise ProtocolError(f"params must be an object of at most {MAX_PARAMS} entries")
    for name, value in params.items():
        if IDENTIFIER.fullmatch(name) is None:
            raise ProtocolError(f"a parameter's name must be an id, not {name[:64]!r}")
        if isinstance(value, str):
            if len(value) > MAX_NOTE:
                raise ProtocolError(f"parameter {name!r} is longer than {MAX_NOTE} characters")
            hidden = hidden_characters(value)
            if hidden:
                raise ProtocolError(
                    f"parameter {name!r} holds control or invisible characters "
                    f"({', '.join(hidden)}): type plain text"
                )
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if not playable(value):
                raise ProtocolError(f"parameter {name!r} must be a finite number within ±10^15")
        elif value is not None and not isinstance(value, bool):
            raise ProtocolError(f"parameter {name!r} must be text, a number, true or false")
    return params


def parse_request(raw: object) -> Request:
    """The typed request for one decoded JSON line (ProtocolError: what is wrong)."""
    if not isinstance(raw, dict):
        raise ProtocolError("a request is a JSON object")
    op = raw.get("op")
    if op == "roles":
        return Roles(_id(raw, "code", TOKEN))
    if op == "join":
        name = _text(raw, "name", MAX_NAME)
        problem = name_problem(name)
        if problem:
            raise ProtocolError(problem)
        return Join(_id(raw, "code", TOKEN), _id(raw, "role", IDENTIFIER), name)
    if op == "poll":
        return Poll(_int(raw, "after", MAX_SEQ))
    if op == "submit":
        key = _id(raw, "key", TOKEN) if raw.get("key") not in (None, "") else None
        params = raw.get("params")
        return Submit(
            key,
            _id(raw, "action", IDENTIFIER),
            {} if params is None else _params(params),
            _text(raw, "note", MAX_NOTE, required=False),
        )
    if op == "results":
        return Results()
    if op == "note":
        return SelfAssessment(_text(raw, "text", MAX_NOTE))
    if op == "report":
        return ReportHtml("en" if raw.get("lang") == "en" else "zh")
    raise ProtocolError(f"unknown request {op!r}")


def to_wire(request: Request) -> dict[str, Any]:
    """The JSON object a client sends for ``request``."""
    if isinstance(request, Roles):
        return {"op": "roles", "code": request.code}
    if isinstance(request, Join):
        return {"op": "join", "code": request.code, "role": request.role, "name": request.name}
    if isinstance(request, Poll):
        return {"op": "poll", "after": request.after}
    if isinstance(request, Submit):
        data: dict[str, Any] = {"op": "submit", "action": request.action}
        data.update(params=request.params, note=request.note, key=request.key)
        return data
    if isinstance(request, Results):
        return {"op": "results"}
    if isinstance(request, SelfAssessment):
        return {"op": "note", "text": request.text}
    return {"op": "report", "lang": request.lang}


# -- replies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FreeRole:
    id: str
    name: dict[str, str]
    duties: dict[str, str] | None


@dataclass(frozen=True)
class Polled:
    """Events for the role after ``after``, the clock, and what is needed to draw them."""

    last: int
    clock: ClockState
    events: list[tuple[int, int, str, dict[str, Any]]]
    injects: dict[str, dict[str, Any]]
    expectations: dict[str, dict[str, Any]]

    def to_wire(self) -> dict[str, Any]:
        return {
            "ok": True,
            "last": self.last,
            "clock": self.clock.to_wire(),
            "events": [list(e) for e in self.events],
            "injects": self.injects,
            "expectations": self.expectations,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Polled:
        return cls(
            int(data["last"]),
            ClockState.from_wire(data["clock"]),
            [(int(s), int(t), str(k), dict(d)) for s, t, k, d in data["events"]],
            dict(data["injects"]),
            dict(data["expectations"]),
        )
