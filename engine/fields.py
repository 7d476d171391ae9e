"""Field types shared by plan and scenario files: durations and bilingual text.

Durations are whole seconds of scenario time. Files may write them as integers or as
strings such as ``"90s"``, ``"30m"``, ``"2h"``, ``"3d"`` or ``"1h30m"``. Strings are
required for anything that looks like a clock (``12:30``), because YAML 1.1 would read
that as the sexagesimal number 750.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

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
        return value
    if isinstance(value, str):
        text = value.strip().lower()
        if text.isdigit():
            return int(text)
        if _DURATION_RE.match(text):
            return sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART_RE.findall(text))
        raise ValueError(
            f"cannot read {value!r} as a duration; write seconds or e.g. '90s', '30m', '2h', '3d'"
        )
    raise ValueError(
        f"a duration must be seconds or a string like '30m', not {type(value).__name__}"
    )


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
