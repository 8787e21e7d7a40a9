"""The main window: navigation, menus with shortcuts, the screens, open audits in tabs, the status bar."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from qadesk import APP_NAME, __version__
from qadesk.core.errors import QadeskError
from qadesk.services.audits import get_audit
from qadesk.services.blind_moderation import blind_until_judged
from qadesk.services.profile import current_actor_name
from qadesk.ui import messages
from qadesk.ui.change_hub import ChangeHub, follow
from qadesk.ui.context import AppContext
from qadesk.ui.menus import SCREENS, build_menus, fill_recent, shortcuts_text
from qadesk.ui.operations import Operation, Operations, in_transaction
from qadesk.ui.screen_fit import centred, fit_to_screen, frame_of, screen_of
from qadesk.ui.screens import SCREEN_CHANGES, make_screen
from qadesk.ui.settings import Settings
from qadesk.ui.widgets import app_icon, fmt_time

if TYPE_CHECKING:
    from qadesk.ui.audits_view import AuditsView
    from qadesk.ui.form import AuditFormView
    from qadesk.ui.lock import IdleLock

log = logging.getLogger("qadesk.window")
DEFAULT_SIZE = (1280, 800)  # shrunk to fit a smaller screen (qadesk.ui.screen_fit)



class MainWindow(QMainWindow):
    """One store, seven screens; ``ctx`` is None while the store is locked by another copy."""

    storeChanged = Signal()
    store_actions: list[QAction]  # made by qadesk.ui.menus.build_menus: enabled only while a store is open
    recent_menu: QMenu
    # Set by qadesk.ui.app, which opens a store into the window and holds its folder's lock
    # (qadesk.store.single_writer.WindowClaim); open_problem: why the store could not be opened.
    store_lock: object
    open_problem: tuple[str, str] | None
    release_store: Callable[[], None] | None
    unlock_cancelled: bool
    demo_ready: bool
    demo_operation: Operation
    idle_lock: IdleLock

    def __init__(self, ctx: AppContext | None, settings: Settings, *, locked: QWidget | None = None) -> None:
        super().__init__()
        self.ctx = ctx
        self.settings = settings
        self.on_close: list[Callable[[], None]] = []
        self.setObjectName("main_window")
        self.setWindowIcon(app_icon())
        self.ops = Operations(self)
        self.ops.started.connect(lambda label: self.statusBar().showMessage(f"{label}…"))
        self.ops.ended.connect(lambda _label: self.statusBar().clearMessage())
        self.screens: dict[str, QWidget] = {}
        self.forms: dict[str, AuditFormView] = {}

        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setAccessibleName("Screens")
        self.nav.setIconSize(QSize(18, 18))
        for i, (key, label) in enumerate(SCREENS):
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setToolTip(f"{label}  (Ctrl+{i + 1})")
            self.nav.addItem(item)
        self.nav.setFixedWidth(170)
        self.stack = QStackedWidget()
        self.stack.setObjectName("screens")
        self.audit_tabs = QTabWidget()
        self.audit_tabs.setObjectName("audits.tabs")
        self.audit_tabs.setTabsClosable(True)
        self.audit_tabs.setDocumentMode(True)
        self.audit_tabs.tabCloseRequested.connect(self.close_tab)
        self.audit_tabs.currentChanged.connect(lambda _i: self._update_title())
        self.body = QWidget()
        self.body.setObjectName("main.body")
        row = QHBoxLayout(self.body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        screens = QVBoxLayout()
        screens.setContentsMargins(16, 8, 16, 8)
        screens.addWidget(self.stack)
        row.addLayout(screens, 1)
        self.setCentralWidget(locked if locked is not None else self.body)
        self.locked_page = locked

        self.saved_label = QLabel()
        self.saved_label.setObjectName("status.saved")
        self.folder_label = QLabel()
        self.folder_label.setObjectName("status.folder")
        self.conflicts_label = QLabel()
        self.conflicts_label.setObjectName("status.conflicts")
        self.conflicts_label.hide()
        self.statusBar().addPermanentWidget(self.conflicts_label)
        self.statusBar().addPermanentWidget(self.saved_label)
        self.statusBar().addPermanentWidget(self.folder_label)
        self._build_menus()
        self.nav.currentRowChanged.connect(self._nav_changed)
        self._fitted = False  # once shown, the window is fitted to its screen with the real frame
        self._restore_state()
        if ctx is not None:
            self.attach(ctx)
        else:
            self.nav.setEnabled(False)
            for a in self.store_actions:
                a.setEnabled(False)
            self._update_title()

    # ------------------------------------------------------------------ store

    def attach(self, ctx: AppContext) -> None:
        """Show a (newly) opened store: every screen is rebuilt on first use."""
        self._close_hub()
        ctx.hub = ChangeHub(ctx.store, self)  # the one place changes to this store become a signal
        ctx.ops = self.ops  # the one database pool: the form's autosave queues with every other write
        self.ctx = ctx
        for key in list(self.screens):
            w = self.screens.pop(key)
            self.stack.removeWidget(w)
            w.deleteLater()
        self.nav.setEnabled(True)
        for a in self.store_actions:
            a.setEnabled(True)
        where = "demonstration data (thrown away on quit)" if ctx.demo else str(ctx.data_dir or ctx.store.url)
        self.folder_label.setText(where)
        self.folder_label.setToolTip("Where the data lives")
        row = screen_row(self.settings.get("window/screen"))
        self.nav.blockSignals(True)
        self.nav.setCurrentRow(row)
        self.nav.blockSignals(False)
        self._nav_changed(self.nav.currentRow())
        self._fill_recent()
        self._update_title()
        self.refresh_conflicts()
        self.refresh_gates()
        ctx.hub.changed.connect(lambda _changes: self.refresh_conflicts())  # a sync or an import may bring some
        ctx.hub.changed.connect(lambda changes: self.refresh_gates(changed=True) if changes.profile else None)
        self.storeChanged.emit()

    def detach(self) -> None:
        """Save and close every open audit (before quitting or switching store)."""
        self.flush_forms()
        while self.audit_tabs.count() > 1:
            self.close_tab(1)
        self._close_hub()

    def _close_hub(self) -> None:
        if self.ctx is not None and self.ctx.hub is not None:
            self.ctx.hub.close()

    def flush_forms(self) -> None:
        """Save every open audit's pending edits and wait until they are in the store."""
        for form in self.forms.values():
            form.flush()
        for form in self.forms.values():
            form.wait_saved()

    # ------------------------------------------------------------------ screens

    def screen_view(self, key: str) -> QWidget:
        """The screen, built the first time it is shown (start-up stays quick on a large store)."""
        if key not in self.screens:
            assert self.ctx is not None
            w = make_screen(self, key)
            w.setObjectName(w.objectName() or f"{key}.view")
            follow(self.ctx.hub, w, SCREEN_CHANGES[key], w.refresh)  # type: ignore[attr-defined]
            self.screens[key] = w
            self.stack.addWidget(w if key != "audits" else self.audit_tabs)
        return self.screens[key]

    def show_screen(self, key: str) -> QWidget:
        self.nav.setCurrentRow([k for k, _ in SCREENS].index(key))
        return self.screens[key]

    def _audits_screen(self) -> AuditsView:
        """The Audits screen, shown."""
        from qadesk.ui.audits_view import AuditsView

        w = self.show_screen("audits")
        assert isinstance(w, AuditsView)
        return w

    def _nav_changed(self, row: int) -> None:
        if row < 0 or self.ctx is None:
            return
        key = SCREENS[row][0]
        w = self.screen_view(key)
        self.stack.setCurrentWidget(self.audit_tabs if key == "audits" else w)  # stale since hidden: refreshed
        self.settings.set("window/screen", key)  # by name: a new screen in the list moves no one's choice
        self._update_title()

    def show_filtered(self, key: str, what: str) -> None:
        from qadesk.ui.actions_view import ActionsView
        from qadesk.ui.audits_view import AuditsView

        w = self.show_screen(key)
        if isinstance(w, ActionsView) and what:
            w.set_filter(what)
        if isinstance(w, AuditsView) and what == "my_drafts" and self.ctx is not None:
            self.audit_tabs.setCurrentIndex(0)
            w.clear_filters()
            w.status.setCurrentIndex(w.status.findData("draft"))
            w.auditor.setCurrentIndex(max(0, w.auditor.findData(self.ctx.actor())))

    def show_programme_audits(self, name: str) -> None:
        w = self._audits_screen()
        self.audit_tabs.setCurrentIndex(0)
        w.clear_filters()
        w.programme.setCurrentIndex(max(0, w.programme.findData(name)))

    # ------------------------------------------------------------------ audits

    def open_audit(self, audit_id: str) -> QWidget | None:
        """Open (or bring forward) an audit's form in a tab of the Audits screen."""
        if self.ctx is None:
            return None
        try:
            with self.ctx.store.session() as s:
                audit = get_audit(s, audit_id)
                audit_id, reference = audit.id, audit.reference
                hidden = blind_until_judged(s, audit_id, current_actor_name(s))
        except QadeskError as exc:
            messages.show_exception(exc, self)
            return None
        if hidden:
            # Sent here for blind moderation: the form would show the auditor's grades.
            messages.info(f"{reference} was sent here for blind moderation. Read its evidence and record your own "
                          "judgements on the Moderation screen first: the audit opens once they are recorded.",
                          parent=self, title="Blind moderation")
            return None
        self.show_screen("audits")
        self.settings.remember_audit(audit_id)
        self._fill_recent()
        if audit_id in self.forms:
            self.audit_tabs.setCurrentWidget(self.forms[audit_id])
            return self.forms[audit_id]
        from qadesk.ui.form import AuditFormView

        form = AuditFormView(self.ctx, audit_id)
        form.savedAt.connect(self._saved_at)
        form.openAuditRequested.connect(self.open_audit)
        self.forms[audit_id] = form
        i = self.audit_tabs.addTab(form, reference)
        self.audit_tabs.setTabToolTip(i, f"{reference}  (Ctrl+W closes)")
        self.audit_tabs.setCurrentIndex(i)
        return form

    def _form_in(self, w: QWidget | None) -> AuditFormView | None:
        """The open audit's form that ``w`` is, if it is one (the first tab is the list of audits)."""
        return next((f for f in self.forms.values() if f is w), None)

    def current_form(self) -> AuditFormView | None:
        form = self._form_in(self.audit_tabs.currentWidget())
        return form if self.stack.currentWidget() is self.audit_tabs else None

    def close_tab(self, index: int) -> None:
        w = self._form_in(self.audit_tabs.widget(index))
        if w is None:
            return
        w.wait_saved()
        self.forms.pop(w.audit_id)
        self.audit_tabs.removeTab(index)
        w.deleteLater()

    def close_current_audit(self) -> None:
        form = self.current_form()
        if form is not None:
            self.close_tab(self.audit_tabs.indexOf(form))

    def submit_current_audit(self) -> None:
        """The Audit menu's Submit: the open audit's form checks it and asks before submitting."""
        form = self.current_form()
        if form is None:
            self.statusBar().showMessage("Open an audit to submit it.", 5000)
            return
        if form.read_only:
            self.statusBar().showMessage(f"{form.reference} is already submitted.", 5000)
            return
        form.confirm_submit()

    def on_current_audit(self, what: str) -> None:
        """The Audit menu's Reopen and Report: the open audit's form does it (and asks what it needs)."""
        form = self.current_form()
        if form is None:
            self.statusBar().showMessage("Open an audit first.", 5000)
            return
        if what == "reopen" and not form.read_only:
            self.statusBar().showMessage(f"{form.reference} is a draft: it is open to "
                                         "changes already.", 5000)
            return
        getattr(form, what)()

    def show_history(self) -> None:
        """Audit ▸ History (Ctrl+H): the open audit's history, or that of the audit chosen in the list."""
        form = self.current_form()
        if form is not None:
            form.show_history()
            return
        from qadesk.ui.audits_view import AuditsView

        w = self.audit_tabs.currentWidget() if self.stack.currentWidget() is self.audit_tabs else None
        audit_id = w.current_audit_id() if isinstance(w, AuditsView) else None
        if audit_id is None:
            self.statusBar().showMessage("Open an audit, or choose one in the list, to see its history.", 5000)
            return
        self.show_history_of(audit_id)

    def show_history_of(self, audit_id: str) -> None:
        """One audit's history window (from the audits list's context menu)."""
        if self.ctx is None:
            return
        from qadesk.ui.history_view import open_history

        kept = self.__dict__.setdefault("_history_windows", {})
        open_history(self.ctx, audit_id, self, kept)

    def _saved_at(self, when: object) -> None:
        if isinstance(when, datetime):
            self.saved_label.setText(f"Saved {fmt_time(when)}")

    def new_audit(self, *, programme: str | None = None, template_id: str | None = None) -> None:
        if self.ctx is None:
            return
        from qadesk.ui.new_audit_dialog import NewAuditDialog

        dialog = NewAuditDialog(self.ctx, self.settings, self, programme=programme, template_id=template_id)
        self.new_audit_dialog = dialog

        def started() -> None:
            if dialog.audit_id:
                self.statusBar().showMessage(f"Started {dialog.reference}", 5000)
                self.open_audit(dialog.audit_id)

        dialog.accepted.connect(started)
        dialog.open()

    # ------------------------------------------------------------------ menus (qadesk.ui.menus)

    def _build_menus(self) -> None:
        build_menus(self)

    def _fill_recent(self) -> None:
        fill_recent(self)

    def focus_search(self) -> None:
        w = self._audits_screen()
        self.audit_tabs.setCurrentIndex(0)
        w.focus_search()

    def shortcuts_text(self) -> str:
        return shortcuts_text(self)

    def show_conflicts(self) -> QWidget | None:
        """Conflicts to resolve: fields this copy and another (the team server, a pack) changed differently."""
        if self.ctx is None:
            return None
        from qadesk.ui.conflicts_dialog import ConflictsDialog

        dialog = ConflictsDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _r: self.refresh_conflicts())
        dialog.show()
        self.conflicts_dialog = dialog
        return dialog

    def _roles_fixed(self) -> str | None:
        """Why the profile's roles are not this person's to change here (None when they are)."""
        from qadesk.services import permissions
        from qadesk.services.profile import roles_from_server

        assert self.ctx is not None
        with self.ctx.store.session() as s:
            me = permissions.me(s)
            if not self.ctx.store.is_sqlite:
                return (f"On the team server you are your login{f' ({me.login})' if me.login else ''}: "
                        f"{me.words}. The server's administrator changes your roles.")
            if roles_from_server(s):
                return (f"This laptop keeps to the roles the team server gives you: {me.words}. "
                        "The server's administrator changes them.")
        return None

    def refresh_gates(self, changed: bool = False) -> None:
        """Grey out the menu items this person may not use (their roles: qadesk.core.permissions), saying why;
        each screen does the same for its own buttons when it loads."""
        if self.ctx is None:
            return
        from qadesk.core.permissions import Do
        from qadesk.ui.widgets import gate

        for name, what in (("action.new_audit", Do.START_AUDIT), ("action.import_case_list", Do.IMPORT_CASES)):
            action = self.findChild(QAction, name)
            if action is not None:
                gate(action, self.ctx.why_not(what))
        for screen in self.screens.values():  # the screens built so far grey out their own buttons again
            refresh = getattr(screen, "refresh", None)
            if callable(refresh) and changed:
                refresh()

    def refresh_conflicts(self) -> None:
        """The status bar's count of conflicts waiting (hidden when none)."""
        if self.ctx is None:
            self.conflicts_label.hide()
            return
        from qadesk.services.conflicts import count_open

        with self.ctx.store.session() as s:
            n = count_open(s)
        self.conflicts_label.setText(f"Conflicts to resolve: {n:,}" if n else "")
        self.conflicts_label.setToolTip("Audit ▸ Conflicts to resolve…")
        self.conflicts_label.setVisible(bool(n))

    def show_shortcuts(self) -> None:
        messages.info(self.shortcuts_text(), parent=self, title="Keyboard shortcuts")

    def show_about(self) -> None:
        messages.info(f"{APP_NAME} {__version__}\nQuality assurance of children's social care case work, offline.\n"
                      f"Log file: {messages.log_file()}", parent=self, title=f"About {APP_NAME}")

    # ------------------------------------------------------------------ profile, folder, backup

    def edit_profile(self, *, first_run: bool = False, folder_fixed: bool = True) -> QWidget | None:
        if self.ctx is None:
            return None
        from qadesk.services.profile import set_profile
        from qadesk.ui.profile_dialog import ProfileDialog, store_encryption

        dialog = ProfileDialog(self.ctx.profile(), self.ctx.data_dir, self.settings, self,
                               first_run=first_run, folder_fixed=folder_fixed or self.ctx.demo,
                               roles_fixed=self._roles_fixed(), **store_encryption(self))
        self.profile_dialog = dialog

        def accepted() -> None:
            folder = dialog.data_dir()
            if folder and self.ctx and folder != self.ctx.data_dir and not self.switch_folder(folder):
                return
            assert self.ctx is not None
            ctx, profile = self.ctx, dialog.profile()

            def saved(_result: object) -> None:
                if ctx.data_dir and not ctx.demo:
                    self.settings.set("data/last_folder", str(ctx.data_dir))

            in_transaction(self.ops, ctx.store, lambda s: set_profile(s, profile), label="Saving your profile",
                           parent=self, done=saved)

        dialog.accepted.connect(accepted)
        if first_run:
            dialog.rejected.connect(self.close)
        dialog.open()
        return dialog

    def choose_folder(self) -> None:
        start = str(self.ctx.data_dir) if self.ctx and self.ctx.data_dir else ""
        folder = QFileDialog.getExistingDirectory(self, "Use another data folder", start)
        if folder:
            self.switch_folder(Path(folder))

    def switch_folder(self, folder: Path) -> bool:
        """Close this store and open the one in ``folder`` (handled by the app, which owns the lock)."""
        from qadesk.ui.app import switch_store

        return switch_store(self, folder)

    def import_case_list(self) -> None:
        """File > Import a case list: the Case lists screen, and the file to import chosen there."""
        if self.ctx is None:
            return
        screen = self.show_screen("cases")
        choose = getattr(screen, "choose_import", None)
        if choose is not None:
            choose()

    def back_up(self) -> None:
        if self.ctx is None:
            return
        stamp = datetime.now().strftime("%Y-%m-%d")
        target, _ = QFileDialog.getSaveFileName(self, "Back up the data", f"qadesk-backup-{stamp}.sqlite",
                                                "SQLite database (*.sqlite)")
        if not target:
            return
        store = self.ctx.store
        self.ops.run(lambda _p, _c: store.backup_to(Path(target)), label="Backing up the data",
                     on_success=lambda path: messages.info(f"A consistent copy was written to\n{path}",
                                                           parent=self, title="Backup written"))

    # ------------------------------------------------------------------ state

    def _update_title(self) -> None:
        parts = [APP_NAME]
        form = self.current_form()
        if form is not None:
            parts.insert(0, getattr(form, "reference", ""))
        if self.ctx is not None and self.ctx.demo:
            parts.append("demonstration data")
        self.setWindowTitle(" — ".join(p for p in parts if p))

    def _restore_state(self) -> None:
        geometry = self.settings.get("window/geometry")
        self._default_geometry = not geometry or not self.restoreGeometry(QByteArray(geometry))
        if self._default_geometry:
            self.setGeometry(centred(*DEFAULT_SIZE, screen_of(self).availableGeometry(), frame_of(self)))
        fit_to_screen(self)  # remembered on a bigger screen, or the default on a small laptop
        state = self.settings.get("window/state")
        if state:
            self.restoreState(QByteArray(state))

    def save_state(self) -> None:
        self.settings.set("window/geometry", bytes(self.saveGeometry().data()))
        self.settings.set("window/state", bytes(self.saveState().data()))
        self.settings.sync()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._fitted:
            self._fitted = True
            if self._default_geometry:  # now with the frame the window manager really drew
                self.setGeometry(centred(*DEFAULT_SIZE, screen_of(self).availableGeometry(), frame_of(self)))
            fit_to_screen(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if any(op.visible for op in self.ops.running) and not messages.ask(
                "Work is still running in the background. Stop it and quit?", parent=self,
                yes="Stop and quit", no="Keep working"):
            event.ignore()
            return
        self.ops.cancel_all()
        self.ops.wait()
        self.detach()
        self.save_state()
        for callback in self.on_close:
            try:
                callback()
            except Exception:  # noqa: BLE001 - closing must finish; the log keeps what went wrong
                log.exception("while closing")
        self.on_close.clear()
        event.accept()


def screen_row(remembered: str) -> int:
    """The navigation row of a remembered screen: its name, or the row number older copies saved; Home else."""
    names = [key for key, _label in SCREENS]
    if remembered in names:
        return names.index(remembered)
    if remembered.isdigit() and int(remembered) < len(SCREENS):
        return int(remembered)
    return 0
