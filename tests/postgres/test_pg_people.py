"""On the team server each person is their database login: two people's first runs keep a profile each
(neither writes over the other's), and every change in the history names the person who made it."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from qadesk.services import audits as svc
from qadesk.services.profile import Profile, current_actor_name, get_profile, set_profile
from qadesk.store import open_store, server_roles
from qadesk.store.models import HistoryEntry
from tests.helpers.exports import import_dict

SMALL = {
    "format": "qadesk-template/1", "id": "people-test", "version": 1, "title": "People test", "kind": "regular",
    "lists": {"g": [{"value": "ok", "label": "OK", "score": 1}]}, "overall": {"list": "g", "suggest": "none"},
    "sections": [{"id": "s", "title": "S", "questions": [{"id": "q", "type": "integer", "label": "Q"}]}],
}


def _login(pg_server, database: str) -> str:
    """A person's own role on the server, with what qadesk's tables need granted."""
    name = f"p_{uuid.uuid4().hex[:10]}"
    pg_server.execute(f'CREATE ROLE "{name}" LOGIN')
    pg_server.execute(f'GRANT qadesk_auditor TO "{name}"', database)  # an auditor (qadesk server setup-roles)
    return name


def test_two_people_on_the_server_keep_a_profile_each_and_the_history_names_each(pg_server, pg_url: str) -> None:
    database = pg_url.rsplit("/", 1)[1]
    store = open_store(url=pg_url)  # made (migrated) by the server's owner
    import_dict(store, SMALL)
    with store.transaction() as s:
        server_roles.setup(s.connection())
    store.close()
    first, second = _login(pg_server, database), _login(pg_server, database)
    mine = open_store(url=pg_server.url(database, first), migrate=False)
    theirs = open_store(url=pg_server.url(database, second), migrate=False)
    try:
        with mine.session() as s:
            assert get_profile(s) is None and current_actor_name(s) == first  # before a profile: the login
        with mine.transaction() as s:
            set_profile(s, Profile(name="Robin Firstperson", role="Auditor", team="Assessment 2"))
        with theirs.transaction() as s:  # the second person's first run
            assert get_profile(s) is None
            set_profile(s, Profile(name="Sam Secondperson", role="QA lead"))
        with mine.session() as s:
            assert get_profile(s).name == "Robin Firstperson"  # not written over
        with theirs.session() as s:
            assert get_profile(s).name == "Sam Secondperson"
        ids = []
        for store_, who in ((mine, "Robin Firstperson"), (theirs, "Sam Secondperson")):
            with store_.transaction() as s:
                actor = current_actor_name(s)
                assert actor == who
                a = svc.start_audit(s, "people-test", svc.Subject(case_ref="CR-PEOPLE"), svc.Actor(actor))
                svc.save_answer(s, a.id, "q", 1, actor=actor)
                ids.append(a.id)
        with mine.session() as s:
            for audit_id, who in zip(ids, ("Robin Firstperson", "Sam Secondperson"), strict=True):
                actors = set(s.execute(select(HistoryEntry.actor).where(HistoryEntry.audit_id == audit_id)).scalars())
                assert actors == {who}
    finally:
        mine.close()
        theirs.close()
