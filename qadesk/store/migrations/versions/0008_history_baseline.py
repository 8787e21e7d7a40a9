"""the history's baseline: every audit's state as it stands, so that ``history verify`` can replay from it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 10:00:00

From this version on every history entry records enough to replay the audit
it changed, and ``history verify`` compares the replayed state with the
tables.  Entries written by earlier versions do not all carry that (a draft
made by the demo data had no answer entries; a closing note or the auditor's
role was never recorded), so this migration appends, for every audit, one
``audit``/``baseline`` entry holding the audit's whole state as it stands now
(the audit document's fields, the actions' closing notes and the audit's
origin included), then one ``store``/``baseline`` entry saying how many.
Replay starts from an audit's newest baseline entry; entries before it still
prove the chain, not the state.  A new store gets only the ``store`` entry.

Self-contained: the state is read with plain SQL and the entries hashed with a
copy of ``qadesk.store.history``'s entry hash (which must never change, or
every existing chain would break).
"""

import hashlib
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
SUMMARY_KEYS = ("strengths", "development", "impact_on_child", "practitioner_reflection", "family_feedback")
BATCH = 500

HISTORY = sa.table(
    "history", sa.column("seq", sa.Integer), sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String), sa.column("audit_id", sa.String), sa.column("entity", sa.String),
    sa.column("entity_id", sa.String), sa.column("action", sa.String), sa.column("before", sa.Text),
    sa.column("after", sa.Text), sa.column("prev_hash", sa.String), sa.column("hash", sa.String))


def _utc(value):
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _iso(value):
    v = _utc(value)
    return v.isoformat(timespec="seconds") if v is not None else None


def _iso_us(at):
    return _utc(at).isoformat(timespec="microseconds")


def _dump(value):
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def _hash(prev, at, actor, audit_id, entity, entity_id, action, before, after):
    body = json.dumps([prev, _iso_us(at), actor, audit_id, entity, entity_id, action, before, after],
                      ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _typed(sql, **types):
    return sa.text(sql).columns(**types)


def _states(conn, ids):
    """The state of each audit in ``ids``, in the form ``qadesk.services.history`` replays and compares."""
    params = {f"i{n}": i for n, i in enumerate(ids)}
    inside = ", ".join(f":i{n}" for n in range(len(ids)))
    dt = sa.DateTime(timezone=True)
    states = {}
    audits = conn.execute(_typed(
        "SELECT a.id, a.reference, t.template_id, t.version, a.status, a.case_ref, a.case_type, a.team, "
        "a.practitioner, a.subject_extra, a.auditor_name, a.auditor_role, p.name AS programme, a.origin, "
        "a.started_at, a.completed_at, a.overall_grade, a.overall_rationale, a.final_grade, "
        + ", ".join(f"a.{k}" for k in SUMMARY_KEYS) +
        f" FROM audits a JOIN template_versions t ON t.pk = a.template_pk "
        f"LEFT JOIN programmes p ON p.pk = a.programme_pk WHERE a.id IN ({inside})",
        started_at=dt, completed_at=dt), params).mappings()
    for a in audits:
        subject = {"case_ref": a["case_ref"], "case_type": a["case_type"], "team": a["team"],
                   "practitioner": a["practitioner"]}
        if a["subject_extra"]:
            try:
                for k, v in json.loads(a["subject_extra"]).items():
                    subject.setdefault(k, v)
            except (ValueError, AttributeError):
                subject["_extra"] = a["subject_extra"]
        states[a["id"]] = {
            "reference": a["reference"], "template": {"id": a["template_id"], "version": a["version"]},
            "status": a["status"], "subject": subject,
            "auditor": {"name": a["auditor_name"], "role": a["auditor_role"]},
            "programme": a["programme"], "origin": a["origin"],
            "started_at": _iso(a["started_at"]), "completed_at": _iso(a["completed_at"]),
            "answers": {}, "sections": {},
            "overall": {"grade": a["overall_grade"], "rationale": a["overall_rationale"]},
            "final_grade": a["final_grade"], "summary": {k: a[k] for k in SUMMARY_KEYS},
            "actions": [], "moderations": []}
    for r in conn.execute(sa.text(f"SELECT audit_id, question_id, value, evidence FROM answers "
                                  f"WHERE audit_id IN ({inside}) ORDER BY audit_id, position, question_id"), params):
        try:
            value = json.loads(r.value) if r.value is not None else None
        except ValueError:
            value = r.value
        states[r.audit_id]["answers"][r.question_id] = {"value": value, "evidence": r.evidence or None}
    for r in conn.execute(sa.text(f"SELECT audit_id, section_id, grade FROM section_judgements "
                                  f"WHERE audit_id IN ({inside}) ORDER BY audit_id, section_id"), params):
        states[r.audit_id]["sections"][r.section_id] = {"grade": r.grade}
    for r in conn.execute(_typed(
            f"SELECT audit_id, id, text, owner, due, status, urgent, told_whom, told_at, closing_note FROM actions "
            f"WHERE audit_id IN ({inside}) ORDER BY audit_id, created_at, id", told_at=dt, due=sa.Date()), params):
        states[r.audit_id]["actions"].append({
            "id": r.id, "text": r.text, "owner": r.owner, "due": r.due.isoformat() if r.due else None,
            "status": r.status, "urgent": bool(r.urgent), "told_whom": r.told_whom or None,
            "told_at": _iso(r.told_at), "closing_note": r.closing_note})
    for r in conn.execute(_typed(
            f"SELECT audit_id, id, moderator_name, moderator_organisation, kind, grade, agreed, rationale, at "
            f"FROM moderations WHERE audit_id IN ({inside}) ORDER BY audit_id, at, id", at=dt), params):
        states[r.audit_id]["moderations"].append({
            "id": r.id, "moderator": {"name": r.moderator_name, "organisation": r.moderator_organisation},
            "kind": r.kind, "grade": r.grade, "agreed": bool(r.agreed), "rationale": r.rationale, "at": _iso(r.at)})
    return states


def upgrade() -> None:
    conn = op.get_bind()
    last = conn.execute(sa.text("SELECT hash FROM history ORDER BY seq DESC LIMIT 1")).scalar()
    prev = last or GENESIS
    at = datetime.now(timezone.utc)
    ids = conn.execute(sa.text("SELECT id FROM audits ORDER BY id")).scalars().all()
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        states = _states(conn, chunk)
        rows = []
        for audit_id in chunk:
            after = _dump({"state": states[audit_id], "reason": "upgrade"})
            digest = _hash(prev, at, "qadesk", audit_id, "audit", audit_id, "baseline", None, after)
            rows.append({"at": at, "actor": "qadesk", "audit_id": audit_id, "entity": "audit", "entity_id": audit_id,
                         "action": "baseline", "before": None, "after": after, "prev_hash": prev, "hash": digest})
            prev = digest
        conn.execute(sa.insert(HISTORY), rows)
    after = _dump({"format": 2, "audits": len(ids), "reason": "upgrade" if last or ids else "new store"})
    digest = _hash(prev, at, "qadesk", None, "store", None, "baseline", None, after)
    conn.execute(sa.insert(HISTORY), [{"at": at, "actor": "qadesk", "audit_id": None, "entity": "store",
                                       "entity_id": None, "action": "baseline", "before": None, "after": after,
                                       "prev_hash": prev, "hash": digest}])


def downgrade() -> None:
    # The baseline entries stay: removing them would break the chain they are part of.
    pass
