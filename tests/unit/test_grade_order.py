"""The audits list sorts by grade in grade order (the grade's score on its list), not alphabetically."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import text

from qadesk.services import audits as svc
from qadesk.services.queries import list_audits

ACTOR = "Test Auditor"
START = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def _graded(loaded_store, grades: list[str | None]) -> list[str]:
    ids = []
    with loaded_store.transaction() as s:
        for i, grade in enumerate(grades):
            a = svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref=f"CR-90000{i}"), svc.Actor(ACTOR),
                                started_at=START + timedelta(days=i))
            if grade:
                svc.set_overall(s, a.id, actor=ACTOR, grade=grade)
            ids.append(a.id)
    return ids


def test_set_overall_keeps_the_grade_score_beside_the_grade(loaded_store):
    (aid,) = _graded(loaded_store, ["ri"])
    with loaded_store.transaction() as s:
        assert s.execute(text("SELECT overall_score FROM audits")).scalar() == 2.0
        svc.set_overall(s, aid, actor=ACTOR, grade=None)
    with loaded_store.session() as s:
        assert s.execute(text("SELECT overall_score FROM audits")).scalar() is None


def test_grade_sort_runs_outstanding_to_inadequate_then_ungraded(loaded_store):
    # Alphabetically: good, inadequate, outstanding, ri.  In grade order: outstanding, good, ri, inadequate.
    _graded(loaded_store, ["good", "inadequate", None, "outstanding", "ri"])
    with loaded_store.session() as s:
        ascending = [r.grade for r in list_audits(s, sort="grade", descending=False)]
        descending = [r.grade for r in list_audits(s, sort="grade", descending=True)]
    assert ascending == ["outstanding", "good", "ri", "inadequate", None]
    assert descending == list(reversed(ascending))


def test_the_grade_sort_walks_an_index(loaded_store):
    with loaded_store.session() as s:
        plan = s.execute(text("EXPLAIN QUERY PLAN SELECT id FROM audits ORDER BY final_score DESC, "
                              "reference DESC LIMIT 200")).all()
    assert any("ix_audits_final_score_ref" in str(row[-1]) for row in plan)
    assert not any("TEMP B-TREE" in str(row[-1]) for row in plan)
