"""The moderated grade is the final grade (docs/packs-and-reports.md, "The final grade"), and nobody
moderates their own audit: the statistics, the lists, the return and the PDFs, read back."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import date, datetime, timedelta, timezone

import pypdf
import pytest
from openpyxl import load_workbook

from qadesk.core.errors import PermissionDenied, ValidationError
from qadesk.exchange.display import final_grade_of
from qadesk.services import audits as svc
from qadesk.services.moderation import outcome, same_person
from qadesk.services.overview import grades_by_month
from qadesk.services.queries import Selection, list_audits
from qadesk.services.reporting import write_audit_report, write_report
from qadesk.services.stats import FINAL_GRADE_NOTE, compute
from qadesk.store.models import Moderation
from tests.helpers.exports import ACTOR, fill_audit, make_audits, set_up_people

TODAY = date(2026, 12, 20)
OFSTED = {"outstanding": "Outstanding", "good": "Good", "ri": "Requires improvement to be good",
          "inadequate": "Inadequate"}
MOD = svc.Actor("Mo Derator", organisation="Neighbouring Council")
AT = datetime(2026, 12, 1, 10, tzinfo=timezone.utc)


@pytest.fixture
def moderated(loaded_store):
    """Six completed audits: one moderated to another grade, one agreed, one changed twice (the latest counts)."""
    ids = make_audits(loaded_store, 6)
    with loaded_store.transaction() as s:
        grades = {i: svc.get_audit(s, i).overall_grade for i in ids}
        assert grades[ids[0]] != "ri" and grades[ids[1]] not in ("good", "outstanding")  # n odd: the lowest
        svc.moderate(s, ids[0], moderator=MOD, agreed=False, grade="ri", rationale="The plan has no timescales",
                     kind="external", at=AT)
        svc.moderate(s, ids[2], moderator=MOD, agreed=True, at=AT)
        svc.moderate(s, ids[1], moderator=MOD, agreed=False, grade="outstanding", rationale="First view", at=AT)
        svc.moderate(s, ids[1], moderator=svc.Actor("Second Moderator"), agreed=False, grade="good",
                     rationale="On reflection, good", at=AT + timedelta(days=2))
    return loaded_store, ids, grades


def _independent_counts(store) -> Counter[str]:
    """The final grade of each completed audit, counted in plain SQL and Python (not through qadesk)."""
    con = sqlite3.connect(store.path)
    try:
        rows = con.execute("SELECT id, overall_grade FROM audits WHERE status != 'draft'").fetchall()
        counts: Counter[str] = Counter()
        for audit_id, overall in rows:
            latest = con.execute("SELECT grade FROM moderations WHERE audit_id = ? AND grade IS NOT NULL "
                                 "ORDER BY at DESC LIMIT 1", (audit_id,)).fetchone()
            counts[(latest[0] if latest else overall)] += 1
        return counts
    finally:
        con.close()


def test_statistics_count_a_moderated_audit_with_the_moderated_grade(moderated):
    store, ids, grades = moderated
    expected = Counter(grades.values())
    for audit_id, final in ((ids[0], "ri"), (ids[1], "good")):
        expected[grades[audit_id]] -= 1
        expected[final] += 1
    assert _independent_counts(store) == +expected
    with store.session() as s:
        st = compute(s, today=TODAY)
        counted = Counter({g: n for g, n in st.grade_totals().items() if n})
        # The stats count labels over four templates; the shipped ones all use Ofsted's four points.
        assert counted == Counter({OFSTED[g]: n for g, n in (+expected).items()})
        assert st.regraded == 2  # ids[0] and ids[1]; the agreed one (ids[2]) counts with the auditor's grade
        # Agreement is still the moderators' view of the auditor's grade: 1 of 4 moderations agreed.
        assert (st.moderations, st.moderations_agreed) == (4, 1)
        assert st.moderation_by_kind == {"internal": (1, 3), "external": (0, 1)}
        # One team's chart: ids[0] is in "Assessment 2" (make_audits cycles three teams).
        team = st.grades_by_team["Assessment 2"]
        assert team[OFSTED["ri"]] >= 1
        # Home's chart of the last six months counts the same final grades.
        home = Counter()
        for _month, counts in grades_by_month(s, today=date.today()):
            home.update(counts)
        assert +home == +expected


def test_the_audits_list_carries_the_final_and_the_auditors_grade(moderated):
    store, ids, grades = moderated
    with store.session() as s:
        rows = {r.id: r for r in list_audits(s, Selection())}
    assert (rows[ids[0]].grade, rows[ids[0]].auditor_grade, rows[ids[0]].moderated) == ("ri", grades[ids[0]], True)
    assert (rows[ids[2]].grade, rows[ids[2]].moderated) == (grades[ids[2]], False)  # agreed
    assert rows[ids[3]].grade == rows[ids[3]].auditor_grade == grades[ids[3]]  # not moderated
    assert rows[ids[0]].as_dict()["grade"] == "ri" and rows[ids[0]].as_dict()["auditor_grade"] == grades[ids[0]]


def test_the_final_grade_read_from_a_document_follows_the_same_rule(moderated):
    store, ids, _ = moderated
    with store.session() as s:
        for audit_id in ids:
            audit = svc.get_audit(s, audit_id)
            doc = svc.audit_document(audit)
            assert final_grade_of(doc) == doc["final_grade"] == audit.final_grade
        o = outcome(svc.get_audit(s, ids[1]))
        assert [m["grade"] for m in o.moderations] == ["good", "outstanding"]  # newest first
        assert o.changed and o.final_grade == "good"


def test_the_return_counts_and_shows_final_grades(moderated, tmp_path):
    store, ids, grades = moderated
    path = write_report(store, tmp_path / "return.xlsx", Selection(), today=TODAY)
    wb = load_workbook(path)
    summary = {r[0]: r[1] for r in wb["Summary"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Audits counted with a moderated grade"] == 2
    assert summary["Grades counted"] == FINAL_GRADE_NOTE
    # "Grades by team" block: the labels of the main scale across, each team's counts below.
    rows = list(wb["Summary"].iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] == "Grades by team")
    labels = rows[head][2:]
    by_team: Counter[str] = Counter()
    for r in rows[head + 1:]:
        if not r or r[0] is None:
            break
        by_team.update({label: n for label, n in zip(labels, r[2:], strict=False) if label and n})
    assert by_team == Counter({OFSTED[g]: n for g, n in _independent_counts(store).items()})

    audits = wb["Audits"]
    header = [c.value for c in audits[1]]
    assert "Final grade" in header and "Auditor's grade" in header and "Overall grade" not in header
    by_ref = {r[0]: dict(zip(header, r, strict=True)) for r in audits.iter_rows(min_row=2, values_only=True)}
    with store.session() as s:
        refs = {i: svc.get_audit(s, i).reference for i in ids}
    first = by_ref[refs[ids[0]]]
    assert (first["Final grade"], first["Auditor's grade"]) == (OFSTED["ri"], OFSTED[grades[ids[0]]])
    assert by_ref[refs[ids[1]]]["Final grade"] == "Good"
    assert by_ref[refs[ids[3]]]["Final grade"] == by_ref[refs[ids[3]]]["Auditor's grade"] == OFSTED[grades[ids[3]]]

    mods = wb["Moderation"]
    mhead = [c.value for c in mods[1]]
    mrows = [dict(zip(mhead, r, strict=True)) for r in mods.iter_rows(min_row=2, values_only=True)]
    row = next(r for r in mrows if r["Audit"] == refs[ids[0]])
    assert (row["Auditor's grade"], row["Moderated grade"], row["Agreed"]) == (
        OFSTED[grades[ids[0]]], OFSTED["ri"], "No")


def test_the_summary_pdf_says_grades_are_final_and_counts_the_changed(moderated, tmp_path):
    store, _, _ = moderated
    path = write_report(store, tmp_path / "summary.pdf", Selection(), today=TODAY)
    text = " ".join(" ".join(p.extract_text() for p in pypdf.PdfReader(path).pages).split())
    assert "Audits counted with a moderated grade 2" in text
    assert " ".join(FINAL_GRADE_NOTE.split()) in text


def test_the_audit_pdf_shows_both_grades_on_its_first_page(moderated, tmp_path):
    store, ids, grades = moderated
    with store.session() as s:
        path = write_audit_report(s, ids[0], tmp_path / "audit.pdf")
        unmoderated = write_audit_report(s, ids[3], tmp_path / "plain.pdf")
    first = " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())
    assert f"Auditor's grade {OFSTED[grades[ids[0]]]}" in first
    assert ("Moderated grade Requires improvement to be good (changed from the auditor's grade; external "
            "moderation by Mo Derator, Neighbouring Council, 1 Dec 2026)") in first
    assert first.index("Moderated grade") < first.index("Case reference")  # near the top, not at the end
    plain = " ".join(pypdf.PdfReader(unmoderated).pages[0].extract_text().split())
    assert "Moderated grade Not yet moderated" in plain


# ------------------------------------------------------------------ nobody moderates their own audit


def test_the_auditor_cannot_moderate_their_own_audit(loaded_store):
    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit")
        ref = svc.get_audit(s, aid).reference
    for name in (ACTOR, "  test   AUDITOR ", "test auditor"):
        with pytest.raises(PermissionDenied) as refused, loaded_store.transaction() as s:
            svc.moderate(s, aid, moderator=svc.Actor(name), agreed=True)
        assert str(refused.value) == f"{ref} was completed by {ACTOR}; a moderator must be someone else"
    with loaded_store.session() as s:
        audit = svc.get_audit(s, aid)
        assert audit.status == "completed" and audit.moderations == []
    with loaded_store.transaction() as s:
        svc.moderate(s, aid, moderator=svc.Actor("Someone Else"), agreed=True)


def test_whoever_submitted_the_audit_cannot_moderate_it_either(loaded_store):
    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit", submit=False)
        ref = svc.get_audit(s, aid).reference
        svc.submit(s, aid, actor="Pat Lead")  # completed on the auditor's behalf
    with pytest.raises(PermissionDenied, match=f"^{ref} was completed by Pat Lead; a moderator must be someone else$"), \
            loaded_store.transaction() as s:
        svc.moderate(s, aid, moderator=svc.Actor("pat lead"), agreed=True)
    with loaded_store.session() as s:
        assert s.query(Moderation).count() == 0


def test_a_disagreement_must_give_another_grade(loaded_store):
    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit")
        own = svc.get_audit(s, aid).overall_grade
    with pytest.raises(ValidationError, match="auditor's own grade"), loaded_store.transaction() as s:
        svc.moderate(s, aid, moderator=MOD, agreed=False, grade=own, rationale="Same grade, really")


def test_names_match_whatever_their_case_and_spacing():
    assert same_person("Sam Rivers", " sam   RIVERS")
    assert not same_person("Sam Rivers", "Sam Rivera")
    assert not same_person(None, "Sam Rivers") and not same_person("", "")


def test_a_second_moderation_later_replaces_the_first_as_the_final_grade(loaded_store):
    """A stored moderation comes back from SQLite with a naive time; the new one's is aware (this crashed)."""
    with loaded_store.transaction() as s:
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit")
    with loaded_store.transaction() as s:
        svc.moderate(s, aid, moderator=MOD, agreed=False, grade="inadequate", rationale="No plan", at=AT)
    with loaded_store.transaction() as s:
        svc.moderate(s, aid, moderator=svc.Actor("Second Moderator"), agreed=False, grade="ri",
                     rationale="There is a plan, on the file", at=AT + timedelta(hours=3))
    with loaded_store.session() as s:
        audit = svc.get_audit(s, aid)
        assert (audit.final_grade, audit.final_score) == ("ri", 2)


def test_a_draft_has_no_final_grade_in_the_return_yet(loaded_store, tmp_path):
    """Its working grade is the auditor's, under "Auditor's grade"; the final grade waits for submit."""
    with loaded_store.transaction() as s:
        draft = fill_audit(s, "regular-case-audit", n=1, submit=False, case_ref="CR-900077")
        graded = svc.get_audit(s, draft).overall_grade
        reference = svc.get_audit(s, draft).reference
    assert graded is not None
    path = write_report(loaded_store, tmp_path / "return.xlsx", Selection(), today=TODAY)
    audits = load_workbook(path)["Audits"]
    header = [c.value for c in audits[1]]
    row = next(dict(zip(header, r, strict=True)) for r in audits.iter_rows(min_row=2, values_only=True)
               if r[0] == reference)
    assert row["Status"] == "draft" and row["Final grade"] is None and row["Auditor's grade"]
