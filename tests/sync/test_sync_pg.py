"""Two laptops and the team server (the real PostgreSQL test server): edits on all three, a connection
that really drops half-way, conflicts, and the command line; afterwards all three hold the same data,
every change is in history, and each store's history verifies."""

from __future__ import annotations

import pytest

from qadesk.services import conflicts, sync
from qadesk.store import open_store
from tests.helpers.cli import run_qadesk
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

pytestmark = pytest.mark.slow


@pytest.fixture
def server(pg_url):
    s = open_store(url=pg_url)
    yield s
    s.close()






def test_two_laptops_and_the_server_converge_after_a_dropped_connection_and_a_resolved_conflict(
        server, pg_server, pg_url, tmp_path):
    ids = seed_server(server, per_auditor=3)
    a, b = laptop(tmp_path / "laptop-a"), laptop(tmp_path / "laptop-b")
    sync.checkout(a, server, AUDITORS[0])
    sync.checkout(b, server, AUDITORS[1])
    mine_a, mine_b = ids[AUDITORS[0]], ids[AUDITORS[1]]
    qa = [first_question_with_evidence(a, aid, 0) for aid in mine_a]
    # Edits on all three: each laptop offline on its own audits; the server (a QA lead in the office) on both.
    for aid, q in zip(mine_a, qa, strict=True):
        evidence(a, aid, q, f"Laptop A, offline, on {q}", AUDITORS[0])
    qb = first_question_with_evidence(b, mine_b[0], 1)
    evidence(b, mine_b[0], qb, "Laptop B: the child's words recorded", AUDITORS[1])
    q_server = first_question_with_evidence(server, mine_a[1], 2)
    evidence(server, mine_a[1], q_server, "Server: the QA lead's added note", "Quinn Lead")
    evidence(server, mine_a[2], qa[2], "Server: a different note on the same question", "Quinn Lead")
    evidence(server, mine_b[0], qb, "Server: the team manager's view", "Quinn Lead")

    # Laptop A's connection drops after its first audit: the sync stops with an error, both sides consistent.
    done: list[str] = []

    def cut(aid: str) -> None:
        done.append(aid)
        if len(done) == 1:
            drop_connections(pg_server, pg_url, allow=False)

    with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises for a lost server
        sync.sync(a, server, after_each=cut)
    drop_connections(pg_server, pg_url, allow=True)
    server.engine.dispose()
    verified(a)
    verified(server)
    # The audit synced before the drop is whole on both (but for a field in conflict, kept on each side).
    with a.session() as s:
        held = conflicts.open_paths(s, done[0])
    here, there = documents(a, [done[0]])[done[0]], documents(server, [done[0]])[done[0]]
    assert {k: v for k, v in here.items() if k not in held} == {k: v for k, v in there.items() if k not in held}

    # Synced again: it resumes; the same-field edits are conflicts, the rest merges.
    r = sync.sync(a, server)
    assert r.open_conflicts == 1
    with a.session() as s:
        assert [c.path for c in conflicts.list_conflicts(s)] == [f"answers.{qa[2]}.evidence"]
    rb = sync.sync(b, server)
    assert [p for _, p in rb.conflicts] == [f"answers.{qb}.evidence"]
    again = sync.sync(a, server)
    assert not again.up and not again.down and again.open_conflicts == 1  # a repeat changes nothing

    with a.transaction() as s:
        (c,) = conflicts.list_conflicts(s)
        conflicts.resolve(s, c.id, "theirs", actor=AUDITORS[0])
    with b.transaction() as s:
        (c,) = conflicts.list_conflicts(s)
        conflicts.resolve(s, c.id, "edited", actor=AUDITORS[1], value="Agreed with the team manager: both views noted")
    sync.sync(a, server)
    sync.sync(b, server)
    assert documents(a) == documents(server, mine_a)
    assert documents(b) == documents(server, mine_b)
    server_docs = documents(server)
    assert server_docs[mine_a[1]][f"answers.{q_server}.evidence"] == "Server: the QA lead's added note"
    assert server_docs[mine_a[1]][f"answers.{qa[1]}.evidence"] == f"Laptop A, offline, on {qa[1]}"
    assert server_docs[mine_a[2]][f"answers.{qa[2]}.evidence"] == "Server: a different note on the same question"
    assert server_docs[mine_b[0]][f"answers.{qb}.evidence"] == "Agreed with the team manager: both views noted"
    # Every change is in the server's history: each laptop edit under its author, and the resolutions.
    from qadesk.store.models import HistoryEntry

    with server.session() as s:
        entries = s.query(HistoryEntry).all()
    texts = [(e.actor, e.action, e.after or "") for e in entries]
    for q in qa:
        assert any(actor == AUDITORS[0] and f"Laptop A, offline, on {q}" in after for actor, _, after in texts), q
    assert sum(1 for _, action, _ in texts if action == "resolve") == 2
    assert len([e for e in entries if '"origin_seq"' in (e.after or "")]) == len(
        {(e.after or "")[-200:] for e in entries if '"origin_seq"' in (e.after or "")})  # no entry copied twice
    for store in (a, b, server):
        verified(store)
    final = [sync.sync(x, server) for x in (a, b)]
    assert all(not f.up and not f.down and f.unchanged == 3 for f in final)
    a.close()
    b.close()


