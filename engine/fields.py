"""Field types shared by plan and scenario files: durations and bilingual text.

Durations are whole seconds of scenario time. Files may write them as integers or as
strings such as ``"90s"``, ``"30m"``, ``"2h"``, ``"3d"`` or ``"1h30m"``. Strings are
required for anything that looks like a clock (``12:30``), because YAML 1.1 would read
that as the sexagesimal number 750.
"""

from __future__ import annotations

import math
import re
import sys
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

# Limits that keep every number a file can hold playable and scorable (docs/scenario-
# authoring.md, "Limits"). Past them the clock, the database or the score would overflow
# (a 2**63 s duration cannot be stored; a weight of 1e308 makes the score NaN).
MAX_DURATION = 3650 * 86400  # ten years of scenario time, in seconds
MAX_NUMBER = 10**15  # any other number: parameters, state, comparisons (exact as a float)
MAX_WEIGHT = 1000.0
MIN_COMPRESSION, MAX_COMPRESSION = 0.01, 1_000_000.0

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_RE = re.compile(r"^\s*(?:(\d+)\s*([smhd])\s*)+$")
_PART_RE = re.compile(r"(\d+)\s*([smhd])")
DURATION_PATTERN = r"^\s*(\d+\s*[smhd]\s*)+$"


def parse_duration(value: Any) -> int:
    """Convert an integer or a string like ``"1h30m"`` to whole seconds.

    Booleans and floats are refused: ``on``/``yes`` in YAML 1.1 become booleans and a
    float second would break the integer scenario clock.
    """
    if isinstance(value, bool):
        raise ValueError("a duration must be seconds or a string like '30m', not a boolean")
    if isinstance(value, int):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return _within_limit(value, value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return _within_limit(int(text), value)
        if _DURATION_RE.match(text):
            seconds = sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART_RE.findall(text))
            return _within_limit(seconds, value)
        raise ValueError(
            f"cannot read {value!r} as a duration; write seconds or e.g. '90s', '30m', '2h', '3d'"
        )
    raise ValueError(
        f"a duration must be seconds or a string like '30m', not {type(value).__name__}"
    )


def _within_limit(seconds: int, written: Any) -> int:
    """A drill longer than ten years is a typo; past 2**63 s nothing can store it."""
    if seconds > MAX_DURATION:
        raise ValueError(
            f"a duration can be at most 10 years ({MAX_DURATION:,} s, '3650d'); got {written!r}"
        )
    return seconds


def playable(value: float) -> bool:
    """Whether a number can be played and journaled: finite, within ±10^15 (NaN passes
    every comparison; no JSON can spell it)."""
    return math.isfinite(value) and abs(value) <= MAX_NUMBER


