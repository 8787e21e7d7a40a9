"""The demo data generator: deterministic, valid by the services' own rules, consistent when cancelled."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select

from qadesk.core.audit import (
    AuditState,
    coerce_answer,
    constraint_problem,
    missing_for_submit,
    question_relevant,
)
from qadesk.core.scoring import question_score, suggest_overall
from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services import demo
from qadesk.services.demo_answers import Answerer
from qadesk.services.queries import audit_ids
from qadesk.store import open_store
from qadesk.store.history import verify
from qadesk.store.models import ActionItem, Audit, Case, Moderation, Person, Programme, Setting

ANCHOR = date(2026, 3, 10)


def _documents(store) -> list[dict]:
    with store.session() as s:
        return [svc.audit_document(svc.get_audit(s, i)) for i in audit_ids(s)]


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    """300 audits, made once for the module's read-only checks."""
    store = open_store(tmp_path_factory.mktemp("demo"))
    seen: list[tuple[int, int]] = []
    summary = demo.generate(store, audits=300, seed=11, anchor=ANCHOR, progress=lambda d, t: seen.append((d, t)))
    yield store, summary, seen
    store.close()


def test_same_seed_and_anchor_give_identical_audits(tmp_path):
    a = open_store(tmp_path / "a")
    b = open_store(tmp_path / "b")
    try:
        demo.generate(a, audits=120, seed=5, anchor=ANCHOR)
        demo.generate(b, audits=120, seed=5, anchor=ANCHOR)
        docs_a, docs_b = _documents(a), _documents(b)
        assert len(docs_a) == 120
        assert json.dumps(docs_a, sort_keys=True) == json.dumps(docs_b, sort_keys=True)
        c = open_store(tmp_path / "c")
        demo.generate(c, audits=120, seed=6, anchor=ANCHOR)
        assert {d["id"] for d in _documents(c)}.isdisjoint({d["id"] for d in docs_a})
        c.close()
    finally:
        a.close()
        b.close()


def test_answers_follow_the_template_rules(demo_store):
    store, _, _ = demo_store
    checked = 0
    with store.session() as s:
        for audit_id in audit_ids(s):
            audit = svc.get_audit(s, audit_id)
            t = svc.template_for(audit)
            state = svc.state_of(audit)
            for row in audit.answers:
                q = t.question(row.question_id)
                value = json.loads(row.value)
                assert coerce_answer(q, value) == value
                assert question_relevant(t, q, state.answers), (audit.reference, q.id)
                assert row.score == question_score(q, value)
                assert row.position == [x.id for x in t.questions()].index(q.id)
                if row.evidence:
                    assert q.evidence != "none"
                if audit.status != "draft":
                    assert constraint_problem(q, value, state.answers) is None, (audit.reference, q.id)
                checked += 1
            assert audit.answered_count == len(state.answers)
            assert audit.overall_suggested == suggest_overall(t, state.answers, state.section_grades)
            if audit.status != "draft":
                assert svc.check_submit(s, audit_id) == [], audit.reference
                assert audit.completed_at is not None and audit.completed_at >= audit.started_at
            assert audit.updated_at.date() < ANCHOR
    assert checked > 300 * 20


