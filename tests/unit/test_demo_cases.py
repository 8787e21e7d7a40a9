"""The demo council's case list: imported with no mapping, holding the demo's audited cases, each allocated to a
practitioner of its own team, its flags agreeing with its dates, the same file for the same seed."""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import select

from qadesk.core.sampling import SampleOptions, months_before, parse_filter
from qadesk.services import cases as svc
from qadesk.services import demo
from qadesk.services.demo_answers import words
from qadesk.services.demo_cases import (
    HEADERS,
    VISIT_DAYS,
    case_list_name,
    find_demo_case_list,
    write_demo_case_list,
)
from qadesk.services.sampling import draw
from qadesk.store import open_store
from qadesk.store.models import Audit, Case, Person

ANCHOR = date(2026, 3, 10)
SEED = 4


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    store = open_store(tmp_path_factory.mktemp("demo-cases"))
    demo.generate(store, audits=150, seed=SEED, anchor=ANCHOR)
    yield store
    store.close()


@pytest.fixture(scope="module")
def written(demo_store, tmp_path_factory):
    folder = tmp_path_factory.mktemp("list")
    return write_demo_case_list(demo_store, folder / case_list_name(ANCHOR), seed=SEED, today=ANCHOR)


def _rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_list_imports_whole_with_no_mapping_and_updates_every_demo_case(demo_store, written, tmp_path) -> None:
    with demo_store.session() as s:
        demo_cases = set(s.execute(select(Case.reference)).scalars())
        reading = svc.read_file(s, written.path, today=ANCHOR)
    assert reading.ok and not reading.warnings, reading.describe() + reading.warnings
    assert [s.layout.key for s in reading.sheets if s.layout] == ["case-list"]
    roles = {c.header: c.role for c in reading.sheets[0].columns}
    assert [roles[h] for h in HEADERS[:4]] == ["case_ref", "case_type", "team", "worker"]
    kinds = {c.key: c.kind for c in reading.sheets[0].columns if c.role == "field"}
    assert kinds == {"age": "number", "date_of_referral": "date", "date_of_last_visit": "date", "plan_start": "date",
                     "repeat_referral": "flag", "visits_overdue": "flag", "plan_over_18_months": "flag",
                     "disability": "flag"}
    assert 300 <= written.cases <= 1500 and written.teams == len(words()["teams"])

    copy = open_store(tmp_path / "copy")  # import into a copy of the demo store, keeping the module's as it was
    try:
        demo.generate(copy, audits=150, seed=SEED, anchor=ANCHOR)
        with copy.transaction() as s:
            result = svc.import_case_list(s, written.path, actor="Q. Lead", today=ANCHOR)
        assert (result.added, result.updated, result.delisted) == (written.cases - len(demo_cases), len(demo_cases), 0)
        with copy.session() as s:
            listed = {c.case_ref: c for c in svc.list_cases(s)}
            stored = {r: (t, team) for r, t, team in s.execute(select(Case.reference, Case.case_type, Case.team))}
        assert len(listed) == written.cases
        # The demo's cases keep the case type and team their audits were made with.
        assert {r: (listed[r].case_type, listed[r].team) for r in demo_cases} == {r: stored[r] for r in demo_cases}
    finally:
        copy.close()


def test_every_audited_case_is_on_the_list_allocated_to_a_practitioner_of_its_team(demo_store, written) -> None:
    rows = _rows(written.path)
    refs = [r["Case reference"] for r in rows]
    assert len(refs) == len(set(refs)) == written.cases
    roles = {r for rs in words()["practitioner_roles"].values() for r in rs}
    with demo_store.session() as s:
        audited = set(s.execute(select(Audit.case_ref).where(Audit.case_ref.is_not(None))).scalars())
        people = {name: (team, role) for name, team, role in s.execute(select(Person.name, Person.team, Person.role))}
        latest = {}
        for ref, who in s.execute(select(Audit.case_ref, Audit.practitioner).where(Audit.case_ref.is_not(None))
                                  .order_by(Audit.started_at, Audit.id)):
            latest[ref] = who
    assert audited and audited <= set(refs) and written.audited == len(audited)
    allocated = [r for r in rows if r["Allocated worker"]]
    assert len(allocated) >= 0.95 * len(rows)
    for r in allocated:
        team, role = people[r["Allocated worker"]]
        assert team == r["Allocated team"] and role in roles, r
    by_ref = {r["Case reference"]: r for r in rows}
    assert all(by_ref[ref]["Allocated worker"] == latest[ref] for ref in audited)  # the worker of its latest audit


