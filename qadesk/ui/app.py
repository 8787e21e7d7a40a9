"""Starting the window: options, the data folder and its lock, first run, ``--demo`` and ``--self-test``.

``create_window(argv)`` builds the main window exactly as ``qadesk ARGV``
would, without entering the event loop (tests drive it); ``run(argv)`` is
what ``qadesk`` with no subcommand calls.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from qadesk import APP_ID, APP_NAME, ORGANISATION, __version__
from qadesk.core.bundle import bundle_path
from qadesk.core.errors import StateError, StoreLocked, ValidationError
from qadesk.services.profile import Profile
from qadesk.store import Store, default_data_dir, open_store
from qadesk.store.engine import DB_FILENAME
from qadesk.store.examine import NotAStore, StoreDamaged, StoreTooNew, StoreUnusable, StoreWriteFailed
from qadesk.store.single_writer import (
    StoreInUse,
    WindowClaim,
    claim_window,
    identify_process,
    refuse_while_converted,
)
from qadesk.ui import messages
from qadesk.ui.collector import collect_on_the_ui_thread
from qadesk.ui.context import AppContext
from qadesk.ui.lock import install_security, open_store_for_window
from qadesk.ui.main_window import MainWindow
from qadesk.ui.operations import in_transaction
from qadesk.ui.settings import Settings
from qadesk.ui.widgets import app_icon, resource_path

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

log = logging.getLogger("qadesk.app")

DEMO_AUDITS = 300
DEMO_SEED = 1
EXIT_WHEN_READY = "QADESK_EXIT_WHEN_READY"  # see docs/benchmarks.md


# ---------------------------------------------------------------------- the data folder and its lock


def chosen_data_dir(data_dir_option: str | None, settings: Settings) -> tuple[Path, bool]:
    """(folder, fixed): --data-dir, QADESK_DATA_DIR, the folder used last, or the platform's."""
    if data_dir_option:
        return Path(data_dir_option).expanduser(), True
    if os.environ.get("QADESK_DATA_DIR"):
        return default_data_dir(), True
    last = settings.get("data/last_folder")
    return (Path(last) if last else default_data_dir()), False


def take_lock(folder: Path) -> tuple[WindowClaim | _NoLock | None, str]:
    """The store's one window, for this copy of qadesk; (None, who holds it) if another window does.

    The lock is the store layer's (qadesk.store.single_writer), the one the command line honours:
    an operating-system lock, so one left by a copy that was killed or crashed blocks nobody."""
    identify_process(APP_NAME, "window")
    try:
        return claim_window(folder), ""
    except StoreInUse as exc:
        holder = exc.holder
        if holder is not None and holder.role == "window":
            return None, f"Another copy of {holder.who()}"
        return None, f"Another copy of {APP_NAME}"
    except OSError as exc:  # a folder that cannot be made or written: said when the store is opened
        log.warning("cannot lock %s: %s", folder, exc)
        return _NoLock(folder), ""


