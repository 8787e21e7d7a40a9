"""A test fails when qadesk met an error the test did not expect (a pytest plugin; tests/conftest.py loads it).

qadesk logs, at ERROR on its ``qadesk`` logger, every error it shows the user: ``messages.error``,
an unexpected exception given to ``messages.show_exception`` (a failed background operation, a
file that could not be written), an exception that reached the window's ``sys.excepthook`` or
``threading.excepthook``; and the exceptions it swallows so that closing can finish. A test during
which any of that happens fails, naming what was logged, unless it is marked
``@pytest.mark.expect_error_dialog``, which says the error is the point of the test; a test so
marked fails if no error came.

An exception raised in a slot or a Qt virtual method (a paint, a key press) is pytest-qt's to
catch: it fails the test, and ``qt_no_exception_capture`` may not turn that off. If a test installs
the window's own exception hooks (``messages.install_excepthooks``), such an exception becomes an
error dialog, which fails the test here; the hooks are put back after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Generator

import pytest

MARKER = "expect_error_dialog"


class _Errors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []
        self.checked = 0
        self.thread_hook = threading.excepthook

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def unchecked(self) -> list[logging.LogRecord]:
        new, self.checked = self.records[self.checked:], len(self.records)
        return new


_ERRORS = pytest.StashKey[_Errors]()


def _describe(records: list[logging.LogRecord]) -> str:
    lines = []
    for r in records:
        lines.append(f"  {r.levelname} {r.name}: {r.getMessage()}")
        if getattr(r, "shown_text", None):  # what the user was told (never written to the log file)
            lines.append(f"    {r.shown_text}")
        if r.exc_info and r.exc_info[1] is not None:
            exc = r.exc_info[1]
            lines.append(f"    {type(exc).__name__}: {exc}")
    return "\n".join(lines)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}: the test makes qadesk show (and log) an error on purpose; it fails without one")
    if config.getini("qt_no_exception_capture"):
        raise pytest.UsageError("qt_no_exception_capture must stay off: an exception in a slot fails its test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("qt_no_exception_capture"):
            raise pytest.UsageError(f"{item.nodeid}: qt_no_exception_capture would hide exceptions in slots")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, object, object]:
    errors = _Errors()
    item.stash[_ERRORS] = errors
    logging.getLogger("qadesk").addHandler(errors)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    result = yield  # a test that failed on its own is reported as it failed
    errors = item.stash.get(_ERRORS, None)
    if errors is not None:
        seen = errors.unchecked()
        expected = item.get_closest_marker(MARKER) is not None
        if expected and not seen:
            pytest.fail(f"marked {MARKER}, but qadesk showed no error dialog (logged no error)", pytrace=False)
        if seen and not expected:
            pytest.fail("qadesk showed an error dialog (or logged an error) the test did not expect "
                        f"(mark it {MARKER} if that is its point):\n{_describe(seen)}", pytrace=False)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, object, object]:
    errors = item.stash.get(_ERRORS, None)
    try:
        return (yield)
    finally:
        if errors is not None:
            logging.getLogger("qadesk").removeHandler(errors)
            threading.excepthook = errors.thread_hook  # pytest-qt puts sys.excepthook back itself
            late = errors.unchecked()
            if late and item.get_closest_marker(MARKER) is None:
                pytest.fail(f"qadesk showed an error dialog (or logged an error) while the test was tidied up:\n"
                            f"{_describe(late)}", pytrace=False)
