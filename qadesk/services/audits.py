"""Audit use cases: start, answer, judge, summarise, act, submit, reopen, moderate.

Every change runs in the caller's session, bumps the audit's revision and
appends a history entry (who, when, what, before, after).  The window and
the command line both call these functions; neither touches tables directly.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from qadesk.core.audit import (
    CASE_TYPES,
    SUMMARY_KEYS,
    AuditState,
    completion,
    constraint_problem,
    irrelevant_answered,
    missing_for_submit,
    question_relevant,
    section_relevant,
)
from qadesk.core.audit import coerce_answer as _coerce
from qadesk.core.errors import AnswerRefused, NotFound, StateError, SubmitRefused, ValidationError
from qadesk.core.scoring import question_score, rationale_needed, suggest_overall
from qadesk.core.template import Template
from qadesk.services.templates import get_row, template_of
from qadesk.store import history
from qadesk.store.models import ActionItem, Answer, Audit, Moderation, Programme, SectionJudgement, Setting

ACTION_STATUSES = ("open", "done", "cancelled")
MAX_SUBJECT_FIELD = 200


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def aware(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; qadesk stores UTC, so say so."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def iso(dt: datetime | None) -> str | None:
    d = aware(dt)
    return d.isoformat(timespec="seconds") if d else None


@dataclass
class Subject:
    case_ref: str | None = None
    case_type: str | None = None
    team: str | None = None
    practitioner: str | None = None
    extra: dict[str, str] = field(default_factory=dict)  # supervisor, respondent, setting, ...


@dataclass
class Actor:
    name: str
    role: str | None = None
    organisation: str | None = None


@dataclass
class SaveResult:
    revision: int
    saved_at: datetime
    problem: str | None = None  # a constraint the answer breaks (stored, but submit will refuse)
    suggested: str | None = None
    done: int = 0
    total: int = 0


def _get(session: Session, audit_id: str, *, for_answers: bool = False) -> Audit:
    # Autosave runs on every pause in typing: it needs the answers and judgements, not the
    # actions and moderations, so those load only if touched.
    opts = [lazyload(Audit.actions), lazyload(Audit.moderations)] if for_answers else []
    audit = session.get(Audit, audit_id, options=opts)
    if audit is None:
        audit = session.execute(select(Audit).where(Audit.reference == audit_id).options(*opts)).scalar_one_or_none()
    if audit is None:
        raise NotFound(f"no audit '{audit_id}' (give its id or reference, e.g. AUD-2026-0042)")
    return audit


get_audit = _get


def template_for(audit: Audit) -> Template:
    return template_of(audit.template)


def state_of(audit: Audit) -> AuditState:
    return AuditState(
        answers={a.question_id: json.loads(a.value) for a in audit.answers if a.value is not None},
        evidence={a.question_id: a.evidence for a in audit.answers if a.evidence},
        section_grades={j.section_id: j.grade for j in audit.section_judgements},
        overall_grade=audit.overall_grade,
        overall_rationale=audit.overall_rationale,
        summary={k: getattr(audit, k) for k in SUMMARY_KEYS if getattr(audit, k)},
    )


def _next_reference(session: Session, year: int) -> str:
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
                started_at: datetime | None = None, audit_id: str | None = None) -> Audit:
    """Start a draft audit on the newest version of a template (or the version given)."""
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
        reference=_next_reference(session, started.year),
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
    history.record(session, actor=auditor.name, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="start", after={"reference": audit.reference, "template": row.template_id,
                                          "version": row.version, "subject": subject_dict(audit)}, at=started)
    return audit


def _editable(audit: Audit) -> None:
    if audit.status != "draft":
        raise StateError(f"{audit.reference} is {audit.status}; reopen it (with a reason) to change it")


def _touch(audit: Audit, at: datetime) -> None:
    audit.revision += 1
    audit.updated_at = at


def save_answer(session: Session, audit_id: str, question_id: str, value: Any, *, actor: str,
                evidence: str | None | object = ..., strict: bool = False, today: date | None = None) -> SaveResult:
    """Store one answer (and/or its evidence note).

    The value is type-checked (refused with :class:`AnswerRefused` if it does
    not fit).  A constraint the value breaks is stored with the answer but
    reported in the result, so no typing is ever lost; submit refuses it.
    With ``strict`` it is refused instead (the command line's behaviour).
    Pass ``evidence=...`` (the default) to leave the note as it is.
    """
    audit = _get(session, audit_id, for_answers=True)
    _editable(audit)
    t = template_for(audit)
    if not t.has_question(question_id):
        raise AnswerRefused(question_id, f"the template {t.key} has no question '{question_id}'")
    q = t.question(question_id)
    clean = _coerce(q, value)
    state = state_of(audit)
    if not question_relevant(t, q, state.answers, today):
        raise AnswerRefused(question_id, "this question does not apply given the answers so far")
    values = dict(state.answers)
    values[question_id] = clean
    problem = constraint_problem(q, clean, values, today)
    if problem and strict:
        raise AnswerRefused(question_id, problem)
    if evidence is not ... and evidence is not None and evidence != "":  # "" clears, like None
        if not isinstance(evidence, str):
            raise AnswerRefused(question_id, "the evidence note must be text")
        if q.evidence == "none":
            raise AnswerRefused(question_id, "this question takes no evidence note")
        if len(evidence) > 100_000:
            raise AnswerRefused(question_id, "the evidence note is longer than 100,000 characters")
    at = now_utc()
    row = next((a for a in audit.answers if a.question_id == question_id), None)
    before = None if row is None else {"value": json.loads(row.value) if row.value else None,
                                       "evidence": row.evidence}
    new_evidence = (row.evidence if row is not None else None) if evidence is ... else (evidence or None)
    after = {"value": clean, "evidence": new_evidence}
    if before == after or (before is None and clean is None and new_evidence is None):
        return _result(audit, t, values, state, at, problem, today)
    if row is None:
        position = next(i for i, x in enumerate(t.questions()) if x.id == question_id)
        row = Answer(audit_id=audit.id, question_id=question_id, position=position, updated_at=at)
        audit.answers.append(row)
    row.value = json.dumps(clean, ensure_ascii=False) if clean is not None else None
    row.evidence = new_evidence
    row.score = question_score(q, clean)
    row.updated_at = at
    if row.value is None and not row.evidence:
        audit.answers.remove(row)
    audit.answered_count = sum(1 for a in audit.answers if a.value is not None)
    _touch(audit, at)
    history.record(session, actor=actor, entity="answer", entity_id=question_id, audit_id=audit.id,
                   action="answer", before=before, after=after, at=at)
    state.answers = {k: v for k, v in values.items() if v is not None}
    if new_evidence:
        state.evidence[question_id] = new_evidence
    else:
        state.evidence.pop(question_id, None)
    return _result(audit, t, state.answers, state, at, problem, today)


def _result(audit: Audit, t: Template, values: dict[str, Any], state: AuditState, at: datetime,
            problem: str | None, today: date | None) -> SaveResult:
    suggested = suggest_overall(t, values, state.section_grades, today)
    if audit.overall_suggested != suggested:
        audit.overall_suggested = suggested
    done, total = completion(t, state, today)
    return SaveResult(audit.revision, at, problem, suggested, done, total)


def set_section_grade(session: Session, audit_id: str, section_id: str, grade: str | None, *, actor: str,
                      today: date | None = None) -> SaveResult:
    audit = _get(session, audit_id, for_answers=True)
    _editable(audit)
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
    row = next((j for j in audit.section_judgements if j.section_id == section_id), None)
    before = row.grade if row else None
    if before == (grade or None):
        state = state_of(audit)
        return _result(audit, t, state.answers, state, at, None, today)
    if grade:
        if row is None:
            audit.section_judgements.append(SectionJudgement(audit_id=audit.id, section_id=section_id,
                                                             grade=grade, updated_at=at))
        else:
            row.grade, row.updated_at = grade, at
    elif row is not None:
        audit.section_judgements.remove(row)
    _touch(audit, at)
    history.record(session, actor=actor, entity="section_judgement", entity_id=section_id, audit_id=audit.id,
                   action="judge", before=before, after=grade or None, at=at)
    state = state_of(audit)
    return _result(audit, t, state.answers, state, at, None, today)


def set_overall(session: Session, audit_id: str, *, actor: str, grade: str | None | object = ...,
                rationale: str | None | object = ..., today: date | None = None) -> SaveResult:
    """The auditor's overall judgement and its rationale (needed when it differs from the suggestion)."""
    audit = _get(session, audit_id, for_answers=True)
    _editable(audit)
    t = template_for(audit)
    before = {"grade": audit.overall_grade, "rationale": audit.overall_rationale}
    if grade is not ...:
        if grade and grade not in {c.value for c in t.overall_choices()}:
            allowed = ", ".join(c.value for c in t.overall_choices())
            raise ValidationError(f"'{grade}' is not on the overall scale ({allowed})")
        audit.overall_grade = grade or None  # type: ignore[assignment]
    if rationale is not ...:
        if rationale is not None and not isinstance(rationale, str):
            raise ValidationError("the rationale must be text")
        audit.overall_rationale = rationale or None  # type: ignore[assignment]
    after = {"grade": audit.overall_grade, "rationale": audit.overall_rationale}
    at = now_utc()
    if before != after:
        _touch(audit, at)
        history.record(session, actor=actor, entity="overall", entity_id=audit.id, audit_id=audit.id,
                       action="judge", before=before, after=after, at=at)
    state = state_of(audit)
    return _result(audit, t, state.answers, state, at, None, today)


def set_summary(session: Session, audit_id: str, key: str, text: str | None, *, actor: str) -> SaveResult:
    if key not in SUMMARY_KEYS:
        raise ValidationError(f"'{key}' is not a summary field ({', '.join(SUMMARY_KEYS)})")
    audit = _get(session, audit_id, for_answers=True)
    _editable(audit)
    if text is not None and len(text) > 200_000:
        raise ValidationError("the summary is longer than 200,000 characters")
    before = getattr(audit, key)
    at = now_utc()
    if before != (text or None):
        setattr(audit, key, text or None)
        _touch(audit, at)
        history.record(session, actor=actor, entity="summary", entity_id=key, audit_id=audit.id,
                       action="write", before=before, after=text or None, at=at)
    return SaveResult(audit.revision, at)


def _action_dict(a: ActionItem) -> dict[str, Any]:
    return {"id": a.id, "text": a.text, "owner": a.owner, "due": a.due.isoformat() if a.due else None,
            "status": a.status, "urgent": bool(a.urgent)}


def add_action(session: Session, audit_id: str, text: str, *, actor: str, owner: str | None = None,
               due: date | None = None, urgent: bool = False, action_id: str | None = None) -> ActionItem:
    audit = _get(session, audit_id)
    if audit.status == "closed":
        raise StateError(f"{audit.reference} is closed")
    if not text or not text.strip():
        raise ValidationError("an action needs a description of what must happen")
    at = now_utc()
    item = ActionItem(id=action_id or str(uuid.uuid4()), audit_id=audit.id, text=text.strip(), owner=owner,
                      due=due, status="open", urgent=urgent, created_at=at)
    audit.actions.append(item)
    session.flush()
    _touch(audit, at)
    history.record(session, actor=actor, entity="action", entity_id=item.id, audit_id=audit.id,
                   action="add", after=_action_dict(item), at=at)
    return item


def update_action(session: Session, action_id: str, *, actor: str, **changes: Any) -> ActionItem:
    """Change an action's text, owner, due, urgent or status (open, done, cancelled)."""
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action '{action_id}'")
    allowed = {"text", "owner", "due", "urgent", "status", "closing_note"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationError(f"an action has no field {', '.join(sorted(unknown))}")
    if "status" in changes and changes["status"] not in ACTION_STATUSES:
        raise ValidationError(f"an action's status is one of {', '.join(ACTION_STATUSES)}")
    if "text" in changes and not (changes["text"] or "").strip():
        raise ValidationError("an action needs a description of what must happen")
    before = _action_dict(item)
    at = now_utc()
    for key, value in changes.items():
        setattr(item, key, value)
    if "status" in changes:
        item.closed_at = at if changes["status"] != "open" else None
    after = _action_dict(item)
    if before != after:
        audit = _get(session, item.audit_id)
        _touch(audit, at)
        history.record(session, actor=actor, entity="action", entity_id=item.id, audit_id=item.audit_id,
                       action="update", before=before, after=after, at=at)
    return item


def remove_action(session: Session, action_id: str, *, actor: str) -> None:
    item = session.get(ActionItem, action_id)
    if item is None:
        raise NotFound(f"no action '{action_id}'")
    audit = _get(session, item.audit_id)
    _editable(audit)
    before = _action_dict(item)
    audit.actions.remove(item)
    at = now_utc()
    _touch(audit, at)
    history.record(session, actor=actor, entity="action", entity_id=action_id, audit_id=audit.id,
                   action="remove", before=before, at=at)


def check_submit(session: Session, audit_id: str, today: date | None = None) -> list:
    """What stops submit now, in form order (empty when the audit can be submitted)."""
    audit = _get(session, audit_id)
    t = template_for(audit)
    state = state_of(audit)
    return missing_for_submit(t, state, suggest_overall(t, state.answers, state.section_grades, today), today)


def submit(session: Session, audit_id: str, *, actor: str, today: date | None = None) -> Audit:
    """Complete the audit: refused with the full list of what is missing.

    Answers to questions that no longer apply, and judgements of sections that no longer apply,
    are cleared now (never while typing); the history keeps them.
    """
    audit = _get(session, audit_id)
    _editable(audit)
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
    _touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="submit", before={"status": "draft"}, after=audit_document(audit), at=at)
    return audit


def reopen(session: Session, audit_id: str, reason: str, *, actor: str) -> Audit:
    """Back to draft with a reason; the history keeps the completed version whole."""
    audit = _get(session, audit_id)
    if audit.status == "draft":
        raise StateError(f"{audit.reference} is already a draft")
    if not reason or not reason.strip():
        raise ValidationError("reopening a completed audit needs a reason")
    before = audit_document(audit)
    at = now_utc()
    audit.status = "draft"
    audit.completed_at = None
    _touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="reopen", before=before, after={"status": "draft", "reason": reason.strip()}, at=at)
    return audit


