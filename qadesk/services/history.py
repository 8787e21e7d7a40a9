"""Whether the history proves the store: the chain, its anchor outside the store, and a replay of every audit.

``qadesk history verify`` runs :func:`verify_store`, which checks three things
and names the first problem of each in plain words:

1. **The chain** (:func:`qadesk.store.history.verify`): every entry's hash and
   its link to the one before.
2. **The anchor**: the chain's head (how many entries, the last one's hash)
   against the checkpoint file beside the store (:mod:`qadesk.store.anchor`),
   which every change writes before it commits; so a chain cut short (the last
   entries deleted, or all of them), lengthened behind qadesk's back, or a
   checkpoint put back from an older copy is found.
3. **The replay**: each audit's entries, from its newest baseline entry (see
   migration 0008) or its start, are applied in order to give the state the
   history implies — its reference, template, status, subject, auditor,
   programme, dates, every answer and evidence note, every section judgement,
   the overall grade and rationale, the final grade, the summary, every action
   and every moderation — and that state is compared with the tables, field by
   field.  An audit the history knows but the store lacks (deleted), or one the
   store holds that the history never recorded, is named too.  Templates are
   checked against their import entries (content, fingerprint, retired).

The replay reads a batch of audits at a time (their entries through the index
on the history's audit id, their rows by key), so it runs in bounded memory at
any size.  What it does not compare, and why: revision and updated_at (a count
and a time of the last save, not content), the suggested grade and the scores
(derived from the answers by the template each time they are shown),
programmes (an audit's programme is compared; a programme's own plan is not
audited) and settings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from qadesk.core.audit import SUMMARY_KEYS, SUMMARY_LABELS
from qadesk.core.dates import as_utc
from qadesk.core.scoring import final_grade
from qadesk.core.template import Template
from qadesk.services.calibration import verify_exercises
from qadesk.store import anchor
from qadesk.store import history as chain
from qadesk.store.models import (
    ActionItem,
    Answer,
    Audit,
    HistoryEntry,
    Moderation,
    ModerationNote,
    ModerationSection,
    Programme,
    SectionJudgement,
    TemplateVersion,
)

BATCH = 400
UNKNOWN = object()  # a field no entry since the replay began has given (older entries did not record it)


def _iso(value: Any) -> str | None:
    """A time as the replay compares it: ISO 8601 to the second, in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    v = as_utc(value)
    return v.isoformat(timespec="seconds") if v is not None else None


# ---------------------------------------------------------------------------------------------- the state


def blank_state() -> dict[str, Any]:
    """An audit with nothing known yet (what replay starts from before a start or baseline entry)."""
    return {"reference": UNKNOWN, "template": UNKNOWN, "status": UNKNOWN, "subject": {}, "subject_known": False,
            "auditor": {"name": UNKNOWN, "role": UNKNOWN}, "programme": UNKNOWN, "origin": UNKNOWN,
            "started_at": UNKNOWN, "completed_at": UNKNOWN, "answers": {}, "sections": {},
            "overall": {"grade": UNKNOWN, "rationale": UNKNOWN}, "summary": {k: UNKNOWN for k in SUMMARY_KEYS},
            "actions": {}, "moderations": {}, "src": {}, "begun": False}


def _action_state(a: dict[str, Any], closing_note: Any = None) -> dict[str, Any]:
    return {"text": a.get("text"), "owner": a.get("owner"), "due": a.get("due"), "status": a.get("status"),
            "urgent": bool(a.get("urgent")), "told_whom": a.get("told_whom") or None,
            "told_at": _iso(a.get("told_at")),
            "closing_note": a.get("closing_note", closing_note)}


def _moderation_state(m: dict[str, Any]) -> dict[str, Any]:
    who = m.get("moderator") or {}
    return {"moderator": who.get("name"), "organisation": who.get("organisation"), "kind": m.get("kind"),
            "grade": m.get("grade"), "agreed": bool(m.get("agreed")), "rationale": m.get("rationale"),
            "at": _iso(m.get("at")), "blind": bool(m.get("blind")), "own_grade": m.get("own_grade"),
            "sections": {sid: {"own": (g or {}).get("own"), "auditor": (g or {}).get("auditor")}
                         for sid, g in (m.get("sections") or {}).items()},
            "learning_points": m.get("learning_points"),
            "notes": [_note_state(n) for n in m.get("notes") or []]}


def _note_state(n: dict[str, Any]) -> dict[str, Any]:
    return {"author": n.get("author"), "role": n.get("role"), "text": n.get("text"), "at": _iso(n.get("at"))}


