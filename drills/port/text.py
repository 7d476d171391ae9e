"""Text a participant typed, checked before it is stored or shown.

Consoles draw names and notes literally (never as markup), but a terminal still obeys
control characters: an ESC sequence in a name would recolour, move the cursor or retitle
the trainer's terminal, and bidirectional overrides (U+202E …) make text read differently
from what it is. So participant text with them is refused where it enters (the gateway,
the CLI), and ``printable`` makes any that slipped into old records visible and inert.
"""

from __future__ import annotations

import unicodedata

ALLOWED_CONTROLS = {"\n", "\t"}
# Bidirectional embeddings, overrides and isolates (the "Trojan source" characters).
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


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
