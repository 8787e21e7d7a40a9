"""Starting an audit: choose the template, then say what is audited (a case, a supervision, a visit...)."""

from __future__ import annotations

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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from qadesk.core.audit import CASE_TYPE_LABELS, CASE_TYPES
from qadesk.core.errors import QadeskError
from qadesk.core.template import KIND_LABELS, KINDS
from qadesk.services import audits as svc
from qadesk.services.queries import distinct_values, programme_names
from qadesk.services.templates import list_templates
from qadesk.ui.context import AppContext
from qadesk.ui.operations import in_transaction
from qadesk.ui.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

CASE_KINDS = ("regular", "thematic", "multi_agency", "data_led")
TEMPLATE_ROLE = Qt.ItemDataRole.UserRole + 1

# For each kind: the subject rows shown, which are required, and how the practitioner row is labelled.
SUBJECT_ROWS = {
    **{k: (("case_ref", "case_type", "team", "practitioner"), ("case_ref",), "Allocated practitioner")
       for k in CASE_KINDS},
    "supervision": (("practitioner", "supervisor", "team"), ("practitioner", "supervisor"), "Practitioner supervised"),
    "observation": (("practitioner", "case_ref", "case_type", "team"), ("practitioner",), "Practitioner observed"),
    "family_feedback": (("case_ref", "respondent", "case_type", "team", "practitioner"), ("case_ref", "respondent"),
                        "Allocated practitioner"),
}
ROW_LABELS = {"case_ref": "Case reference", "case_type": "Case type", "team": "Team",
              "supervisor": "Supervisor", "respondent": "Who gave feedback"}


def _editable_combo(name: str, accessible: str, items: list[str]) -> QComboBox:
    c = QComboBox()
    c.setObjectName(name)
    c.setAccessibleName(accessible)
    c.setEditable(True)
    c.addItem("")
    c.addItems(items)
    c.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    line = c.lineEdit()  # there is one: the box is editable
    assert line is not None
    line.setMaxLength(200)
    return c


