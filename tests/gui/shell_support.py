"""Shared fixtures (import the ``*_fixture`` functions into a test module) for the shell's GUI tests: a demo store made once, copied per test, and windows closed after."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

DEMO_AUDITS = 300
ANCHOR = date(2026, 11, 25)


@pytest.fixture(scope="session", name="demo_master")
def demo_master_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 made-up audits and a profile, generated once per test run."""
    from qadesk.services.demo import generate
    from qadesk.services.profile import Profile, set_profile
    from qadesk.services.queries import Selection, list_audits
    from qadesk.store import open_store

    folder = tmp_path_factory.mktemp("demo-master")
    store = open_store(folder)
    generate(store, audits=DEMO_AUDITS, seed=3, anchor=ANCHOR)
    with store.transaction() as s:
        # The user is an auditor of the made-up data, so Home has drafts and completions to show.
        name = list_audits(s, Selection(statuses=["completed"]), limit=1)[0].auditor
        set_profile(s, Profile(name=name, role="Team manager", organisation="Example Council"))
    store.close()
    return folder


@pytest.fixture(name="demo_dir")
def demo_dir_fixture(demo_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store for one test."""
    target = tmp_path / "demo-store"
    shutil.copytree(demo_master, target, ignore=shutil.ignore_patterns("*.lock", "qadesk.locks"))
    return target


def settle(window) -> None:
    """Wait until the window's background loading (Home, Actions, Moderation) has finished and been shown."""
    while window.ops.running:
        assert window.ops.wait(10_000), "background work did not finish"


@pytest.fixture(name="open_window")
def open_window_fixture(qtbot, messages_seen) -> Iterator[Callable[..., object]]:
    """``open_window(*argv)``: the real main window; every window is closed (and its store let go) after.

    The window's messages are recorded (``messages_seen``), and its message boxes closed before it.
    """
    from qadesk.ui.app import create_window

    windows = []

    def make(*argv: str):
        w = create_window(list(argv))
        windows.append(w)
        return w

    yield make
    messages_seen.close_boxes()
    for w in windows:
        dispose(w)
    windows.clear()


def dispose(window) -> None:
    """Close a main window (its store let go) and delete it now, with its timers.

    Left to Python's garbage collector, a closed window is deleted at some later allocation, which
    may come inside a later test's timer callback, while Qt is still delivering that timer's event
    to an object of the window being deleted: a use after free (seen as a segfault in
    QCoreApplication::notifyInternal2).
    """
    import shiboken6

    if not shiboken6.isValid(window):
        return
    window.ops.cancel_all()
    window.ops.wait()
    window.close()
    shiboken6.delete(window)
