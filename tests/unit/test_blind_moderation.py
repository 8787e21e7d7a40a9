"""Blind second marking: the moderator's own judgements first, the auditor's after, the dialogue; each step in
the history, which replays to the tables; the agreement pairs use the judgement made blind."""

from __future__ import annotations

import json

import pytest

from qadesk.core.errors import PermissionDenied, StateError, ValidationError
from qadesk.services import agreement
from qadesk.services import audits as svc
from qadesk.services import blind_moderation as bm
from qadesk.services.audit_document import audit_document
from qadesk.services.history import verify_store
from qadesk.services.moderation import pending_blind
from qadesk.store.models import BlindJudgement, HistoryEntry
from tests.helpers.exports import ACTOR, fill_audit

MOD = svc.Actor("Morgan Second", organisation="Example Borough Council")
TEMPLATE = "regular-case-audit"


@pytest.fixture
def completed(loaded_store):
    with loaded_store.transaction() as s:
        aid = fill_audit(s, TEMPLATE, n=0, practitioner="Robin Madeup", submit=False)
        rationale = "Overall rationale the auditor wrote"
        svc.set_overall(s, aid, actor=ACTOR, grade=svc.get_audit(s, aid).overall_grade, rationale=rationale)
        svc.submit(s, aid, actor=ACTOR)
        audit = svc.get_audit(s, aid)
        assert audit.status == "completed"
        t = svc.template_for(audit)
        graded = [x.id for x in t.sections if x.grade_list]
        sections = {j.section_id: j.grade for j in audit.section_judgements}
        overall = audit.overall_grade
    return loaded_store, aid, graded, sections, overall, rationale


def _other(t, list_name: str, value: str) -> str:
    return next(c.value for c in t.list_choices(list_name) if c.value != value and c.score is not None)


def test_the_evidence_shown_blind_holds_none_of_the_auditors_judgements(completed):
    store, aid, graded, sections, overall, rationale = completed
    with store.session() as s:
        audit = svc.get_audit(s, aid)
        t = svc.template_for(audit)
        ev = bm.evidence(audit, blind=True)
        seen = bm.evidence(audit, blind=False)
    assert ev.blind and ev.auditor_overall is None and ev.auditor_rationale is None
    assert all(x.auditor_grade is None for x in ev.sections)
    assert any(x.items for x in ev.sections)  # the answers and evidence are there to read
    assert any("Robin Madeup" in i.evidence for x in ev.sections for i in x.items)
    assert rationale not in repr(ev)
    assert seen.auditor_overall == next(c.label for c in t.overall_choices() if c.value == overall)
    assert seen.auditor_rationale == rationale
    assert {x.id for x in seen.sections if x.auditor_grade} == set(sections)


def test_judgements_recorded_blind_are_kept_compared_and_concluded(completed):
    store, aid, graded, sections, overall, _ = completed
    with store.transaction() as s:
        t = svc.template_for(svc.get_audit(s, aid))
        with pytest.raises(StateError, match="record your own judgements"):
            bm.comparison(s, aid, MOD.name)
        first = graded[0]
        own_first = _other(t, t.section(first).grade_list, sections[first])
        own_overall = _other(t, t.overall.list, overall)
        own = {sid: (own_first if sid == first else sections[sid]) for sid in graded}
        bm.record_blind(s, aid, moderator=MOD, own_grade=own_overall, sections=own)
    # Recorded once: the moderator cannot go back and change what they thought before they saw the auditor's.
    with store.transaction() as s, pytest.raises(StateError, match="already recorded"):
        bm.record_blind(s, aid, moderator=svc.Actor("morgan  SECOND"), own_grade=overall)
    with store.session() as s:
        rows = bm.comparison(s, aid, "Morgan Second")
    differing = {r.section_id for r in rows if r.differs}
    assert differing == {first, None}  # the section they graded otherwise, and the overall
    assert rows[-1].title == "Overall" and rows[-1].steps != 0
    with store.transaction() as s:
        m = svc.moderate(s, aid, moderator=MOD, agreed=False, grade=own_overall, rationale="Plan lacks timescales",
                         learning_points="Record the child's words")
        mid = m.id
    with store.session() as s:
        audit = svc.get_audit(s, aid)
        assert pending_blind(s, aid, MOD.name) is None
        assert s.query(BlindJudgement).count() == 0
        doc = audit_document(audit)["moderations"][0]
        assert doc["blind"] is True and doc["own_grade"] == own_overall and doc["grade"] == own_overall
        assert doc["sections"][first] == {"own": own_first, "auditor": sections[first]}
        assert doc["learning_points"] == "Record the child's words"
        assert audit.final_grade == own_overall and audit.status == "moderated"
        kinds = [(h.entity, h.action) for h in s.query(HistoryEntry).filter_by(audit_id=aid).order_by(HistoryEntry.seq)]
        assert ("blind_judgement", "record") in kinds and kinds[-1] == ("moderation", "moderate")
        report = verify_store(s, None)
        assert report.ok, report.problems
    # The dialogue: the moderator's note, the auditor's response; nobody else writes in it.
    with store.transaction() as s:
        bm.add_note(s, mid, author=MOD.name, text="Happy to talk it through")
        bm.add_note(s, mid, author=ACTOR, text="Agreed; I will add the child's words")
        with pytest.raises(StateError, match="only the auditor"):
            bm.add_note(s, mid, author="Someone Else", text="Me too")
        with pytest.raises(ValidationError):
            bm.add_note(s, mid, author=ACTOR, text="   ")
    with store.session() as s:
        notes = audit_document(svc.get_audit(s, aid))["moderations"][0]["notes"]
        assert [(n["role"], n["text"]) for n in notes] == [("moderator", "Happy to talk it through"),
                                                          ("auditor", "Agreed; I will add the child's words")]
        report = verify_store(s, None)
        assert report.ok, report.problems
        pairs = agreement.section_pairs(s)
        assert {p.section for p in pairs} == {t.section(sid).title for sid in graded if sid in sections}


