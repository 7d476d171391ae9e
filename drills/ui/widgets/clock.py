"""The scenario clock and the tracked state, on one line at the top of a console."""

from __future__ import annotations

from datetime import datetime, timedelta

from textual.reactive import reactive
from textual.widgets import Static

from drills.ui.i18n import _, text
from engine.compiled import CompiledScenario


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


class ClockBar(Static):
    """Scenario time, compression, paused/running, and the figures the scenario tracks."""

    now: reactive[int] = reactive(0)
    speed: reactive[float] = reactive(1.0)
    paused: reactive[bool] = reactive(True)
    ended: reactive[bool] = reactive(False)

    def __init__(self, compiled: CompiledScenario, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.compiled = compiled
        self.state: dict[str, object] = dict(compiled.scenario.state)

    def render(self) -> str:
        status = _("ended") if self.ended else _("paused") if self.paused else _("running")
        parts = [wall_time(self.compiled, self.now), f"×{self.speed:g}", status]
        plan = self.compiled.plan
        for tracked in self.compiled.scenario.tracked:
            value = self.state.get(tracked.key)
            if value is None:
                continue
            if tracked.scale and (scale := plan.scale(tracked.scale)) is not None:
                level = next((lv for lv in scale.levels if lv.id == value), None)
                shown = text(level.name) if level else "—"
            else:
                shown = f"{value:g}" if isinstance(value, float) else str(value)
            unit = f" {tracked.unit}" if tracked.unit else ""
            parts.append(f"{text(tracked.name)} {shown}{unit}")
        return "  │  ".join(parts)

    def set_state(self, key: str, value: object) -> None:
        self.state[key] = value
        self.refresh()
