"""The permissions table (qadesk.core.permissions), a test per row and per rule, through the services.

Each row's use case is run by a person holding each role in turn: the roles the table gives the row get
past the permission check, every other role is refused with PermissionDenied and nothing is changed.  On
SQLite the person is the laptop's profile with its roles; tests/postgres/test_pg_permissions.py runs the
same tests on the team server, where each person is a database login of their own, a member of the
qadesk_* group roles, so the grants and row-level security are at work too.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from qadesk.core import permissions as perm
from qadesk.core.errors import NotFound, PermissionDenied
from qadesk.core.permissions import Do, Role
from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services import queries
from qadesk.services.profile import Profile, set_profile
from qadesk.store import open_store
from qadesk.store.models import Audit, HistoryEntry
from tests.helpers.exports import import_dict
from tests.sync.sync_world import laptop as local_store

SMALL = {
    "format": "qadesk-template/1", "id": "perm-test", "version": 1, "title": "Permissions test", "kind": "regular",
    "lists": {"g": [{"value": "good", "label": "Good", "score": 2}, {"value": "poor", "label": "Poor", "score": 1}]},
    "overall": {"list": "g", "suggest": "none"},
    "sections": [{"id": "s", "title": "Planning", "grade": {"list": "g"}, "questions": [{"id": "q", "type": "integer", "label": "How many"}]}],
}
OTHER = "Morgan Elsewhere"  # an auditor who is none of the people tested


def _short() -> str:
    return uuid.uuid4().hex[:8]


class PersonStore:
    """A laptop's store as one person: the profile with their roles is written before each session."""

    def __init__(self, store: Any, name: str, roles: frozenset[Role] | None) -> None:
        self._store, self.name, self.roles = store, name, roles

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._store, attr)

    def _be(self) -> None:
        with self._store.transaction() as s:
            set_profile(s, Profile(name=self.name, roles=None if self.roles is None else [r.value for r in self.roles]))

    @contextmanager
    def session(self) -> Iterator[Any]:
        self._be()
        with self._store.session() as s:
            yield s

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        self._be()
        with self._store.transaction() as s:
            yield s


class Team:
    """The store's owner (a desk with every role) and, on demand, a store as a person with given roles."""

    def __init__(self, store: Any, request: pytest.FixtureRequest) -> None:
        # The store's owner: on a laptop's store its own desk (a profile with no roles: every role is theirs).
        self.owner = store if not store.is_sqlite else PersonStore(store, "Store Owner", None)
        self.request = request
        self.server = None if store.is_sqlite else request.getfixturevalue("pg_server")
        self._opened: list[Any] = []
        if self.server is not None:
            from qadesk.store import server_roles

            with store.transaction() as s:
                server_roles.setup(s.connection())

    def person(self, roles: frozenset[Role] | set[Role], name: str | None = None) -> Any:
        roles = frozenset(roles)
        name = name or f"Person {_short()}"
        if self.server is None:
            return PersonStore(self.owner._store, name, roles)
        from qadesk.services import team

        login = f"t_{_short()}"
        with self.owner.transaction() as s:
            team.give_login(s, login, roles)
            team.add_or_update(s, name, roles, actor="test", login=login)
        database = self.owner.url.rsplit("/", 1)[1]
        opened = open_store(url=self.server.url(database, login), migrate=False)
        opened.name = name  # type: ignore[attr-defined]
        self._opened.append(opened)
        return opened

    def close(self) -> None:
        for s in self._opened:
            s.close()


@pytest.fixture
def team_of(store: Any, request: pytest.FixtureRequest) -> Iterator[Team]:
    import_dict(store, SMALL)
    t = Team(store, request)
    yield t
    t.close()


def _audit(store: Any, *, auditor: str = OTHER, practitioner: str | None = None, completed: bool = False,
           case: str | None = None) -> str:
    """An audit made by the owner, with the auditor and practitioner named; completed if asked."""
    with store.transaction() as s:
        a = svc.start_audit(s, "perm-test", svc.Subject(case_ref=case or f"CR-{_short()}", practitioner=practitioner),
                            svc.Actor(auditor))
        if completed:
            svc.save_answer(s, a.id, "q", 3, actor=auditor)
            svc.set_section_grade(s, a.id, "s", "good", actor=auditor)
            svc.set_overall(s, a.id, actor=auditor, grade="good")
            svc.submit(s, a.id, actor=auditor)
        return a.id


