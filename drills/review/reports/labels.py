"""The report's words: the one label table (``drills.port.labels``), and scenario text."""

from __future__ import annotations

from drills.port.labels import label


def t(key: str, lang: str) -> str:
    """A label of the one table in ``lang``."""
    return label(key, lang)


def pick(text: dict[str, str] | None, lang: str) -> str:
    if not text:
        return ""
    return text.get(lang) or text.get("en") or next(iter(text.values()))
