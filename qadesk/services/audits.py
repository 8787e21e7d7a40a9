"""Audit use cases: start, answer, judge, summarise, submit, reopen (and, re-exported, act and moderate).

Every change runs in the caller's session, bumps the audit's revision and
appends a history entry (who, when, what, before, after).  The window and
the command line both call these functions; neither touches tables directly.
Actions live in :mod:`qadesk.services.audit_actions`, moderation and closing
in :mod:`qadesk.services.moderation`, the audit document in
:mod:`qadesk.services.audit_document`; all are reached through this module.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from qadesk.core.audit import (
    CASE_TYPES,
    SUMMARY_KEYS,
    constraint_problem,
    irrelevant_answered,
    missing_for_submit,
    question_relevant,
    section_relevant,
    urgent_concerns,
)
from qadesk.core.audit import coerce_answer as _coerce
from qadesk.core.errors import AnswerRefused, StateError, SubmitRefused, ValidationError
from qadesk.core.permissions import Do
from qadesk.core.scoring import choice_score, question_score, rationale_needed, suggest_overall
from qadesk.core.template import Question, Template
from qadesk.core.template_marks import subject_answer, subject_value
from qadesk.core.template_plan import Evaluation, plan_of
from qadesk.services import evaluations, permissions
from qadesk.services.audit_access import (
    Actor,
    editable,
    get_audit,
    now_utc,
    refresh_final_grade,
    state_of,
    template_for,
    touch,
)
from qadesk.services.audit_actions import (
    ACTION_STATUSES,
    action_facts,
    add_action,
    remove_action,
    update_action,
)
from qadesk.services.audit_document import audit_document, aware, iso, moderation_dict, subject_dict
from qadesk.services.moderation import close, moderate
from qadesk.services.templates import get_row, template_of
from qadesk.store import history
from qadesk.store.models import Answer, Audit, Programme, SectionJudgement, Setting

# Every audit use case is reached through this module (the window, the command line, packs and tests
# import them from here), including those that live in the modules imported above.
__all__ = [
    "ACTION_STATUSES", "MAX_SUBJECT_FIELD", "Actor", "SaveResult", "Subject", "add_action", "audit_document",
    "aware", "check_submit", "close", "get_audit", "iso", "moderate", "moderation_dict", "next_reference",
    "now_utc", "rationale_required", "remove_action", "reopen", "save_answer", "set_overall",
    "set_section_grade", "set_summary", "start_audit", "state_of", "subject_dict", "submit", "template_for",
    "update_action", "urgent_concerns",
]

MAX_SUBJECT_FIELD = 200


@dataclass
class Subject:
    case_ref: str | None = None
    case_type: str | None = None
    team: str | None = None
    practitioner: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # supervisor, respondent, setting, ...


@dataclass
class SaveResult:
    revision: int
    saved_at: datetime
    problem: str | None = None  # a constraint the answer breaks (stored, but submit will refuse)
    suggested: str | None = None
    done: int = 0
    total: int = 0


def next_reference(session: Session, year: int) -> str:
    """The next ``AUD-YYYY-NNNN`` reference of the year (and count it as used)."""
    key = f"next_reference.{year}"
    row = session.get(Setting, key)
    if row is None:
        # Start after any reference already used this year (e.g. from an imported pack).
        prefix = f"AUD-{year}-"
        refs = session.execute(select(Audit.reference).where(Audit.reference.like(prefix + "%"))).scalars().all()
        numbers = [int(r[len(prefix):]) for r in refs if r[len(prefix):].isdigit()]
        row = Setting(key=key, value=str(max(numbers, default=0) + 1))
        session.add(row)
    n = int(row.value)
    row.value = str(n + 1)
    return f"AUD-{year}-{n:04d}"


def _clean(text: str | None, what: str) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_SUBJECT_FIELD:
        raise ValidationError(f"{what} is longer than {MAX_SUBJECT_FIELD} characters")
    return text or None


def start_audit(session: Session, template_id: str, subject: Subject, auditor: Actor, *,
                version: int | None = None, programme: str | None = None,
                started_at: datetime | None = None, audit_id: str | None = None, by: str | None = None) -> Audit:
    """Start a draft audit on the newest version of a template (or the version given).

    ``by``: who starts it when that is not its auditor (a QA lead confirming an allocation); the history
    says so, and the audit is still the auditor's.
    """
    permissions.require_start(session, auditor.name)
    row = get_row(session, template_id, version)
    if row.retired and version is None:
        raise StateError(f"the template '{template_id}' is retired: no new audits can be started on it")
    if subject.case_type is not None and subject.case_type not in CASE_TYPES:
        raise ValidationError(f"case type '{subject.case_type}' is not one of {', '.join(CASE_TYPES)}")
    started = (started_at or now_utc()).astimezone(timezone.utc)
    prog = None
    if programme:
        prog = session.execute(select(Programme).where(Programme.name == programme)).scalar_one_or_none()
        if prog is None:
            prog = Programme(name=programme)
            session.add(prog)
    audit = Audit(
        id=audit_id or str(uuid.uuid4()),
        reference=next_reference(session, started.year),
        template_pk=row.pk, template=row, status="draft",
        case_ref=_clean(subject.case_ref, "The case reference"),
        case_type=subject.case_type,
        team=_clean(subject.team, "The team"),
        practitioner=_clean(subject.practitioner, "The practitioner"),
        subject_extra=json.dumps(subject.extra, ensure_ascii=False) if subject.extra else None,
        auditor_name=_clean(auditor.name, "The auditor's name"), auditor_role=_clean(auditor.role, "The role"),
        programme=prog, started_at=started, updated_at=started, revision=1,
    )
    session.add(audit)
    session.flush()
    history.record(session, actor=by or auditor.name, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="start", after={"reference": audit.reference, "template": row.template_id,
                                          "version": row.version, "subject": subject_dict(audit),
                                          "auditor": {"name": audit.auditor_name, "role": audit.auditor_role},
                                          "programme": prog.name if prog else None}, at=started)
    _fill_from_subject(session, audit, template_of(row), by or auditor.name, started)
    return audit


def _fill_from_subject(session: Session, audit: Audit, t: Template, actor: str, at: datetime) -> None:
    """Answer the questions the template fills from the subject (``subject_field``), so nobody asks twice.

    Each answer's history entry says where it came from (``"from": "subject.case_type"``).
    """
    for position, q in enumerate(t.questions()):
        if q.subject_field is None or not question_relevant(t, q, {}):
            continue
        value = subject_answer(q, getattr(audit, q.subject_field))
        if value is None:
            continue
        audit.answers.append(Answer(audit_id=audit.id, question_id=q.id, position=position,
                                    value=json.dumps(value, ensure_ascii=False), score=question_score(q, value),
                                    updated_at=at))
        history.record(session, actor=actor, entity="answer", entity_id=q.id, audit_id=audit.id, action="answer",
                       after={"value": value, "evidence": None, "from": f"subject.{q.subject_field}"}, at=at)
    audit.answered_count = sum(1 for a in audit.answers if a.value is not None)


def _follow_subject(session: Session, audit: Audit, q: Question, value: Any, actor: str, at: datetime) -> None:
    """A question filled from the subject changes the subject with it, so the two never disagree."""
    new = subject_value(q, value)
    field_name = str(q.subject_field)
    old = getattr(audit, field_name)
    if field_name != "case_type" and new is not None:
        new = _clean(new, "The " + field_name.replace("_", " "))
    if new == old:
        return
    setattr(audit, field_name, new)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id, action="subject",
                   before={field_name: old}, after={field_name: new, "from": f"answer.{q.id}"}, at=at)


def save_answer(session: Session, audit_id: str, question_id: str, value: Any, *, actor: str,
                evidence: str | None | object = ..., strict: bool = False, today: date | None = None) -> SaveResult:
    """Store one answer (and/or its evidence note).

    The value is type-checked (refused with :class:`AnswerRefused` if it does
    not fit).  A constraint the value breaks is stored with the answer but
    reported in the result, so no typing is ever lost; submit refuses it.
    With ``strict`` it is refused instead (the command line's behaviour).
    Pass ``evidence=...`` (the default) to leave the note as it is.
    """
    audit = get_audit(session, audit_id, for_answers=True)
    permissions.require_change(session, audit)
    editable(audit)
    t = template_for(audit)
    if not t.has_question(question_id):
        raise AnswerRefused(question_id, f"the template {t.key} has no question '{question_id}'")
    q = t.question(question_id)
    clean = _coerce(q, value)
    # What the rules make of the audit, carried over from the last save (only what this answer touches
    # is evaluated again): the cost does not grow with the template.
    ev = evaluations.evaluation_for(session, audit, t, today)
    try:
        if not ev.question_relevant(question_id):
            raise AnswerRefused(question_id, "this question does not apply given the answers so far")
        problem = constraint_problem(q, clean, _With(ev.answers, question_id, clean), ev.today)
        if problem and strict:
            raise AnswerRefused(question_id, problem)
        if evidence is not ... and evidence is not None and evidence != "":  # "" clears, like None
            if not isinstance(evidence, str):
                raise AnswerRefused(question_id, "the evidence note must be text")
            if q.evidence == "none":
                raise AnswerRefused(question_id, "this question takes no evidence note")
            if len(evidence) > 100_000:
                raise AnswerRefused(question_id, "the evidence note is longer than 100,000 characters")
    except AnswerRefused:
        evaluations.keep(session, audit, ev, changed=False)
        raise
    at = now_utc()
    row = _answer_row(session, audit, question_id)
    before = None if row is None else {"value": json.loads(row.value) if row.value else None,
                                       "evidence": row.evidence}
    new_evidence = (row.evidence if row is not None else None) if evidence is ... else (evidence or None)
    after = {"value": clean, "evidence": new_evidence}
    if before == after or (before is None and clean is None and new_evidence is None):
        evaluations.keep(session, audit, ev, changed=False)
        return _result(audit, ev, at, problem)
    if row is None:
        row = Answer(audit_id=audit.id, question_id=question_id, position=plan_of(t).positions[question_id],
                     updated_at=at)
        _add(session, audit.answers if _loaded(audit, "answers") else None, row)
    row.value = json.dumps(clean, ensure_ascii=False) if clean is not None else None
    row.evidence = new_evidence
    row.score = question_score(q, clean)
    row.updated_at = at
    if row.value is None and not row.evidence:
        _remove(session, audit.answers if _loaded(audit, "answers") else None, row)
    if q.subject_field is not None:
        _follow_subject(session, audit, q, clean, actor, at)
    ev.set_answer(question_id, clean)
    ev.set_evidence(question_id, new_evidence)
    audit.answered_count = len(ev.answers)  # the rows that hold a value
    touch(audit, at)
    history.record(session, actor=actor, entity="answer", entity_id=question_id, audit_id=audit.id,
                   action="answer", before=before, after=after, at=at)
    evaluations.keep(session, audit, ev, changed=True)
    return _result(audit, ev, at, problem)


class _With(Mapping[str, Any]):
    """The answers with one of them replaced (what a constraint reads), without copying them all."""

    def __init__(self, answers: Mapping[str, Any], question_id: str, value: Any) -> None:
        self._answers, self._id, self._value = answers, question_id, value

    def __getitem__(self, key: str) -> Any:
        if key == self._id:
            if self._value is None:
                raise KeyError(key)
            return self._value
        return self._answers[key]

    def __iter__(self) -> Iterator[str]:
        yield from (k for k in self._answers if k != self._id)
        if self._value is not None:
            yield self._id

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _loaded(audit: Audit, relationship: str) -> bool:
    """Whether the audit's collection is loaded in this session (then changes go through it)."""
    return relationship not in inspect(audit).unloaded


def _answer_row(session: Session, audit: Audit, question_id: str) -> Answer | None:
    if _loaded(audit, "answers"):
        return next((a for a in audit.answers if a.question_id == question_id), None)
    return session.get(Answer, (audit.id, question_id))


def _add(session: Session, collection: list | None, row: object) -> None:
    if collection is not None:
        collection.append(row)
    else:
        session.add(row)


def _remove(session: Session, collection: list | None, row: object) -> None:
    if collection is not None:
        collection.remove(row)
    else:
        session.delete(row)


def _result(audit: Audit, ev: Evaluation, at: datetime, problem: str | None) -> SaveResult:
    suggested = ev.suggested()
    if audit.overall_suggested != suggested:
        audit.overall_suggested = suggested
    done, total = ev.completion()
    return SaveResult(audit.revision, at, problem, suggested, done, total)


def set_section_grade(session: Session, audit_id: str, section_id: str, grade: str | None, *, actor: str,
                      today: date | None = None) -> SaveResult:
    """Record (or clear, with None) the judgement of one section of a draft audit."""
    audit = get_audit(session, audit_id, for_answers=True)
    permissions.require_change(session, audit)
    editable(audit)
    t = template_for(audit)
    try:
        s = t.section(section_id)
    except KeyError:
        raise ValidationError(f"the template {t.key} has no section '{section_id}'") from None
    if s.grade_list is None:
        raise ValidationError(f"the section '{s.title}' takes no judgement")
    if grade and grade not in {c.value for c in t.lists[s.grade_list]}:
        allowed = ", ".join(c.value for c in t.lists[s.grade_list])
        raise ValidationError(f"'{grade}' is not a grade on this section's scale ({allowed})")
    at = now_utc()
    ev = evaluations.evaluation_for(session, audit, t, today)
    loaded = audit.section_judgements if _loaded(audit, "section_judgements") else None
    row = (next((j for j in loaded if j.section_id == section_id), None) if loaded is not None
           else session.get(SectionJudgement, (audit.id, section_id)))
    before = row.grade if row else None
    if before == (grade or None):
        evaluations.keep(session, audit, ev, changed=False)
        return _result(audit, ev, at, None)
    if grade:
        if row is None:
            _add(session, loaded, SectionJudgement(audit_id=audit.id, section_id=section_id, grade=grade,
                                                   updated_at=at))
        else:
            row.grade, row.updated_at = grade, at
    elif row is not None:
        _remove(session, loaded, row)
    ev.set_section_grade(section_id, grade or None)
    touch(audit, at)
    history.record(session, actor=actor, entity="section_judgement", entity_id=section_id, audit_id=audit.id,
                   action="judge", before=before, after=grade or None, at=at)
    evaluations.keep(session, audit, ev, changed=True)
    return _result(audit, ev, at, None)


def set_overall(session: Session, audit_id: str, *, actor: str, grade: str | None | object = ...,
                rationale: str | None | object = ..., today: date | None = None) -> SaveResult:
    """The auditor's overall judgement and its rationale (needed when it differs from the suggestion)."""
    audit = get_audit(session, audit_id, for_answers=True)
    permissions.require_change(session, audit)
    editable(audit)
    t = template_for(audit)
    before = {"grade": audit.overall_grade, "rationale": audit.overall_rationale}
    if grade is not ...:
        if grade and grade not in {c.value for c in t.overall_choices()}:
            allowed = ", ".join(c.value for c in t.overall_choices())
            raise ValidationError(f"'{grade}' is not on the overall scale ({allowed})")
        audit.overall_grade = grade or None  # type: ignore[assignment]
        audit.overall_score = choice_score(t.overall_choices(), audit.overall_grade)
        refresh_final_grade(audit, t)
    if rationale is not ...:
        if rationale is not None and not isinstance(rationale, str):
            raise ValidationError("the rationale must be text")
        audit.overall_rationale = rationale or None
    after = {"grade": audit.overall_grade, "rationale": audit.overall_rationale}
    at = now_utc()
    ev = evaluations.evaluation_for(session, audit, t, today)
    if before != after:
        touch(audit, at)
        history.record(session, actor=actor, entity="overall", entity_id=audit.id, audit_id=audit.id,
                       action="judge", before=before, after=after, at=at)
    evaluations.keep(session, audit, ev, changed=before != after)
    return _result(audit, ev, at, None)


def set_summary(session: Session, audit_id: str, key: str, text: str | None, *, actor: str) -> SaveResult:
    """Store one of the audit's summary texts (``SUMMARY_KEYS``); None clears it."""
    if key not in SUMMARY_KEYS:
        raise ValidationError(f"'{key}' is not a summary field ({', '.join(SUMMARY_KEYS)})")
    audit = get_audit(session, audit_id, for_answers=True)
    permissions.require_change(session, audit, Do.RESPOND if key == "practitioner_reflection" else Do.EDIT_AUDIT)
    editable(audit)
    if text is not None and len(text) > 200_000:
        raise ValidationError("the summary is longer than 200,000 characters")
    before = getattr(audit, key)
    at = now_utc()
    if before != (text or None):
        setattr(audit, key, text or None)
        touch(audit, at)
        history.record(session, actor=actor, entity="summary", entity_id=key, audit_id=audit.id,
                       action="write", before=before, after=text or None, at=at)
    return SaveResult(audit.revision, at)


def check_submit(session: Session, audit_id: str, today: date | None = None) -> list:
    """What stops submit now, in form order (empty when the audit can be submitted)."""
    audit = get_audit(session, audit_id)
    t = template_for(audit)
    state = state_of(audit)
    return missing_for_submit(t, state, suggest_overall(t, state.answers, state.section_grades, today), today,
                              actions=action_facts(audit))


def submit(session: Session, audit_id: str, *, actor: str, today: date | None = None) -> Audit:
    """Complete the audit: refused with the full list of what is missing.

    Answers to questions that no longer apply, and judgements of sections that no longer apply,
    are cleared now (never while typing); the history keeps them.
    """
    audit = get_audit(session, audit_id)
    permissions.require_change(session, audit)
    editable(audit)
    missing = check_submit(session, audit_id, today)
    if missing:
        raise SubmitRefused(missing)
    t = template_for(audit)
    state = state_of(audit)
    at = now_utc()
    for qid in irrelevant_answered(t, state.answers, today):
        row = next(a for a in audit.answers if a.question_id == qid)
        history.record(session, actor=actor, entity="answer", entity_id=qid, audit_id=audit.id,
                       action="clear_irrelevant", before={"value": json.loads(row.value) if row.value else None,
                                                          "evidence": row.evidence}, at=at)
        audit.answers.remove(row)
    # A judgement of a section that no longer applies goes the same way as its answers.
    shown = {s.id for s in t.sections if section_relevant(s, state.answers, today)}
    for judgement in [j for j in audit.section_judgements if j.section_id not in shown]:
        history.record(session, actor=actor, entity="section_judgement", entity_id=judgement.section_id,
                       audit_id=audit.id, action="clear_irrelevant", before=judgement.grade, at=at)
        audit.section_judgements.remove(judgement)
    audit.answered_count = sum(1 for a in audit.answers if a.value is not None)
    state = state_of(audit)
    audit.overall_suggested = suggest_overall(t, state.answers, state.section_grades, today)
    audit.status = "completed"
    audit.completed_at = at
    touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="submit", before={"status": "draft"}, after=audit_document(audit), at=at)
    return audit


def reopen(session: Session, audit_id: str, reason: str, *, actor: str) -> Audit:
    """Back to draft with a reason; the history keeps the completed version whole."""
    audit = get_audit(session, audit_id)
    permissions.require_change(session, audit, Do.REOPEN_AUDIT)
    if audit.status == "draft":
        raise StateError(f"{audit.reference} is already a draft")
    if not reason or not reason.strip():
        raise ValidationError("reopening a completed audit needs a reason")
    before = audit_document(audit)
    at = now_utc()
    audit.status = "draft"
    audit.completed_at = None
    touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="reopen", before=before, after={"status": "draft", "reason": reason.strip()}, at=at)
    return audit


def rationale_required(audit: Audit) -> bool:
    """Whether the overall grade differs from the suggested one, so a rationale must be written."""
    return rationale_needed(audit.overall_grade, audit.overall_suggested)
