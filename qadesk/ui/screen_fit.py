"""Keeping the main window inside the screen's available area (the commonest council laptop is 1366×768).

A remembered geometry may come from a bigger screen (a docking station at the office), and the
default size may be taller than a small laptop's screen less its task bar: either way the window
opens whole, inside the area the desktop leaves free.
"""

from __future__ import annotations

from PySide6.QtCore import QMargins, QRect
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

# A typical title bar and border, for a window the window manager has not framed yet.
FRAME_ALLOWANCE = QMargins(4, 32, 4, 4)


def fit_rect(rect: QRect, available: QRect, frame: QMargins | None = None) -> QRect:
    """``rect`` (the window without its frame) shrunk and moved so that, framed, it lies inside ``available``."""
    room = available.marginsRemoved(frame if frame is not None else QMargins())
    width, height = max(1, min(rect.width(), room.width())), max(1, min(rect.height(), room.height()))
    x = min(max(rect.x(), room.x()), room.x() + room.width() - width)
    y = min(max(rect.y(), room.y()), room.y() + room.height() - height)
    return QRect(x, y, width, height)


def centred(width: int, height: int, available: QRect, frame: QMargins | None = None) -> QRect:
    """A window of this size (at most) in the middle of ``available``."""
    frame = frame if frame is not None else QMargins()
    room = available.marginsRemoved(frame)
    rect = QRect(0, 0, min(width, room.width()), min(height, room.height()))
    rect.moveCenter(room.center())
    return fit_rect(rect, available, frame)


def screen_of(widget: QWidget) -> QScreen:
    """The screen the widget is (mostly) on, else the primary one."""
    return QGuiApplication.screenAt(widget.geometry().center()) or QGuiApplication.primaryScreen()


def frame_of(widget: QWidget) -> QMargins:
    """The window frame's margins: the real ones once shown, else a typical allowance."""
    if not widget.isVisible():
        return FRAME_ALLOWANCE
    g, f = widget.geometry(), widget.frameGeometry()
    real = QMargins(g.left() - f.left(), g.top() - f.top(), f.right() - g.right(), f.bottom() - g.bottom())
    return real if not real.isNull() else QMargins()


def fit_to_screen(widget: QWidget) -> None:
    """Move and shrink a top-level window into its screen's available area (a maximised one is left alone)."""
    if widget.isMaximized() or widget.isFullScreen():
        return
    fitted = fit_rect(widget.geometry(), screen_of(widget).availableGeometry(), frame_of(widget))
    if fitted != widget.geometry():
        widget.setGeometry(fitted)
