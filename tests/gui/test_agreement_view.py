"""The Moderation screen's agreement panel on the demo store: the figures per group with their n, the drift
warnings, the drift chart and an auditor's grades against the moderated ones, chosen with the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from qadesk.services import agreement
from qadesk.ui.agreement_view import AgreementPanel
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui


def test_figures_warnings_chart_and_grid(open_window, demo_dir: Path, qtbot, tmp_path: Path) -> None:
    w = open_window("--data-dir", str(demo_dir))
    settle(w)
    panel = AgreementPanel(w.ctx.store, ops=w.ops)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    panel.refresh()
    qtbot.waitUntil(lambda: panel.figures is not None, timeout=20_000)
    with w.ctx.store.session() as s:
        pairs = agreement.overall_pairs(s)
    main = agreement.main_scale(pairs)
    assert main is not None and panel.scale.currentData() == main.key
    mine = [p for p in pairs if p.scale.key == main.key]
    assert panel.table.rowCount() == 1 and panel.table.item(0, 1).text() == f"{len(mine):,}"

    panel.by.setFocus()
    qtbot.keyClicks(panel.by, "By aud")  # a combo box chooses by the letters typed
    assert panel.by.currentData() == "auditor"
    groups = agreement.figures(mine, "auditor")
    assert panel.table.rowCount() == len(groups)
    for i, g in enumerate(groups):
        assert panel.table.item(i, 0).text() == g.group and panel.table.item(i, 1).text() == f"{g.n:,}"
        if not g.agreement.judgeable:
            assert panel.table.item(i, 2).text() == f"n = {g.n}: too few to judge"
            assert panel.table.item(i, 4).text() == ""  # never a bare figure for a small group

    flagged = [d for d in agreement.drifts(mine) if d.drift.warning]
    for d in flagged:
        assert d.auditor in panel.warnings.text()
    assert [r.auditor for r in panel.chart.rows] == [d.auditor for d in agreement.drifts(mine) if d.drift.n >= 3]
    drifts = agreement.drifts(mine)
    # A flagged auditor first; with none flagged, the one with the most moderated audits (their grid says most).
    most = max(drifts, key=lambda d: (d.drift.n, d.auditor)).auditor
    assert panel.auditor.currentText() == (flagged[0].auditor if flagged else most)
    panel.auditor.setFocus()
    qtbot.keyClick(panel.auditor, Qt.Key.Key_Down)
    who = panel.auditor.currentText()
    theirs = [(p.auditor_grade, p.final) for p in mine if p.auditor == who]
    assert sum(map(sum, panel.grid.counts)) == len(theirs)
    a, b = theirs[0]
    assert panel.grid.counts[a][b] >= 1
    panel.grab().save(str(tmp_path / "agreement.png"))
