"""Choose what to moderate: the QA lead's sample of completed audits, shown with reasons before it is recorded.

The options are the standing rules (a share stratified by auditor and grade, a minimum per auditor per
quarter, every extreme grade) over a period, with a seed. **Draw** shows every audit chosen with why, and
the counts per auditor and grade; nothing is recorded until **Choose these audits**, which marks them
for moderation (the Moderation screen lists them first) and keeps the rules as the QA lead's settings.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.core.moderation_sampling import ModerationSample, ModerationSampleOptions
from qadesk.exchange.display import short_grade
from qadesk.services import moderation_sampling as ms
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.operations import in_transaction
from qadesk.ui.widgets import fmt_date, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CHOSEN_COLUMNS = ("Audit", "Auditor", "Grade", "Completed", "Why chosen")
STRATA_COLUMNS = ("Auditor", "Grade", "Waiting", "Chosen")


def _table(columns: tuple[str, ...], name: str) -> QTableWidget:
    t = QTableWidget(0, len(columns))
    t.setObjectName(name)
    t.setHorizontalHeaderLabels(columns)
    t.verticalHeader().hide()
    t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    t.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    t.horizontalHeader().setStretchLastSection(True)
    tab_leaves(t)
    return t


class ModerationSampleDialog(QDialog):
    """Draw the moderation sample, see it, then choose those audits for moderation."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.sample: ModerationSample | None = None
        self.recorded: int | None = None
        self.setObjectName("moderation_sample.dialog")
        self.setWindowTitle("Choose what to moderate")
        self.resize(1220, 660)
        with ctx.store.session() as s:
            rules = ms.get_rules(s)
        since, until = ms.default_period()

        self.since, self.until = DateBox(required=True), DateBox(required=True)
        self.since.set_date(since)
        self.until.set_date(until)
        self.percent = QDoubleSpinBox()
        self.percent.setObjectName("moderation_sample.percent")
        self.percent.setRange(0, 100)
        self.percent.setDecimals(1)
        self.percent.setSuffix(" %")
        self.percent.setValue(rules.percent)
        self.minimum = QSpinBox()
        self.minimum.setObjectName("moderation_sample.minimum")
        self.minimum.setRange(0, 100)
        self.minimum.setValue(rules.minimum_per_quarter)
        self.extremes = QCheckBox("Also &every extreme grade")
        self.extremes.setToolTip("Every audit graded at either end of its scale (Outstanding or Inadequate on the "
                                 "four-point scale) is moderated")
        self.extremes.setObjectName("moderation_sample.extremes")
        self.extremes.setChecked(rules.all_extremes)
        self.seed = QSpinBox()
        self.seed.setObjectName("moderation_sample.seed")
        self.seed.setRange(1, 999_999_999)
        self.seed.setValue(random.randrange(1, 1_000_000))
        self.seed.setToolTip("The same seed, period and rules draw the same audits again")
        self.draw_button = QPushButton("&Draw")
        self.draw_button.setObjectName("moderation_sample.draw")
        self.draw_button.setDefault(True)
        form = QFormLayout()
        form.addRow("Completed &from", self.since)
        form.addRow("Completed &to", self.until)
        form.addRow("&Share to moderate", self.percent)
        form.addRow("&Minimum per auditor per quarter", self.minimum)
        form.addRow("", self.extremes)
        form.addRow("S&eed", self.seed)
        note = QLabel("The share is spread across auditors and grades in proportion. The minimum counts the audits "
                      "already moderated. These rules are the QA lead's: choosing keeps them for next time.")
        note.setWordWrap(True)
        for box in (self.percent, self.minimum, self.seed):
            box.setMaximumWidth(160)
        left = QWidget()
        left.setMaximumWidth(430)
        lv = QVBoxLayout(left)
        lv.addLayout(form)
        lv.addWidget(note)
        lv.addWidget(self.draw_button, 0, Qt.AlignmentFlag.AlignLeft)
        lv.addStretch(1)

        self.summary = QLabel("Set the period and rules, then Draw. Nothing is recorded until you choose.")
        self.summary.setObjectName("moderation_sample.summary")
        self.summary.setWordWrap(True)
        self.summary.setMinimumHeight(self.summary.fontMetrics().lineSpacing() * 4)
        self.chosen = _table(CHOSEN_COLUMNS, "moderation_sample.chosen")
        self.chosen.setAccessibleName("Audits chosen, with why")
        self.chosen.horizontalHeader().setSectionResizeMode(len(CHOSEN_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.why = QLabel()
        self.why.setObjectName("moderation_sample.why")
        self.why.setWordWrap(True)
        self.chosen.itemSelectionChanged.connect(self._show_why)
        self.strata = _table(STRATA_COLUMNS, "moderation_sample.strata")
        self.strata.setAccessibleName("Counts per auditor and grade")
        right = QWidget()
        rv = QVBoxLayout(right)
        rv.addWidget(self.summary)
        rv.addWidget(self.chosen, 3)
        rv.addWidget(self.why)
        rv.addWidget(QLabel("Per auditor and grade"))
        rv.addWidget(self.strata, 2)
        split = QHBoxLayout()
        split.addWidget(left)
        split.addWidget(right, 1)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.choose_button = self.buttons.addButton("&Choose these audits", QDialogButtonBox.ButtonRole.AcceptRole)
        self.choose_button.setObjectName("moderation_sample.choose")
        self.choose_button.setEnabled(False)
        layout = QVBoxLayout(self)
        layout.addLayout(split, 1)
        bottom = QHBoxLayout()
        bottom.addStretch(1)
        bottom.addWidget(self.buttons)
        layout.addLayout(bottom)
        self.buttons.rejected.connect(self.reject)
        self.choose_button.clicked.connect(self.choose)
        self.draw_button.clicked.connect(self.draw)
        for box in (self.percent, self.minimum, self.seed):
            box.valueChanged.connect(self._stale)
        self.extremes.toggled.connect(self._stale)
        self.since.changed.connect(self._stale)
        self.until.changed.connect(self._stale)

    def _show_why(self) -> None:
        rows = self.chosen.selectionModel().selectedRows()
        if self.sample is None or not rows:
            self.why.clear()
            return
        c = self.sample.chosen[rows[0].row()]
        self.why.setText(f"{c.candidate.reference}: {c.reason}")

    def options(self) -> ModerationSampleOptions:
        return ModerationSampleOptions(seed=self.seed.value(), percent=self.percent.value(),
                                       minimum_per_quarter=self.minimum.value(), all_extremes=self.extremes.isChecked(),
                                       since=self.since.date(), until=self.until.date())

    def _stale(self, *_args: object) -> None:
        if self.sample is not None:
            self.sample = None
            self.choose_button.setEnabled(False)
            self.summary.setText("The rules changed since the draw: press Draw again to see what they choose.")

    def draw(self) -> None:
        options = self.options()
        problems = options.problems()
        if problems:
            self.summary.setText("Please check: " + "; ".join(problems) + ".")
            return

        def work(s: Session) -> ModerationSample:
            return ms.draw(s, options)

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Drawing the moderation sample", parent=self,
                       done=self.show_sample, refused=lambda e: self.summary.setText(f"Please check: {e}"),
                       busy=[self.draw_button])

    def show_sample(self, sample: ModerationSample) -> None:
        self.sample = sample
        self.chosen.setRowCount(len(sample.chosen))
        for i, c in enumerate(sample.chosen):
            a = c.candidate
            cells = (a.reference, a.auditor, short_grade(a.grade_label), fmt_date(a.completed_on), c.reason)
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(a.grade_label if col == 2 else text)
                self.chosen.setItem(i, col, item)
        self.strata.setRowCount(len(sample.strata))
        for i, st in enumerate(sample.strata):
            for col, value in enumerate((st.auditor, short_grade(st.grade_label), st.candidates, st.chosen)):
                item = QTableWidgetItem(str(value))
                item.setToolTip(st.grade_label if col == 1 else str(value))
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.strata.setItem(i, col, item)
        self.summary.setText("\n".join(sample.notes()[:2] + sample.notes()[2:5]
                                       + ([f"… and {len(sample.short) - 3} more short of the minimum"]
                                          if len(sample.short) > 3 else [])))
        self.choose_button.setEnabled(bool(sample.chosen))
        self.choose_button.setText(f"&Choose these {len(sample.chosen)} audits" if sample.chosen
                                   else "&Choose these audits")
        self.choose_button.adjustSize()

    def choose(self) -> None:
        sample = self.sample
        if sample is None:
            return
        o = sample.options
        rules = ms.ModerationRules(o.percent, o.minimum_per_quarter, o.all_extremes)
        actor = self.ctx.actor()

        def work(s: Session) -> int:
            ms.set_rules(s, rules, actor=actor)
            return ms.confirm(s, sample, actor=actor)

        def done(n: int) -> None:
            self.recorded = n
            self.accept()

        def refused(exc: QadeskError) -> None:
            self.summary.setText(f"Please check: {exc}")

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Choosing audits for moderation",
                       parent=self, done=done, refused=refused, busy=[self.choose_button])
