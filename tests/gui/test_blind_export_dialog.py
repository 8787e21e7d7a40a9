"""The pack export dialog's blind choice: shown for a moderation request, ticked as the store's setting says,
and what the pack then says."""

from __future__ import annotations

import json
import zipfile

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from qadesk.services import blind_moderation as bm
from qadesk.ui.context import AppContext
from qadesk.ui.export_dialogs import PackExportDialog
from qadesk.ui.reports_view import ReportsView
from tests.helpers.exports import make_audits

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot, loaded_store, messages_seen):
    make_audits(loaded_store, 2)
    w = ReportsView(AppContext(loaded_store, None))
    qtbot.addWidget(w)
    w.show()
    w.ops.wait()
    yield w
    w.ops.wait()


def _manifest(path):
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("manifest.json"))


def test_the_blind_choice_follows_the_setting_and_reaches_the_pack(view, qtbot, tmp_path):
    dialog = PackExportDialog(view.ctx, view.selection(), "moderation_request", parent=view)
    qtbot.addWidget(dialog)
    dialog.show()
    view.ops.wait()
    box = dialog.findChild(QCheckBox, "pack_export.blind")
    assert box.isVisible() and box.isChecked() and dialog.blind_choice is True
    view.make_pack(tmp_path / "blind.qapack", "moderation_request", external=False, blind=dialog.blind_choice)
    view.ops.wait()
    assert _manifest(tmp_path / "blind.qapack")["blind"] is True
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not box.isChecked() and dialog.blind_choice is False
    view.make_pack(tmp_path / "open.qapack", "moderation_request", external=False, blind=dialog.blind_choice)
    view.ops.wait()
    assert "blind" not in _manifest(tmp_path / "open.qapack")
    dialog.close()
    with view.ctx.store.transaction() as s:
        bm.set_blind_by_default(s, False, actor="Pat Lead")
    off = PackExportDialog(view.ctx, view.selection(), "moderation_request", parent=view)
    qtbot.addWidget(off)
    assert not off.findChild(QCheckBox, "pack_export.blind").isChecked()
    transfer = PackExportDialog(view.ctx, view.selection(), "audit_transfer", parent=view)
    qtbot.addWidget(transfer)
    transfer.show()
    view.ops.wait()
    assert not transfer.findChild(QCheckBox, "pack_export.blind").isVisible() and transfer.blind_choice is None
    off.close()
    transfer.close()
