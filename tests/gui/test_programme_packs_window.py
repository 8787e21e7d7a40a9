"""Packs for auditors from the Programmes screen, then one of them imported on "the auditor's laptop" (a
second store opened in the real window): the audits arrive filed under the programme, waiting on Home."""

from __future__ import annotations

import json
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPlainTextEdit

from qadesk.core.sampling import SampleOptions
from qadesk.services.programmes import ProgrammePlan, create_programme
from qadesk.services.sampling import confirm, list_auditors, propose
from tests.gui.shell_support import demo_dir_fixture, demo_master_fixture, open_window_fixture, settle  # noqa: F401

pytestmark = pytest.mark.gui
NAME = "Made-up packs, December"
TEAMS = ["Assessment Team 1", "Children in Care East"]


def test_packs_for_auditors_then_an_auditor_finds_theirs_waiting(open_window, demo_dir: Path, qtbot, tmp_path: Path,
                                                               monkeypatch, messages_seen) -> None:
    w = open_window("--data-dir", str(demo_dir))
    w.resize(1366, 768)
    w.show()
    ends = date.today() + timedelta(days=14)
    with w.ctx.store.transaction() as s:
        create_programme(s, ProgrammePlan(NAME, starts_on=ends.replace(day=1), ends_on=ends,
                                          template_id="regular-case-audit", teams=TEAMS), actor="Q. Lead")
    with w.ctx.store.transaction() as s:
        people = [a for a in list_auditors(s) if a.team not in TEAMS and a.name != w.ctx.actor()][:2]
        proposal = propose(s, NAME, SampleOptions(seed=5, per_team=3), people)
        created = confirm(s, proposal, actor="Q. Lead")
    by_auditor: dict[str, set[str]] = {}
    for c in created:
        by_auditor.setdefault(c.auditor, set()).add(c.audit_id)
    assert sum(map(len, by_auditor.values())) == 6

    view = w.show_screen("programmes")
    settle(w)
    assert view.table.horizontalHeaderItem(4).text() == "Audits"
    assert not view.packs_button.isEnabled()
    row = next(i for i in range(view.table.rowCount()) if view.table.item(i, 0).text() == NAME)
    view.table.selectRow(row)
    settle(w)
    assert view.packs_button.isEnabled()
    out = tmp_path / "to send"
    out.mkdir()
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getExistingDirectory",
                        lambda _parent, caption, _start: asked.append(caption) or str(out))
    qtbot.mouseClick(view.packs_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(view.last_packs), timeout=20_000)
    assert asked == [f"Where should the packs for {NAME} go?"]
    me = w.ctx.actor()
    assert {p.auditor for p in view.last_packs} == set(by_auditor) - {me}  # your own audits are here already
    for p in view.last_packs:
        with zipfile.ZipFile(p.result.path) as zf:
            assert set(json.loads(zf.read("manifest.json"))["audits"]) == by_auditor[p.auditor]
    shown = messages_seen[-1]
    assert shown.title == "Packs for auditors" and f"{len(view.last_packs)} packs written to {out}" in shown.text
    w.grab().save(str(tmp_path / "programmes-packs.png"))

    # The auditor's laptop: a new store whose profile is the auditor; Reports ▸ Import a pack.
    auditor = view.last_packs[0]
    from qadesk.services.profile import Profile, set_profile
    from qadesk.store import open_store

    store = open_store(tmp_path / "laptop")
    try:
        with store.transaction() as s:
            set_profile(s, Profile(name=auditor.auditor, role="Team manager", team="Quality Assurance",
                                   organisation="Made-up Council"))
    finally:
        store.close()
    laptop = open_window("--data-dir", str(tmp_path / "laptop"))
    laptop.resize(1366, 768)
    laptop.show()
    reports = laptop.show_screen("reports")
    reports.import_file(auditor.result.path)
    qtbot.waitUntil(lambda: reports.last_result is not None, timeout=20_000)
    text = reports.import_dialog.findChild(QPlainTextEdit, "pack_import.summary").toPlainText()
    assert f"assigned to {auditor.auditor} in {NAME}: {len(auditor.audits)}" in text and "note:" not in text
    home = laptop.show_screen("home")
    qtbot.waitUntil(lambda: len(home.assigned_audits) == len(auditor.audits), timeout=20_000)
    assert {a.audit_id for a in home.assigned_audits} == by_auditor[auditor.auditor]
    assert all(a.programme == NAME and a.due_on == ends for a in home.assigned_audits)
    laptop.grab().save(str(tmp_path / "laptop-home.png"))
