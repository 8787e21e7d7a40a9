"""Moving a council on: each laptop's store taken into the team server, every row and history entry kept
(counted), and an audit both laptops hold becomes conflicts to resolve on the server, not a duplicate.
Run with a second SQLite store as the server here; test_take_in_pg.py runs it on PostgreSQL."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from qadesk.core.selection import Selection
from qadesk.services import audits as svc
from qadesk.services import conflicts, sync
from qadesk.services.packs import export_pack, import_pack
from qadesk.store.models import ActionItem, Answer, Audit, HistoryEntry, Moderation, SectionJudgement
from tests.helpers.exports import fill_audit
from tests.sync.sync_world import documents, first_question_with_evidence, laptop, verified

KINDS = (Audit, Answer, SectionJudgement, ActionItem, Moderation)


def _counts(store, ids=None):
    with store.session() as s:
        out = {}
        for model in KINDS:
            col = model.id if model is Audit else model.audit_id
            q = select(func.count()).select_from(model)
            if ids is not None:
                q = q.where(col.in_(ids))
            out[model.__tablename__] = s.execute(q).scalar_one()
        return out


def _entries(store):
    with store.session() as s:
        return Counter((e.actor, e.action, e.entity, e.entity_id, e.audit_id)
                       for e in s.execute(select(HistoryEntry)).scalars())


def _make_laptop(folder, who, n, start):
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template
    from tests.conftest import FORMS

    store = laptop(folder)
    with store.transaction() as s:
        for path in sorted(FORMS.glob("*.json")):
            import_template(s, read_template(path), actor=who)
        ids = [fill_audit(s, "regular-case-audit", n=k, auditor=who, case_ref=f"CR-6{start}{k:03d}",
                          practitioner="Jo Madeup", submit=k % 2 == 0) for k in range(n)]
        svc.moderate(s, ids[0], moderator=svc.Actor("Morgan Moderator"), agreed=True, rationale="Agreed")
    return store, ids


@pytest.fixture
def server(tmp_path):
    s = laptop(tmp_path / "server")
    yield s
    s.close()


def test_two_laptops_move_onto_the_server_with_every_row_and_entry_and_a_shared_audit_conflicts(server, tmp_path):
    a, ids_a = _make_laptop(tmp_path / "a", "Robin Fictional", 4, 1)
    b, ids_b = _make_laptop(tmp_path / "b", "Sam Madeup", 3, 2)
    # Laptop B also holds one of A's drafts (sent in a pack), and both edit the same evidence differently.
    shared = ids_a[1]
    pack = tmp_path / "shared.qapack"
    export_pack(a, pack, kind="audit_transfer", selection=Selection(audit_ids=[shared]))
    import_pack(b, pack)
    q = first_question_with_evidence(a, shared, 0)
    for store, text, who in ((a, "A: seen at home", "Robin Fictional"), (b, "B: seen at school", "Sam Madeup")):
        with store.transaction() as s:
            value = svc.state_of(svc.get_audit(s, shared)).answers.get(q)
            svc.save_answer(s, shared, q, value, actor=who, evidence=text)
    before_a, before_b = _counts(a), _counts(b)
    entries_a, entries_b = _entries(a), _entries(b)

    ra = sync.take_in(server, a, name="laptop A")
    assert len(ra.created) == 4 and not ra.conflicts
    rb = sync.take_in(server, b, name="laptop B")
    assert len(rb.created) == 3 and [p for _, p in rb.conflicts] == [f"answers.{q}.evidence"]

    everyone = sorted(set(ids_a) | set(ids_b))
    on_server = _counts(server)
    assert on_server["audits"] == 7  # the shared audit once, not twice
    for kind in ("answers", "section_judgements", "actions", "moderations"):
        assert on_server[kind] == _counts(a)[kind] + _counts(b, ids_b)[kind], kind
    assert _counts(a) == before_a and _counts(b) == before_b  # the laptops are only read
    # Every history entry of both laptops is in the server's chain (the same person, action and record).
    got = _entries(server)
    for want in (entries_a, entries_b):
        for key, n in want.items():
            if key[1] == "sync":
                continue
            assert got[key] >= n, key
    assert documents(server, ids_a)[ids_a[0]] == documents(a, [ids_a[0]])[ids_a[0]]
    with server.transaction() as s:
        (c,) = conflicts.list_conflicts(s)
        assert c.mine == "A: seen at home" and c.theirs == "B: seen at school" and c.source_ref == "laptop B"
        conflicts.resolve(s, c.id, "both", actor="Quinn Lead")
    again = sync.take_in(server, b, name="laptop B")
    assert not again.created and not again.conflicts and again.entries == 0
    assert _counts(server)["audits"] == 7
    verified(server)
    assert everyone
    a.close()
    b.close()
