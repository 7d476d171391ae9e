"""The trainee console: clock and situation, inbox, the message, the decision composer,
and in training mode what the plan expects with countdowns and immediate feedback.

It holds a ``TraineeFeed`` and draws the views it returns; what this role may see in this
mode has been decided by the port already (solo and joined consoles alike).
"""

from __future__ import annotations

import shlex
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, RichLog, Static

from drills.port.feeds import FeedError, TraineeFeed
from drills.port.views import (
    ConnectionChanged,
    DecisionRecorded,
    DecisionRefused,
    DrillEnded,
    ExpectationJudged,
    ExpectationOpened,
    HintArrived,
    InjectArrived,
    ProhibitedCommitted,
    StateChanged,
    SubmissionRefused,
    TraineeView,
)
from drills.ui.clock_format import short_time
from drills.ui.i18n import _, channel, localize_bindings, text
from drills.ui.screens.briefing import BriefingScreen
from drills.ui.screens.clock_controls import ClockControls
from drills.ui.screens.confirm import ConfirmScreen
from drills.ui.widgets.checklist import Checklist
from drills.ui.widgets.clock import ClockBar
from drills.ui.widgets.composer import Composer
from drills.ui.widgets.inbox import Inbox, InboxEntry
from engine.events import Decision

TICK_SECONDS = 0.1
REPEAT_WINDOW = 300  # scenario seconds: the same decision again this soon asks first


