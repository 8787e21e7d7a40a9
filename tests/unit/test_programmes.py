"""Programmes: a plan with a target, and progress counted from the audits started in it."""

from __future__ import annotations

from datetime import date

import pytest

from qadesk.core.errors import Conflict, ValidationError
from qadesk.services import audits as svc
from qadesk.services.programmes import ProgrammePlan, create_programme, get_programme, list_programmes
from qadesk.store.history import verify


def _start(session, team: str, programme: str) -> str:
    audit = svc.start_audit(session, "regular-case-audit", svc.Subject(case_ref="CR-1", team=team),
                            svc.Actor("Test Auditor"), programme=programme)
    return audit.id


def test_programme_progress_counts_started_and_completed_against_target(loaded_store) -> None:
    with loaded_store.transaction() as s:
        create_programme(s, ProgrammePlan("December regular audits", "Monthly sample", date(2026, 12, 1),
                                          date(2026, 12, 31), "regular-case-audit",
                                          ["Assessment 1", "Assessment 2", " Assessment 1 "], 10), actor="Lead")
        _start(s, "Assessment 1", "December regular audits")
        second = _start(s, "Assessment 2", "December regular audits")
        _start(s, "Other team", "December regular audits")
        s.get(svc.Audit, second).status = "completed"
    with loaded_store.session() as s:
        p = get_programme(s, "December regular audits")
        assert verify(s).ok
    assert p.teams == ["Assessment 1", "Assessment 2"]
    assert p.target == 20 and p.describe_target() == "10 per team (20 in all)"
    assert (p.started, p.completed) == (3, 1)
    assert [(t.team, t.started, t.completed) for t in p.by_team] == [
        ("Assessment 1", 1, 0), ("Assessment 2", 1, 1), ("Other team", 1, 0)]
    assert p.template_title == "Regular case audit"


@pytest.mark.parametrize("plan, words", [
    (ProgrammePlan(" "), "needs a name"),
    (ProgrammePlan("X", starts_on=date(2026, 2, 1), ends_on=date(2026, 1, 1)), "ends before it starts"),
    (ProgrammePlan("X", target_per_team=0), "whole number from 1"),
    (ProgrammePlan("X", template_id="no-such-template"), "no template 'no-such-template'"),
])
def test_a_plan_that_makes_no_sense_is_refused_and_nothing_stored(loaded_store, plan, words) -> None:
    with pytest.raises(ValidationError, match=words), loaded_store.transaction() as s:
        create_programme(s, plan, actor="Lead")
    with loaded_store.session() as s:
        assert list_programmes(s) == []


def test_names_are_unique(loaded_store) -> None:
    with loaded_store.transaction() as s:
        create_programme(s, ProgrammePlan("Neglect Q3"), actor="Lead")
    with pytest.raises(Conflict), loaded_store.transaction() as s:
        create_programme(s, ProgrammePlan("Neglect Q3"), actor="Lead")


def test_a_programme_named_when_an_audit_starts_is_listed_without_a_plan(loaded_store) -> None:
    with loaded_store.transaction() as s:
        _start(s, "Assessment 1", "Ad hoc")
    with loaded_store.session() as s:
        (p,) = list_programmes(s)
    assert (p.name, p.started, p.target, p.describe_target()) == ("Ad hoc", 1, None, "No target")
