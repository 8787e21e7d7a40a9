"""The Reports screen: choose audits, see the QA figures as charts, make reports, returns and packs.

Everything long (statistics on a big store, PDF, Excel, packs) runs through
:mod:`qadesk.ui.operations`, off the UI thread, with progress and Cancel.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.core.indicators import IndicatorFigure
from qadesk.services.packs import ImportResult, Resolution, export_pack, import_pack
from qadesk.services.queries import Selection, count_audits, distinct_values, programme_names
from qadesk.services.reporting import report_indicators
from qadesk.services.stats import FINAL_GRADE_NOTE, Stats, compute
from qadesk.services.templates import list_templates
from qadesk.ui import messages
from qadesk.ui.audits_view import PERIODS, period_dates
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.export_dialogs import (
    PackExportDialog,
    PackImportDialog,
    ask_open_pack,
    ask_save_path,
)
from qadesk.ui.operations import Operations
from qadesk.ui.status_filter import StatusChecks
from qadesk.ui.widgets import GRADE_COLOURS, Heading, StackedBarChart, fmt_month, scale_colours, tab_leaves

CUSTOM = "Between dates…"
PRODUCTS = (
    ("audit_reports", "Audit reports (PDF)…", "Each chosen audit as the practitioner reads it, one PDF."),
    ("summary_pdf", "QA summary report (PDF)…", "The monthly report: grades, moderation, actions, learning themes."),
    ("return_xlsx", "Excel return…", "One row an audit and an answer, a sheet per template, for the region."),
    ("moderation_pack", "Moderation pack…", "Completed audits for a moderator (pseudonymised when external)."),
    ("transfer_pack", "Audit transfer pack…", "Audits for another qadesk: a partner, a colleague's laptop."),
    ("import_pack", "Import a pack…", "A moderation return, a transfer or a moderation request."),
)
REFRESH_DELAY_MS = 250


def _combo(name: str, accessible: str) -> QComboBox:
    c = QComboBox()
    c.setObjectName(name)
    c.setAccessibleName(accessible)
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(12)
    return c


class ReportsView(QWidget):
    """Reports, returns and packs for the chosen audits, with the same figures drawn as charts."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("reports")
        self.stats: Stats | None = None
        self.last_result: Any = None
        self._filling = False
        self._debounce = QTimer(self, singleShot=True, interval=REFRESH_DELAY_MS)
        self._debounce.timeout.connect(self.refresh_figures)

        self.period = _combo("reports.period", "Audits started in")
        self.since, self.until = DateBox(empty_text="Any date"), DateBox(empty_text="Any date")
        for edit, name in ((self.since, "reports.since"), (self.until, "reports.until")):
            edit.setObjectName(name)
        self._typed: tuple[date | None, date | None] | None = None  # the custom dates, kept while a period is chosen
        self.since.setAccessibleName("Started on or after")
        self.until.setAccessibleName("Started on or before")
        today = date.today()
        self.since.set_date(today.replace(day=1))
        self.until.set_date(today)
        self.team = _combo("reports.team", "Team")
        self.status = StatusChecks("reports.status")  # several at once (none ticked: any status)
        self.programme = _combo("reports.programme", "Programme")
        self.template = _combo("reports.template", "Template")
        self.use_list = QCheckBox("Only the audits filtered on the Audits screen")
        self.use_list.setObjectName("reports.use_audits_list")
        self.use_list.setToolTip("Use the filters set on the Audits screen (search included) instead of these")
        self.count = QLabel()
        self.count.setObjectName("reports.count")

        choose = QGroupBox("Which audits")
        grid = QGridLayout(choose)
        for i, (label, w) in enumerate((("Started", self.period), ("From", self.since), ("To", self.until),
                                        ("Team", self.team), ("Programme", self.programme),
                                        ("Template", self.template), ("Status", self.status))):
            lbl = QLabel(label)
            lbl.setBuddy(w)
            grid.addWidget(lbl, i // 4 * 2, i % 4)
            grid.addWidget(w, i // 4 * 2 + 1, i % 4, 1, 2 if w is self.status else 1)
        grid.addWidget(self.use_list, 4, 0, 1, 3)
        grid.addWidget(self.count, 4, 3)

        make = QGroupBox("What to make")
        make_layout = QVBoxLayout(make)
        self.buttons: dict[str, QPushButton] = {}
        for key, label, tip in PRODUCTS:
            b = QPushButton(label)
            b.setObjectName(f"reports.make.{key}")
            b.setToolTip(tip)
            b.setAccessibleDescription(tip)
            b.clicked.connect(lambda _=False, k=key: self.start(k))
            make_layout.addWidget(b)
            self.buttons[key] = b
        make_layout.addStretch(1)

        self.headline = QLabel()
        self.headline.setObjectName("reports.headline")
        self.headline.setWordWrap(True)
        self.grades_note = QLabel()  # the charts count final grades: say so, and how many a moderator changed
        self.grades_note.setObjectName("reports.grades_note")
        self.grades_note.setProperty("role", "hint")
        self.grades_note.setWordWrap(True)
        self.chart_team = StackedBarChart("Overall grade by team", horizontal=True)
        self.chart_month = StackedBarChart("Overall grade by month started")
        self.chart_moderation = StackedBarChart("Moderation: agreed and changed")
        self.chart_overdue = StackedBarChart("Actions overdue by team", horizontal=True)
        for name, chart in (("team", self.chart_team), ("month", self.chart_month),
                            ("moderation", self.chart_moderation), ("overdue", self.chart_overdue)):
            chart.setObjectName(f"reports.chart.{name}")
        self.chart_team.empty_text = self.chart_month.empty_text = "No graded audits in this selection"
        self.chart_moderation.empty_text = "No moderations in this selection"
        self.chart_overdue.empty_text = "No overdue actions"
        self.indicators = QTableWidget(0, 5)
        self.indicators.setObjectName("reports.indicators")
        self.indicators.setAccessibleName("Performance data beside the grades")
        self.indicators.setHorizontalHeaderLabels(["Team", "Indicator", "Month", "Value", "Target"])
        self.indicators.verticalHeader().hide()
        self.indicators.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.indicators.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.indicators.setMinimumHeight(150)
        tab_leaves(self.indicators)
        self.indicators_label = QLabel("Performance data: each team's latest figure of each indicator up to the end "
                                       "of the period (import it on the Case lists screen)")
        self.indicators_label.setProperty("role", "hint")
        self.indicators_label.setWordWrap(True)
        self.indicators.hide()  # shown once there is performance data for the selection
        self.indicators_label.hide()
        charts = QGridLayout()
        charts.addWidget(self.chart_team, 0, 0)
        charts.addWidget(self.chart_month, 0, 1)
        charts.addWidget(self.chart_moderation, 1, 0)
        charts.addWidget(self.chart_overdue, 1, 1)

        top = QHBoxLayout()
        top.addWidget(choose, 3)
        top.addWidget(make, 1)
        body = QWidget()
        body_layout = QVBoxLayout(body)
        body_layout.addWidget(Heading("Reports and packs"))
        body_layout.addLayout(top)
        body_layout.addWidget(self.headline)
        body_layout.addWidget(self.grades_note)
        body_layout.addLayout(charts, 1)
        body_layout.addWidget(self.indicators_label)
        body_layout.addWidget(self.indicators)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        for combo in (self.period, self.team, self.programme, self.template):
            combo.currentIndexChanged.connect(self._changed)
        self.status.changed.connect(self._changed)
        self.since.dateChanged.connect(self._changed)
        self.until.dateChanged.connect(self._changed)
        self.use_list.toggled.connect(self._changed)
        self.refresh()

    # ---- choosing audits -------------------------------------------------------------------

    @property
    def ops(self) -> Operations:
        """The window's background operations, whose one database pool every screen shares."""
        return self.ctx.operations()

    def _audits_screen(self) -> Any:
        win = self.window()
        screens = getattr(win, "screens", None) if win is not self else None
        return screens.get("audits") if isinstance(screens, dict) else None

    def refresh(self) -> None:
        """Reload the filter choices (templates, teams, programmes may have changed) and the figures."""
        self._filling = True
        with self.ctx.store.session() as s:
            teams = distinct_values(s, "team")
            programmes = programme_names(s)
            templates = sorted({(t.id, t.title) for t in list_templates(s, with_counts=False)}, key=lambda x: x[1])
        for combo, everything, items in (
                (self.period, None, [(p, p) for p in PERIODS] + [(CUSTOM, CUSTOM)]),
                (self.team, "All teams", [(t, t) for t in teams]),
                (self.programme, "Any programme", [(p, p) for p in programmes]),
                (self.template, "Any template", [(title, tid) for tid, title in templates])):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            if everything:
                combo.addItem(everything, None)
            for label, data in items:
                combo.addItem(label, data)
            i = combo.findData(current)
            combo.setCurrentIndex(max(i, 0))
            combo.blockSignals(False)
        self._filling = False
        self._sync_dates()
        self.refresh_figures()

    def _sync_dates(self) -> None:
        """The date boxes take dates only for "Between dates…"; otherwise they show the period's, greyed."""
        period = self.period.currentData() or PERIODS[0]
        custom = period == CUSTOM
        for edit in (self.since, self.until):
            edit.setEnabled(custom)
            edit.setToolTip("" if custom else f"Choose “{CUSTOM}” under Started to set the dates")
        if custom:
            if self._typed is not None:  # the dates typed before another period was chosen
                self._set_dates(*self._typed)
                self._typed = None
            return
        if self._typed is None:
            self._typed = (self.since.date(), self.until.date())
        since, until = period_dates(period)
        end = until or date.today()
        self._set_dates(since, end)

    def _set_dates(self, since: date | None, until: date | None) -> None:
        for edit, value in ((self.since, since), (self.until, until)):
            edit.blockSignals(True)
            edit.set_date(value)
            edit.blockSignals(False)

    def _changed(self) -> None:
        if self._filling:
            return
        self._sync_dates()
        self._debounce.start()

    def selection(self) -> Selection:
        """The audits chosen on this screen (or the Audits screen's list when asked)."""
        screen = self._audits_screen()
        if self.use_list.isChecked() and screen is not None:
            return screen.selection()
        period = self.period.currentData() or PERIODS[0]
        if period == CUSTOM:
            since: date | None = self.since.date()
            until: date | None = self.until.date()
        else:
            since, until = period_dates(period)
        team = self.team.currentData()
        return Selection(statuses=self.status.values(), teams=[team] if team else [], since=since,
                         until=until, programme=self.programme.currentData(),
                         template_id=self.template.currentData())

    # ---- figures ---------------------------------------------------------------------------

    def refresh_figures(self) -> None:
        """Count the chosen audits and recompute the statistics in the background."""
        self._debounce.stop()
        sel = self.selection()
        store = self.ctx.store

        def work(_progress: Any, _cancel: Any) -> tuple[int, Stats, list[IndicatorFigure]]:
            with store.session() as s:
                return count_audits(s, sel), compute(s, sel), report_indicators(s, sel)

        self.ops.run(work, label="Counting", on_success=self._show_figures, show_progress=False)

    def _show_indicators(self, figures: list[IndicatorFigure]) -> None:
        self.indicators.setRowCount(len(figures))
        for i, f in enumerate(figures):
            target = f.shown_target()
            if f.meets_target is not None:
                target += " (met)" if f.meets_target else " (not met)"
            for col, text in enumerate((f.team or "Whole service", f.indicator, f"{f.period:%b %Y}", f.shown_value(),
                                        target)):
                self.indicators.setItem(i, col, QTableWidgetItem(text))
        self.indicators.setVisible(bool(figures))
        self.indicators_label.setVisible(bool(figures))

    def _show_figures(self, result: tuple[int, Stats, list[IndicatorFigure]]) -> None:
        n, st, figures = result
        self._show_indicators(figures)
        self.stats = st
        self.count.setText(f"{n:,} audit{'s' if n != 1 else ''} chosen")
        for key in ("audit_reports", "summary_pdf", "return_xlsx", "moderation_pack", "transfer_pack"):
            self.buttons[key].setEnabled(n > 0)
        rate = st.agreement_rate
        self.headline.setText(
            f"<b>{st.completed:,}</b> completed of {st.audits:,} · moderation agreement "
            f"<b>{'—' if rate is None else f'{rate:.0%}'}</b> of {st.moderations:,} · actions open "
            f"<b>{st.actions_open:,}</b>, overdue <b>{st.actions_overdue:,}</b>, urgent <b>{st.urgent_total:,}</b>"
            + (f" · <b>{st.unanswered_total:,}</b> urgent concern{'s' if st.unanswered_total != 1 else ''} with no "
               f"urgent action" if st.unanswered_total else ""))
        self.grades_note.setText(f"{FINAL_GRADE_NOTE} {st.regraded:,} audit{'' if st.regraded == 1 else 's'} "
                                 f"in this selection count{'s' if st.regraded == 1 else ''} with a moderated grade.")
        series = [(g, g, c) for g, c in zip(st.grade_scale, scale_colours(len(st.grade_scale)), strict=True)]
        if len(st.scales) > 1:  # the charts show the scale most audits use; the PDF shows every scale
            self.chart_team.title = f"Overall grade by team ({st.main.name})"
            self.chart_month.title = f"Overall grade by month started ({st.main.name})"
        self.chart_team.set_data([(t, dict(c)) for t, c in st.grades_by_team.items()], series)
        self.chart_month.set_data([(fmt_month(m), dict(c)) for m, c in list(st.grades_by_month.items())[-12:]],
                                  series)
        self.chart_moderation.set_data(
            [(kind.capitalize(), {"agreed": a, "changed": t - a}) for kind, (a, t) in sorted(st.moderation_by_kind.items())],
            [("agreed", "Agreed", GRADE_COLOURS["good"]), ("changed", "Grade changed", GRADE_COLOURS["amber"])])
        self.chart_overdue.set_data([(t, {"overdue": n}) for t, n in st.overdue_by_team.items()],
                                    [("overdue", "Overdue", GRADE_COLOURS["red"])])

    # ---- making things ---------------------------------------------------------------------

    def start(self, key: str) -> None:
        """A button: ask where (and, for packs, how), then make it in the background."""
        if key == "import_pack":
            path = ask_open_pack(self)
            if path:
                self.import_file(path)
            return
        if key == "audit_reports":
            path = ask_save_path(self, "Save the audit reports", "audit-reports.pdf", "PDF (*.pdf)")
            if path:
                self.make_audit_reports(path)
            return
        if key in ("summary_pdf", "return_xlsx"):
            pdf = key == "summary_pdf"
            path = ask_save_path(self, "Save the QA summary report" if pdf else "Save the Excel return",
                                 f"qa-{'report' if pdf else 'return'}-{date.today():%Y-%m}.{'pdf' if pdf else 'xlsx'}",
                                 "PDF (*.pdf)" if pdf else "Excel workbook (*.xlsx)")
            if path:
                self.make_report(path)
            return
        kind = "moderation_request" if key == "moderation_pack" else "audit_transfer"
        try:  # a moderation pack offers completed audits only: the dialog shows what goes in
            dialog = PackExportDialog(self.ctx, self.selection(), kind, parent=self)
        except QadeskError as exc:
            messages.show_exception(exc, self)
            return
        self.pack_dialog = dialog
        dialog.accepted.connect(lambda: self.make_pack(
            Path(dialog.path.text()), kind, external=dialog.external.isChecked(),
            identifiable=dialog.identifiable.isChecked(), selection=dialog.selection,
            resolution=dialog.resolution() if dialog.pseudonymised else None, blind=dialog.blind_choice))
        dialog.open()

    def make_report(self, path: Path, selection: Selection | None = None) -> None:
        from qadesk.services.reporting import write_report

        sel, store = selection or self.selection(), self.ctx.store
        label = "Writing the Excel return" if path.suffix.lower() == ".xlsx" else "Writing the QA summary report"
        self.ops.run(lambda progress, cancel: write_report(store, path, sel, progress=progress, cancel=cancel),
                     label=label, on_success=lambda p: self._done(f"Written {p}"))

    def make_audit_reports(self, path: Path, selection: Selection | None = None) -> None:
        from qadesk.services.reporting import write_audit_reports

        sel, store = selection or self.selection(), self.ctx.store
        self.ops.run(lambda progress, cancel: write_audit_reports(store, path, sel, progress=progress, cancel=cancel),
                     label="Writing the audit reports", on_success=lambda p: self._done(f"Written {p}"))

    def make_pack(self, path: Path, kind: str, *, external: bool = False, identifiable: bool = False,
                  selection: Selection | None = None, resolution: Resolution | None = None,
                  blind: bool | None = None) -> None:
        """Write the pack in the background; ``resolution``: what the export dialog decided about the suspects;
        ``blind``: a blind moderation request (None: as the store's setting says)."""
        sel, store = selection or self.selection(), self.ctx.store
        self.ops.run(lambda progress, cancel: export_pack(store, path, kind=kind, selection=sel, external=external,
                                                          identifiable=identifiable, resolution=resolution, blind=blind,
                                                          progress=progress, cancel=cancel),
                     label="Writing the pack", on_success=lambda r: self._done(str(r), r))

    def import_file(self, path: Path) -> None:
        store = self.ctx.store
        self.ops.run(lambda progress, cancel: import_pack(store, path, progress=progress, cancel=cancel),
                     label="Importing the pack", on_success=self._imported)

    def show_conflicts(self) -> None:
        """The Conflicts to resolve window, over this screen."""
        from qadesk.ui.conflicts_dialog import ConflictsDialog

        self.conflicts_dialog = ConflictsDialog(self.ctx, self)
        self.conflicts_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.conflicts_dialog.show()

    def _done(self, text: str, result: Any = None) -> None:
        self.last_result = result if result is not None else text
        messages.info(text, parent=self, title="Done")

    def _imported(self, result: ImportResult) -> None:
        self.last_result = result
        self.import_dialog = PackImportDialog(result, self, open_conflicts=self.show_conflicts)
        self.import_dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.import_dialog.show()
        self.refresh()
