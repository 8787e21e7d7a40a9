"""One audit's evaluation (:class:`~qadesk.core.template_plan.Evaluation`), kept between autosaves.

Every autosave is its own short transaction.  Reading all of an audit's answers and working out every
rule of its template again for each one would make a save on a 5,000-question template a hundred
times dearer than on a 50-question one, so the evaluation an autosave leaves behind is kept for the
next: it is taken up only if the audit's row still has the revision *and* the time of the change it
was made for (any change anywhere, by this window, the command line or another copy of qadesk, moves
both), and only once the transaction that made it has committed (a rolled-back change leaves no trace
here).  Otherwise the answers are read and the evaluation is made afresh, which is also what happens
the first time.

The kept evaluations are in this process's memory only (never written anywhere), a few audits at a
time; :func:`forget` drops them all (a store closed or locked).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from datetime import date, datetime
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from qadesk.core.dates import as_utc
from qadesk.core.template import Template
from qadesk.core.template_plan import Evaluation
from qadesk.store.models import Answer, Audit, SectionJudgement

__all__ = ["evaluation_for", "forget", "keep"]

KEPT = 8  # audits whose evaluation is kept (the open forms' audits, in practice)
_PENDING = "qadesk.evaluations"  # session.info: audit id -> (evaluation, changed in this transaction)
_LISTENING = "qadesk.evaluations.listening"

Stamp = tuple[str, str, int, str]  # store, audit id, revision, time of the last change
_lock = threading.Lock()
_kept: OrderedDict[tuple[str, str], tuple[Stamp, Evaluation, int]] = OrderedDict()


def _store(session: Session) -> str:
    bind = session.get_bind()
    return str(bind.engine.url if hasattr(bind, "engine") else bind)


def _stamp(session: Session, audit: Audit) -> Stamp:
    updated: datetime | None = audit.updated_at
    return (_store(session), audit.id, audit.revision, as_utc(updated).isoformat() if updated is not None else "")


def evaluation_for(session: Session, audit: Audit, t: Template, today: date | None = None) -> Evaluation:
    """The audit's evaluation as it is now in this session, owned by the caller until :func:`keep`.

    From this transaction's own earlier change, else from the last committed one (if the audit has not
    changed since), else made from the audit's rows.
    """
    day = today or date.today()
    stamp = _stamp(session, audit)
    pending: dict[str, tuple[Stamp, Evaluation, bool]] = session.info.get(_PENDING, {})
    mine = pending.pop(audit.id, None)
    if mine is not None and mine[0] == stamp and _same_day(mine[1], day):
        return mine[1]
    with _lock:
        kept = _kept.pop(stamp[:2], None)
    if kept is not None and kept[0] == stamp and _same_day(kept[1], day):
        return kept[1]
    return _evaluate(session, audit, t, day)


def keep(session: Session, audit: Audit, ev: Evaluation, *, changed: bool) -> None:
    """Hand the evaluation back: it matches the audit as it is now in this session.

    It is kept for later autosaves once the transaction commits; if the transaction rolls back it is
    kept only if ``changed`` is False (it then still matches the committed audit).
    """
    pending = session.info.setdefault(_PENDING, {})
    before = pending.get(audit.id)
    pending[audit.id] = (_stamp(session, audit), ev, changed or bool(before and before[2]))
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_commit", _committed)
        event.listen(session, "after_rollback", _rolled_back)


def forget() -> None:
    """Drop every kept evaluation (they hold answers: a store closed or locked keeps none in memory)."""
    with _lock:
        _kept.clear()


def _same_day(ev: Evaluation, day: date) -> bool:
    return ev.today == day or not ev.plan.uses_today


def _committed(session: Session) -> None:
    _publish(session.info.pop(_PENDING, {}), unchanged_only=False)


def _rolled_back(session: Session) -> None:
    _publish(session.info.pop(_PENDING, {}), unchanged_only=True)


def _publish(pending: dict[str, tuple[Stamp, Evaluation, bool]], *, unchanged_only: bool) -> None:
    with _lock:
        for stamp, ev, changed in pending.values():
            if unchanged_only and changed:
                continue
            _kept[stamp[:2]] = (stamp, ev, 0)
            _kept.move_to_end(stamp[:2])
        while len(_kept) > KEPT:
            _kept.popitem(last=False)


def _evaluate(session: Session, audit: Audit, t: Template, day: date) -> Evaluation:
    """The evaluation made from the audit's rows (its answers as this session sees them)."""
    answers: dict[str, Any] = {}  # one entry per row that holds a value, so len() is answered_count
    evidence: dict[str, str] = {}
    state = inspect(audit)
    if "answers" not in state.unloaded:  # loaded in this session: it may hold what is not yet flushed
        rows = [(a.question_id, a.value, a.evidence) for a in audit.answers]
    else:
        rows = [(r.question_id, r.value, r.evidence) for r in session.execute(
            select(Answer.question_id, Answer.value, Answer.evidence).where(Answer.audit_id == audit.id))]
    for qid, value, note in rows:
        if value is not None:
            answers[qid] = json.loads(value)
        if note:
            evidence[qid] = note
    if "section_judgements" not in state.unloaded:
        grades = {j.section_id: j.grade for j in audit.section_judgements}
    else:
        grades = {sid: g for sid, g in session.execute(
            select(SectionJudgement.section_id, SectionJudgement.grade)
            .where(SectionJudgement.audit_id == audit.id))}
    return Evaluation(t, answers, evidence, grades, day)
