"""The window's menus: every action with its shortcut, listed where people look for it."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from qadesk import APP_NAME
from qadesk.services.queries import Selection, list_audits

if TYPE_CHECKING:
    from qadesk.ui.main_window import MainWindow

SCREENS = (
    ("home", "Home"),
    ("audits", "Audits"),
    ("actions", "Actions"),
    ("moderation", "Moderation"),
    ("programmes", "Programmes"),
    ("templates", "Templates"),
    ("reports", "Reports"),
    ("cases", "Case lists"),
)


def _action(
    window: MainWindow,
    menu: QMenu,
    text: str,
    slot: Callable[[], object],
    shortcut: str | QKeySequence | None = None,
    name: str | None = None,
) -> QAction:
    a = QAction(text, window)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
    a.triggered.connect(lambda _checked=False: slot())
    if name:
        a.setObjectName(name)
    menu.addAction(a)
    return a


def build_menus(window: MainWindow) -> None:
    bar = window.menuBar()
    file = bar.addMenu("&File")
    window.store_actions = [
        _action(window, file, "&New audit…", window.new_audit, "Ctrl+N", "action.new_audit"),
    ]
    window.store_actions.append(
        _action(window, file, "Import a &case list…", window.import_case_list, None, "action.import_case_list")
    )
    window.recent_menu = file.addMenu("&Recent audits")
    file.addSeparator()
    window.store_actions.append(
        _action(window, file, "Your &profile…", window.edit_profile, None, "action.profile")
    )
    window.store_actions.append(
        _action(window, file, "&Back up the data…", window.back_up, None, "action.backup")
    )
    _action(window, file, "Use another data &folder…", window.choose_folder, None, "action.folder")
    file.addSeparator()
    _action(window, file, "&Quit", window.close, "Ctrl+Q", "action.quit")
    go = bar.addMenu("&Go")
    for i, (key, label) in enumerate(SCREENS):
        window.store_actions.append(
            _action(
                window, go, label, partial(window.show_screen, key), f"Ctrl+{i + 1}", f"action.go.{key}"
            )
        )
    go.addSeparator()
    window.store_actions.append(
        _action(window, go, "&Find audits", window.focus_search, "Ctrl+F", "action.find")
    )
    audit = bar.addMenu("&Audit")
    submit = _action(window, audit, "&Submit…", window.submit_current_audit, "Ctrl+Shift+Return", "action.submit")
    submit.setShortcuts([QKeySequence("Ctrl+Shift+Return"), QKeySequence("Ctrl+Shift+Enter")])
    window.store_actions.append(submit)
    window.store_actions.append(
        _action(window, audit, "Re&open…", lambda: window.on_current_audit("reopen"), None, "action.reopen")
    )
    window.store_actions.append(
        _action(window, audit, "&History…", window.show_history, "Ctrl+H", "action.history")
    )
    window.store_actions.append(
        _action(window, audit, "Audit &report (PDF)…", lambda: window.on_current_audit("save_report"), None,
                "action.audit_report")
    )
    window.store_actions.append(
        _action(window, audit, "&Close audit", window.close_current_audit, "Ctrl+W", "action.close_audit")
    )
    window.store_actions.append(
        _action(window, audit, "Con&flicts to resolve…", window.show_conflicts, None, "action.conflicts")
    )
    help_menu = bar.addMenu("&Help")
    _action(window, help_menu, "&Keyboard shortcuts", window.show_shortcuts, "F1", "action.shortcuts")
    _action(window, help_menu, f"&About {APP_NAME}", window.show_about, None, "action.about")


def fill_recent(window: MainWindow) -> None:
    window.recent_menu.clear()
    if window.ctx is None:
        return
    ids = window.settings.get("audits/recent")
    with window.ctx.store.session() as s:
        found = (
            {r.id: r.reference for r in list_audits(s, Selection(audit_ids=ids), limit=None)} if ids else {}
        )
    for audit_id in ids:
        if audit_id in found:
            _action(window, window.recent_menu, found[audit_id], partial(window.open_audit, audit_id))
    window.recent_menu.setEnabled(bool(found))


def shortcuts_text(window: MainWindow) -> str:
    lines = []
    for menu in window.menuBar().findChildren(QMenu):
        for a in menu.actions():
            if not a.shortcut().isEmpty():
                name = a.text().replace("&", "").rstrip("…")
                # A tab, not spaces: the dialog's font is proportional, so spaces left the names ragged.
                lines.append(f"{a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}\t{name}")
    lines += [
        "Ctrl+PgDown\tNext page of the audit form (also Ctrl+Enter, or Tab to the page's Next button)",
        "Ctrl+PgUp\tPrevious page of the audit form",
        "Delete\tClear the chosen answer or grade (Ctrl+Z puts it back)",
        "Alt+Down\tOpen the calendar of a date box (also F4)",
        "Enter\tOpen the chosen audit in a list",
    ]
    return "\n".join(lines)
