"""The versioned scoring profile: every parameter of the rubric in one place.

Reports print the profile they were scored with, and regrading under a new profile keeps
the old results, so a change of rubric never silently rewrites history.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Rating = Literal["P", "S", "M", "U"]
RATINGS: tuple[Rating, ...] = ("U", "M", "S", "P")
RATING_ZH = {"P": "优", "S": "良", "M": "中", "U": "差"}
RATING_ZH_TEXT = {
    "P": "优秀，达到预期目标",
    "S": "良好，达到预期目标",
    "M": "合格，基本达到",
    "U": "不合格，需重新演练",
}
RATING_EN = {
    "P": "Performed without challenges",
    "S": "Performed with some challenges",
    "M": "Performed with major challenges",
    "U": "Unable to be performed",
}


class Bands(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    P: float = 90.0
    S: float = 75.0
    M: float = 60.0


class ScoringProfile(BaseModel):
    """Parameters of research/exercise-methodology.md §7b (defaults are the proposal's)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = "drillhall-rubric"
    # 2.0: the outcome model (met/late/partly/missed), forbidden decisions answer nothing,
    # only the owner or a named substitute answers, ``deadline: immediate``, honest
    # on-time rate. Results saved under 1.0 stay as they were; regrade shows both.
    version: str = "2.0"
    alpha: float = Field(0.6, ge=0, le=1, description="Credit kept by a correct but late action.")
    tau_floor: float = Field(0.5, ge=0, le=1, description="Timeliness at the hard limit.")
    ordinal_k: int = Field(2, ge=1, description="Levels off at which an ordinal answer is worth 0.")
    partial_credit: float = Field(0.5, ge=0, le=1, description="Right action, wrong parameter.")
    role_other: float = Field(0.5, ge=0, le=1, description="Done by another authorised role.")
    order_lambda: float = Field(0.5, ge=0, le=1, description="Weight of precedence violations.")
    penalty_minor: float = Field(0.05, ge=0, le=1)
    penalty_major: float = Field(0.15, ge=0, le=1)
    immediate: int = Field(
        600,
        gt=0,
        description="Seconds this profile allows for a duty the plan gives as 立即/第一时间/"
        "迅速 (deadline: immediate). The profile's judgement, not the plan's.",
    )
    bands: Bands = Bands()
    max_bands_above_worst: int = Field(
        1,
        ge=0,
        description="The exercise rating is at most this many bands above the worst capability.",
    )

    @property
    def label(self) -> str:
        return f"{self.id} v{self.version}"

    def band(self, score: float) -> Rating:
        """Rating of a 0-100 score before caps."""
        if score >= self.bands.P:
            return "P"
        if score >= self.bands.S:
            return "S"
        if score >= self.bands.M:
            return "M"
        return "U"


DEFAULT_PROFILE = ScoringProfile()


def worse(a: Rating, b: Rating) -> Rating:
    return a if RATINGS.index(a) <= RATINGS.index(b) else b


def raise_by(rating: Rating, bands: int) -> Rating:
    return RATINGS[min(len(RATINGS) - 1, RATINGS.index(rating) + bands)]