class NewAuditDialog(QDialog):
    """Choose a template and the subject; on OK the draft audit exists and ``audit_id`` names it."""

    def __init__(self, ctx: AppContext, settings: Settings, parent: QWidget | None = None, *,
                 programme: str | None = None, template_id: str | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.settings = settings
        self.audit_id: str | None = None
        self.starting = False  # the audit is being started in the background
        self.reference: str | None = None
        self.setObjectName("new_audit.dialog")
        self.setWindowTitle("New audit")
        with ctx.store.session() as s:
            templates = list_templates(s, include_retired=False, newest_only=True, with_counts=False)
            teams = distinct_values(s, "team")
            people = distinct_values(s, "practitioner")
            programmes = programme_names(s)

        self.templates = QTreeWidget()
        self.templates.setObjectName("new_audit.template")
        self.templates.setAccessibleName("Audit template")
        self.templates.setHeaderLabels(["Template", "Version"])
        self.templates.setRootIsDecorated(False)
        self.templates.setColumnWidth(0, 330)
        self.kinds: dict[str, str] = {}
        first: QTreeWidgetItem | None = None
        for kind in KINDS:
            group = [t for t in templates if t.kind == kind]
            if not group:
                continue
            head = QTreeWidgetItem([KIND_LABELS[kind]])
            head.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = head.font(0)
            font.setBold(True)
            head.setFont(0, font)
            self.templates.addTopLevelItem(head)
            for t in sorted(group, key=lambda x: x.title):
                title = t.title + (f" — {t.theme}" if t.theme and t.theme.lower() not in t.title.lower() else "")
                item = QTreeWidgetItem(head, [title, str(t.version)])
                item.setData(0, TEMPLATE_ROLE, t.id)
                item.setToolTip(0, f"{t.id}@{t.version}" + (f", published by {t.publisher}" if t.publisher else ""))
                self.kinds[t.id] = t.kind
                if first is None or t.id == template_id:
                    first = item
            head.setExpanded(True)

        case_ref, respondent = QLineEdit(), QLineEdit()
        self.fields: dict[str, QLineEdit | QComboBox] = {
            "case_ref": case_ref, "team": _editable_combo("new_audit.team", "Team", teams),
            "practitioner": _editable_combo("new_audit.practitioner", "Practitioner", people),
            "supervisor": _editable_combo("new_audit.supervisor", "Supervisor", people),
            "respondent": respondent,
        }
        case_type = QComboBox()
        case_type.addItem("Not recorded", None)
        for c in CASE_TYPES:
            case_type.addItem(f"{c} – {CASE_TYPE_LABELS[c]}", c)
        self.fields["case_type"] = case_type
        for key in ("case_ref", "respondent", "case_type"):
            w = self.fields[key]
            w.setObjectName(f"new_audit.{key}")
            w.setAccessibleName(ROW_LABELS[key])
        case_ref.setPlaceholderText("the reference in the case management system, e.g. CR-104233")
        case_ref.setMaxLength(100)
        respondent.setPlaceholderText("e.g. Mother, Young person (15), Foster carer")
        respondent.setMaxLength(200)
        self.programme = _editable_combo("new_audit.programme", "Programme (optional)", programmes)
        if programme:
            self.programme.setCurrentText(programme)

        self.form = QFormLayout()
        self.labels: dict[str, QLabel] = {}
        for key in ("case_ref", "case_type", "practitioner", "supervisor", "respondent", "team"):
            label = QLabel(ROW_LABELS.get(key, "Practitioner"))
            label.setBuddy(self.fields[key])
            self.labels[key] = label
            self.form.addRow(label, self.fields[key])
        self.form.addRow("Programme", self.programme)

        self.problem = QLabel()
        self.problem.setObjectName("new_audit.problem")
        self.problem.setProperty("role", "problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Start audit")
        self.ok.setObjectName("new_audit.start")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons

        body = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>1. Template</b>"))
        left.addWidget(self.templates, 1)
        right = QVBoxLayout()
        self.subject_title = QLabel("<b>2. What is audited</b>")
        right.addWidget(self.subject_title)
        right.addLayout(self.form)
        self.hint = hint = QLabel()  # worded for the kind chosen (_template_changed)
        hint.setObjectName("new_audit.hint")
        hint.setWordWrap(True)
        hint.setProperty("role", "hint")
        right.addWidget(hint)
        right.addStretch(1)
        body.addLayout(left, 5)
        body.addLayout(right, 4)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.resize(900, 480)
        settings.restore_geometry(self)

        self.templates.currentItemChanged.connect(self._template_changed)
        for w in self.fields.values():  # what was refused goes once the person puts it right
            if isinstance(w, QLineEdit):
                w.textChanged.connect(self.problem.hide)
            elif isinstance(w, QComboBox) and w.isEditable():
                w.editTextChanged.connect(self.problem.hide)
        if first is not None:
            self.templates.setCurrentItem(first)
        self.templates.setFocus()

    def template_id(self) -> str | None:
        item = self.templates.currentItem()
        return item.data(0, TEMPLATE_ROLE) if item else None

    def kind(self) -> str | None:
        tid = self.template_id()
        return self.kinds.get(tid) if tid else None

    def _template_changed(self, *_args: object) -> None:
        kind = self.kind()
        self.ok.setEnabled(kind is not None)
        if kind is None:
            return
        shown, required, practitioner_label = SUBJECT_ROWS[kind]
        for key, w in self.fields.items():
            self.form.setRowVisible(w, key in shown)
            text = practitioner_label if key == "practitioner" else ROW_LABELS.get(key, key)
            self.labels[key].setText(text + (" *" if key in required else ""))
            w.setAccessibleName(text + (" (required)" if key in required else ""))
        self.subject_title.setText(f"<b>2. {KIND_LABELS[kind]}: what is audited</b>")
        self.hint.setText("* needed to start. " + (
            "Use the case reference from the case management system, never the child's name."
            if "case_ref" in shown else "Never write a child's name here."))
        self.problem.hide()

    def _value(self, key: str) -> str | None:
        w = self.fields[key]
        if isinstance(w, QLineEdit):
            text = w.text()
        elif key == "case_type":
            return w.currentData()
        else:
            text = w.currentText()
        return text.strip() or None

    def subject(self) -> svc.Subject:
        kind = self.kind() or "regular"
        shown = SUBJECT_ROWS[kind][0]
        values = {k: self._value(k) if k in shown else None for k in self.fields}
        extra = {k: v for k in ("supervisor", "respondent") if (v := values[k])}
        return svc.Subject(case_ref=values["case_ref"], case_type=values["case_type"], team=values["team"],
                           practitioner=values["practitioner"], extra=extra)

    def accept(self) -> None:
        tid, kind = self.template_id(), self.kind()
        if tid is None or kind is None:
            return self._refuse("Choose a template first.")
        missing = [k for k in SUBJECT_ROWS[kind][1] if not self._value(k)]
        if missing:
            self.fields[missing[0]].setFocus()
            names = ", ".join(self.labels[k].text().rstrip(" *") for k in missing)
            return self._refuse(f"Please fill in: {names}.")
        profile = self.ctx.profile()
        actor = svc.Actor(name=self.ctx.actor(), role=profile.role if profile else None,
                          organisation=profile.organisation if profile else None)
        if self.starting:
            return None
        subject, programme = self.subject(), self.programme.currentText().strip() or None

        def work(s: Session) -> tuple[str, str]:
            audit = svc.start_audit(s, tid, subject, actor, programme=programme)
            return audit.id, audit.reference

        def started(result: tuple[str, str]) -> None:
            self.starting = False
            self.audit_id, self.reference = result
            self.settings.save_geometry(self)
            QDialog.accept(self)

        def refused(exc: QadeskError) -> None:
            self.starting = False
            self._refuse(str(exc))

        # Started in the background; the buttons wait, and the dialog closes once the audit exists.
        self.starting = True
        in_transaction(self.ctx.operations(), self.ctx.store, work, label="Starting the audit", parent=self,
                       done=started, refused=refused, busy=self.buttons.buttons())
        return None

    def reject(self) -> None:
        self.settings.save_geometry(self)
        super().reject()

    def _refuse(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.show()
