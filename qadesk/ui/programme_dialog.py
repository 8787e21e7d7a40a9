"""New programme: plan a round of audits (its template, teams, a target per team and its dates)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from qadesk.core.errors import QadeskError
from qadesk.services.programmes import ProgrammePlan, create_programme
from qadesk.services.queries import distinct_values
from qadesk.services.templates import list_templates
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.operations import in_transaction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


class ProgrammeDialog(QDialog):
    """A new programme: name, description, period, template, teams and a target per team."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("programme.dialog")
        self.setWindowTitle("New programme")
        with ctx.store.session() as s:
            templates = list_templates(s, include_retired=False, newest_only=True, with_counts=False)
            teams = distinct_values(s, "team")
        self.name = QLineEdit()
        self.name.setObjectName("programme.name")
        self.name.setAccessibleName("Programme name (required)")
        self.name.setPlaceholderText("e.g. Neglect thematic audit, Q1 2027")
        self.name.setMaxLength(200)
        self.description = QPlainTextEdit()
        self.description.setObjectName("programme.description")
        self.description.setAccessibleName("Description")
        self.description.setMaximumHeight(70)
        today = date.today()
        self.starts, self.ends = DateBox(empty_text="No start date"), DateBox(empty_text="No end date")
        self.starts.set_date(today.replace(day=1))
        self.ends.set_date(today.replace(day=28))
        for w, name in ((self.starts, "starts"), (self.ends, "ends")):
            w.setObjectName(f"programme.{name}")
            w.setAccessibleName("Starts on" if name == "starts" else "Ends on")
        self.template = QComboBox()
        self.template.setObjectName("programme.template")
        self.template.setAccessibleName("Template")
        self.template.addItem("Any template", None)
        for t in templates:
            self.template.addItem(t.title, t.id)
        self.teams = QListWidget()
        self.teams.setObjectName("programme.teams")
        self.teams.setAccessibleName("Teams taking part")
        self.teams.setMaximumHeight(140)
        for team in teams:
            self.add_team(team, checked=False)
        self.new_team = QLineEdit()
        self.new_team.setObjectName("programme.new_team")
        self.new_team.setAccessibleName("Add a team")
        self.new_team.setPlaceholderText("Another team, then Enter")
        self.new_team.returnPressed.connect(self._add_typed_team)
        self.target = QSpinBox()
        self.target.setObjectName("programme.target")
        self.target.setAccessibleName("Target audits per team (0 for none)")
        self.target.setRange(0, 10_000)
        self.target.setSpecialValueText("No target")
        self.target.setSuffix(" per team")
        self.problem = QLabel()
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        form = QFormLayout(self)
        form.addRow("&Name *", self.name)
        form.addRow("&Description", self.description)
        period = QHBoxLayout()
        period.addWidget(self.starts)
        period.addWidget(QLabel("to"))
        period.addWidget(self.ends)
        period.addStretch(1)
        period_label = QLabel("&Period")  # a row of three: the label needs its buddy
        period_label.setBuddy(self.starts)
        form.addRow(period_label, period)
        form.addRow("T&emplate", self.template)
        form.addRow("&Teams", self.teams)
        form.addRow("", self.new_team)
        form.addRow("T&arget", self.target)
        form.addRow(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create programme")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.buttons = buttons
        self.saving = False
        self.setMinimumWidth(520)

    def add_team(self, name: str, *, checked: bool) -> None:
        item = QListWidgetItem(name)
        item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        self.teams.addItem(item)

    def _add_typed_team(self) -> None:
        name = self.new_team.text().strip()
        if name and not self.teams.findItems(name, Qt.MatchFlag.MatchExactly):
            self.add_team(name, checked=True)
        self.new_team.clear()

    def plan(self) -> ProgrammePlan:
        teams = [self.teams.item(i).text() for i in range(self.teams.count())
                 if self.teams.item(i).checkState() == Qt.CheckState.Checked]
        return ProgrammePlan(name=self.name.text().strip(), description=self.description.toPlainText(),
                             starts_on=self.starts.date(), ends_on=self.ends.date(),
                             template_id=self.template.currentData(), teams=teams,
                             target_per_team=self.target.value() or None)

    def accept(self) -> None:
        for box in (self.starts, self.ends):
            if not box.commit():  # not a date: the reason is under the box
                box.setFocus()
                return
        if self.saving:
            return
        plan, actor = self.plan(), self.ctx.actor()

        def refused(exc: QadeskError) -> None:
            self.saving = False
            self.problem.setText(str(exc).capitalize())
            self.problem.show()

        def work(s: Session) -> None:
            create_programme(s, plan, actor=actor)

        # Written in the background; the buttons wait, and the dialog closes once it is in the store.
        self.saving = True
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Creating the programme", parent=self,
                       done=lambda _r: QDialog.accept(self), refused=refused, busy=self.buttons.buttons())
