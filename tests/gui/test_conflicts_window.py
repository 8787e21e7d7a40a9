"""Conflicts resolved in the window, through its real widgets: after a sync of two laptops with the team
server (the real PostgreSQL test server) in which a connection dropped half-way, and after a pack import."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from qadesk.services import conflicts, sync
from qadesk.services.profile import Profile, set_profile
from qadesk.store import open_store
from qadesk.store.models import HistoryEntry
from tests.gui.shell_support import dispose, open_window_fixture, settle  # noqa: F401
from tests.sync.sync_world import (
    AUDITORS,
    documents,
    drop_connections,
    evidence,
    first_question_with_evidence,
    laptop,
    seed_server,
    verified,
)

pytestmark = [pytest.mark.gui, pytest.mark.slow]






def test_two_laptops_sync_through_a_dropped_connection_and_the_conflicts_are_resolved_in_the_window(
        open_window, qtbot, pg_server, pg_url, tmp_path: Path):
    server = open_store(url=pg_url)
    ids = seed_server(server, per_auditor=2)
    folder_a = tmp_path / "laptop-a"
    a, b = laptop(folder_a), laptop(tmp_path / "laptop-b")
    with a.transaction() as s:
        set_profile(s, Profile(name=AUDITORS[0], role="Senior practitioner", organisation="Example Council"))
    sync.checkout(a, server, AUDITORS[0])
    sync.checkout(b, server, AUDITORS[1])
    a1, a2 = ids[AUDITORS[0]]
    b1 = ids[AUDITORS[1]][0]
    q1, q2 = first_question_with_evidence(a, a1, 0), first_question_with_evidence(a, a2, 1)
    qb, qs = first_question_with_evidence(b, b1, 0), first_question_with_evidence(b, b1, 1)
    # Edits on all three: the same fields of A's audits on the laptop and on the server; B and the server
    # on different fields of B's audit.
    evidence(a, a1, q1, "Laptop: the child was seen alone at home", AUDITORS[0])
    evidence(server, a1, q1, "Server: seen with the family support worker", "Quinn Lead")
    evidence(a, a2, q2, "Laptop: no plan on file", AUDITORS[0])
    evidence(server, a2, q2, "Server: plan added on 1 Dec", "Quinn Lead")
    evidence(b, b1, qb, "Laptop B: the school was asked", AUDITORS[1])
    evidence(server, b1, qs, "Server: the QA lead's note", "Quinn Lead")

    calls: list[str] = []

    def cut(aid: str) -> None:
        calls.append(aid)
        if len(calls) == 1:
            drop_connections(pg_server, pg_url, allow=False)

    with pytest.raises(Exception):  # noqa: B017 - the driver's own error for a server gone away
        sync.sync(a, server, after_each=cut)
    drop_connections(pg_server, pg_url, allow=True)
    server.engine.dispose()
    sync.sync(a, server)
    sync.sync(b, server)
    with a.session() as s:
        assert sorted(c.path for c in conflicts.list_conflicts(s)) == sorted([f"answers.{q1}.evidence",
                                                                             f"answers.{q2}.evidence"])
    a.close()

    w = open_window("--data-dir", str(folder_a))
    settle(w)
    assert w.conflicts_label.isVisible() and "2" in w.conflicts_label.text()
    action = w.findChild(QAction, "action.conflicts")
    action.trigger()
    dialog = w.conflicts_dialog
    qtbot.waitExposed(dialog)
    assert dialog.list.count() == 2
    dialog.resize(1366 - 80, 768 - 80)
    dialog.grab().save(str(tmp_path / "conflicts.png"))
    first = dialog.current()
    assert first["field"].startswith("Evidence for: ") and first["from"].startswith("the team server")
    assert dialog.mine.toPlainText().startswith("Laptop:") and dialog.theirs.toPlainText().startswith("Server:")
    qtbot.mouseClick(dialog.keep_both, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.count() == 1, timeout=10_000)
    second = dialog.current()
    qtbot.mouseClick(dialog.edit, Qt.MouseButton.LeftButton)
    assert dialog.editor.isVisible()
    dialog.editor.selectAll()
    qtbot.keyClicks(dialog.editor, "Agreed with Quinn: a plan was added on 1 Dec")
    qtbot.mouseClick(dialog.save_edit, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.list.count() == 0, timeout=10_000)
    assert "All resolved" in dialog.heading.text() and not dialog.keep_mine.isEnabled()
    dialog.close()
    qtbot.waitUntil(lambda: not w.conflicts_label.isVisible(), timeout=10_000)
    dispose(w)

    a = laptop(folder_a)
    sync.sync(a, server)
    sync.sync(b, server)
    both = f"{first['mine']}\n\n{first['theirs']}"
    edited_path = second["path"]
    server_docs = documents(server)
    assert server_docs[first["audit_id"]][first["path"]] == both
    assert server_docs[second["audit_id"]][edited_path] == "Agreed with Quinn: a plan was added on 1 Dec"
    assert documents(a) == documents(server, ids[AUDITORS[0]])
    assert documents(b) == documents(server, ids[AUDITORS[1]])
    assert server_docs[b1][f"answers.{qb}.evidence"] == "Laptop B: the school was asked"
    assert server_docs[b1][f"answers.{qs}.evidence"] == "Server: the QA lead's note"
    with server.session() as s:
        entries = s.query(HistoryEntry).all()
        resolutions = [e for e in entries if e.action == "resolve"]
        assert len(resolutions) == 2 and {e.actor for e in resolutions} == {AUDITORS[0]}
        for text in ("Laptop: the child was seen alone at home", "Laptop: no plan on file",
                     "Laptop B: the school was asked"):
            assert any(text in (e.after or "") and e.action == "answer" for e in entries), text
    for store in (a, b, server):
        verified(store)
    for store in (a, b, server):
        store.close()
