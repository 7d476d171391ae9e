"""The trainer console: roster, live timeline, the board of expectations with countdowns,
the scoreboard, and the controls (pause, speed, skip, fire, hint, the seats and their
tokens, free a seat, end).

It holds a ``TrainerFeed``. The live score is computed by a worker and only shown; the
final score belongs to the drill (computed once from the journal and saved once), and
this console only asks for it.
"""

from __future__ import annotations

import time
from collections import deque
from typing import ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Footer, OptionList, RichLog, Static
from textual.widgets.data_table import ColumnKey
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from drills.port.feeds import FeedError, TrainerFeed
from drills.port.views import (
    DrillEnded,
    ExpectationJudged,
    ExpectationOpened,
    RosterChanged,
    Seat,
    StateChanged,
    TimelineEntry,
    TrainerView,
)
from drills.ui.clock_format import countdown
from drills.ui.i18n import _, bot, localize_bindings, rating, text
from drills.ui.screens.clock_controls import ClockControls
from drills.ui.screens.confirm import ConfirmScreen
from drills.ui.widgets.clock import ClockBar
from scoring.score import DrillScore

BOARD_FINISHED = 40
BOARD_REFRESH = 0.25
FINAL_WAIT = 120.0
TICK_SECONDS = 0.1  # the drill advances this often (and at once when a decision comes)
DECISION_WAIT = 0.5  # seconds a worker waits for trainees' decisions before it looks again
STATUS_WIDTH = 14  # "pending 1:23:45", "partly right"


class Board(DataTable[str | Text]):
    """The expectations: status, id, role; its role column fits the width it is given."""

    def on_resize(self, event: events.Resize) -> None:
        screen = self.screen
        if isinstance(screen, TrainerScreen) and event.size.width:
            screen.fit_board(event.size.width)


