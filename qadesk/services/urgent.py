"""Urgent safeguarding concerns across audits: the ones no urgent action answers.

An audit's answers may flag an urgent concern (a question the template marks ``urgent_concern``).
Submit makes sure such an audit carries an urgent action saying who was told and when, but a draft
has not been submitted yet, and an audit can arrive without one (a pack from a copy of qadesk before
the rule). Those audits must not disappear from view: Home and every report list them as concerns
with no urgent action until one is added.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from qadesk.core.audit import question_relevant
from qadesk.core.figures import UnansweredConcern  # a plain value: the report writers read it too
from qadesk.services.queries import Selection, apply
from qadesk.services.templates import template_of
from qadesk.store.models import ActionItem, Answer, Audit, TemplateVersion


def _flag_condition(session: Session) -> tuple[Any, dict[tuple[int, str], Any]]:
    """SQL that finds answers flagging an urgent concern, and each flagging question by (template pk, id)."""
    parts = []
    questions: dict[tuple[int, str], Any] = {}
    for row in session.execute(select(TemplateVersion)).scalars():
        for q in template_of(row).questions():
            if not q.urgent_concern:
                continue
            questions[(row.pk, q.id)] = q
            if q.type == "multi_choice":  # a JSON list: any flagged value inside it
                value = or_(*[Answer.value.like(f'%{json.dumps(v)}%') for v in q.urgent_concern])
            else:
                value = Answer.value.in_([json.dumps(v) for v in q.urgent_concern])
            parts.append(and_(Audit.template_pk == row.pk, Answer.question_id == q.id, value))
    return (or_(*parts) if parts else false()), questions


def unanswered_concerns(session: Session, sel: Selection | None = None, *,
                        limit: int | None = 200) -> tuple[list[UnansweredConcern], int]:
    """Audits in the selection that flag an urgent concern with no urgent action (open or done).

    A draft counts once the question that flags it applies (a draft keeps answers that stopped applying
    until submit). Returns the first ``limit`` (by reference) and how many there are in all.
    """
    condition, questions = _flag_condition(session)
    if not questions:
        return [], 0
    answered = exists().where(ActionItem.audit_id == Audit.id, ActionItem.urgent.is_(True),
                              ActionItem.status.in_(("open", "done")))
    base: Select[Any]
    # Only the flagging questions' answers, found by the answers' primary key (audit, question), of audits on
    # templates that flag: no pass over every answer of every audit.
    qids = sorted({qid for _pk, qid in questions})
    base = select(Audit.id, Audit.reference, Audit.team, Audit.template_pk, Audit.status, Answer.question_id,
                  Answer.value).join(Answer, (Answer.audit_id == Audit.id)
                                     & Answer.question_id.in_(qids))  # type: ignore[assignment]
    query = apply(base, sel or Selection()).where(
        Audit.template_pk.in_(sorted({pk for pk, _qid in questions})), condition, ~answered).order_by(Audit.reference)
    seen: dict[str, UnansweredConcern] = {}
    for audit_id, reference, team, pk, status, qid, value in session.execute(query):
        q = questions[(pk, qid)]
        if audit_id in seen or not q.flags_urgent(json.loads(value) if value else None):
            continue
        if status == "draft" and not _applies(session, audit_id, pk, q):
            continue
        seen[audit_id] = UnansweredConcern(audit_id, reference, team, q.label, status)
    rows = list(seen.values())
    return (rows[:limit] if limit else rows), len(rows)


def _applies(session: Session, audit_id: str, template_pk: int, q: Any) -> bool:
    """Whether the flagging question applies to a draft, given all its answers so far."""
    row = session.get(TemplateVersion, template_pk)
    assert row is not None
    values = {qid: json.loads(v) for qid, v in session.execute(
        select(Answer.question_id, Answer.value).where(Answer.audit_id == audit_id)) if v is not None}
    return question_relevant(template_of(row), q, values)
