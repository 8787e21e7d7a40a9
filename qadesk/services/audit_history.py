"""One audit's history for people: who changed what and when, in plain words, and its earlier versions.

:func:`audit_changes` turns the audit's history entries into :class:`Change` rows (the field in the
form's words, the old and the new value as the form shows them).  :func:`audit_versions` replays the
entries (:mod:`qadesk.services.history`) and keeps the audit as it stood at each milestone — each
time it was submitted, reopened, moderated, closed or imported — and as it is now, each as a list of
(field, value) rows, so two versions can be set side by side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.audit import SUMMARY_KEYS, SUMMARY_LABELS
from qadesk.core.dates import as_utc
from qadesk.core.template import Template
from qadesk.services.audit_access import get_audit, template_for
from qadesk.services.history import UNKNOWN, apply_entry, blank_state, table_states
from qadesk.store.models import HistoryEntry

STATUS_WORDS = {"draft": "Draft", "completed": "Completed", "moderated": "Moderated", "closed": "Closed"}


@dataclass(frozen=True)
class Change:
    """One change to the audit, as a person reads it."""

    seq: int
    at: datetime
    actor: str
    what: str  # the field or the event: "Was the child seen alone?", "Submitted", "Action “Ring the school”"
    before: str  # the old value in words ("" when there was none)
    after: str  # the new value in words
    kind: str  # answer, judgement, grade, summary, subject, action, moderation, status, import, baseline


@dataclass(frozen=True)
class Version:
    """The audit as it stood at one moment: rows of (key, field, value in words)."""

    label: str  # "Submitted 3 Dec 2026 14:02 by Pat Lead", "Now"
    at: datetime | None
    actor: str | None
    rows: tuple[tuple[str, str, str], ...]


class _Words:
    """Values as the form shows them: choice labels, dates as 25 Nov 2026, lists joined."""

    def __init__(self, t: Template | None) -> None:
        self.t = t

    def question(self, qid: str) -> str:
        if self.t is not None and self.t.has_question(qid):
            return self.t.question(qid).label
        return qid

    def section(self, sid: str) -> str:
        if self.t is not None:
            for s in self.t.sections:
                if s.id == sid:
                    return f"Judgement: {s.title}"
        return f"Judgement: {sid}"

    def grade(self, value: Any, section: str | None = None) -> str:
        if value is None:
            return ""
        if self.t is not None:
            choices = self.t.overall_choices()
            if section is not None:
                for s in self.t.sections:
                    if s.id == section and s.grade_list:
                        choices = self.t.lists[s.grade_list]
            for c in choices:
                if c.value == value:
                    return c.label
        return str(value)

    def answer(self, qid: str, value: Any) -> str:
        if value is None:
            return ""
        q = self.t.question(qid) if self.t is not None and self.t.has_question(qid) else None
        if q is not None and q.choices:
            labels = {c.value: c.label for c in q.choices}
            if isinstance(value, list):
                return ", ".join(labels.get(v, str(v)) for v in value)
            return labels.get(value, str(value))
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, bool):
            return "Yes" if value else "No"
        if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
            try:
                return _day(datetime.fromisoformat(value))
            except ValueError:
                return value
        return str(value)


def _day(d: datetime) -> str:
    return f"{d.day} {d.strftime('%b %Y')}"


def when_words(at: datetime | None) -> str:
    a = as_utc(at)
    return f"{a.day} {a.strftime('%b %Y %H:%M')}" if a is not None else ""


def _load(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _entries(session: Session, audit_id: str) -> list[Any]:
    return list(session.execute(
        select(HistoryEntry.seq, HistoryEntry.at, HistoryEntry.actor, HistoryEntry.entity, HistoryEntry.entity_id,
               HistoryEntry.action, HistoryEntry.before, HistoryEntry.after)
        .where(HistoryEntry.audit_id == audit_id).order_by(HistoryEntry.seq)))


def _action_words(a: dict[str, Any] | None) -> str:
    if not a:
        return ""
    bits = [a.get("text") or ""]
    if a.get("owner"):
        bits.append(f"owner {a['owner']}")
    if a.get("due"):
        try:
            bits.append(f"due {_day(datetime.fromisoformat(str(a['due'])))}")
        except ValueError:
            bits.append(f"due {a['due']}")
    bits.append(str(a.get("status") or ""))
    if a.get("urgent"):
        bits.append("urgent")
    if a.get("closing_note"):
        bits.append(f"note: {a['closing_note']}")
    return "; ".join(b for b in bits if b)


def _moderation_words(m: dict[str, Any], words: _Words) -> str:
    who = (m.get("moderator") or {}).get("name") or "?"
    verdict = "agreed" if m.get("agreed") else f"moderated grade {words.grade(m.get('grade'))}"
    out = f"{who} ({m.get('kind') or 'internal'}): {verdict}"
    if m.get("rationale"):
        out += f" — {m['rationale']}"
    return out


def describe(e: Any, words: _Words) -> Change:
    """One entry in plain words."""
    before, after = _load(e.before), _load(e.after)
    at, actor = as_utc(e.at) or e.at, e.actor
    entity, action = e.entity, e.action

    def change(what: str, b: str, a: str, kind: str) -> Change:
        return Change(e.seq, at, actor, what, b, a, kind)

    if entity == "answer":
        qid = str(e.entity_id)
        b = before or {}
        a = after or {}
        old = words.answer(qid, b.get("value"))
        new = words.answer(qid, a.get("value")) if action == "answer" else ""
        if action == "answer" and (b.get("evidence") or None) != (a.get("evidence") or None):
            old = "; ".join(x for x in (old, f"evidence: {b['evidence']}" if b.get("evidence") else "") if x)
            new = "; ".join(x for x in (new, f"evidence: {a['evidence']}" if a.get("evidence") else "") if x)
        what = words.question(qid)
        if action == "clear_irrelevant":
            what += " (cleared at submit: no longer applies)"
        elif a.get("from"):
            what += " (filled from the subject)"
        return change(what, old, new, "answer")
    if entity == "section_judgement":
        sid = str(e.entity_id)
        what = words.section(sid) + (" (cleared at submit: no longer applies)" if action == "clear_irrelevant" else "")
        return change(what, words.grade(before, sid), words.grade(after, sid) if action == "judge" else "", "judgement")
    if entity == "overall":
        b, a = before or {}, after or {}
        if b.get("grade") != a.get("grade"):
            return change("Overall grade", words.grade(b.get("grade")), words.grade(a.get("grade")), "grade")
        return change("Rationale for the overall grade", b.get("rationale") or "", a.get("rationale") or "", "grade")
    if entity == "summary":
        return change(SUMMARY_LABELS.get(str(e.entity_id), str(e.entity_id)), before or "", after or "", "summary")
    if entity == "action":
        text = (after or before or {}).get("text") or ""
        verb = {"add": "added", "update": "changed", "remove": "removed"}.get(action, action)
        return change(f"Action “{text}” {verb}", _action_words(before), _action_words(after), "action")
    if entity == "moderation":
        a = after or {}
        how = "taken in from a moderation return" if action == "import" else "recorded"
        return change(f"Moderation {how}", STATUS_WORDS.get(str((before or {}).get("status")), ""),
                      _moderation_words(a, words), "moderation")
    if entity == "audit":
        if action == "start":
            a = after or {}
            subject = a.get("subject") or {}
            bits = [f"{a.get('template')} version {a.get('version')}"] + [
                f"{k.replace('_', ' ')} {v}" for k, v in subject.items() if v]
            return change("Started the audit", "", "; ".join(bits), "status")
        if action == "subject":
            a = {k: v for k, v in (after or {}).items() if k != "from"}
            b = before or {}
            key = next(iter(a), "")
            return change(f"Subject: {key.replace('_', ' ')}", str(b.get(key) or ""), str(a.get(key) or ""), "subject")
        if action == "submit":
            return change("Submitted", "Draft", "Completed", "status")
        if action == "reopen":
            return change("Reopened", STATUS_WORDS.get(str((before or {}).get("status")), "Completed"),
                          f"Draft — reason: {(after or {}).get('reason') or ''}", "status")
        if action == "close":
            return change("Closed", STATUS_WORDS.get(str((before or {}).get("status")), ""), "Closed", "status")
        if action == "import":
            a = after or {}
            source = f" from {a['from']}" if a.get("from") else ""
            doc = a.get("document") or {}
            return change(f"Imported from a pack{source}", "" if before is None else "the copy here",
                          STATUS_WORDS.get(str(doc.get("status")), str(doc.get("status") or "")), "import")
        if action == "sync":
            a = after or {}
            fields = ", ".join(a.get("fields") or []) or "no field"
            return change(f"Synced with {a.get('server') or 'the team server'}", "the copy before",
                          f"merged: {fields}", "sync")
        if action == "resolve":
            a = after or {}
            return change(f"Conflict resolved ({a.get('resolution') or ''}): {a.get('field') or ''}",
                          shown_json(a.get("before")), shown_json(a.get("value")), "resolve")
        if action == "baseline":
            return change("Recorded as it stood when qadesk was upgraded", "", "every field, as then", "baseline")
    return change(f"{entity} {action}", "", "", entity)


def shown_json(value: Any) -> str:
    """A value from a conflict entry in words ("" when there was none)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def audit_changes(session: Session, audit_id: str, *, newest_first: bool = False) -> list[Change]:
    """Every change to the audit in plain words, oldest first (or newest first)."""
    audit = get_audit(session, audit_id)
    words = _Words(template_for(audit))
    out = [describe(e, words) for e in _entries(session, audit.id)]
    return out[::-1] if newest_first else out


