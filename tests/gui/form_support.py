"""What the audit-form tests share: a made-up audit started in a real store, the form opened on it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from qadesk.services import audits
from qadesk.ui.context import AppContext
from qadesk.ui.date_input import DateBox
from qadesk.ui.form import AuditFormView


def start(store, template_id: str = "regular-case-audit", **extra: str) -> str:
    """Start an audit of a made-up case on ``template_id``; its id."""
    subject = audits.Subject(case_ref="MADEUP-0042", case_type="CIN", team="Made-up Team",
                             practitioner="Pat Example", extra=extra)
    with store.transaction() as s:
        return audits.start_audit(s, template_id, subject, audits.Actor("Test Auditor")).id


def stored(store, audit_id: str) -> audits.AuditState:
    """The audit as the store holds it now (not as the form believes it)."""
    with store.session() as s:
        return audits.state_of(audits.get_audit(s, audit_id))


def open_form(qtbot, store, data_dir: Path, audit_id: str, *, show: bool = False) -> AuditFormView:
    """The form on the audit, every page built; shown and active at 1200 x 800 when ``show``."""
    form = AuditFormView(AppContext(store, data_dir), audit_id)
    qtbot.addWidget(form)
    form.build_all()
    if show:
        form.resize(1200, 800)
        with qtbot.waitActive(form):
            form.show()
            form.activateWindow()
    return form


def widget(form: QWidget, name: str) -> QWidget:
    """The form's child with this object name (failing the test if there is none)."""
    w = form.findChild(QWidget, name)
    assert w is not None, name
    return w


def type_date(box: DateBox, text: str, leave: Qt.Key = Qt.Key.Key_Tab) -> None:
    """Focus the box, select what it shows, type over it and leave with ``leave``, as a person does."""
    box.edit.setFocus(Qt.FocusReason.TabFocusReason)
    QTest.keyClick(box.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(box.edit, Qt.Key.Key_Delete)
    QTest.keyClicks(box.edit, text)
    QTest.keyClick(box.edit, leave)


def submitted(form: AuditFormView) -> bool:
    """Submit as the form does (in the background, after the pending edits) and wait: True when completed."""
    form.submit()
    assert form.ctx.operations().wait(), "the submission did not finish"
    return form.status == "completed"


def reopened(form: AuditFormView, reason: str) -> bool:
    """Reopen with ``reason`` (in the background) and wait: True when the audit is a draft again."""
    form.reopen(reason)
    assert form.ctx.operations().wait(), "the reopening did not finish"
    return form.status == "draft"
