"""The first frame of a console whose drill is still being read (parsed, checked, compiled).

Still text, no animation: an animated indicator would take the GIL from the reader."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Static

from drills.ui.i18n import _


class LoadingScreen(Screen[None]):
    def compose(self) -> ComposeResult:
        with Middle(), Center():
            yield Static(_("loading"), id="loading-text")
