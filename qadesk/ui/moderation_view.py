"""Moderation: completed audits waiting for a second view, recording a moderation (never on one's own audit:
the controls are disabled with the reason), and the agreement rate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.exchange.display import short_grade
from qadesk.services import audits as svc
from qadesk.services.moderation import own_audit_reason
from qadesk.services.overview import ModerationRow, agreement, list_moderations
from qadesk.services.profile import current_actor_name
from qadesk.services.queries import AuditRow, Selection
from qadesk.services.templates import get_template
from qadesk.ui import messages
from qadesk.ui.audits_model import COLUMNS, AuditsModel, Page
from qadesk.ui.audits_view import AuditTable
from qadesk.ui.columns import ColumnChooser
from qadesk.ui.context import AppContext
from qadesk.ui.operations import Loader, Operations, in_transaction
from qadesk.ui.widgets import Heading, fmt_date, grade_label, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

PAST_COLUMNS = ("Date", "Audit", "Moderator", "Kind", "Auditor's grade", "Moderated grade", "Rationale")


class ModerationView(QWidget):
    openAudit = Signal(str)
    changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, ops: Operations | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("moderation.view")
        self.audit: AuditRow | None = None
        self.loader = Loader(ops, "Loading moderation", self)
        self.loaded = False  # the first figures have arrived

        self.rate = QLabel()
        self.rate.setObjectName("moderation.rate")
        self.rate_bar = QProgressBar()
        self.rate_bar.setObjectName("moderation.rate_bar")
        self.rate_bar.setAccessibleName("Agreement rate")
        self.rate_bar.setMaximumWidth(240)
        self.rate_bar.setFormat("%p% agreed")

        self.model = AuditsModel(ctx.store, self, selection=Selection(statuses=["completed"]))
        self.model.sort_key, self.model.descending = "completed_at", False  # oldest waiting first
        self.waiting = AuditTable()
        self.waiting.setObjectName("moderation.waiting")
        self.waiting.setAccessibleName("Completed audits awaiting moderation")
        self.waiting.setModel(self.model)
        self.waiting.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.waiting.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.waiting.verticalHeader().hide()
        # Status is always "Completed" here; the moderator needs the grade, the team and who audited
        # (the record form names the case and template); right-click the header for other columns.
        self.columns = ColumnChooser(self.waiting, "moderation/columns", COLUMNS)
        self.waiting_label = QLabel()

        # The record form.
        self.audit_info = QLabel("Choose an audit on the left.")
        self.audit_info.setWordWrap(True)
        self.audit_info.setObjectName("moderation.audit_info")
        self.agree = QRadioButton("I agr&ee with the auditor's grade")
        self.agree.setObjectName("moderation.agree")
        self.disagree = QRadioButton("I &disagree: the grade should be")
        self.disagree.setObjectName("moderation.disagree")
        group = QButtonGroup(self)
        group.addButton(self.agree)
        group.addButton(self.disagree)
        self.agree.setChecked(True)
        self.grade = QComboBox()
        self.grade.setObjectName("moderation.grade")
        self.grade.setAccessibleName("Moderated grade")
        self.rationale = QPlainTextEdit()
        self.rationale.setObjectName("moderation.rationale")
        self.rationale.setAccessibleName("Rationale")
        self.rationale.setPlaceholderText("Why (needed when you disagree; welcome when you agree)")
        self.rationale.setMaximumHeight(110)
        self.kind = QComboBox()
        self.kind.setObjectName("moderation.kind")
        self.kind.setAccessibleName("Internal or external moderation")
        self.kind.addItem("Internal", "internal")
        self.kind.addItem("External", "external")
        self.record = QPushButton("&Record moderation")
        self.record.setObjectName("moderation.record")
        self.open_button = QPushButton("&Open audit")
        self.open_button.setObjectName("moderation.open_audit")
        self.problem = QLabel()
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        box = QGroupBox("Record a moderation")
        form = QVBoxLayout(box)
        self.audit_info.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        form.addWidget(self.audit_info)
        form.addSpacing(6)
        form.addWidget(self.agree)
        form.addWidget(self.disagree)
        disagree_row = QHBoxLayout()  # the grade under its radio button: the form stays narrow on a laptop
        disagree_row.setContentsMargins(24, 0, 0, 0)
        disagree_row.addWidget(self.grade, 1)
        form.addLayout(disagree_row)
        rationale_label = QLabel("Ra&tionale")
        rationale_label.setBuddy(self.rationale)
        form.addWidget(rationale_label)
        form.addWidget(self.rationale)
        kind_row = QHBoxLayout()
        kind_label = QLabel("&Moderation")
        kind_label.setBuddy(self.kind)
        kind_row.addWidget(kind_label)
        kind_row.addWidget(self.kind, 1)
        form.addLayout(kind_row)
        form.addWidget(self.problem)
        row = QHBoxLayout()
        row.addWidget(self.record)
        row.addWidget(self.open_button)
        row.addStretch(1)
        form.addLayout(row)
        form.addStretch(1)

        self.past = QTableWidget(0, len(PAST_COLUMNS))
        self.past.setObjectName("moderation.past")
        tab_leaves(self.past)
        self.past.setAccessibleName("Past moderations")
        self.past.setHorizontalHeaderLabels(PAST_COLUMNS)
        self.past.verticalHeader().hide()
        self.past.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.past.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.past.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 100), (1, 125), (2, 150), (3, 75), (4, 140), (5, 150)):
            self.past.setColumnWidth(col, width)
        self.past.setAlternatingRowColors(True)

        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        lv.addWidget(self.waiting_label)
        lv.addWidget(self.waiting)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(left)
        top.addWidget(box)
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 1)
        top.setSizes([720, 360])
        lower = QWidget()
        bv = QVBoxLayout(lower)
        bv.setContentsMargins(0, 0, 0, 0)
        past_title = QLabel("Past moderations")
        past_title.setObjectName("subheading")
        bv.addWidget(past_title)
        bv.addWidget(self.past)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(top)
        split.addWidget(lower)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        head = QHBoxLayout()
        head.addWidget(Heading("Moderation"))
        head.addStretch(1)
        head.addWidget(self.rate)
        head.addWidget(self.rate_bar)
        layout = QVBoxLayout(self)
        layout.addLayout(head)
        layout.addWidget(split, 1)

        self.waiting.selectionModel().currentRowChanged.connect(self._chosen)
        self.waiting.openRequested.connect(lambda i: self.openAudit.emit(self.model.row_at(i.row()).id))
        self.waiting.doubleClicked.connect(lambda i: self.openAudit.emit(self.model.row_at(i.row()).id))
        self.model.reloaded.connect(lambda n: self.waiting_label.setText(f"{n:,} completed audits awaiting moderation"))
        self.disagree.toggled.connect(self.grade.setEnabled)
        self.record.clicked.connect(self.record_moderation)
        self.open_button.clicked.connect(lambda: self.audit and self.openAudit.emit(self.audit.id))
        self.refresh()

    def refresh(self) -> None:
        """Load the waiting audits, the agreement rate and past moderations (in the background with ``ops``)."""
        first_page, store = self.model.first_page(), self.ctx.store

        def fetch() -> tuple[Page, int, int, list[ModerationRow]]:
            page = first_page()
            with store.session() as s:
                agreed, total = agreement(s)
                past = list_moderations(s)
            return page, agreed, total, past

        if not self.loaded:
            self.waiting_label.setText("Loading…")
        self.loader.load(fetch, self._show)

    def _show(self, result: tuple[Page, int, int, list[ModerationRow]]) -> None:
        page, agreed, total, past = result
        self.loaded = True
        self.model.show_page(page)
        self._chosen(self.waiting.currentIndex())
        labels = self.model.labels
        if total:
            self.rate.setText(f"Agreement: {agreed:,} of {total:,} moderations")
            self.rate_bar.setValue(round(100 * agreed / total))
        else:
            self.rate.setText("No moderations recorded yet")
            self.rate_bar.setValue(0)
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

    def _chosen(self, index: QModelIndex, *_: object) -> None:
        self.audit = self.model.row_at(index.row()) if index.isValid() and index.row() < len(self.model.rows) else None
        enabled = self.audit is not None
        for w in (self.agree, self.disagree, self.rationale, self.kind, self.record, self.open_button):
            w.setEnabled(enabled)
        self.grade.clear()
        self.problem.hide()
        if self.audit is None:
            self.audit_info.setText("Choose an audit on the left.")
            self.grade.setEnabled(False)
            return
        a = self.audit
        with self.ctx.store.session() as s:
            t = get_template(s, a.template_id, a.template_version)
            # Nobody moderates their own audit: the controls stay visible but disabled, with the reason.
            own = own_audit_reason(s, svc.get_audit(s, a.id), current_actor_name(s))
        for c in t.overall_choices():
            self.grade.addItem(c.label, c.value)
        self.grade.setEnabled(self.disagree.isChecked() and not own)
        if own:
            for w in (self.agree, self.disagree, self.rationale, self.kind, self.record):
                w.setEnabled(False)
            self.problem.setText(f"You cannot moderate this audit: {own}.")
            self.problem.show()
        self.record.setToolTip(own or "")
        auditor_grade = grade_label(self.model.labels, a.template_id, a.template_version,
                                    a.auditor_grade) or "no grade"
        self.audit_info.setText(f"<b>{a.reference}</b> — {a.template_title}<br>Case {a.case_ref or '—'}, "
                                f"{a.team or 'no team'}; audited by {a.auditor or '—'}, completed "
                                f"{fmt_date(a.completed_at)}<br>Auditor's grade: <b>{auditor_grade}</b>")

    def record_moderation(self) -> None:
        if self.audit is None:
            return
        profile = self.ctx.profile()
        moderator = svc.Actor(name=self.ctx.actor(), role=profile.role if profile else None,
                              organisation=profile.organisation if profile else None)
        agreed, audit_id = self.agree.isChecked(), self.audit.id
        grade = None if agreed else self.grade.currentData()
        rationale, kind = self.rationale.toPlainText().strip() or None, self.kind.currentData()

        def work(s: Session) -> None:
            svc.moderate(s, audit_id, moderator=moderator, agreed=agreed, grade=grade, rationale=rationale, kind=kind)

        def refused(exc: QadeskError) -> None:
            self.record.setEnabled(True)
            self.problem.setText(str(exc).capitalize())
            self.problem.show()
            messages.log.info("moderation refused (%s)", type(exc).__name__)

        def recorded(_result: object) -> None:
            self.rationale.clear()
            self.agree.setChecked(True)
            self._chosen(QModelIndex())  # recorded: nothing to record again until the list has reloaded
            if self.ctx.hub is None:  # with the window's hub the change has already reloaded the screen
                self.refresh()
            self.changed.emit()

        # Written in the background; the Record button waits meanwhile (enabled again only for a new choice).
        self.record.setEnabled(False)
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Recording the moderation", parent=self,
                       done=recorded, refused=refused)