class TraineeScreen(ClockControls):
    AUTO_FOCUS = "#action"  # ready to decide; the inbox opens new messages by itself
    BINDINGS: ClassVar[list[BindingType]] = [
        ClockControls.HELP_BINDING,
        Binding("f2", "focus_inbox", "key_inbox"),
        Binding("f3", "focus_composer", "key_decide"),
        Binding("f4", "briefing", "key_briefing"),
        Binding("f5", "submit", "key_submit"),
        Binding("ctrl+s", "submit", "key_submit", show=False),
        *ClockControls.CLOCK_BINDINGS[:3],
        Binding("f9", "skip", "key_skip_mine"),  # the next inject for this role
    ]

    def __init__(self, feed: TraineeFeed, *, show_briefing: bool = True) -> None:
        super().__init__()
        localize_bindings(self)
        self.feed = feed
        self.trainee: TraineeFeed = feed
        self.role = feed.role
        self.briefing = feed.briefing
        self.training = self.briefing.expectations_shown
        self.show_briefing = show_briefing
        self.last_views: list[TraineeView] = []
        self.shown: InboxEntry | None = None  # the message on screen
        self.starting = feed.owns_clock and feed.clock().paused  # the briefing starts it
        self.decisions: list[tuple[int, str, tuple[tuple[str, object], ...]]] = []

    def compose(self) -> ComposeResult:
        plan = self.feed.public.plan
        yield ClockBar(self.feed.public, id="clock")
        with Horizontal(id="main"):
            with Vertical(id="left"):
                name = text(self.briefing.role_name) if self.briefing.role_name else self.role
                yield Static(Text(f"{_('role')}: {name}"), id="who")
                yield Inbox(id="inbox")
                if self.training:
                    yield Checklist(id="checklist")
            with Vertical(id="right"):
                with VerticalScroll(id="message-box"):
                    yield Static(_("no_messages"), id="message")
                yield Composer(plan, self.role, id="composer")
        yield RichLog(id="feedback", max_lines=200, wrap=True, min_width=20)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(Inbox).border_title = _("inbox")
        self.query_one("#message-box").border_title = _("message")
        self.query_one(Composer).border_title = _("decide")
        self.query_one("#feedback").border_title = _("feedback")
        if self.training:
            self.query_one(Checklist).border_title = _("checklist")
        self.sync_clock()
        self.handle(self.trainee.backlog())
        self.set_interval(TICK_SECONDS, self.advance)
        self.advance()
        if self.show_briefing:
            self.action_briefing()

    # -- the drill ------------------------------------------------------------------

    def advance(self) -> None:
        """Called by the timer: bring the drill up to the clock, then show what changed."""
        self.handle(self.trainee.advance())
        self.sync_clock()
        if self.training:
            self.query_one(Checklist).tick(self.feed.clock().now)

    def handle(self, views: list[TraineeView]) -> None:
        self.last_views = views
        for view in views:
            self._show(view)

    def _show(self, view: TraineeView) -> None:
        match view:
            case InjectArrived():
                self._arrived(
                    InboxEntry(
                        f"{view.inject_id}@{view.t}",
                        view.t,
                        text(view.title),
                        text(view.body),
                        text(view.source),
                        view.channel,
                    )
                )
            case HintArrived():
                body = text(view.text)
                title = f"{_('hint')}: {body[:30]}"
                self._arrived(
                    InboxEntry(f"hint@{view.seq}", view.t, title, body, _("hint"), "system")
                )
            case StateChanged():
                self.query_one(ClockBar).set_state(view.key, view.value)
            case ExpectationOpened():
                self.query_one(Checklist).open(view.expectation_id, view.title, view.t, view.due)
            case ExpectationJudged():
                if view.final:  # a partly answer stays open: still correctable
                    self.query_one(Checklist).close(view.expectation_id, view.status)
                self._log(text(view.line), view.t)
            case DecisionRecorded():  # recorded; outcome lines say how it was judged
                self._log(f"→ {_('accepted')}: {text(view.action)}", view.t)
            case DecisionRefused():
                self._log(f"✗ {_('refused')}: {text(view.action)} — {text(view.reason)}", view.t)
            case ProhibitedCommitted():
                self._log(text(view.line), view.t)
            case SubmissionRefused():
                self._log(f"✗ {_('refused')}: {text(view.reason)}")
            case ConnectionChanged():
                self._log(_("host_back") if view.connected else _("host_lost"))
            case DrillEnded():
                self.query_one(ClockBar).ended = True
                self.app.call_later(self._show_results)

    def _arrived(self, entry: InboxEntry) -> None:
        """A new message: listed, and opened unless the trainee is reading (the inbox or
        the message has focus) or writing (the decision form has something in it)."""
        inbox = self.query_one(Inbox)
        inbox.add_entry(entry)
        focused = self.app.focused
        reading = focused is not None and (
            focused is inbox or self.query_one("#message-box") in focused.ancestors_with_self
        )
        writing = self.query_one(Composer).dirty
        if self.shown is None or not (reading or writing):
            inbox.open_last()
        self._inbox_title()

    def _inbox_title(self) -> None:
        inbox = self.query_one(Inbox)
        unread = inbox.unread()
        inbox.border_title = _("inbox") + (
            f" ({_('unread').format(count=unread)})" if unread else ""
        )

    def _log(self, line: str, t: int | None = None) -> None:
        when = short_time(self.feed.clock().now if t is None else t)
        self.query_one("#feedback", RichLog).write(Text(f"{when}  {line}"))  # no markup

    def _show_results(self) -> None:
        from drills.ui.screens.results import ResultsScreen

        self.app.push_screen(ResultsScreen(self.trainee))

    # -- messages from widgets ----------------------------------------------------------

    def on_inbox_entry_selected(self, message: Inbox.EntrySelected) -> None:
        entry = self.shown = message.entry
        self._inbox_title()
        body = Text()
        body.append(entry.title, style="bold")
        body.append(
            f"\n{_('from')}: {entry.source}   {_('channel')}: {channel(entry.channel)}   "
            f"{short_time(entry.t)}\n\n"
        )
        body.append(entry.body)
        self.query_one("#message", Static).update(body)

    def on_composer_decision_composed(self, message: Composer.DecisionComposed) -> None:
        if self.feed.clock().ended:
            return
        decision = Decision(
            self.role,
            message.action,
            message.params,
            message.note,
            participant=self.trainee.participant,
        )
        if self._repeats(decision):
            question = _("repeat_question").format(action=message.label)
            self.app.push_screen(
                ConfirmScreen(question, _("submit_again")),
                lambda yes: self._submit(decision) if yes else None,
            )
            return
        self._submit(decision)

    def _repeats(self, decision: Decision) -> bool:
        """The same action with the same parameters shortly after: likely a slip."""
        now = self.feed.clock().now
        params = tuple(sorted(decision.params.items()))
        return any(
            action == decision.action and same == params and now - t <= REPEAT_WINDOW
            for t, action, same in self.decisions
        )

    def _submit(self, decision: Decision) -> None:
        try:
            views = self.trainee.submit(decision)
        except FeedError as exc:
            self._log(f"✗ {_('refused')}: {exc}")
            return
        now = self.feed.clock().now
        self.decisions.append((now, decision.action, tuple(sorted(decision.params.items()))))
        self.query_one(Composer).reset()
        self.handle(views)

    def on_composer_composition_refused(self, message: Composer.CompositionRefused) -> None:
        self._log(f"✗ {message.reason}")

    # -- actions -------------------------------------------------------------------------

    def action_focus_composer(self) -> None:
        self.query_one(Composer).focus_action()

    def action_focus_inbox(self) -> None:
        self.query_one(Inbox).focus()

    def action_submit(self) -> None:
        self.query_one(Composer).submit()

    def action_briefing(self) -> None:
        """Show the briefing; a solo drill's clock starts when the trainee is ready."""
        keys = self.app.key_table() if hasattr(self.app, "key_table") else []
        ready = _("start_drill") if self._waits_for_start() else _("close")
        self.app.push_screen(BriefingScreen(self.briefing, keys, ready), self._briefing_closed)

    def _waits_for_start(self) -> bool:
        clock = self.feed.clock()
        return self.starting and self.owns_clock() and clock.paused and not clock.ended

    def _briefing_closed(self, ready: bool | None) -> None:
        if ready and self._waits_for_start():
            self.feed.toggle_pause()
        self.starting = False
        self.query_one(Composer).focus_action()

    def quit_question(self) -> str | None:
        """Asked before the app quits mid-drill; None: quit at once."""
        if self.feed.clock().ended:
            return None
        if self.owns_clock():
            return _("quit_solo").format(drill=self.briefing.drill_id)
        return _("quit_joined").format(command=self.rejoin_command())

    def quit_message(self) -> str:
        """Printed in the terminal after quitting: how to come back."""
        if self.owns_clock():
            return _("come_back_solo").format(drill=self.briefing.drill_id)
        return _("come_back_joined").format(command=self.rejoin_command())

    def rejoin_command(self) -> str:
        """What a joined trainee types to come back into the same seat."""
        words = ["drillhall", "join", self.briefing.drill_id, "--role", self.role]
        if self.trainee.participant:
            words += ["--name", self.trainee.participant]
        return shlex.join(words)

    def before_quit(self) -> None:
        if self.owns_clock() and not self.feed.clock().paused:
            self.feed.toggle_pause()
