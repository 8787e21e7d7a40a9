"""The options of Sample and allocate: how many per team, strata, filters, exclusions, the seed, the due
date and who audits (:class:`SampleOptionsPanel`, the left side of :class:`qadesk.ui.sample_dialog.SampleDialog`).

The panel turns what is chosen into :class:`~qadesk.core.sampling.SampleOptions` and a list of auditors; it
says ``changed`` whenever a choice that the drawn sample depends on changes.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.allocation import Auditor
from qadesk.core.sampling import SampleOptions, parse_filter
from qadesk.ui.date_input import DateBox

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
    target: int | None = None  # the programme's target per team: the number per team offered
    me: str = ""  # the profile's person, marked and offered first among the auditors


def _auditing(a: Auditor) -> bool:
    role = (a.role or "").lower()
    return any(w in role for w in AUDITING_WORDS)


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)
    return label


class SampleOptionsPanel(QWidget):
    """How the sample is drawn and who audits it; ``changed`` when any of it changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        options.addRow(_label("Stratif&y by", self.stratify), self.stratify)
        options.addRow(_label("Per st&ratum", self.minimum), self.minimum)
        options.addRow(_label("Only &where", self.filters), self.filters)
        options.addRow(self.columns_hint)
        options.addRow(_label("&Audited in the last", self.audited), self.audited)
        options.addRow(self.in_programme)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed)
        options.addRow(_label("&Seed", self.seed), seed_row)
        options.addRow(_label("D&ue by", self.due), self.due)
        options.addRow(_label("Aud&itors", self.auditor_filter), self.auditor_filter)
        left = QVBoxLayout(self)
        left.addLayout(options)
        left.addWidget(self.auditors, 1)
        left.addWidget(self.ticked)
        left.addWidget(self.not_own_team)
        left.addWidget(self.draw_button)
        self.setMaximumWidth(430)

        self.by_number.toggled.connect(self._size_mode)
        self.stratify.currentIndexChanged.connect(self._size_mode)
        self.new_seed.clicked.connect(lambda: self.seed.setValue(random.SystemRandom().randrange(1, 1_000_000)))
        self.auditor_filter.textChanged.connect(self._find_auditor)
        self.auditor_filter.returnPressed.connect(self._tick_found)
        for w in (self.per_team, self.percent, self.minimum, self.audited, self.seed):
            w.valueChanged.connect(self._changed)
        self.filters.textChanged.connect(self._changed)
        self.stratify.currentIndexChanged.connect(self._changed)
        self.in_programme.toggled.connect(self._changed)
        self.not_own_team.toggled.connect(self._changed)
        self.auditors.itemChanged.connect(self._changed)
        self.auditors.itemChanged.connect(self._show_ticked)
        self._size_mode()

    def set_up(self, setup: Setup) -> None:
        """Offer the list's columns, the programme's end as the due date and the people as auditors."""
        for col in setup.columns:
            if col != "case_type":
                self.stratify.addItem(col.replace("_", " ").capitalize(), col)
        others = [c for c in setup.columns if c != "case_type"]
        teams = f"the programme's {len(setup.teams)} teams" if setup.teams else "every team in the list"
        self.columns_hint.setText(f"{setup.cases:,} cases in the case list; sampling {teams}. Columns: "
                                  + (", ".join(["case_type", *others]) if setup.cases else "none (import a case list)"))
        if setup.ends_on:
            self.due.set_date(setup.ends_on)
        if setup.target:
            self.per_team.setValue(setup.target)
        me = setup.me.casefold()
        for a in sorted(setup.auditors, key=lambda a: (a.name.casefold() != me, not _auditing(a), a.name.casefold())):
            detail = ", ".join(x for x in (a.role, a.team) if x)
            name = f"{a.name} (you)" if me and a.name.casefold() == me else a.name
            item = QListWidgetItem(f"{name} — {detail}" if detail else name)
            item.setToolTip(item.text())
            item.setData(Qt.ItemDataRole.UserRole, a)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.auditors.addItem(item)

    def _changed(self, *_args: object) -> None:
        self.changed.emit()

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
