"""Sample and allocate: draw a programme's sample, see why each case was chosen, adjust the allocation, confirm.

Nothing is created until Create: the sample, its strata counts and the allocation are shown first, and
the auditor of any row can be changed by hand (each row offers only the auditors who may take that case:
never the case's own worker, nor, under that rule, an auditor of its own team).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.allocation import AllocatedCase, Auditor, refusal
from qadesk.core.errors import QadeskError
from qadesk.core.sampling import SampleOptions, known_columns, parse_filter
from qadesk.services.sampling import Proposal, confirm, list_auditors, programme_row, propose, read_cases
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.operations import in_transaction
from qadesk.ui.widgets import fmt_date, tab_leaves

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

STRATA_COLUMNS = ("Team", "Stratum", "Cases", "Not\nmatching", "In\nprogramme", "Audited\nrecently", "Eligible",
                  "Places", "Chosen")
STRATA_TIPS = ("", "The value of the column the sample is stratified by", "Cases of the team in the case list",
               "Cases the filters leave out", "Cases already in the programme, left out",
               "Cases audited recently, left out", "Cases the sample may choose from",
               "Places this stratum was given", "Cases chosen (top-ups counted where they came from)")
CASE_COLUMNS = ("Case", "Team", "Type", "Worker", "Why chosen", "Auditor")
NOT_ALLOCATED = "Not allocated"
# Roles that audit in most councils: offered first and ticked by nobody until the QA lead chooses.
AUDITING_WORDS = ("manager", "qa", "quality", "principal", "senior", "advanced", "lead")


class FindBox(QLineEdit):
    """A find box whose Enter acts on what it found, and never presses the dialog's default button."""

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.returnPressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


@dataclass(frozen=True)
class Setup:
    """What the dialog needs before drawing: the list's columns and size, the people, the programme's end."""

    columns: list[str]
    cases: int
    auditors: list[Auditor]
    ends_on: date | None
    teams: list[str]