def _revision(store: Any, audit_id: str) -> int:
    with store.session() as s:
        return int(s.execute(select(Audit.revision).where(Audit.id == audit_id)).scalar_one())


# ---- the use case behind each row of the table: (setup by the owner) -> (the person's act) -------------------

def _import_templates(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.templates import import_template

    data = {**SMALL, "id": f"perm-{_short()}"}

    def act() -> Any:
        with me.transaction() as s:
            return import_template(s, template_from_dict(data), actor=me.name)
    return act


def _retire_templates(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.templates import set_retired

    def act() -> Any:
        with me.transaction() as s:
            return set_retired(s, "perm-test", False, actor=me.name)
    return act


def _plan_programmes(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.programmes import ProgrammePlan, create_programme

    def act() -> Any:
        with me.transaction() as s:
            return create_programme(s, ProgrammePlan(name=f"Programme {_short()}", template_id="perm-test"),
                                    actor=me.name)
    return act


def _import_cases(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.cases import import_case_list

    path = tmp / f"cases-{_short()}.csv"
    path.write_text("case_ref,case_type,team,worker\nCR-PERM-1,CIN,Team A,A. Worker\n", encoding="utf-8")

    def act() -> Any:
        with me.transaction() as s:
            return import_case_list(s, path, actor=me.name)
    return act


def _start_audit(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    def act() -> Any:
        with me.transaction() as s:
            return svc.start_audit(s, "perm-test", svc.Subject(case_ref=f"CR-{_short()}"), svc.Actor(me.name))
    return act


def _edit_audit(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    audit_id = _audit(team.owner, auditor=me.name, practitioner=me.name)

    def act() -> Any:
        with me.transaction() as s:
            return svc.save_answer(s, audit_id, "q", 4, actor=me.name)
    return act


def _respond(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    audit_id = _audit(team.owner, auditor=me.name, practitioner=me.name)

    def act() -> Any:
        with me.transaction() as s:
            return svc.set_summary(s, audit_id, "practitioner_reflection", "I will see the child alone.",
                                   actor=me.name)
    return act


def _reopen(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    audit_id = _audit(team.owner, auditor=me.name, practitioner=me.name, completed=True)

    def act() -> Any:
        with me.transaction() as s:
            return svc.reopen(s, audit_id, "A missed visit came to light", actor=me.name)
    return act


def _set_actions(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from datetime import date, timedelta

    from qadesk.services.audit_actions import add_action

    audit_id = _audit(team.owner, auditor=me.name, practitioner=me.name)

    def act() -> Any:
        with me.transaction() as s:
            return add_action(s, audit_id, "Update the chronology", actor=me.name, owner="Team manager",
                              due=date.today() + timedelta(days=14))
    return act


def _moderate(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    audit_id = _audit(team.owner, auditor=OTHER, completed=True)

    def act() -> Any:
        with me.transaction() as s:
            return svc.moderate(s, audit_id, moderator=svc.Actor(me.name), agreed=True, kind="internal")
    return act


def _moderation_rules(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.blind_moderation import set_blind_by_default

    def act() -> Any:
        with me.transaction() as s:
            return set_blind_by_default(s, True, actor=me.name)
    return act


def _run_calibration(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.calibration import create_exercise

    audit_id = _audit(team.owner, auditor=OTHER, completed=True)

    def act() -> Any:
        with me.transaction() as s:
            return create_exercise(s, audit_id, actor=me.name)
    return act


def _rate_calibration(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.calibration import create_exercise, rate

    audit_id = _audit(team.owner, auditor=OTHER, completed=True)
    with team.owner.transaction() as s:
        ident = create_exercise(s, audit_id, actor="Owner").id

    def act() -> Any:
        with me.transaction() as s:
            return rate(s, ident, rater=svc.Actor(me.name), overall="good")
    return act


def _export(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.packs import export_pack

    _audit(team.owner, auditor=OTHER, completed=True)

    def act() -> Any:
        return export_pack(me, tmp / f"out-{_short()}.qapack", identifiable=True)
    return act


def _import_packs(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services.packs import export_pack, import_pack

    elsewhere = local_store(tmp / f"elsewhere-{_short()}")
    try:
        import_dict(elsewhere, SMALL)
        _audit(elsewhere, auditor=OTHER, completed=True)
        pack = tmp / f"in-{_short()}.qapack"
        export_pack(elsewhere, pack, identifiable=True)
    finally:
        elsewhere.close()

    def act() -> Any:
        return import_pack(me, pack)
    return act


def _sync(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services import sync

    _audit(team.owner, auditor=getattr(me, "name", "x"))

    def act() -> Any:
        laptop = local_store(tmp / f"laptop-{_short()}")
        try:
            return sync.checkout(laptop, me, me.name)
        finally:
            laptop.close()
    return act


def _manage_people(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services import team as people

    def act() -> Any:
        with me.transaction() as s:
            return people.add_or_update(s, f"New Person {_short()}", {Role.AUDITOR}, actor=me.name)
    return act


def _take_in(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    from qadesk.services import sync

    laptop = local_store(tmp / f"old-laptop-{_short()}")
    try:
        import_dict(laptop, SMALL)
        _audit(laptop, auditor=OTHER)
    finally:
        laptop.close()

    def act() -> Any:
        source = local_store(laptop.path.parent)
        try:
            return sync.take_in(me, source)
        finally:
            source.close()
    return act


def _read_audits(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    audit_id = _audit(team.owner, auditor=OTHER, practitioner=OTHER)

    def act() -> Any:
        with me.session() as s:
            return svc.get_audit(s, audit_id)  # not of their own work: NotFound for whoever may not read it
    return act


def _read_own_work(team: Team, me: Any, tmp: Path) -> Callable[[], Any]:
    audit_id = _audit(team.owner, auditor=OTHER, practitioner=me.name)

    def act() -> Any:
        with me.session() as s:
            return svc.get_audit(s, audit_id)
    return act


USE_CASES: dict[Do, Callable[[Team, Any, Path], Callable[[], Any]]] = {
    Do.READ_AUDITS: _read_audits, Do.READ_OWN_WORK: _read_own_work, Do.START_AUDIT: _start_audit,
    Do.EDIT_AUDIT: _edit_audit, Do.RESPOND: _respond, Do.REOPEN_AUDIT: _reopen, Do.SET_ACTIONS: _set_actions,
    Do.MODERATE: _moderate, Do.MODERATION_RULES: _moderation_rules, Do.IMPORT_TEMPLATES: _import_templates,
    Do.RETIRE_TEMPLATES: _retire_templates, Do.PLAN_PROGRAMMES: _plan_programmes, Do.IMPORT_CASES: _import_cases,
    Do.RUN_CALIBRATION: _run_calibration, Do.RATE_CALIBRATION: _rate_calibration, Do.EXPORT: _export,
    Do.IMPORT_PACKS: _import_packs, Do.SYNC: _sync, Do.MANAGE_PEOPLE: _manage_people, Do.TAKE_IN: _take_in,
}


def test_every_row_of_the_table_has_its_use_case_here_and_every_role_a_column() -> None:
    assert set(USE_CASES) == set(Do)
    assert set(perm.TABLE) == set(Do)
    for role in Role:
        assert perm.ALLOWED_FOR[role], f"{role} may do nothing"
    assert perm.TABLE[Do.IMPORT_TEMPLATES] == {Role.QA_LEAD}  # the issue's own examples
    assert perm.TABLE[Do.PLAN_PROGRAMMES] == {Role.QA_LEAD}
    assert perm.ALLOWED_FOR[Role.PRACTITIONER] == {Do.READ_OWN_WORK, Do.RESPOND}


def _history_count(store: Any) -> int:
    with store.session() as s:
        return len(s.execute(select(HistoryEntry.seq)).all())


@pytest.mark.parametrize("what", list(Do), ids=[d.name.lower() for d in Do])
def test_each_row_lets_its_roles_do_it_and_refuses_every_other_role(team_of: Team, tmp_path: Path, what: Do) -> None:
    for role in Role:
        me = team_of.person({role})
        act = USE_CASES[what](team_of, me, tmp_path)
        if role in perm.TABLE[what]:
            act()  # no refusal
            continue
        before = _history_count(team_of.owner)
        refusal = (PermissionDenied, NotFound) if what in (Do.READ_AUDITS, Do.READ_OWN_WORK) else PermissionDenied
        with pytest.raises(refusal):
            act()
        assert _history_count(team_of.owner) == before, f"{role} was refused {what} but something was recorded"


# ---- the rules about the audit ------------------------------------------------------------------------------

def test_rule_a_moderator_never_moderates_their_own_audit(team_of: Team) -> None:
    moderator = team_of.person({Role.AUDITOR, Role.MODERATOR})
    own = _audit(team_of.owner, auditor=moderator.name, completed=True)
    someone_elses = _audit(team_of.owner, auditor=OTHER, completed=True)
    with pytest.raises(PermissionDenied, match="a moderator must be someone else") as refused, \
            moderator.transaction() as s:
        svc.moderate(s, own, moderator=svc.Actor(moderator.name), agreed=True, kind="internal")
    assert refused.value.rule == perm.MODERATOR_NOT_OWN.name
    with pytest.raises(PermissionDenied), moderator.transaction() as s:  # nor by giving another name
        svc.moderate(s, own, moderator=svc.Actor("Somebody Else Entirely"), agreed=True, kind="internal")
    with moderator.transaction() as s:
        svc.moderate(s, someone_elses, moderator=svc.Actor(moderator.name), agreed=True, kind="internal")


def test_rule_a_practitioner_sees_only_the_audits_of_their_own_work(team_of: Team) -> None:
    practitioner = team_of.person({Role.PRACTITIONER})
    mine = [_audit(team_of.owner, practitioner=practitioner.name) for _ in range(2)]
    others = [_audit(team_of.owner, practitioner=OTHER) for _ in range(3)]
    with practitioner.session() as s:
        listed = {r.id for r in queries.list_audits(s)}
        assert listed == set(mine)
        assert queries.count_audits(s) == 2
        assert set(queries.audit_ids(s)) == set(mine)
        for audit_id in others:
            with pytest.raises(NotFound):
                svc.get_audit(s, audit_id)
    from datetime import date, timedelta

    from qadesk.services.audit_actions import add_action
    from qadesk.services.overview import home_summary, list_moderations

    with team_of.owner.transaction() as s:  # an action on each of one of theirs and one of another's
        for audit_id in (mine[0], others[0]):
            add_action(s, audit_id, "Update the plan", actor="Owner", owner="Team manager",
                       due=date.today() - timedelta(days=1))
    done = _audit(team_of.owner, practitioner=OTHER, completed=True)
    with team_of.owner.transaction() as s:
        svc.moderate(s, done, moderator=svc.Actor("Mo Derator"), agreed=True, kind="internal")
    with practitioner.session() as s:  # the actions, moderations and Home's figures of their own work only
        assert {a.audit_id for a in queries.list_actions(s)} == {mine[0]}
        assert list_moderations(s) == []
        home = home_summary(s, practitioner.name)
        assert (home.open_actions, home.overdue_actions) == (1, 1)
        assert all(not grades for _, grades in home.grades)
    with team_of.person({Role.AUDITOR}).session() as s:  # anyone else on the team reads them all
        assert {r.id for r in queries.list_audits(s)} >= set(mine) | set(others)
        assert {a.audit_id for a in queries.list_actions(s)} >= {mine[0], others[0]}
        assert len(list_moderations(s)) == 1


def test_rule_a_practitioner_only_responds(team_of: Team) -> None:
    practitioner = team_of.person({Role.PRACTITIONER})
    audit_id = _audit(team_of.owner, practitioner=practitioner.name)
    rev = _revision(team_of.owner, audit_id)
    with pytest.raises(PermissionDenied) as refused, practitioner.transaction() as s:
        svc.save_answer(s, audit_id, "q", 1, actor=practitioner.name)
    assert refused.value.rule == perm.PRACTITIONER_RESPONDS_ONLY.name
    with pytest.raises(PermissionDenied), practitioner.transaction() as s:
        svc.set_summary(s, audit_id, "strengths", "All good", actor=practitioner.name)
    assert _revision(team_of.owner, audit_id) == rev
    with practitioner.transaction() as s:
        svc.set_summary(s, audit_id, "practitioner_reflection", "I agree; the plan needs dates.",
                        actor=practitioner.name)
    with team_of.owner.session() as s:
        assert svc.get_audit(s, audit_id).practitioner_reflection == "I agree; the plan needs dates."


def test_rule_an_auditor_changes_only_their_own_audits_a_qa_lead_any(team_of: Team) -> None:
    auditor = team_of.person({Role.AUDITOR})
    lead = team_of.person({Role.QA_LEAD})
    theirs = _audit(team_of.owner, auditor=OTHER)
    with pytest.raises(PermissionDenied) as refused, auditor.transaction() as s:
        svc.save_answer(s, theirs, "q", 2, actor=auditor.name)
    assert refused.value.rule == perm.AUDITOR_OWN_AUDITS.name
    with pytest.raises(PermissionDenied), auditor.transaction() as s:
        svc.start_audit(s, "perm-test", svc.Subject(case_ref="CR-FOR-OTHER"), svc.Actor(OTHER))
    with lead.transaction() as s:
        svc.save_answer(s, theirs, "q", 2, actor=lead.name)
    with auditor.session() as s:
        assert svc.get_audit(s, theirs).auditor_name == OTHER  # read, yes


def test_a_conflict_is_resolved_only_by_someone_who_may_change_the_audit(team_of: Team) -> None:
    from qadesk.core.merge import FieldConflict
    from qadesk.services import conflicts

    auditor, other = team_of.person({Role.AUDITOR}), team_of.person({Role.AUDITOR})
    audit_id = _audit(team_of.owner, auditor=auditor.name)
    with team_of.owner.transaction() as s:
        row = conflicts.record(s, audit_id, FieldConflict("summary.strengths", None, "Here", "There"),
                               source="pack", source_ref="pack-1")
        ident = row.id
    with pytest.raises(PermissionDenied), other.transaction() as s:  # not their audit
        conflicts.resolve(s, ident, "both", actor=other.name)
    with auditor.transaction() as s:
        conflicts.resolve(s, ident, "both", actor=auditor.name)
    with team_of.owner.session() as s:
        assert svc.get_audit(s, audit_id).strengths == "Here\n\nThere"


def test_a_refusal_says_who_may_and_a_desk_with_no_roles_set_may_do_everything(team_of: Team) -> None:
    from qadesk.services import permissions

    auditor = team_of.person({Role.AUDITOR})
    with auditor.session() as s:
        reason = permissions.why_not(s, Do.IMPORT_TEMPLATES)
        assert reason is not None and "may not import templates" in reason and "QA lead" in reason
        assert permissions.why_not(s, Do.START_AUDIT) is None
    with team_of.owner.session() as s:
        me = permissions.me(s)
        assert me.desk and all(me.may(d) for d in Do)


def test_docs_roles_md_prints_the_same_table_as_the_code() -> None:
    from tests.conftest import ROOT

    text = (ROOT / "docs" / "roles.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| What")]
    header = next(line for line in text.splitlines() if line.startswith("| What"))
    columns = [c.strip() for c in header.strip("|").split("|")][1:]
    assert columns == [perm.ROLE_WORDS[r] for r in Role]
    shown = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        shown[cells[0].casefold()] = {r for r, c in zip(Role, cells[1:], strict=True) if c == "yes"}
    assert shown == {d.value.casefold(): set(roles) for d, roles in perm.TABLE.items()}
