"""Seat tokens: the secret a trainee holds for one role of a hosted drill, and the proofs
built on it. Pure: no sockets, no database.

A token reads ``<room>-<seat>``. The *room* part is shared by every seat of the drill
and only says where the drill is served: the gateway's socket name is derived from it
one way (``address_for``), so neither the drill code nor a token can be read from
``/proc/net/unix``. The *seat* part is the secret. Host and trainee both derive the
seat's key from the whole token (``SeatKey``); the host's database keeps that key and
never the token. The token itself never crosses the socket: each side proves it knows
the key by answering the other side's random nonce (``host_proof``, ``seat_proof``),
host first, so a trainee sends nothing to a process that is not the drill's host.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from drills.store.rooms import RoomError

ROOM_BYTES = 5  # 8 characters: only where the drill is served (its socket name)
SEAT_BYTES = 15  # 24 characters, 120 bits: the secret
NONCE_BYTES = 32
ID_CHARS = 32  # hex characters of a seat id
ENV_TOKEN = "DRILLHALL_SEAT_TOKEN"


class BadToken(RoomError):
    """A seat token that cannot be one (mistyped, cut, another program's string)."""


def _b32(raw: bytes) -> str:
    return base64.b32encode(raw).decode().rstrip("=").lower()


def new_room_part() -> str:
    return _b32(secrets.token_bytes(ROOM_BYTES))


def new_token(room: str) -> str:
    """A fresh token for one seat of the room ``room``."""
    return f"{room}-{_b32(secrets.token_bytes(SEAT_BYTES))}"


def normalize(token: str) -> str:
    """The token as typed, read forgivingly: case, spaces and a trailing newline do not
    matter (BadToken: it cannot be a token)."""
    cleaned = "".join(token.split()).lower()
    room, sep, seat = cleaned.partition("-")
    alphabet = set("abcdefghijklmnopqrstuvwxyz234567")
    if not sep or len(room) != 8 or len(seat) != 24 or not set(room + seat) <= alphabet:
        raise BadToken(
            "that is not a seat token: it reads like abcd2345-… (8 letters or digits, a "
            "dash, 24 more); ask the trainer for yours"
        )
    return f"{room}-{seat}"


def address_for(room: str) -> str:
    """The gateway's socket for the room part ``room``: on Linux an abstract name (nothing
    to clean up after a crash), else a socket file in the temp dir. The name is a one-way
    function of the room part: it holds neither the code nor the word drillhall."""
    name = _b32(hmac.new(room.encode(), b"drillhall room address v1", hashlib.sha256).digest())
    name = name[:26]
    if sys.platform.startswith("linux"):
        return f"\0{name}"
    return str(Path(tempfile.gettempdir()) / f"{name}.sock")


def seat_id(key: bytes) -> str:
    """The public name of a key, sent in the hello: it says which key to prove with and
    reveals nothing of it."""
    return hmac.new(key, b"seat id", hashlib.sha256).hexdigest()[:ID_CHARS]


@dataclass(frozen=True)
class SeatKey:
    """What both ends derive from a token: the key and its public id (and, on the
    trainee's side, the address the token leads to)."""

    key: bytes
    sid: str
    address: str

    @classmethod
    def from_token(cls, token: str) -> SeatKey:
        token = normalize(token)
        key = hmac.new(token.encode(), b"drillhall seat key v1", hashlib.sha256).digest()
        return cls(key, seat_id(key), address_for(token.partition("-")[0]))


def new_host_key() -> bytes:
    """The host's own key (never given out): lets the trainer's ``resume`` tell the live
    host from a squatter at the drill's address."""
    return secrets.token_bytes(32)


def new_nonce() -> str:
    return secrets.token_hex(NONCE_BYTES)


def _proof(key: bytes, side: bytes, sid: str, client: str, server: str) -> str:
    message = b"|".join((side, sid.encode(), client.encode(), server.encode()))
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def host_proof(key: bytes, sid: str, client_nonce: str, server_nonce: str) -> str:
    return _proof(key, b"host", sid, client_nonce, server_nonce)


def seat_proof(key: bytes, sid: str, client_nonce: str, server_nonce: str) -> str:
    return _proof(key, b"seat", sid, client_nonce, server_nonce)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
