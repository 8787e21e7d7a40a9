"""The audit document (contracts.md section 3): one audit as a JSON-ready dict.

The same document goes into a moderation pack, comes out of ``audit show
--json`` and is kept whole in the history at submit and reopen.  Timestamps
are written in ISO 8601, in UTC.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from qadesk.core.audit import SUMMARY_KEYS
from qadesk.core.dates import as_utc
from qadesk.store.models import ActionItem, Audit, Moderation, ModerationNote

aware = as_utc  # the name the services and the window have used for it


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 to the second, in UTC; None stays None."""
    d = aware(dt)
    return d.isoformat(timespec="seconds") if d else None


def subject_dict(audit: Audit) -> dict[str, Any]:
    """Who or what was audited: the case, its type, team and practitioner, and any extra fields."""
    d: dict[str, Any] = {"case_ref": audit.case_ref, "case_type": audit.case_type, "team": audit.team,
                         "practitioner": audit.practitioner}
    if audit.subject_extra:
        for k, v in json.loads(audit.subject_extra).items():
            d.setdefault(k, v)
    return d


def moderation_dict(m: Moderation) -> dict[str, Any]:
    """One moderation as it appears in the audit document and the history.

    Beside the outcome (``grade``, ``agreed``, ``rationale``): ``blind`` (the auditor's judgements were
    hidden until the moderator had recorded their own), ``own_grade`` (the moderator's own overall
    grade, recorded blind where ``blind``) and ``own_at``, ``sections`` (per section judged, the
    moderator's grade and the auditor's beside it), ``learning_points`` for the auditor, and ``notes``
    (the dialogue after: the moderator's notes and the auditor's responses, oldest first).
    """
    return {"id": m.id, "moderator": {"name": m.moderator_name, "organisation": m.moderator_organisation},
            "kind": m.kind, "grade": m.grade, "agreed": bool(m.agreed), "rationale": m.rationale, "at": iso(m.at),
            "blind": bool(m.blind), "own_grade": m.own_grade, "own_at": iso(m.own_at),
            "sections": {x.section_id: {"own": x.own_grade, "auditor": x.auditor_grade} for x in m.sections},
            "learning_points": m.learning_points,
            "notes": [note_dict(n) for n in m.notes]}


def note_dict(n: ModerationNote) -> dict[str, Any]:
    """One entry of a moderation's dialogue, as in the audit document and the history."""
    return {"id": n.id, "author": n.author, "role": n.role, "text": n.text, "at": iso(n.at)}


def action_dict(a: ActionItem) -> dict[str, Any]:
    """One action as it appears in the audit document and the history.

    ``told_whom`` and ``told_at`` (who was told of an urgent concern, and when) are written only when set,
    so a document without an urgent action reads as it always has.
    """
    d = {"id": a.id, "text": a.text, "owner": a.owner, "due": a.due.isoformat() if a.due else None,
         "status": a.status, "urgent": bool(a.urgent)}
    if a.told_whom:
        d["told_whom"] = a.told_whom
    if a.told_at is not None:
        d["told_at"] = iso(a.told_at)
    return d


def assignment_dict(audit: Audit) -> dict[str, Any] | None:
    """Who the audit is assigned to in its programme and by when (None: not assigned).

    It travels in packs, so an audit sent to an auditor's laptop arrives there assigned, under its
    programme; ``revision`` is the audit's revision when it was assigned (a later one means begun).
    """
    a = audit.assignment
    if a is None:
        return None
    return {"auditor": {"name": a.auditor_name, "role": a.auditor_role}, "team": a.team,
            "due": a.due_on.isoformat() if a.due_on else None, "reason": a.reason,
            "assigned_at": iso(a.assigned_at), "assigned_by": a.assigned_by, "revision": a.revision_assigned,
            "plan": _plan(audit)}


def _plan(audit: Audit) -> dict[str, Any] | None:
    """The programme's plan as far as an auditor's laptop needs it: its template and its dates."""
    p = audit.programme
    if p is None:
        return None
    return {"template": p.template_id, "starts_on": p.starts_on.isoformat() if p.starts_on else None,
            "ends_on": p.ends_on.isoformat() if p.ends_on else None}


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
        "assignment": assignment_dict(audit),
        "answers": answers,
        "sections": {j.section_id: {"grade": j.grade} for j in audit.section_judgements},
        "overall": {"grade": audit.overall_grade, "suggested": audit.overall_suggested,
                    "rationale": audit.overall_rationale},
        # The grade the audit counts with: the latest moderation's, else the auditor's (derived, never imported).
        "final_grade": audit.final_grade,
        "summary": {k: getattr(audit, k) for k in SUMMARY_KEYS},
        "actions": [action_dict(a) for a in audit.actions],
        "moderations": [moderation_dict(m) for m in audit.moderations],
    }