def moderate(session: Session, audit_id: str, *, moderator: Actor, agreed: bool, grade: str | None = None,
             rationale: str | None = None, kind: str = "internal", moderation_id: str | None = None,
             at: datetime | None = None) -> Moderation:
    """Record a moderator's view: agreed, or a different moderated grade with a rationale."""
    audit = _get(session, audit_id)
    if audit.status not in ("completed", "moderated"):
        raise StateError(f"{audit.reference} is {audit.status}; only completed audits are moderated")
    if kind not in ("internal", "external"):
        raise ValidationError("moderation is internal or external")
    t = template_for(audit)
    if agreed:
        grade = audit.overall_grade
    else:
        if not grade or grade not in {c.value for c in t.overall_choices()}:
            raise ValidationError("a moderator who disagrees gives the moderated grade from the overall scale")
        if not rationale or not rationale.strip():
            raise ValidationError("a moderator who disagrees gives a rationale")
    at = (at or now_utc()).astimezone(timezone.utc)
    m = Moderation(id=moderation_id or str(uuid.uuid4()), audit_id=audit.id, moderator_name=moderator.name,
                   moderator_organisation=moderator.organisation, kind=kind, grade=grade, agreed=agreed,
                   rationale=rationale, at=at)
    audit.moderations.append(m)
    before = audit.status
    audit.status = "moderated"
    _touch(audit, at)
    history.record(session, actor=moderator.name, entity="moderation", entity_id=m.id, audit_id=audit.id,
                   action="moderate", before={"status": before}, after=moderation_dict(m), at=at)
    return m


