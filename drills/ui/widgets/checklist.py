"""Training mode: what the plan expects of this role, with live countdowns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import Static

from drills.ui.clock_format import countdown
from drills.ui.i18n import _, language, text
from scoring.wording import MARK, status_word

if TYPE_CHECKING:
    from drills.port.views import Bilingual


@dataclass
class ChecklistItem:
    id: str
    title: str
    anchor: int
    due: int | None
    status: str = "pending"


class Checklist(Static):
    """Pending items count down; finished ones show how they ended."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", markup=False, **kwargs)  # type: ignore[arg-type]  # titles as written
        self.items: dict[str, ChecklistItem] = {}
        self.now = 0

    def open(self, exp_id: str, title: Bilingual, anchor: int, due: int | None) -> None:
        self.items[exp_id] = ChecklistItem(exp_id, text(title), anchor, due)
        self.refresh_items()

    def close(self, exp_id: str, status: str) -> None:
        if exp_id in self.items:
            self.items[exp_id].status = status
            self.refresh_items()

    def tick(self, now: int) -> None:
        self.now = now
        if any(i.status == "pending" and i.due is not None for i in self.items.values()):
            self.refresh_items()

    def refresh_items(self) -> None:
        lines = []
        for item in self.items.values():
            if item.status == "pending":
                if item.due is None:
                    when = _("no_deadline")
                else:
                    left = item.due - self.now
                    when = f"{_('left')} {countdown(left)}" if left >= 0 else _("overdue")
                lines.append(f"☐ {item.title}  [{when}]")
            else:
                mark = MARK.get(item.status, "·")
                lines.append(f"{mark} {item.title}  [{status_word(item.status, language())}]")
        self.update("\n".join(lines) or "—")
