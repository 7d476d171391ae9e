"""The consoles' language: chosen once, at start-up, and applied to the one label table
(``drills.port.labels``, shared with the CLI and the reports)."""

from __future__ import annotations

from drills.port.labels import BOTS, CHANNELS, LABELS, LONG, RATINGS_ZH, UNITS
from drills.port.text import printable

__all__ = ["BOTS", "CHANNELS", "LABELS", "LONG", "RATINGS_ZH", "UNITS"]

_LANG = "zh"


def long_label(key: str) -> str:
    """What a binding written with label ``key`` does, in full."""
    return _(LONG.get(key, key)) if key in LABELS else key


def set_language(lang: str) -> None:
    global _LANG
    _LANG = "zh" if lang == "zh" else "en"


def language() -> str:
    return _LANG


def _(key: str) -> str:
    zh, en = LABELS[key]
    return zh if _LANG == "zh" else en


def channel(name: str) -> str:
    zh, en = CHANNELS.get(name, (name, name))
    return zh if _LANG == "zh" else en


def unit(name: str | None) -> str:
    """A tracked figure's unit in the console's language ("" for none)."""
    if not name:
        return ""
    zh, en = UNITS.get(name, (name, name))
    return printable(zh if _LANG == "zh" else en)  # an author's own unit: as written


def bot(policy: str) -> str:
    """A bot policy's name in the console's language."""
    zh, en = BOTS.get(policy, (policy, policy))
    return zh if _LANG == "zh" else en


def rating(letter: str) -> str:
    """A P/S/M/U rating as the console shows it: ``P 优`` in Chinese, ``P`` in English."""
    return f"{letter} {RATINGS_ZH.get(letter, '')}".rstrip() if _LANG == "zh" else letter


def text(value: dict[str, str] | object) -> str:
    """Scenario text in the current language (dicts or Bilingual models), with control
    and bidi characters made visible: a terminal would obey them (a file may hold them
    escaped, ``"\\e[31m"``; old records hold what was never refused)."""
    if isinstance(value, dict):
        return printable(str(value.get(_LANG) or value.get("en") or ""))
    getter = getattr(value, "get", None)
    return printable(str(getter(_LANG)) if getter else str(value))


def localize_bindings(node: object) -> None:
    """Translate this instance's key-binding descriptions (written as label keys), and
    show function keys as printed on a keyboard (``F2``, not ``f2``).

    Textual builds BINDINGS once per class; translating each instance's own copy is what
    lets one process show either language (the tests show both). Uses ``DOMNode._bindings``,
    which is why textual is pinned exactly.
    """
    from dataclasses import replace

    bindings = getattr(node, "_bindings", None)
    if bindings is None:
        return
    for key, items in bindings.key_to_bindings.items():
        bindings.key_to_bindings[key] = [
            replace(
                b,
                description=_(b.description) if b.description in LABELS else b.description,
                key_display=b.key_display or function_key(b.key),
            )
            for b in items
        ]


def function_key(key: str) -> str | None:
    """``f5`` → ``F5``; None for other keys (Textual's own display, e.g. ``^q``)."""
    return key.upper() if key[:1] == "f" and key[1:].isdigit() else None


def escape(value: str) -> str:
    """Make text safe to show in markup: every ``[`` is literal.

    (textual.markup.escape leaves brackets that do not look like tags to it, such as
    ``[Improvement]``, which the parser then still swallows.)
    """
    return value.replace("[", "\\[")
