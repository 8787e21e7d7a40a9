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

    # The list's flags that say yes lead the row's other columns; those that say no are in its tooltip only.
    qtbot.waitUntil(lambda: view.table.rowCount() > 0, timeout=5000)
    overdue = next(i for i, c in enumerate(view.rows) if c.fields.get("visits_overdue"))
    other = view.table.item(overdue, 5)
    assert "visits overdue" in other.text().split(";")[0].lower() and "yes" not in other.text()
    assert "visits overdue yes" in other.toolTip() and " no" in other.toolTip()


def test_a_sample_of_the_demo_list_says_why_each_case_was_chosen_and_when_the_due_date_is_past(
        open_window, qtbot, monkeypatch) -> None:
    import qadesk.ui.app as app

    monkeypatch.setattr(app, "DEMO_AUDITS", 40)
    w = open_window("--demo")
    w.resize(1366, 768)
    qtbot.waitUntil(lambda: w.demo_ready, timeout=60_000)
    path = sorted(Path(w.ctx.data_dir).glob("case-list-*.csv"))[0]
    with w.ctx.store.transaction() as s:
        svc.import_case_list(s, path, actor="Q. Lead")
    programmes = w.show_screen("programmes")
    settle(w)
    ended = next(i for i, p in enumerate(programmes.items) if p.ends_on and p.ends_on < date.today())
    programmes.table.selectRow(ended)
    settle(w)
    dialog = programmes.sample_and_allocate()
    qtbot.waitUntil(lambda: dialog.setup is not None, timeout=10_000)
    for name in [dialog.auditors.item(i).data(Qt.ItemDataRole.UserRole).name for i in range(3)]:
        dialog.auditor_filter.setFocus()
        qtbot.keyClicks(dialog.auditor_filter, name)
        qtbot.keyClick(dialog.auditor_filter, Qt.Key.Key_Return)
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.proposal is not None, timeout=10_000)
    assert "That day is past: choose a later one in Due by" in dialog.summary.toPlainText()
    assert dialog.why.text() == "Select a case to see in full why it was chosen."
    dialog.cases.setFocus()
    qtbot.keyClick(dialog.cases, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.cases, Qt.Key.Key_Down)
    row = dialog.cases.currentRow()
    chosen = dialog.proposal.case(dialog.cases.item(row, 0).text())
    assert dialog.why.text() == f"{chosen.case_ref}, chosen: {chosen.reason}"
    dialog.grab().save("/tmp/demo-sample.png")
    dialog.reject()


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