def test_the_mix_is_realistic(demo_store):
    store, summary, seen = demo_store
    assert summary.startswith("Made 300 demo audits")
    assert seen[0] == (0, 300) and seen[-1] == (300, 300)
    with store.session() as s:
        statuses = Counter(s.execute(select(Audit.status)).scalars())
        assert set(statuses) == {"draft", "completed", "moderated", "closed"}
        kinds = {svc.template_for(svc.get_audit(s, i)).kind for i in audit_ids(s)}
        assert kinds == {"regular", "thematic", "multi_agency", "data_led", "supervision", "observation",
                         "family_feedback"}
        case_types = Counter(s.execute(select(Audit.case_type).where(Audit.case_type.is_not(None))).scalars())
        assert {k for k, _ in case_types.most_common(3)} == {"CIN", "CP", "CLA"}
        assert set(case_types) == {"EH", "CIN", "CP", "CLA", "CL"}
        moderations = s.execute(select(Moderation.kind, Moderation.agreed, Moderation.rationale)).all()
        assert {(k, agreed) for k, agreed, _ in moderations} >= {("internal", True), ("internal", False),
                                                                  ("external", True)}
        assert all(r for _, agreed, r in moderations if not agreed)
        actions = s.execute(select(ActionItem)).scalars().all()
        assert any(a.urgent for a in actions) and any(a.status == "done" for a in actions)
        assert any(a.status == "open" and a.due < ANCHOR for a in actions)  # overdue
        assert all(a.closed_at is not None for a in actions if a.status != "open")
        rationales = s.execute(select(Audit).where(Audit.overall_grade != Audit.overall_suggested)).scalars().all()
        assert rationales and all(a.overall_rationale for a in rationales)
        assert set(s.execute(select(Programme.name)).scalars()) >= {"Monthly regular audits", "Neglect thematic — Q3"}
        assert s.execute(select(func.count()).select_from(Case)).scalar() > 100
        assert s.execute(select(func.count()).select_from(Person)).scalar() > 50
        # Grades differ between teams: the charts have something to show.
        by_team = Counter()
        done = Counter()
        for team, grade in s.execute(select(Audit.team, Audit.overall_grade).where(Audit.status != "draft")):
            done[team] += 1
            by_team[team] += grade in ("good", "outstanding", "green", "positive")
        shares = [by_team[t] / done[t] for t in done if done[t] >= 15]
        assert max(shares) - min(shares) > 0.15


def test_nobody_moderates_their_own_audit_and_the_final_grade_is_the_latest_moderation(demo_store):
    store, _, _ = demo_store
    with store.session() as s:
        pairs = s.execute(select(Moderation.moderator_name, Audit.auditor_name).join(
            Audit, Moderation.audit_id == Audit.id)).all()
        assert len(pairs) > 50
        assert [p for p in pairs if " ".join(p[0].split()).casefold() == " ".join(p[1].split()).casefold()] == []
        # An internal moderator is also an auditor in the demo, so the rule is exercised, not avoided.
        auditors = set(s.execute(select(Audit.auditor_name)).scalars())
        assert {m for m, _ in pairs} & auditors
        for audit in s.execute(select(Audit).where(Audit.status != "draft")).scalars():
            graded = sorted((m for m in audit.moderations if m.grade), key=lambda m: m.at)
            assert audit.final_grade == (graded[-1].grade if graded else audit.overall_grade), audit.reference


def test_history_and_references_are_consistent(demo_store):
    store, _, _ = demo_store
    with store.session() as s:
        report = verify(s)
        assert report.ok, report
        assert report.entries > 300 * 2
        refs = list(s.execute(select(Audit.reference, Audit.started_at).order_by(Audit.started_at)).all())
        by_year: dict[str, list[int]] = {}
        for ref, started in refs:
            year, number = ref.split("-")[1], int(ref.split("-")[2])
            assert int(year) == started.year
            by_year.setdefault(year, []).append(number)
        for year, numbers in by_year.items():
            assert numbers == list(range(1, len(numbers) + 1))
            assert s.get(Setting, f"next_reference.{year}").value == str(len(numbers) + 1)
        submits = s.execute(select(func.count()).select_from(Audit).where(Audit.status != "draft")).scalar()
        from qadesk.store.models import HistoryEntry

        assert s.execute(select(func.count()).select_from(HistoryEntry)
                         .where(HistoryEntry.action == "submit")).scalar() == submits