def check_number(value: Any) -> Any:
    """Refuse numbers that cannot be played: NaN, infinities, and beyond ±10^15.

    On a union (``Scalar``) it runs before type dispatch, so the author reads one message
    instead of one per member; anything that is not a number passes through untouched.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    _check_finite(value)
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"a number must be between -10^15 and 10^15; got {shown_number(value)}")
    return value


def shown_number(value: float) -> str:
    """A number for a message: ``1e+300``, or the digits of a whole number too large for
    a float (``:g`` overflows on it, and ``str`` refuses past 4,300 digits)."""
    if isinstance(value, int) and abs(value) > MAX_NUMBER:
        kind = "negative number" if value < 0 else "number"
        try:
            return f"a {len(str(abs(value))):,}-digit {kind}"
        except ValueError:  # past sys.get_int_max_str_digits()
            return f"a {kind} of more than {sys.get_int_max_str_digits():,} digits"
    return f"{value:g}"


def _check_finite(value: Any) -> Any:
    """NaN compares false with everything and infinities overflow every sum."""
    if isinstance(value, float) and not math.isfinite(value):
        spelling = ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
        raise ValueError(f"a number must be finite, not {spelling}")
    return value


def _check_weight(value: float) -> float:
    """Weights above 1000 make the weighted means overflow into NaN or lose precision."""
    if value > MAX_WEIGHT:
        raise ValueError(f"a weight can be at most {MAX_WEIGHT:g}; got {value:g}")
    return value


def _check_compression(value: float) -> float:
    """The wall length (duration ÷ compression) must be a number the clock can show."""
    if not MIN_COMPRESSION <= value <= MAX_COMPRESSION:
        raise ValueError(
            f"compression must be between {MIN_COMPRESSION:g} and {MAX_COMPRESSION:,.0f} "
            f"scenario seconds per wall second; got {value:g}"
        )
    return value


def format_duration(seconds: int) -> str:
    """Render seconds compactly (``5400`` -> ``"1h30m"``) for messages and reports."""
    if seconds == 0:
        return "0s"
    parts = []
    rest = seconds
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, rest = divmod(rest, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


Duration = Annotated[
    int,
    BeforeValidator(parse_duration),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0},
                {"type": "string", "pattern": DURATION_PATTERN},
            ],
            "description": "Seconds, or a string such as '90s', '30m', '2h', '3d', '1h30m'.",
        }
    ),
]


def _check_start(value: Any) -> Any:
    """The narrative start is what the clock counts from: a real date and time.

    It must leave room for the longest drill before the calendar ends (year 9999), so
    that start + scenario time can always be shown.
    """
    if isinstance(value, (date, datetime)):
        raise ValueError(
            f'write the start in quotes, e.g. start: "{value}" '
            "(unquoted, YAML reads it as a date object)"
        )
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise ValueError(
            f'start must be a real date and time such as "2026-06-30 06:00"; got {value!r} ({exc})'
        ) from None
    try:
        moment + timedelta(seconds=MAX_DURATION)
    except OverflowError:
        raise ValueError(
            f"start {value!r} is too close to the year 9999 for the clock to count on"
        ) from None
    return value


StartTime = Annotated[str, BeforeValidator(_check_start)]
"""A quoted ISO date and time (``"2026-06-30 06:00"``): the clock shows time from it."""

Number = Annotated[float, AfterValidator(check_number)]
"""A finite number within ±10^15 (a parameter bound, a comparison)."""

Scalar = Annotated[Union[int, float, str, bool], BeforeValidator(check_number)]
"""A parameter or state value: numbers finite and within ±10^15, or text, or a boolean."""

Weight = Annotated[
    float, Field(gt=0), BeforeValidator(_check_finite), AfterValidator(_check_weight)
]
"""A weight: more than 0 and at most 1000."""

Compression = Annotated[
    float, Field(gt=0), BeforeValidator(_check_finite), AfterValidator(_check_compression)
]
"""Scenario seconds per wall second: 0.01 to 1,000,000."""

PositiveDuration = Annotated[
    Duration, Field(gt=0, description="Longer than 0s: seconds or a string such as '8h'.")
]

Identifier = Annotated[
    str,
    Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$", max_length=64),
]


Pair = Annotated[
    list[Identifier],
    Field(min_length=2, max_length=2, description="[first, second]: first must come before."),
]


_CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_FOLDED_SPACE = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")


class Bilingual(BaseModel):
    """Text in Chinese and English; the UI shows the one matching ``--lang``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @field_validator("zh")
    @classmethod
    def _join_folded_lines(cls, value: str) -> str:
        """YAML's folded blocks (``>-``) join lines with a space, which Chinese never has
        between two characters; drop it so long texts can be wrapped in the file."""
        return _FOLDED_SPACE.sub("", value)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


def _coerce_text(value: Any) -> Any:
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("text cannot be empty")
        return Bilingual(zh=value, en=value)
    return value


Text = Annotated[
    Bilingual,
    BeforeValidator(_coerce_text),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "minLength": 1},
                {
                    "type": "object",
                    "properties": {
                        "zh": {"type": "string", "minLength": 1},
                        "en": {"type": "string", "minLength": 1},
                    },
                    "required": ["zh", "en"],
                    "additionalProperties": False,
                },
            ],
            "description": "A string, or {zh: 中文, en: English}.",
        }
    ),
]


class Strict(BaseModel):
    """Base for file models: unknown keys are errors, values are not silently coerced."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)