def _take_document(st: dict[str, Any], doc: dict[str, Any], seq: int) -> None:
    """Set the whole state from an audit document (submit, import) or a baseline state."""
    src = st["src"]
    for key in ("reference", "status", "programme", "started_at", "completed_at"):
        if key in doc:
            st[key] = _iso(doc[key]) if key.endswith("_at") else doc[key]
            src[key] = seq
    if "template" in doc:
        t = doc["template"] or {}
        st["template"] = f"{t.get('id')}@{t.get('version')}"
        src["template"] = seq
    if "origin" in doc:
        st["origin"], src["origin"] = doc["origin"], seq
    if "subject" in doc:
        st["subject"] = {k: v for k, v in (doc["subject"] or {}).items() if v is not None}
        st["subject_known"] = True
        src["subject"] = seq
    if "auditor" in doc:
        who = doc["auditor"] or {}
        st["auditor"] = {"name": who.get("name"), "role": who.get("role")}
        src["auditor"] = seq
    if "answers" in doc:
        st["answers"] = {q: {"value": e.get("value"), "evidence": e.get("evidence") or None}
                         for q, e in (doc["answers"] or {}).items()}
        for q in st["answers"]:
            src[f"answers.{q}"] = seq
    if "sections" in doc:
        st["sections"] = {s: (j or {}).get("grade") for s, j in (doc["sections"] or {}).items()}
        for s in st["sections"]:
            src[f"sections.{s}"] = seq
    if "overall" in doc:
        o = doc["overall"] or {}
        st["overall"] = {"grade": o.get("grade"), "rationale": o.get("rationale")}
        src["overall"] = seq
    if "summary" in doc:
        summary = doc["summary"] or {}
        st["summary"] = {k: summary.get(k) for k in SUMMARY_KEYS}
        for k in SUMMARY_KEYS:
            src[f"summary.{k}"] = seq
    if "actions" in doc:
        old = st["actions"]
        st["actions"] = {a["id"]: _action_state(a, old.get(a["id"], {}).get("closing_note"))
                         for a in doc["actions"] or []}
        for aid in st["actions"]:
            src[f"actions.{aid}"] = seq
    if "moderations" in doc:
        st["moderations"] = {m["id"]: _moderation_state(m) for m in doc["moderations"] or []}
        for mid in st["moderations"]:
            src[f"moderations.{mid}"] = seq


def apply_entry(st: dict[str, Any], entity: str, action: str, entity_id: str | None, before: Any, after: Any,
                seq: int, at: datetime, actor: str) -> str | None:
    """Apply one entry to an audit's replayed state; a reason when the entry cannot be replayed."""
    src = st["src"]
    if entity == "audit":
        if action == "baseline":
            fresh = blank_state()
            st.clear()
            st.update(fresh)
            _take_document(st, (after or {}).get("state") or {}, seq)
            st["begun"] = True
        elif action == "start":
            fresh = blank_state()
            st.clear()
            st.update(fresh)
            a = after or {}
            doc: dict[str, Any] = {"reference": a.get("reference"), "status": "draft",
                                   "template": {"id": a.get("template"), "version": a.get("version")},
                                   "subject": a.get("subject") or {}, "started_at": _iso(at), "completed_at": None,
                                   "answers": {}, "sections": {}, "overall": {"grade": None, "rationale": None},
                                   "summary": {}, "actions": [], "moderations": [], "origin": None}
            if "auditor" in a:
                doc["auditor"] = a["auditor"]
            if "programme" in a:
                doc["programme"] = a["programme"]
            _take_document(st, doc, seq)
            if "auditor" not in a:
                st["auditor"] = {"name": actor, "role": UNKNOWN}
            st["begun"] = True
        elif action == "subject":
            for k, v in (after or {}).items():
                if k == "from":
                    continue
                if v is None:
                    st["subject"].pop(k, None)
                else:
                    st["subject"][k] = v
                src["subject"] = seq
        elif action == "submit":
            _take_document(st, after or {}, seq)
            st["status"], src["status"] = "completed", seq
        elif action == "reopen":
            st["status"], st["completed_at"] = "draft", None
            src["status"] = src["completed_at"] = seq
        elif action == "close":
            st["status"], src["status"] = "closed", seq
        elif action in ("import", "sync", "resolve"):
            # import: from a pack; sync: merged with the team server's copy; resolve: a conflict resolved.
            a = after or {}
            _take_document(st, a.get("document") or {}, seq)
            if before is None and action == "import":  # a new audit from a pack: where it came from
                st["origin"], src["origin"] = a.get("from"), seq
            elif action != "import" and "origin" in a:  # a sync or a resolution says where the copy came from
                st["origin"], src["origin"] = a["origin"], seq
            st["begun"] = True
        else:
            return f"an audit entry of a kind this version does not know ('{action}')"
    elif entity == "answer":
        qid = str(entity_id)
        if action == "answer":
            a = after or {}
            value, evidence = a.get("value"), a.get("evidence") or None
            if value is None and evidence is None:
                st["answers"].pop(qid, None)
            else:
                st["answers"][qid] = {"value": value, "evidence": evidence}
        elif action == "clear_irrelevant":
            st["answers"].pop(qid, None)
        else:
            return f"an answer entry of a kind this version does not know ('{action}')"
        src[f"answers.{qid}"] = seq
    elif entity == "section_judgement":
        sid = str(entity_id)
        if action == "judge" and after:
            st["sections"][sid] = after
        elif action in ("judge", "clear_irrelevant"):
            st["sections"].pop(sid, None)
        else:
            return f"a judgement entry of a kind this version does not know ('{action}')"
        src[f"sections.{sid}"] = seq
    elif entity == "overall":
        a = after or {}
        st["overall"] = {"grade": a.get("grade"), "rationale": a.get("rationale")}
        src["overall"] = seq
    elif entity == "summary":
        if entity_id not in SUMMARY_KEYS:
            return f"a summary entry for a field qadesk does not have ('{entity_id}')"
        st["summary"][entity_id] = after or None
        src[f"summary.{entity_id}"] = seq
    elif entity == "action":
        aid = str(entity_id)
        if action == "add":
            st["actions"][aid] = _action_state(after or {}, None)
        elif action == "update":
            old = st["actions"].get(aid, {})
            st["actions"][aid] = _action_state(after or {}, old.get("closing_note", UNKNOWN))
        elif action == "remove":
            st["actions"].pop(aid, None)
        else:
            return f"an action entry of a kind this version does not know ('{action}')"
        src[f"actions.{aid}"] = seq
    elif entity == "moderation":
        a = dict(after or {})
        st["moderations"][str(entity_id)] = _moderation_state(a)
        src[f"moderations.{entity_id}"] = seq
        if "status" in a:
            st["status"] = a["status"]
        elif action == "moderate" or st["status"] == "completed":
            st["status"] = "moderated"
        src["status"] = seq
    elif entity == "assignment":  # allocated in a programme (assign), or handed to another auditor (hand_over)
        a = dict(after or {})
        if action == "hand_over" and a.get("auditor"):
            role = a["role"] if "role" in a else (st["auditor"] or {}).get("role")
            st["auditor"] = {"name": a["auditor"], "role": role}
            src["auditor"] = seq
    elif entity in ("moderation_choice", "blind_judgement"):
        pass  # chosen for moderation, or judged blind before concluding: nothing the audit holds changes
    elif entity == "moderation_note":  # the dialogue after a moderation
        a = dict(after or {})
        mod = st["moderations"].get(str(a.get("moderation")))
        if mod is None:
            return "a note on a moderation the history has not recorded"
        mod["notes"].append(_note_state(a))
    else:
        return f"an entry about '{entity}', which this version does not replay"
    return None


