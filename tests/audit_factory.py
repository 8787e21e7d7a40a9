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
               case_type: str = "CP") -> str:
    """Start, answer (every relevant question), judge, summarise, act on and submit one audit."""
    audit = svc.start_audit(session, template_id,
                            svc.Subject(case_ref=case_ref, case_type=case_type, team=team, practitioner=practitioner),
                            svc.Actor(ACTOR, "Team manager"), programme=programme,
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
                svc.save_answer(session, aid, q.id, sample_value(q, n, long), actor=ACTOR, evidence=ev)
            except Exception:  # noqa: BLE001 - a constrained question the sample does not fit is left blank
                continue
    for s in t.sections:
        if s.grade_list:
            choices = sorted(t.lists[s.grade_list], key=lambda c: c.score or 0)
            svc.set_section_grade(session, aid, s.id, (choices[0] if n % 2 else choices[-1]).value, actor=ACTOR)
    a = svc.get_audit(session, aid)
    grade = a.overall_suggested or t.overall_choices()[0].value
    svc.set_overall(session, aid, actor=ACTOR, grade=grade)
    for key in svc.SUMMARY_KEYS:
        svc.set_summary(session, aid, key, f"{key} for case {case_ref}: {practitioner} did well", actor=ACTOR)
    svc.add_action(session, aid, f"Update the plan with {practitioner}", actor=ACTOR, owner=practitioner,
                   due=date(2026, 12, 9), urgent=bool(n % 3 == 1))
    if submit:
        missing = svc.check_submit(session, aid)
        if not missing:
            svc.submit(session, aid, actor=ACTOR)
    return aid


def set_up_people(session: Any) -> None:
    set_profile(session, Profile(name="Pat Lead", role="QA lead", team="Quality", organisation="Example Borough Council"))
    session.add(Person(name="Sam Teammate", role="Social worker", team="Assessment 2", organisation="Example"))
