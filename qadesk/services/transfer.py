"""Writing audits that arrive in a pack into the store, and remembering where each copy stood.

A pack carries audit documents (contracts.md section 3).  These functions
turn a *validated* document into rows (create, replace, add moderations),
each with a history entry, in the caller's transaction.  Every audit that
leaves or arrives in a pack has its revision remembered (a ``PackMapping``
row with field ``_revision``): the sync point.  A later pack for the same
audit is then judged against it — changed only there: apply; changed only
here: keep ours; changed on both sides: a conflict for the user, never an
overwrite.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from qadesk.core.audit import SUMMARY_KEYS
from qadesk.core.scoring import choice_score, question_score
from qadesk.core.template import Template
from qadesk.services.audit_access import refresh_final_grade, template_for
from qadesk.services.audits import audit_document, moderation_dict, now_utc
from qadesk.services.pseudonymise import restore_text
from qadesk.store import history
from qadesk.store.models import (
    ActionItem,
    Answer,
    Assignment,
    Audit,
    Moderation,
    ModerationNote,
    ModerationSection,
    PackMapping,
    Programme,
    SectionJudgement,
    TemplateVersion,
)

REVISION_FIELD = "_revision"
# An audit that arrived in a blind moderation request: its moderators here judge it blind whatever this
# store's own setting (a ``PackMapping`` row with this field, as the sync points are kept).
BLIND_FIELD = "_blind"
DOCUMENT_FIELD = "_document"  # the audit's document at its last pack exchange: the base of the next merge


@dataclass(frozen=True)
class Verdict:
    """What to do with one incoming audit document."""

    action: str  # create, apply, unchanged, keep_local, conflict
    reason: str = ""


def _ts(text: str | None) -> datetime | None:
    if not text:
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def sync_revision(session: Session, audit_id: str) -> int | None:
    """The revision this audit had when it last left in, or arrived from, a pack (None: never)."""
    value = session.execute(select(PackMapping.real_value).where(
        PackMapping.audit_id == audit_id, PackMapping.field == REVISION_FIELD).order_by(
        PackMapping.pk.desc()).limit(1)).scalar()
    return int(value) if value is not None else None


def remember_revision(session: Session, pack_id: str, audit_id: str, revision: int,
                      document: dict[str, Any] | None = None) -> None:
    """Note which revision of the audit went out in the pack, to tell later edits from the pack's own;
    with ``document``, keep that copy too (only the latest), the base a later pack is merged against."""
    session.add(PackMapping(pack_id=pack_id, audit_id=audit_id, field=REVISION_FIELD, real_value=str(revision),
                            pseudonym=""))
    if document is not None:
        session.execute(delete(PackMapping).where(PackMapping.audit_id == audit_id,
                                                  PackMapping.field == DOCUMENT_FIELD))
        session.add(PackMapping(pack_id=pack_id, audit_id=audit_id, field=DOCUMENT_FIELD, pseudonym="",
                                real_value=json.dumps(document, ensure_ascii=False, sort_keys=True)))


def sync_document(session: Session, audit_id: str) -> dict[str, Any] | None:
    """The copy of the audit at its last pack exchange (None: none kept, e.g. from before qadesk kept it)."""
    value = session.execute(select(PackMapping.real_value).where(
        PackMapping.audit_id == audit_id, PackMapping.field == DOCUMENT_FIELD).order_by(
        PackMapping.pk.desc()).limit(1)).scalar()
    return json.loads(value) if value else None


def remember_blind(session: Session, pack_id: str, audit_id: str) -> None:
    """Note that the audit arrived in a blind moderation request (once: the first such pack is kept)."""
    if not arrived_blind(session, audit_id):
        # The moderations it arrived with (earlier ones, made where it came from): only one made here
        # concludes the blind moderation (qadesk.services.blind_moderation.moderated_here).
        arrived = sorted(session.execute(select(Moderation.id).where(Moderation.audit_id == audit_id)).scalars())
        session.add(PackMapping(pack_id=pack_id, audit_id=audit_id, field=BLIND_FIELD,
                                real_value=json.dumps(arrived), pseudonym=""))


def blind_arrivals(session: Session, audit_ids: list[str] | None = None) -> dict[str, set[str] | None]:
    """The audits that arrived here blind, each with the ids of the moderations it arrived with (None: not
    known, a pack taken in before qadesk kept them, when any moderation counts as made here)."""
    q = select(PackMapping.audit_id, PackMapping.real_value).where(PackMapping.field == BLIND_FIELD)
    if audit_ids is not None:
        q = q.where(PackMapping.audit_id.in_(audit_ids))
    out: dict[str, set[str] | None] = {}
    for aid, value in session.execute(q):
        try:
            ids = json.loads(value)
        except ValueError:
            ids = None
        out[aid] = set(ids) if isinstance(ids, list) else None
    return out


def arrived_blind(session: Session, audit_id: str) -> bool:
    """Whether the audit arrived here in a blind moderation request."""
    return session.execute(select(PackMapping.pk).where(
        PackMapping.audit_id == audit_id, PackMapping.field == BLIND_FIELD).limit(1)).first() is not None


def pseudonym_pairs(session: Session, audit_id: str) -> list[tuple[str, str]]:
    """(pseudonym, real value) pairs the sender kept for this audit."""
    rows = session.execute(select(PackMapping.pseudonym, PackMapping.real_value).where(
        PackMapping.audit_id == audit_id, PackMapping.field.not_in((REVISION_FIELD, BLIND_FIELD, DOCUMENT_FIELD)))).all()
    return [(p, r) for p, r in rows if p]


def _content(doc: dict[str, Any]) -> dict[str, Any]:
    """The parts of a document that two copies must share to count as the same."""
    # final_grade follows from the grades and moderations (and packs from before it lack it).
    # The assignment is the programme's business, not the audit's work (a hand-over moves the revision on).
    return {k: v for k, v in doc.items()
            if k not in ("revision", "updated_at", "reference", "final_grade", "assignment")}


def judge(session: Session, local: Audit | None, doc: dict[str, Any], kind: str) -> Verdict:
    """Decide what an incoming document does to the local copy (see the module's docstring)."""
    if local is None:
        return Verdict("create")
    base = sync_revision(session, local.id)
    if kind == "moderation_return":
        known = {m.id for m in local.moderations}
        if all(m["id"] in known for m in doc.get("moderations") or []):
            return Verdict("unchanged")
    elif _content(audit_document(local)) == _content(doc) or (base is not None and doc["revision"] == base):
        return Verdict("unchanged")
    if base is None:
        return Verdict("conflict", "this copy was never sent or received in a pack, and both copies differ")
    local_changed, remote_changed = local.revision != base, doc["revision"] != base
    if local_changed and remote_changed:
        return Verdict("conflict", f"edited here (revision {base} → {local.revision}) and in the pack "
                                   f"(revision {base} → {doc['revision']}) since it left")
    if local_changed:
        return Verdict("keep_local", "this copy is newer than the pack's")
    return Verdict("apply")


def id_clashes(session: Session, docs: list[dict[str, Any]]) -> list[str]:
    """Actions and moderations of the documents whose id belongs to another audit here (ids in lower case).

    Ids are UUIDs the sender made; one that names another audit's action or moderation here is a
    forged or broken pack, and importing it would move or overwrite that record: refused, located.
    """
    out: list[str] = []
    for what, model in (("action", ActionItem), ("moderation", Moderation)):
        wanted = {item["id"]: (doc["id"], i) for doc in docs for i, item in enumerate(doc.get(f"{what}s") or [])}
        ids = list(wanted)
        for start in range(0, len(ids), 500):
            rows = session.execute(select(model.id, model.audit_id).where(model.id.in_(ids[start:start + 500])))
            for item_id, owner in rows:
                audit_id, i = wanted[item_id]
                if owner != audit_id:
                    out.append(f"audits/{audit_id}.json: {what}s.{i}.id: {what} {item_id} already belongs to "
                               f"another audit here")
    return out


def _programme(session: Session, name: str | None) -> Programme | None:
    if not name:
        return None
    prog = session.execute(select(Programme).where(Programme.name == name)).scalar_one_or_none()
    if prog is None:
        prog = Programme(name=name)
        session.add(prog)
    return prog


def free_reference(session: Session, reference: str, audit_id: str) -> str:
    """The document's reference, or a suffixed one when another audit here already uses it."""
    candidate, n = reference, 2
    while True:
        owner = session.execute(select(Audit.id).where(Audit.reference == candidate)).scalar()
        if owner is None or owner == audit_id:
            return candidate
        candidate, n = f"{reference[:34]}-{n}", n + 1


def _fill(session: Session, audit: Audit, doc: dict[str, Any], t: Template, at: datetime) -> None:
    subj = dict(doc.get("subject") or {})
    audit.case_ref, audit.case_type = subj.pop("case_ref", None), subj.pop("case_type", None)
    audit.team, audit.practitioner = subj.pop("team", None), subj.pop("practitioner", None)
    extra = {k: v for k, v in subj.items() if v is not None}
    audit.subject_extra = json.dumps(extra, ensure_ascii=False) if extra else None
    audit.auditor_name = (doc.get("auditor") or {}).get("name")
    audit.auditor_role = (doc.get("auditor") or {}).get("role")
    audit.programme = _programme(session, doc.get("programme"))
    audit.status = doc["status"]
    audit.started_at = _ts(doc["started_at"])  # type: ignore[assignment]
    audit.completed_at = _ts(doc.get("completed_at"))
    audit.updated_at = _ts(doc.get("updated_at")) or at
    overall = doc.get("overall") or {}
    audit.overall_grade, audit.overall_suggested = overall.get("grade"), overall.get("suggested")
    audit.overall_score = choice_score(t.overall_choices(), audit.overall_grade)  # the list's grade order
    audit.overall_rationale = overall.get("rationale")
    for key in SUMMARY_KEYS:
        setattr(audit, key, (doc.get("summary") or {}).get(key))
    positions = {q.id: i for i, q in enumerate(t.questions())}
    incoming = {qid: e for qid, e in (doc.get("answers") or {}).items()}
    existing = {a.question_id: a for a in audit.answers}
    for qid, row in existing.items():
        if qid not in incoming:
            audit.answers.remove(row)
    for qid, entry in incoming.items():
        row = existing.get(qid) or Answer(audit_id=audit.id, question_id=qid, updated_at=at)
        if qid not in existing:
            audit.answers.append(row)
        value = entry.get("value")
        row.position = positions[qid]
        row.value = json.dumps(value, ensure_ascii=False) if value is not None else None
        row.evidence = entry.get("evidence") or None
        row.score = question_score(t.question(qid), value)
        row.updated_at = at
    audit.answers.sort(key=lambda a: a.position)
    audit.answered_count = sum(1 for a in audit.answers if a.value is not None)
    grades = {sid: j["grade"] for sid, j in (doc.get("sections") or {}).items()}
    for j in list(audit.section_judgements):
        if j.section_id not in grades:
            audit.section_judgements.remove(j)
        else:
            j.grade, j.updated_at = grades.pop(j.section_id), at
    for sid, grade in grades.items():
        audit.section_judgements.append(SectionJudgement(audit_id=audit.id, section_id=sid, grade=grade, updated_at=at))
    actions = {a["id"]: a for a in doc.get("actions") or []}
    for item in list(audit.actions):
        if item.id not in actions:
            audit.actions.remove(item)
    have = {a.id: a for a in audit.actions}
    for n, (aid, a) in enumerate(actions.items()):
        found = have.get(aid)
        if found is None:
            # Actions are listed by created_at, which the document does not carry: a microsecond
            # apart keeps the document's order, so the audit reads the same after the round trip.
            item = ActionItem(id=aid, audit_id=audit.id, created_at=at + timedelta(microseconds=n))
            audit.actions.append(item)
        else:
            item = found
        item.text, item.owner, item.status = a["text"], a.get("owner"), a["status"]
        item.due = date.fromisoformat(a["due"]) if a.get("due") else None
        item.urgent = bool(a.get("urgent"))
        # Who was told of an urgent concern and when: optional, so a pack from before they existed imports.
        item.told_whom = a.get("told_whom") or None
        item.told_at = (datetime.fromisoformat(a["told_at"]).astimezone(timezone.utc) if a.get("told_at")
                        else None)
        item.closed_at = at if a["status"] != "open" else None
    _merge_moderations(audit, doc.get("moderations") or [], [])
    refresh_final_grade(audit, t)


def write_document(session: Session, audit: Audit, doc: dict[str, Any], t: Template, at: datetime) -> None:
    """Write a validated (or merged) document into an existing audit's rows: subject, status, answers,
    judgements, grades, summary and actions as the document has them; its moderations and their notes
    that are new here are added (a moderation is never removed or rewritten). The caller moves the
    revision on and records the history entry."""
    _fill(session, audit, doc, t, at)
    session.flush()


def _merge_moderations(audit: Audit, mods: list[dict[str, Any]], pairs: list[tuple[str, str]]) -> int:
    known = {m.id: m for m in audit.moderations}
    added = 0
    for m in mods:
        if m["id"] in known:
            # The dialogue after a moderation grows on either copy: its new entries are taken in.
            have = known[m["id"]]
            noted = {n.id for n in have.notes}
            for n in m.get("notes") or []:
                if n["id"] not in noted:
                    have.notes.append(ModerationNote(id=n["id"], author=restore_text(n.get("author"), pairs) or "unknown",
                                                     role=n.get("role") or "moderator",
                                                     text=restore_text(n.get("text"), pairs) or "", at=_ts(n["at"])))
            continue
        who = m.get("moderator") or {}
        mod = Moderation(
            id=m["id"], audit_id=audit.id, moderator_name=who.get("name") or "unknown",
            moderator_organisation=who.get("organisation"), kind=m.get("kind", "internal"), grade=m.get("grade"),
            agreed=bool(m.get("agreed")), rationale=restore_text(m.get("rationale"), pairs), at=_ts(m["at"]),
            blind=bool(m.get("blind")), own_grade=m.get("own_grade"), own_at=_ts(m.get("own_at")),
            learning_points=restore_text(m.get("learning_points"), pairs))
        for sid, g in sorted((m.get("sections") or {}).items()):
            mod.sections.append(ModerationSection(section_id=sid, own_grade=(g or {}).get("own"),
                                                  auditor_grade=(g or {}).get("auditor")))
        for n in m.get("notes") or []:
            mod.notes.append(ModerationNote(id=n["id"], author=restore_text(n.get("author"), pairs) or "unknown",
                                            role=n.get("role") or "moderator",
                                            text=restore_text(n.get("text"), pairs) or "", at=_ts(n["at"])))
        audit.moderations.append(mod)
        added += 1
    return added


def take_assignment(session: Session, audit: Audit, doc: dict[str, Any], at: datetime) -> None:
    """File an audit that arrives assigned under its programme, assigned as the pack says.

    On an auditor's laptop this is what puts the audit in Home's "Assigned to you"; on the QA lead's
    store, a returned audit keeps its assignment (a pack without one leaves the assignment here alone).
    Call it once the audit's row is flushed (its programme has a key).
    """
    given = doc.get("assignment")
    if not isinstance(given, dict) or audit.programme_pk is None:
        return
    row = session.get(Assignment, audit.id)
    if row is None:
        row = Assignment(audit_id=audit.id, revision_assigned=int(given.get("revision") or audit.revision))
        session.add(row)
    who = given.get("auditor") or {}
    row.programme_pk = audit.programme_pk
    row.team, row.reason = given.get("team"), given.get("reason")
    row.auditor_name, row.auditor_role = who["name"], who.get("role")
    row.due_on = date.fromisoformat(given["due"]) if given.get("due") else None
    row.assigned_at = _ts(given.get("assigned_at")) or at
    row.assigned_by = given.get("assigned_by") or "unknown"
    if given.get("revision"):
        row.revision_assigned = int(given["revision"])
    plan = given.get("plan")
    prog = audit.programme
    if isinstance(plan, dict) and prog is not None:  # a programme made here by name takes the plan's template and dates
        prog.template_id = prog.template_id or plan.get("template")
        prog.starts_on = prog.starts_on or (date.fromisoformat(plan["starts_on"]) if plan.get("starts_on") else None)
        prog.ends_on = prog.ends_on or (date.fromisoformat(plan["ends_on"]) if plan.get("ends_on") else None)
    session.flush()


def create_from_document(session: Session, doc: dict[str, Any], row: TemplateVersion, t: Template, *,
                         origin: str | None, actor: str, pack_id: str) -> Audit:
    """A new local audit from a validated document (same id; reference suffixed if taken here)."""
    at = now_utc()
    audit = Audit(id=doc["id"], reference=free_reference(session, doc["reference"], doc["id"]), template_pk=row.pk,
                  template=row, revision=doc["revision"], origin=origin, started_at=at, updated_at=at)
    session.add(audit)
    _fill(session, audit, doc, t, at)
    session.flush()
    take_assignment(session, audit, doc, at)
    now = audit_document(audit)
    remember_revision(session, pack_id, audit.id, audit.revision, now)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id, action="import",
                   after={"pack": pack_id, "from": origin, "document": now}, at=at)
    return audit