# ------------------------------------------------------------------------------------------- the tables


def _answer_value(text: str | None) -> Any:
    """A stored answer's JSON value; plain strings (most answers) without the JSON parser's cost."""
    if text is None:
        return None
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and "\\" not in text and '"' not in text[1:-1]:
        return text[1:-1]
    try:
        return json.loads(text)
    except ValueError:
        return text


def table_states(session: Session, ids: list[str]) -> dict[str, dict[str, Any]]:
    """The state the tables hold for each audit in ``ids`` (missing ids are left out)."""
    states: dict[str, dict[str, Any]] = {}
    if not ids:
        return states
    conn = session.connection()  # Core rows: no ORM bookkeeping for a million of them
    rows = conn.execute(
        select(Audit.id, Audit.reference, TemplateVersion.template_id, TemplateVersion.version, Audit.status,
               Audit.case_ref, Audit.case_type, Audit.team, Audit.practitioner, Audit.subject_extra,
               Audit.auditor_name, Audit.auditor_role, Programme.name.label("programme"), Audit.origin,
               Audit.started_at, Audit.completed_at, Audit.overall_grade, Audit.overall_rationale, Audit.final_grade,
               *[getattr(Audit, k) for k in SUMMARY_KEYS])
        .join(TemplateVersion, TemplateVersion.pk == Audit.template_pk)
        .outerjoin(Programme, Programme.pk == Audit.programme_pk)
        .where(Audit.id.in_(ids))).mappings()
    for a in rows:
        subject = {"case_ref": a["case_ref"], "case_type": a["case_type"], "team": a["team"],
                   "practitioner": a["practitioner"]}
        if a["subject_extra"]:
            try:
                for k, v in json.loads(a["subject_extra"]).items():
                    subject.setdefault(k, v)
            except (ValueError, AttributeError):
                subject["(extra)"] = a["subject_extra"]
        states[a["id"]] = {
            "reference": a["reference"], "template": f"{a['template_id']}@{a['version']}", "status": a["status"],
            "subject": {k: v for k, v in subject.items() if v is not None},
            "auditor": {"name": a["auditor_name"], "role": a["auditor_role"]}, "programme": a["programme"],
            "origin": a["origin"], "started_at": _iso(a["started_at"]), "completed_at": _iso(a["completed_at"]),
            "answers": {}, "sections": {}, "overall": {"grade": a["overall_grade"], "rationale": a["overall_rationale"]},
            "final_grade": a["final_grade"], "summary": {k: a[k] for k in SUMMARY_KEYS}, "actions": {},
            "moderations": {}}
    for r in conn.execute(select(Answer.audit_id, Answer.question_id, Answer.value, Answer.evidence)
                             .where(Answer.audit_id.in_(ids)).order_by(Answer.audit_id, Answer.position)).all():
        value = _answer_value(r.value)
        states[r.audit_id]["answers"][r.question_id] = {"value": value, "evidence": r.evidence or None}
    for j in conn.execute(select(SectionJudgement.audit_id, SectionJudgement.section_id, SectionJudgement.grade)
                             .where(SectionJudgement.audit_id.in_(ids))).all():
        states[j.audit_id]["sections"][j.section_id] = j.grade
    for x in conn.execute(select(ActionItem.audit_id, ActionItem.id, ActionItem.text, ActionItem.owner,
                                    ActionItem.due, ActionItem.status, ActionItem.urgent,
                                    ActionItem.told_whom, ActionItem.told_at, ActionItem.closing_note)
                             .where(ActionItem.audit_id.in_(ids))).all():
        states[x[0]]["actions"][x[1]] = {
            "text": x[2], "owner": x[3], "due": x[4].isoformat() if x[4] else None, "status": x[5],
            "urgent": bool(x[6]), "told_whom": x[7] or None, "told_at": _iso(x[8]), "closing_note": x[9]}
    where = {}
    for m in conn.execute(select(Moderation.audit_id, Moderation.id, Moderation.moderator_name,
                                    Moderation.moderator_organisation, Moderation.kind, Moderation.grade,
                                    Moderation.agreed, Moderation.rationale, Moderation.at, Moderation.blind,
                                    Moderation.own_grade, Moderation.learning_points)
                             .where(Moderation.audit_id.in_(ids))).all():
        states[m.audit_id]["moderations"][m.id] = {
            "moderator": m.moderator_name, "organisation": m.moderator_organisation, "kind": m.kind, "grade": m.grade,
            "agreed": bool(m.agreed), "rationale": m.rationale, "at": _iso(m.at), "blind": bool(m.blind),
            "own_grade": m.own_grade, "sections": {}, "learning_points": m.learning_points, "notes": []}
        where[m.id] = m.audit_id
    if where:
        for mid, sid, own, theirs in conn.execute(
                select(ModerationSection.moderation_id, ModerationSection.section_id, ModerationSection.own_grade,
                       ModerationSection.auditor_grade).where(ModerationSection.moderation_id.in_(list(where)))).all():
            states[where[mid]]["moderations"][mid]["sections"][sid] = {"own": own, "auditor": theirs}
        for n in conn.execute(select(ModerationNote.moderation_id, ModerationNote.author, ModerationNote.role,
                                        ModerationNote.text, ModerationNote.at)
                                 .where(ModerationNote.moderation_id.in_(list(where)))
                                 .order_by(ModerationNote.at)).all():
            states[where[n[0]]]["moderations"][n[0]]["notes"].append(
                {"author": n[1], "role": n[2], "text": n[3], "at": _iso(n[4])})
    return states


