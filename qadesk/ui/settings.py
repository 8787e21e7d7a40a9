"""Typed settings of the window, every one declared here with its type and default.

Settings that belong to the person at this computer (window geometry, the last
data folder, recent audits) live in a QSettings ini file; settings that belong
with the data (the profile) live in the store.  ``QADESK_CONFIG_DIR`` moves the
ini file (portable use; each test points it at a fresh folder).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from qadesk import APP_ID, ORGANISATION
from qadesk.store.paths import keep_private, private_dir, private_file


@dataclass(frozen=True)
class Option:
    key: str
    type: type
    default: Any
    doc: str


OPTIONS: dict[str, Option] = {o.key: o for o in (
    Option("data/last_folder", str, "", "The data folder used last (empty: the platform's data folder)."),
    Option("security/idle_lock_minutes", int, 10,
           "Minutes without input before the window locks (encrypted stores only; 0: never)."),
    Option("audits/recent", list, [], "Ids of the audits opened most recently, newest first."),
    Option("audits/recent_max", int, 10, "How many recent audits the File menu lists."),
    Option("window/geometry", bytes, b"", "The main window's position and size."),
    Option("window/state", bytes, b"", "The main window's splitters, toolbars and docks."),
    Option("window/screen", str, "home",
           "The screen shown last, by its name (home, audits, ...); a number, as older copies wrote, is its row."),
    # The columns a list shows (right-click its header to choose); the defaults fit a 1366x768 laptop.
    Option("audits/columns", list, ["reference", "status", "template", "case_ref", "case_type", "team", "auditor",
                                    "started_at", "grade"], "The columns the Audits list shows."),
    Option("moderation/columns", list, ["reference", "auditor", "completed_at", "grade"],
           "The columns the Moderation screen's list of audits awaiting moderation shows."),
)}

GEOMETRY_PREFIX = "geometry/"  # + a dialog's class name: each dialog remembers its own size


def config_dir() -> Path:
    """Where the settings file lives: QADESK_CONFIG_DIR, else the platform's config folder."""
    env = os.environ.get("QADESK_CONFIG_DIR")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_ID, ORGANISATION))


class Settings:
    """Read and write the declared options; unknown keys are a programming error."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / "qadesk.ini"
        # It names the stores and audits last opened: its owner's alone, like the store itself.
        private_dir(self.path.parent)
        private_file(self.path)
        self._qs = QSettings(str(self.path), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        opt = OPTIONS[key]
        raw = self._qs.value(key)
        if raw is None:
            return opt.default
        try:
            if opt.type is bytes:
                return bytes(raw.data()) if isinstance(raw, QByteArray) else bytes(raw)
            if opt.type is list:
                if isinstance(raw, str):
                    return [raw] if raw else []
                return [str(x) for x in raw]
            if opt.type is int:
                return int(raw)
            return opt.type(raw)
        except (TypeError, ValueError):
            # A hand-edited or damaged ini file must not stop the window from opening.
            return opt.default

    def set(self, key: str, value: Any) -> None:
        opt = OPTIONS[key]
        if opt.type is bytes:
            self._qs.setValue(key, QByteArray(bytes(value)))
        elif opt.type is list:
            self._qs.setValue(key, [str(x) for x in value])
        else:
            self._qs.setValue(key, opt.type(value))

    def sync(self) -> None:
        self._qs.sync()
        keep_private(self.path)  # written anew (a temporary file renamed over it), so said again

    # Geometry per dialog class (Picard's idea): each dialog opens where it was left.

    def save_geometry(self, widget: Any) -> None:
        self._qs.setValue(GEOMETRY_PREFIX + type(widget).__name__, widget.saveGeometry())

    def restore_geometry(self, widget: Any) -> bool:
        raw = self._qs.value(GEOMETRY_PREFIX + type(widget).__name__)
        if isinstance(raw, QByteArray) and not raw.isEmpty():
            return bool(widget.restoreGeometry(raw))
        return False

    # Recent audits

    def remember_audit(self, audit_id: str) -> None:
        recent = [a for a in self.get("audits/recent") if a != audit_id]
        recent.insert(0, audit_id)
        self.set("audits/recent", recent[: self.get("audits/recent_max")])