def replace_from_document(session: Session, audit: Audit, doc: dict[str, Any], t: Template, *, actor: str,
                          pack_id: str) -> None:
    """Bring a local copy (unchanged since it left) up to the pack's version; history keeps the old one."""
    before = audit_document(audit)
    at = now_utc()
    _fill(session, audit, doc, t, at)
    audit.revision = max(audit.revision + 1, doc["revision"])
    session.flush()
    take_assignment(session, audit, doc, at)
    now = audit_document(audit)
    remember_revision(session, pack_id, audit.id, audit.revision, now)
    history.record(session, actor=actor, entity="audit", entity_id=audit.id, audit_id=audit.id, action="import",
                   before=before, after={"pack": pack_id, "document": now}, at=at)


def add_returned_moderations(session: Session, audit: Audit, doc: dict[str, Any], *, actor: str,
                             pack_id: str) -> int:
    """Link a moderation return to the local audit: its new moderations, pseudonyms mapped back."""
    at = now_utc()
    added = _merge_moderations(audit, doc.get("moderations") or [], pseudonym_pairs(session, audit.id))
    if not added:
        return 0
    refresh_final_grade(audit, template_for(audit))
    before = audit.status
    if audit.status == "completed":
        audit.status = "moderated"
    audit.revision = max(audit.revision + 1, doc["revision"])
    audit.updated_at = at
    session.flush()
    remember_revision(session, pack_id, audit.id, audit.revision)
    for m in audit.moderations[-added:]:
        history.record(session, actor=actor, entity="moderation", entity_id=m.id, audit_id=audit.id,
                       action="import", before={"status": before}, after={"pack": pack_id, "status": audit.status,
                                                                        **moderation_dict(m)},
                       at=at)
    return added