def _rows(st: dict[str, Any], words: _Words) -> tuple[tuple[str, str, str], ...]:
    """A replayed or table state as (key, field, value) rows in form order."""
    rows: list[tuple[str, str, str]] = []

    def add(key: str, label: str, value: Any) -> None:
        if value is UNKNOWN:
            value = "(not recorded)"
        rows.append((key, label, "" if value is None else str(value)))

    add("status", "Status", STATUS_WORDS.get(st["status"], st["status"]))
    for k, v in st["subject"].items():
        add(f"subject.{k}", k.replace("_", " ").capitalize(), v)
    add("auditor", "Auditor", st["auditor"]["name"])
    done = st["completed_at"]
    add("completed_at", "Completed", when_words(datetime.fromisoformat(done)) if isinstance(done, str) else done)
    positions = {q.id: i for i, q in enumerate(words.t.questions())} if words.t is not None else {}
    for qid in sorted(st["answers"], key=lambda q: positions.get(q, 10**6)):
        a = st["answers"][qid]
        add(f"answers.{qid}", words.question(qid), words.answer(qid, a["value"]))
        if a.get("evidence"):
            add(f"evidence.{qid}", f"Evidence: {words.question(qid)}", a["evidence"])
    for sid, grade in sorted(st["sections"].items()):
        add(f"sections.{sid}", words.section(sid), words.grade(grade, sid))
    add("overall.grade", "Overall grade", words.grade(st["overall"]["grade"])
        if st["overall"]["grade"] is not UNKNOWN else UNKNOWN)
    add("overall.rationale", "Rationale", st["overall"]["rationale"])
    for k in SUMMARY_KEYS:
        add(f"summary.{k}", SUMMARY_LABELS[k], st["summary"][k])
    for aid, a in st["actions"].items():
        add(f"actions.{aid}", f"Action: {a.get('text')}", _action_words(a))
    for mid, m in st["moderations"].items():
        add(f"moderations.{mid}", "Moderation", _moderation_words(
            {"moderator": {"name": m["moderator"]}, "agreed": m["agreed"], "grade": m["grade"], "kind": m["kind"],
             "rationale": m["rationale"]}, words))
    return tuple(rows)


