"""Home: open urgent actions head the person's actions, above overdue ones, and an audit that flags an
urgent concern with no urgent action heads them all."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from qadesk.exchange.templates import read_template
from qadesk.services import audits as svc
from qadesk.services.profile import Profile, set_profile
from qadesk.services.templates import import_template
from qadesk.store import open_store
from tests.conftest import FORMS
from tests.gui.shell_support import open_window_fixture, settle  # noqa: F401
from tests.helpers.exports import fill_audit

pytestmark = pytest.mark.gui
ME = "Robin Madeup"


def test_urgent_actions_and_unanswered_concerns_head_home(open_window, qtbot, tmp_path: Path) -> None:
    data = tmp_path / "store"
    store = open_store(data)
    try:
        with store.transaction() as s:
            set_profile(s, Profile(name=ME, role="Team manager", team="Made-up Team", organisation="Example"))
            import_template(s, read_template(FORMS / "regular-case-audit.json"), actor="test")
            aid = svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref="MADEUP-1"), svc.Actor(ME)).id
            svc.add_action(s, aid, "Overdue tidy-up of the chronology", actor=ME, owner=ME, due=date(2020, 1, 1))
            svc.add_action(s, aid, "See the child today", actor=ME, owner=ME, due=date(2030, 1, 1), urgent=True,
                           told_whom="Made-up Manager", told_at=datetime(2026, 11, 1, 9, tzinfo=timezone.utc))
            # A completed audit that flags a concern but lost its urgent action (as an old pack would bring it).
            flagged = fill_audit(s, "regular-case-audit", case_ref="MADEUP-2", submit=False)
            svc.save_answer(s, flagged, "urgent_concern", "yes", actor=ME)
            svc.save_answer(s, flagged, "urgent_detail", "Made-up: left alone overnight", actor=ME)
            for a in list(svc.get_audit(s, flagged).actions):
                svc.remove_action(s, a.id, actor=ME)
            svc.add_action(s, flagged, "Strategy discussion", actor=ME, urgent=True, told_whom="Made-up Manager",
                           told_at=datetime(2026, 11, 1, 9, tzinfo=timezone.utc))
            audit = svc.submit(s, flagged, actor=ME)
            audit.auditor_name = ME
            reference = audit.reference
            for a in list(audit.actions):
                s.delete(a)
    finally:
        store.close()
    w = open_window("--data-dir", str(data))
    w.resize(1366, 768)
    w.show()
    home = w.show_screen("home")
    qtbot.waitUntil(lambda: home.summary is not None and not home.loading, timeout=5000)
    settle(w)
    lines = [home.my_actions.item(i).text() for i in range(home.my_actions.count())]
    assert lines[0] == f"URGENT  No urgent action for the concern in {reference}"
    assert lines[1].startswith("URGENT  See the child today")
    assert lines[2].startswith("OVERDUE  Overdue tidy-up")
    w.grab().save(str(tmp_path / "home.png"))