class _NoLock:
    """Stands for the window's lock where none can be taken (a read-only folder): opening then says why."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def release(self) -> None:
        pass


# What the window says, at start or on switching folder, about a store it cannot open: (title, heading).
_UNOPENABLE: tuple[tuple[type[Exception], str, str], ...] = (
    (NotAStore, "Not a QA Desk store", "This is not a QA Desk store"),
    (StoreTooNew, "Made by a newer QA Desk", "This store was made by a newer QA Desk"),
    (StoreDamaged, "The store is damaged", "This store is damaged"),
    (StoreWriteFailed, "The data folder cannot be used", "This data folder cannot be used"),
    (StoreInUse, "Data folder in use", "This data folder is in use"),
    (StoreUnusable, "The store cannot be opened", "This store cannot be opened"),
    (ValidationError, "Key information not accepted", "This store's key information file was not accepted"),
)


def describe_unopenable(exc: Exception) -> tuple[str, str]:
    for kind, title, heading in _UNOPENABLE:
        if isinstance(exc, kind):
            return title, heading
    return "The store cannot be opened", "This store cannot be opened"


def store_exists(folder: Path) -> bool:
    """True when ``folder`` holds a store (plain or encrypted: the database file has the same name)."""
    return (folder / DB_FILENAME).exists()


def install_shipped_templates(store: Store) -> int:
    """A new store gets the templates shipped in forms/, so the first audit can start at once."""
    from sqlalchemy import select

    from qadesk.store.models import TemplateVersion

    with store.session() as s:
        # One row is enough to know (list_templates would count every audit: 100 ms on a large store).
        if s.execute(select(TemplateVersion.pk).limit(1)).first() is not None:
            return 0
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import store_template

    forms = bundle_path("forms")
    n = 0
    with store.transaction() as s:
        for path in sorted(forms.glob("*.json")):
            store_template(s, read_template(path), actor="qadesk")
            n += 1
    return n


class LockedPage(QWidget):
    """Shown instead of the screens when the store cannot be opened here: another copy of qadesk has
    it open (``holder`` names it), or ``problem`` says what is wrong with it (not a store, damaged,
    made by a newer QA Desk, a folder that cannot be written)."""

    def __init__(self, folder: Path, holder: str, problem: tuple[str, str] | None = None) -> None:
        super().__init__()
        self.setObjectName("locked.page")
        self.folder = folder
        if problem is None:
            heading = "This data folder is already open"
            said = (f"{holder} is using the data in\n{folder}\n\n"
                    f"Two copies of {APP_NAME} writing to the same audits could overwrite each other's work, so "
                    "this copy has not opened it. Switch to the other window, or quit it and try again here.")
        else:
            heading, said = problem
        title = QLabel(heading)
        title.setObjectName("heading")
        text = QLabel(said)
        text.setObjectName("locked.text")
        text.setWordWrap(True)
        self.quit_button = QPushButton("&Quit")
        self.quit_button.setObjectName("locked.quit")
        self.retry_button = QPushButton("&Try again")
        self.retry_button.setObjectName("locked.retry")
        self.other_button = QPushButton("Use another &folder…")
        self.other_button.setObjectName("locked.other_folder")
        buttons = QHBoxLayout()
        for b in (self.quit_button, self.retry_button, self.other_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 48, 48, 48)
        layout.addWidget(title)
        layout.addWidget(text)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.setAccessibleName(heading if problem is not None
                               else "This data folder is already open in another copy of QA Desk")


# ---------------------------------------------------------------------- opening a store in a window


def _open(window: MainWindow, folder: Path, *, demo: bool) -> bool:
    """Lock ``folder``, open its store and show it in ``window``; False (and a message) if it cannot be.

    A store that cannot be opened (another copy has it, a conversion is running, not a store,
    damaged, made by a newer QA Desk, a folder that cannot be written) is told in a dialog saying
    what it is; ``window.open_problem`` keeps it for the page shown at start."""
    window.open_problem = None
    lock, holder = take_lock(folder)
    if lock is None:
        messages.warning(f"{holder} is using the data in {folder}. It was not opened.", parent=window,
                         title="Data folder in use")
        return False
    try:
        refuse_while_converted(folder)  # before any passphrase is asked for
        # An encrypted store asks for its passphrase; a new one recommends setting one (qadesk.ui.lock).
        store = open_store(folder) if demo else open_store_for_window(folder, window,
                                                                      interactive=messages.interactive())
        if store is None:  # the passphrase was not given
            lock.release()
            window.unlock_cancelled = True
            return False
        install_shipped_templates(store)
    except (StateError, ValidationError, StoreLocked) as exc:  # what the store is, said plainly (not a passphrase)
        lock.release()
        title, heading = describe_unopenable(exc)
        log.warning("the store in %s was not opened: %s", folder, exc)
        window.open_problem = (heading, str(exc))
        messages.warning(str(exc), parent=window, title=title)
        return False
    except BaseException:
        lock.release()
        raise
    window.store_lock = lock

    def release() -> None:
        store.close()
        lock.release()
        if demo:
            shutil.rmtree(folder, ignore_errors=True)

    window.release_store = release
    window.attach(AppContext(store=store, data_dir=folder, demo=demo))
    return True


def switch_store(window: MainWindow, folder: Path) -> bool:
    """Close the window's store (saving open audits) and open the one in ``folder``."""
    folder = Path(folder).expanduser()
    if window.ctx is not None and window.ctx.data_dir == folder:
        return True
    lock, holder = take_lock(folder)
    if lock is None:
        messages.warning(f"{holder} is using the data in {folder}. Nothing was changed.", parent=window,
                         title="Data folder in use")
        return False
    lock.release()  # taken again by _open, after the old store is let go
    previous = window.ctx.data_dir if window.ctx is not None and not window.ctx.demo else None
    window.ops.wait()
    window.detach()
    old = getattr(window, "release_store", None)
    if old is not None:
        old()
    if window.locked_page is not None:
        window.locked_page = None
        window.setCentralWidget(window.body)
    ok = _open(window, folder, demo=False)
    if ok:
        window.settings.set("data/last_folder", str(folder))
        return ok
    problem = window.open_problem
    if previous is not None and store_exists(previous):
        # The new folder's passphrase question (or unlock) was left, or its store could not be
        # opened (the dialog said why): back to the folder that was open.
        _open(window, previous, demo=False)
    if window.ctx is None:
        window.open_problem = problem
        _show_problem(window, folder)
    return ok