def test_later_audits_continue_the_sequence(tmp_path):
    store = open_store(tmp_path)
    demo.generate(store, audits=40, seed=2, anchor=ANCHOR)
    with store.transaction() as s:
        last = s.execute(select(Audit.reference).where(Audit.reference.like("AUD-2026-%"))
                         .order_by(Audit.reference.desc())).scalars().first()
        audit = svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref="CR-000001"), svc.Actor("T. Tester"))
        assert audit.reference.startswith("AUD-")
        if audit.reference.startswith("AUD-2026-") and last:
            assert int(audit.reference[-4:]) == int(last[-4:]) + 1
    before = _documents(store)
    summary = demo.generate(store, audits=30, seed=2, anchor=ANCHOR)  # a second run adds, never collides
    assert summary.startswith("Made 30")
    assert len(_documents(store)) == len(before) + 30
    with store.session() as s:
        assert verify(s).ok
    store.close()


def test_cancel_keeps_whole_batches(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "BATCH", 25)
    store = open_store(tmp_path)
    calls: list[int] = []

    def progress(done: int, total: int) -> None:
        calls.append(done)

    summary = demo.generate(store, audits=100, seed=3, anchor=ANCHOR, progress=progress,
                            cancel=lambda: len(calls) >= 3)
    assert summary.startswith("Cancelled after 50 of 100")
    with store.session() as s:
        assert s.execute(select(func.count(Audit.id))).scalar() == 50
        assert verify(s).ok
        for audit_id in audit_ids(s):
            audit = svc.get_audit(s, audit_id)
            if audit.status != "draft":
                assert svc.check_submit(s, audit_id) == []
    store.close()


def test_a_rule_that_reads_a_later_answer_is_still_satisfied():
    """An in-order walk cannot see a later answer; the submit check and repair catch it."""
    t = template_from_dict({
        "format": "qadesk-template/1", "id": "forward-rule", "version": 1, "title": "Forward rule",
        "kind": "regular", "lists": {"yn": [{"value": "yes", "label": "Yes", "score": 1},
                                            {"value": "no", "label": "No", "score": 0}]},
        "overall": {"list": "yn", "suggest": "none"},
        "sections": [{"id": "s1", "title": "One", "questions": [
            {"id": "why", "type": "long_text", "label": "Why?", "required": True, "relevant": "${later} = 'no'"},
            {"id": "later", "type": "choice", "list": "yn", "label": "Later?", "required": True},
            {"id": "count", "type": "integer", "label": "How many?", "required": True, "min": 0, "max": 10,
             "constraint": ". >= 3"},
        ]}],
    }, source="test")
    assert Answerer.looks_forward_in(t)
    for seed in range(30):
        ans = Answerer(random.Random(seed), t, 0.5, ANCHOR, None, None, "A. Tester")
        ans.walk(complete=True)
        state = AuditState(answers=ans.values, evidence=ans.evidence, overall_grade="yes")
        ans.repair(state)
        assert missing_for_submit(t, state, None) == []
        assert ans.values["count"] >= 3


def test_some_auditors_grade_generously_and_some_severely_so_moderation_shows_drift(demo_store):
    """Per auditor, the moderated grade against the auditor's: the demo's generous auditors are mostly
    moderated down, its severe ones up (services.demo_audits.leaning), the rest either way."""
    from qadesk.services.demo_audits import leaning

    store, _, _ = demo_store
    with store.session() as s:
        rows = s.execute(select(Audit.auditor_name, Audit.overall_score, Moderation.grade, Audit.template_pk)
                         .join(Moderation, Moderation.audit_id == Audit.id)).all()
        scores = {}
        from qadesk.services.templates import template_of
        from qadesk.store.models import TemplateVersion

        for row in s.execute(select(TemplateVersion)).scalars():
            scores[row.pk] = {c.value: c.score for c in template_of(row).overall_choices()}
    drift: dict[str, list[int]] = {}
    for auditor, own, grade, tpk in rows:
        theirs = scores[tpk].get(grade)
        if own is not None and theirs is not None:
            drift.setdefault(leaning(auditor), []).append(int(own) - int(theirs))  # > 0: moderated down
    assert set(drift) == {"generous", "severe", "steady"}
    mean = {k: sum(v) / len(v) for k, v in drift.items()}
    assert mean["generous"] > 0.2 > abs(mean["steady"]) and mean["severe"] < -0.2, mean
