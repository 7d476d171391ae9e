"""The end of a trainee's drill: their score and rating, their findings, the report."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from drills.play.live import LiveDrill
from drills.port.results import TraineeResults
from drills.rooms.remote import RemoteDrill
from drills.store.rooms import RoomError
from drills.ui.i18n import _, escape, language, localize_bindings, text
from drills.ui.screens.dialogs import DialogScreen
from scoring.findings import CLASSES
from scoring.profile import RATING_ZH


class ResultsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "open_report", "open_report"),
        Binding("q", "app.quit", "quit"),
    ]

    class ReportWritten(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    class ReportRefused(Message):
        """The host keeps the report (an exam): the reason is shown."""

        def __init__(self, reason: str) -> None:
            super().__init__()
            self.reason = reason

    def __init__(
        self, live: LiveDrill | RemoteDrill, role: str | None, participant: str | None = None
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.live = live
        self.role = role
        self.participant = participant
        self.results: TraineeResults | None = None
        self.problem = ""
        try:
            self.results = live.results(role)
        except RoomError as exc:  # a joined trainee whose host has gone away
            self.problem = str(exc)

    def compose(self) -> ComposeResult:
        results = self.results
        if results is None:
            self.text_lines = [f"[b]{_('results')}[/b]", "", escape(self.problem)]
            yield VerticalScroll(Static("\n".join(self.text_lines), id="results-text"))
            with Horizontal(id="results-buttons"):
                yield Button(_("quit"), id="quit")
            yield Footer()
            return
        lines = [f"[b]{_('results')}[/b] — {escape(text(results.title))}", ""]
        if results.mine:
            rating = results.mine["rating"]
            lines.append(
                f"{_('your_score')}: [b]{results.mine['score']:.1f}[/b]   {_('rating')}: "
                f"[b]{rating} {RATING_ZH[rating]}[/b]"
            )
        lines.append(
            f"{_('team_score')}: [b]{results.team_score:.1f}[/b]   {_('rating')}: "
            f"[b]{results.team_rating} {RATING_ZH[results.team_rating]}[/b]"
        )
        lines += ["", f"[b]{_('findings')}[/b]"]
        key = "zh" if language() == "zh" else "en"
        lines += [
            escape(f"{f.id} [{CLASSES[f.klass][key]}] {text(f.title)}") for f in results.findings
        ] or ["—"]
        self.text_lines = lines
        yield VerticalScroll(Static("\n".join(lines), id="results-text"))
        with Horizontal(id="results-buttons"):
            yield Button(_("open_report"), id="report", variant="primary")
            yield Button(_("self_assess"), id="self")
            yield Button(_("quit"), id="quit")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "report":
            self.action_open_report()
        elif event.button.id == "self":
            self.app.push_screen(
                DialogScreen(
                    _("self_assess"), [("text", _("self_assess_prompt"), "area")], _("save")
                ),
                self._save_self_assessment,
            )
        else:
            self.app.exit()

    def _save_self_assessment(self, values: dict[str, str] | None) -> None:
        """The participant's own view of the drill, for the report's hot-wash section."""
        if not values or not values["text"]:
            return
        author = self.participant or self.role or "trainee"
        try:
            self.live.add_self_assessment(author, self.role, values["text"])
        except RoomError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(_("saved"))

    def action_open_report(self) -> None:
        self.write_report()

    @work(thread=True, exclusive=True, group="report")
    def write_report(self) -> None:
        """Rendering and writing happen off the UI thread; the result comes back as a message."""
        try:
            html = self.live.report_html(language())
        except RoomError as exc:
            self.post_message(self.ReportRefused(str(exc)))
            return
        folder = self.live.reports_folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.live.session.drill_id}.html"
        path.write_text(html, encoding="utf-8")
        self.post_message(self.ReportWritten(path))

    def on_results_screen_report_refused(self, message: ReportRefused) -> None:
        self.notify(message.reason, severity="warning")

    def on_results_screen_report_written(self, message: ReportWritten) -> None:
        self.report_path = message.path
        lines = [*self.text_lines, "", escape(f"{_('report_written')}: {message.path}")]
        self.query_one("#results-text", Static).update("\n".join(lines))
        self.notify(f"{_('report_written')}: {message.path}")
