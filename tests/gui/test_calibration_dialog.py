"""The Calibration dialog with real keys and clicks, across two stores: the QA lead makes an exercise from a
completed audit and rates it, sends the pack; a rater on another laptop imports it, rates, sends the
judgements back; the lead imports them, sees the spread and the figures, and the panel agrees with notes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QFileDialog
from sqlalchemy import select

from qadesk.services import calibration as cal
from qadesk.services.demo import generate
from qadesk.services.profile import Profile, set_profile
from qadesk.store import open_store
from qadesk.store.models import Audit, CalibrationExercise, TemplateVersion
from qadesk.ui.calibration_dialog import CalibrationDialog
from qadesk.ui.context import AppContext

pytestmark = pytest.mark.gui


def _profile(store, name: str) -> None:
    with store.transaction() as s:
        set_profile(s, Profile(name=name, role="Team manager", organisation="Example Borough"))


def _choose(qtbot, box: QComboBox, label: str) -> None:
    """Pick a grade by typing the start of its label into the box, as a keyboard user does."""
    box.setFocus()
    qtbot.keyClicks(box, label)
    assert box.currentText().startswith(label), (box.objectName(), box.currentText())


def _grade(qtbot, dialog: CalibrationDialog, prefix: str, grades: dict[str, str]) -> None:
    boxes = dialog.rate_boxes if prefix == "rate" else dialog.agree_boxes
    for key, label in grades.items():
        _choose(qtbot, boxes.boxes[key], label)


def test_a_calibration_exercise_through_the_dialog_on_two_stores(store, tmp_path: Path, qtbot, monkeypatch) -> None:
    generate(store, audits=12, seed=3)
    _profile(store, "Quinn Lead")
    with store.session() as s:
        audit = s.execute(select(Audit).join(TemplateVersion).where(
            Audit.status.in_(["completed", "moderated"]),
            TemplateVersion.template_id == "regular-case-audit").order_by(Audit.reference)).scalars().first()
        audit_id, auditor = audit.id, audit.auditor_name
    lead = CalibrationDialog(AppContext(store, store.data_dir))
    lead.resize(1366, 768)
    lead.show()
    qtbot.waitExposed(lead)
    assert lead.exercises.rowCount() == 0 and not lead.rate_button.isEnabled()
    lead.audit.setCurrentIndex(lead.audit.findData(audit_id))
    qtbot.mouseClick(lead.create_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lead.exercises.rowCount() == 1 and lead.current is not None, timeout=10_000)
    ex_id = lead.current
    assert "made here" in lead.heading.text()
    assert auditor not in lead.copy_text.toPlainText()

    _grade(qtbot, lead, "rate", {"voice": "Requires", "planning": "Good", "overall": "Good"})
    qtbot.mouseClick(lead.rate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "recorded" in lead.status.text(), timeout=10_000)
    assert not lead.rate_button.isEnabled() and lead.exercises.item(0, 2).text() == "1"

    out = tmp_path / "for-raters.qapack"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), ""))
    qtbot.mouseClick(lead.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Written" in lead.status.text(), timeout=10_000)
    assert out.is_file()

    laptop = open_store(tmp_path / "laptop")
    try:
        _profile(laptop, "Robin Rater")
        rater = CalibrationDialog(AppContext(laptop, laptop.data_dir))
        rater.show()
        qtbot.waitExposed(rater)
        monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(out), ""))
        qtbot.mouseClick(rater.import_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "is here now" in rater.status.text(), timeout=10_000)
        assert rater.current == ex_id and "a copy from Example Borough" in rater.heading.text()
        assert not rater.agree_button.isEnabled()
        _grade(qtbot, rater, "rate", {"voice": "Inadequate", "planning": "Requires", "overall": "Requires"})
        qtbot.keyClick(rater.rate_button, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: "recorded" in rater.status.text(), timeout=10_000)
        back = tmp_path / "judgements.qapack"
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(back), ""))
        qtbot.mouseClick(rater.export_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: "Written" in rater.status.text(), timeout=10_000)
        assert back.is_file()
        rater.close()
    finally:
        laptop.close()

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(back), ""))
    qtbot.mouseClick(lead.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "ratings added: 1 (Robin Rater)" in lead.status.text(), timeout=10_000)
    # The same return again changes nothing; a file that is no pack is refused in the status line.
    qtbot.mouseClick(lead.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "imported before" in lead.status.text(), timeout=10_000)
    junk = tmp_path / "junk.qapack"
    junk.write_bytes(b"not a zip")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(junk), ""))
    qtbot.mouseClick(lead.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: lead.status.text().startswith("Please check: junk.qapack"), timeout=10_000)
    lead.tabs.setCurrentIndex(1)
    rows = {lead.spread.item(i, 0).text(): i for i in range(lead.spread.rowCount())}
    voice = rows["The child's voice and lived experience"]
    headers = [lead.spread.horizontalHeaderItem(j).text() for j in range(lead.spread.columnCount())]
    assert "Auditor" not in headers and "Range" in headers  # the auditor's grades only when asked for
    assert lead.show_auditor.isVisible() and not lead.show_auditor.isChecked()
    lead.show_auditor.setFocus()
    qtbot.keyClick(lead.show_auditor, Qt.Key.Key_Space)
    assert lead.show_auditor.isChecked()
    headers = [lead.spread.horizontalHeaderItem(j).text() for j in range(lead.spread.columnCount())]
    assert headers[-1] == "Auditor"
    assert lead.spread.item(voice, headers.index("Range")).text() == "1"
    assert "n = 3: too few to judge" in lead.coefficients.text()
    assert "Krippendorff's alpha (ordinal)" in lead.coefficients.text()
    assert lead.against.rowCount() == 0

    lead.tabs.setCurrentIndex(2)
    _grade(qtbot, lead, "agree", {"voice": "Requires", "planning": "Good", "overall": "Good"})
    lead.notes.setFocus()
    qtbot.keyClicks(lead.notes, "Voice: no direct work since the move; agreed Good overall.")
    lead.grab().save(str(tmp_path / "calibration-agree.png"))
    lead.grab().save("/tmp/calibration-agree.png")
    assert lead.agree_boxes.boxes["overall"].height() > 10  # laid out, though filled while its tab was hidden
    qtbot.mouseClick(lead.agree_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "closed" in lead.status.text(), timeout=10_000)
    assert lead.against.rowCount() == 2 and lead.against.item(0, 0).text() == "Quinn Lead"
    assert lead.against.item(0, 2).text() == "3"  # the lead's three grades are the agreed ones
    assert not lead.agree_button.isEnabled() and "Agreed by Quinn Lead" in lead.agreed_text.text()
    assert re.search(r"on \d{1,2} [A-Z][a-z]{2} \d{4};", lead.agreed_text.text())  # 2 Dec 2026, not ISO
    assert lead.agree_boxes.boxes["planning"].currentText() == "Good" and not lead.agree_boxes.boxes["planning"].isEnabled()
    with store.session() as s:
        ex = s.get(CalibrationExercise, ex_id)
        assert ex.status == "agreed" and ex.notes.startswith("Voice:")
        assert cal.verify_exercises(s) == []
    lead.tabs.setCurrentIndex(1)
    lead.grab().save(str(tmp_path / "calibration-result.png"))
    for tab in (0, 2):
        lead.tabs.setCurrentIndex(tab)
        lead.grab().save(str(tmp_path / f"calibration-{tab}.png"))
