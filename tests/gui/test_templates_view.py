"""The Templates screen: list, import report before storing, preview, compare, retire, export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from qadesk.exchange.template_json import read_template_json
from qadesk.services import templates as svc
from qadesk.ui.context import AppContext
from qadesk.ui.templates_view import TemplatesView
from tests.conftest import FORMS
from tests.helpers.workbooks import dozen_mistakes

pytestmark = pytest.mark.gui


@pytest.fixture
def view(qtbot, loaded_store, data_dir, messages_seen):  # type: ignore[no-untyped-def]
    v = TemplatesView(AppContext(loaded_store, data_dir))
    qtbot.addWidget(v)
    v.resize(1000, 600)
    v.show()
    assert v.ctx.operations().wait()  # the list is loaded in the background
    yield v
    for d in list(v.dialogs):
        d.close()


def _count(store) -> int:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return len(svc.list_templates(s))


def test_lists_installed_templates_by_kind(view: TemplatesView) -> None:
    assert view.tree.topLevelItemCount() == 7
    assert view.select("regular-case-audit")
    assert view.buttons["preview"].isEnabled()


def test_invalid_workbook_shows_every_located_error_and_stores_nothing(view, loaded_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, expected = dozen_mistakes(tmp_path / "mistakes.xlsx")
    before = _count(loaded_store)
    dialog = view.import_file(path)
    assert dialog.report.topLevelItemCount() == len(expected)
    wheres = {dialog.report.topLevelItem(i).text(0) for i in range(dialog.report.topLevelItemCount())}
    assert {w for w, _ in expected} <= wheres
    assert not dialog.import_button.isEnabled()
    assert "cannot be imported" in dialog.status.text()
    dialog.do_import()
    assert _count(loaded_store) == before


def test_valid_file_shows_a_summary_then_imports(view, loaded_store, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    data = read_template_json(FORMS / "regular-case-audit.json").to_dict()
    data["version"] = 7
    path = tmp_path / "v7.json"
    path.write_text(json.dumps(data))
    dialog = view.import_file(path)
    assert "Ready to import" in dialog.status.text() and "regular-case-audit@7" in dialog.status.text()
    assert _count(loaded_store) == 7  # nothing stored before the click
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    assert not dialog.import_button.isEnabled()  # stored in the background: Import waits
    assert view.ctx.operations().wait()
    assert _count(loaded_store) == 8
    assert view.selected() == ("regular-case-audit", 7, False)
    diff = view.compare_selected()
    assert diff.old.currentText() == "regular-case-audit@1" and diff.new.currentText() == "regular-case-audit@7"
    assert diff.tree.topLevelItemCount() == 0 and "same questions" in diff.summary.text()
    diff.close()


def test_changed_content_under_the_same_version_is_refused_in_the_report(view, tmp_path) -> None:  # type: ignore[no-untyped-def]
    data = read_template_json(FORMS / "regular-case-audit.json").to_dict()
    data["title"] = "Something else"
    path = tmp_path / "clash.json"
    path.write_text(json.dumps(data))
    dialog = view.import_file(path)
    assert not dialog.import_button.isEnabled()
    assert any("higher version" in p for p in dialog.problems)


def test_drop_a_file_opens_the_report(view, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, _ = dozen_mistakes(tmp_path / "dropped.xlsx")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    view.dropEvent(event)
    assert len(view.dialogs) == 1 and view.dialogs[0].path == path


def test_preview_retire_and_export(view, loaded_store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    view.select("family-feedback")
    preview = view.preview_selected()
    assert preview is not None and preview.preview.objectName() == "template.preview"
    preview.close()
    view.set_retired("family-feedback", True)
    assert view.ctx.operations().wait()  # written, then the list reloaded, in the background
    view.select("family-feedback")
    assert view.selected()[2] is True and view.buttons["retire"].text() == "&Restore"
    with loaded_store.session() as s:
        assert svc.get_row(s, "family-feedback").retired
    written = view.export_to(tmp_path / "ff.xlsx")
    assert written is not None and written.exists()
    assert Path(written).stat().st_size > 0
