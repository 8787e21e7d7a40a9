"""tests/unit/test_permissions.py on the team server, each person a database login of their own (a member of
the qadesk_* group roles), and what the database itself refuses them: its grants and row-level security back
the services' rules, so another program using a person's login can do no more than the table allows."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qadesk.core.errors import PermissionDenied
from qadesk.core.permissions import Role
from tests.unit.test_permissions import *  # noqa: F403
from tests.unit.test_permissions import OTHER, Team, _audit


def test_row_level_security_shows_a_practitioner_only_their_own_audits_whatever_they_query(team_of: Team) -> None:
    practitioner = team_of.person({Role.PRACTITIONER})
    mine = _audit(team_of.owner, practitioner=practitioner.name)
    _audit(team_of.owner, practitioner=OTHER)
    with practitioner.session() as s:  # plain SQL, past the services: the database narrows it
        assert set(s.execute(text("SELECT id FROM audits")).scalars()) == {mine}
        assert set(s.execute(text("SELECT DISTINCT audit_id FROM history WHERE audit_id IS NOT NULL")).scalars()) \
            <= {mine}
        assert not s.execute(text("SELECT 1 FROM answers a JOIN audits u ON u.id = a.audit_id "
                                  "WHERE u.practitioner <> :me"), {"me": practitioner.name}).first()


def test_the_grants_refuse_what_the_table_refuses_even_past_the_services(team_of: Team) -> None:
    auditor = team_of.person({Role.AUDITOR})
    practitioner = team_of.person({Role.PRACTITIONER})
    lead = team_of.person({Role.QA_LEAD})
    mine = _audit(team_of.owner, practitioner=practitioner.name)
    for who, sql in ((auditor, "UPDATE template_versions SET retired = true"),
                     (auditor, "INSERT INTO programmes (name) VALUES ('Behind the back')"),
                     (auditor, "UPDATE people SET roles = 'qa_lead'"),
                     (practitioner, "UPDATE audits SET overall_grade = 'good'"),
                     (lead, "DELETE FROM history"),
                     (lead, "UPDATE history SET actor = 'Somebody else'")):
        with pytest.raises(PermissionDenied, match="refused this for your login"), who.transaction() as s:
            s.execute(text(sql))
    with practitioner.transaction() as s:  # the response column of their own audit, and nothing else
        n = s.execute(text("UPDATE audits SET practitioner_reflection = 'Seen' WHERE practitioner <> :me"),
                      {"me": practitioner.name}).rowcount
        assert n == 0
        assert s.execute(text("UPDATE audits SET practitioner_reflection = 'Seen' WHERE id = :id"),
                         {"id": mine}).rowcount == 1


def test_history_stays_one_verifiable_chain_when_a_practitioner_responds(team_of: Team) -> None:
    from qadesk.services import audits as svc
    from qadesk.store import history

    practitioner = team_of.person({Role.PRACTITIONER})
    mine = _audit(team_of.owner, practitioner=practitioner.name)
    _audit(team_of.owner, practitioner=OTHER)  # the newest entries are of an audit they cannot see
    with practitioner.transaction() as s:
        svc.set_summary(s, mine, "practitioner_reflection", "I will update the plan.", actor=practitioner.name)
    with team_of.owner.session() as s:
        report = history.verify(s)
        assert report.ok, report
