"""Moderation and closing: after an audit is completed a second person checks its judgement; then it is closed.

A moderator agrees with the auditor's overall grade, or gives a different
moderated grade with a rationale; an audit may be moderated more than once
(internally, then externally).  Nobody moderates their own audit: the person
who completed it (its auditor, and whoever submitted it) is refused.  The
latest moderation's grade is the grade the audit counts with (its final grade,
docs/packs-and-reports.md).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core import permissions as perm
from qadesk.core.errors import PermissionDenied, StateError, ValidationError
from qadesk.core.permissions import Do
from qadesk.core.template import Choice, Template
from qadesk.services import permissions
from qadesk.services.audit_access import Actor, get_audit, now_utc, refresh_final_grade, template_for, touch
from qadesk.services.audit_document import moderation_dict
from qadesk.store import history
from qadesk.store.models import Audit, BlindJudgement, HistoryEntry, Moderation, ModerationSection


def pending_blind(session: Session, audit_id: str, moderator: str | None) -> BlindJudgement | None:
    """The moderator's blind judgement of the audit, recorded and not yet concluded (None: there is none)."""
    for b in session.execute(select(BlindJudgement).where(BlindJudgement.audit_id == audit_id)).scalars():
        if same_person(b.moderator_name, moderator):
            return b
    return None


def same_person(a: str | None, b: str | None) -> bool:
    """Whether two names are the same person's, ignoring case and spacing ("sam  rivers" is "Sam Rivers")."""
    if not a or not b:
        return False
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def completed_by(session: Session, audit: Audit) -> list[str]:
    """Who completed the audit: its auditor, and whoever submitted it (each submit, if it was reopened)."""
    names = [audit.auditor_name] if audit.auditor_name else []
    submitters = session.execute(select(HistoryEntry.actor).where(
        HistoryEntry.audit_id == audit.id, HistoryEntry.entity == "audit", HistoryEntry.action == "submit")).scalars()
    for name in submitters:
        if name and not any(same_person(name, n) for n in names):
            names.append(name)
    return names


def own_audit_reason(session: Session, audit: Audit, moderator: str | None) -> str | None:
    """Why ``moderator`` may not moderate the audit (they completed it), or None if they may."""
    for name in completed_by(session, audit):
        if same_person(name, moderator):
            return f"{audit.reference} was completed by {name}; a moderator must be someone else"
    return None


@dataclass(frozen=True)
class Outcome:
    """An audit's grades as a reader needs them: the auditor's, the final one, and every moderation, newest first."""

    auditor_grade: str | None
    final_grade: str | None
    moderations: list[dict[str, Any]] = field(default_factory=list)  # as in the audit document

    @property
    def changed(self) -> bool:
        """A moderator gave another grade than the auditor's, so the audit counts with the moderator's."""
        return bool(self.moderations) and self.final_grade != self.auditor_grade


def outcome(audit: Audit) -> Outcome:
    """The moderation outcome of an audit, for the form's header and its moderation panel."""
    mods = sorted((moderation_dict(m) for m in audit.moderations), key=lambda m: m["at"] or "", reverse=True)
    return Outcome(audit.overall_grade, audit.final_grade, mods)


def check_moderator(session: Session, audit: Audit, moderator: Actor, kind: str) -> None:
    """Refuse a moderation the moderator may not record: the audit is not completed, they have no name,
    they completed it themselves (:class:`StateError`), or the kind is neither internal nor external."""
    if audit.status not in ("completed", "moderated"):
        raise StateError(f"{audit.reference} is {audit.status}; only completed audits are moderated")
    if not moderator.name or not moderator.name.strip():
        raise ValidationError("a moderation needs the moderator's name (set it in your profile)")
    me = permissions.me(session)
    own = own_audit_reason(session, audit, moderator.name) or (
        None if me.desk else own_audit_reason(session, audit, me.name))  # the login's person, whatever name is given
    if own:
        raise PermissionDenied(own, rule=perm.MODERATOR_NOT_OWN.name)
    if kind not in ("internal", "external"):
        raise ValidationError("moderation is internal or external")


def grade_value(choices: Sequence[Choice], text: str | None) -> str | None:
    """The value of a grade given as its value or its label, in any case ("Good", "good"); None if neither."""
    if not text:
        return None
    wanted = " ".join(text.split()).casefold()
    return next((c.value for c in choices if wanted in (c.value.casefold(), c.label.casefold())), None)