def test_the_agreement_pair_is_the_judgement_made_blind_and_drift_the_settled_grade(completed):
    store, aid, _, _, overall, _ = completed
    with store.transaction() as s:
        t = svc.template_for(svc.get_audit(s, aid))
        own = _other(t, t.overall.list, overall)
        bm.record_blind(s, aid, moderator=MOD, own_grade=own)
        svc.moderate(s, aid, moderator=MOD, agreed=True)  # they saw the auditor's view and came round to it
    with store.session() as s:
        (pair,) = agreement.overall_pairs(s)
    scale = pair.scale
    assert pair.moderated_grade == scale.index(own) and pair.auditor_grade == scale.index(overall)
    assert pair.final == pair.auditor_grade  # what moderation settled on: the auditor's grade


def test_refusals_are_located(completed):
    store, aid, graded, _, overall, _ = completed
    with store.transaction() as s:
        with pytest.raises(ValidationError, match="overall grade is one of"):
            bm.record_blind(s, aid, moderator=MOD, own_grade="splendid")
        with pytest.raises(ValidationError, match="no section"):
            bm.record_blind(s, aid, moderator=MOD, own_grade=overall, sections={"nonesuch": "good"})
        with pytest.raises(ValidationError, match="is not a grade of section"):
            bm.record_blind(s, aid, moderator=MOD, own_grade=overall, sections={graded[0]: "splendid"})
        with pytest.raises(PermissionDenied, match="a moderator must be someone else"):
            bm.record_blind(s, aid, moderator=svc.Actor(ACTOR), own_grade=overall)


def test_the_blind_setting_is_on_unless_the_qa_lead_turns_it_off(store):
    with store.transaction() as s:
        assert bm.blind_by_default(s)
        bm.set_blind_by_default(s, False, actor="Pat Lead")
    with store.session() as s:
        assert not bm.blind_by_default(s)
        entry = s.query(HistoryEntry).filter_by(entity="setting", entity_id=bm.BLIND_KEY).one()
        assert json.loads(entry.after) == {"blind": False}


def test_judging_blind_is_refused_when_blind_moderation_is_off(completed):
    """A judgement made after the auditor's grades were on show is never counted as blind."""
    store, aid, _, _, overall, _ = completed
    with store.transaction() as s:
        bm.set_blind_by_default(s, False, actor="Pat Lead")
    with store.transaction() as s, pytest.raises(StateError, match="blind moderation is off"):
        bm.record_blind(s, aid, moderator=MOD, own_grade=overall)
    with store.transaction() as s:
        m = svc.moderate(s, aid, moderator=MOD, agreed=True)
        assert m.blind is False and m.own_grade == overall


def test_sections_and_grades_are_named_as_people_write_them_and_a_moderation_by_the_start_of_its_id(completed):
    store, aid, graded, _, _, _ = completed
    with store.transaction() as s:
        t = svc.template_for(svc.get_audit(s, aid))
        first = t.section(graded[0])
        top = max((c for c in t.overall_choices() if c.score is not None), key=lambda c: c.score or 0)
        b = bm.record_blind(s, aid, moderator=MOD, own_grade=top.label.upper(),
                            sections={f"  {first.title.lower()} ": t.list_choices(first.grade_list)[0].label})
        assert b.own_grade == top.value
        assert json.loads(b.sections) == {first.id: t.list_choices(first.grade_list)[0].value}
        with pytest.raises(ValidationError, match="its graded sections: "):
            bm.record_blind(s, aid, moderator=svc.Actor("Another Moderator"), own_grade=top.value,
                            sections={"nonesuch": "good"})
        m = svc.moderate(s, aid, moderator=MOD, agreed=True)
        mid = m.id
    with store.transaction() as s:
        note = bm.add_note(s, mid[:8].upper(), author=ACTOR, text="Thank you")
        assert note.role == "auditor"
        with pytest.raises(Exception, match="no moderation"):
            bm.add_note(s, "0000000000", author=ACTOR, text="Thank you")
