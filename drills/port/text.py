"""Text a participant typed, checked before it is stored or shown.

Consoles draw names and notes literally (never as markup), but a terminal still obeys
control characters: an ESC sequence in a name would recolour, move the cursor or retitle
the trainer's terminal, and bidirectional overrides (U+202E …) make text read differently
from what it is. So participant text with them is refused where it enters (the gateway,
the CLI), and ``printable`` makes any that slipped into old records visible and inert.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

ALLOWED_CONTROLS = {"\n", "\t"}
# Bidirectional embeddings, overrides and isolates (the "Trojan source" characters).
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")
# The same characters at C speed: C0 but newline and tab, DEL and C1 (category Cc), bidi
# controls, surrogates (Cs). Clean text, nearly all of it, passes with one search.
UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


MAX_NAME = 80  # characters in a person's name (a participant, an author, a signer)
BOT_MARK = "bot:"  # a roster entry ``bot:<policy>`` is a role a bot played


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a person's name, or None. Beyond ``unsafe_characters``: one
    line (a newline would make one signature read as two signers on paper), no invisible
    format characters (a zero-width space makes "Alice Smith" a second, different signer)
    and at most ``MAX_NAME`` characters."""
    bad = unsafe_characters(value)
    if bad:
        return f"control characters are not allowed in a name ({', '.join(bad)})"
    hidden = [f"U+{ord(c):04X}" for c in value if c in "\n\t" or unicodedata.category(c) == "Cf"]
    if hidden:
        return f"a name is one line of visible characters ({', '.join(dict.fromkeys(hidden))})"
    if len(value) > MAX_NAME:
        return f"a name has at most {MAX_NAME} characters, not {len(value)}"
    if unicodedata.normalize("NFKC", value).casefold().lstrip().startswith(BOT_MARK):
        # the record files such a player as a bot: out of trends, an empty seat on the
        # trainer's roster
        return f"a name cannot start with {BOT_MARK!r}: it marks a role a bot played"
    return None


def site_problem(value: str) -> str | None:
    """Why ``value`` cannot name a site, or None: a name (``name_problem``) written one way
    only, as history and trends group by it ("county-a " or "ｃｏｕｎｔｙ-a" beside
    "county-a" would be another site that looks the same)."""
    problem = name_problem(value)
    if problem:
        return problem
    if not value.strip():
        return "a site name cannot be empty"
    if value != value.strip():
        return f"a site name cannot start or end with a space ({value!r})"
    folded = unicodedata.normalize("NFKC", value)
    if folded != value:
        return f"write the site name as {folded!r} (one spelling per site)"
    return None


def unsafe_characters(value: str) -> list[str]:
    """The characters of ``value`` a terminal would obey instead of showing them, named by
    code point (``U+001B`` for ESC)."""
    found = []
    for char in value:
        if char in ALLOWED_CONTROLS:
            continue
        if char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            found.append(f"U+{ord(char):04X}")
    return list(dict.fromkeys(found))


def printable(value: str) -> str:
    """``value`` with control and bidi characters replaced by visible placeholders."""
    if UNSAFE.search(value) is None:
        return value
    out = []
    for char in value:
        if char in ALLOWED_CONTROLS:
            out.append(char)
        elif ord(char) < 0x20:
            out.append(chr(0x2400 + ord(char)))  # ␛ for ESC: the Control Pictures block
        elif char in BIDI_CONTROLS or unicodedata.category(char) in ("Cc", "Cs"):
            out.append("\ufffd")
        else:
            out.append(char)
    return "".join(out)


def one_line(value: str) -> str:
    """``printable`` for a field that is one line on screen (an id, a parameter): its
    newline and tab shown as ␤ and ␉, so it cannot start a line of its own (a forged
    "✓ met" line under a refused decision on the trainer's timeline)."""
    return printable(value).replace("\n", "\u2424").replace("\t", "\u2409")


def json_escaped(text: str) -> str:
    """JSON text with its control and bidi characters written as ``\\uXXXX`` escapes: the
    same JSON (they only occur inside strings), inert in a terminal. JSON escapes C0 itself;
    not C1, bidi controls or surrogates."""
    return UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def players_text(players: Iterable[tuple[str, str]], bots: Iterable[str], bots_only: str) -> str:
    """Who played which role, ``李明 (commander), Wang (hydrology)``, shown literally; for
    a drill nobody played in person, ``<bots_only>: ideal``."""
    people = ", ".join(f"{one_line(name)} ({one_line(role)})" for name, role in players)
    kinds = sorted(set(bots))
    return people or (f"{bots_only}: {', '.join(kinds)}" if kinds else "—")
