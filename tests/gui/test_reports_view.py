"""The Reports screen driven offscreen: figures, charts, reports, packs and the import dialog."""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QComboBox, QPlainTextEdit, QPushButton, QTableWidget

from qadesk.services.packs import export_pack
from qadesk.services.queries import Selection
from qadesk.store import open_store
from qadesk.ui.context import AppContext
from qadesk.ui.export_dialogs import PackExportDialog
from qadesk.ui.reports_view import CUSTOM, ReportsView
from qadesk.ui.widgets import GRADE_COLOURS, OFSTED_ORDER
from tests.gui.painted import painted_text
from tests.helpers.exports import make_audits

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot, loaded_store, messages_seen):
    make_audits(loaded_store, 4)
    w = ReportsView(AppContext(loaded_store, None))
    qtbot.addWidget(w)
    w.resize(1100, 800)
    w.show()
    w.ops.wait()
    yield w
    w.ops.wait()


def test_figures_and_charts_follow_the_selection(view, qtbot, tmp_path):
    assert view.count.text() == "4 audits chosen"
    assert view.stats is not None and view.stats.completed == 4
    assert "Assessment 2" in view.chart_team.accessibleDescription()
    assert "Aug 2026" in view.chart_month.accessibleDescription()
    # Teams as rows with their whole names; the grades in the window's one palette (Home's too).
    assert view.chart_team.horizontal and "Assessment 2" in [p.text for p in painted_text(view.chart_team)]
    assert [c for _, _, c in view.chart_team.series] == [GRADE_COLOURS[g] for g in OFSTED_ORDER]
    team = view.findChild(QComboBox, "reports.team")
    team.setCurrentIndex(team.findData("Family Support"))
    qtbot.waitUntil(lambda: view.count.text() == "1 audit chosen", timeout=3000)
    view.ops.wait()
    assert list(view.stats.grades_by_team) == ["Family Support"]
    assert view.findChild(QCheckBox, "reports.use_audits_list") is not None
    period = view.findChild(QComboBox, "reports.period")
    assert period.currentText() == "Any time"
    assert not view.since.isEnabled() and not view.until.isEnabled()  # no dates to give for any time
    assert view.since.date() is None and view.since.edit.placeholderText() == "Any date"
    period.setCurrentIndex(period.findData("Last year"))
    assert not view.since.isEnabled() and view.since.date() == date(date.today().year - 1, 1, 1)
    period.setCurrentIndex(period.findData(CUSTOM))
    for box, typed in ((view.since, "1/9/2026"), (view.until, "30/9/26")):
        box.edit.setFocus()
        QTest.keyClick(box.edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClicks(box.edit, typed)
        QTest.keyClick(box.edit, Qt.Key.Key_Return)
    sel = view.selection()
    assert (sel.since, sel.until, sel.teams) == (date(2026, 9, 1), date(2026, 9, 30), ["Family Support"])
    assert view.since.isEnabled()
    view.grab().save(str(tmp_path / "reports.png"))


def test_reports_and_return_are_written(view, tmp_path):
    view.make_report(tmp_path / "summary.pdf")
    view.ops.wait()
    view.make_report(tmp_path / "return.xlsx")
    view.ops.wait()
    assert (tmp_path / "summary.pdf").read_bytes().startswith(b"%PDF")
    assert zipfile.is_zipfile(tmp_path / "return.xlsx")
    assert "Written" in view.last_result
    view.make_audit_reports(tmp_path / "audits.pdf")
    view.ops.wait()
    assert (tmp_path / "audits.pdf").read_bytes().startswith(b"%PDF")


def test_export_dialog_previews_pseudonymisation(view, qtbot):
    dialog = PackExportDialog(view.ctx, view.selection(), "moderation_request", 4, view)
    qtbot.addWidget(dialog)
    view.ops.wait()  # the preview is made in the background
    preview = dialog.findChild(QTableWidget, "pack_export.preview")
    assert dialog.pseudonymised and preview.rowCount() > 0
    originals = {preview.item(r, 2).text() for r in range(preview.rowCount())}
    assert "CR-900000" in originals and "Alex Fictional" in originals
    masked = {preview.item(r, 3).text() for r in range(preview.rowCount())}
    assert "CASE-0001" in masked
    dialog.findChild(QCheckBox, "pack_export.identifiable").setChecked(True)
    assert not dialog.pseudonymised and dialog.tabs.isHidden()
    dialog.findChild(QCheckBox, "pack_export.external").setChecked(False)
    assert not dialog.findChild(QCheckBox, "pack_export.identifiable").isEnabled()


def test_pack_export_then_import_shows_the_result(view, qtbot, tmp_path):
    view.make_pack(tmp_path / "out.qapack", "audit_transfer")
    view.ops.wait()
    assert view.last_result.audits == 4
    other = open_store(tmp_path / "other")
    try:
        w = ReportsView(AppContext(other, None))
        qtbot.addWidget(w)
        w.ops.wait()
        assert w.count.text() == "0 audits chosen"
        assert not w.findChild(QPushButton, "reports.make.summary_pdf").isEnabled()
        w.import_file(tmp_path / "out.qapack")
        w.ops.wait()
        assert len(w.last_result.created) == 4
        summary = w.import_dialog.findChild(QPlainTextEdit, "pack_import.summary")
        assert summary is not None and "new audits: 4" in summary.toPlainText()
        w.ops.wait()
        assert w.count.text() == "4 audits chosen"
        w.import_dialog.close()
    finally:
        other.close()


def test_import_with_conflicts_lists_them(view, qtbot, tmp_path):
    from qadesk.services import audits as svc
    from qadesk.services.queries import audit_ids as _ids

    with view.ctx.store.transaction() as s:
        shared = svc.add_action(s, _ids(s)[0], "Ring the school", actor="test").id
    first = tmp_path / "first.qapack"
    export_pack(view.ctx.store, first, selection=Selection())
    other = open_store(tmp_path / "other")
    try:
        from qadesk.services.packs import import_pack
        from qadesk.services.queries import audit_ids

        import_pack(other, first)
        with other.session() as s:
            target = audit_ids(s)[0]
        for store, text in ((other, "Theirs: ring the school today"), (view.ctx.store, "Ours: ring the head")):
            with store.transaction() as s:
                svc.add_action(s, target, f"Edited on this side: {text}", actor="test")  # merges: both kept
                svc.update_action(s, shared, actor="test", text=text)  # the same field: a conflict
        back = tmp_path / "back.qapack"
        export_pack(other, back, selection=Selection())
    finally:
        other.close()
    view.import_file(back)
    view.ops.wait()
    table = view.import_dialog.findChild(QTableWidget, "pack_import.conflicts")
    assert table.rowCount() == 1 and "1 field changed differently" in table.item(0, 1).text()
    view.import_dialog.grab().save(str(Path(tmp_path) / "conflicts.png"))
    qtbot.mouseClick(view.import_dialog.resolve_button, Qt.MouseButton.LeftButton)
    dialog = view.conflicts_dialog
    qtbot.waitExposed(dialog)
    assert dialog.list.count() == 1 and dialog.mine.toPlainText() == "Ours: ring the head"
    assert dialog.theirs.toPlainText() == "Theirs: ring the school today" and "a pack" in dialog.current()["from"]
    qtbot.mouseClick(dialog.take_theirs, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=10_000)
    with view.ctx.store.session() as s:
        doc = svc.audit_document(svc.get_audit(s, target))
    assert next(a for a in doc["actions"] if a["id"] == shared)["text"] == "Theirs: ring the school today"
    assert sum(a["text"].startswith("Edited on this side") for a in doc["actions"]) == 2
    dialog.close()


def test_a_refused_pack_is_reported_not_crashed(view, tmp_path, messages_seen):
    bad = tmp_path / "bad.qapack"
    bad.write_bytes(b"not a zip at all")
    messages_seen.clear()
    view.import_file(bad)
    view.ops.wait()
    assert any("zip" in m.text for m in messages_seen)
