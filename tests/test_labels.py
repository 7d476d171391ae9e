"""The one label table: both languages everywhere, English free of Chinese, every key the
code asks for present, and the same word for the same thing across consoles and reports."""

from __future__ import annotations

import re

from drills.port.labels import BOTS, CHANNELS, LABELS, LONG, RATINGS_ZH, UNITS
from scoring.profile import RATING_ZH

from .conftest import ROOT

CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef]")
# Chinese terms that stay in the English text on purpose: the plan's own words, quoted.
QUOTED_CHINESE = {"immediate_note"}
ASKED = re.compile(r"""(?:\b_|\bt|\blabel|\blong_label)\(\s*["']([a-z][a-z0-9_]*)["']""")


def test_every_label_has_both_languages_and_english_is_english() -> None:
    for key, (zh, en) in LABELS.items():
        assert zh.strip() and en.strip(), key
        if key not in QUOTED_CHINESE:
            assert not CJK.search(en), f"{key}: {en!r}"
    for table in (UNITS, BOTS, CHANNELS):
        for key, (_zh, en) in table.items():
            assert not CJK.search(en), f"{key}: {en!r}"


def test_every_key_the_code_asks_for_exists() -> None:
    asked: dict[str, str] = {}
    for path in (ROOT / "drills").rglob("*.py"):
        for key in ASKED.findall(path.read_text(encoding="utf-8")):
            asked.setdefault(key, str(path.relative_to(ROOT)))
    missing = {key: where for key, where in asked.items() if key not in LABELS}
    assert missing == {}
    assert all(target in LABELS for target in LONG.values())


def test_one_word_for_one_thing() -> None:
    """No two keys say the same thing in English with different Chinese words."""
    by_en: dict[str, set[str]] = {}
    for key, (zh, en) in LABELS.items():
        if key.startswith("key_"):  # the footer's short words: 简报 for 演练简报 is fine
            continue
        by_en.setdefault(en.lower().rstrip("."), set()).add(zh)
    clashes = {en: zh for en, zh in by_en.items() if len(zh) > 1}
    assert clashes == {}, clashes


def test_ratings_are_the_scorers_words() -> None:
    assert RATINGS_ZH == RATING_ZH
