"""Home at 1280×800: each line keeps its date whole; the demo's persona is greeted by a first name."""

from __future__ import annotations

from pathlib import Path

import pytest

from qadesk.services.demo_world import persona
from qadesk.ui.home_view import RIGHT_ROLE
from tests.gui.painted import painted_text
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui


def test_dates_at_the_end_of_home_lines_are_never_cut(open_window, demo_dir: Path, qtbot, tmp_path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1280, 800)
    w.show()
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: home.summary is not None and not home.loading, timeout=5000)
    settle(w)
    w.grab().save(str(tmp_path / "home.png"))
    checked = 0
    for lst in (home.drafts, home.completed, home.my_actions):
        painted = painted_text(lst.viewport())
        for row in range(lst.count()):
            right = lst.item(row).data(RIGHT_ROLE)
            if not right:
                continue  # the "nothing here" line
            assert right.split()[0] in ("started", "completed", "due")
            line = lst.visualRect(lst.model().index(row, 0))
            if not lst.viewport().rect().contains(line):
                continue  # scrolled out of sight: not painted, and read when scrolled to
            drawn = [p.text for p in painted if line.contains(p.rect.center().toPoint())]
            assert len(drawn) == 2 and drawn[1] == right, f"{lst.objectName()} row {row}: {drawn!r}"
            assert right.split(" ", 1)[1] in lst.item(row).toolTip()  # the date, in the tooltip too
            checked += 1
    assert checked >= 3


def test_the_demo_persona_has_a_full_made_up_name_and_work_to_show(open_window, qtbot, monkeypatch) -> None:
    import qadesk.ui.app as app

    monkeypatch.setattr(app, "DEMO_AUDITS", 40)
    w = open_window("--demo")
    qtbot.waitUntil(lambda: w.demo_ready, timeout=60_000)
    name, _role = persona()
    assert len(name.split()) == 2 and "." not in name
    assert w.ctx.actor() == name
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: home.heading.text().endswith(f", {name.split()[0]}"), timeout=5000)
    settle(w)
    assert home.summary.draft_count + len(home.summary.recently_completed) > 0  # the persona audits too
    w.close()
