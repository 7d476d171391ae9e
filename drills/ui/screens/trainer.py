"""The trainer console: roster, live timeline, the board of expectations with
countdowns, the scoreboard, and the controls (pause, speed, skip, fire, hint, end)."""

from __future__ import annotations

import time
from collections import deque
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Footer, Log, Static

from drills.play.live import LiveDrill
from drills.review.summary import describe_event
from drills.store.notes import add_note
from drills.ui.clock_format import countdown
from drills.ui.i18n import _, language, localize_bindings, text
from drills.ui.screens.clock_controls import ClockControls
from drills.ui.screens.dialogs import DialogScreen
from drills.ui.widgets.clock import ClockBar
from engine.events import Event, Kind
from scoring.profile import RATING_ZH
from scoring.score import DrillScore, score_drill

BOARD_FINISHED = 40
BOARD_REFRESH = 0.25
STATUS = {"expectation_met": "met", "expectation_late": "late", "expectation_missed": "missed"}


class TrainerScreen(ClockControls):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ClockControls.CLOCK_BINDINGS,
        Binding("ctrl+f", "fire", "fire"),
        Binding("ctrl+h", "hint", "send_hint"),
        Binding("ctrl+e", "end", "end"),
    ]

    def __init__(self, live: LiveDrill) -> None:
        super().__init__()
        localize_bindings(self)
        self.live = live
        self.compiled = live.session.compiled
        self.pending: dict[str, tuple[int, int | None]] = {}
        self.saved = False
        self._board: dict[str, list[str]] = {}  # expectation id -> status, id, role
        self._finished: deque[str] = deque()
        self._board_drawn = 0.0
        self.timeline_lines = 0

    def compose(self) -> ComposeResult:
        yield ClockBar(self.compiled, id="clock")
        with Horizontal(id="main"):
            with Vertical(id="trainer-left"):
                yield Static(_("roster"), classes="title")
                yield DataTable(id="roster", cursor_type="row")
                yield Static(_("scoreboard"), classes="title")
                yield Static("—", id="scoreboard")
            with Vertical(id="trainer-middle"):
                yield Static(_("timeline"), classes="title")
                yield Log(id="timeline", max_lines=20_000, auto_scroll=True)
            with Vertical(id="trainer-right"):
                yield Static(_("board"), classes="title")
                yield DataTable(id="board", cursor_type="row")
        with Horizontal(id="controls"):
            yield Button(_("start"), id="pause", variant="primary")
            yield Button("−", id="slower")
            yield Button("+", id="faster")
            yield Button(_("skip"), id="skip")
            yield Button(_("fire"), id="fire")
            yield Button(_("send_hint"), id="hint")
            yield Button(_("end"), id="end", variant="error")
        yield Footer()

    def on_mount(self) -> None:
        roster = self.query_one("#roster", DataTable)
        # Fixed widths: auto-sized columns settle lazily, which made snapshots flaky.
        roster.add_column(_("role"), width=24)
        roster.add_column(_("who"), width=14)
        who = self.live.session.store.roster(self.live.session.drill_id)
        for role in self.compiled.plan.roles:
            roster.add_row(text(role.name), who.get(role.id, "—"), key=role.id)
        board = self.query_one("#board", DataTable)
        board.add_column(_("status"), key="status", width=14)
        board.add_column("ID", key="id", width=18)
        board.add_column(_("role"), key="role", width=30)
        self.query_one(ClockBar).speed = self.live.clock.speed
        self.handle(self.live.session.engine.events)
        self.refresh_scores()
        self.set_interval(0.1, self.advance)
        self.set_interval(2.0, self.refresh_scores)
        if self.live.hosted:
            self.set_interval(1.0, self.refresh_roster)
            self.notify(f"{_('host_code')}: {self.live.session.drill_id}", timeout=30)

    def refresh_roster(self) -> None:
        """Who has joined (hosted drills), and bots once the drill has started."""
        from drills.store import rooms

        session = self.live.session
        joined = rooms.participants(session.store, session.drill_id)
        roster = self.query_one("#roster", DataTable)
        for role in self.compiled.plan.roles:
            who = joined.get(role.id) or (
                f"bot:{session.bots[role.id]}" if role.id in session.bots else "—"
            )
            roster.update_cell(role.id, roster.columns[list(roster.columns)[1]].key, who)

    def advance(self) -> None:
        self.handle(self.live.advance())
        self.sync_clock()
        self.query_one("#pause", Button).label = (
            _("pause") if not self.live.clock.paused else _("start")
        )
        for exp_id, (_anchor, due) in self.pending.items():
            if due is not None and exp_id in self._board:
                self._board[exp_id][0] = f"{_('pending')} {countdown(due - self.live.now)}"
        self._flush_board()

    def handle(self, events: list[Event]) -> None:
        timeline = self.query_one("#timeline", Log)
        lines = []
        for event in events:
            line = describe_event(event, self.compiled, language())
            if line:
                lines.append(line)
            data = event.data
            if event.kind == Kind.INJECT_DELIVERED:
                for exp_id in data["expectations"]:
                    spec = self.compiled.expectations[exp_id]
                    due = event.t + spec.deadline + spec.grace if spec.deadline else None
                    self.pending[exp_id] = (event.t, due)
                    role = self.compiled.plan.role(spec.role)
                    role_name = text(role.name) if role else spec.role
                    self._board[exp_id] = [_("pending"), exp_id, role_name]
            elif event.kind in STATUS:
                exp_id = data["expectation"]
                self.pending.pop(exp_id, None)
                if exp_id in self._board:
                    self._board[exp_id][0] = _(STATUS[event.kind])
                    self._finished.append(exp_id)
                    if len(self._finished) > BOARD_FINISHED:
                        self._board.pop(self._finished.popleft(), None)
            elif event.kind == Kind.STATE_CHANGED:
                self.query_one(ClockBar).set_state(data["key"], data["value"])
            elif event.kind == Kind.DRILL_ENDED:
                self.refresh_scores()
                self.app.call_later(self.ask_hotwash)
        if lines:
            timeline.write_lines(lines)  # one write per tick: Log stays cheap at 10,000+ lines
            self.timeline_lines += len(lines)

    def _flush_board(self, *, force: bool = False) -> None:
        """Show the board model: pending expectations and the latest finished ones.

        Rendering a DataTable costs about a millisecond a row, so under a flood of events
        the table is redrawn at most four times a second, from the model, in one go.
        """
        now = time.monotonic()
        if not force and now - self._board_drawn < BOARD_REFRESH:
            return
        self._board_drawn = now
        board = self.query_one("#board", DataTable)
        shown = [key.value for key in board.rows]
        if shown == list(self._board):
            for exp_id, cells in self._board.items():
                if board.get_cell(exp_id, "status") != cells[0]:
                    board.update_cell(exp_id, "status", cells[0])
            return
        board.clear()
        for exp_id, cells in self._board.items():
            board.add_row(*cells, key=exp_id)

    class ScoresComputed(Message):
        """A live score, computed off the UI thread."""

        def __init__(self, result: DrillScore) -> None:
            super().__init__()
            self.result = result

    def refresh_scores(self) -> None:
        self.compute_scores(list(self.live.session.engine.events))

    @work(thread=True, exclusive=True, group="scores")
    def compute_scores(self, events: list[Event]) -> None:
        """Scoring a long drill takes a while: a worker, with the result as a message."""
        self.post_message(self.ScoresComputed(score_drill(self.compiled, events)))

    def on_trainer_screen_scores_computed(self, message: ScoresComputed) -> None:
        result = message.result
        if self.live.ended and not self.saved:
            self.saved = True
            self.live.save_score(result)  # the final score, computed by the worker
        lines = [
            f"{_('team_score')}: {result.score:.1f} {result.rating} {RATING_ZH[result.rating]}"
        ]
        for role_id, data in result.roles.items():
            role = self.compiled.plan.role(role_id)
            lines.append(
                f"{text(role.name) if role else role_id}: {data['score']:.0f} {data['rating']}"
            )
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

    def action_fire(self) -> None:
        fired = self.live.engine.fired
        options = [
            (f"{i.id} {text(i.title or i.text)[:40]}", i.id)
            for i in self.compiled.scenario.injects
            if i.id not in fired
        ]
        self.app.push_screen(
            DialogScreen(_("fire"), [("inject", _("message"), options)], _("fire")), self._fire
        )

    def _fire(self, values: dict[str, str] | None) -> None:
        if values and values["inject"]:
            self.handle(self.live.fire(values["inject"]))

    def action_hint(self) -> None:
        roles = [(text(r.name), r.id) for r in self.compiled.plan.roles]
        self.app.push_screen(
            DialogScreen(
                _("send_hint"),
                [("role", _("role"), roles), ("text", _("hint"), "text")],
                _("send_hint"),
            ),
            self._send_hint,
        )

    def _send_hint(self, values: dict[str, str] | None) -> None:
        if values and values["role"] and values["text"]:
            self.handle(self.live.hint((values["role"],), values["text"]))

    def action_end(self) -> None:
        if not self.live.ended:
            self.handle(self.live.end())

    def ask_hotwash(self) -> None:
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
            session = self.live.session
            add_note(
                session.store,
                session.drill_id,
                "hotwash",
                values["author"] or "trainer",
                values["notes"],
            )
            self.notify(_("saved"))
