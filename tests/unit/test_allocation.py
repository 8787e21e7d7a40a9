"""Allocating a sample: never the case's own worker, optionally never its own team, balanced within one."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qadesk.core.allocation import Auditor, allocate, refusal, same_person
from qadesk.core.cases import CaseRow
from qadesk.core.errors import ValidationError

AUDITORS = [Auditor("B. Manager", "Team manager", "Assessment 1"), Auditor("C. Officer", "QA officer", "QA"),
            Auditor("D. Practice", "Practice manager", "Assessment 2"), Auditor("E. Senior", "Service manager", None)]


def cases(n: int, team: str = "Assessment 1", worker: str | None = "Z. Worker") -> list[CaseRow]:
    return [CaseRow(case_ref=f"CR-{team[-1]}{i:04d}", case_type="CIN", team=team, worker=worker, fields={})
            for i in range(n)]


def test_balanced_within_one_and_the_same_seed_gives_the_same_allocation() -> None:
    sample = cases(10) + cases(7, "Assessment 2")
    a = allocate(sample, AUDITORS, seed=7)
    assert not a.unallocated
    loads = Counter(r.auditor for r in a.rows)
    assert sum(loads.values()) == 17 and max(loads.values()) - min(loads.values()) <= 1
    assert dict(a.loads) == dict(loads)
    assert allocate(list(reversed(sample)), AUDITORS, seed=7).rows == tuple(reversed(a.rows))
    assert any(allocate(sample, AUDITORS, seed=s).rows != a.rows for s in range(8, 12))


def test_never_the_cases_own_worker() -> None:
    sample = cases(6, worker="b manager") + cases(6, "Assessment 2", worker="C.  Officer")
    a = allocate(sample, AUDITORS, seed=1)
    for r in a.rows:
        assert not same_person(r.worker, r.auditor)
    assert same_person("A. Worker", "a worker") and not same_person(None, None)


def test_never_the_own_team_when_the_council_chooses() -> None:
    sample = cases(8) + cases(8, "Assessment 2")
    a = allocate(sample, AUDITORS, seed=3, not_own_team=True)
    teams = {x.name: x.team for x in AUDITORS}
    assert all(teams[r.auditor] != r.team for r in a.rows if r.auditor)
    loads = dict(a.loads)
    assert max(loads.values()) - min(loads.values()) <= 1
    assert refusal(sample[0], AUDITORS[0], not_own_team=True) == "B. Manager is in the case's own team (Assessment 1)"
    assert refusal(sample[0], AUDITORS[0], not_own_team=False) is None


def test_a_case_nobody_may_take_is_left_with_the_reason() -> None:
    only = [Auditor("B. Manager", team="Assessment 1")]
    a = allocate(cases(1, worker="B. Manager") + cases(1, "Assessment 2"), only, seed=1)
    assert a.rows[0].auditor is None
    assert a.rows[0].note == "not allocated: B. Manager is the case's allocated worker"
    assert a.rows[1].auditor == "B. Manager"
    two = allocate(cases(1, worker="B. Manager"), [only[0], Auditor("C. Officer", team="Assessment 1")], seed=1,
                   not_own_team=True)
    assert "no auditor may take it" in two.rows[0].note and "own team" in two.rows[0].note


def test_existing_assignments_count_in_the_balance() -> None:
    a = allocate(cases(4), AUDITORS[:2], seed=5, existing={"B. Manager": 4})
    assert Counter(r.auditor for r in a.rows) == {"C. Officer": 4}
    assert dict(a.loads) == {"B. Manager": 4, "C. Officer": 4}


@pytest.mark.parametrize("auditors, words", [
    ([], "no auditors"), ([Auditor(" ")], "needs a name"),
    ([Auditor("B. Manager"), Auditor("b  manager")], "named twice"),
])
def test_auditors_that_make_no_sense_are_refused(auditors, words) -> None:
    with pytest.raises(ValidationError, match=words):
        allocate(cases(1), auditors, seed=1)


names = st.sampled_from(["P1", "P2", "P3", "P4", "P5"])
teams = st.sampled_from(["T1", "T2", "T3"])


@settings(max_examples=200, deadline=None)
@given(spec=st.lists(st.tuples(teams, st.one_of(st.none(), names)), max_size=40),
       auditors=st.lists(st.tuples(names, st.one_of(st.none(), teams)), min_size=1, max_size=5,
                         unique_by=lambda x: x[0]),
       not_own=st.booleans(), seed=st.integers(0, 1000))
def test_no_case_goes_to_its_worker_and_no_eligible_auditor_has_two_fewer(spec, auditors, not_own, seed) -> None:
    sample = [CaseRow(f"CR-{i}", None, team, worker, {}) for i, (team, worker) in enumerate(spec)]
    people = [Auditor(n, None, t) for n, t in auditors]
    a = allocate(sample, people, seed=seed, not_own_team=not_own)
    load = dict(a.loads)
    by_name = {p.name: p for p in people}
    for case, row in zip(sample, a.rows, strict=True):
        may = [p.name for p in people if refusal(case, p, not_own_team=not_own) is None]
        if not may:
            assert row.auditor is None and row.note.startswith("not allocated")
            continue
        assert row.auditor in may
        assert refusal(case, by_name[row.auditor], not_own_team=not_own) is None
        assert all(load[row.auditor] - load[other] <= 1 for other in may)
    if all(refusal(c, p, not_own_team=not_own) is None for c in sample for p in people):
        assert max(load.values()) - min(load.values()) <= 1
    assert allocate(sample, people, seed=seed, not_own_team=not_own) == a
