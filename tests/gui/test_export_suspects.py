"""The export dialog of an external pack: what looks identifying is listed, masked one by one or all at once
with the keyboard, and an export with suspects left undecided asks first."""

from __future__ import annotations

import zipfile

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QPushButton, QTableWidget

from qadesk.services.queries import Selection
from qadesk.ui.context import AppContext
from qadesk.ui.export_dialogs import PackExportDialog
from qadesk.ui.reports_view import ReportsView
from tests.helpers import leaky
from tests.unit.test_external_leak import leaks

pytestmark = pytest.mark.gui


@pytest.fixture
def dialog(qtbot, loaded_store, messages_seen, tmp_path):
    leaky.plant(loaded_store)
    view = ReportsView(AppContext(loaded_store, None))
    qtbot.addWidget(view)
    view.ops.wait()
    d = PackExportDialog(view.ctx, Selection(), "moderation_request", parent=view)
    qtbot.addWidget(d)
    d.path.setText(str(tmp_path / "external.qapack"))
    d.show()
    assert not d.ok.isEnabled()  # not before the audits are checked
    view.ops.wait()
    qtbot.waitUntil(lambda: not d.loading, timeout=10_000)
    yield view, d
    view.ops.wait()


def _row(table: QTableWidget, text: str) -> int:
    return next(r for r in range(table.rowCount()) if table.item(r, 1).text() == text)


def test_suspects_are_listed_once_each_with_where_and_why(dialog, tmp_path):
    _view, d = dialog
    table = d.findChild(QTableWidget, "pack_export.suspects")
    texts = [table.item(r, 1).text() for r in range(table.rowCount())]
    assert len(texts) == len({t.casefold() for t in texts}) and "Tyler" in texts and "Jayden" not in texts
    r = _row(table, "Tyler")
    assert table.item(r, 0).text() == "Name" and "given name" in table.item(r, 0).toolTip()
    assert "«Tyler»" in table.item(r, 4).text() and table.item(r, 2).text() == "Not masked: decide"
    assert d.ok.isEnabled() and "to decide" in d.tabs.tabText(0)
    d.resize(880, 660)
    d.grab().save(str(tmp_path / "export-suspects.png"))


def _go_to(qtbot, table: QTableWidget, text: str) -> int:
    """Move to the row of ``text`` with the arrow keys, as an auditor would."""
    table.setFocus()
    QTest.keyClick(table, Qt.Key.Key_Home, Qt.KeyboardModifier.ControlModifier)
    r = _row(table, text)
    for _ in range(r):
        QTest.keyClick(table, Qt.Key.Key_Down)
    assert table.currentRow() == r
    return r


def _press(d: PackExportDialog, tabs: int) -> None:
    """Tab on from the table to a button and press it with the space bar."""
    for _ in range(tabs):
        QTest.keyClick(d.focusWidget(), Qt.Key.Key_Tab)
    QTest.keyClick(d.focusWidget(), Qt.Key.Key_Space)


def test_mask_and_not_identifying_by_keyboard_then_mask_all(dialog, qtbot, tmp_path):
    view, d = dialog
    table = d.findChild(QTableWidget, "pack_export.suspects")
    d.activateWindow()
    r = _go_to(qtbot, table, "Tyler")
    QTest.keyClick(table, Qt.Key.Key_Tab)
    assert d.focusWidget() is d.mask_button  # the table, then Mask, Not identifying, Mask all
    _press(d, 1)  # Not identifying
    assert table.item(r, 2).text() == "Sent as written (not identifying)"
    assert table.currentRow() != r and d.focusWidget() is table  # on to the next one to judge
    r = _go_to(qtbot, table, "Poppy")
    _press(d, 1)  # Mask
    assert table.item(r, 2).text() == "Masked as [name]"
    assert d.undecided() == table.rowCount() - 2
    _press(d, 3)  # Mask all
    assert d.undecided() == 0 and not d.findChild(QPushButton, "pack_export.mask_all").isEnabled()
    res = d.resolution()
    assert "tyler" in res.keep and "poppy" in res.mask and res.rest == "refuse"
    # Nothing left to decide: Export goes without asking.
    d.accepted.connect(lambda: view.make_pack(d.path.text() and tmp_path / "external.qapack",
                                              "moderation_request", external=True, selection=Selection(),
                                              resolution=d.resolution()))
    d.ok.click()
    assert d.question is None and d.result() == d.DialogCode.Accepted
    view.ops.wait()
    assert {secret for secret, _ in leaks(tmp_path / "external.qapack")} == {"Tyler"}


@pytest.mark.parametrize(("button", "rest"), [("pack_export.question.mask", "mask"),
                                              ("pack_export.question.keep", "keep")])
def test_export_with_undecided_suspects_asks_first(dialog, qtbot, button, rest):
    _view, d = dialog
    d.ok.click()
    question = d.question
    assert question is not None and question.isVisible() and d.isVisible()
    assert "look identifying and are not masked" in question.findChildren(type(d.note))[0].text()
    question.findChild(QPushButton, button).click()
    assert d.result() == d.DialogCode.Accepted and d.resolution().rest == rest


def test_going_back_from_the_question_leaves_the_dialog_open(dialog, qtbot, tmp_path):
    _view, d = dialog
    d.ok.click()
    QTest.keyClick(d.question, Qt.Key.Key_Escape)
    assert d.isVisible() and d.result() != d.DialogCode.Accepted and d.resolution().rest == "refuse"
    assert d.tabs.currentIndex() == 0 and not list(tmp_path.glob("*.qapack"))
    assert zipfile  # the pack is written only by the screen after Export