def _release(window: MainWindow) -> None:
    release = getattr(window, "release_store", None)
    if release is not None:
        window.release_store = None
        release()


def _start_demo(window: MainWindow) -> None:
    from qadesk.services.demo import generate

    ctx = window.ctx
    assert ctx is not None
    store = ctx.store

    def done(summary: object) -> None:
        from qadesk.services.demo_world import persona
        from qadesk.services.profile import Profile, get_profile, set_profile

        def add_persona(s: Session) -> None:
            if get_profile(s) is None:  # the demo's own made-up person, who audits a share of its audits
                name, role = persona()
                set_profile(s, Profile(name=name, role=role, team="Quality Assurance",
                                       organisation="Demonstration data"))

        def ready(_result: object) -> None:
            cases = window.screens.get("cases")
            if cases is not None:  # built while the data was made: it offers the case list written since
                cases.refresh()  # type: ignore[attr-defined]
            window.demo_ready = True
            window.statusBar().showMessage(f"Demonstration data ready: {summary}", 8000)

        in_transaction(window.ops, store, add_persona, label="Making demonstration data", parent=window, done=ready)

    def make(progress: Callable[[int, int], None], cancel: Callable[[], bool]) -> str:
        from qadesk.services.demo_cases import case_list_name, write_demo_case_list

        summary = generate(store, audits=DEMO_AUDITS, seed=DEMO_SEED, progress=progress, cancel=cancel)
        if folder is not None:  # last night's made-up case list, for the Case lists screen to offer
            write_demo_case_list(store, folder / case_list_name(date.today()), seed=DEMO_SEED)
        return summary

    folder = ctx.data_dir
    window.demo_ready = False
    window.demo_operation = window.ops.run(
        make, label="Making demonstration data", on_success=done,
        on_cancelled=lambda: done("stopped early; the audits made so far are kept"))


# ---------------------------------------------------------------------- the window


def apply_style(app: QApplication) -> None:
    """The one style sheet, the icon and the names Qt uses for settings and the task bar."""
    app.setApplicationName(APP_ID)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    qss = resource_path("style.qss")
    if qss.exists() and not app.property("qadesk_styled"):
        app.setStyle("Fusion")
        icons = resource_path("icons").as_posix()  # the sheet's url(icons/...) would be read from the working folder
        app.setStyleSheet(qss.read_text(encoding="utf-8").replace("url(icons/", f"url({icons}/"))
        app.setProperty("qadesk_styled", True)


def ask_first_run(window: MainWindow, folder: Path, fixed: bool, profile: Profile | None = None) -> QWidget:
    """First run: who is using qadesk and where the data lives, asked before any store is created.

    Only when the person presses Start is the store created (after the passphrase question,
    qadesk.ui.passphrase.first_run_store) in the folder they chose, so choosing another folder
    leaves nothing behind in the default one; Cancel quits having created nothing. Escape or Back
    on the passphrase question comes back here, with what was typed (``profile``) kept.
    """
    from qadesk.services.profile import set_profile
    from qadesk.ui.profile_dialog import ProfileDialog

    dialog = ProfileDialog(profile, folder, window.settings, window, first_run=True, folder_fixed=fixed)
    window.profile_dialog = dialog

    def accepted() -> None:
        chosen = dialog.data_dir() or folder
        window.unlock_cancelled = False
        if not _open(window, chosen, demo=False):  # in use by another copy, or the passphrase question left
            ask_first_run(window, chosen, fixed, dialog.profile())
            return
        assert window.ctx is not None
        profile = dialog.profile()
        if not fixed:
            window.settings.set("data/last_folder", str(chosen))
        in_transaction(window.ops, window.ctx.store, lambda s: set_profile(s, profile), label="Saving your profile",
                       parent=window)

    dialog.accepted.connect(accepted)
    dialog.rejected.connect(window.close)
    dialog.open()
    return dialog


