"""Agreement and drift per group, over the plain rows the services hand over."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa

from qadesk.core.agreement import pair_agreement
from qadesk.core.agreement_drift import drift
from qadesk.core.agreement_groups import agreement_by, drift_by, field_of, group_pairs, quarter_of

# Made-up moderations on the four-point scale (0 Inadequate .. 3 Outstanding): Auditor A is generous
# (one grade above moderation on most audits), Auditor B agrees, Auditor C has three audits.
ROWS = (
    [{"auditor": "Auditor A", "team": "Assessment 1", "auditor_grade": 3, "moderated_grade": 2,
      "moderated_on": date(2026, 5, 1 + i)} for i in range(9)]
    + [{"auditor": "Auditor A", "team": "Assessment 1", "auditor_grade": 2, "moderated_grade": 2,
        "moderated_on": date(2026, 7, 2)}]
    + [{"auditor": "Auditor B", "team": None, "auditor_grade": g, "moderated_grade": g,
        "moderated_on": date(2026, 10, 1 + i)} for i, g in enumerate([2, 2, 1, 2, 3, 2, 2, 1, 2, 2, 0, 2])]
    + [{"auditor": "Auditor C", "team": "Assessment 1", "auditor_grade": 1, "moderated_grade": 2,
        "moderated_on": date(2027, 2, 3)}] * 3
)


def test_by_auditor_each_with_its_n() -> None:
    groups = agreement_by(ROWS, "auditor", k=4)
    assert [(g.key, g.n) for g in groups] == [("Auditor A", 10), ("Auditor B", 12), ("Auditor C", 3)]
    a, b, c = groups
    assert a.agreement.exact_per_cent == 10.0
    assert b.agreement.exact_per_cent == 100.0 and b.agreement.kappa.value == 1.0
    assert (c.agreement.judgeable, c.agreement.verdict) == (False, "n = 3: too few to judge")
    assert c.agreement.shown(c.agreement.ac1) == "n = 3: too few to judge"
    # The same figures as for the pairs alone.
    assert a.agreement == pair_agreement([(r["auditor_grade"], r["moderated_grade"]) for r in ROWS[:10]], 4)


def test_drift_by_auditor() -> None:
    found = {g.key: g.drift for g in drift_by(ROWS)}
    assert found["Auditor A"].direction == "more generous"
    assert found["Auditor B"].direction == "no consistent drift"
    assert found["Auditor C"].direction == "too few to judge"
    assert found["Auditor A"] == drift([(3, 2)] * 9 + [(2, 2)])


def test_groups_by_team_none_last_and_by_quarter() -> None:
    by_team = agreement_by(ROWS, "team", k=4)
    assert [(g.key, g.n) for g in by_team] == [("Assessment 1", 13), (None, 12)]
    by_quarter = agreement_by(ROWS, lambda row: quarter_of(row["moderated_on"]), k=4)
    assert [(g.key, g.n) for g in by_quarter] == [("2026-27 Q1", 9), ("2026-27 Q2", 1), ("2026-27 Q3", 12),
                                                  ("2026-27 Q4", 3)]


def test_rows_as_tuples_named_tuples_objects_and_database_rows() -> None:
    plain = [("Auditor A", 2, 1), ("Auditor B", 2, 2), ("Auditor A", 3, 3)]
    assert group_pairs(plain, 0, auditor=1, moderated=2) == {"Auditor A": [(2, 1), (3, 3)], "Auditor B": [(2, 2)]}
    Row = namedtuple("Row", "auditor auditor_grade moderated_grade")
    assert group_pairs([Row(*r) for r in plain], "auditor") == {"Auditor A": [(2, 1), (3, 3)], "Auditor B": [(2, 2)]}

    @dataclass
    class Moderated:
        section: str
        auditor_grade: int
        moderated_grade: int

    assert group_pairs([Moderated("Voice of the child", 1, 2)], "section") == {"Voice of the child": [(1, 2)]}
    engine = sa.create_engine("sqlite://")
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "select 'Auditor A' as auditor, 2 as auditor_grade, 1 as moderated_grade "
            "union all select 'Auditor A', 3, 3")).all()
    engine.dispose()
    assert group_pairs(rows, "auditor") == {"Auditor A": [(2, 1), (3, 3)]}
    assert field_of(rows[0], lambda r: r.auditor.upper()) == "AUDITOR A"


def test_no_rows_no_groups() -> None:
    assert agreement_by([], "auditor", k=4) == []
    assert drift_by([]) == []


def test_a_grade_off_the_scale_is_refused_for_the_group() -> None:
    with pytest.raises(ValueError):
        agreement_by([{"auditor": "Auditor A", "auditor_grade": 4, "moderated_grade": 1}], "auditor", k=4)


@pytest.mark.parametrize(("day", "quarter"), [
    (date(2026, 4, 1), "2026-27 Q1"), (date(2026, 6, 30), "2026-27 Q1"), (date(2026, 7, 1), "2026-27 Q2"),
    (date(2026, 9, 30), "2026-27 Q2"), (date(2026, 10, 1), "2026-27 Q3"), (date(2026, 12, 31), "2026-27 Q3"),
    (date(2027, 1, 1), "2026-27 Q4"), (date(2027, 3, 31), "2026-27 Q4"), (date(1999, 4, 6), "1999-00 Q1"),
])
def test_financial_year_quarters(day: date, quarter: str) -> None:
    assert quarter_of(day) == quarter
