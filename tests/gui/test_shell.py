"""The application shell driven through the real window: first run, navigation, state, --demo, --open-audit, lock."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from qadesk.services.profile import get_profile
from qadesk.services.queries import Selection, count_audits, list_audits
from qadesk.store import default_data_dir, open_store
from qadesk.store.single_writer import window_holder
from qadesk.ui.main_window import SCREENS
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture  # noqa: F401

pytestmark = pytest.mark.gui


def test_first_run_asks_who_you_are_and_needs_a_name(open_window, data_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(data_dir))
    dialog = w.profile_dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Welcome to QA Desk"
    assert dialog.folder.text() == str(data_dir) and not dialog.choose.isEnabled()  # --data-dir fixes it
    assert w.ctx is None and list(data_dir.iterdir()) == []  # nothing is created before the person answers
    dialog.accept()
    assert dialog.isVisible() and "give your name" in dialog.problem.text()
    assert list(data_dir.iterdir()) == []
    qtbot.keyClicks(dialog.name, "Sam Taylor")
    dialog.role.setText("Practice manager")
    dialog.accept()
    assert not dialog.isVisible()
    assert w.ops.wait()  # the profile is written in the background
    with w.ctx.store.session() as s:
        p = get_profile(s)
    assert (p.name, p.role, p.team) == ("Sam Taylor", "Practice manager", None)
    home = w.screen_view("home")
    qtbot.waitUntil(lambda: home.heading.text().endswith(", Sam"), timeout=5000)
    with w.ctx.store.session() as s:  # the shipped templates are ready for the first audit
        from qadesk.services.templates import list_templates

        assert len(list_templates(s)) == 7


def test_every_screen_is_reached_by_its_shortcut_and_works(open_window, demo_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(demo_dir))
    assert not hasattr(w, "profile_dialog")  # the profile is there: no first-run questions
    for i, (key, label) in enumerate(SCREENS):
        action = w.findChild(type(w.menuBar().actions()[0]), f"action.go.{key}")
        assert action.shortcut().toString() == f"Ctrl+{i + 1}"
        action.trigger()
        shown = w.stack.currentWidget()
        assert w.nav.currentItem().text() == label
        assert shown is (w.audit_tabs if key == "audits" else w.screens[key])
        assert shown.findChildren(QLabel) or key == "audits"
    text = w.shortcuts_text()
    for keys in ("Ctrl+N", "Ctrl+F", "Ctrl+W", "Ctrl+Q", "Ctrl+7", "F1", "Ctrl+PgDown\t", "Ctrl+PgUp\t"):
        assert keys in text
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: home.summary is not None and not home.loading, timeout=5000)
    assert home.cards["drafts"].number.text() == f"{home.summary.draft_count:,}"
    assert home.chart.accessibleDescription().count(":") == 6  # six months, each read out


def test_window_size_and_screen_are_remembered(open_window, demo_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(demo_dir))
    w.resize(w.minimumSizeHint().width(), 650)  # the offscreen screen is 800 px: stay inside it
    w.move(12, 34)
    w.show_screen("moderation")
    w.close()
    again = open_window("--data-dir", str(demo_dir))
    assert again.height() == 650 and again.width() == w.width()
    assert again.nav.currentItem().text() == "Moderation"
    assert again.settings.get("window/screen") == "moderation"  # by name, not by its row


def test_a_screen_remembered_by_an_older_copy_as_a_row_still_opens(open_window, demo_dir: Path) -> None:
    from qadesk.ui.main_window import screen_row
    from qadesk.ui.screens import make_screen

    assert [screen_row(v) for v in ("moderation", "3", "99", "no-such-screen", "")] == [3, 3, 0, 0, 0]
    w = open_window("--data-dir", str(demo_dir))
    w.settings.set("window/screen", "2")  # what an older copy wrote: the row of Actions
    w.close()
    again = open_window("--data-dir", str(demo_dir))
    assert again.nav.currentItem().text() == "Actions"
    with pytest.raises(ValueError, match="no screen 'reprots'"):
        make_screen(again, "reprots")  # a misspelt screen is an error, not the Reports screen


def test_demo_opens_on_a_throw_away_store_filled_in_the_background(open_window, qtbot, monkeypatch) -> None:
    import qadesk.ui.app as app

    monkeypatch.setattr(app, "DEMO_AUDITS", 40)  # the real 300 take a few seconds; the path is the same
    w = open_window("--demo")
    folder = w.ctx.data_dir
    assert w.ctx.demo and folder.name.startswith("qadesk-demo-")
    qtbot.waitUntil(lambda: w.demo_ready, timeout=60_000)
    with w.ctx.store.session() as s:
        assert count_audits(s) == 40
        assert get_profile(s).name
    assert "demonstration data" in w.windowTitle()
    w.close()
    assert not folder.exists()


def test_open_audit_opens_its_form_and_once_only(open_window, demo_dir: Path) -> None:
    store = open_store(demo_dir)
    with store.session() as s:
        first, second = list_audits(s, Selection(statuses=["draft"]), limit=2)
    store.close()
    w = open_window("--data-dir", str(demo_dir), "--open-audit", first.reference)
    assert w.current_form().audit_id == first.id
    assert w.audit_tabs.tabText(w.audit_tabs.currentIndex()) == first.reference
    w.open_audit(second.id)
    w.open_audit(first.id)
    assert w.audit_tabs.count() == 3 and w.current_form().audit_id == first.id  # focused, not opened twice
    w.findChild(type(w.menuBar().actions()[0]), "action.close_audit").trigger()
    assert w.audit_tabs.count() == 2 and first.id not in w.forms
    assert w.settings.get("audits/recent")[:2] == [first.id, second.id]


def test_a_second_copy_on_the_same_store_is_refused_clearly(open_window, demo_dir: Path) -> None:
    first = open_window("--data-dir", str(demo_dir))
    second = open_window("--data-dir", str(demo_dir))
    assert first.ctx is not None
    assert second.ctx is None and second.centralWidget().objectName() == "locked.page"
    assert "already open" in second.centralWidget().findChild(QLabel, "heading").text()
    assert not second.nav.isEnabled()
    first.close()
    second.centralWidget().retry_button.click()  # the first copy has gone: now it opens
    assert second.ctx is not None and second.ctx.data_dir == demo_dir


def test_a_copy_in_another_process_holds_the_store(open_window, demo_dir: Path, qtbot) -> None:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from qadesk.store.single_writer import claim_window, identify_process
        identify_process("QA Desk", "window")
        claim = claim_window({str(demo_dir)!r})
        print("locked", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        w = open_window("--data-dir", str(demo_dir))
        assert w.ctx is None
        text = w.centralWidget().findChild(QLabel, "locked.text").text()
        assert f"QA Desk (process {holder.pid} on this computer)" in text and str(demo_dir) in text
    finally:
        holder.communicate("\n", timeout=10)
    w.centralWidget().retry_button.click()
    assert w.ctx is not None


def test_a_copy_that_was_killed_blocks_nobody(open_window, demo_dir: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from qadesk.store import open_store
        from qadesk.store.single_writer import claim_window, identify_process
        identify_process("QA Desk", "window")
        claim = claim_window({str(demo_dir)!r})
        store = open_store({str(demo_dir)!r})
        print("open", flush=True)
        time.sleep(600)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
    finally:
        holder.kill()  # SIGKILL: no clean-up of any kind, the lock files stay where they are
        holder.wait(timeout=10)
        holder.stdout.close()
    assert (demo_dir / "qadesk.locks" / "window").read_bytes()  # still naming the dead process
    w = open_window("--data-dir", str(demo_dir))
    assert w.ctx is not None and w.ctx.data_dir == demo_dir


def test_new_audit_dialog_asks_what_the_kind_needs(open_window, demo_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(demo_dir))
    w.findChild(type(w.menuBar().actions()[0]), "action.new_audit").trigger()
    d = w.new_audit_dialog
    kinds = [d.templates.topLevelItem(i).text(0) for i in range(d.templates.topLevelItemCount())]
    assert kinds[:2] == ["Regular case audit", "Thematic audit"] and "Supervision audit" in kinds
    sup = d.templates.findItems("Supervision audit", Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
    d.templates.setCurrentItem([i for i in sup if i.parent() is not None][0])
    assert d.form.isRowVisible(d.fields["supervisor"]) and not d.form.isRowVisible(d.fields["case_ref"])
    d.accept()
    assert d.isVisible() and "Practitioner supervised" in d.problem.text() and "Supervisor" in d.problem.text()
    d.fields["practitioner"].setCurrentText("A. Worker")
    d.fields["supervisor"].setCurrentText("B. Manager")
    d.fields["team"].setCurrentText("Assessment Team 1")
    d.programme.setCurrentText("Supervision spot checks")
    d.accept()
    assert not d.ok.isEnabled()  # started in the background: OK waits
    assert w.ops.wait()
    assert not d.isVisible()
    form = w.current_form()
    assert form is not None and form.audit_id == d.audit_id
    from qadesk.services import audits as svc

    with w.ctx.store.session() as s:
        doc = svc.audit_document(svc.get_audit(s, d.audit_id))
    assert doc["subject"]["practitioner"] == "A. Worker" and doc["subject"]["supervisor"] == "B. Manager"
    assert doc["auditor"]["name"] == w.ctx.actor() and doc["programme"] == "Supervision spot checks"


def test_keyboard_enter_on_a_home_item_opens_the_audit(open_window, demo_dir: Path, qtbot) -> None:
    w = open_window("--data-dir", str(demo_dir))
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: home.summary is not None, timeout=5000)
    assert home.summary.recently_completed  # the profile's name is one of the demo auditors
    lst = home.completed
    lst.setCurrentRow(0)
    lst.itemActivated.emit(lst.currentItem())
    assert w.current_form() is not None


def test_start_up_gives_a_usable_window(open_window, demo_dir: Path) -> None:
    # How quickly is a figure of the benchmarks (tests/benchmarks/bench_startup.py), not of this run.
    w = open_window("--data-dir", str(demo_dir))
    assert w.ctx is not None and w.nav.isEnabled() and w.nav.currentItem().text() == "Home"


def test_exit_when_ready_prints_ready_once_home_is_counted(demo_dir: Path, tmp_path: Path) -> None:
    import os

    env = dict(os.environ, QADESK_EXIT_WHEN_READY="1", QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-m", "qadesk", "--data-dir", str(demo_dir)], env=env,
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ready"]
    assert (demo_dir / "qadesk.locks" / "window").read_bytes() == b""  # it quit properly, letting go of the folder


def test_first_run_lets_you_choose_where_the_data_lives(open_window, tmp_path: Path, monkeypatch, qtbot) -> None:
    monkeypatch.delenv("QADESK_DATA_DIR")  # no --data-dir and no override: the person chooses
    w = open_window()
    dialog = w.profile_dialog
    assert dialog.choose.isEnabled()
    default = Path(dialog.folder.text())
    assert default == default_data_dir() and w.ctx is None and not default.exists()  # asked before any store
    chosen = tmp_path / "Audits on the shared drive"
    dialog.folder.setText(str(chosen))
    dialog.name.setText("Sam Taylor")
    dialog.accept()
    assert w.ctx.data_dir == chosen and (chosen / "qadesk.sqlite").exists()
    holder = window_holder(chosen)  # the new store is this window's: another copy is kept out
    assert holder is not None and holder.pid == os.getpid() and holder.program == "QA Desk"
    assert not default.exists()  # no empty store left behind in the folder not chosen
    assert w.ops.wait()  # the profile is written in the background
    with w.ctx.store.session() as s:
        assert get_profile(s).name == "Sam Taylor"
    w.close()
    again = open_window()  # the next start opens the chosen folder, with no questions
    assert again.ctx.data_dir == chosen and not hasattr(again, "profile_dialog")


def test_cancelling_the_first_run_questions_creates_nothing(open_window, tmp_path: Path, monkeypatch,
                                                           qtbot) -> None:
    monkeypatch.delenv("QADESK_DATA_DIR")
    w = open_window()
    default = Path(w.profile_dialog.folder.text())
    w.profile_dialog.reject()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=2000)  # Cancel quits
    assert not default.exists()
    again = open_window()  # so the next start asks again
    assert again.ctx is None and again.profile_dialog.isVisible()


def test_first_run_opens_a_store_already_in_the_chosen_folder(open_window, demo_dir: Path, monkeypatch,
                                                              qtbot) -> None:
    monkeypatch.delenv("QADESK_DATA_DIR")
    w = open_window()
    dialog = w.profile_dialog
    dialog.folder.setText(str(demo_dir))
    dialog.name.setText("Alex Morgan")
    dialog.accept()
    assert w.ctx.data_dir == demo_dir and not default_data_dir().exists()
    assert w.ops.wait()  # the profile is written in the background
    with w.ctx.store.session() as s:
        assert get_profile(s).name == "Alex Morgan" and count_audits(s, Selection()) == 300


@pytest.mark.slow
def test_qadesk_self_test_runs_offscreen_without_a_display(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    done = subprocess.run([sys.executable, "-m", "qadesk", "--self-test"], env=env, capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "self-test passed" in done.stdout