# ------------------------------------------------------------------------------------------ differences


@dataclass(frozen=True)
class Difference:
    """One place where the history and the tables disagree, or where either fails on its own."""

    where: str  # the audit (or "the history", "the checkpoint", a template)
    what: str  # the field, in words
    history: str | None = None  # what the history says, in words
    store: str | None = None  # what the table holds, in words
    entry: str | None = None  # the entry that says it: "entry 1,234 (3 Dec 2026 14:02, Pat Example)"
    kind: str = "state"  # chain, anchor, state, template

    def describe(self) -> str:
        if self.history is None and self.store is None:
            return f"{self.where}: {self.what}."
        said = f"the history says {self.history}" + (f" ({self.entry})" if self.entry else "")
        return f"{self.where}: {self.what} — {said}; the store holds {self.store}."


def shown(value: Any, limit: int = 80) -> str:
    """A value in words for a message: quoted text, numbers, lists, nothing."""
    if value is None or value == {} or value == []:
        return "nothing"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(shown(v, limit) for v in value) or "nothing"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[:limit - 1] + "…"
    return f"“{text}”"


FIELD_WORDS = {
    "reference": "its reference", "template": "its template", "status": "its status",
    "programme": "its programme", "origin": "where it came from", "started_at": "when it was started",
    "completed_at": "when it was completed", "auditor.name": "its auditor", "auditor.role": "its auditor's role",
    "overall.grade": "the overall grade", "overall.rationale": "the rationale for the overall grade",
    "final_grade": "the final grade",
}
SUBJECT_WORDS = {"case_ref": "the case reference", "case_type": "the case type", "team": "the team",
                 "practitioner": "the practitioner"}
ACTION_WORDS = {"text": "what must happen", "owner": "its owner", "due": "its due date", "status": "its status",
                "urgent": "whether it is urgent", "told_whom": "who was told", "told_at": "when they were told",
                "closing_note": "its closing note"}
MODERATION_WORDS = {"moderator": "the moderator", "organisation": "the moderator's organisation", "kind": "its kind",
                    "grade": "the moderated grade", "agreed": "whether the moderator agreed",
                    "rationale": "the moderator's rationale", "at": "when it was made",
                    "blind": "whether it was judged blind", "own_grade": "the moderator's own grade",
                    "sections": "the moderator's section judgements", "learning_points": "the learning points",
                    "notes": "the dialogue after it"}