MILESTONES = {("audit", "submit"): "Submitted", ("audit", "reopen"): "Reopened", ("audit", "close"): "Closed",
              ("audit", "import"): "Imported", ("moderation", "moderate"): "Moderated",
              ("moderation", "import"): "Moderation taken in", ("audit", "baseline"): "As recorded at the upgrade",
              ("audit", "sync"): "Synced", ("audit", "resolve"): "Conflict resolved"}


def audit_versions(session: Session, audit_id: str) -> list[Version]:
    """The audit at each milestone (oldest first), then as it is now.

    A reopen's version is the completed audit just before it was reopened (what the reopen set aside)."""
    audit = get_audit(session, audit_id)
    words = _Words(template_for(audit))
    st = blank_state()
    out: list[Version] = []
    submits = 0
    for e in _entries(session, audit.id):
        key = (e.entity, e.action)
        submits += key == ("audit", "submit")
        if key == ("audit", "reopen") and st["begun"]:
            out.append(Version(f"As completed, before it was reopened on {when_words(e.at)} by {e.actor}",
                               as_utc(e.at), e.actor, _rows(st, words)))
        apply_entry(st, e.entity, e.action, e.entity_id, _load(e.before), _load(e.after), e.seq, e.at, e.actor)
        if key in MILESTONES and key != ("audit", "reopen"):
            label = MILESTONES[key]
            if key == ("audit", "submit"):
                label = "As first submitted" if submits == 1 else "Submitted again"
            out.append(Version(f"{label} {when_words(e.at)} by {e.actor}", as_utc(e.at), e.actor, _rows(st, words)))
    now = table_states(session, [audit.id]).get(audit.id)
    if now is not None:
        out.append(Version("Now", None, None, _rows(now, words)))
    return out