def test_the_command_line_checks_out_syncs_and_resolves(server, pg_url, tmp_path):
    ids = seed_server(server, per_auditor=1)
    folder = tmp_path / "laptop"
    env = {"QADESK_DATABASE_URL": ""}
    r = run_qadesk(folder, "sync", "checkout", "--server", pg_url, "--person", AUDITORS[0], **env)
    assert r.returncode == 0, r.stderr
    assert "now syncs with 127.0.0.1/" in r.stdout and "(1 new here)" in r.stdout
    st = run_qadesk(folder, "sync", "status", **env)
    assert f"for {AUDITORS[0]}: 1 audits checked out" in st.stdout
    aid = ids[AUDITORS[0]][0]
    lap = laptop(folder)
    q = first_question_with_evidence(lap, aid, 0)
    evidence(lap, aid, q, "On the laptop", AUDITORS[0])
    lap.close()
    evidence(server, aid, q, "On the server", "Quinn Lead")
    r = run_qadesk(folder, "sync", **env)
    assert r.returncode == 3 and "conflicts found" in r.stdout and f"answers.{q}.evidence" in r.stdout
    listed = run_qadesk(folder, "conflicts", "list", **env)
    cid = listed.stdout.split()[0]
    assert "mine:   On the laptop" in listed.stdout and "theirs: On the server" in listed.stdout
    r = run_qadesk(folder, "conflicts", "resolve", cid, "both", **env)
    assert r.returncode == 0 and "resolved (both)" in r.stdout
    r = run_qadesk(folder, "sync", **env)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert documents(server, [aid])[aid][f"answers.{q}.evidence"] == "On the laptop\n\nOn the server"
    assert "No conflicts wait" in run_qadesk(folder, "conflicts", "list", **env).stdout


def test_qadesk_server_take_in_moves_a_laptop_store_onto_the_server(server, pg_url, tmp_path):
    from tests.sync.test_take_in import _counts, _make_laptop

    store, ids = _make_laptop(tmp_path / "laptop-c", "Robin Fictional", 3, 3)
    want = _counts(store)
    store.close()
    r = run_qadesk(None, "server", "take-in", str(tmp_path / "laptop-c"), QADESK_DATABASE_URL=pg_url)
    assert r.returncode == 0, r.stderr
    assert "audits new to the server: 3" in r.stdout
    assert _counts(server, ids) == want
    again = run_qadesk(None, "server", "take-in", str(tmp_path / "laptop-c"), QADESK_DATABASE_URL=pg_url)
    assert "audits new to the server: 0" in again.stdout and "history entries taken in: 0" in again.stdout
    verified(server)