def close(session: Session, audit_id: str, *, actor: str) -> Audit:
    audit = _get(session, audit_id)
    if audit.status not in ("completed", "moderated"):
        raise StateError(f"{audit.reference} is {audit.status}; only completed or moderated audits are closed")
    before = audit.status
    at = now_utc()
    audit.status = "closed"
    _touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="close", before={"status": before}, after={"status": "closed"}, at=at)
    return audit


# ------------------------------------------------------------------------------------------
# The audit document (contracts.md section 3)


def subject_dict(audit: Audit) -> dict[str, Any]:
    d: dict[str, Any] = {"case_ref": audit.case_ref, "case_type": audit.case_type, "team": audit.team,
                         "practitioner": audit.practitioner}
    if audit.subject_extra:
        for k, v in json.loads(audit.subject_extra).items():
            d.setdefault(k, v)
    return d


def moderation_dict(m: Moderation) -> dict[str, Any]:
    return {"id": m.id, "moderator": {"name": m.moderator_name, "organisation": m.moderator_organisation},
            "kind": m.kind, "grade": m.grade, "agreed": bool(m.agreed), "rationale": m.rationale, "at": iso(m.at)}


def audit_document(audit: Audit) -> dict[str, Any]:
    """The audit as one JSON-ready document, the same in a pack and from ``audit show --json``."""
    answers: dict[str, Any] = {}
    for a in audit.answers:
        entry: dict[str, Any] = {"value": json.loads(a.value) if a.value is not None else None}
        if a.evidence:
            entry["evidence"] = a.evidence
        answers[a.question_id] = entry
    return {
        "id": audit.id,
        "reference": audit.reference,
        "revision": audit.revision,
        "template": {"id": audit.template.template_id, "version": audit.template.version},
        "status": audit.status,
        "subject": subject_dict(audit),
        "auditor": {"name": audit.auditor_name, "role": audit.auditor_role},
        "started_at": iso(audit.started_at),
        "completed_at": iso(audit.completed_at),
        "updated_at": iso(audit.updated_at),
        "programme": audit.programme.name if audit.programme else None,
        "answers": answers,
        "sections": {j.section_id: {"grade": j.grade} for j in audit.section_judgements},
        "overall": {"grade": audit.overall_grade, "suggested": audit.overall_suggested,
                    "rationale": audit.overall_rationale},
        "summary": {k: getattr(audit, k) for k in SUMMARY_KEYS},
        "actions": [_action_dict(a) for a in audit.actions],
        "moderations": [moderation_dict(m) for m in audit.moderations],
    }


def rationale_required(audit: Audit) -> bool:
    return rationale_needed(audit.overall_grade, audit.overall_suggested)
