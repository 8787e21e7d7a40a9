"""Recording a moderation: the evidence, the moderator's own judgements (blind), then both side by side and
the outcome.

With blind moderation (the QA lead's setting, on unless turned off) the moderator reads the evidence with
the auditor's section grades, overall grade and rationale hidden — no widget here holds them — and records
their own judgement of each graded section and overall. Only then are the auditor's shown beside theirs,
differences marked, and the moderator agrees or gives the moderated grade with a rationale, and learning
points for the auditor. With blind moderation off the auditor's judgements are shown from the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.core.permissions import Do
from qadesk.exchange.display import short_grade
from qadesk.services import audits as svc
from qadesk.services import blind_moderation as bm
from qadesk.services import permissions
from qadesk.services.moderation import own_audit_reason, pending_blind
from qadesk.services.profile import current_actor_name
from qadesk.services.queries import AuditRow
from qadesk.ui import messages
from qadesk.ui.context import AppContext
from qadesk.ui.operations import in_transaction
from qadesk.ui.widgets import fmt_date, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

DIFFERS = QColor("#fde7c8")  # a judgement the moderator and the auditor grade differently


@dataclass(frozen=True)
class Loaded:
    """What the panel shows for one audit, read in one session."""

    row: AuditRow
    blind: bool  # the auditor's judgements are hidden (judging blind, own judgements not yet recorded)
    judging_blind: bool  # this moderation is blind (the setting), recorded or not
    evidence: bm.Evidence
    compared: list[bm.ComparedJudgement] | None  # after the own judgements are recorded (blind)
    own_reason: str | None  # why this person may not moderate it
    overall: tuple[tuple[str, str], ...]
    auditor_grade: str | None  # value, for the disagree choice (never shown while blind)
    origin: str | None = None  # the organisation the audit came from, if another
    kind: str | None = None  # internal or external, as chosen when the judgements were recorded blind


def evidence_html(ev: bm.Evidence) -> str:
    """The evidence as the moderator reads it: sections, answers, evidence notes and the summary."""
    out = []
    if ev.blind:
        out.append("<p style='color:#5f6b73'><i>Blind moderation: the auditor's judgements are hidden until you "
                   "have recorded your own.</i></p>")
    for x in ev.sections:
        grade = f" <span style='color:#0b4f6c'>— auditor's grade: <b>{escape(x.auditor_grade)}</b></span>" \
            if x.auditor_grade else ""
        out.append(f"<h3>{escape(x.title)}{grade}</h3>")
        if not x.items:
            out.append("<p><i>No answers in this section.</i></p>")
        for item in x.items:
            line = f"<p><b>{escape(item.question)}</b><br>{escape(item.answer) or '<i>no answer</i>'}"
            if item.evidence:
                line += f"<br><span style='color:#3d4a52'>Evidence: {escape(item.evidence)}</span>"
            out.append(line + "</p>")
    if ev.summary:
        out.append("<h3>Summary</h3>")
        for heading, text in ev.summary:
            out.append(f"<p><b>{escape(heading)}</b><br>{escape(text)}</p>")
    if not ev.blind and ev.auditor_overall:
        out.append(f"<h3>The auditor's overall grade: {escape(ev.auditor_overall)}</h3>")
        if ev.auditor_rationale:
            out.append(f"<p>{escape(ev.auditor_rationale)}</p>")
    return "\n".join(out)


class ModerationRecord(QWidget):
    """The right of the Moderation screen: one audit's evidence and the moderator's judgement of it."""

    recorded = Signal()
    openAudit = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("moderation.record_panel")
        self.loaded: Loaded | None = None

        self.audit_info = QLabel("Choose an audit on the left.")
        self.audit_info.setWordWrap(True)
        self.audit_info.setObjectName("moderation.audit_info")
        self.audit_info.setTextFormat(Qt.TextFormat.RichText)
        self.evidence = QTextBrowser()
        self.evidence.setObjectName("moderation.evidence")
        self.evidence.setAccessibleName("The audit's evidence")
        self.evidence.setOpenLinks(False)

        # Step 1 (blind): the moderator's own judgements.
        self.own_box = QGroupBox("Your own judgements")
        self.own_form = QFormLayout()
        self.own_form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.own_form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)  # each section's title above its grade
        self.own: dict[str, QComboBox] = {}
        self.own_overall = QComboBox()
        self.own_overall.setObjectName("moderation.own_overall")
        self.own_overall.setAccessibleName("Your overall grade")
        self.record_own = QPushButton("Record my &judgements")
        self.record_own.setObjectName("moderation.record_own")
        self.record_own.setToolTip("The auditor's judgements are shown once yours are recorded; yours are then kept "
                                   "as they are")
        own_intro = QLabel("Read the evidence, then grade each section and the audit overall. The auditor's "
                           "judgements are shown once yours are recorded.")
        own_intro.setWordWrap(True)
        own_intro.setProperty("role", "hint")
        own_layout = QVBoxLayout(self.own_box)
        own_layout.addWidget(own_intro)
        own_sections = QWidget()
        own_sections.setLayout(self.own_form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(own_sections)
        own_layout.addWidget(scroll, 1)
        overall_row = QFormLayout()
        overall_label = QLabel("O&verall")
        overall_label.setBuddy(self.own_overall)
        overall_row.addRow(overall_label, self.own_overall)
        own_layout.addLayout(overall_row)

        # Step 2: side by side, then the outcome.
        self.compare = QTableWidget(0, 3)
        self.compare.setObjectName("moderation.compare")
        self.compare.setAccessibleName("Your judgements beside the auditor's")
        self.compare.setHorizontalHeaderLabels(("Judgement", "Yours", "Auditor's"))
        self.compare.verticalHeader().hide()
        self.compare.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.compare.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col in (1, 2):
            self.compare.horizontalHeader().setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        self.compare.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.compare.setWordWrap(True)
        tab_leaves(self.compare)
        self.compare_note = QLabel()
        self.compare_note.setWordWrap(True)
        self.compare_note.setObjectName("moderation.compare_note")
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
        self.rationale.setMaximumHeight(80)
        self.rationale.setMinimumHeight(48)  # two lines at least, however many judgements are above
        self.learning = QPlainTextEdit()
        self.learning.setObjectName("moderation.learning_points")
        self.learning.setAccessibleName("Learning points for the auditor")
        self.learning.setPlaceholderText("What the auditor can take from this (they see it with the moderation, "
                                         "and can respond)")
        self.learning.setMaximumHeight(70)
        self.learning.setMinimumHeight(48)
        self.record = QPushButton("&Record moderation")
        self.record.setObjectName("moderation.record")
        outcome = QWidget()
        ov = QVBoxLayout(outcome)
        ov.setContentsMargins(0, 0, 0, 0)
        ov.addWidget(self.compare, 1)
        ov.addWidget(self.compare_note)
        ov.addWidget(self.agree)
        ov.addWidget(self.disagree)
        disagree_row = QHBoxLayout()
        disagree_row.setContentsMargins(24, 0, 0, 0)
        disagree_row.addWidget(self.grade, 1)
        ov.addLayout(disagree_row)
        rationale_label = QLabel("Ra&tionale")
        rationale_label.setBuddy(self.rationale)
        ov.addWidget(rationale_label)
        ov.addWidget(self.rationale)
        learning_label = QLabel("&Learning points for the auditor")
        learning_label.setBuddy(self.learning)
        ov.addWidget(learning_label)
        ov.addWidget(self.learning)

        self.steps = QStackedWidget()
        self.steps.addWidget(self.own_box)
        self.steps.addWidget(outcome)

        self.kind = QComboBox()
        self.kind.setObjectName("moderation.kind")
        self.kind.setAccessibleName("Internal or external moderation")
        self.kind.addItem("Internal", "internal")
        self.kind.addItem("External", "external")
        self.open_button = QPushButton("&Open audit")
        self.open_button.setObjectName("moderation.open_audit")
        self.problem = QLabel()
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()

        judge = QWidget()
        jv = QVBoxLayout(judge)
        jv.setContentsMargins(0, 0, 0, 0)
        jv.addWidget(self.steps, 1)
        kind_row = QHBoxLayout()
        kind_label = QLabel("&Moderation")
        kind_label.setBuddy(self.kind)
        kind_row.addWidget(kind_label)
        kind_row.addWidget(self.kind, 1)
        jv.addLayout(kind_row)
        jv.addWidget(self.problem)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_own)
        buttons.addWidget(self.record)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        jv.addLayout(buttons)

        # The judgements scroll inside their column rather than make the window taller than a laptop's screen.
        judging = QScrollArea()
        judging.setWidgetResizable(True)
        judging.setFrameShape(QScrollArea.Shape.NoFrame)
        judging.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        judging.setWidget(judge)
        reading = QWidget()
        rv = QVBoxLayout(reading)
        rv.setContentsMargins(0, 0, 0, 0)
        rv.addWidget(self.audit_info)
        rv.addWidget(self.evidence, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setChildrenCollapsible(False)
        split.addWidget(reading)
        split.addWidget(judging)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 5)
        split.setSizes([400, 500])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)

        self.disagree.toggled.connect(lambda on: self.grade.setEnabled(on and self.record.isEnabled()))
        self.record_own.clicked.connect(self.record_own_judgements)
        self.record.clicked.connect(self.record_moderation)
        self.open_button.clicked.connect(lambda: self.loaded and self.openAudit.emit(self.loaded.row.id))
        self.show_audit(None)

    # ------------------------------------------------------------------ loading

    def show_audit(self, row: AuditRow | None) -> None:
        """Show one audit (None: nothing chosen), read from the store now."""
        self.problem.hide()
        if row is None:
            self.loaded = None
            self.audit_info.setText("Choose an audit on the left.")
            self.evidence.clear()
            self._own_controls({}, ())
            self.compare.setRowCount(0)
            self.steps.setCurrentIndex(0)
            for w in (self.record_own, self.record, self.open_button, self.kind, self.agree, self.disagree,
                      self.grade, self.rationale, self.learning, self.own_overall):
                w.setEnabled(False)
            self.record.hide()
            self.record_own.show()
            return
        with self.ctx.store.session() as s:
            self.loaded = self._load(s, row)
        self._show_loaded()

    def _load(self, s: Session, row: AuditRow) -> Loaded:
        audit = svc.get_audit(s, row.id)
        me = current_actor_name(s)
        judging_blind = bm.is_blind_for(s, audit.id)
        pending = pending_blind(s, audit.id, me) if me else None
        # Not a moderator (qadesk.core.permissions), or their own audit: the reason it cannot be moderated here.
        own = permissions.why_not(s, Do.MODERATE) or own_audit_reason(s, audit, me)
        blind = judging_blind and pending is None and own is None  # their own audit: nothing to hide from them
        compared = bm.comparison(s, audit.id, me) if pending is not None and me else None
        t = svc.template_for(audit)
        return Loaded(row, blind, judging_blind, bm.evidence(audit, blind=blind), compared, own,
                      tuple((c.value, c.label) for c in t.overall_choices()), None if blind else audit.overall_grade,
                      audit.origin, pending.kind if pending is not None else None)

    def _own_controls(self, sections: dict[str, tuple[str, tuple[tuple[str, str], ...]]],
                      overall: tuple[tuple[str, str], ...]) -> None:
        while self.own_form.rowCount():
            self.own_form.removeRow(0)
        self.own = {}
        for sid, (title, grades) in sections.items():
            combo = QComboBox()
            combo.setObjectName(f"moderation.own.{sid}")
            combo.setAccessibleName(f"Your grade for {title}")
            combo.addItem("— not judged —", None)
            for value, label in grades:
                combo.addItem(label, value)
            caption = QLabel(title)
            caption.setWordWrap(True)
            caption.setBuddy(combo)
            self.own_form.addRow(caption, combo)
            self.own[sid] = combo
        self.own_overall.clear()
        self.own_overall.addItem("— choose your overall grade —", None)
        for value, label in overall:
            self.own_overall.addItem(label, value)

    def _show_loaded(self) -> None:
        d = self.loaded
        assert d is not None
        a = d.row
        info = (f"<b>{escape(a.reference)}</b> — {escape(a.template_title)}<br>Case {escape(a.case_ref or '—')}, "
                f"{escape(a.team or 'no team')}; audited by {escape(a.auditor or '—')}, completed "
                f"{fmt_date(a.completed_at)}")
        if d.judging_blind:
            info += "<br><i>Blind moderation</i>" + (": your judgements are recorded" if d.compared else "")
        self.audit_info.setText(info)
        self.evidence.setHtml(evidence_html(d.evidence))
        graded = {x.id: (x.title, x.grades) for x in d.evidence.sections if x.graded}
        self._own_controls(graded if d.blind else {}, d.overall)
        self.grade.clear()
        self.grade.addItem("— choose the moderated grade —", None)  # never a grade nobody chose
        for value, label in d.overall:
            self.grade.addItem(label, value)
        self.rationale.clear()
        self.learning.clear()
        self.agree.setChecked(True)
        # An audit another organisation sent here is moderated externally; the kind chosen when the
        # judgements were recorded blind stays.
        kind = d.kind or ("external" if d.origin else "internal")
        self.kind.setCurrentIndex(max(0, self.kind.findData(kind)))
        if d.blind:  # step 1: the moderator's own judgements; the auditor's are nowhere in this panel
            self.steps.setCurrentIndex(0)
            self.record.hide()
            self.record_own.show()
        else:
            self.steps.setCurrentIndex(1)
            self.record_own.hide()
            self.record.show()
            self._show_compared(d.compared)
        can = d.own_reason is None
        for w in (self.record_own, self.record, self.kind, self.agree, self.disagree, self.rationale, self.learning,
                  self.own_overall, *self.own.values()):
            w.setEnabled(can)
        self.kind.setEnabled(can and d.compared is None)  # chosen when the blind judgements were recorded
        self.grade.setEnabled(can and self.disagree.isChecked())
        # The full form shows the auditor's grades: not before the moderator has recorded their own.
        self.open_button.setEnabled(not d.blind)
        self.open_button.setToolTip("The audit opens once you have recorded your own judgements" if d.blind else "")
        if not can:
            self.problem.setText(f"You cannot moderate this audit: {d.own_reason}.")
            self.problem.show()
        self.record.setToolTip(d.own_reason or "")
        self.record_own.setToolTip(d.own_reason or self.record_own.toolTip())

    def _show_compared(self, rows: list[bm.ComparedJudgement] | None) -> None:
        self.compare.setVisible(rows is not None)
        if rows is None:
            d = self.loaded
            self.compare_note.setText(
                "This is your own audit: someone else moderates it." if d is not None and d.own_reason else
                "Blind moderation is off: the auditor's judgements are in the evidence.")
            return
        self.compare.setRowCount(len(rows))
        bold = QFont()
        bold.setBold(True)
        for i, r in enumerate(rows):
            cells = (r.title, r.own or "—", r.auditor or "—")
            for col, text in enumerate(cells):
                # Grades short ("RI"), whole in the tooltip and to a screen reader.
                shown = text if col == 0 else short_grade(text)
                item = QTableWidgetItem(("≠ " if r.differs and col == 0 else "") + shown)
                item.setToolTip(text)
                item.setData(Qt.ItemDataRole.AccessibleTextRole, text)
                if r.differs:
                    item.setBackground(DIFFERS)
                    item.setFont(bold)
                    steps = r.steps
                    if steps:
                        item.setToolTip(f"{text}: you graded {abs(steps)} grade{'s' if abs(steps) != 1 else ''} "
                                        f"{'higher' if steps > 0 else 'lower'} than the auditor")
                if r.section_id is None and col == 0:
                    item.setFont(bold)
                self.compare.setItem(i, col, item)
        self.compare.resizeRowsToContents()
        # Every judgement in view: the table is as tall as its rows, up to what the panel can give.
        tall = self.compare.horizontalHeader().height() + sum(self.compare.rowHeight(i) for i in range(len(rows))) + 4
        self.compare.setMinimumHeight(min(tall, 330))
        differ = sum(1 for r in rows if r.differs)
        self.compare_note.setText(
            "You and the auditor judged alike." if not differ else
            f"Marked ≠: {differ} judgement{'s' if differ != 1 else ''} where your grade and the auditor's differ.")
        overall = rows[-1]
        if overall.differs and self.loaded is not None:
            self.disagree.setChecked(True)
            own_value = next((v for v, label in self.loaded.overall if label == overall.own), None)
            if own_value is not None:
                self.grade.setCurrentIndex(max(self.grade.findData(own_value), 0))

    # ------------------------------------------------------------------ recording

    def _moderator(self) -> svc.Actor:
        profile = self.ctx.profile()
        return svc.Actor(name=self.ctx.actor(), role=profile.role if profile else None,
                         organisation=profile.organisation if profile else None)

    def _refused(self, button: QPushButton) -> object:
        def refused(exc: QadeskError) -> None:
            button.setEnabled(True)
            self.problem.setText(str(exc).capitalize())
            self.problem.show()
            messages.log.info("moderation refused (%s)", type(exc).__name__)
        return refused

    def record_own_judgements(self) -> None:
        d = self.loaded
        if d is None:
            return
        own_overall = self.own_overall.currentData()
        if own_overall is None:
            self.problem.setText("Choose your overall grade first.")
            self.problem.show()
            self.own_overall.setFocus()
            return
        sections = {sid: combo.currentData() for sid, combo in self.own.items() if combo.currentData()}
        moderator, audit_id, kind = self._moderator(), d.row.id, self.kind.currentData()

        def work(s: Session) -> None:
            bm.record_blind(s, audit_id, moderator=moderator, own_grade=own_overall, sections=sections, kind=kind)

        def done(_result: object) -> None:
            row = d.row
            with self.ctx.store.session() as s:
                self.loaded = self._load(s, row)
            self._show_loaded()
            self.record.setFocus()

        self.record_own.setEnabled(False)
        self.problem.hide()
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Recording your judgements", parent=self,
                       done=done, refused=self._refused(self.record_own))  # type: ignore[arg-type]

    def record_moderation(self) -> None:
        d = self.loaded
        if d is None:
            return
        moderator, agreed, audit_id = self._moderator(), self.agree.isChecked(), d.row.id
        grade = None if agreed else self.grade.currentData()
        rationale = self.rationale.toPlainText().strip() or None
        learning = self.learning.toPlainText().strip() or None
        kind = self.kind.currentData()

        def work(s: Session) -> None:
            svc.moderate(s, audit_id, moderator=moderator, agreed=agreed, grade=grade, rationale=rationale, kind=kind,
                         learning_points=learning)

        def done(_result: object) -> None:
            self.show_audit(None)  # recorded: nothing to record again until the list has reloaded
            self.recorded.emit()

        self.record.setEnabled(False)
        self.problem.hide()
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Recording the moderation", parent=self,
                       done=done, refused=self._refused(self.record))  # type: ignore[arg-type]
