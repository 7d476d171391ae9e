"""The trainer's view when the drill ends: the saved final score, the report, the hot-wash."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Footer, Static

from drills.port.feeds import FeedError, TrainerFeed
from drills.ui.i18n import _, language, localize_bindings, text
from drills.ui.i18n import rating as rating_text
from drills.ui.screens.dialogs import DialogScreen
from scoring.score import DrillScore
from scoring.wording import MARK, SEVERITY, status_word


def score_text(feed: TrainerFeed, score: DrillScore) -> Text:
    """The saved final score, each role's, and what held the rating back, worded in the
    console's language (the score's own reasons are English notes for the log)."""
    out = Text()
    out.append(f"{_('results')} — {text(feed.briefing.title)}\n\n", style="bold")
    out.append(
        f"{_('final_score')}: {score.score:.1f}   {_('rating')}: {rating_text(score.rating)}\n\n"
    )
    compiled = feed.public
    plan = compiled.plan
    for role_id, data in score.roles.items():
        role = plan.role(role_id)
        name = text(role.name) if role else role_id
        out.append(f"{data['score']:>6.1f} {data['rating']}  {name}\n")
    lang = language()
    held = [r for r in score.expectations if r.scored and r.status != "met"]
    commissions = sum(score.metrics.commissions.values())
    if held or commissions:
        out.append(f"\n{_('held_back')}:\n", style="bold")
    for result in held:
        spec = compiled.expectations.get(result.id)
        title = text(spec.title) if spec is not None else result.id
        role = plan.role(result.role)
        who = text(role.name) if role else result.role
        mark = MARK.get(result.status, "·")
        out.append(f"  {mark} {status_word(result.status, lang)}: {title} — {who}\n")
    for severity, count in score.metrics.commissions.items():
        if count:
            kind = f"{status_word('prohibited', lang)} ({severity_word(severity, lang)})"
            out.append(f"  ✗ {kind} ×{count}\n")
    return out


def severity_word(severity: str, lang: str) -> str:
    return SEVERITY.get(severity, {"zh": severity, "en": severity})["zh" if lang == "zh" else "en"]


class TrainerResultsScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "report", "open_report"),
        Binding("f6", "hotwash", "hotwash"),
        Binding("escape", "back", "back_to_drill"),
    ]

    class ReportWritten(Message):
        def __init__(self, path: Path | None, problem: str = "") -> None:
            super().__init__()
            self.path = path
            self.problem = problem

    def __init__(self, feed: TrainerFeed, score: DrillScore) -> None:
        super().__init__()
        localize_bindings(self)
        self.feed = feed
        self.score = score

    def compose(self) -> ComposeResult:
        yield VerticalScroll(Static(score_text(self.feed, self.score), id="results-text"))
        with Horizontal(id="results-buttons"):
            yield Button(_("open_report"), id="report", variant="primary")
            yield Button(_("hotwash"), id="hotwash")
            yield Button(_("back_to_drill"), id="back")
            yield Button(_("quit"), id="quit")
        yield Footer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "report": self.action_report,
            "hotwash": self.action_hotwash,
            "back": self.action_back,
            "quit": self.app.exit,
        }
        actions[event.button.id or "back"]()

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_report(self) -> None:
        self.write_report(language())

    @work(thread=True, exclusive=True, group="report")
    def write_report(self, lang: str) -> None:
        try:
            html = self.feed.report_html(lang)
        except FeedError as exc:
            self.post_message(self.ReportWritten(None, str(exc)))
            return
        folder = self.feed.reports_folder
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.feed.briefing.drill_id}.html"
        path.write_text(html, encoding="utf-8")
        self.post_message(self.ReportWritten(path))

    def on_trainer_results_screen_report_written(self, message: ReportWritten) -> None:
        if message.path is None:
            self.notify(message.problem, severity="error", markup=False)
        else:
            self.notify(f"{_('report_written')}: {message.path}", markup=False)

    def action_hotwash(self) -> None:
        self.app.push_screen(
            DialogScreen(
                _("hotwash"),
                [("author", _("author"), "text"), ("notes", _("hotwash"), "area")],
                _("save"),
            ),
            self._save_hotwash,
        )

    def _save_hotwash(self, values: dict[str, str] | None) -> None:
        if values and values["notes"]:
            self.feed.add_hotwash(values["author"] or "trainer", values["notes"])
            self.notify(_("saved"))
