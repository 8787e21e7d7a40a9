"""The Case lists screen: a preview before anything is stored, the refused rows, a mapping chosen with
the keyboard and remembered, the cases by team; looked at at 1366x768."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from qadesk.services import cases as svc
from qadesk.ui.case_import_dialog import NOT_STORED
from qadesk.ui.cases_view import CasesView
from qadesk.ui.context import AppContext
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401
from tests.helpers.case_lists import HEADER, case_rows, spoilt_list, write_csv

pytestmark = pytest.mark.gui
SHOTS = Path("/tmp")


@pytest.fixture
def view(qtbot, store, data_dir, messages_seen):  # type: ignore[no-untyped-def]
    v = CasesView(AppContext(store, data_dir))
    qtbot.addWidget(v)
    v.resize(1366, 768)
    v.show()
    assert v.ctx.operations().wait()
    yield v
    for d in list(v.dialogs):
        d.close()


def _wait(view) -> None:  # type: ignore[no-untyped-def]
    assert view.ctx.operations().wait(30_000)


def _cases(store) -> list:  # type: ignore[no-untyped-def]
    with store.session() as s:
        return svc.list_cases(s)


def test_a_list_with_bad_rows_shows_each_row_and_cannot_be_imported(view, store, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    rows, bad = spoilt_list(400)
    dialog = view.import_file(write_csv(tmp_path / "cases.csv", rows))
    _wait(view)
    assert "Case list" in dialog.layout_label.text() and "recognised by its headers" in dialog.layout_label.text()
    listed = [dialog.problems.item(i).text() for i in range(dialog.problems.count())]
    assert [int(t.split(":")[0].split()[1]) for t in listed] == sorted(bad)
    assert f"{len(bad)} rows cannot be imported" in dialog.status.text()
    assert not dialog.import_button.isEnabled()
    qtbot.keyClick(dialog.problems, Qt.Key.Key_Return)  # Enter does not import either
    _wait(view)
    assert _cases(store) == []
    dialog.grab().save(str(SHOTS / "case-import-refused.png"))


def test_a_recognised_list_previews_then_imports_and_the_list_filters_by_team(view, store, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    header = (*HEADER, "Child's name")
    rows = [[*r, f"Made-up Child {i}"] for i, r in enumerate(case_rows(120))]
    dialog = view.import_file(write_csv(tmp_path / "cases.csv", rows, header=header))
    _wait(view)
    roles = {dialog.columns_table.item(r, 1).text(): dialog.columns_table.cellWidget(r, 2)
             for r in range(dialog.columns_table.rowCount())}
    assert roles["Case ref"].currentData() == "case_ref" and roles["Team"].currentData() == "team"
    assert roles["Date of referral"].currentData() == "field"
    assert roles["Child's name"] is None  # no drop-down: never stored
    name_col = [dialog.preview.horizontalHeaderItem(c).text() for c in range(dialog.preview.columnCount())].index(
        "Child's name")
    assert dialog.preview.item(0, name_col).text() == NOT_STORED
    assert "is a name: left out, never stored" in dialog.warnings.text()
    assert "120 cases can be imported" in dialog.status.text()
    dialog.grab().save(str(SHOTS / "case-import-preview.png"))
    assert dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    _wait(view)
    assert len(_cases(store)) == 120 and not dialog.isVisible()
    _wait(view)
    assert view.count.text() == "120 cases" and view.table.rowCount() == 120
    assert "Last import: <b>cases.csv</b>" in view.last_import.text()
    team = rows[0][2]
    view.team.setFocus()
    for _ in range(view.team.count()):  # down through the teams to the first row's
        if view.team.currentData() == team:
            break
        qtbot.keyClick(view.team, Qt.Key.Key_Down)
    _wait(view)
    assert view.team.currentData() == team
    assert {view.table.item(r, 2).text() for r in range(view.table.rowCount())} == {team}
    view.search.setFocus()
    qtbot.keyClicks(view.search, rows[0][0])
    qtbot.waitUntil(lambda: view.table.rowCount() == 1 and view.table.item(0, 0).text() == rows[0][0], timeout=5000)
    view.grab().save(str(SHOTS / "case-lists.png"))


def test_columns_not_recognised_are_chosen_with_the_keyboard_and_remembered(view, store, tmp_path, qtbot) -> None:  # type: ignore[no-untyped-def]
    header = ("Person ID", "Service", "Owner", "Key worker", "Opened")
    rows = [["P-1", "Children in Care West", "Team W", "Q. Worker", "01/09/2026"],
            ["P-2", "Children in Care West", "Team W", "", "02/09/2026"]]
    path = write_csv(tmp_path / "export.csv", rows, header=header)
    dialog = view.import_file(path)
    _wait(view)
    assert not dialog.import_button.isEnabled()

    def choose(column: int, words: str) -> None:
        combo = dialog.columns_table.cellWidget(column, 2)
        assert isinstance(combo, QComboBox)
        combo.setFocus()
        qtbot.keyClicks(combo, words)
        _wait(view)

    # Key worker is recognised as the worker; the team and the case type are not.
    assert dialog.columns_table.cellWidget(3, 2).currentData() == "worker"
    choose(2, "Team")
    choose(1, "Leave")
    dialog.case_type.setFocus()
    qtbot.keyClicks(dialog.case_type, "CLA")
    _wait(view)
    assert dialog.case_type.currentData() == "CLA"
    assert "Name this mapping" in dialog.status.text() and not dialog.import_button.isEnabled()
    dialog.save_as.setFocus()
    qtbot.keyClicks(dialog.save_as, "Weekly export")
    assert dialog.import_button.isEnabled() and "2 cases can be imported" in dialog.status.text()
    qtbot.keyClick(dialog.save_as, Qt.Key.Key_Return)  # Enter imports
    _wait(view)
    assert [(c.case_ref, c.case_type, c.team, c.worker) for c in _cases(store)] == [
        ("P-1", "CLA", "Team W", "Q. Worker"), ("P-2", "CLA", "Team W", None)]
    with store.session() as s:
        (saved,) = svc.list_mappings(s)
    assert saved.name == "Weekly export" and saved.mapping.columns["owner"] == "team"
    again = view.import_file(path)  # the next file from the same source is read the same way, unasked
    _wait(view)
    assert "Mapping 'Weekly export'" in again.layout_label.text()
    assert again.import_button.isEnabled()


def test_the_screen_in_the_window_and_the_file_menu(open_window, demo_dir, qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1366, 768)
    settle(w)
    screen = w.show_screen("cases")
    settle(w)
    assert w.nav.currentItem().text() == "Case lists"
    assert w.findChild(type(w.menuBar().actions()[0]), "action.import_case_list") is not None
    dialog = screen.import_file(write_csv(tmp_path / "cases.csv", case_rows(40)))
    settle(w)
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    settle(w)
    qtbot.waitUntil(lambda: "Last import" in screen.last_import.text(), timeout=5000)
    settle(w)
    w.grab().save(str(SHOTS / "case-lists-window.png"))
    with w.ctx.store.session() as s:
        assert len({c.case_ref for c in svc.list_cases(s)} & {r[0] for r in case_rows(40)}) == 40


def test_reports_show_the_performance_data_beside_the_grades(qtbot, loaded_store, data_dir, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qadesk.services import indicators
    from qadesk.ui.reports_view import ReportsView

    path = tmp_path / "kpis.csv"
    path.write_text("Indicator,Team,Month,Value,Target\nVisits within timescale,Assessment 1,Nov 2026,82%,90\n",
                    encoding="utf-8")
    with loaded_store.transaction() as s:
        indicators.import_indicators(s, path, actor="QA Lead")
    reports = ReportsView(AppContext(loaded_store, data_dir))
    qtbot.addWidget(reports)
    reports.resize(1366, 768)
    reports.show()
    assert reports.ctx.operations().wait()
    assert reports.indicators.isVisible() and reports.indicators.rowCount() == 1
    assert [reports.indicators.item(0, c).text() for c in range(5)] == [
        "Assessment 1", "Visits within timescale", "Nov 2026", "82%", "90% (not met)"]
