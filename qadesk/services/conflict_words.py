"""A conflict in the form's words, for the window and the command line: which field ("Evidence for: Was
the child seen alone?", "Judgement of Planning", "Overall grade"), and each copy's value as the form
shows it (choice labels, not their values)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from qadesk.core.audit import SUMMARY_LABELS
from qadesk.core.merge import MISSING, is_text_path
from qadesk.core.template import Template
from qadesk.exchange.display import answer_text, grade_label, overall_label
from qadesk.exchange.output import uk_datetime
from qadesk.services.audit_access import get_audit, template_for
from qadesk.services.conflicts import OpenConflict

ACTION_FIELDS = {"text": "what is to be done", "owner": "who does it", "due": "due date", "status": "status",
                 "urgent": "urgent", "told_whom": "who was told", "told_at": "when they were told"}


def field_words(t: Template | None, path: str, actions: dict[str, str] | None = None) -> str:
    """The field a path names, as a person reads it."""
    head, _, rest = path.partition(".")
    if head == "answers":
        qid, _, part = rest.rpartition(".")
        label = t.question(qid).label if t is not None and t.has_question(qid) else qid
        return f"Evidence for: {label}" if part == "evidence" else label
    if head == "sections":
        title = next((s.title for s in t.sections if s.id == rest), rest) if t is not None else rest
        return f"Judgement of {title}"
    if path == "overall.grade":
        return "Overall grade"
    if path == "overall.rationale":
        return "Rationale for the overall grade"
    if head == "summary":
        return SUMMARY_LABELS.get(rest, rest)
    if head == "subject":
        return {"case_ref": "Case reference", "case_type": "Case type", "team": "Team",
                "practitioner": "Practitioner"}.get(rest, rest.replace("_", " ").capitalize())
    if head == "actions":
        aid, _, part = rest.partition(".")
        name = (actions or {}).get(aid) or "an action"
        return f"Action “{name}”" + (f": {ACTION_FIELDS.get(part, part)}" if part else "")
    if head == "moderations":
        return "A moderation" if ".notes." not in rest else "A note after a moderation"
    return {"status": "Status", "auditor": "Auditor", "programme": "Programme"}.get(path, path)


def value_words(t: Template | None, path: str, value: Any) -> str:
    """A value of that field as the form shows it ("(none)" where the copy has none)."""
    if value is MISSING or value is None:
        return "(none)"
    head, _, rest = path.partition(".")
    if t is not None and head == "answers" and rest.endswith(".value"):
        qid = rest.rpartition(".")[0]
        if t.has_question(qid):
            return answer_text(t.question(qid), value) or str(value)
    if t is not None and head == "sections":
        s = next((s for s in t.sections if s.id == rest), None)
        if s is not None:
            return grade_label(t, s.grade_list, value) or str(value)
    if t is not None and path == "overall.grade":
        return overall_label(t, value) or str(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if head == "actions" and rest.count(".") == 0:
        return "the action is there"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=1)


def describe(session: Session, c: OpenConflict) -> dict[str, Any]:
    """Everything the window shows of one conflict, as plain data."""
    audit = get_audit(session, c.audit_id)
    t = template_for(audit)
    actions = {a.id: a.text for a in audit.actions}
    source = (f"the team server ({c.source_ref})" if c.source == "sync" and c.source_ref
              else "the team server" if c.source == "sync" else
              f"a pack{' from ' + c.theirs_by if c.theirs_by else ''}")
    return {"id": c.id, "audit_id": c.audit_id, "reference": c.reference, "path": c.path,
            "field": field_words(t, c.path, actions), "from": source, "when": uk_datetime(c.opened_at),
            "mine": c.mine, "theirs": c.theirs, "base": c.base, "theirs_by": c.theirs_by,
            "mine_words": value_words(t, c.path, c.mine), "theirs_words": value_words(t, c.path, c.theirs),
            "base_words": value_words(t, c.path, c.base),
            "is_text": is_text_path(c.path) and (isinstance(c.mine, str) or isinstance(c.theirs, str))}
