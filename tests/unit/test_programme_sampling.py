"""A programme's sample, allocation and assignments against a real store: exactly the drafts shown are created."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timezone

import pytest

from qadesk.core.allocation import AllocatedCase, Auditor
from qadesk.core.cases import CaseRow
from qadesk.core.errors import Conflict, StateError, ValidationError
from qadesk.core.sampling import SampleOptions, parse_filter
from qadesk.services import audits as svc
from qadesk.services.assignments import assigned_to, hand_over, programme_status
from qadesk.services.moderation import moderate
from qadesk.services.programmes import ProgrammePlan, create_programme
from qadesk.services.sampling import (
    auditors_named,
    confirm,
    draw,
    list_auditors,
    propose,
    read_cases,
    sample_records,
)
from qadesk.store.history import verify
from qadesk.store.models import Assignment, Audit, Case, HistoryEntry, Person

TEAMS = ["Assessment 1", "Assessment 2"]
AUDITORS = [Auditor("B. Manager", "Team manager", "Assessment 1"), Auditor("C. Officer", "QA officer", "Quality"),
            Auditor("D. Practice", "Practice manager", "Assessment 2")]


def made_up_cases() -> list[CaseRow]:
    out = []
    for t, team in enumerate(TEAMS):
        for i in range(24):
            out.append(CaseRow(case_ref=f"CR-{t + 1}{i:04d}", case_type=("CIN", "CP", "CLA")[i % 3], team=team,
                               worker=("B. Manager" if i % 4 == 0 else f"W. Worker{i % 5}"),
                               fields={"repeat_referral": "yes" if i % 2 else "no"}))
    return out


@pytest.fixture
def programme(loaded_store):
    with loaded_store.transaction() as s:
        create_programme(s, ProgrammePlan("December regular audits", starts_on=date(2026, 12, 1),
                                          ends_on=date(2026, 12, 31), template_id="regular-case-audit",
                                          teams=TEAMS), actor="Q. Lead")
    return loaded_store


def options(**kw) -> SampleOptions:
    kw.setdefault("seed", 2026)
    kw.setdefault("per_team", 5)
    kw.setdefault("today", date(2026, 12, 1))
    return SampleOptions(**kw)


def test_confirming_creates_exactly_the_drafts_shown_assigned_in_the_programme(programme) -> None:
    cases = made_up_cases()
    with programme.session() as s:
        proposal = propose(s, "December regular audits", options(stratify="case_type"), AUDITORS, cases=cases)
    shown = {(r.case_ref, r.auditor) for r in proposal.allocation.rows}
    assert len(shown) == 10 and all(a for _, a in shown)
    with programme.session() as s:  # drawing wrote nothing
        assert s.query(Audit).count() == 0
    with programme.transaction() as s:
        created = confirm(s, proposal, actor="Q. Lead")
    assert {(c.case_ref, c.auditor) for c in created} == shown
    with programme.session() as s:
        audits = s.query(Audit).all()
        assert {(a.case_ref, a.auditor_name) for a in audits} == shown
        assert {a.programme.name for a in audits} == {"December regular audits"}
        assert {a.status for a in audits} == {"draft"}
        by_ref = {c.case_ref: c for c in cases}
        assert all(a.practitioner == by_ref[a.case_ref].worker and a.team == by_ref[a.case_ref].team
                   and a.case_type == by_ref[a.case_ref].case_type for a in audits)
        rows = s.query(Assignment).all()
        assert {r.due_on for r in rows} == {date(2026, 12, 31)}  # the programme's end
        assert all(r.reason and r.reason.startswith("random ") for r in rows)
        # The QA lead started them (the history says so); each is still its auditor's audit.
        starts = s.query(HistoryEntry).filter(HistoryEntry.entity == "audit", HistoryEntry.action == "start").all()
        assert len(starts) == 10 and {h.actor for h in starts} == {"Q. Lead"}
        assert verify(s).ok
        kept = sample_records(s, "December regular audits")
    assert len(kept) == 1 and kept[0].sample == proposal.sample and kept[0].created == 10
    assert kept[0].sample.options.seed == 2026 and kept[0].drawn_by == "Q. Lead"
    # The record draws the same sample again from the same list (without the exclusion of what it created).
    from dataclasses import replace

    with programme.session() as s:
        again = draw(s, "December regular audits", replace(kept[0].sample.options, exclude_in_programme=False),
                     cases=cases)
    assert [c.case_ref for c in again.chosen] == [c.case_ref for c in proposal.sample.chosen]


def test_the_cases_own_worker_never_audits_it_and_a_hand_adjustment_that_does_is_refused(programme) -> None:
    with programme.session() as s:
        proposal = propose(s, "December regular audits", options(per_team=12), AUDITORS, cases=made_up_cases())
    by_ref = {c.case_ref: c for c in proposal.sample.chosen}
    assert all(r.auditor != by_ref[r.case_ref].worker for r in proposal.allocation.rows)
    own = next(c for c in proposal.sample.chosen if c.worker == "B. Manager")
    rows = [AllocatedCase(r.case_ref, r.team, r.worker, "B. Manager" if r.case_ref == own.case_ref else r.auditor)
            for r in proposal.allocation.rows]
    with pytest.raises(ValidationError, match=f"{own.case_ref}: B. Manager is the case's allocated worker"), \
            programme.transaction() as s:
        confirm(s, proposal, actor="Q. Lead", rows=rows)
    with programme.session() as s:
        assert s.query(Audit).count() == 0 and s.query(Assignment).count() == 0


def test_a_row_adjusted_by_hand_or_left_out_is_created_as_shown(programme) -> None:
    with programme.session() as s:
        proposal = propose(s, "December regular audits", options(), AUDITORS, cases=made_up_cases())
    first, second, *rest = proposal.allocation.rows
    other = next(a.name for a in AUDITORS if a.name not in (first.auditor, first.worker))
    rows = [AllocatedCase(first.case_ref, first.team, first.worker, other),
            AllocatedCase(second.case_ref, second.team, second.worker, None), *rest]
    with programme.transaction() as s:
        created = confirm(s, proposal, actor="Q. Lead", rows=rows)
    assert len(created) == 9
    assert next(c.auditor for c in created if c.case_ref == first.case_ref) == other
    with programme.session() as s:
        record = sample_records(s, "December regular audits")[0].allocation
    by_hand = {r["case_ref"]: r for r in record["rows"]}
    assert by_hand[first.case_ref]["by_hand"] is (other != first.auditor)
    assert by_hand[second.case_ref]["auditor"] is None


def test_a_second_sample_leaves_out_the_cases_already_in_the_programme_and_balances_with_them(programme) -> None:
    cases = made_up_cases()
    with programme.transaction() as s:
        confirm(s, propose(s, "December regular audits", options(), AUDITORS, cases=cases), actor="Q. Lead")
    with programme.transaction() as s:
        second = propose(s, "December regular audits", options(seed=2026), AUDITORS, cases=cases)
        assert all(t.total("in_programme") == 5 for t in second.sample.teams)
        confirm(s, second, actor="Q. Lead")
    with programme.session() as s:
        refs = [a.case_ref for a in s.query(Audit)]
        loads = Counter(a.auditor_name for a in s.query(Audit))
    assert len(refs) == len(set(refs)) == 20
    assert max(loads.values()) - min(loads.values()) <= 1


def test_confirming_a_sample_whose_case_got_an_audit_meanwhile_is_refused(programme) -> None:
    with programme.session() as s:
        proposal = propose(s, "December regular audits", options(), AUDITORS, cases=made_up_cases())
    ref = proposal.allocation.rows[0].case_ref
    with programme.transaction() as s:
        svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref=ref), svc.Actor("X. Other"),
                        programme="December regular audits")
    with pytest.raises(Conflict, match=ref), programme.transaction() as s:
        confirm(s, proposal, actor="Q. Lead")


def test_a_programme_without_a_template_cannot_create_audits(loaded_store) -> None:
    with loaded_store.transaction() as s:
        create_programme(s, ProgrammePlan("Loose"), actor="Q. Lead")
        proposal = propose(s, "Loose", options(), AUDITORS, cases=made_up_cases())
    with pytest.raises(ValidationError, match="names no template"), loaded_store.transaction() as s:
        confirm(s, proposal, actor="Q. Lead")


def test_status_per_team_and_auditor_and_overdue(programme) -> None:
    with programme.transaction() as s:
        created = confirm(s, propose(s, "December regular audits", options(per_team=3), AUDITORS,
                                     cases=made_up_cases()), actor="Q. Lead")
    started, completed = created[0], created[1]
    with programme.transaction() as s:
        svc.set_summary(s, started.audit_id, "strengths", "Clear plan.", actor=started.auditor)
        audit = s.get(Audit, completed.audit_id)
        audit.status = "completed"  # as submit leaves it; moderation needs a completed audit
        audit.completed_at = datetime(2026, 12, 20, tzinfo=timezone.utc)
        s.flush()
        moderate(s, completed.audit_id, moderator=svc.Actor("M. Oderator"), agreed=True, grade=None)
    with programme.session() as s:
        early = programme_status(s, "December regular audits", today=date(2026, 12, 15))
        late = programme_status(s, "December regular audits", today=date(2027, 1, 2))
    assert (early.total.assigned, early.total.started, early.total.completed, early.total.moderated) == (6, 2, 1, 1)
    assert early.total.overdue == 0 and late.total.overdue == 5 and len(late.overdue) == 5
    teams = {p.name: p for p in early.by_team}
    assert set(teams) == set(TEAMS) and sum(p.assigned for p in teams.values()) == 6
    auditors = {p.name: p for p in early.by_auditor}
    assert auditors[started.auditor].started >= 1
    assert sum(p.assigned for p in auditors.values()) == 6
    d = early.by_team[0].as_dict()
    assert {"team", "assigned", "started", "completed", "moderated", "overdue"} <= set(d)


def test_assigned_to_me_soonest_due_first_and_handing_over_is_in_the_history(programme) -> None:
    with programme.transaction() as s:
        created = confirm(s, propose(s, "December regular audits", options(per_team=3), AUDITORS,
                                     cases=made_up_cases()), actor="Q. Lead")
    mine = [c for c in created if c.auditor == "C. Officer"]
    with programme.session() as s:
        listed = assigned_to(s, "C. Officer")
    assert {a.audit_id for a in listed} == {c.audit_id for c in mine}
    assert all(a.due_on == date(2026, 12, 31) and a.stage == "not started" for a in listed)
    target = next(c for c in created if c.auditor != "C. Officer")
    with programme.transaction() as s:
        moved = hand_over(s, target.reference, Auditor("C. Officer", "QA officer"), actor="Q. Lead",
                          due_on=date(2026, 12, 10))
    assert moved.auditor == "C. Officer" and moved.due_on == date(2026, 12, 10) and not moved.started
    with programme.session() as s:
        listed = assigned_to(s, "C. Officer")
        assert listed[0].audit_id == target.audit_id  # the soonest due first
        assert s.get(Audit, target.audit_id).auditor_name == "C. Officer"
        entry = s.query(HistoryEntry).filter_by(entity="assignment", action="hand_over").one()
        assert entry.actor == "Q. Lead" and target.auditor in entry.before and "C. Officer" in entry.after
        assert verify(s).ok


def test_handing_over_to_the_cases_own_worker_or_a_completed_audit_is_refused(programme) -> None:
    with programme.transaction() as s:
        created = confirm(s, propose(s, "December regular audits", options(per_team=12), AUDITORS,
                                     cases=made_up_cases()), actor="Q. Lead")
    own = next(c for c in created if c.case_ref in {x.case_ref for x in made_up_cases() if x.worker == "B. Manager"})
    with pytest.raises(ValidationError, match="allocated worker"), programme.transaction() as s:
        hand_over(s, own.audit_id, Auditor("b manager"), actor="Q. Lead")
    with programme.transaction() as s:
        s.get(Audit, created[0].audit_id).status = "completed"
    with pytest.raises(StateError, match="only a draft"), programme.transaction() as s:
        hand_over(s, created[0].audit_id, Auditor("Z. New"), actor="Q. Lead")


def test_the_case_list_is_read_from_the_store_and_auditors_from_the_people(programme) -> None:
    with programme.transaction() as s:
        s.add_all([Case(reference="CR-9001", case_type="CP", team="Assessment 1", age_band="10-15"),
                   Case(reference="CR-9002", case_type="CIN", team="Assessment 2")])
        s.add_all([Person(name="B. Manager", role="Team manager", team="Assessment 1", organisation=""),
                   Person(name="C. Officer", role="QA officer", team="Quality", organisation="")])
    with programme.session() as s:
        cases = read_cases(s)
        assert [(c.case_ref, c.fields) for c in cases] == [("CR-9001", {"age_band": "10-15"}), ("CR-9002", {})]
        sample = draw(s, "December regular audits", options(where=(parse_filter("age_band=10-15"),)))
        assert [c.case_ref for c in sample.chosen] == ["CR-9001"]
        assert [a.name for a in list_auditors(s)] == ["B. Manager", "C. Officer"]
        named = auditors_named(s, ["c officer".upper().replace("C OFFICER", "C. Officer"), "New Person"])
        assert named == [Auditor("C. Officer", "QA officer", "Quality"), Auditor("New Person")]


def test_an_empty_case_list_or_a_seed_out_of_range_is_refused(programme) -> None:
    with pytest.raises(ValidationError, match="case list is empty"), programme.session() as s:
        draw(s, "December regular audits", options())
    with pytest.raises(ValidationError, match="seed"), programme.session() as s:
        draw(s, "December regular audits", options(seed=-1), cases=made_up_cases())


def test_no_due_date_is_no_due_date_and_none_given_is_the_programmes_end(programme) -> None:
    with programme.session() as s:
        ends = propose(s, "December regular audits", options(), AUDITORS, cases=made_up_cases())
        none = propose(s, "December regular audits", options(), AUDITORS, cases=made_up_cases(), due_on=None)
        day = propose(s, "December regular audits", options(), AUDITORS, cases=made_up_cases(),
                      due_on=date(2026, 12, 18))
    assert (ends.due_on, none.due_on, day.due_on) == (date(2026, 12, 31), None, date(2026, 12, 18))
    with programme.transaction() as s:
        confirm(s, none, actor="Q. Lead")
    with programme.session() as s:
        assert {r.due_on for r in s.query(Assignment)} == {None}
