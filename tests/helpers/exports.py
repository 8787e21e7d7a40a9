"""Building made-up audits through the real services, for the export and pack tests."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from qadesk.core.template import Template
from qadesk.services import audits as svc
from qadesk.services.profile import Profile, set_profile
from qadesk.store.models import Person

ACTOR = "Test Auditor"


def sample_value(q: Any, n: int = 0, long: bool = False) -> Any:
    """A valid answer for question ``q`` (the lowest-scoring choice when n is odd)."""
    if q.type in ("choice", "grade"):
        scored = [c for c in q.choices if c.score is not None] or list(q.choices)
        scored.sort(key=lambda c: c.score or 0)
        return (scored[0] if n % 2 else scored[-1]).value
    if q.type == "multi_choice":
        return [q.choices[0].value]
    if q.type in ("integer", "range"):
        return int(q.min) if isinstance(q.min, (int, float)) else 3
    if q.type == "decimal":
        return float(q.min) + 0.5 if isinstance(q.min, (int, float)) else 1.5
    if q.type == "date":
        return "2026-10-01"
    text = f"Made-up note {n} <b>bold & 'quoted'</b>"
    return (text + " lorem ipsum dolor sit amet") * 400 if long else text


def fill_audit(session: Any, template_id: str, *, n: int = 0, team: str = "Assessment 2",
               case_ref: str = "CR-900001", practitioner: str = "Alex Fictional", long: bool = False,
               submit: bool = True, started: datetime | None = None, programme: str | None = None,
               case_type: str = "CP", auditor: str = ACTOR) -> str:
    """Start, answer (every relevant question), judge, summarise, act on and submit one audit (as ``auditor``)."""
    audit = svc.start_audit(session, template_id,
                            svc.Subject(case_ref=case_ref, case_type=case_type, team=team, practitioner=practitioner),
                            svc.Actor(auditor, "Team manager"), programme=programme,
                            started_at=started or datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc))
    aid = audit.id
    t: Template = svc.template_for(audit)
    from qadesk.core.audit import question_relevant

    for _round in range(3):  # answers open up further questions
        for q in t.questions():
            if not q.answerable:
                continue
            state = svc.state_of(svc.get_audit(session, aid))
            if q.id in state.answers or not question_relevant(t, q, state.answers):
                continue
            ev = f"Evidence for {q.id}: {practitioner} visited" if q.evidence != "none" else ...
            try:
                svc.save_answer(session, aid, q.id, sample_value(q, n, long), actor=auditor, evidence=ev)
            except Exception:  # noqa: BLE001 - a constrained question the sample does not fit is left blank
                continue
    for s in t.sections:
        if s.grade_list:
            choices = sorted(t.lists[s.grade_list], key=lambda c: c.score or 0)
            svc.set_section_grade(session, aid, s.id, (choices[0] if n % 2 else choices[-1]).value, actor=auditor)
    a = svc.get_audit(session, aid)
    grade = a.overall_suggested or t.overall_choices()[0].value
    svc.set_overall(session, aid, actor=auditor, grade=grade)
    for key in svc.SUMMARY_KEYS:
        svc.set_summary(session, aid, key, f"{key} for case {case_ref}: {practitioner} did well", actor=auditor)
    svc.add_action(session, aid, f"Update the plan with {practitioner}", actor=auditor, owner=practitioner,
                   due=date(2026, 12, 9), urgent=bool(n % 3 == 1),
                   told_whom="Team manager, by phone" if n % 3 == 1 else None,
                   told_at=datetime(2026, 11, 20, 10, 30, tzinfo=timezone.utc) if n % 3 == 1 else None)
    for m in svc.check_submit(session, aid):  # a constraint the low sample broke: try the other choices
        if m.question_id and t.question(m.question_id).choices:
            for c in sorted(t.question(m.question_id).choices, key=lambda c: -(c.score or 0)):
                if not svc.save_answer(session, aid, m.question_id, c.value, actor=auditor).problem:
                    break
    for m in svc.check_submit(session, aid):  # the sample flagged an urgent concern: answer it the other way
        if m.key == "actions.add":
            for q in svc.urgent_concerns(t, svc.state_of(svc.get_audit(session, aid)).answers):
                calm = next(c.value for c in q.choices if c.value not in q.urgent_concern)
                svc.save_answer(session, aid, q.id, calm, actor=auditor)
    if submit:
        missing = svc.check_submit(session, aid)
        if not missing:
            svc.submit(session, aid, actor=auditor)
    return aid


def set_up_people(session: Any) -> None:
    set_profile(session, Profile(name="Pat Lead", role="QA lead", team="Quality", organisation="Example Borough Council"))
    session.add(Person(name="Sam Teammate", role="Social worker", team="Assessment 2", organisation="Example"))


ALL_TYPES_TEMPLATE = {
    "format": "qadesk-template/1", "id": "every-type-test", "version": 1, "title": "Every question type",
    "kind": "regular", "publisher": "Made-up Council",
    "lists": {
        "ofsted4": [{"value": "outstanding", "label": "Outstanding", "score": 4},
                    {"value": "good", "label": "Good", "score": 3},
                    {"value": "ri", "label": "Requires improvement to be good", "score": 2},
                    {"value": "inadequate", "label": "Inadequate", "score": 1}],
        "yes_no": [{"value": "yes", "label": "Yes, seen", "score": 1}, {"value": "no", "label": "No, not seen", "score": 0}],
        "tools": [{"value": "genogram", "label": "Genogram"}, {"value": "ecomap", "label": "Ecomap"},
                  {"value": "three_houses", "label": "Three houses"}],
    },
    "overall": {"list": "ofsted4", "suggest": "lowest_section"},
    "sections": [
        {"id": "all", "title": "All the types", "grade": {"list": "ofsted4"}, "questions": [
            {"id": "intro", "type": "note", "label": "Read the case record first."},
            {"id": "q_text", "type": "text", "label": "Short text", "evidence": "optional"},
            {"id": "q_long", "type": "long_text", "label": "Long text"},
            {"id": "q_int", "type": "integer", "label": "Whole number", "min": 0, "max": 100},
            {"id": "q_dec", "type": "decimal", "label": "Decimal number"},
            {"id": "q_date", "type": "date", "label": "A date"},
            {"id": "q_range", "type": "range", "label": "Scaling 0 to 10", "min": 0, "max": 10},
            {"id": "q_choice", "type": "choice", "list": "yes_no", "label": "Seen alone?", "evidence": "optional"},
            {"id": "q_why", "type": "long_text", "label": "Why was the child not seen alone?",
             "relevant": "${q_choice} = 'no'"},
            {"id": "q_multi", "type": "multi_choice", "list": "tools", "label": "Tools used"},
            {"id": "q_grade", "type": "grade", "list": "ofsted4", "label": "Quality of the plan"},
        ]},
    ],
}


def import_dict(store: Any, data: dict[str, Any]) -> None:
    from qadesk.core.template import template_from_dict
    from qadesk.services.templates import import_template

    with store.transaction() as s:
        import_template(s, template_from_dict(data), actor="test")


def dump_store(store: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, for 'the store is exactly as before' checks."""
    from sqlalchemy import select

    from qadesk.store.models import Base

    out = {}
    with store.session() as s:
        for table in Base.metadata.sorted_tables:
            out[table.name] = sorted((tuple(r) for r in s.execute(select(table)).all()), key=repr)
    return out


def make_audits(store: Any, n: int = 4, **kw: Any) -> list[str]:
    """n completed audits over four shipped templates, three teams and four months."""
    templates = ["regular-case-audit", "supervision-audit", "thematic-neglect-audit", "practice-observation"]
    teams = ["Assessment 2", "Children in Care East", "Family Support"]
    ids = []
    with store.transaction() as s:
        set_up_people(s)
        for i in range(n):
            ids.append(fill_audit(s, templates[i % 4], n=i, team=teams[i % 3], case_ref=f"CR-90{i:04d}",
                                  case_type=["CP", "CIN", "CLA"][i % 3], practitioner=["Alex Fictional", "Jo Madeup"][i % 2],
                                  started=datetime(2026, 8 + i % 4, 3, 10, tzinfo=timezone.utc), **kw))
    return ids
