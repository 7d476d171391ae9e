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

from drills.live import LiveDrill
from drills.review import add_note
from drills.store import Store
from drills.ui.i18n import _, escape, language, localize_bindings, text
from drills.ui.screens.dialogs import DialogScreen
from scoring.findings import CLASSES, build_findings
from scoring.outcomes import collect
from scoring.profile import RATING_ZH
from scoring.score import score_drill


class ResultsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "open_report", "open_report"),
        Binding("q", "app.quit", "quit"),
    ]

    class ReportWritten(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, live: LiveDrill, role: str | None, participant: str | None = None) -> None:
        super().__init__()
        localize_bindings(self)
        self.live = live
        self.role = role
        self.participant = participant
        compiled = live.session.compiled
        events = live.result_events()
        self.score = score_drill(compiled, events)
        self.findings = build_findings(compiled, self.score, collect(events))
        live.save_score(self.score)

    def compose(self) -> ComposeResult:
        score = self.score
        title = escape(text(self.live.session.compiled.scenario.title))
        lines = [f"[b]{_('results')}[/b] — {title}", ""]
        mine = score.roles.get(self.role or "")
        if mine:
            lines.append(
                f"{_('your_score')}: [b]{mine['score']:.1f}[/b]   {_('rating')}: "
                f"[b]{mine['rating']} {RATING_ZH[mine['rating']]}[/b]"
            )
        lines.append(
            f"{_('team_score')}: [b]{score.score:.1f}[/b]   {_('rating')}: "
            f"[b]{score.rating} {RATING_ZH[score.rating]}[/b]"
        )
        lines += ["", f"[b]{_('findings')}[/b]"]
        own = [f for f in self.findings if self.role is None or f.role in (self.role, None)]
        key = "zh" if language() == "zh" else "en"
        lines += [escape(f"{f.id} [{CLASSES[f.klass][key]}] {text(f.title)}") for f in own] or ["—"]
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
        session = self.live.session
        store = Store(session.store.path)  # the trainee's own connection (remote or local)
        try:
            add_note(
                store,
                session.drill_id,
                "self",
                self.participant or self.role or "trainee",
                values["text"],
                role=self.role,
            )
        finally:
            store.close()
        self.notify(_("saved"))

    def action_open_report(self) -> None:
        self.write_report()

    @work(thread=True, exclusive=True, group="report")
    def write_report(self) -> None:
        """Rendering and writing happen off the UI thread; the result comes back as a message."""
        from drills.reports import render
        from drills.review import load_report
        from drills.store import Store

        session = self.live.session
        store = Store(session.store.path)  # sqlite connections belong to one thread
        try:
            report = load_report(store, session.drill_id).report
            folder = session.store.path.parent / "reports"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{session.drill_id}.html"
            path.write_text(render(report, "html", language()), encoding="utf-8")
        finally:
            store.close()
        self.post_message(self.ReportWritten(path))

    def on_results_screen_report_written(self, message: ReportWritten) -> None:
        self.report_path = message.path
        lines = [*self.text_lines, "", escape(f"{_('report_written')}: {message.path}")]
        self.query_one("#results-text", Static).update("\n".join(lines))
        self.notify(f"{_('report_written')}: {message.path}")
