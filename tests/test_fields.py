from typing import Any

import pytest

from engine.fields import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        (0, 0),
        (90, 90),
        ("90", 90),
        ("90s", 90),
        ("30m", 1800),
        ("2h", 7200),
        ("3d", 259200),
        ("1h30m", 5400),
        (" 2h 15m ", 8100),
    ],
)
def test_durations_read_as_seconds(text: int | str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", [True, False, -1, 1.5, "ten minutes", "12:30", "", "5x", None])
def test_bad_durations_are_refused(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_format_duration_round_trips() -> None:
    for seconds in (0, 59, 60, 3599, 5400, 90061):
        assert parse_duration(format_duration(seconds)) == seconds


def test_folded_chinese_lines_join_without_spaces() -> None:
    from engine.fields import Bilingual

    text = Bilingual(zh="河口站水位持续上涨， 预报超过警戒水位 Level IV 启动", en="x")
    assert text.zh == "河口站水位持续上涨，预报超过警戒水位 Level IV 启动"
