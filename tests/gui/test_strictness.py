"""The test suite's own strictness: tests that must fail do, run by pytester with qadesk's real settings.

A small test file runs in a fresh pytest (a subprocess) with this repository's pyproject.toml and
its error guard (tests/helpers/error_guard.py): an unexpected error dialog, an exception in a slot,
with or without the window's own exception hooks, and a Qt warning each fail their test; an error
the test expects, a domain refusal (a warning, not an error) and the offscreen platform's own
messages do not.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.gui

CASES = '''
import sys
import threading

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPushButton, QWidget

from qadesk.core.errors import StateError
from qadesk.ui import messages


def boom():
    raise RuntimeError("the made-up slot failed")


def test_an_unexpected_error_dialog(qtbot):
    messages.error("The made-up printer caught fire")


def test_an_unexpected_exception_shown(qtbot):
    messages.show_exception(KeyError("made-up key"))


def test_an_error_logged_while_tidying_up(qtbot, request):
    request.addfinalizer(lambda: messages.show_exception(OSError(28, "No space left on the made-up disk")))


@pytest.mark.expect_error_dialog
def test_an_expected_error_dialog(qtbot):
    messages.show_exception(KeyError("made-up key"))


@pytest.mark.expect_error_dialog
def test_an_expected_error_that_never_came(qtbot):
    messages.info("All well")


def test_a_refusal_is_a_warning_not_an_error(qtbot):
    messages.show_exception(StateError("AUD-2026-0001 is completed; reopen it to change it"))


def test_a_slot_raising_on_a_key_press(qtbot):
    button = QPushButton("Go")
    qtbot.addWidget(button)
    button.clicked.connect(boom)
    button.show()
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


def test_a_slot_raising_from_the_event_loop(qtbot):
    fired = []
    QTimer.singleShot(0, lambda: (fired.append(1), boom()))
    qtbot.waitUntil(lambda: bool(fired), timeout=3000)


def test_a_slot_raising_under_the_windows_own_hooks(qtbot, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    messages.install_excepthooks()
    fired = []
    QTimer.singleShot(0, lambda: (fired.append(1), boom()))
    qtbot.waitUntil(lambda: bool(fired), timeout=3000)


def test_a_qt_warning(qtbot):
    QFont().setPointSize(0)


def test_the_offscreen_platforms_own_messages(qtbot):
    w = QWidget()
    qtbot.addWidget(w)
    w.show()
    w.raise_()
'''

EXPECTED = {
    "test_an_unexpected_error_dialog": "FAILED",
    "test_an_unexpected_exception_shown": "FAILED",
    "test_an_error_logged_while_tidying_up": "ERROR",  # the test passed; its teardown is the error
    "test_an_expected_error_dialog": "PASSED",
    "test_an_expected_error_that_never_came": "FAILED",
    "test_a_refusal_is_a_warning_not_an_error": "PASSED",
    "test_a_slot_raising_on_a_key_press": "FAILED",
    "test_a_slot_raising_from_the_event_loop": "FAILED",
    "test_a_slot_raising_under_the_windows_own_hooks": "FAILED",
    "test_a_qt_warning": "FAILED",
    "test_the_offscreen_platforms_own_messages": "PASSED",
}


def test_unexpected_errors_exceptions_in_slots_and_qt_warnings_fail_their_test(pytester, monkeypatch):
    pytester.makepyprojecttoml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytester.makeconftest('pytest_plugins = ["tests.helpers.error_guard"]\n')
    pytester.makepyfile(test_cases=CASES)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rA", "test_cases.py")
    out = result.stdout.str()
    outcomes: dict[str, set[str]] = {}
    for kind, name in re.findall(r"^(PASSED|FAILED|ERROR) test_cases\.py::(\w+)", out, re.MULTILINE):
        outcomes.setdefault(name, set()).add(kind)
    assert {name: min(kinds) for name, kinds in outcomes.items()} == EXPECTED, out
    assert outcomes["test_an_error_logged_while_tidying_up"] == {"PASSED", "ERROR"}, out
    # Each failure says what went wrong.
    assert "The made-up printer caught fire" in out and "KeyError: 'made-up key'" in out
    assert "marked expect_error_dialog, but qadesk showed no error dialog" in out
    assert "RuntimeError: the made-up slot failed" in out
    assert "QFont::setPointSize: Point size <= 0" in out
    assert "No space left on the made-up disk" in out


def test_exception_capture_may_not_be_turned_off(pytester, monkeypatch):
    pytester.makepyprojecttoml((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pytester.makeconftest('pytest_plugins = ["tests.helpers.error_guard"]\n')
    pytester.makepyfile(test_off='''
import pytest

@pytest.mark.qt_no_exception_capture
def test_quiet(qtbot):
    pass
''')
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "test_off.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "qt_no_exception_capture would hide exceptions in slots" in result.stderr.str()
