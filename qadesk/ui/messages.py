"""One way to tell the user something: errors, warnings and information are logged and shown here.

Domain errors (:class:`~qadesk.core.errors.QadeskError` and its subclasses) are
turned into titled dialogs in :func:`describe`, the one place that knows them;
anything unexpected (``sys.excepthook``, ``threading.excepthook``) becomes a
readable dialog that names the log file, never a silent crash.

Offscreen (``--self-test``, a run with no screen) nothing may wait for a click
that never comes: message boxes are shown modeless and a question is answered no.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from qadesk import APP_ID, APP_NAME, ORGANISATION
from qadesk.core import errors
from qadesk.store.paths import keep_private, private_dir, private_file

log = logging.getLogger("qadesk")


@dataclass(frozen=True)
class Message:
    level: str  # "error", "warning", "info"
    title: str
    text: str
    detail: str = ""


# The modeless boxes shown offscreen, kept until closed (a box without a parent has no other owner).
_open_boxes: list[QMessageBox] = []


def log_dir() -> Path:
    """Where the log file lives: QADESK_CONFIG_DIR/logs, else the platform's log folder."""
    env = os.environ.get("QADESK_CONFIG_DIR")
    if env:
        return Path(env).expanduser() / "logs"
    from platformdirs import user_log_dir

    return Path(user_log_dir(APP_ID, ORGANISATION))


def log_file() -> Path:
    return log_dir() / "qadesk.log"


WITHHELD = "[withheld: may hold case data]"


def _exception_lines(exc: BaseException, seen: set[int]) -> list[str]:
    """An exception's traceback with its message withheld, causes first, as Python prints them."""
    seen.add(id(exc))
    lines: list[str] = []
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is not None and id(cause) not in seen:
        lines += _exception_lines(cause, seen)
        lines.append("\nThe above exception was the direct cause of the following exception:\n\n"
                     if exc.__cause__ is not None else
                     "\nDuring handling of the above exception, another exception occurred:\n\n")
    lines.append("Traceback (most recent call last):\n")
    lines += traceback.format_tb(exc.__traceback__)
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(exc, OSError) and exc.errno is not None:
        # The error number and the system's words are safe; the file's name is not (an export may
        # be named after a child).
        lines.append(f"{name}: [Errno {exc.errno}] {exc.strerror} {WITHHELD}\n")
    else:
        lines.append(f"{name}: {WITHHELD}\n")
    return lines


class CaseSafeFormatter(logging.Formatter):
    """The log's format: an exception shows where it happened (file, line, code) and what kind it
    was, never its message, which may quote an answer, a name or a case reference.

    The call sites log titles and kinds of event, not the text shown to the user, for the same
    reason (a record carries that text as ``shown_text``, which this format never writes, for a
    handler inside the process such as a test's); SQL parameters never reach an exception (the
    engines hide them).
    """

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        exc = ei[1]
        if exc is None:
            return ""
        return "".join(_exception_lines(exc, set())).rstrip("\n")


class PrivateRotatingFileHandler(RotatingFileHandler):
    """The log and each file it rotates into are its owner's alone (0600), like the store."""

    def _open(self) -> Any:  # logging's own hook
        private_file(Path(self.baseFilename))
        return super()._open()

    def doRollover(self) -> None:  # noqa: N802 - logging's name
        super().doRollover()
        for n in range(1, self.backupCount + 1):
            keep_private(Path(f"{self.baseFilename}.{n}"))


