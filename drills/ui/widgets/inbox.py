"""A role's inbox: injects and hints addressed to it, newest last, with unread markers."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from drills.ui.clock_format import short_time
from drills.ui.i18n import channel, escape, text


@dataclass
class InboxEntry:
    key: str
    t: int
    title: str
    body: str
    source: str
    channel: str
    read: bool = False


class InboxItem(ListItem):
    def __init__(self, entry: InboxEntry) -> None:
        super().__init__(Label(self.describe(entry)))
        self.entry = entry

    @staticmethod
    def describe(entry: InboxEntry) -> str:
        mark = "○" if entry.read else "●"
        return escape(f"{mark} {short_time(entry.t)} [{channel(entry.channel)}] {entry.title}")

    def mark_read(self) -> None:
        self.entry.read = True
        self.query_one(Label).update(self.describe(self.entry))


class Inbox(ListView):
    """Selecting an item marks it read and posts ``Inbox.EntrySelected``."""

    class EntrySelected(Message):
        def __init__(self, entry: InboxEntry) -> None:
            super().__init__()
            self.entry = entry

    def add_entry(self, entry: InboxEntry) -> None:
        self.append(InboxItem(entry))

    def unread(self) -> int:
        return sum(1 for item in self.query(InboxItem) if not item.entry.read)

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        self._open(event.item)

    def on_list_view_selected(self, event: ListView.Selected) -> None:
        self._open(event.item)

    def _open(self, item: ListItem | None) -> None:
        if isinstance(item, InboxItem):
            item.mark_read()
            self.post_message(self.EntrySelected(item.entry))


def inject_entry(compiled: object, inject_id: str, t: int) -> InboxEntry:
    inject = compiled.injects[inject_id]  # type: ignore[attr-defined]
    title = text(inject.title) if inject.title else text(inject.text)[:40]
    return InboxEntry(
        f"{inject_id}@{t}", t, title, text(inject.text), text(inject.source), inject.channel
    )
