"""At 1366×768, the commonest council laptop: the window fits the screen, and the lists read whole.

Also the Actions screen's urgent column and its "are you sure?" for a due date in the past, the
column chooser, and the moderation pack dialog (completed audits only; several statuses at once).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QMargins, QModelIndex, QRect, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QAbstractItemView, QApplication, QMenu, QStyle, QStyleOptionViewItem

from qadesk.core.dates import british_date
from qadesk.services import audits as svc
from qadesk.services.queries import Selection, count_audits, list_audits
from qadesk.store.models import ActionItem
from qadesk.ui.actions_view import COLUMNS as COLUMNS_OF_ACTIONS
from qadesk.ui.audits_model import COLUMNS
from qadesk.ui.screen_fit import fit_rect
from tests.gui.form_support import type_date
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui
ROOT = Path(__file__).resolve().parents[2]
LAPTOP = QRect(0, 0, 1366, 768)
WINDOW_AT_LAPTOP = (1280, 764)  # what the window takes on a 1366x768 screen (checked in a subprocess below)


# ---- the window inside the screen ------------------------------------------------------------


def test_fit_rect_keeps_a_window_inside_the_available_area() -> None:
    task_bar = QRect(0, 0, 1366, 728)  # a 40-pixel task bar at the bottom
    # Remembered on a 1920x1080 monitor at the office, on its right half: shrunk and moved back.
    assert fit_rect(QRect(1000, 100, 1900, 1000), task_bar) == QRect(0, 0, 1366, 728)
    # The default size on the laptop: as wide as asked, no taller than the room left.
    assert fit_rect(QRect(40, 30, 1280, 800), task_bar) == QRect(40, 0, 1280, 728)
    framed = fit_rect(QRect(40, 30, 1280, 800), task_bar, frame=QMargins(4, 30, 4, 4))
    assert framed.top() == 30 and framed.bottom() + 4 <= task_bar.bottom() and framed.height() == 694
    # Already inside: left alone.
    assert fit_rect(QRect(100, 100, 800, 500), task_bar) == QRect(100, 100, 800, 500)
    # Off the left and top (a monitor that was unplugged): brought back.
    assert fit_rect(QRect(-900, -50, 800, 500), LAPTOP) == QRect(0, 0, 800, 500)


def test_the_window_opens_inside_the_offscreen_screen_even_after_a_bigger_one(open_window, demo_dir: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    settle(w)
    available = QApplication.primaryScreen().availableGeometry()  # 800x800 offscreen
    assert available.contains(w.frameGeometry()), (w.frameGeometry(), available)
    # On the office monitor the window was made big and put to the right; then it is closed there.
    w.setGeometry(1200, 300, 1900, 1000)
    w.close()
    again = open_window("--data-dir", str(demo_dir))
    settle(again)
    assert available.contains(again.frameGeometry()), (again.frameGeometry(), available)
    assert again.frameGeometry().width() >= available.width() - 8  # shrunk to the screen, not to nothing


SCRIPT = r"""
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
from qadesk.ui.app import create_window
w = create_window(["--data-dir", sys.argv[1]])
app.processEvents()
s = app.primaryScreen().availableGeometry()
f, g = w.frameGeometry(), w.geometry()
print(json.dumps({"screen": [s.x(), s.y(), s.width(), s.height()], "frame": [f.x(), f.y(), f.width(), f.height()],
                  "window": [g.width(), g.height()]}))
