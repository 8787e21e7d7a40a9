"""Background operations and the one way of telling the user something."""

from __future__ import annotations

import sys
import threading
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton, QWidget

from qadesk import APP_NAME
from qadesk.core.errors import StateError, ValidationError
from qadesk.ui import messages
from qadesk.ui.operations import Operations

pytestmark = pytest.mark.gui


@pytest.fixture
def ops(qtbot, messages_seen):
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    o = Operations(parent)
    yield o
    o.cancel_all()
    o.wait()


def test_the_result_comes_back_on_the_main_thread(ops, qtbot) -> None:
    seen = {}

    def work(progress, cancel):
        seen["worker"] = QThread.currentThread()
        return 42

    def done(result):
        seen["result"], seen["callback"] = result, QThread.currentThread()

    op = ops.run(work, label="Adding up", on_success=done)
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    app_thread = QApplication.instance().thread()
    assert seen["result"] == 42 and seen["callback"] is app_thread and seen["worker"] is not app_thread
    assert not ops.window.findChildren(QProgressDialog)  # quick work shows no progress dialog


def test_finished_operations_let_go_of_their_qt_objects(ops, qtbot) -> None:
    """An autosave is one operation per pause in typing: a day's work must not keep them all."""
    from qadesk.ui.operations import Operation

    finished = [ops.run(lambda p, c, n=n: n, label="Saving", show_progress=False) for n in range(200)]
    failed = ops.run(lambda p, c: 1 / 0, label="Saving", show_progress=False, on_failure=lambda exc: None)
    qtbot.waitUntil(lambda: all(op.done for op in finished) and failed.done, timeout=10_000)
    qtbot.waitUntil(lambda: not ops.findChildren(Operation), timeout=5000)
    assert [op.result for op in finished] == list(range(200))  # what callers kept stays readable
    assert isinstance(failed.error, ZeroDivisionError) and not ops.running


def test_slow_work_shows_progress_after_half_a_second_and_can_be_cancelled(ops, qtbot) -> None:
    outcome = []

    def slow(progress, cancel):
        for i in range(200):
            if cancel():
                return "stopped"
            progress(i, 200)
            time.sleep(0.02)
        return "finished"

    op = ops.run(slow, label="Making the report", on_success=outcome.append,
                 on_cancelled=lambda: outcome.append("cancelled"))
    assert not ops.window.findChildren(QProgressDialog)
    qtbot.waitUntil(lambda: bool(ops.window.findChildren(QProgressDialog)), timeout=3000)
    dialog = ops.window.findChild(QProgressDialog, "operation.progress")
    qtbot.waitUntil(lambda: dialog.value() > 0, timeout=3000)
    assert dialog.maximum() == 200 and "of 200" in dialog.labelText()
    dialog.findChild(QPushButton).click()  # the Cancel button
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    assert outcome == ["cancelled"] and op.result == "stopped"
    qtbot.waitUntil(lambda: not ops.window.findChildren(QProgressDialog), timeout=2000)  # closed and deleted


def test_database_work_runs_one_job_at_a_time(ops, qtbot) -> None:
    running, most = [0], [0]
    lock = threading.Lock()

    def job(progress, cancel):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    jobs = [ops.run(job, label=f"job {i}") for i in range(4)]
    qtbot.waitUntil(lambda: all(j.done for j in jobs), timeout=5000)
    assert most[0] == 1


def test_a_failure_without_a_handler_becomes_a_dialog(ops, qtbot, messages_seen) -> None:
    def refused(progress, cancel):
        raise StateError("AUD-2026-0001 is completed; reopen it (with a reason) to change it")

    op = ops.run(refused, label="Saving")
    qtbot.waitUntil(lambda: op.done, timeout=5000)
    last = messages_seen[-1]
    assert (last.level, last.title) == ("warning", "Not possible now") and "reopen it" in last.text
    box = ops.window.findChild(QWidget, "message.warning")
    assert box is not None and box.isVisible()  # shown, but offscreen nothing waits for a click


def test_domain_errors_map_to_plain_titles() -> None:
    assert messages.describe(ValidationError("the name is missing")).title == "That was not accepted"
    unexpected = messages.describe(KeyError("x"))
    assert unexpected.title == "Unexpected error" and str(messages.log_file()) in unexpected.text
    assert "KeyError" in unexpected.detail


@pytest.mark.expect_error_dialog
def test_unexpected_exceptions_on_any_thread_reach_a_dialog_and_the_log(qtbot, monkeypatch, messages_seen) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    messages.install_excepthooks()
    try:
        raise RuntimeError("the printer caught fire")
    except RuntimeError as exc:
        sys.excepthook(type(exc), exc, exc.__traceback__)
    assert messages_seen[-1].title == "Unexpected error" and "printer caught fire" in messages_seen[-1].text

    def worker():
        raise ValueError("a worker thread failed")

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: "worker thread failed" in messages_seen[-1].text, timeout=3000)
    for h in messages.log.handlers:
        h.flush()
    logged = messages.log_file().read_text(encoding="utf-8")
    # The log says where and what kind; the messages stay on the screen (they may quote case data).
    assert "Traceback" in logged and "RuntimeError" in logged and "ValueError" in logged
    # (the code lines of a traceback are shown, as Python prints them: they are source, not data)
    assert "RuntimeError: [withheld" in logged and "ValueError: [withheld" in logged
    assert "RuntimeError: the printer" not in logged and "ValueError: a worker" not in logged


def test_questions_do_not_wait_offscreen() -> None:
    assert messages.ask("Stop and quit?") is False  # nobody is there to answer: no


def test_a_test_answers_questions_and_sees_every_message(messages_seen) -> None:
    messages_seen.answer(lambda text: "quit" in text)
    assert messages.ask("Stop and quit?", title="Quit") is True
    assert messages.ask("Delete the made-up template?") is False
    messages.warning("The made-up file was too large", title="Too large")
    assert [(m.level, m.title, m.text, m.detail) for m in messages_seen] == [
        ("question", "Quit", "Stop and quit?", "yes"),
        ("question", APP_NAME, "Delete the made-up template?", "no"),
        ("warning", "Too large", "The made-up file was too large", ""),
    ]
    def open_boxes() -> list[str]:
        return [w.objectName() for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]

    assert "message.warning" in open_boxes()  # offscreen it waits for nobody: the test closes it
    messages_seen.close_boxes()
    assert open_boxes() == []
