"""Roles in the window: what a person may not do is greyed out with the reason as its tooltip, the profile
dialog sets the roles with its real check boxes, and a practitioner's form is read-only but for their
response (the services refuse the rest whatever the window does: tests/unit/test_permissions.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QPushButton

from qadesk.services import audits as svc
from qadesk.services.profile import Profile, get_profile, set_profile
from qadesk.store import open_store
from tests.conftest import FORMS
from tests.gui.shell_support import open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui

PRACTITIONER = "Ash Caseworker"


def _desk(folder: Path, roles: list[str] | None, name: str = "Robin Firstperson") -> str:
    """A laptop's store with the shipped templates, one draft of ``PRACTITIONER``'s work, and a profile."""
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import store_template

    store = open_store(folder)
    try:
        with store.transaction() as s:
            for path in sorted(FORMS.glob("*.json")):
                store_template(s, read_template(path), actor="test")
            a = svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref="CR-ROLES-1", practitioner=PRACTITIONER,
                                                                     team="Assessment 2"), svc.Actor("Sam Auditor"))
            set_profile(s, Profile(name=name, role="Team manager", roles=roles))
            return a.id
    finally:
        store.close()


def test_an_auditor_sees_the_qa_leads_buttons_greyed_out_with_the_reason(open_window, tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    _desk(folder, ["auditor"])
    w = open_window("--data-dir", str(folder))
    w.resize(1366, 768)
    settle(w)
    templates = w.show_screen("templates")
    settle(w)
    button = templates.buttons["import"]
    assert not button.isEnabled()
    assert "may not import templates" in button.toolTip() and "QA lead" in button.toolTip()
    assert not templates.acceptDrops()
    programmes = w.show_screen("programmes")
    settle(w)
    assert not programmes.new_button.isEnabled() and "plan programmes" in programmes.new_button.toolTip()
    cases = w.show_screen("cases")
    settle(w)
    assert not cases.import_button.isEnabled()
    moderation = w.show_screen("moderation")
    settle(w)
    assert not moderation.blind.isEnabled() and "moderation rules" in moderation.blind.toolTip()
    new_audit = w.findChild(QAction, "action.new_audit")
    assert new_audit.isEnabled()  # an auditor starts audits
    w.grab().save(str(tmp_path / "auditor-moderation.png"))


def test_the_profile_dialog_sets_the_roles_and_the_window_follows(open_window, qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    _desk(folder, None)  # one person's own desk: every role
    w = open_window("--data-dir", str(folder))
    settle(w)
    templates = w.show_screen("templates")
    settle(w)
    assert templates.buttons["import"].isEnabled()
    w.findChild(QAction, "action.profile").trigger()
    dialog = w.profile_dialog
    every = dialog.findChild(QCheckBox, "profile.roles.all")
    auditor = dialog.findChild(QCheckBox, "profile.roles.auditor")
    assert every.isChecked() and not auditor.isEnabled()
    qtbot.mouseClick(every, Qt.MouseButton.LeftButton)
    assert auditor.isEnabled()
    for name in ("auditor", "moderator"):  # by the keyboard, as a person tabbing through would
        box = dialog.findChild(QCheckBox, f"profile.roles.{name}")
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    dialog.resize(600, dialog.sizeHint().height())
    dialog.grab().save(str(tmp_path / "profile-roles.png"))
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    settle(w)
    qtbot.waitUntil(lambda: not templates.buttons["import"].isEnabled(), timeout=5000)
    with w.ctx.store.session() as s:
        assert get_profile(s).roles == ["auditor", "moderator"]


def test_nothing_ticked_is_refused_in_words(open_window, qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    _desk(folder, None)
    w = open_window("--data-dir", str(folder))
    settle(w)
    w.findChild(QAction, "action.profile").trigger()
    dialog = w.profile_dialog
    qtbot.mouseClick(dialog.findChild(QCheckBox, "profile.roles.all"), Qt.MouseButton.LeftButton)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.isVisible() and "Tick what you do" in dialog.problem.text()


def test_a_practitioner_reads_their_audit_and_types_only_their_response(open_window, qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "desk"
    audit_id = _desk(folder, ["practitioner"], name=PRACTITIONER)
    w = open_window("--data-dir", str(folder))
    w.resize(1366, 768)
    settle(w)
    form = w.open_audit(audit_id)
    assert form is not None and form.read_only
    assert "Read only for you" in form.header.saved.text()
    assert not form.header.submit.isVisible()
    form.show_page("summary")
    reflection = form.summary.fields["practitioner_reflection"]
    strengths = form.summary.fields["strengths"]
    assert strengths.isReadOnly() and not reflection.isReadOnly()
    reflection.setFocus()
    qtbot.keyClicks(reflection, "I will make sure the child is seen alone.")
    saved = form.wait_saved()
    assert saved, form.header.saved.text()
    settle(w)
    w.grab().save(str(tmp_path / "practitioner-form.png"))
    store = w.ctx.store
    with store.session() as s:
        assert svc.get_audit(s, audit_id).practitioner_reflection == "I will make sure the child is seen alone."
    submit = w.findChild(QPushButton, "audit.submit")
    assert submit is None or not submit.isVisible()
