"""The scenario clock and the tracked state at the top of a console.

Every figure the scenario tracks is shown: when they do not fit on one line the bar wraps
between figures (never inside one) onto a second or third line instead of cutting any.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from rich.cells import cell_len
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import Static

from drills.port.text import one_line
from drills.ui.i18n import _, text, unit
from engine.compiled import CompiledScenario

SEPARATOR = " │ "


def wall_time(compiled: CompiledScenario, seconds: int) -> str:
    """``06:15:00`` from the narrative start, or ``T+0:15:00`` when there is none."""
    start = compiled.scenario.start
    if start:
        try:
            moment = datetime.fromisoformat(start) + timedelta(seconds=seconds)
            return moment.strftime("%m-%d %H:%M:%S")
        except ValueError:
            pass
    hours, rest = divmod(seconds, 3600)
    return f"T+{hours}:{rest // 60:02d}:{rest % 60:02d}"


def pack(parts: list[str], width: int, separator: str = SEPARATOR) -> list[str]:
    """``parts`` joined by ``separator`` into lines at most ``width`` cells wide, breaking
    only between parts (a part wider than a line gets a line of its own)."""
    lines: list[str] = []
    line = ""
    for part in parts:
        candidate = f"{line}{separator}{part}" if line else part
        if line and cell_len(candidate) > width:
            lines.append(line)
            line = part
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines or [""]


class ClockBar(Static):
    """Scenario time, compression, paused/running, and the figures the scenario tracks."""

    now: reactive[int] = reactive(0)  # fixed width: a repaint, not a relayout
    speed: reactive[float] = reactive(1.0, layout=True)
    paused: reactive[bool] = reactive(True, layout=True)
    ended: reactive[bool] = reactive(False, layout=True)

    def __init__(self, compiled: CompiledScenario, **kwargs: object) -> None:
        super().__init__(markup=False, **kwargs)  # type: ignore[arg-type]  # authors' names
        self.compiled = compiled
        self.state: dict[str, object] = dict(compiled.scenario.state)

    def parts(self) -> list[str]:
        """The clock, speed, status and one ``name value unit`` per tracked figure."""
        status = _("ended") if self.ended else _("paused") if self.paused else _("running")
        parts = [f"{wall_time(self.compiled, self.now)} ×{self.speed:g} {status}"]
        plan = self.compiled.plan
        for tracked in self.compiled.scenario.tracked:
            value = self.state.get(tracked.key)
            if value is None:
                continue
            if tracked.scale and (scale := plan.scale(tracked.scale)) is not None:
                level = next((lv for lv in scale.levels if lv.id == value), None)
                shown = text(level.name) if level else "—"
            elif value == "none":
                shown = "—"
            else:
                # a figure an action set from a trainee's text: one line, inert
                shown = f"{value:g}" if isinstance(value, float) else one_line(str(value))
            suffix = unit(tracked.unit)
            parts.append(f"{text(tracked.name)} {shown}{' ' + suffix if suffix else ''}")
        return parts

    def lines(self, width: int) -> list[str]:
        return pack(self.parts(), max(1, width))

    def render(self) -> str:
        return "\n".join(self.lines(self.content_region.width or self.size.width or 80))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def set_state(self, key: str, value: object) -> None:
        self.state[key] = value
        self.refresh(layout=True)
