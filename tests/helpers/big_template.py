"""A made-up template of any size whose rules reach across each section, and a store with an audit on it.

Used by the autosave benchmark (tests/benchmarks/bench_autosave_scale.py) and by the tests that check a
save's work does not grow with the template (tests/unit/test_autosave_scale.py).  Every question type,
``relevant`` rules on sections and questions, ``required`` rules, constraints, evidence notes, weighted
grade questions, section judgements and a ``mean_score`` suggestion; sections of 50 questions, so
5,000 questions (``MAX_QUESTIONS``) make 100 sections, within every template limit.
"""

from __future__ import annotations

import json
from pathlib import Path

PER_SECTION = 50
TYPES = ("choice", "long_text", "integer", "grade", "date", "multi_choice", "text", "decimal", "range", "choice")
VALUES = {"choice": "yes", "multi_choice": ["yes", "partly"], "text": "Made-up note", "long_text": "Made-up account",
          "integer": 5, "decimal": 2.5, "range": 3, "grade": "good", "date": "2026-01-02"}
TYPED_QUESTION = "q0_6"  # a ``text`` question on the first page, read by the ``relevant`` of q0_10
CHOICE_QUESTION = "q0_0"  # read by section s1's ``relevant`` and by rules in section s0


def make_template(n: int) -> dict:
    """A template of ``n`` questions (a multiple of 50) whose rules reach across each section."""
    sections = []
    for si in range(max(1, n // PER_SECTION)):
        questions = []
        for qi in range(PER_SECTION):
            t = TYPES[qi % len(TYPES)]
            q: dict = {"id": f"q{si}_{qi}", "type": t,
                       "label": f"Made-up question {qi + 1} of section {si + 1}: is the record good enough?",
                       "guidance": "What good looks like: a clear, specific record of what was done and why."}
            if t in ("choice", "multi_choice"):
                q["list"] = "yes_partly_no"
            elif t == "grade":
                q.update(list="ofsted4", weight=1 + qi % 3)
            elif t == "range":
                q.update(min=0, max=10)
            elif t in ("integer", "decimal"):
                q.update(min=0, max=100, constraint=f". <= {50 + qi} or ${{q{si}_0}} = 'no'",
                         constraint_message="Too high unless the first answer is no.")
            if qi % 4 == 0:
                q["evidence"] = "required" if qi % 8 == 0 else "optional"
            if qi % 5 == 1:
                q["relevant"] = f"${{q{si}_{qi - 1}}} != 'no'"
            elif qi % 5 == 2:
                q["required"] = f"${{q{si}_{qi - 2}}} = 'yes' or count-selected(${{q{si}_5}}) > 1"
            elif qi % 5 == 3:
                q["required"] = True
            elif qi % 5 == 4 and qi > 5:
                q["relevant"] = f"selected(${{q{si}_5}}, 'yes') or ${{q{si}_{qi - 4}}} != ''"
            elif qi % 5 == 0 and qi > 0:
                q["relevant"] = f"${{q{si}_{qi - 4}}} != 'no' and today() > '2020-01-01'"
            questions.append(q)
        section: dict = {"id": f"s{si}", "title": f"Section {si + 1}", "guidance": "Made-up guidance.",
                         "grade": {"list": "ofsted4"}, "questions": questions}
        if si > 0:
            section["relevant"] = f"${{q{si - 1}_0}} != 'partly'"
        sections.append(section)
    return {
        "format": "qadesk-template/1", "id": f"bench-logic-{n}", "version": 1, "title": f"Benchmark, {n} questions",
        "kind": "regular", "lists": {
            "ofsted4": [{"value": v, "label": lab, "score": s} for v, lab, s in (
                ("outstanding", "Outstanding", 4), ("good", "Good", 3),
                ("ri", "Requires improvement to be good", 2), ("inadequate", "Inadequate", 1))],
            "yes_partly_no": [{"value": "yes", "label": "Yes", "score": 2},
                              {"value": "partly", "label": "Partly", "score": 1},
                              {"value": "no", "label": "No", "score": 0}]},
        "overall": {"list": "ofsted4", "suggest": "mean_score", "thresholds": [
            {"min": 3.5, "value": "outstanding"}, {"min": 2.5, "value": "good"}, {"min": 1.5, "value": "ri"},
            {"min": 0, "value": "inadequate"}]},
        "sections": sections,
    }


def make_store(folder: Path, n: int):  # noqa: ANN201 - (Store, audit id)
    """A store holding the ``n``-question template and one draft audit on it, half answered."""
    from datetime import datetime, timezone

    from qadesk.core.scoring import question_score
    from qadesk.core.template import template_from_dict
    from qadesk.services import audits
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from qadesk.store.models import Answer, SectionJudgement

    template = template_from_dict(make_template(n), "bench")
    store = open_store(folder)
    with store.transaction() as s:
        import_template(s, template, actor="Benchmark")
        audit = audits.start_audit(s, template.id, audits.Subject(case_ref="MADEUP-0001"),
                                   audits.Actor("Made-up Auditor"))
        audit_id = audit.id
    # The answers go in as rows (saving 2,500 answers one by one is not what is measured here).
    at = datetime.now(timezone.utc)
    with store.transaction() as s:
        audit = audits.get_audit(s, audit_id)
        for i, q in enumerate(template.questions()):
            if i % 2 == 0 and q.id not in (TYPED_QUESTION, CHOICE_QUESTION):
                value = VALUES[q.type]
                audit.answers.append(Answer(audit_id=audit_id, question_id=q.id, position=i, value=json.dumps(value),
                                            evidence="Made-up evidence" if q.evidence != "none" else None,
                                            score=question_score(q, value), updated_at=at))
        for k, sec in enumerate(template.sections):
            if k % 2 == 0:
                audit.section_judgements.append(SectionJudgement(audit_id=audit_id, section_id=sec.id, grade="good",
                                                                 updated_at=at))
        audit.answered_count = len(audit.answers)
        audit.revision += 1
    return store, audit_id