def _auditing(a: Auditor) -> bool:
    role = (a.role or "").lower()
    return any(w in role for w in AUDITING_WORDS)


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

        # ---- options
        self.by_number = QRadioButton("&Number per team")
        self.by_number.setObjectName("sample.by_number")
        self.by_percent = QRadioButton("Percenta&ge of each team")
        self.by_percent.setObjectName("sample.by_percent")
        group = QButtonGroup(self)
        group.addButton(self.by_number)
        group.addButton(self.by_percent)
        self.by_number.setChecked(True)
        self.per_team = QSpinBox()
        self.per_team.setObjectName("sample.per_team")
        self.per_team.setAccessibleName("Cases per team")
        self.per_team.setRange(1, 10_000)
        self.per_team.setValue(10)
        self.per_team.setSuffix(" per team")
        self.percent = QDoubleSpinBox()
        self.percent.setObjectName("sample.percent")
        self.percent.setAccessibleName("Percentage of each team")
        self.percent.setRange(0.5, 100)
        self.percent.setDecimals(1)
        self.percent.setValue(10)
        self.percent.setSuffix(" %")
        self.stratify = QComboBox()
        self.stratify.setObjectName("sample.stratify")
        self.stratify.setAccessibleName("Stratify by")
        self.stratify.addItem("No strata", None)
        self.stratify.addItem("Case type", "case_type")
        self.minimum = QSpinBox()
        self.minimum.setObjectName("sample.minimum")
        self.minimum.setAccessibleName("At least this many per stratum")
        self.minimum.setRange(0, 1000)
        self.minimum.setSpecialValueText("Proportional")
        self.minimum.setPrefix("at least ")
        self.filters = QLineEdit()
        self.filters.setObjectName("sample.filters")
        self.filters.setAccessibleName("Only cases where (filters separated by semicolons)")
        self.filters.setPlaceholderText("e.g. repeat_referral=yes; age_band=10-15")
        self.filters.setToolTip("Filters on the case list's columns, separated by semicolons: COLUMN=VALUE, "
                                "one of several (case_type=CP,CLA), a range (age=10..15), or a comparison "
                                "(plan_start<=today-18m finds plans over 18 months old)")
        self.columns_hint = QLabel()
        self.columns_hint.setProperty("role", "hint")
        self.columns_hint.setWordWrap(True)
        self.audited = QSpinBox()
        self.audited.setObjectName("sample.audited_months")
        self.audited.setAccessibleName("Leave out cases audited in the last months")
        self.audited.setRange(0, 120)
        self.audited.setSpecialValueText("Keep them")
        self.audited.setSuffix(" months")
        self.audited.setValue(6)
        self.in_programme = QCheckBox("Leave out cases in the &programme")
        self.in_programme.setToolTip("Leave out cases that already have an audit in this programme")
        self.in_programme.setObjectName("sample.exclude_in_programme")
        self.in_programme.setChecked(True)
        self.seed = QSpinBox()
        self.seed.setObjectName("sample.seed")
        self.seed.setAccessibleName("Seed: the same seed and options draw the same sample")
        self.seed.setRange(0, 999_999_999)
        self.seed.setValue(random.SystemRandom().randrange(1, 1_000_000))
        self.new_seed = QPushButton("New s&eed")
        self.new_seed.setObjectName("sample.new_seed")
        self.due = DateBox(empty_text="No due date")
        self.due.setObjectName("sample.due")
        self.due.setAccessibleName("Due by")
        self.auditor_filter = FindBox()
        self.auditor_filter.setObjectName("sample.auditor_filter")
        self.auditor_filter.setAccessibleName("Find an auditor")
        self.auditor_filter.setPlaceholderText("Type to find a person")
        self.auditors = QListWidget()
        self.auditors.setObjectName("sample.auditors")
        self.auditors.setAccessibleName("Auditors (tick who audits)")
        self.auditors.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.auditors.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.auditors.setMinimumHeight(90)
        self.ticked = QLabel("Nobody ticked yet.")
        self.ticked.setObjectName("sample.ticked")
        self.ticked.setProperty("role", "hint")
        self.ticked.setWordWrap(True)
        self.not_own_team = QCheckBox("Never an auditor from the case's own &team")
        self.not_own_team.setObjectName("sample.not_own_team")
        self.draw_button = QPushButton("&Draw sample")
        self.draw_button.setObjectName("sample.draw")
        self.draw_button.setDefault(True)

        options = QFormLayout()
        options.addRow(self.by_number, self.per_team)
        options.addRow(self.by_percent, self.percent)
        options.addRow(self._label("Stratif&y by", self.stratify), self.stratify)
        options.addRow(self._label("Per st&ratum", self.minimum), self.minimum)
        options.addRow(self._label("Only &where", self.filters), self.filters)
        options.addRow(self.columns_hint)
        options.addRow(self._label("&Audited in the last", self.audited), self.audited)
        options.addRow(self.in_programme)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed)
        options.addRow(self._label("&Seed", self.seed), seed_row)
        options.addRow(self._label("D&ue by", self.due), self.due)
        options.addRow(self._label("Aud&itors", self.auditor_filter), self.auditor_filter)
        left = QVBoxLayout()
        left.addLayout(options)
        left.addWidget(self.auditors, 1)
        left.addWidget(self.ticked)
        left.addWidget(self.not_own_team)
        left.addWidget(self.draw_button)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setMaximumWidth(430)

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
        self.loads = QLabel()
        self.loads.setObjectName("sample.loads")
        self.loads.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.strata)
        split.addWidget(self.cases)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        right = QVBoxLayout()
        right.addWidget(self.summary)
        right.addWidget(self.problem)
        right.addWidget(split, 1)
        right.addWidget(self.loads)

        body = QHBoxLayout()
        body.addWidget(left_box)
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

        self.by_number.toggled.connect(self._size_mode)
        self.stratify.currentIndexChanged.connect(self._size_mode)
        self.new_seed.clicked.connect(lambda: self.seed.setValue(random.SystemRandom().randrange(1, 1_000_000)))
        self.draw_button.clicked.connect(self.draw)
        self.auditor_filter.textChanged.connect(self._find_auditor)
        self.auditor_filter.returnPressed.connect(self._tick_found)
        for w in (self.per_team, self.percent, self.minimum, self.audited, self.seed):
            w.valueChanged.connect(self._stale)
        self.filters.textChanged.connect(self._stale)
        self.stratify.currentIndexChanged.connect(self._stale)
        self.in_programme.toggled.connect(self._stale)
        self.not_own_team.toggled.connect(self._stale)
        self.auditors.itemChanged.connect(self._stale)
        self.auditors.itemChanged.connect(self._show_ticked)
        self.saving = False
        self.created = 0
        self._size_mode()
        self.resize(1240, 700)
        self._load_setup()

    # ---- building

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

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
                             list_auditors(s), prog.ends_on, teams)

        self.draw_button.setEnabled(False)
        self.ctx.operations().run(fetch, label="Reading the case list", on_success=self._set_up,
                                  on_failure=self._refused, show_progress=False)

    def _set_up(self, setup: Setup) -> None:
        self.setup = setup
        self.draw_button.setEnabled(True)
        for col in setup.columns:
            if col != "case_type":
                self.stratify.addItem(col.replace("_", " ").capitalize(), col)
        others = [c for c in setup.columns if c != "case_type"]
        teams = f"the programme's {len(setup.teams)} teams" if setup.teams else "every team in the list"
        self.columns_hint.setText(f"{setup.cases:,} cases in the case list; sampling {teams}. Columns: "
                                  + (", ".join(["case_type", *others]) if setup.cases else "none (import a case list)"))
        if setup.ends_on:
            self.due.set_date(setup.ends_on)
        for a in sorted(setup.auditors, key=lambda a: (not _auditing(a), a.name.casefold())):
            detail = ", ".join(x for x in (a.role, a.team) if x)
            item = QListWidgetItem(f"{a.name} — {detail}" if detail else a.name)
            item.setData(Qt.ItemDataRole.UserRole, a)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.auditors.addItem(item)

    def _size_mode(self) -> None:
        self.per_team.setEnabled(self.by_number.isChecked())
        self.percent.setEnabled(self.by_percent.isChecked())
        self.minimum.setEnabled(self.stratify.currentData() is not None)

    def _find_auditor(self, text: str) -> None:
        words = text.casefold().split()
        first = None
        for i in range(self.auditors.count()):
            item = self.auditors.item(i)
            shown = all(w in item.text().casefold() for w in words)
            item.setHidden(not shown)
            if shown and first is None:
                first = item
        if first is not None:
            self.auditors.setCurrentItem(first)

    def _tick_found(self) -> None:
        """Enter in the find box ticks (or unticks) the first person found, so the keyboard alone chooses."""
        item = self.auditors.currentItem()
        if item is not None and not item.isHidden():
            item.setCheckState(Qt.CheckState.Unchecked if item.checkState() == Qt.CheckState.Checked
                               else Qt.CheckState.Checked)
            self.auditor_filter.clear()

    def _show_ticked(self, *_args: object) -> None:
        names = [a.name for a in self.chosen_auditors()]
        self.ticked.setText(f"{len(names)} ticked: {', '.join(names)}" if names else "Nobody ticked yet.")

    def chosen_auditors(self) -> list[Auditor]:
        return [self.auditors.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.auditors.count())
                if self.auditors.item(i).checkState() == Qt.CheckState.Checked]

    def options(self) -> SampleOptions:
        where = tuple(parse_filter(part) for part in self.filters.text().split(";") if part.strip())
        stratify = self.stratify.currentData()
        return SampleOptions(seed=self.seed.value(),
                             per_team=self.per_team.value() if self.by_number.isChecked() else None,
                             percent=self.percent.value() if self.by_percent.isChecked() else None,
                             stratify=stratify, minimum_per_stratum=self.minimum.value() if stratify else 0,
                             where=where, exclude_audited_months=self.audited.value() or None,
                             exclude_in_programme=self.in_programme.isChecked(), today=date.today())

    # ---- drawing

    def _stale(self, *_args: object) -> None:
        """An option changed after the draw: what is shown is no longer what Create would make."""
        if self.proposal is not None:
            self.proposal = None
            self.create_button.setEnabled(False)
            self.summary.setPlainText("The options changed: press Draw sample again to see the sample they give.")

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
        self._count_loads()

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