class Labels:
    """Question and section titles of each template version, for messages (parsed once each)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._cache: dict[str, Template | None] = {}

    def template(self, key: str) -> Template | None:
        if key not in self._cache:
            from qadesk.services.templates import template_of

            tid, _, version = key.rpartition("@")
            row = self.session.execute(select(TemplateVersion).where(
                TemplateVersion.template_id == tid, TemplateVersion.version == int(version or 0))).scalar_one_or_none() \
                if version.isdigit() else None
            try:
                self._cache[key] = template_of(row) if row is not None else None
            except Exception:  # noqa: BLE001 - a damaged template is named by the template check; here only words
                self._cache[key] = None
        return self._cache[key]

    def question(self, key: Any, qid: str) -> str:
        t = self.template(key) if isinstance(key, str) else None
        if t is not None and t.has_question(qid):
            return f"the answer to “{t.question(qid).label}” ({qid})"
        return f"the answer to question '{qid}'"

    def section(self, key: Any, sid: str) -> str:
        t = self.template(key) if isinstance(key, str) else None
        if t is not None:
            for s in t.sections:
                if s.id == sid:
                    return f"the judgement of the section “{s.title}”"
        return f"the judgement of section '{sid}'"


def _answer_words(a: dict[str, Any] | None) -> Any:
    if a is None:
        return None
    return a["value"] if a["value"] is not None else f"only an evidence note {shown(a['evidence'])}"


def compare(replayed: dict[str, Any], table: dict[str, Any], labels: Labels) -> Iterator[tuple[str, Any, Any, str]]:
    """(what, history value, table value, source key) for every field where they differ, in form order."""
    def fields() -> Iterator[tuple[str, Any, Any, str]]:
        for key in ("reference", "template", "status"):
            yield FIELD_WORDS[key], replayed[key], table[key], key
        if replayed.get("subject_known"):
            for k in sorted(set(replayed["subject"]) | set(table["subject"]),
                            key=lambda k: (k not in SUBJECT_WORDS, list(SUBJECT_WORDS).index(k) if k in SUBJECT_WORDS else 0, k)):
                yield (SUBJECT_WORDS.get(k, f"the subject's {k.replace('_', ' ')}"), replayed["subject"].get(k),
                       table["subject"].get(k), "subject")
        for k in ("name", "role"):
            yield FIELD_WORDS[f"auditor.{k}"], replayed["auditor"][k], table["auditor"][k], "auditor"
        for key in ("programme", "origin", "started_at", "completed_at"):
            yield FIELD_WORDS[key], replayed[key], table[key], key
        tkey = table["template"]
        ra, ta = replayed["answers"], table["answers"]
        if ra != ta:
            for qid in list(dict.fromkeys([*ta, *ra])):
                h, s = ra.get(qid), ta.get(qid)
                if h == s:
                    continue
                what = labels.question(tkey, qid)
                if h is None or s is None:
                    yield what, _answer_words(h), _answer_words(s), f"answers.{qid}"
                    continue
                yield what, h["value"], s["value"], f"answers.{qid}"
                yield (f"the evidence note for {what[len('the answer to '):]}", h["evidence"], s["evidence"],
                       f"answers.{qid}")
        for sid in sorted(set(replayed["sections"]) | set(table["sections"])) if replayed["sections"] != table["sections"] else ():
            yield labels.section(tkey, sid), replayed["sections"].get(sid), table["sections"].get(sid), f"sections.{sid}"
        for k in ("grade", "rationale"):
            yield FIELD_WORDS[f"overall.{k}"], replayed["overall"][k], table["overall"][k], "overall"
        mods = replayed["moderations"]
        if not any(v is UNKNOWN for v in (replayed["overall"]["grade"],)):
            derived = final_grade(replayed["overall"]["grade"], ((m["at"] or "", m["grade"]) for m in mods.values()))
            yield FIELD_WORDS["final_grade"], derived, table["final_grade"], "overall"
        for k in SUMMARY_KEYS:
            yield f"the summary “{SUMMARY_LABELS[k]}”", replayed["summary"][k], table["summary"][k], f"summary.{k}"
        for aid in list(dict.fromkeys([*table["actions"], *replayed["actions"]])):
            h, s = replayed["actions"].get(aid), table["actions"].get(aid)
            if h == s:
                continue
            text = (s or h or {}).get("text") or ""
            name = f"the action “{shown(text, 40)[1:-1]}” ({aid[:8]})"
            if h is None or s is None:
                yield name, None if h is None else "this action", None if s is None else "this action", f"actions.{aid}"
                continue
            for k, words in ACTION_WORDS.items():
                yield f"{name}: {words}", h[k], s[k], f"actions.{aid}"
        if mods != table["moderations"]:
            for mid in list(dict.fromkeys([*table["moderations"], *mods])):
                h, s = mods.get(mid), table["moderations"].get(mid)
                if h == s:
                    continue
                who = (s or h or {}).get("moderator") or "?"
                name = f"the moderation by {who} ({mid[:8]})"
                if h is None or s is None:
                    yield (name, None if h is None else "this moderation", None if s is None else "this moderation",
                           f"moderations.{mid}")
                    continue
                for k, words in MODERATION_WORDS.items():
                    yield f"{name}: {words}", h[k], s[k], f"moderations.{mid}"

    for what, h, s, src in fields():
        if h is UNKNOWN or h == s:
            continue
        yield what, h, s, src


# ------------------------------------------------------------------------------------------------ verify


@dataclass
class VerifyReport:
    """What ``history verify`` found; ``problems`` in the order they were found (the first is the first named)."""

    entries: int = 0
    audits: int = 0
    replayed_audits: int = 0
    answers: int = 0
    actions: int = 0
    moderations: int = 0
    templates: int = 0
    anchor: str = ""
    notes: list[str] = field(default_factory=list)
    problems: list[Difference] = field(default_factory=list)
    total_problems: int = 0  # problems beyond those kept are counted here too
    unconfirmed_tail: str | None = None  # the checkpoint's last change is not in the history: why, if the replay says
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def when_words(at: Any) -> str:
    """A time for a message: 3 Dec 2026 14:02 (UTC, as stored)."""
    if isinstance(at, str):
        try:
            at = datetime.fromisoformat(at)
        except ValueError:
            return at
    when = as_utc(at)
    return f"{when.day} {when.strftime('%b %Y %H:%M')}" if when is not None else "an unknown time"


def _entry_words(seq: int, at: Any, actor: str | None) -> str:
    return f"entry {seq:,} of {when_words(at)}" + (f", by {actor}" if actor else "")


def verify_store(session: Session, database: Path | None, *, limit: int = 200,
                 progress: Callable[[int, int], None] | None = None,
                 packs: Iterable[tuple[str, Any]] = ()) -> VerifyReport:
    """Check the chain, the anchor and the replay; at most ``limit`` problems are kept (the rest are counted)."""
    import time

    started = time.perf_counter()
    report = VerifyReport()
    overflow = 0

    def problem(d: Difference) -> None:
        nonlocal overflow
        report.total_problems += 1
        if len(report.problems) < limit:
            report.problems.append(d)
        else:
            overflow += 1

    walked = chain.verify(session)
    report.entries = walked.entries
    if not walked.ok:
        problem(Difference("The history", f"entry {walked.broken_at:,} ({walked.entries:,}th in order) is broken: "
                                          f"{walked.reason}", kind="chain"))
    _check_anchor(session, database, walked, report, problem)
    for label, head in packs:
        _check_pack_head(session, label, head, report, problem)
    _check_templates(session, report, problem)
    state_problems = report.total_problems
    _replay_all(session, report, problem, progress)
    for words in verify_exercises(session):  # calibration exercises: their own replay (no audit holds them)
        problem(Difference("Calibration exercises", words, kind="state"))
    if report.unconfirmed_tail is not None:
        if report.total_problems > state_problems:  # the tables hold changes the history no longer has
            report.problems.insert(0, Difference("The history", report.unconfirmed_tail, kind="anchor"))
            report.total_problems += 1
        else:
            report.notes.append("The checkpoint's newest record names more entries than the history holds, and the "
                                "tables agree with the history: the last save did not complete.")
    report.seconds = time.perf_counter() - started
    return report


def _check_anchor(session: Session, database: Path | None, walked: chain.ChainReport, report: VerifyReport,
                  problem: Callable[[Difference], None]) -> None:
    count, last_seq, last_hash = chain.head(session)
    if walked.ok:
        count, last_seq, last_hash = walked.entries, walked.last_seq, walked.last_hash
    migrated = inspect(session.connection()).has_table("alembic_version")
    if count == 0 and migrated:
        problem(Difference("The history", "it is empty, but every store this version opens begins its history with "
                                          "a baseline entry: all the entries were deleted", kind="anchor"))
    if database is None:
        report.anchor = "no checkpoint (a database server keeps none; packs carry the head)"
        return
    path = anchor.head_path(database)
    cp = anchor.read(path)
    name = path.name
    if not cp.exists:
        last_is_baseline = count > 0 and chain._is_baseline(session, last_seq)
        if count == 0 or last_is_baseline:
            report.anchor = f"no checkpoint yet ({name} is written with the next change)"
        else:
            problem(Difference("The checkpoint", f"the file {name} beside the store is missing, so nothing shows "
                                                 "whether entries were removed from the end of the history; it was "
                                                 "deleted or the store was copied without it", kind="anchor"))
        return
    newest = cp.newest
    if newest is None:
        problem(Difference("The checkpoint", f"{name} is damaged: neither of its two records reads", kind="anchor"))
        return
    written = when_words(newest.at)
    if newest.hash == last_hash and newest.entries == count:
        report.anchor = f"the checkpoint agrees: {count:,} entries, the last {last_hash[:12]}…"
    elif cp.older is not None and cp.older.hash == last_hash and cp.older.entries == count:
        report.anchor = (f"the checkpoint agrees with the history before its last record: {count:,} entries "
                         "(the last change it was told of did not complete)")
        missing = newest.entries - count
        report.unconfirmed_tail = (
            f"it ends after {count:,} entries, but the checkpoint {name}, written {written}, recorded "
            f"{newest.entries:,}: " + ("the last entry was" if missing == 1 else f"the last {missing:,} entries were")
            + " deleted (the tables still hold what they recorded)")
    elif (extra := chain.baselines_after(session, newest, last_seq)) is not None and newest.entries + extra == count:
        report.anchor = (f"the checkpoint agrees: {newest.entries:,} entries, then {extra:,} baseline entries an "
                         "upgrade added")
    elif count < newest.entries:
        missing = newest.entries - count
        problem(Difference("The history", f"it ends after {count:,} entries, but the checkpoint {name}, written "
                                          f"{written}, recorded {newest.entries:,}: "
                                          + ("the last entry was deleted" if missing == 1 else
                                             f"the last {missing:,} entries were deleted"), kind="anchor"))
    elif count > newest.entries:
        extra = count - newest.entries
        problem(Difference("The history", f"it has {count:,} entries, {extra:,} more than the checkpoint {name} "
                                          f"recorded ({written}): entries were added without qadesk, or the "
                                          "checkpoint was put back from an older copy", kind="anchor"))
    else:
        problem(Difference("The history", f"its last entry ({count:,}) is not the one the checkpoint {name} "
                                          f"recorded ({written}): the history was rewritten", kind="anchor"))
    for note in newest.notes:
        kind, at, entries = note.get("kind"), when_words(note.get("at", "?")), note.get("entries", 0)
        if kind == "mismatch":
            problem(Difference("The checkpoint", f"on {at} the history had {entries:,} entries where the checkpoint "
                                                 f"then recorded {note.get('checkpoint_entries', '?'):,}: the history "
                                                 "did not match it before that change", kind="anchor"))
        elif kind in ("missing", "damaged"):
            problem(Difference("The checkpoint", f"on {at} the checkpoint was {kind} while the history had "
                                                 f"{entries:,} entries: entries removed before then would not show",
                               kind="anchor"))
        elif kind == "restored":
            report.notes.append(f"The store was restored from a backup on {at} ({note.get('from', '?')}): the "
                                f"history went back from {note.get('entries_before', '?'):,} entries to "
                                f"{entries:,}, as a restore does.")


def _check_pack_head(session: Session, label: str, head: Any, report: VerifyReport,
                     problem: Callable[[Difference], None]) -> None:
    """A pack's ``history_head`` (the store's head when it left) must still be in the chain, unchanged."""
    from sqlalchemy import func

    where = f"The pack {label}"
    if not isinstance(head, dict):
        report.notes.append(f"{where} carries no history head (made by an older qadesk): nothing to compare.")
        return
    seq, entries, digest = head.get("seq"), head.get("entries"), head.get("hash")
    if not isinstance(seq, int) or not isinstance(entries, int) or not isinstance(digest, str):
        problem(Difference(where, "its history head is not of the form qadesk writes", kind="anchor"))
        return
    if seq == 0:
        report.notes.append(f"{where} left when the history was empty.")
        return
    found = session.execute(select(HistoryEntry.hash).where(HistoryEntry.seq == seq)).scalar()
    if found is None:
        problem(Difference(where, f"it recorded the history's head as entry {seq:,} ({entries:,} entries), which the "
                                  "history no longer holds: entries were deleted after the pack left", kind="anchor"))
        return
    if found != digest:
        problem(Difference(where, f"entry {seq:,}, the head it recorded, has another hash now: the history up to "
                                  "that entry was rewritten after the pack left", kind="anchor"))
        return
    before = int(session.execute(select(func.count()).where(HistoryEntry.seq <= seq)).scalar() or 0)
    if before != entries:
        problem(Difference(where, f"it recorded {entries:,} entries up to entry {seq:,}; the history now has "
                                  f"{before:,} there: entries before it were deleted", kind="anchor"))
        return
    report.notes.append(f"{where} agrees: the history still holds its head, entry {seq:,} ({entries:,} entries).")


def _check_templates(session: Session, report: VerifyReport, problem: Callable[[Difference], None]) -> None:
    imported: dict[str, set[str]] = {}
    retired: dict[str, bool] = {}
    for key, action, after in session.execute(
            select(HistoryEntry.entity_id, HistoryEntry.action, HistoryEntry.after)
            .where(HistoryEntry.entity == "template").order_by(HistoryEntry.seq)):
        if action == "import":
            try:
                fp = (json.loads(after) or {}).get("fingerprint") if after else None
            except ValueError:
                fp = None
            imported.setdefault(str(key), set()).add(str(fp))
        elif action in ("retire", "restore"):
            retired[str(key)] = action == "retire"
    for row in session.execute(select(TemplateVersion.template_id, TemplateVersion.version, TemplateVersion.fingerprint,
                                      TemplateVersion.content, TemplateVersion.retired)):
        report.templates += 1
        key = f"{row.template_id}@{row.version}"
        where = f"Template {key}"
        try:
            canonical = json.dumps(json.loads(row.content), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        except ValueError:
            digest = "unreadable"
        if digest != row.fingerprint:
            problem(Difference(where, "its content does not match its fingerprint: the template was edited in the file",
                               kind="template"))
        elif key in imported and row.fingerprint not in imported[key]:
            problem(Difference(where, "its fingerprint is not the one its import entry recorded", kind="template"))
        elif key not in imported:
            problem(Difference(where, "the history has no entry for its import", kind="template"))
        if row.template_id in retired and bool(row.retired) != retired[row.template_id]:
            problem(Difference(where, "whether it is retired", shown(retired[row.template_id]), shown(bool(row.retired)),
                               kind="template"))


def _audit_ids(session: Session) -> list[str]:
    here: set[str] = set(session.execute(select(Audit.id)).scalars())
    known = {str(a) for a in session.execute(select(HistoryEntry.audit_id).where(
        HistoryEntry.audit_id.is_not(None)).distinct()).scalars()}
    return sorted(here | known)


_ENTRY_COLUMNS = (HistoryEntry.audit_id, HistoryEntry.seq, HistoryEntry.at, HistoryEntry.actor, HistoryEntry.entity,
                  HistoryEntry.entity_id, HistoryEntry.action, HistoryEntry.before, HistoryEntry.after)


def _loads(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def replay(entries: Iterable[Any]) -> tuple[dict[str, Any], dict[int, tuple[Any, str]], list[tuple[int, str]]]:
    """Replay one audit's entries (seq order) from its newest baseline: (state, seq → (at, actor), problems)."""
    rows = list(entries)
    start = 0
    for i, e in enumerate(rows):
        if e.entity == "audit" and e.action == "baseline":
            start = i
    st = blank_state()
    who: dict[int, tuple[Any, str]] = {}
    refused: list[tuple[int, str]] = []
    for e in rows[start:]:
        who[e.seq] = (e.at, e.actor)
        reason = apply_entry(st, e.entity, e.action, e.entity_id, _loads(e.before), _loads(e.after), e.seq, e.at,
                             e.actor)
        if reason:
            refused.append((e.seq, reason))
    return st, who, refused


