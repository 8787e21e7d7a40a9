"""The log holds no case data: not what the user was told, not an exception's message, not SQL parameters.

Each test writes made-up case data through a real path to the log (a dialog, an unexpected
exception, a chained one, a file error, a database error from a real store) and reads the log
file back.
"""

from __future__ import annotations

import errno
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qadesk.core import errors

pytestmark = pytest.mark.gui

CHILD = "Tilly Madeupname"
REFERENCE = "CR-918273"


@pytest.fixture
def log_text(tmp_path: Path, monkeypatch) -> Iterator[Callable[[], str]]:
    from qadesk.ui import messages

    monkeypatch.setenv("QADESK_CONFIG_DIR", str(tmp_path / "config"))
    path = messages.setup_logging()
    log = logging.getLogger("qadesk")
    handler = next(h for h in log.handlers if getattr(h, "baseFilename", None) == str(path))

    def read() -> str:
        handler.flush()
        return path.read_text(encoding="utf-8")

    try:
        yield read
    finally:
        log.removeHandler(handler)
        handler.close()


def _assert_clean(text: str) -> None:
    for secret in (CHILD, "Tilly", "Madeupname", REFERENCE, "918273"):
        assert secret not in text, f"{secret!r} reached the log:\n{text}"


@pytest.mark.expect_error_dialog
def test_what_the_user_is_told_is_not_logged(qtbot, log_text, messages_seen) -> None:
    from qadesk.ui import messages

    messages.error(f"The audit of {CHILD} ({REFERENCE}) could not be saved", title="Not saved")
    messages.warning(f"{REFERENCE} is already in this store", title="Please check")
    messages.info(f"Exported the audit of {CHILD}")
    messages.show_exception(errors.Conflict(f"{REFERENCE} was changed elsewhere"))
    text = log_text()
    assert "shown: Not saved" in text and "shown: Please check" in text and "Conflict" in text
    _assert_clean(text)


@pytest.mark.expect_error_dialog
def test_an_unexpected_exception_logs_where_and_what_kind_not_its_message(qtbot, log_text, messages_seen) -> None:
    from qadesk.ui import messages

    try:
        try:
            raise KeyError(f"answer for {CHILD}")
        except KeyError as inner:
            raise ValueError(f"case {REFERENCE} has no template") from inner
    except ValueError as exc:
        messages.show_exception(exc)
    try:
        raise OSError(errno.EACCES, "Permission denied", f"/tmp/{CHILD} {REFERENCE}.pdf")
    except OSError as exc:
        messages.show_exception(exc)
    assert REFERENCE in messages_seen[0].text  # the user is still told, on the screen
    text = log_text()
    assert "Traceback (most recent call last)" in text and "test_log_privacy.py" in text
    assert "KeyError" in text and "ValueError" in text and "direct cause" in text
    assert "[Errno 13] Permission denied" in text
    _assert_clean(text)


@pytest.mark.expect_error_dialog
def test_a_database_error_from_a_real_store_logs_no_parameters(qtbot, log_text, messages_seen, tmp_path) -> None:
    from sqlalchemy import text as sql

    from qadesk.store.engine import open_store
    from qadesk.ui import messages

    store = open_store(tmp_path / "store")
    try:
        with store.session() as session:
            session.execute(sql("CREATE TABLE made_up (reference TEXT UNIQUE)"))
            session.execute(sql("INSERT INTO made_up VALUES (:r)"), {"r": REFERENCE})
            session.commit()
        try:
            with store.session() as session:
                session.execute(sql("INSERT INTO made_up VALUES (:r)"), {"r": REFERENCE})
                session.commit()
        except Exception as exc:  # noqa: BLE001 - the IntegrityError, whatever its class
            messages.show_exception(exc)
    finally:
        store.close()
    text = log_text()
    assert "IntegrityError" in text
    _assert_clean(text)
