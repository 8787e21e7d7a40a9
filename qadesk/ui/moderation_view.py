"""Moderation: completed audits waiting for a second view, recorded blind by default (the moderator's own
judgements first, the auditor's after: :mod:`qadesk.ui.moderation_record`); never on one's own audit (the
controls are disabled with the reason); past moderations with their dialogue; agreement and drift."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.core.permissions import Do
from qadesk.exchange.display import short_grade
from qadesk.services import audits as svc
from qadesk.services import blind_moderation as bm
from qadesk.services.moderation import completed_by, same_person
from qadesk.services.moderation_sampling import chosen_awaiting
from qadesk.services.overview import ModerationRow, agreement, grade_labels, list_moderations
from qadesk.services.profile import current_actor_name
from qadesk.services.queries import AuditRow, Selection, count_audits, list_audits
from qadesk.ui import messages
from qadesk.ui.agreement_view import AgreementPanel
from qadesk.ui.audits_model import COLUMNS, PAGE, AuditsModel, Page
from qadesk.ui.audits_view import AuditTable
from qadesk.ui.columns import ColumnChooser
from qadesk.ui.context import AppContext
from qadesk.ui.moderation_record import ModerationRecord
from qadesk.ui.operations import Loader, Operations, in_transaction
from qadesk.ui.widgets import Heading, fmt_date, gate, grade_label, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PAST_COLUMNS = ("Date", "Audit", "Moderator", "Kind", "Auditor's grade", "Moderated grade", "Rationale")
PANEL_CONTROLS = frozenset(("audit_info", "agree", "disagree", "grade", "rationale", "kind", "record", "open_button",
                            "problem", "evidence", "own_overall", "record_own", "compare", "learning"))


class ModerationView(QWidget):
    openAudit = Signal(str)
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, ops: Operations | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("moderation.view")
        self.loader = Loader(ops, "Loading moderation", self)
        self.loaded = False  # the first figures have arrived
        self.past_rows: list[ModerationRow] = []
        self.chosen_count = 0  # audits the QA lead's sample chose that are still waiting

        self.rate = QLabel()
        self.rate.setObjectName("moderation.rate")
        self.rate_bar = QProgressBar()
        self.rate_bar.setObjectName("moderation.rate_bar")
        self.rate_bar.setAccessibleName("Agreement rate")
        self.rate_bar.setMaximumWidth(140)
        self.rate_bar.setFormat("%p% kept")
        self.rate_bar.setToolTip("Moderations that agreed with the auditor's grade (the agreement statistics "
                                 "are under Agreement and drift)")
        self.choose = QPushButton("Choose &what to moderate…")
        self.choose.setObjectName("moderation.choose")
        self.choose.setToolTip("Draw a sample of completed audits to moderate: every extreme grade, a share spread "
                               "across auditors and grades, a minimum per auditor per quarter")
        self.calibration = QPushButton("Cali&bration exercises…")
        self.calibration.setObjectName("moderation.calibration")
        self.calibration.setToolTip("Several auditors grade the same anonymised audit blind, for a moderation panel")
        self.blind = QCheckBox("Moderate bli&nd")
        self.blind.setObjectName("moderation.blind_setting")
        self.blind.setToolTip("The QA lead's setting: moderators record their own judgements before they see the "
                              "auditor's (recommended: a moderator who sees the grade first anchors on it)")

        self.model = AuditsModel(ctx.store, self, selection=Selection(statuses=["completed"]))
        self.model.sort_key, self.model.descending = "completed_at", False  # oldest waiting first
        self.waiting = AuditTable()
        self.waiting.setObjectName("moderation.waiting")
        self.waiting.setAccessibleName("Completed audits awaiting moderation")
        self.waiting.setModel(self.model)
        self.waiting.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.waiting.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.waiting.verticalHeader().hide()
        self.columns = ColumnChooser(self.waiting, "moderation/columns", COLUMNS)
        self.waiting_label = QLabel()
        self.only_chosen = QCheckBox("Only those chosen for moderation")
        self.only_chosen.setObjectName("moderation.only_chosen")
        self.only_chosen.setToolTip("The audits the QA lead's sample chose (Choose what to moderate…)")
        self.only_chosen.setChecked(True)
        self.only_chosen.hide()
        self.panel = ModerationRecord(ctx, self)

        self.past = QTableWidget(0, len(PAST_COLUMNS))
        self.past.setObjectName("moderation.past")
        tab_leaves(self.past)
        self.past.setAccessibleName("Past moderations")
        self.past.setHorizontalHeaderLabels(PAST_COLUMNS)
        self.past.verticalHeader().hide()
        self.past.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.past.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.past.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.past.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 100), (1, 125), (2, 150), (3, 75), (4, 140), (5, 150)):
            self.past.setColumnWidth(col, width)
        self.past.setAlternatingRowColors(True)
        self.past_detail = QTextBrowser()
        self.past_detail.setObjectName("moderation.past_detail")
        self.past_detail.setAccessibleName("The moderation chosen: judgements, learning points and dialogue")
        self.note = QPlainTextEdit()
        self.note.setObjectName("moderation.note")
        self.note.setAccessibleName("Add to the dialogue")
        self.note.setPlaceholderText("The auditor's response, or the moderator's note")
        self.note.setMaximumHeight(70)
        self.add_note = QPushButton("Add to the dialo&gue")
        self.add_note.setObjectName("moderation.add_note")
        self.note_problem = QLabel()
        self.note_problem.setProperty("role", "problem")
        self.note_problem.setWordWrap(True)
        self.note_problem.hide()

        self.agreement = AgreementPanel(ctx.store, self, ops=ops)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.waiting_label)
        lv.addWidget(self.only_chosen)
        lv.addWidget(self.waiting)
        to_moderate = QSplitter(Qt.Orientation.Horizontal)
        to_moderate.setChildrenCollapsible(False)
        to_moderate.addWidget(left)
        to_moderate.addWidget(self.panel)
        to_moderate.setStretchFactor(0, 2)
        to_moderate.setStretchFactor(1, 5)
        to_moderate.setSizes([470, 860])
        detail = QWidget()
        dv = QVBoxLayout(detail)
        dv.setContentsMargins(0, 0, 0, 0)
        dv.addWidget(self.past_detail, 1)
        dv.addWidget(self.note)
        dv.addWidget(self.note_problem)
        note_row = QHBoxLayout()
        note_row.addWidget(self.add_note)
        note_row.addStretch(1)
        dv.addLayout(note_row)
        past_split = QSplitter(Qt.Orientation.Horizontal)
        past_split.setChildrenCollapsible(False)
        past_split.addWidget(self.past)
        past_split.addWidget(detail)
        past_split.setStretchFactor(0, 3)
        past_split.setStretchFactor(1, 2)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("moderation.tabs")
        self.tabs.addTab(to_moderate, "To moderate")
        self.tabs.addTab(past_split, "Past moderations")
        self.tabs.addTab(self.agreement, "Agreement and drift")
        head = QHBoxLayout()
        head.addWidget(Heading("Moderation"))
        head.addSpacing(12)
        head.addWidget(self.choose)
        head.addWidget(self.calibration)
        head.addWidget(self.blind)
        head.addStretch(1)
        # How often the auditor's grade was kept: beside the tabs, so the heading row stays narrow enough
        # for a laptop whatever the buttons' words.
        corner = QWidget()
        cv = QHBoxLayout(corner)
        cv.setContentsMargins(0, 0, 4, 2)
        cv.addWidget(self.rate)
        cv.addWidget(self.rate_bar)
        self.tabs.setCornerWidget(corner, Qt.Corner.TopRightCorner)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)

        self.waiting.selectionModel().currentRowChanged.connect(self._chosen)
        self.waiting.openRequested.connect(self._open_waiting)
        self.waiting.doubleClicked.connect(self._open_waiting)
        self.model.reloaded.connect(self._counted)
        self.only_chosen.toggled.connect(lambda _on: self.refresh())
        self.panel.recorded.connect(self._recorded)
        self.panel.openAudit.connect(self.openAudit.emit)
        self.past.currentCellChanged.connect(lambda row, *_: self._show_past(row))
        self.add_note.clicked.connect(self._add_note)
        self.choose.clicked.connect(self._choose)
        self.calibration.clicked.connect(self._calibration)
        self.blind.toggled.connect(self._blind_toggled)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.refresh()

    @property
    def audit(self) -> AuditRow | None:
        """The audit chosen to moderate."""
        return self.panel.loaded.row if self.panel.loaded else None

    def __getattr__(self, name: str) -> QWidget:
        """The record panel's controls under the names the screen has always had (``view.agree`` ...)."""
        if name in PANEL_CONTROLS and "panel" in self.__dict__:
            return getattr(self.__dict__["panel"], name)
        raise AttributeError(name)

    def refresh(self) -> None:
        """Load the waiting audits, the agreement rate and past moderations (in the background with ``ops``).

        Where the QA lead's sample chose audits for moderation, those are listed (unless "Only those chosen"
        is unticked: then every completed audit)."""
        store, only = self.ctx.store, self.only_chosen.isChecked()
        sort, descending = self.model.sort_key, self.model.descending

        def fetch() -> tuple[Page, int, int, list[ModerationRow], bool, Selection, int]:
            with store.session() as s:
                chosen = [c.audit_id for c in chosen_awaiting(s)]
                sel = Selection(statuses=["completed"], audit_ids=chosen if only and chosen else [])
                page = (count_audits(s, sel), list_audits(s, sel, sort=sort, descending=descending, limit=PAGE),
                        grade_labels(s), bm.blind_awaiting(s))
                agreed, total = agreement(s)
                past = list_moderations(s)
                blind = bm.blind_by_default(s)
            return page, agreed, total, past, blind, sel, len(chosen)

        if not self.loaded:
            self.waiting_label.setText("Loading…")
        self.loader.load(fetch, self._show)
        if self.tabs.currentIndex() == 2:
            self.agreement.refresh()

    def _show(self, result: tuple[Page, int, int, list[ModerationRow], bool, Selection, int]) -> None:
        page, agreed, total, past, blind, selection, chosen = result
        self.loaded = True
        self.model.selection = selection  # what scrolling further fetches
        self.chosen_count = chosen
        self.only_chosen.setVisible(chosen > 0)
        self.only_chosen.setText(f"Only the {chosen:,} chosen for moderation")
        self.blind.blockSignals(True)
        self.blind.setChecked(blind)
        self.blind.blockSignals(False)
        rules = self.ctx.why_not(Do.MODERATION_RULES)  # the QA lead's and the PSW's settings
        gate(self.blind, rules)
        gate(self.choose, rules)
        # Blind: the list does not show the auditor's grade either (right-click the header for the others).
        self.columns.withhold({"grade"} if blind else set())
        keep = self.audit.id if self.audit else None
        self.model.show_page(page)
        # The audit being moderated stays chosen when the list reloads (its judgements were just recorded).
        again = next((i for i, r in enumerate(self.model.rows) if r.id == keep), None)
        if again is not None:
            self.waiting.setCurrentIndex(self.model.index(again, 0))  # shows it (currentRowChanged)
        else:
            self._chosen(QModelIndex())
        labels = self.model.labels
        # How often moderation left the auditor's grade as it was (the agreement figures, on the moderator's
        # own blind grades, are under "Agreement and drift").
        if total:
            self.rate.setText(f"Auditor's grade kept: {agreed:,} of {total:,} moderations")
            self.rate_bar.setValue(round(100 * agreed / total))
        else:
            self.rate.setText("No moderations recorded yet")
        self.rate_bar.setVisible(bool(total))
        self.past_rows = past
        self.past.setRowCount(len(past))
        for i, m in enumerate(past):
            full = (fmt_date(m.at), m.audit_reference, m.moderator + (f", {m.organisation}" if m.organisation else ""),
                    m.kind.capitalize(), grade_label(labels, m.template_id, m.template_version, m.audit_grade),
                    "Agreed" if m.agreed else grade_label(labels, m.template_id, m.template_version, m.moderated_grade),
                    m.rationale or "")
            # Short grades ("RI") and the moderator's name in the cells; the whole of each in its tooltip.
            shown = (full[0], full[1], m.moderator, full[3], short_grade(full[4]),
                     full[5] if m.agreed else short_grade(full[5]), full[6])
            for col, text in enumerate(shown):
                item = QTableWidgetItem(text)
                item.setToolTip(full[col])
                item.setData(Qt.ItemDataRole.AccessibleTextRole, full[col])
                self.past.setItem(i, col, item)
        self._show_past(self.past.currentRow())

    def _counted(self, n: int) -> None:
        chosen = bool(self.model.selection.audit_ids)
        self.waiting_label.setText(f"{n:,} {'chosen' if chosen else 'completed'} audit{'s' if n != 1 else ''} "
                                   "awaiting moderation")
        self.tabs.setTabText(0, f"To moderate ({n:,})")

    def _chosen(self, index: QModelIndex, *_: object) -> None:
        row = self.model.row_at(index.row()) if index.isValid() and index.row() < len(self.model.rows) else None
        self.panel.show_audit(row)

    def _open_waiting(self, index: QModelIndex) -> None:
        """Open the audit from the list: not while its moderator judges it blind (the form shows the grades)."""
        d = self.panel.loaded
        if d is not None and d.blind and d.row.id == self.model.row_at(index.row()).id:
            self.panel.problem.setText("Record your own judgements first: the audit opens once they are recorded.")
            self.panel.problem.show()
            return
        if d is None or d.row.id != self.model.row_at(index.row()).id:
            with self.ctx.store.session() as s:
                if bm.is_blind_for(s, self.model.row_at(index.row()).id):
                    self.waiting.setCurrentIndex(index)
                    return
        self.openAudit.emit(self.model.row_at(index.row()).id)

    def _tab_changed(self, index: int) -> None:
        if index == 2:  # counted when looked at: the figures read every moderation
            self.agreement.refresh()

    def _recorded(self) -> None:
        if self.ctx.hub is None:  # with the window's hub the change has already reloaded the screen
            self.refresh()
        self.changed.emit()

    # ------------------------------------------------------------------ past moderations and their dialogue

    def _show_past(self, row: int) -> None:
        self.note_problem.hide()
        if row < 0 or row >= len(self.past_rows):
            self.past_detail.setHtml("<p><i>Choose a moderation to see its judgements, learning points and "
                                     "dialogue.</i></p>")
            self.note.setEnabled(False)
            self.add_note.setEnabled(False)
            return
        m = self.past_rows[row]
        with self.ctx.store.session() as s:
            audit = svc.get_audit(s, m.audit_id)
            mod = next(x for x in audit.moderations if x.id == m.id)
            me = current_actor_name(s)
            may = same_person(me, mod.moderator_name) or any(same_person(me, n) for n in completed_by(s, audit))
            rows = bm.moderation_comparison(audit, mod) if mod.sections or mod.own_grade else []
            lines = [f"<h3>{escape(audit.reference)}: moderated by {escape(mod.moderator_name)} on "
                     f"{fmt_date(mod.at)}</h3>"]
            if mod.blind:
                lines.append(f"<p><i>Judged blind: the moderator recorded their own judgements on {fmt_date(mod.own_at)}"
                             " before seeing the auditor's.</i></p>")
            if rows:
                lines.append("<table cellspacing=0 cellpadding=3 border=1><tr><th align=left>Judgement</th>"
                             "<th align=left>Moderator's own</th><th align=left>Auditor's</th></tr>")
                for r in rows:
                    style = " style='background:#fde7c8;font-weight:bold'" if r.differs else ""
                    lines.append(f"<tr{style}><td>{'≠ ' if r.differs else ''}{escape(r.title)}</td>"
                                 f"<td>{escape(r.own or '—')}</td><td>{escape(r.auditor or '—')}</td></tr>")
                lines.append("</table>")
            if mod.rationale:
                lines.append(f"<p><b>Rationale</b><br>{escape(mod.rationale)}</p>")
            if mod.learning_points:
                lines.append(f"<p><b>Learning points for the auditor</b><br>{escape(mod.learning_points)}</p>")
            lines.append("<p><b>Dialogue</b></p>")
            if not mod.notes:
                lines.append("<p><i>Nothing yet: the auditor can respond here, or in the audit.</i></p>")
            for n in mod.notes:
                who = "Moderator" if n.role == "moderator" else "Auditor"
                lines.append(f"<p><b>{who}, {escape(n.author)}</b>, {fmt_date(n.at)}<br>{escape(n.text)}</p>")
        self.past_detail.setHtml("\n".join(lines))
        self.note.setEnabled(may)
        self.add_note.setEnabled(may)
        self.add_note.setToolTip("" if may else "Only the auditor and the moderator write in a moderation's dialogue")

    def _add_note(self) -> None:
        row = self.past.currentRow()
        text = self.note.toPlainText().strip()
        if row < 0 or not text:
            return
        mid, author = self.past_rows[row].id, self.ctx.actor()

        def work(s: Session) -> None:
            bm.add_note(s, mid, author=author, text=text)

        def refused(exc: QadeskError) -> None:
            self.add_note.setEnabled(True)
            self.note_problem.setText(str(exc).capitalize())
            self.note_problem.show()

        def done(_result: object) -> None:
            self.note.clear()
            self._show_past(self.past.currentRow())
            self.changed.emit()

        self.add_note.setEnabled(False)
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Adding to the dialogue", parent=self,
                       done=done, refused=refused)

    # ------------------------------------------------------------------ the QA lead's tools

    def _blind_toggled(self, on: bool) -> None:
        actor = self.ctx.actor()

        def work(s: Session) -> None:
            bm.set_blind_by_default(s, on, actor=actor)

        def done(_result: object) -> None:
            messages.log.info("blind moderation %s", "on" if on else "off")
            self.refresh()

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Changing the blind setting", parent=self,
                       done=done)

    def _choose(self) -> None:
        from qadesk.ui.moderation_sample_dialog import ModerationSampleDialog

        dialog = ModerationSampleDialog(self.ctx, self)
        dialog.exec()
        if dialog.recorded:
            self.refresh()
            self.changed.emit()

    def _calibration(self) -> None:
        try:
            from qadesk.ui.calibration_dialog import CalibrationDialog  # type: ignore[import-not-found]
        except ImportError:
            messages.info("Calibration exercises are not in this version.", parent=self)
            return
        CalibrationDialog(self.ctx, self).exec()
        self.refresh()
