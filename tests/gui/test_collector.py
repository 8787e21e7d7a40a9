"""Reference cycles are collected on the UI thread, never on a worker thread (qadesk.ui.collector)."""

from __future__ import annotations

import gc
import threading

import pytest

from qadesk.ui.collector import collect_on_the_ui_thread

pytestmark = pytest.mark.gui


class Cycle:
    """Half of a reference cycle that notes which thread finalised it."""

    finalised_on: list[int] = []

    def __init__(self) -> None:
        self.other = self

    def __del__(self) -> None:
        Cycle.finalised_on.append(threading.get_ident())


def test_cycles_left_by_the_ui_are_collected_on_the_ui_thread_not_a_worker(qapp, qtbot) -> None:
    collect_on_the_ui_thread(qapp)
    assert not gc.isenabled()  # no thread collects by itself while the window's app lives
    Cycle.finalised_on.clear()
    for _ in range(50):
        Cycle()

    kept: list[list[list[int]]] = []

    def allocate() -> None:  # a worker busy allocating, as a background query does: far past every threshold
        kept.append([[] for _ in range(20 * sum(gc.get_threshold()))])

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert Cycle.finalised_on == []  # the worker collected nothing
    qtbot.waitUntil(lambda: len(Cycle.finalised_on) == 50, timeout=5000)
    assert set(Cycle.finalised_on) == {threading.main_thread().ident}
    kept.clear()