w.ops.cancel_all(); w.ops.wait(); w.close()
"""


def test_on_a_1366_by_768_screen_the_window_opens_inside_it(demo_dir: Path, tmp_path: Path) -> None:
    screen = tmp_path / "laptop.json"
    screen.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768,
                                               "logicalDpi": 96, "dpr": 1}]}), encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM=f"offscreen:configfile={screen}", QADESK_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_dir)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    got = json.loads(proc.stdout.strip().splitlines()[-1])
    assert got["screen"] == [0, 0, 1366, 768]  # the offscreen plugin really gave a laptop screen
    x, y, fw, fh = got["frame"]
    assert x >= 0 and y >= 0 and x + fw <= 1366 and y + fh <= 768, got
    assert tuple(got["window"]) == WINDOW_AT_LAPTOP


# ---- the lists read whole -------------------------------------------------------------------


def _elided(view: QAbstractItemView, index: QModelIndex) -> bool:
    """Whether the cell's text is cut short, the way Qt's style lays out an item (icon, margins)."""
    opt = QStyleOptionViewItem()
    view.initViewItemOption(opt)
    opt.rect = view.visualRect(index)
    view.itemDelegateForIndex(index).initStyleOption(opt, index)
    text_rect = view.style().subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, view)
    margin = view.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, view) + 1
    return QFontMetrics(opt.font).horizontalAdvance(opt.text) > text_rect.width() - 2 * margin


def _cut_short(view: QAbstractItemView, columns: list[str], rows: int = 40) -> list[str]:
    model = view.model()
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    out = []
    for name in columns:
        col = titles.index(name)
        assert not view.isColumnHidden(col), f"{name} is not shown"
        for row in range(min(rows, model.rowCount())):
            index = model.index(row, col)
            if index.data() and _elided(view, index):
                out.append(f"{name}: {index.data()!r} in {view.columnWidth(col)} px")
    return out


def _at_laptop_size(open_window, demo_dir: Path):
    w = open_window("--data-dir", str(demo_dir))
    w.resize(*WINDOW_AT_LAPTOP)
    settle(w)
    return w


def test_audits_moderation_and_actions_read_whole_at_1366_by_768(open_window, demo_dir: Path, tmp_path: Path) -> None:
    w = _at_laptop_size(open_window, demo_dir)
    audits = w.show_screen("audits")
    QApplication.processEvents()
    table = audits.table
    assert _cut_short(table, ["Team", "Auditor", "Grade", "Status", "Reference", "Started"]) == []
    grades = {table.model().index(r, 10).data() for r in range(table.model().rowCount())}
    assert "RI" in grades and not any(g and g.startswith("Requires") for g in grades)
    ri = next(r for r in range(table.model().rowCount()) if table.model().index(r, 10).data() == "RI")
    full = table.model().index(ri, 10)
    assert full.data(Qt.ItemDataRole.ToolTipRole) == "Requires improvement to be good"
    assert full.data(Qt.ItemDataRole.AccessibleTextRole) == "Requires improvement to be good"
    w.grab().save(str(tmp_path / "audits.png"))

    moderation = w.show_screen("moderation")
    settle(w)
    QApplication.processEvents()
    # Blind moderation (the default): the waiting list does not show the auditor's grade. Beside the evidence
    # and the judgements the list leaves the team to the panel's heading (right-click the header to add it).
    assert _cut_short(moderation.waiting, ["Auditor", "Completed", "Reference"]) == []
    assert moderation.waiting.isColumnHidden(next(i for i, (k, _) in enumerate(COLUMNS) if k == "grade"))
    w.grab().save(str(tmp_path / "moderation.png"))
    moderation.blind.click()  # the QA lead turns it off: the grade is shown, whole
    settle(w)
    QApplication.processEvents()
    assert _cut_short(moderation.waiting, ["Grade", "Completed", "Reference"]) == []  # a long name may shorten
    moderation.tabs.setCurrentIndex(1)
    QApplication.processEvents()
    assert _cut_short(moderation.past, ["Auditor's grade", "Moderated grade", "Kind", "Date"]) == []

    actions = w.show_screen("actions")
    settle(w)
    QApplication.processEvents()
    assert _cut_short(actions.table, ["Urgent", "Due", "Owner", "Audit"]) == []
    # The action itself has the room; who was told may elide (its tooltip says who, and when).
    fm = actions.table.fontMetrics()
    assert actions.table.columnWidth(COLUMNS_OF_ACTIONS.index("Action")) >= fm.averageCharWidth() * 30
    w.grab().save(str(tmp_path / "actions.png"))


def test_a_moderated_outstanding_or_inadequate_reads_whole_in_the_audits_list_at_1366_by_768(open_window,
                                                                                           demo_dir: Path) -> None:
    # "Good (mod.)" fitted, "Inadequate (mod.)" and "Outstanding (mod.)" came out as "Inadequat…".
    w = open_window("--data-dir", str(demo_dir))
    with w.ctx.store.transaction() as s:
        newest = list_audits(s, Selection(statuses=["completed"]), limit=2)
        for row, grade in zip(newest, ("outstanding", "inadequate"), strict=True):
            svc.moderate(s, row.id, moderator=svc.Actor("Mo Derator", organisation="Example Council"),
                         agreed=False, grade=grade if row.grade != grade else "good",
                         rationale="A second view of the evidence on file.")
    w.close()
    w = _at_laptop_size(open_window, demo_dir)
    table = w.show_screen("audits").table
    QApplication.processEvents()
    grades = {table.model().index(r, 10).data() for r in range(min(40, table.model().rowCount()))}
    assert {"Outstanding (mod.)", "Inadequate (mod.)"} <= grades, grades
    assert _cut_short(table, ["Grade", "Team", "Auditor", "Status", "Reference", "Started"]) == []


def test_the_column_chooser_shows_a_column_from_the_keyboard_and_remembers_it(open_window, demo_dir: Path,
                                                                             qtbot) -> None:
    w = _at_laptop_size(open_window, demo_dir)
    view = w.show_screen("audits")
    practitioner = [k for k, _ in COLUMNS].index("practitioner")
    assert view.table.isColumnHidden(practitioner)  # hidden by default: the rest read whole on a laptop
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Menu)  # the menu key, as a keyboard user opens a context menu
    menu = view.columns.menu
    assert isinstance(menu, QMenu) and menu.isVisible()
    titles = [a.text() for a in menu.actions()]
    # The row's own actions come first (open it, its history), then the columns.
    assert titles[:2] == ["&Open", "&History…"] and menu.actions()[2].isSeparator()
    reference = menu.actions()[3]
    assert reference.text() == "Reference" and not reference.isEnabled()  # the reference always stays
    for _ in range(len(titles)):  # down the menu, as a keyboard user goes, to the practitioner's column
        if menu.activeAction() is not None and menu.activeAction().text() == "Practitioner":
            break
        qtbot.keyClick(menu, Qt.Key.Key_Down)
    assert menu.activeAction().text() == "Practitioner"
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    assert not view.table.isColumnHidden(practitioner)
    w.close()
    again = open_window("--data-dir", str(demo_dir))
    assert not again.show_screen("audits").table.isColumnHidden(practitioner)  # remembered in the settings


# ---- Actions: urgent first, who was told, "are you sure?" --------------------------------------


def test_actions_show_urgent_first_with_who_was_told(open_window, demo_dir: Path) -> None:
    told_at = datetime(2026, 11, 20, 15, 45, tzinfo=timezone.utc)
    w = open_window("--data-dir", str(demo_dir))
    with w.ctx.store.transaction() as s:
        completed = list_audits(s, Selection(statuses=["completed"]), limit=1)[0]
        svc.add_action(s, completed.id, "Strategy discussion with the police", actor="test", owner="D. Lead",
                       due=date(2020, 1, 2), urgent=True, told_whom="E. Duty Manager", told_at=told_at)
    view = w.show_screen("actions")
    settle(w)
    header = [view.table.horizontalHeaderItem(c).text() for c in range(view.table.columnCount())]
    assert header[0] == "Urgent" and "Who was told" in header
    urgent = [r.urgent for r in view.rows]
    assert urgent == sorted(urgent, reverse=True) and urgent[0] and not urgent[-1]  # urgent first
    for flag in (True, False):
        dues = [r.due for r in view.rows if r.urgent is flag and r.due]
        assert dues == sorted(dues)  # then by due date
    row = next(i for i, r in enumerate(view.rows) if r.text == "Strategy discussion with the police")
    assert row == 0  # the most overdue urgent action heads the list
    marker = view.table.item(row, 0)
    assert "Urgent" in marker.text() and marker.data(Qt.ItemDataRole.AccessibleTextRole) == "Urgent"
    told = view.table.item(row, header.index("Who was told"))
    assert told.text() == "E. Duty Manager"
    assert told.toolTip().startswith("Told E. Duty Manager on ")
    assert british_date(told_at.astimezone().date()) in told.toolTip()
    plain = next(i for i, r in enumerate(view.rows) if not r.urgent)
    assert view.table.item(plain, 0).data(Qt.ItemDataRole.AccessibleTextRole) == "Not urgent"
    assert view.table.item(plain, header.index("Who was told")).text() == ""
    due = view.table.item(row, 1)
    assert due.text() == "2 Jan 2020" and due.font().bold()
    assert due.data(Qt.ItemDataRole.AccessibleTextRole) == "2 Jan 2020, overdue" and "Overdue" in due.toolTip()


def test_a_due_date_in_the_past_asks_first_naming_the_date(open_window, demo_dir: Path, qtbot,
                                                           messages_seen) -> None:
    w = open_window("--data-dir", str(demo_dir))
    view = w.show_screen("actions")
    settle(w)
    row = next(i for i, r in enumerate(view.rows) if r.due and r.due >= date.today())
    target = view.rows[row]
    view.table.selectRow(row)
    questions: list[str] = []
    messages_seen.answer(lambda text: questions.append(text) or False)
    view.edit_button.setFocus()
    qtbot.keyClick(view.edit_button, Qt.Key.Key_Space)
    dialog = next(c for c in view.children() if c.objectName() == "actions.edit_dialog")
    assert dialog.isVisible()
    due = dialog.due
    chosen = target.due.replace(year=target.due.year - 5)  # five years back: in the past, whatever today is
    type_date(due, f"{chosen.day}/{chosen.month}/{chosen.year}", leave=Qt.Key.Key_Return)
    assert questions and british_date(chosen) in questions[-1] and "in the past" in questions[-1]
    assert dialog.isVisible()  # "Change the date": the dialog stays, nothing is stored
    with w.ctx.store.session() as s:
        assert s.get(ActionItem, target.id).due == target.due
    messages_seen.answer(lambda text: questions.append(text) or True)
    qtbot.keyClick(due.edit, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    settle(w)  # written in the background
    with w.ctx.store.session() as s:
        assert s.get(ActionItem, target.id).due == chosen
    # A date today or later is not asked about.
    asked = len(questions)
    view.table.selectRow(next(i for i, r in enumerate(view.rows) if r.due and r.due >= date.today()))
    qtbot.keyClick(view.edit_button, Qt.Key.Key_Space)
    dialog = next(c for c in view.children() if c.objectName() == "actions.edit_dialog" and c.isVisible())
    soon = date.today() + timedelta(days=30)
    type_date(dialog.due, f"{soon.day} {soon:%b} {soon.year}", leave=Qt.Key.Key_Return)
    assert not dialog.isVisible() and len(questions) == asked


def test_confirm_due_asks_only_about_a_new_date_in_the_past(messages_seen) -> None:
    """The one question both action dialogs (the Actions screen's and the audit form's) ask."""
    from qadesk.ui.due_dates import confirm_due

    asked: list[str] = []
    messages_seen.answer(lambda text: asked.append(text) or False)
    today = date(2026, 12, 1)
    assert confirm_due(None, None, today=today) and confirm_due(None, today, today=today)
    assert confirm_due(None, date(2026, 12, 9), today=today) and not asked
    assert confirm_due(None, date(2026, 11, 3), before=date(2026, 11, 3), today=today) and not asked  # kept
    assert not confirm_due(None, date(2026, 11, 3), before=date(2026, 12, 20), today=today)
    assert asked == ["The due date 3 Nov 2026 is in the past. Are you sure this action was due on 3 Nov 2026?"]


# ---- the moderation pack: completed audits only, several statuses ----------------------------


def test_the_moderation_pack_dialog_offers_completed_audits_only(open_window, demo_dir: Path, qtbot,
                                                                 tmp_path: Path, messages_seen) -> None:
    w = open_window("--data-dir", str(demo_dir))
    reports = w.show_screen("reports")
    settle(w)
    # Every status ticked but Closed: drafts among them, as a QA lead would choose "everything open".
    for status in ("draft", "completed", "moderated"):
        box = reports.status.boxes[status]
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    assert reports.selection().statuses == ["draft", "completed", "moderated"]
    reports.team.setFocus()
    qtbot.keyClicks(reports.team, "Care Leavers")  # one team: a pack small enough to write quickly
    assert reports.selection().teams == ["Care Leavers"]
    settle(w)
    button = reports.buttons["moderation_pack"]
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    dialog = reports.pack_dialog
    assert dialog.isVisible()
    statuses = {dialog.list.item(r, 1).text().split()[0] for r in range(dialog.list.rowCount())}
    assert statuses and statuses <= {"Completed", "Moderated"}  # no draft is offered
    with w.ctx.store.session() as s:
        drafts = count_audits(s, Selection(statuses=["draft"], teams=["Care Leavers"]))
        wanted = count_audits(s, Selection(statuses=["completed", "moderated"], teams=["Care Leavers"]))
    assert drafts and wanted
    assert dialog.list.rowCount() == min(wanted, 2000)
    assert f"{wanted:,} audits chosen; {drafts:,} draft or closed audits left out" in dialog.count_label.text()
    dialog.path.clear()
    qtbot.keyClicks(dialog.path, str(tmp_path / "moderation.qapack"))
    qtbot.keyClick(dialog.external, Qt.Key.Key_Space)  # within the organisation this time
    dialog.ok.setFocus()
    qtbot.keyClick(dialog.ok, Qt.Key.Key_Space)
    while w.ops.running:  # a pack of PDF, Excel and JSON: longer than a screen's loading
        assert w.ops.wait(120_000), "the pack was not written"
    with zipfile.ZipFile(tmp_path / "moderation.qapack") as z:
        manifest = json.loads(z.read("manifest.json"))
        docs = [json.loads(z.read(f"audits/{a}.json")) for a in manifest["audits"]]
    assert len(docs) == wanted and {d["status"] for d in docs} <= {"completed", "moderated"}
    messages_seen.close_boxes()

    # Drafts alone: nothing to offer, said in words, no dialog.
    for status in ("completed", "moderated"):
        box = reports.status.boxes[status]
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    assert reports.selection().statuses == ["draft"]
    before = reports.pack_dialog
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    assert reports.pack_dialog is before
    assert "takes completed or moderated audits, not draft ones" in messages_seen[-1].text
