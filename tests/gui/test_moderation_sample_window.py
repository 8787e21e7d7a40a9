"""Choose what to moderate, in the real window with real keys: the draw shows each audit with why before
anything is recorded; choosing records exactly those and keeps the rules as the QA lead's settings."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from qadesk.services import moderation_sampling as ms
from qadesk.store.models import ModerationChoice
from qadesk.ui.moderation_sample_dialog import ModerationSampleDialog
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui


def _type(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(widget, text)


def test_draw_shows_reasons_then_choosing_records_exactly_those(open_window, demo_dir: Path, qtbot,
                                                               tmp_path: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1366, 768)
    w.show()
    settle(w)
    dialog = ModerationSampleDialog(w.ctx, w)
    dialog.show()
    qtbot.waitExposed(dialog)
    today = date.today()
    _type(qtbot, dialog.since.edit, (today - timedelta(days=365)).strftime("%d/%m/%Y"))
    qtbot.keyClick(dialog.since.edit, Qt.Key.Key_Tab)
    _type(qtbot, dialog.until.edit, today.strftime("%d/%m/%Y"))
    qtbot.keyClick(dialog.until.edit, Qt.Key.Key_Tab)
    _type(qtbot, dialog.percent, "15")
    _type(qtbot, dialog.minimum, "1")
    _type(qtbot, dialog.seed, "2468")
    if not dialog.extremes.isChecked():
        dialog.extremes.setFocus()
        qtbot.keyClick(dialog.extremes, Qt.Key.Key_Space)
    assert dialog.options().since == today - timedelta(days=365) and dialog.options().percent == 15
    with w.ctx.store.session() as s:
        assert s.query(ModerationChoice).count() == 0
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.sample is not None, timeout=10_000)
    sample = dialog.sample
    assert sample.chosen and dialog.chosen.rowCount() == len(sample.chosen)
    assert all(dialog.chosen.item(i, 4).text() for i in range(dialog.chosen.rowCount()))
    assert dialog.strata.rowCount() == len(sample.strata)
    assert "seed 2468" in dialog.summary.text()
    with w.ctx.store.session() as s:
        assert s.query(ModerationChoice).count() == 0  # drawing records nothing
    dialog.grab().save(str(tmp_path / "moderation-sample.png"))

    _type(qtbot, dialog.seed, "2469")  # a changed rule must be drawn again before choosing
    assert dialog.sample is None and not dialog.choose_button.isEnabled()
    _type(qtbot, dialog.seed, "2468")
    qtbot.keyClick(dialog.draw_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.sample is not None, timeout=10_000)
    shown = {c.candidate.audit_id for c in dialog.sample.chosen}
    assert shown == {c.candidate.audit_id for c in sample.chosen}
    qtbot.keyClick(dialog.choose_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: dialog.recorded is not None, timeout=10_000)
    assert dialog.recorded == len(shown)
    with w.ctx.store.session() as s:
        assert {c.audit_id for c in ms.chosen_awaiting(s)} == shown
        rules = ms.get_rules(s)
    assert (rules.percent, rules.minimum_per_quarter, rules.all_extremes) == (15, 1, True)