def checked_sections(t: Template, sections: Mapping[str, str | None] | None) -> dict[str, str]:
    """The moderator's section grades, each on its section's scale (:class:`ValidationError` otherwise).

    A section is named by its id or its title, a grade by its value or its label, in any case."""
    out: dict[str, str] = {}
    graded = [s for s in t.sections if s.grade_list]
    for named, given in (sections or {}).items():
        key = " ".join(named.split()).casefold()
        section = next((s for s in t.sections if key in (s.id.casefold(), " ".join(s.title.split()).casefold())),
                       None)
        if section is None:
            raise ValidationError(f"{t.title} has no section '{named}' (its graded sections: "
                                  f"{', '.join(s.id for s in graded) or 'none'})")
        sid = section.id
        if not section.grade_list:
            raise ValidationError(f"section '{section.title}' is not graded")
        if given is None or given == "":
            continue
        grade = grade_value(t.list_choices(section.grade_list), given) or given
        values = [c.value for c in t.list_choices(section.grade_list)]
        if grade not in values:
            raise ValidationError(f"'{grade}' is not a grade of section '{section.title}' (one of {', '.join(values)})")
        out[sid] = grade
    return out


def moderate(session: Session, audit_id: str, *, moderator: Actor, agreed: bool, grade: str | None = None,
             rationale: str | None = None, kind: str = "internal", moderation_id: str | None = None,
             at: datetime | None = None, sections: Mapping[str, str | None] | None = None,
             learning_points: str | None = None) -> Moderation:
    """Record a moderator's view: agreed, or a different moderated grade with a rationale.

    Where the moderator recorded their own judgements blind first (:func:`qadesk.services.blind_moderation.
    record_blind`), the moderation keeps them (``blind``, ``own_grade``, the section grades) and the blind
    judgement is concluded; otherwise ``sections`` are the moderator's section grades, given openly,
    and their own overall grade is the moderated one.

    Refused (:class:`StateError`) when the moderator completed the audit themselves, and
    (:class:`ValidationError`) when a disagreement gives the auditor's own grade.
    """
    permissions.require(session, Do.MODERATE)
    audit = get_audit(session, audit_id)
    check_moderator(session, audit, moderator, kind)
    t = template_for(audit)
    blind = pending_blind(session, audit.id, moderator.name)
    if blind is not None and sections:
        raise ValidationError("your section judgements were recorded blind; they are not given again")
    if agreed:
        grade = audit.overall_grade
    else:
        grade = grade_value(t.overall_choices(), grade) or grade
        if not grade or grade not in {c.value for c in t.overall_choices()}:
            raise ValidationError("a moderator who disagrees gives the moderated grade from the overall scale")
        if grade == audit.overall_grade:
            raise ValidationError("that is the auditor's own grade: record that you agree, or choose another grade")
        if not rationale or not rationale.strip():
            raise ValidationError("a moderator who disagrees gives a rationale")
    at = (at or now_utc()).astimezone(timezone.utc)
    auditor_sections = {j.section_id: j.grade for j in audit.section_judgements}
    m = Moderation(id=moderation_id or str(uuid.uuid4()), audit_id=audit.id, moderator_name=moderator.name,
                   moderator_organisation=moderator.organisation, kind=kind, grade=grade, agreed=agreed,
                   rationale=rationale, at=at, learning_points=(learning_points or "").strip() or None)
    if blind is not None:
        own_sections = json.loads(blind.sections or "{}")
        m.blind, m.own_grade, m.own_at = True, blind.own_grade, blind.at
        m.kind = blind.kind  # the kind chosen when the judgements were recorded blind
        session.delete(blind)
    else:
        own_sections = checked_sections(t, sections)
        m.blind, m.own_grade, m.own_at = False, grade, at
    for sid in sorted(set(own_sections) | (set(auditor_sections) if own_sections else set())):
        m.sections.append(ModerationSection(section_id=sid, own_grade=own_sections.get(sid),
                                            auditor_grade=auditor_sections.get(sid)))
    audit.moderations.append(m)
    refresh_final_grade(audit, t)
    before = audit.status
    audit.status = "moderated"
    touch(audit, at)
    history.record(session, actor=moderator.name, entity="moderation", entity_id=m.id, audit_id=audit.id,
                   action="moderate", before={"status": before}, after=moderation_dict(m), at=at)
    return m


def close(session: Session, audit_id: str, *, actor: str) -> Audit:
    """Close a completed or moderated audit: nothing more happens to it."""
    audit = get_audit(session, audit_id)
    if audit.status not in ("completed", "moderated"):
        raise StateError(f"{audit.reference} is {audit.status}; only completed or moderated audits are closed")
    before = audit.status
    at = now_utc()
    audit.status = "closed"
    touch(audit, at)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id,
                   action="close", before={"status": before}, after={"status": "closed"}, at=at)
    return audit