class TrainerScreen(ClockControls):
    BINDINGS: ClassVar[list[BindingType]] = [
        ClockControls.HELP_BINDING,
        *ClockControls.CLOCK_BINDINGS,
        Binding("f2", "fire", "key_fire"),
        Binding("f3", "hint", "key_hint"),
        Binding("f4", "free_seat", "key_free_seat"),
        Binding("f5", "seats", "key_seats"),
        Binding("ctrl+e", "end", "key_end"),
    ]

    def __init__(self, feed: TrainerFeed) -> None:
        super().__init__()
        localize_bindings(self)
        self.feed = feed
        self.trainer: TrainerFeed = feed
        self.compiled = feed.public
        self.pending: dict[str, int | None] = {}  # expectation id → due
        self._board: dict[str, list[str]] = {}  # expectation id → status, id, role
        self._finished: deque[str] = deque()
        self._board_drawn = 0.0
        self.timeline_lines = 0
        self.final: DrillScore | None = None
        self.ending_asked = False
        self.seats: tuple[Seat, ...] = ()

    def compose(self) -> ComposeResult:
        yield ClockBar(self.compiled, id="clock")
        if self.trainer.hosted:
            yield Static(Text(self._join_line()), id="join-line")
        with Horizontal(id="main"):
            with Vertical(id="trainer-left"):
                yield Static(_("roster"), classes="title")
                yield OptionList(id="roster")
                yield Static(_("scoreboard"), classes="title")
                yield Static("—", id="scoreboard")
            with Vertical(id="trainer-middle"):
                yield Static(_("timeline"), classes="title")
                yield RichLog(id="timeline", max_lines=5000, wrap=True, markup=False, min_width=20)
                yield Static(_("board"), classes="title")
                yield Board(id="board", cursor_type="row")
        with Horizontal(id="controls"):
            yield Button(_("start"), id="pause", variant="primary", compact=True)
            yield Button("−", id="slower", compact=True)
            yield Button("+", id="faster", compact=True)
            yield Button(_("skip"), id="skip", compact=True)
            yield Button(_("fire"), id="fire", compact=True)
            yield Button(_("send_hint"), id="hint", compact=True)
            yield Button(_("end"), id="end", variant="error", compact=True)
        yield Footer()

    def _join_line(self) -> str:
        drill = self.trainer.briefing.drill_id
        return f"{_('host_code')}: {drill}   {_('join_with')}: {self.trainer.join_command}"

    def on_mount(self) -> None:
        self._board_columns(24)
        self.sync_clock()
        self.handle(self.trainer.backlog())
        self.refresh_scores()
        self.set_interval(TICK_SECONDS, self.advance)
        self.set_interval(2.0, self.refresh_scores)
        if self.trainer.hosted:
            self.watch_decisions()

    def fit_board(self, width: int) -> None:
        """The board's role column takes the width left: role names wrap, never cut."""
        board = self.query_one("#board", Board)
        padding = 2 * 2 * board.cell_padding
        self._board_columns(max(16, width - 2 - STATUS_WIDTH - padding))

    def _board_columns(self, width: int) -> None:
        """Status, and the expectation (its id and its role's whole name, wrapped)."""
        board = self.query_one("#board", Board)
        column = board.columns.get(ColumnKey("expectation"))
        if column is not None and column.width == width:
            return
        board.clear(columns=True)
        # Fixed widths: auto-sized columns settle lazily, which made snapshots flaky.
        board.add_column(_("status"), key="status", width=STATUS_WIDTH)
        board.add_column(_("board_what"), key="expectation", width=width)
        self._flush_board(force=True)

    # -- the drill -----------------------------------------------------------------------

    def advance(self) -> None:
        self.handle(self.trainer.advance())
        self.sync_clock()
        clock = self.feed.clock()
        self.query_one("#pause", Button).label = _("pause") if not clock.paused else _("start")
        for exp_id, due in self.pending.items():
            if due is not None and exp_id in self._board:
                self._board[exp_id][0] = f"{_('pending')} {countdown(due - clock.now)}"
        self._flush_board()

    def handle(self, views: list[TrainerView]) -> None:
        lines = []
        for view in views:
            match view:
                case TimelineEntry():
                    if line := text(view.line):  # worded now, in this console's language
                        lines.append(line)
                case ExpectationOpened():
                    self.pending[view.expectation_id] = view.due
                    role = self.compiled.plan.role(view.role)
                    name = text(role.name) if role else view.role
                    self._board[view.expectation_id] = [_("pending"), view.expectation_id, name]
                case ExpectationJudged() if view.final:
                    self._judged(view.expectation_id, view.status)
                case StateChanged():
                    self.query_one(ClockBar).set_state(view.key, view.value)
                case RosterChanged():
                    self._draw_roster(view.seats)
                case DrillEnded():
                    self.wait_for_final()
        if lines:
            timeline = self.query_one("#timeline", RichLog)
            for line in lines:
                timeline.write(Text(line))  # author and trainee text: never markup
            self.timeline_lines += len(lines)

    def _judged(self, exp_id: str, status: str) -> None:
        self.pending.pop(exp_id, None)
        if exp_id in self._board:
            self._board[exp_id][0] = (
                _(status) if status in ("met", "late", "missed", "partly") else status
            )
            self._finished.append(exp_id)
            if len(self._finished) > BOARD_FINISHED:
                self._board.pop(self._finished.popleft(), None)

    def _draw_roster(self, seats: tuple[Seat, ...]) -> None:
        """One entry per role: its whole name (wrapped), who holds it, whether connected."""
        roster = self.query_one("#roster", OptionList)
        highlighted = roster.highlighted
        self.seats = seats
        roster.set_options(Option(self._seat_line(seat), id=seat.role) for seat in seats)
        if seats:
            roster.highlighted = min(highlighted or 0, len(seats) - 1)

    def _seat_line(self, seat: Seat) -> Text:
        line = Text()
        line.append("● " if seat.connected else "○ " if seat.holder else "  ")
        line.append(text(seat.name), style="bold")
        line.append("\n ")
        if seat.holder:
            who = f"{seat.holder} ({_('connected') if seat.connected else _('joined')})"
        elif seat.bot:
            who = f"{_('bot')}: {bot(seat.bot)}"
        else:
            who = _("seat_empty")
        line.append(f"  {who}", style="dim")
        return line

    def _flush_board(self, *, force: bool = False) -> None:
        """Show the board model: pending expectations and the latest finished ones.

        Rendering a DataTable costs about a millisecond a row, so under a flood of events
        the table is redrawn at most four times a second, from the model, in one go.
        """
        now = time.monotonic()
        if not force and now - self._board_drawn < BOARD_REFRESH:
            return
        self._board_drawn = now
        board = self.query_one("#board", Board)
        shown = [key.value for key in board.rows]
        if shown == list(self._board):
            for exp_id, cells in self._board.items():
                if board.get_cell(exp_id, "status") != cells[0]:
                    board.update_cell(exp_id, "status", cells[0])
            return
        board.clear()
        for exp_id, (status, ident, role) in self._board.items():
            what = Text(ident, style="bold")
            what.append(f"  {role}")
            board.add_row(status, what, key=exp_id, height=None)  # names wrap, never cut

    # -- scores --------------------------------------------------------------------------

    class ScoresComputed(Message):
        """A live score, computed off the UI thread (shown, never saved)."""

        def __init__(self, result: DrillScore) -> None:
            super().__init__()
            self.result = result

    class FinalScoreReady(Message):
        """The drill's saved final score."""

        def __init__(self, result: DrillScore | None) -> None:
            super().__init__()
            self.result = result

    class DecisionsArrived(Message):
        """A trainee's decision reached the gateway: apply it now, not at the next tick."""

    @work(thread=True, exclusive=True, group="decisions")
    def watch_decisions(self) -> None:
        worker = get_current_worker()
        while not worker.is_cancelled:
            if self.trainer.wait_for_decisions(DECISION_WAIT):
                self.post_message(self.DecisionsArrived())

    def on_trainer_screen_decisions_arrived(self, message: DecisionsArrived) -> None:
        if not self.feed.clock().ended:
            self.advance()

    def refresh_scores(self) -> None:
        clock = self.feed.clock()
        if self.final is None and not clock.ended and clock.started:
            self.compute_scores()

    @work(thread=True, exclusive=True, group="scores")
    def compute_scores(self) -> None:
        """Scoring a long drill takes a while: a worker, with the result as a message."""
        result = self.trainer.live_score()
        if not get_current_worker().is_cancelled:
            self.post_message(self.ScoresComputed(result))

    def on_trainer_screen_scores_computed(self, message: ScoresComputed) -> None:
        # A late live score never replaces the final one; and at 0:00, before anything
        # has happened, a score (0.0 U) would only alarm.
        if self.final is None and self.feed.clock().now > 0:
            self._show_score(message.result)

    @work(thread=True, exclusive=True, group="final")
    def wait_for_final(self) -> None:
        self.post_message(self.FinalScoreReady(self.trainer.final_score(FINAL_WAIT)))

    def on_trainer_screen_final_score_ready(self, message: FinalScoreReady) -> None:
        self.workers.cancel_group(self, "scores")
        if message.result is None:
            self.notify(_("final_failed"), severity="error")
            return
        self.final = message.result
        self._show_score(message.result, final=True)
        if not self.ending_asked:
            self.ending_asked = True
            from drills.ui.screens.trainer_results import TrainerResultsScreen

            self.app.push_screen(TrainerResultsScreen(self.trainer, message.result))

    def _show_score(self, result: DrillScore, *, final: bool = False) -> None:
        label = _("final_score") if final else _("team_score")
        lines = [f"{label}: {result.score:.1f} {rating(result.rating)}"]
        for role_id, data in result.roles.items():
            role = self.compiled.plan.role(role_id)
            name = text(role.name) if role else role_id
            lines.append(f"{data['score']:>5.1f} {data['rating']}  {name}")
        self.query_one("#scoreboard", Static).update(Text("\n".join(lines)))

    # -- controls ------------------------------------------------------------------------

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "pause": self.action_toggle_pause,
            "slower": self.action_slower,
            "faster": self.action_faster,
            "skip": self.action_skip,
            "fire": self.action_fire,
            "hint": self.action_hint,
            "end": self.action_end,
        }
        if event.button.id in actions:
            actions[event.button.id]()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("fire", "hint", "end") and self.feed.clock().ended:
            return False
        if action in ("free_seat", "seats") and not self.trainer.hosted:
            return False
        return super().check_action(action, parameters)

    def role_names(self) -> dict[str, str]:
        return {r.id: text(r.name) for r in self.compiled.plan.roles}

    def action_fire(self) -> None:
        from drills.ui.screens.fire import FireScreen

        self.app.push_screen(
            FireScreen(self.trainer.unfired_injects(), self.role_names()), self._fire
        )

    def _fire(self, inject_id: str | None) -> None:
        if inject_id:
            self.handle(self.trainer.fire(inject_id))

    def action_hint(self) -> None:
        from drills.ui.screens.hint import HintScreen

        roles = [(name, role) for role, name in self.role_names().items()]
        self.app.push_screen(HintScreen(roles), self._send_hint)

    def _send_hint(self, chosen: tuple[tuple[str, ...], str] | None) -> None:
        if chosen:
            self.handle(self.trainer.hint(*chosen))

    def action_free_seat(self) -> None:
        """Free the highlighted role's seat, after asking."""
        option = self.query_one("#roster", OptionList).highlighted_option
        role = option.id if option is not None else None
        if role is not None:
            self._ask_to_free(role, from_seats=False)

    def _ask_to_free(self, role: str, *, from_seats: bool) -> None:
        """Free ``role``'s seat if the trainer says yes; from the seats dialog, back to it."""
        question = _("free_seat_question").format(role=self.role_names().get(role, role))

        def answered(yes: bool | None) -> None:
            if yes:
                self._free(role, show_seats=from_seats)
            elif from_seats:
                self.action_seats()

        self.app.push_screen(ConfirmScreen(question, _("free_seat")), answered)

    def _free(self, role: str, *, show_seats: bool = False) -> None:
        """Free the seat: its old token is revoked; the new one is shown to the trainer."""
        try:
            token = self.trainer.free_seat(role)
        except FeedError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        name = self.role_names().get(role, role)
        self.notify(_("seat_freed_token").format(role=name, token=token), markup=False, timeout=30)
        if show_seats:
            self.action_seats()

    def action_seats(self) -> None:
        """The seats: each role's token and who holds it; a seat can be freed from here."""
        from drills.ui.screens.seats import SeatsScreen

        self.app.push_screen(
            SeatsScreen(self.trainer.roster(), self.trainer.seat_tokens()), self._seat_chosen
        )

    def _seat_chosen(self, role: str | None) -> None:
        if role is not None:
            self._ask_to_free(role, from_seats=True)

    def action_end(self) -> None:
        if self.feed.clock().ended:
            return
        connected = self.trainer.connected_trainees()
        question = _("end_question")
        if connected:
            question += " " + _("end_connected").format(count=connected)
        self.app.push_screen(
            ConfirmScreen(question, _("end")), lambda yes: self._end() if yes else None
        )

    def _end(self) -> None:
        self.handle(self.trainer.end("ended by trainer"))

    def quit_question(self) -> str | None:
        if self.feed.clock().ended:
            return None
        question = _("quit_trainer").format(drill=self.trainer.briefing.drill_id)
        connected = self.trainer.connected_trainees()
        if connected:
            question += " " + _("end_connected").format(count=connected)
        return question

    def quit_message(self) -> str:
        return _("come_back_trainer").format(drill=self.trainer.briefing.drill_id)

    def before_quit(self) -> None:
        if not self.feed.clock().paused:
            self.feed.toggle_pause()
