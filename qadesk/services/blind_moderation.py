"""Blind second marking: the moderator judges the evidence before they see the auditor's judgements.

A moderator who sees the auditor's grade first anchors on it. With blind moderation (the default; the
QA lead's setting ``moderation.blind``) the moderator reads the audit's evidence with the auditor's
section grades, overall grade and overall rationale hidden (:func:`evidence`), and records their own
judgement of each graded section and overall (:func:`record_blind`). Only then does :func:`comparison`
show both, side by side, with the differences marked, and the moderator concludes
(:func:`qadesk.services.moderation.moderate`): agreed, or the moderated grade with a rationale, and
learning points for the auditor. The dialogue after (the moderator's notes, the auditor's responses)
is :func:`add_note`; every step is in the history.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.errors import NotFound, StateError, ValidationError
from qadesk.core.permissions import Do
from qadesk.core.relevance import question_relevant, section_relevant
from qadesk.core.template import Template
from qadesk.exchange.display import answer_text, grade_label
from qadesk.services import permissions
from qadesk.services.audit_access import Actor, get_audit, now_utc, state_of, template_for, touch
from qadesk.services.audit_document import iso, note_dict
from qadesk.services.moderation import (
    check_moderator,
    checked_sections,
    completed_by,
    grade_value,
    pending_blind,
    same_person,
)
from qadesk.services.transfer import arrived_blind
from qadesk.store import history
from qadesk.store.models import Audit, BlindJudgement, Moderation, ModerationNote, Setting

BLIND_KEY = "moderation.blind"
NOTE_LIMIT = 4000


# ------------------------------------------------------------------------------------------ the setting


def blind_by_default(session: Session) -> bool:
    """Whether moderators judge blind (the QA lead's setting; on unless they turned it off)."""
    row = session.get(Setting, BLIND_KEY)
    return row is None or row.value != "0"


def is_blind_for(session: Session, audit_id: str) -> bool:
    """Whether this audit's moderators judge it blind: the store's setting is on, or the audit arrived in a
    blind moderation request (the sender asked for it blind, whatever this store's setting)."""
    return blind_by_default(session) or arrived_blind(session, audit_id)


def blind_awaiting(session: Session) -> frozenset[str]:
    """The audits that arrived in a blind moderation request and are not yet moderated here: whoever
    lists them sees no grade of theirs (the Audits and Moderation screens, ``moderation list``)."""
    from qadesk.services.transfer import blind_arrivals

    arrivals = blind_arrivals(session)
    if not arrivals:
        return frozenset()
    ids = list(arrivals)
    made: dict[str, set[str]] = {}
    for start in range(0, len(ids), 500):
        for aid, mid in session.execute(select(Moderation.audit_id, Moderation.id)
                                        .where(Moderation.audit_id.in_(ids[start:start + 500]))):
            made.setdefault(aid, set()).add(mid)
    return frozenset(aid for aid, came in arrivals.items() if not _made_here(made.get(aid, set()), came))


def _made_here(moderations: set[str], arrived_with: set[str] | None) -> bool:
    """Whether any of an audit's moderations was made here, not brought with it in the blind request."""
    return bool(moderations - arrived_with) if arrived_with is not None else bool(moderations)


def moderated_here(session: Session, audit_id: str) -> bool:
    """Whether a moderation of this audit was concluded in this store (not one it arrived with)."""
    from qadesk.services.transfer import blind_arrivals

    came = blind_arrivals(session, [audit_id]).get(audit_id)
    mods = set(session.execute(select(Moderation.id).where(Moderation.audit_id == audit_id)).scalars())
    return _made_here(mods, came)


def blind_until_judged(session: Session, audit_id: str, person: str | None) -> bool:
    """Whether the audit's grades are kept from this person for now: it arrived here for blind moderation,
    is not yet moderated here, and they have not recorded their own judgements of it."""
    if not arrived_blind(session, audit_id):  # one indexed look, not the whole set, for the audit being opened
        return False
    return not moderated_here(session, audit_id) and pending_blind(session, audit_id, person) is None


def set_blind_by_default(session: Session, on: bool, *, actor: str) -> None:
    """Turn blind moderation on or off for everyone who moderates in this store (in the history)."""
    permissions.require(session, Do.MODERATION_RULES)
    before = blind_by_default(session)
    row = session.get(Setting, BLIND_KEY)
    if row is None:
        session.add(Setting(key=BLIND_KEY, value="1" if on else "0"))
    else:
        row.value = "1" if on else "0"
    history.record(session, actor=actor, entity="setting", entity_id=BLIND_KEY, action="change",
                   before={"blind": before}, after={"blind": on})


# ------------------------------------------------------------------------------------------ the evidence


@dataclass(frozen=True)
class EvidenceItem:
    question: str
    answer: str
    evidence: str


@dataclass(frozen=True)
class EvidenceSection:
    id: str
    title: str
    guidance: str
    graded: bool  # the moderator judges it (it has a grade list)
    grades: tuple[tuple[str, str], ...]  # (value, label) of its scale, for the moderator's choice
    items: tuple[EvidenceItem, ...]
    auditor_grade: str | None  # None when hidden (blind) or not graded


@dataclass(frozen=True)
class Evidence:
    """What the moderator reads: the audit's answers and evidence per section, and its summary.

    With ``blind`` the auditor's section grades, overall grade and overall rationale are not in it:
    nothing here can show them."""

    reference: str
    blind: bool
    sections: tuple[EvidenceSection, ...]
    summary: tuple[tuple[str, str], ...]  # (heading, text) of the summary fields the auditor wrote
    overall_grades: tuple[tuple[str, str], ...]
    auditor_overall: str | None
    auditor_rationale: str | None


SUMMARY_HEADINGS = (("strengths", "Strengths"), ("development", "Areas for development"),
                    ("impact_on_child", "Impact on the child"),
                    ("practitioner_reflection", "The practitioner's reflection"),
                    ("family_feedback", "Feedback from the child and family"))


def evidence(audit: Audit, *, blind: bool) -> Evidence:
    """The audit's evidence as the moderator reads it, the auditor's judgements left out when ``blind``."""
    t = template_for(audit)
    st = state_of(audit)
    sections = []
    for s in t.sections:
        if not section_relevant(s, st.answers):
            continue
        items = []
        for q in s.questions:
            if not question_relevant(t, q, st.answers):
                continue
            value, note = st.answers.get(q.id), st.evidence.get(q.id) or ""
            if value is None and not note:
                continue
            items.append(EvidenceItem(q.label, answer_text(q, value), note))
        grades = tuple((c.value, c.label) for c in t.list_choices(s.grade_list)) if s.grade_list else ()
        shown = None if blind or not s.grade_list else grade_label(t, s.grade_list, st.section_grades.get(s.id))
        sections.append(EvidenceSection(s.id, s.title, s.guidance, bool(s.grade_list), grades, tuple(items),
                                        shown or None))
    summary = tuple((heading, st.summary[key]) for key, heading in SUMMARY_HEADINGS if st.summary.get(key))
    overall = tuple((c.value, c.label) for c in t.overall_choices())
    return Evidence(audit.reference, blind, tuple(sections), summary, overall,
                    None if blind else grade_label(t, t.overall.list, audit.overall_grade) or None,
                    None if blind else audit.overall_rationale)


# ------------------------------------------------------------------------------------------ recording blind


def record_blind(session: Session, audit_id: str, *, moderator: Actor, own_grade: str,
                 sections: Mapping[str, str | None] | None = None, kind: str = "internal",
                 at: datetime | None = None) -> BlindJudgement:
    """Record the moderator's own judgements, made without the auditor's: the overall grade, and per section.

    Once recorded they are not changed (they are what the moderator thought before seeing the auditor's);
    the moderation is then concluded with :func:`qadesk.services.moderation.moderate`.
    """
    permissions.require(session, Do.MODERATE)
    audit = get_audit(session, audit_id)
    check_moderator(session, audit, moderator, kind)
    t = template_for(audit)
    if not is_blind_for(session, audit.id):
        raise StateError(f"blind moderation is off for {audit.reference}: the auditor's judgements are shown "
                         "from the start, so record the moderation itself (qadesk moderation record)")
    if pending_blind(session, audit.id, moderator.name) is not None:
        raise StateError(f"your own judgements of {audit.reference} are already recorded; conclude the moderation")
    own_grade = grade_value(t.overall_choices(), own_grade) or own_grade
    values = [c.value for c in t.overall_choices()]
    if own_grade not in values:
        raise ValidationError(f"your overall grade is one of {', '.join(values)}")
    own_sections = checked_sections(t, sections)
    at = (at or now_utc()).astimezone(timezone.utc)
    b = BlindJudgement(id=str(uuid.uuid4()), audit_id=audit.id, moderator_name=moderator.name,
                       moderator_organisation=moderator.organisation, kind=kind, own_grade=own_grade,
                       sections=json.dumps(own_sections, sort_keys=True), at=at)
    session.add(b)
    history.record(session, actor=moderator.name, entity="blind_judgement", entity_id=b.id, audit_id=audit.id,
                   action="record", before=None, after=blind_dict(b), at=at)
    return b


def blind_dict(b: BlindJudgement) -> dict[str, Any]:
    return {"id": b.id, "moderator": {"name": b.moderator_name, "organisation": b.moderator_organisation},
            "kind": b.kind, "own_grade": b.own_grade, "sections": json.loads(b.sections or "{}"), "at": iso(b.at)}


def withdraw_blind(session: Session, audit_id: str, *, moderator: Actor) -> None:
    """Set aside a blind judgement that will not be concluded (the history keeps that it was made)."""
    permissions.require(session, Do.MODERATE)
    audit = get_audit(session, audit_id)
    b = pending_blind(session, audit.id, moderator.name)
    if b is None:
        raise NotFound(f"you have no judgement of {audit.reference} waiting to be concluded")
    history.record(session, actor=moderator.name, entity="blind_judgement", entity_id=b.id, audit_id=audit.id,
                   action="withdraw", before=blind_dict(b), after=None)
    session.delete(b)


# ------------------------------------------------------------------------------------------ side by side


@dataclass(frozen=True)
class ComparedJudgement:
    """One judgement, the moderator's beside the auditor's: a section, or the overall (``section_id`` None)."""

    section_id: str | None
    title: str
    own: str | None  # labels
    auditor: str | None
    steps: int | None  # the moderator's grade minus the auditor's, in grades (None: not both on a scored scale)

    @property
    def differs(self) -> bool:
        return self.own is not None and self.auditor is not None and self.own != self.auditor


def _steps(t: Template, list_name: str, own: str | None, auditor: str | None) -> int | None:
    scored = sorted((c for c in t.list_choices(list_name) if c.score is not None), key=lambda c: c.score or 0)
    values = [c.value for c in scored]
    if own in values and auditor in values:
        return values.index(own) - values.index(auditor)  # type: ignore[arg-type]
    return None


def compare(t: Template, own_overall: str | None, own_sections: Mapping[str, str | None],
            auditor_overall: str | None, auditor_sections: Mapping[str, str | None]) -> list[ComparedJudgement]:
    """Each graded section and the overall judgement, the moderator's grade beside the auditor's."""
    rows = []
    for s in t.sections:
        if not s.grade_list or (s.id not in own_sections and s.id not in auditor_sections):
            continue
        own, theirs = own_sections.get(s.id), auditor_sections.get(s.id)
        rows.append(ComparedJudgement(s.id, s.title, grade_label(t, s.grade_list, own) or None,
                                      grade_label(t, s.grade_list, theirs) or None,
                                      _steps(t, s.grade_list, own, theirs)))
    rows.append(ComparedJudgement(None, "Overall", grade_label(t, t.overall.list, own_overall) or None,
                                  grade_label(t, t.overall.list, auditor_overall) or None,
                                  _steps(t, t.overall.list, own_overall, auditor_overall)))
    return rows


def comparison(session: Session, audit_id: str, moderator: str) -> list[ComparedJudgement]:
    """The moderator's blind judgements beside the auditor's, once recorded (:class:`StateError` before:
    the auditor's judgements are not shown to a moderator who has not recorded their own)."""
    audit = get_audit(session, audit_id)
    b = pending_blind(session, audit.id, moderator)
    if b is None:
        raise StateError(f"record your own judgements of {audit.reference} first; the auditor's are shown after")
    return compare(template_for(audit), b.own_grade, json.loads(b.sections or "{}"), audit.overall_grade,
                   {j.section_id: j.grade for j in audit.section_judgements})


def moderation_comparison(audit: Audit, m: Moderation) -> list[ComparedJudgement]:
    """A recorded moderation's own judgements beside the auditor's (as they were when it was recorded)."""
    return compare(template_for(audit), m.own_grade, {x.section_id: x.own_grade for x in m.sections},
                   audit.overall_grade, {x.section_id: x.auditor_grade for x in m.sections})


# ------------------------------------------------------------------------------------------ the dialogue


def find_moderation(session: Session, ident: str) -> Moderation:
    """The moderation with this id, or the start of its id (8 characters or more, as lists show it)."""
    text = (ident or "").strip().lower()
    m = session.get(Moderation, text) if text else None
    if m is not None:
        return m
    found = list(session.execute(select(Moderation).where(Moderation.id.startswith(text, autoescape=True))
                                 .limit(2)).scalars()) if len(text) >= 8 else []
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationError(f"'{ident}' is the start of more than one moderation's id; give more of it")
    raise NotFound(f"no moderation '{ident}' (give its id, or its first 8 characters, from qadesk moderation list)")


def add_note(session: Session, moderation_id: str, *, author: str, text: str,
             at: datetime | None = None) -> ModerationNote:
    """Add to a moderation's dialogue: a note by its moderator, or the auditor's response.

    Only the two of them write in it (:class:`StateError` for anyone else)."""
    m = find_moderation(session, moderation_id)
    text = (text or "").strip()
    if not text:
        raise ValidationError("a note needs some text")
    if len(text) > NOTE_LIMIT:
        raise ValidationError(f"a note is at most {NOTE_LIMIT:,} characters ({len(text):,} given)")
    audit = get_audit(session, m.audit_id)
    if same_person(author, m.moderator_name):
        role = "moderator"
    elif any(same_person(author, n) for n in completed_by(session, audit)):
        role = "auditor"
    else:
        raise StateError(f"only the auditor of {audit.reference} and its moderator, {m.moderator_name}, "
                         "write in this moderation's dialogue")
    at = (at or now_utc()).astimezone(timezone.utc)
    n = ModerationNote(id=str(uuid.uuid4()), moderation_id=m.id, author=author, role=role, text=text, at=at)
    m.notes.append(n)
    touch(audit, at)  # the dialogue is part of the audit document: it travels in packs
    history.record(session, actor=author, entity="moderation_note", entity_id=n.id, audit_id=audit.id,
                   action="add", before=None, after={"moderation": m.id, **note_dict(n)}, at=at)
    return n


WITHHELD = ("the auditor's judgements are kept back until you record your own in a blind moderation "
            "(qadesk moderation judge)")


def shown_document(session: Session, audit: Any) -> dict[str, Any]:
    """The audit's document as this person may read it now: whole, or without the auditor's judgements
    (:func:`qadesk.exchange.blind.blinded`) while it waits here for their blind moderation — so
    ``audit show`` and an audit's report keep the grades back as the Moderation screen does."""
    from qadesk.exchange.blind import blinded
    from qadesk.services.audit_document import audit_document
    from qadesk.services.profile import current_actor_name

    doc = audit_document(audit)
    if blind_until_judged(session, audit.id, current_actor_name(session)):
        doc = blinded(doc)
        doc["withheld"] = WITHHELD
    return doc