def create_window(argv: Sequence[str]) -> MainWindow:
    """The main window as ``qadesk ARGV`` would show it (the caller owns the QApplication)."""
    from qadesk.commandline import build_parser

    return _create_window(build_parser().parse_args(list(argv)))


def _show_problem(window: MainWindow, folder: Path) -> None:
    """After a dialog said why the store in ``folder`` was not opened, a page keeps saying it."""
    if window.open_problem is None or window.ctx is not None:
        return
    page = LockedPage(folder, "", window.open_problem)
    if window.locked_page is None:
        window.takeCentralWidget()  # the screens are kept (setCentralWidget would delete them)
    window.locked_page = page
    window.setCentralWidget(page)
    _connect_locked_page(window, page, folder)


def _connect_locked_page(window: MainWindow, page: LockedPage, folder: Path) -> None:
    page.quit_button.clicked.connect(window.close)
    page.retry_button.clicked.connect(lambda: switch_store(window, folder))
    page.other_button.clicked.connect(window.choose_folder)


def _locked_window(settings: Settings, folder: Path, page: LockedPage) -> MainWindow:
    window = MainWindow(None, settings, locked=page)
    _connect_locked_page(window, page, folder)
    return window


def _create_window(args: argparse.Namespace) -> MainWindow:
    app = QApplication.instance()
    assert isinstance(app, QApplication), "create a QApplication first"
    collect_on_the_ui_thread(app)  # never on a worker thread, where it would delete the UI's objects
    apply_style(app)
    messages.setup_logging()
    settings = Settings()
    if args.demo:
        folder, fixed = Path(tempfile.mkdtemp(prefix="qadesk-demo-")), True
    else:
        folder, fixed = chosen_data_dir(args.data_dir, settings)

    first_run = not args.demo and not store_exists(folder)
    lock, holder = (None, "") if first_run else take_lock(folder)
    if first_run:
        window = MainWindow(None, settings)  # no store until the person has said where it goes
    elif lock is None:
        window = _locked_window(settings, folder, LockedPage(folder, holder))
        log.warning("data folder %s is locked by %s", folder, holder)
    else:
        lock.release()  # _open takes it again, with the store
        window = MainWindow(None, settings)
        if not _open(window, folder, demo=args.demo):
            _show_problem(window, folder)
    window.on_close.append(lambda: _release(window))
    window.idle_lock = install_security(window, settings.get("security/idle_lock_minutes"))
    window.show()

    if first_run:
        ask_first_run(window, folder, fixed)
        return window
    if window.ctx is None:
        return window
    if args.demo:
        _start_demo(window)
    elif window.ctx.profile() is None:
        window.edit_profile(first_run=True, folder_fixed=fixed)
    elif not fixed:
        settings.set("data/last_folder", str(folder))
    if args.open_audit:
        window.open_audit(args.open_audit)
    return window


def run(argv: Sequence[str]) -> int:
    """``qadesk`` with no subcommand: the window, or the offscreen self-test."""
    from qadesk.commandline import build_parser

    args = build_parser().parse_args(list(argv))  # once: building the parser costs a few milliseconds
    if args.self_test and not os.environ.get("QT_QPA_PLATFORM"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_ID])
    assert isinstance(app, QApplication)
    apply_style(app)
    messages.install_excepthooks()
    if args.self_test:
        from qadesk.ui.selftest import run_self_test

        return int(run_self_test(app))
    window = _create_window(args)
    if getattr(window, "unlock_cancelled", False):
        return 0  # the person chose not to unlock: nothing to show
    log.info("started %s %s on %s", APP_NAME, __version__, window.ctx.data_dir if window.ctx else "a locked folder")
    if os.environ.get(EXIT_WHEN_READY):
        exit_when_ready(app, window)
    return int(app.exec())


def window_ready(window: MainWindow) -> bool:
    """Shown on screen, a store open, the first screen built and no background loading left."""
    handle = window.windowHandle()
    return (window.isVisible() and handle is not None and handle.isExposed() and window.ctx is not None
            and bool(window.screens) and not window.ops.running)


def exit_when_ready(app: QApplication, window: MainWindow) -> None:
    """``QADESK_EXIT_WHEN_READY=1`` (the start-up benchmark): print "ready" and quit once usable."""
    timer = QTimer(window)
    timer.setInterval(2)

    def check() -> None:
        if window_ready(window):
            timer.stop()
            print("ready", flush=True)
            window.close()
            app.quit()

    timer.timeout.connect(check)
    timer.start()
