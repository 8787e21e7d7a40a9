"""Sample and allocate: draw a programme's sample, see why each case was chosen, adjust the allocation, confirm.

Nothing is created until Create: the sample, its strata counts and the allocation are shown first, and
the auditor of any row can be changed by hand (each row offers only the auditors who may take that case:
never the case's own worker, nor, under that rule, an auditor of its own team). The options are chosen on
the left (:class:`qadesk.ui.sample_options.SampleOptionsPanel`); the sample and its allocation are shown
on the right.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.allocation import AllocatedCase, Auditor, refusal
from qadesk.core.errors import QadeskError
from qadesk.core.sampling import SampleOptions, known_columns
from qadesk.services.profile import current_actor_name
from qadesk.services.sampling import Proposal, confirm, list_auditors, programme_row, propose, read_cases
from qadesk.ui.context import AppContext
from qadesk.ui.operations import in_transaction
from qadesk.ui.sample_options import AUDITING_WORDS, FindBox, SampleOptionsPanel, Setup
from qadesk.ui.widgets import fmt_date, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

__all__ = ["AUDITING_WORDS", "CASE_COLUMNS", "NOT_ALLOCATED", "FindBox", "SampleDialog", "Setup"]

STRATA_COLUMNS = ("Team", "Stratum", "Cases", "Not\nmatching", "In\nprogramme", "Audited\nrecently", "Eligible",
                  "Places", "Chosen")
STRATA_TIPS = ("", "The value of the column the sample is stratified by", "Cases of the team in the case list",
               "Cases the filters leave out", "Cases already in the programme, left out",
               "Cases audited recently, left out", "Cases the sample may choose from",
               "Places this stratum was given", "Cases chosen (top-ups counted where they came from)")
CASE_COLUMNS = ("Case", "Team", "Type", "Worker", "Why chosen", "Auditor")
NOT_ALLOCATED = "Not allocated"


class SampleDialog(QDialog):
    """Sample and allocate the cases of one programme."""

    def __init__(self, ctx: AppContext, programme: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.programme = programme
        self.proposal: Proposal | None = None
        self.setObjectName("sample.dialog")
        self.setWindowTitle(f"Sample and allocate — {programme}")
        self.setup: Setup | None = None

        # ---- the options, under the names the dialog has always given them
        panel = self.options_panel = SampleOptionsPanel(self)
        self.by_number, self.by_percent, self.per_team, self.percent = (
            panel.by_number, panel.by_percent, panel.per_team, panel.percent)
        self.stratify, self.minimum, self.filters, self.columns_hint = (
            panel.stratify, panel.minimum, panel.filters, panel.columns_hint)
        self.audited, self.in_programme, self.seed, self.new_seed = (
            panel.audited, panel.in_programme, panel.seed, panel.new_seed)
        self.due, self.auditor_filter, self.auditors, self.ticked = (
            panel.due, panel.auditor_filter, panel.auditors, panel.ticked)
        self.not_own_team, self.draw_button = panel.not_own_team, panel.draw_button

        # ---- the sample
        self.summary = QPlainTextEdit("Choose the options and press Draw sample: nothing is created until you "
                                      "confirm.")
        self.summary.setObjectName("sample.summary")
        self.summary.setAccessibleName("The sample in words")
        self.summary.setReadOnly(True)
        self.summary.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.summary.setTabChangesFocus(True)
        self.summary.setFixedHeight(self.summary.fontMetrics().lineSpacing() * 4 + 10)
        self.problem = QLabel()
        self.problem.setObjectName("sample.problem")
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.strata = self._table("sample.strata", "Counts per team and stratum", STRATA_COLUMNS)
        self.cases = self._table("sample.cases", "The sample and its allocation", CASE_COLUMNS)
        self.cases.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 95), (1, 130), (2, 45), (3, 95), (5, 160)):
            self.cases.setColumnWidth(col, width)
        header = self.strata.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, tip in enumerate(STRATA_TIPS):
            head = self.strata.horizontalHeaderItem(col)
            if tip and head is not None:
                head.setToolTip(tip)
        self.cases.currentCellChanged.connect(lambda row, *_: self._show_why(row))
        self.why = QLabel()  # the chosen row's reason in full: the column is too narrow for most
        self.why.setObjectName("sample.why")
        self.why.setProperty("role", "hint")
        self.why.setWordWrap(True)
        self.why.setTextFormat(Qt.TextFormat.PlainText)
        self.loads = QLabel()
        self.loads.setObjectName("sample.loads")
        self.loads.setWordWrap(True)
        split = self.split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.strata)
        split.addWidget(self.cases)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        right = QVBoxLayout()
        right.addWidget(self.summary)
        right.addWidget(self.problem)
        right.addWidget(split, 1)
        right.addWidget(self.why)
        right.addWidget(self.loads)

        body = QHBoxLayout()
        body.addWidget(self.options_panel)
        body.addLayout(right, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.create_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.create_button.setObjectName("sample.create")
        self.create_button.setText("&Create the assigned audits")
        self.create_button.setEnabled(False)
        self.create_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.buttons)

        panel.changed.connect(self._stale)
        self.draw_button.clicked.connect(self.draw)
        self.saving = False
        self.created = 0
        self.resize(1240, 700)
        self._load_setup()

    # ---- building

    @staticmethod
    def _table(name: str, accessible: str, columns: tuple[str, ...]) -> QTableWidget:
        t = QTableWidget(0, len(columns))
        t.setObjectName(name)
        t.setAccessibleName(accessible)
        t.setHorizontalHeaderLabels(columns)
        t.verticalHeader().hide()
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setWordWrap(False)
        tab_leaves(t)
        return t

    def _load_setup(self) -> None:
        store, name = self.ctx.store, self.programme

        def fetch(_progress: object, _cancel: object) -> Setup:
            with store.session() as s:
                prog = programme_row(s, name)
                cases = read_cases(s)
                teams = list(json.loads(prog.teams)) if prog.teams else []
                return Setup(sorted(known_columns(cases) - {"case_ref", "team", "worker"}), len(cases),
                             list_auditors(s), prog.ends_on, teams, prog.target_per_team, current_actor_name(s))

        self.draw_button.setEnabled(False)
        self.ctx.operations().run(fetch, label="Reading the case list", on_success=self._set_up,
                                  on_failure=self._refused, show_progress=False)

    def _set_up(self, setup: Setup) -> None:
        self.setup = setup
        self.draw_button.setEnabled(True)
        self.options_panel.set_up(setup)

    def chosen_auditors(self) -> list[Auditor]:
        return self.options_panel.chosen_auditors()

    def options(self) -> SampleOptions:
        return self.options_panel.options()

    # ---- drawing

    def _stale(self, *_args: object) -> None:
        """An option changed after the draw: what is shown is no longer what Create would make."""
        if self.proposal is not None:
            self.proposal = None
            self.create_button.setEnabled(False)
            self.summary.setPlainText("The options changed: press Draw sample again to see the sample they give.")
            self.why.setText("")

    def _refused(self, exc: BaseException) -> None:
        if not isinstance(exc, QadeskError):
            from qadesk.ui import messages

            messages.show_exception(exc, self)
            return
        self.draw_button.setEnabled(self.setup is not None)
        self.problem.setText(str(exc)[:1].upper() + str(exc)[1:])
        self.problem.show()

    def draw(self) -> None:
        if not self.due.commit():
            self.due.setFocus()
            return
        self.problem.hide()
        try:
            options = self.options()
            options.check()
        except QadeskError as exc:
            self._refused(exc)
            return
        auditors = self.chosen_auditors()
        if not auditors:
            self._refused(QadeskError("tick at least one auditor (type a name in Auditors, then Enter)"))
            self.auditor_filter.setFocus()
            return
        store, name, not_own, due = self.ctx.store, self.programme, self.not_own_team.isChecked(), self.due.date()

        def fetch(_progress: object, _cancel: object) -> Proposal:
            with store.session() as s:
                return propose(s, name, options, auditors, not_own_team=not_own, due_on=due)

        self.draw_button.setEnabled(False)
        self.ctx.operations().run(fetch, label="Drawing the sample", on_success=self.show_proposal,
                                  on_failure=self._refused, show_progress=False)

    def show_proposal(self, proposal: Proposal) -> None:
        self.draw_button.setEnabled(True)
        self.proposal = proposal
        sample = proposal.sample
        lines = [f"{len(sample.chosen):,} cases chosen from {sample.cases_read:,} in the case list: "
                 f"{sample.options.describe()}."]
        if proposal.due_on:
            lines[0] += f" Due by {fmt_date(proposal.due_on)}."
            if proposal.due_on < date.today():  # a programme that has ended: its end is no due date to give
                lines[0] += " That day is past: choose a later one in Due by before you create the audits."
        lines += sample.notes()
        lines += [f"{r.case_ref}: {r.note}" for r in proposal.allocation.unallocated]
        self.summary.setPlainText("\n".join(lines))
        rows = [(t, x) for t in sample.teams for x in t.strata] or []
        self.strata.setRowCount(len(rows))
        for i, (t, x) in enumerate(rows):
            cells = (t.team or "No team", x.stratum or ("—" if not sample.options.stratify else "Not recorded"),
                     x.population, x.not_matching, x.in_programme, x.audited_recently, x.eligible, x.places, x.chosen)
            for col, value in enumerate(cells):
                item = QTableWidgetItem(str(value))
                if col >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.strata.setItem(i, col, item)
        self.cases.setRowCount(len(proposal.allocation.rows))
        offered = list(proposal.auditors)
        for i, row in enumerate(proposal.allocation.rows):
            c = proposal.case(row.case_ref)
            for col, text in enumerate((c.case_ref, c.team or "No team", c.case_type or "—", c.worker or "—",
                                        c.reason)):
                item = QTableWidgetItem(text)
                item.setToolTip(c.reason if col == 4 else text)
                self.cases.setItem(i, col, item)
            box = QComboBox()
            box.setObjectName(f"sample.auditor.{c.case_ref}")
            box.setAccessibleName(f"Auditor of {c.case_ref}")
            box.addItem(NOT_ALLOCATED, None)
            for a in offered:  # only those who may take this case
                if refusal(c, a, not_own_team=proposal.allocation.not_own_team) is None:
                    box.addItem(a.name, a.name)
            box.setCurrentIndex(max(0, box.findData(row.auditor)) if row.auditor else 0)
            box.currentIndexChanged.connect(self._count_loads)
            self.cases.setCellWidget(i, 5, box)
        for col in (0, 1, 3):  # the reference, team and worker whole; the reason takes what is left
            self.cases.resizeColumnToContents(col)
        self._fit_strata()
        self._show_why(self.cases.currentRow() if self.cases.rowCount() else -1)
        self._count_loads()

    def _fit_strata(self) -> None:
        """Every team and stratum in view when half the room holds them; the sample takes the rest."""
        total = sum(self.split.sizes())
        if total <= 0:
            return
        rows = self.strata.rowCount()
        needed = (self.strata.horizontalHeader().height() + 2 * self.strata.frameWidth()
                  + sum(self.strata.rowHeight(i) for i in range(rows)) + 2)
        top = max(min(needed, total // 2), total // 4)
        self.split.setSizes([top, total - top])

    def _show_why(self, row: int) -> None:
        item = self.cases.item(row, 0) if row >= 0 else None
        if item is None or self.proposal is None:
            self.why.setText("Select a case to see in full why it was chosen." if self.cases.rowCount() else "")
            return
        c = self.proposal.case(item.text())
        self.why.setText(f"{c.case_ref}, chosen: {c.reason}")

    def rows(self) -> list[AllocatedCase]:
        """The allocation as it stands, with the changes made by hand."""
        assert self.proposal is not None
        out = []
        for i, row in enumerate(self.proposal.allocation.rows):
            box = self.cases.cellWidget(i, 5)
            who = box.currentData() if isinstance(box, QComboBox) else row.auditor
            out.append(AllocatedCase(row.case_ref, row.team, row.worker, who, row.note if who is None else ""))
        return out

    def _count_loads(self, *_args: object) -> None:
        if self.proposal is None:
            return
        rows = self.rows()
        given = [r for r in rows if r.auditor]
        loads = {a.name: 0 for a in self.proposal.auditors}
        for r in given:
            loads[str(r.auditor)] += 1
        first = {r.case_ref: r.auditor for r in self.proposal.allocation.rows}
        by_hand = sum(1 for r in rows if first[r.case_ref] != r.auditor)
        self.loads.setText("Cases each: " + ", ".join(f"{n} {k}" for n, k in loads.items())
                           + (f".  Changed by hand: {by_hand}." if by_hand else "."))
        self.create_button.setEnabled(bool(given))
        self.create_button.setText(f"&Create {len(given)} assigned audit{'s' if len(given) != 1 else ''}")

    # ---- confirming

    def accept(self) -> None:
        if self.proposal is None or self.saving:
            return
        proposal, rows, actor = self.proposal, self.rows(), self.ctx.actor()
        self.saving = True

        def work(s: Session) -> int:
            return len(confirm(s, proposal, actor=actor, rows=rows))

        def refused(exc: QadeskError) -> None:
            self.saving = False
            self._refused(exc)

        def done(n: int) -> None:
            self.created = n
            QDialog.accept(self)

        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Creating the assigned audits", parent=self,
                       done=done, refused=refused, busy=[self.create_button, self.draw_button])