def test_the_same_seed_and_day_write_the_same_file_byte_for_byte(demo_store, written, tmp_path) -> None:
    again = write_demo_case_list(demo_store, tmp_path / "again.csv", seed=SEED, today=ANCHOR)
    assert again.path.read_bytes() == written.path.read_bytes()
    other = open_store(tmp_path / "other")  # another store made from the same seed and day
    try:
        demo.generate(other, audits=150, seed=SEED, anchor=ANCHOR)
        third = write_demo_case_list(other, tmp_path / "third.csv", seed=SEED, today=ANCHOR)
    finally:
        other.close()
    assert third.path.read_bytes() == written.path.read_bytes()
    changed = write_demo_case_list(demo_store, tmp_path / "seed5.csv", seed=SEED + 1, today=ANCHOR)
    assert changed.path.read_bytes() != written.path.read_bytes()


def test_the_flags_agree_with_the_dates(written) -> None:
    def day(text: str) -> date:
        d, m, y = text.split("/")
        return date(int(y), int(m), int(d))

    rows = _rows(written.path)
    words_of = {"Early Help": "EH", "Child in Need": "CIN", "Child Protection": "CP", "Child Looked After": "CLA",
                "Care Leaver": "CL"}
    eighteen = months_before(ANCHOR, 18)
    for r in rows:
        referral, visit = day(r["Date of referral"]), day(r["Date of last visit"])
        assert referral <= visit <= ANCHOR
        overdue = (ANCHOR - visit).days > VISIT_DAYS[words_of[r["Case type"]]]
        assert (r["Visits overdue (Y/N)"] == "Y") == overdue, r
        plan = day(r["Plan start"]) if r["Plan start"] else None
        assert plan is None or referral <= plan <= ANCHOR
        assert (r["Plan over 18 months (Y/N)"] == "Y") == (plan is not None and plan <= eighteen), r
        assert 0 <= int(r["Age"]) <= 25
    for flag in ("Repeat referral (Y/N)", "Visits overdue (Y/N)", "Plan over 18 months (Y/N)", "Disability (Y/N)"):
        share = sum(r[flag] == "Y" for r in rows) / len(rows)
        assert 0.02 < share < 0.5, (flag, share)  # something for a data-led sample to find, not everything
    disabled = [r for r in rows if r["Allocated team"] == "Disabled Children's Team"]
    assert sum(r["Disability (Y/N)"] == "Y" for r in disabled) > 0.8 * len(disabled)


def test_a_sample_from_the_list_leaves_out_recently_audited_cases_and_filters_on_its_flags(
        demo_store, written, tmp_path) -> None:
    store = open_store(tmp_path / "sampled")
    try:
        demo.generate(store, audits=150, seed=SEED, anchor=ANCHOR)
        with store.transaction() as s:
            svc.import_case_list(s, written.path, actor="Q. Lead", today=ANCHOR)
        programme = words()["programmes"]["regular"]
        with store.session() as s:
            plain = draw(s, programme, SampleOptions(seed=9, per_team=5, exclude_audited_months=6,
                                                     exclude_in_programme=False, today=ANCHOR))
            by_date = draw(s, programme, SampleOptions(seed=9, per_team=5, today=ANCHOR,
                                                       where=(parse_filter("plan_start<=today-18m"),)))
            by_flag = draw(s, programme, SampleOptions(seed=9, per_team=5, today=ANCHOR,
                                                       where=(parse_filter("plan_over_18_months=yes"),)))
    finally:
        store.close()
    assert sum(t.total("audited_recently") for t in plain.teams) > 0
    assert plain.shortfall == 0 and len(plain.chosen) == 5 * len(plain.teams)
    assert [t.total("eligible") for t in by_date.teams] == [t.total("eligible") for t in by_flag.teams]
    assert {c.case_ref for c in by_date.chosen} == {c.case_ref for c in by_flag.chosen}


def test_an_excel_list_gives_the_same_cases(demo_store, written, tmp_path) -> None:
    book = write_demo_case_list(demo_store, tmp_path / "list.xlsx", seed=SEED, today=ANCHOR)
    with demo_store.session() as s:
        from_csv = svc.read_file(s, written.path, today=ANCHOR)
        from_xlsx = svc.read_file(s, book.path, today=ANCHOR)
    assert from_xlsx.ok, from_xlsx.describe()
    key = lambda c: (c.case_ref, c.case_type, c.team, c.worker, c.age_band, sorted(c.fields.items()))  # noqa: E731
    assert sorted(map(key, from_xlsx.cases)) == sorted(map(key, from_csv.cases))


def test_the_newest_list_in_a_folder_is_found(tmp_path) -> None:
    assert find_demo_case_list(tmp_path) is None and find_demo_case_list(None) is None
    for day in (date(2026, 11, 30), date(2026, 12, 2), date(2026, 12, 1)):
        (tmp_path / case_list_name(day)).write_text("x")
    (tmp_path / "notes.csv").write_text("x")
    assert find_demo_case_list(tmp_path) == tmp_path / "case-list-2026-12-02.csv"