def _replay_all(session: Session, report: VerifyReport, problem: Callable[[Difference], None],
                progress: Callable[[int, int], None] | None) -> None:
    labels = Labels(session)
    ids = _audit_ids(session)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        tables = table_states(session, chunk)
        grouped: dict[str, list[Any]] = {}
        for e in session.connection().execute(select(*_ENTRY_COLUMNS).where(HistoryEntry.audit_id.in_(chunk))
                                 .order_by(HistoryEntry.audit_id, HistoryEntry.seq)).all():
            grouped.setdefault(e.audit_id, []).append(e)
        for audit_id in chunk:
            table = tables.get(audit_id)
            rows = grouped.get(audit_id, [])
            if table is not None:
                report.audits += 1
                report.answers += len(table["answers"])
                report.actions += len(table["actions"])
                report.moderations += len(table["moderations"])
            st, who, refused = replay(rows)
            ref = table["reference"] if table else (st["reference"] if st["reference"] is not UNKNOWN else None)
            where = f"{ref} ({audit_id[:8]})" if ref else f"The audit {audit_id}"
            for seq, reason in refused:
                at, actor = who[seq]
                problem(Difference(where, f"{_entry_words(seq, at, actor)} is {reason}"))
            if table is None:
                if st["begun"]:
                    first = min(who) if who else 0
                    when, by = who.get(first, (None, ""))
                    problem(Difference(where, "the history records this audit (from "
                                              f"{_entry_words(first, when, by)}) but the store does not hold it: "
                                              "the audit was deleted"))
                continue
            if not st["begun"]:
                problem(Difference(where, "the store holds this audit but the history has no record of how it began "
                                          "(no start, import or baseline entry): it was put into the file without qadesk"))
                continue
            report.replayed_audits += 1
            for what, h, s, src in compare(st, table, labels):
                seq = st["src"].get(src)
                if seq is None and "." in src:
                    seq = st["src"].get(src.split(".")[0])
                entry = _entry_words(seq, *who[seq]) if seq in who else None
                problem(Difference(where, what, shown(h), shown(s), entry))
        session.expunge_all()
        if progress is not None:
            progress(min(start + BATCH, len(ids)), len(ids))


def head_for_pack(session: Session) -> dict[str, Any]:
    """The chain's head for a pack's manifest (``history_head``): entries, the last seq and hash.

    The count comes from the checkpoint when it names this very head (no count of a long history)."""
    row = session.execute(select(HistoryEntry.seq, HistoryEntry.hash).order_by(HistoryEntry.seq.desc()).limit(1)).first()
    if row is None:
        return {"entries": 0, "seq": 0, "hash": chain.GENESIS}
    database = anchor.database_of(session.get_bind())
    if database is not None:
        held = anchor.read(anchor.head_path(database)).matching(row.hash)
        if held is not None and held.seq == row.seq:
            return {"entries": held.entries, "seq": row.seq, "hash": row.hash}
    count, seq, digest = chain.head(session)
    return {"entries": count, "seq": seq, "hash": digest}


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
