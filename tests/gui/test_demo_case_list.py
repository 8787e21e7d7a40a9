"""``qadesk --demo`` leaves last night's made-up case list in its folder, and the Case lists screen offers it:
one click opens the preview, which recognises it unasked, and Import brings every case in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from qadesk.services import cases as svc
from qadesk.services.demo_cases import case_list_name, write_demo_case_list
from qadesk.ui.cases_view import CasesView
from qadesk.ui.context import AppContext
from tests.gui.shell_support import open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui


def test_the_demo_offers_its_case_list_and_one_click_imports_it(open_window, qtbot, monkeypatch) -> None:
    import qadesk.ui.app as app

    monkeypatch.setattr(app, "DEMO_AUDITS", 40)
    w = open_window("--demo")
    w.resize(1366, 768)
    qtbot.waitUntil(lambda: w.demo_ready, timeout=60_000)
    view = w.show_screen("cases")
    settle(w)
    files = sorted(Path(w.ctx.data_dir).glob("case-list-*.csv"))
    assert len(files) == 1
    qtbot.waitUntil(lambda: view.demo_button.isVisible(), timeout=5000)
    assert str(files[0]) in view.demo_hint.text()
    with w.ctx.store.session() as s:
        audited = {c.case_ref for c in svc.list_cases(s)}
    assert audited  # the demo's own cases, before the list

    qtbot.mouseClick(view.demo_button, Qt.MouseButton.LeftButton)
    dialog = view.dialogs[-1]
    qtbot.waitUntil(lambda: dialog.reading is not None, timeout=10_000)
    assert "recognised by its headers" in dialog.layout_label.text()
    assert dialog.mapping is None and dialog.import_button.isEnabled()
    n = len(dialog.reading.cases)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    settle(w)
    with w.ctx.store.session() as s:
        listed = svc.list_cases(s)
    assert len(listed) == n and audited <= {c.case_ref for c in listed}
    assert all(c.worker for c in listed if c.case_ref in audited)
    qtbot.waitUntil(lambda: files[0].name in view.last_import.text(), timeout=5000)
    w.grab().save("/tmp/demo-case-list-imported.png")


def test_outside_a_demo_the_screen_offers_no_file(qtbot, store, data_dir, messages_seen) -> None:
    from qadesk.services.demo import generate

    generate(store, audits=10, seed=2)
    write_demo_case_list(store, data_dir / case_list_name(date.today()), seed=2)
    plain = CasesView(AppContext(store, data_dir))
    qtbot.addWidget(plain)
    plain.show()
    assert plain.ctx.operations().wait()
    assert not plain.demo_button.isVisible() and not plain.demo_hint.isVisible() and plain.demo_list is None
    demo = CasesView(AppContext(store, data_dir, demo=True))
    qtbot.addWidget(demo)
    demo.show()
    assert demo.ctx.operations().wait()
    qtbot.waitUntil(lambda: demo.demo_button.isVisible(), timeout=5000)
    assert demo.demo_list is not None and demo.demo_list.parent == data_dir
