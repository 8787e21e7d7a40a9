"""The audits list on a few hundred demo audits: lazy pages, SQL sort and filters, debounced search, Enter opens."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from qadesk.services.queries import Selection, count_audits, list_audits
from qadesk.ui.audits_model import COLUMNS, PAGE
from tests.gui.shell_support import DEMO_AUDITS, demo_dir_fixture, demo_master_fixture, open_window_fixture  # noqa: F401

pytestmark = pytest.mark.gui
COL = {key: i for i, (key, _) in enumerate(COLUMNS)}


@pytest.fixture
def audits(open_window, demo_dir: Path):
    w = open_window("--data-dir", str(demo_dir))
    w.show_screen("audits")
    return w, w.screens["audits"]


def test_the_list_fetches_a_page_at_a_time(audits) -> None:
    _w, view = audits
    model = view.model
    assert model.total == DEMO_AUDITS and model.rowCount() == PAGE
    assert view.count.text() == f"{DEMO_AUDITS} audits"
    assert model.canFetchMore()
    view.table.scrollToBottom()  # Qt asks for the next page as the user scrolls
    model.fetchMore()
    assert model.rowCount() == DEMO_AUDITS and not model.canFetchMore()
    assert len({r.id for r in model.rows}) == DEMO_AUDITS


def test_dates_and_grades_read_as_people_write_them(audits) -> None:
    _w, view = audits
    model = view.model
    started = model.index(0, COL["started_at"]).data()
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}", started)
    ri = [model.index(i, COL["grade"]) for i in range(model.rowCount()) if model.row_at(i).grade == "ri"
          and not model.row_at(i).moderated]
    # The list shows the short form (a laptop's column holds it whole); the label itself is beside it.
    assert ri and {i.data() for i in ri} == {"RI"}
    # (an agreed moderation adds "(the moderator agreed)" to the tooltip)
    assert all(i.data(Qt.ItemDataRole.ToolTipRole).startswith("Requires improvement to be good") for i in ri)
    assert {i.data(Qt.ItemDataRole.AccessibleTextRole) for i in ri} == {"Requires improvement to be good"}
    # The final grade: where a moderator changed the auditor's grade, the list says so.
    changed = [model.index(i, COL["grade"]) for i in range(model.rowCount()) if model.row_at(i).moderated]
    assert changed and all(i.data().endswith(" (mod.)") for i in changed)
    assert all(i.data(Qt.ItemDataRole.AccessibleTextRole).endswith(" (moderated)") for i in changed)
    assert all("Auditor's grade" in i.data(Qt.ItemDataRole.ToolTipRole) for i in changed)
    assert {model.index(i, COL["status"]).data() for i in range(model.rowCount())} <= {
        "Draft", "Completed", "Moderated", "Closed"}


def test_sorting_happens_in_sql(audits) -> None:
    w, view = audits
    view.table.sortByColumn(COL["reference"], Qt.SortOrder.AscendingOrder)
    with w.ctx.store.session() as s:
        expected = [r.reference for r in list_audits(s, sort="reference", descending=False, limit=5)]
    assert [view.model.row_at(i).reference for i in range(5)] == expected
    view.table.sortByColumn(COL["team"], Qt.SortOrder.DescendingOrder)
    teams = [view.model.row_at(i).team or "" for i in range(view.model.rowCount())]
    assert teams == sorted(teams, reverse=True)


def test_filters_narrow_the_list_and_clear_again(audits) -> None:
    w, view = audits
    view.status.setCurrentIndex(view.status.findData("completed"))
    with w.ctx.store.session() as s:
        completed = count_audits(s, Selection(statuses=["completed"]))
        team = list_audits(s, Selection(statuses=["completed"]), limit=1)[0].team
    assert view.model.total == completed < DEMO_AUDITS
    assert {r.status for r in view.model.rows} == {"completed"}
    view.team.setCurrentIndex(view.team.findData(team))
    assert {(r.status, r.team) for r in view.model.rows} == {("completed", team)}
    assert "match" in view.count.text()
    view.template.setCurrentIndex(view.template.findData("regular-case-audit"))
    view.case_type.setCurrentIndex(view.case_type.findData("CP"))
    assert all(r.template_id == "regular-case-audit" and r.case_type == "CP" for r in view.model.rows)
    view.clear_filters()
    assert view.model.total == DEMO_AUDITS


def test_search_waits_for_typing_to_pause(audits, qtbot) -> None:
    _w, view = audits
    target = next(r for r in view.model.rows if r.case_ref)
    qtbot.keyClicks(view.search, target.case_ref)
    assert view.model.total == DEMO_AUDITS  # not yet: one query per pause, not per key
    qtbot.waitUntil(lambda: view.model.total < DEMO_AUDITS, timeout=2000)
    assert view.model.rows and all(target.case_ref.lower() in (r.case_ref or "").lower() for r in view.model.rows)
    view.search.clear()
    qtbot.waitUntil(lambda: view.model.total == DEMO_AUDITS, timeout=2000)
    view.search.setText(target.reference)
    view.apply_filters()
    assert [r.id for r in view.model.rows] == [target.id]


def test_enter_opens_the_chosen_audit(audits, qtbot) -> None:
    w, view = audits
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(3, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert w.current_form().audit_id == view.model.row_at(3).id
    w.audit_tabs.setCurrentIndex(0)
    view.table.doubleClicked.emit(view.model.index(3, 2))
    assert w.audit_tabs.count() == 2  # the same audit again: focused, not opened twice


def test_ctrl_f_goes_to_the_search_box(audits) -> None:
    w, view = audits
    w.show_screen("home")
    w.focus_search()
    assert w.stack.currentWidget() is w.audit_tabs and w.audit_tabs.currentIndex() == 0


def test_the_important_columns_fit_a_1280_pixel_window(audits, qtbot, tmp_path) -> None:
    w, view = audits
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    header, width = view.table.horizontalHeader(), view.table.viewport().width()
    for key in ("reference", "status", "template", "case_ref", "team", "started_at", "completed_at", "grade"):
        right = header.sectionViewportPosition(COL[key]) + header.sectionSize(COL[key])
        assert right <= width, f"{key} ends at {right}, past the list's {width} px"
    fm = view.table.fontMetrics()
    assert header.sectionSize(COL["started_at"]) > fm.horizontalAdvance("30 Sep 2026")
    assert header.sectionSize(COL["team"]) > fm.horizontalAdvance("Assessment")  # elided, not squeezed away
    w.grab().save(str(tmp_path / "audits-1280.png"))


def test_sorting_by_grade_is_in_grade_order(audits) -> None:
    _w, view = audits
    view.table.sortByColumn(COL["grade"], Qt.SortOrder.AscendingOrder)
    model = view.model
    model.fetchMore()
    grades = [model.row_at(i).grade for i in range(model.rowCount())]
    order = {"outstanding": 0, "good": 1, "green": 1, "positive": 1, "ri": 2, "amber": 2, "mixed": 2,
             "inadequate": 3, "red": 3, "negative": 3}
    ranks = [order.get(g, 4) for g in grades]  # ungraded (and unscored) last
    assert ranks == sorted(ranks) and ranks[0] == 0 and ranks[-1] == 4
