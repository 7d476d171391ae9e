"""The trainee console: clock and situation, inbox, the message, the decision composer,
and in training mode what the plan expects with countdowns and immediate feedback."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, RichLog, Static

from drills.play.live import LiveDrill
from drills.review.summary import OUTCOME_KINDS
from drills.rooms.remote import RemoteDrill
from drills.ui.clock_format import short_time
from drills.ui.i18n import _, channel, escape, language, localize_bindings, text
from drills.ui.screens.clock_controls import ClockControls
from drills.ui.widgets.checklist import Checklist
from drills.ui.widgets.clock import ClockBar
from drills.ui.widgets.composer import Composer
from drills.ui.widgets.inbox import Inbox, InboxEntry, inject_entry
from engine.events import Decision, Event, Kind
from scoring.wording import commission_line, outcome_line, status_word

TICK_SECONDS = 0.1


class TraineeScreen(ClockControls):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ClockControls.CLOCK_BINDINGS,
        Binding("ctrl+d", "focus_composer", "focus_composer"),
        Binding("ctrl+b", "focus_inbox", "focus_inbox"),
        Binding("ctrl+s", "submit", "submit"),
    ]

    def __init__(
        self, live: LiveDrill | RemoteDrill, role: str, participant: str | None = None
    ) -> None:
        super().__init__()
        localize_bindings(self)
        self.live = live
        self.role = role
        self.participant = participant
        self.compiled = live.session.compiled
        self.training = live.session.mode == "training"
        self.last_events: list[Event] = []
        self.host_connected = True

    def compose(self) -> ComposeResult:
        plan = self.compiled.plan
        role = plan.role(self.role)
        yield ClockBar(self.compiled, id="clock")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                yield Static(f"{_('role')}: {text(role.name) if role else self.role}", id="who")
                yield Inbox(id="inbox")
                if self.training:
                    yield Static(_("checklist"), classes="title")
                    yield Checklist(id="checklist")
            with Vertical(id="right"):
                with VerticalScroll(id="message-box"):
                    yield Static(_("no_messages"), id="message")
                yield Composer(plan, self.role, id="composer")
        yield RichLog(id="feedback", max_lines=200, wrap=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(ClockBar).speed = self.live.clock.speed
        self.set_interval(TICK_SECONDS, self.advance)
        self.handle(self.live.session.engine.events)
        self.advance()

    # -- the drill ------------------------------------------------------------------

    def advance(self) -> None:
        """Called by the timer: bring the drill up to the clock, then show what changed."""
        self.handle(self.live.advance())
        if isinstance(self.live, RemoteDrill):
            self._report_connection(self.live)
        self.sync_clock()
        if self.training:
            self.query_one(Checklist).tick(self.live.now)

    def _report_connection(self, remote: RemoteDrill) -> None:
        """A joined trainee hears when the host goes away and comes back, and why the
        host refused a decision that waited in the outbox."""
        while remote.refusals:
            self._log(f"✗ {_('refused')}: {remote.refusals.pop(0)}")
        if remote.connected != self.host_connected:
            self.host_connected = remote.connected
            self._log(_("host_back") if remote.connected else _("host_lost"))

    def handle(self, events: list[Event]) -> None:
        self.last_events = events
        for event in events:
            self._handle(event)

    def _handle(self, event: Event) -> None:
        data = event.data
        kind = event.kind
        if kind == Kind.INJECT_DELIVERED and self.role in data["to"]:
            self.query_one(Inbox).add_entry(inject_entry(self.compiled, data["inject"], event.t))
            if self.training:
                for exp_id in data["expectations"]:
                    spec = self.compiled.expectations.get(exp_id)  # a joined trainee: own only
                    if spec is not None and spec.role == self.role:
                        due = event.t + spec.deadline + spec.grace if spec.deadline else None
                        self.query_one(Checklist).open(exp_id, spec.title, event.t, due)
        elif kind == Kind.HINT_SENT and self.role in data["to"]:
            body = text(data["text"]) if isinstance(data["text"], dict) else data["text"]
            self.query_one(Inbox).add_entry(
                InboxEntry(
                    f"hint@{event.seq}",
                    event.t,
                    f"{_('hint')}: {body[:30]}",
                    body,
                    _("hint"),
                    "system",
                )
            )
        elif kind == Kind.STATE_CHANGED:
            self.query_one(ClockBar).set_state(data["key"], data["value"])
        elif kind in (Kind.DECISION_ACCEPTED, Kind.DECISION_REFUSED) and data["role"] == self.role:
            self._feedback_decision(event)
        elif kind in OUTCOME_KINDS:
            spec = self.compiled.expectations.get(data["expectation"])
            if spec is not None and spec.role == self.role and self.training:
                status = OUTCOME_KINDS[kind]
                if status != "answer_partly":  # a partly answer stays open: still correctable
                    self.query_one(Checklist).close(spec.id, status)
                line = outcome_line(
                    self.compiled.plan, spec, status, language(), wrong=data.get("wrong")
                )
                self._log(line, event.t)
        elif kind == Kind.COMMISSION and self.training and data.get("role") == self.role:
            _inject, item = self.compiled.prohibited.get(data["prohibited"], (None, None))
            if item is not None:
                self._log(commission_line(item, language()), event.t)
            else:  # a joined console does not hold the list: the event carries the reason
                reason = text(data["reason"]) if isinstance(data.get("reason"), dict) else ""
                self._log(f"✗ {status_word('prohibited', language())}: {reason}", event.t)
        elif kind == Kind.DRILL_ENDED:
            self.query_one(ClockBar).ended = True
            self.app.call_later(self._show_results)

    def _feedback_decision(self, event: Event) -> None:
        data = event.data
        action = self.compiled.plan.action(data["action"])
        name = text(action.name) if action else data["action"]
        if event.kind == Kind.DECISION_ACCEPTED:  # recorded; outcome lines say how it was judged
            self._log(f"→ {_('accepted')}: {name}", event.t)
        else:
            self._log(f"✗ {_('refused')}: {name} — {data['reason']}", event.t)

    def _log(self, line: str, t: int | None = None) -> None:
        when = short_time(self.live.now if t is None else t)
        self.query_one("#feedback", RichLog).write(Text(f"{when}  {line}"))  # no markup

    def _show_results(self) -> None:
        from drills.ui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.live, self.role, self.participant))

    # -- messages from widgets ----------------------------------------------------------

    def on_inbox_entry_selected(self, message: Inbox.EntrySelected) -> None:
        entry = message.entry
        self.query_one("#message", Static).update(
            f"[b]{escape(entry.title)}[/b]\n{_('from')}: {escape(entry.source)}   "
            f"{_('channel')}: {channel(entry.channel)}   {short_time(entry.t)}\n\n"
            f"{escape(entry.body)}"
        )

    def on_composer_decision_composed(self, message: Composer.DecisionComposed) -> None:
        if self.live.ended:
            return
        decision = Decision(
            self.role, message.action, message.params, message.note, participant=self.participant
        )
        self.handle(self.live.submit(decision))

    def on_composer_composition_refused(self, message: Composer.CompositionRefused) -> None:
        self._log(f"✗ {message.reason}")

    # -- actions -------------------------------------------------------------------------

    def action_focus_composer(self) -> None:
        self.query_one("#action").focus()

    def action_focus_inbox(self) -> None:
        self.query_one(Inbox).focus()

    def action_submit(self) -> None:
        self.query_one(Composer).submit()
