"""A role's inbox: injects and hints addressed to it, newest last, with unread markers."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Label, ListItem, ListView

from drills.ui.clock_format import short_time
from drills.ui.i18n import channel


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
    def describe(entry: InboxEntry) -> Text:
        """Literal text: a title an author wrote is never parsed as markup."""
        mark = "○" if entry.read else "●"
        return Text(f"{mark} {short_time(entry.t)} [{channel(entry.channel)}] {entry.title}")

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

    def open_last(self) -> None:
        """Highlight (and so open) the newest entry."""
        if self.children:
            self.index = len(self.children) - 1

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
