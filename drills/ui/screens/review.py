"""The review console for safety managers: drills with filters (scenario or id, rating,
site), a drill's scores, ratings and findings, the team-score trend of the drills listed,
report export and sign-off."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Select, Sparkline, Static

from drills.port.feeds import DrillRow, FeedError, ReviewDesk
from drills.port.labels import CAPACITIES, mode_purpose
from drills.port.text import one_line, players_text
from drills.ui.i18n import _, language, localize_bindings, text
from drills.ui.i18n import rating as rating_text
from drills.ui.screens.dialogs import DialogScreen
from scoring.findings import CLASSES

DEFAULT_CAPACITY = "safety_manager"  # the review console is the safety manager's


def capacity_name(capacity: str) -> str:
    """A signer's capacity in the console's language (an old sign-off has none)."""
    zh, en = CAPACITIES.get(capacity, (capacity, capacity))
    return (zh if language() == "zh" else en) or _("capacity_unknown")


class SignOffDialog(DialogScreen):
    """Sign a drill: name, capacity (a choice; the safety manager's at first), comment."""

    def __init__(self) -> None:
        super().__init__(
            _("sign"),
            [
                ("name", _("signed_by"), "text"),
                ("capacity", _("capacity"), [(capacity_name(k), k) for k in CAPACITIES]),
                ("comment", _("comment"), "text"),
            ],
            _("sign"),
        )

    def on_mount(self) -> None:
        self.query_one("#capacity", Select).value = DEFAULT_CAPACITY


class ReviewScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "export", "export"),
        Binding("ctrl+g", "sign", "sign"),
        Binding("ctrl+l", "focus_filter", "filter"),
    ]

    class ReportExported(Message):
        def __init__(self, path: Path) -> None:
            super().__init__()
            self.path = path

    def __init__(self, desk: ReviewDesk) -> None:
        super().__init__()
        localize_bindings(self)
        self.desk = desk
        self.selected: str | None = None
        self.rows: dict[str, DrillRow] = {}  # the listed drills by id

    def compose(self) -> ComposeResult:
        sites = self.desk.sites()
        with Horizontal(id="filters"):
            yield Input(placeholder=_("filter"), id="scenario-filter")
            yield Select([(r, r) for r in "PSMU"], prompt=_("all_ratings"), id="rating-filter")
            # a site's name is whatever its machine is called: shown literally, never markup
            site_filter: Select[str] = Select(
                [(Text(one_line(site)), site) for site in sites],
                prompt=_("all_sites"),
                id="site-filter",
            )
            site_filter.display = len(sites) > 1  # one site: nothing to choose between
            yield site_filter
        with Horizontal(id="main"):
            yield DataTable(id="drill-table", cursor_type="row")
            with Vertical(id="drill-detail"):
                yield Static(_("trend"), classes="title", id="trend-title")
                yield Sparkline([], id="trend")
                yield VerticalScroll(Static(_("select_drill"), id="detail"))
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#drill-table", DataTable)
        for label, width in (  # id, score, rating and status first: they stay in view
            (_("col_id"), 8),
            (_("score"), 6),
            (_("rating"), 6),
            (_("status"), 12),
            (_("date"), 16),
            (_("col_site"), 12),  # after the date, as in `drillhall history`
            (_("scenario"), 24),
            (_("mode"), 14),
            (_("col_players"), 30),
        ):
            table.add_column(label, width=width)  # fixed: auto widths settle lazily
        self.reload()
        table.focus()

    def reload(self) -> None:
        table = self.query_one("#drill-table", DataTable)
        table.clear()
        search = self.query_one("#scenario-filter", Input).value.strip() or None
        rating = self.query_one("#rating-filter", Select).value
        chosen = self.query_one("#site-filter", Select).value
        site = chosen if isinstance(chosen, str) else None
        rows = self.desk.drills(search, rating if isinstance(rating, str) else None, site)
        self.rows = {row.id: row for row in rows}
        for row in rows:
            table.add_row(
                Text(one_line(row.id)),
                "—" if row.score is None else f"{row.score:.1f}",
                row.rating or "—",
                _(row.status) if row.started else f"{_(row.status)} ({_('not_started')})",
                row.created[:16].replace("T", " "),
                Text(one_line(row.site)) if row.site else "—",
                Text(one_line(row.scenario_id)),
                mode_purpose(row.mode, row.purpose, language()),
                Text(players_text(row.players, row.bots, _("bots_only"))),
                key=row.id,
            )
        scores = [r.score for r in reversed(rows) if r.score is not None]
        self.query_one("#trend", Sparkline).data = scores or [0.0]
        # the trend is the listed drills': with a site chosen, that site's
        title = _("trend") if site is None else f"{_('trend')} · {one_line(site)}"
        self.query_one("#trend-title", Static).update(Text(title))
        if self.selected not in {row.id for row in rows}:  # filtered out: the first shown
            if rows:
                self.show(rows[0].id)
            else:
                self.selected = None
                self.query_one("#detail", Static).update(_("select_drill"))

    def on_input_changed(self, event: Input.Changed) -> None:
        self.reload()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.reload()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value:
            self.show(event.row_key.value)

    def show(self, drill_id: str) -> None:
        self.selected = drill_id
        try:
            report = self.desk.report(drill_id)
        except FeedError as exc:
            self.query_one("#detail", Static).update(Text(str(exc)))
            return
        score = report.score
        key = "zh" if language() == "zh" else "en"
        caps = report.plan["capabilities"]
        lines = [
            f"{text(report.scenario['title'])} ({drill_id})",
            f"{_('score')}: {score.score:.1f}  {_('rating')}: {rating_text(score.rating)}  "
            f"[{_('draft') if report.draft else _('signed')}]",
        ]
        row = self.rows.get(drill_id)
        if row is not None and row.site:
            lines.append(f"{_('col_site')}: {one_line(row.site)}")
        lines.append("")
        lines += [
            f"{c.rating} {c.score:5.1f}  {text(caps.get(c.id, {'zh': c.id, 'en': c.id}))}"
            for c in score.capabilities
        ]
        lines += ["", f"{_('findings')}:"]
        lines += [f"{f.id} [{CLASSES[f.klass][key]}] {text(f.title)}" for f in report.findings] or [
            "—"
        ]
        if report.signatures:
            lines.append("")
        for signature in report.signatures:  # every signature, first first
            lines.append(
                f"{_('signed_by')}: {one_line(signature.name)} — "
                f"{capacity_name(signature.capacity)}  {signature.at[:16].replace('T', ' ')}"
            )
        if report.amendments:
            lines.append(f"{_('amendments')}: {len(report.amendments)}")
        self.query_one("#detail", Static).update(Text("\n".join(lines)))

    def action_focus_filter(self) -> None:
        self.query_one("#scenario-filter", Input).focus()

    def action_export(self) -> None:
        if self.selected:
            self.export(self.selected, language())

    @work(thread=True, exclusive=True, group="export")
    def export(self, drill_id: str, lang: str) -> None:
        """Rendering happens in a worker with its own connection; the UI gets a message."""
        self.post_message(self.ReportExported(self.desk.export_html(drill_id, lang)))

    def on_review_screen_report_exported(self, message: ReportExported) -> None:
        self.notify(f"{_('report_written')}: {message.path}", markup=False)

    def action_sign(self) -> None:
        if self.selected:
            self.app.push_screen(SignOffDialog(), self._signed)

    def _signed(self, values: dict[str, str] | None) -> None:
        if not values or not self.selected:
            return
        if not values["capacity"]:
            self.notify(_("choose_capacity"), severity="error")
            return
        try:
            self.desk.sign_off(self.selected, values["name"], values["capacity"], values["comment"])
        except FeedError as exc:
            self.notify(str(exc), severity="error", markup=False)  # may quote a name
            return
        self.notify(_("signed"))
        self.show(self.selected)