def setup_logging() -> Path:
    """Send qadesk's log to a rotating file (once per log file)."""
    path = log_file()
    for h in log.handlers:
        if isinstance(h, RotatingFileHandler) and Path(h.baseFilename) == path:
            return path
    private_dir(path.parent)
    handler = PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(CaseSafeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return path


def interactive() -> bool:
    """False offscreen: no dialog may wait for a click that never comes."""
    # "offscreen:configfile=..." (a screen of a chosen size) is offscreen too.
    return os.environ.get("QT_QPA_PLATFORM", "").split(":")[0] not in ("offscreen", "minimal")


def _present(msg: Message, parent: QWidget | None) -> None:
    """Show a message as a box (every message the user is told reaches the screen here)."""
    app = QApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return
    icon = {"error": QMessageBox.Icon.Critical, "warning": QMessageBox.Icon.Warning}.get(
        msg.level, QMessageBox.Icon.Information)
    box = QMessageBox(icon, msg.title, msg.text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(f"message.{msg.level}")
    box.setTextFormat(Qt.TextFormat.PlainText)
    if msg.detail:
        box.setDetailedText(msg.detail)
    box.setAccessibleName(msg.title)
    if interactive():
        box.exec()
        box.deleteLater()
    else:
        box.setModal(False)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r, b=box: _open_boxes.remove(b) if b in _open_boxes else None)
        _open_boxes.append(box)
        box.show()


def error(text: str, *, parent: QWidget | None = None, title: str = "Something went wrong",
          detail: str = "") -> None:
    log.error("shown: %s", title, extra={"shown_text": text})  # the text is for handlers in this process only
    _present(Message("error", title, text, detail), parent)


def warning(text: str, *, parent: QWidget | None = None, title: str = "Please check", detail: str = "") -> None:
    log.warning("shown: %s", title, extra={"shown_text": text})  # the text is for handlers in this process only
    _present(Message("warning", title, text, detail), parent)


def info(text: str, *, parent: QWidget | None = None, title: str = APP_NAME) -> None:
    log.info("shown: %s", title, extra={"shown_text": text})  # the text is for handlers in this process only
    _present(Message("info", title, text), parent)


def ask(text: str, *, parent: QWidget | None = None, title: str = APP_NAME, yes: str = "OK",
        no: str = "Cancel") -> bool:
    """A yes/no question; offscreen, where nobody could answer it, the answer is no."""
    if not interactive():
        return False
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.NoButton, parent)
    yes_button = box.addButton(yes, QMessageBox.ButtonRole.AcceptRole)
    box.addButton(no, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(yes_button)
    box.exec()
    return box.clickedButton() is yes_button


def describe(exc: BaseException) -> Message:
    """The dialog for an error: every domain error maps to a title and plain words here."""
    if isinstance(exc, errors.SubmitRefused):
        return Message("warning", "Not ready to submit", str(exc))
    if isinstance(exc, errors.LimitError):
        return Message("warning", "Too large", str(exc))
    if isinstance(exc, errors.ValidationError):
        return Message("warning", "That was not accepted", exc.describe())
    if isinstance(exc, errors.AnswerRefused):
        return Message("warning", "Answer not accepted", exc.message)
    if isinstance(exc, errors.NotFound):
        return Message("warning", "Not found", str(exc))
    if isinstance(exc, errors.Conflict):
        return Message("warning", "Conflict with what is stored", str(exc))
    if isinstance(exc, errors.StateError):
        return Message("warning", "Not possible now", str(exc))
    if isinstance(exc, errors.StoreLocked):
        return Message("warning", "Data folder in use", str(exc))
    if isinstance(exc, errors.QadeskError):
        return Message("warning", "Refused", str(exc))
    if isinstance(exc, OSError):
        where = f"\n\n{exc.filename}" if getattr(exc, "filename", None) else ""
        return Message("error", "Could not read or write a file", f"{exc.strerror or exc}{where}")
    trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return Message("error", "Unexpected error",
                   f"{APP_NAME} met a problem it did not expect: {type(exc).__name__}: {exc}\n\n"
                   f"Your saved work is safe. The details are in the log file:\n{log_file()}", trace)


def show_exception(exc: BaseException, parent: QWidget | None = None) -> None:
    """Log an error and show its dialog (the one entry point for caught exceptions)."""
    msg = describe(exc)
    if isinstance(exc, errors.QadeskError):
        log.warning("shown: %s (%s)", msg.title, type(exc).__name__)
    else:
        log.error("Unexpected error", exc_info=(type(exc), exc, exc.__traceback__))
    _present(msg, parent)


class _MainThreadBridge(QObject):
    """Carries exceptions raised in worker threads to the main thread, where dialogs may be shown."""

    raised = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.raised.connect(self._show)

    @Slot(object)
    def _show(self, exc: BaseException) -> None:
        show_exception(exc, QApplication.activeWindow())


_bridge: _MainThreadBridge | None = None


def _excepthook(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, tb)
        return
    if exc.__traceback__ is None:
        exc = exc.with_traceback(tb)
    app = QApplication.instance()
    if _bridge is not None and app is not None and QThread.currentThread() is not app.thread():
        _bridge.raised.emit(exc)
    else:
        show_exception(exc, QApplication.activeWindow() if app else None)


def _thread_excepthook(args: threading.ExceptHookArgs) -> None:
    if args.exc_value is not None:
        _excepthook(args.exc_type, args.exc_value, args.exc_traceback)


def install_excepthooks() -> None:
    """Route every unexpected exception, on any thread, to the log and a dialog."""
    global _bridge
    setup_logging()
    if _bridge is None:
        _bridge = _MainThreadBridge()
    sys.excepthook = _excepthook
    threading.excepthook = _thread_excepthook
