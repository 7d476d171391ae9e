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

from drills.port.feeds import FeedError, TraineeFeed
from drills.port.results import TraineeResults
from drills.ui.i18n import _, escape, language, localize_bindings, text
from drills.ui.i18n import rating as rating_text
from drills.ui.screens.dialogs import DialogScreen
from scoring.findings import CLASSES


class ResultsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "open_report", "open_report"),  # as on the trainer's results
        Binding("r", "open_report", "open_report", show=False),
        Binding("q", "app.quit", "quit", show=False),
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

    class ResultsReady(Message):
        """The drill's results for this role (or why there are none)."""

        def __init__(self, results: TraineeResults | None, problem: str = "") -> None:
            super().__init__()
            self.results = results
            self.problem = problem

    def __init__(self, feed: TraineeFeed) -> None:
        super().__init__()
        localize_bindings(self)
        self.feed = feed
        self.role = feed.role
        self.participant = feed.participant
        self.results: TraineeResults | None = None
        self.text_lines: list[str] = [f"[b]{_('results')}[/b]", "", _("computing")]

    def compose(self) -> ComposeResult:
        yield VerticalScroll(Static("\n".join(self.text_lines), id="results-text"))
        with Horizontal(id="results-buttons"):
            yield Button(_("open_report"), id="report", variant="primary", disabled=True)
            yield Button(_("self_assess"), id="self")
            yield Button(_("quit"), id="quit")
        yield Footer()

    def on_mount(self) -> None:
        self.fetch_results()

    @work(thread=True, exclusive=True, group="results")
    def fetch_results(self) -> None:
        """The final score is computed once, by the drill, off the UI thread: wait for it."""
        try:
            self.post_message(self.ResultsReady(self.feed.results()))
        except FeedError as exc:  # a joined trainee whose host has gone away
            self.post_message(self.ResultsReady(None, str(exc)))

    def on_results_screen_results_ready(self, message: ResultsReady) -> None:
        self.results = message.results
        if message.results is None:
            self.text_lines = [f"[b]{_('results')}[/b]", "", escape(message.problem)]
        else:
            self.text_lines = self._lines(message.results)
            self.query_one("#report", Button).disabled = False
        self.query_one("#results-text", Static).update("\n".join(self.text_lines))

    def _lines(self, results: TraineeResults) -> list[str]:
        lines = [f"[b]{_('results')}[/b] — {escape(text(results.title))}", ""]
        if results.mine:
            rating = results.mine["rating"]
            lines.append(
                f"{_('your_score')}: [b]{results.mine['score']:.1f}[/b]   {_('rating')}: "
                f"[b]{rating_text(rating)}[/b]"
            )
        lines.append(
            f"{_('team_score')}: [b]{results.team_score:.1f}[/b]   {_('rating')}: "
            f"[b]{rating_text(results.team_rating)}[/b]"
        )
        lines += ["", f"[b]{_('findings')}[/b]"]
        key = "zh" if language() == "zh" else "en"
        lines += [
            escape(f"{f.id} [{CLASSES[f.klass][key]}] {text(f.title)}") for f in results.findings
        ] or ["—"]
        return lines

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
        try:
            self.feed.add_self_assessment(values["text"])
        except FeedError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.notify(_("saved"))

    def action_open_report(self) -> None:
        self.write_report()

    @work(thread=True, exclusive=True, group="report")
    def write_report(self) -> None:
        """Rendering and writing happen off the UI thread; the result comes back as a message."""
        try:
            html = self.feed.report_html(language())
        except FeedError as exc:
            self.post_message(self.ReportRefused(str(exc)))
            return
        folder = self.feed.reports_folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.feed.briefing.drill_id}.html"
        path.write_text(html, encoding="utf-8")
        self.post_message(self.ReportWritten(path))

    def on_results_screen_report_refused(self, message: ReportRefused) -> None:
        self.notify(message.reason, severity="warning", markup=False)

    def on_results_screen_report_written(self, message: ReportWritten) -> None:
        self.report_path = message.path
        lines = [*self.text_lines, "", escape(f"{_('report_written')}: {message.path}")]
        self.query_one("#results-text", Static).update("\n".join(lines))
        self.notify(f"{_('report_written')}: {message.path}", markup=False)
