"""Three-way merge of two copies of an audit, field by field, against the copy they both started from.

A laptop and the team server (or this store and a pack) each hold an audit document
(:func:`qadesk.services.audit_document.audit_document`).  The *base* is the document both sides
last agreed on (the last sync).  Each document is flattened into *fields* — one per answer's value,
one per answer's evidence, one per section grade, the overall grade and rationale, each summary box,
each subject field, the status, each field of each action, each moderation and each note of its
dialogue — and for each field:

- the same on both sides: kept;
- changed on one side only: that side's value is taken;
- changed on both sides to different values: a :class:`FieldConflict`, which a person resolves
  (mine, theirs, or for text both); until then the merged document keeps *theirs* (the other
  side's) value, so nothing of either is overwritten.

With no base (two copies that never synced, e.g. the same audit on two laptops moved onto a server),
a field only one side has is taken from it and a field both have with different values is a conflict.

Nothing here touches the store; :mod:`qadesk.services.sync` and :mod:`qadesk.services.conflicts` do.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from qadesk.core.audit import SUMMARY_KEYS

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING", "__bool__": lambda self: False})()

# Parts of a document that are not anybody's work to merge: derived (final grade, suggested grade),
# a count and a time of the last save (revision, updated_at), or the programme's business (assignment).
_NOT_MERGED = ("revision", "updated_at", "final_grade", "assignment")
# Whole-value fields at the top of the document (taken from either side as one value).
_TOP = ("reference", "status", "started_at", "completed_at", "programme", "origin", "template", "auditor")
_ACTION_KEYS = ("text", "owner", "due", "status", "urgent", "told_whom", "told_at")


@dataclass(frozen=True)
class FieldConflict:
    """One field changed on both sides to different values (MISSING: the side has none / removed it)."""

    path: str
    base: Any
    mine: Any
    theirs: Any

    @property
    def is_text(self) -> bool:
        """Free text on both sides (evidence, rationale, a summary box, an action's text): "both" is offered."""
        return isinstance(self.mine, str) and isinstance(self.theirs, str) and is_text_path(self.path)


@dataclass
class MergeResult:
    """The merged document (theirs on each conflicting field) and the conflicts left for a person."""

    document: dict[str, Any]
    conflicts: list[FieldConflict]
    mine_changed: bool  # the merged document differs from theirs (something of mine goes to them)
    theirs_changed: bool  # the merged document differs from mine (something of theirs comes to me)


def is_text_path(path: str) -> bool:
    """Whether a field is free text a person typed (so keeping both is a choice)."""
    head, _, rest = path.partition(".")
    if head == "answers":
        return rest.endswith(".evidence")
    if head == "overall":
        return rest == "rationale"
    if head == "summary":
        return True
    if head == "actions":
        return rest.endswith((".text", ".told_whom"))
    return False


def flatten(doc: dict[str, Any] | None) -> dict[str, Any]:
    """The document as {field path: value}; a field that is empty is left out (so absent = empty)."""
    out: dict[str, Any] = {}
    if not doc:
        return out

    def put(path: str, value: Any) -> None:
        if value is not None and value != "" and value != {} and value != []:
            out[path] = value

    for key in _TOP:
        if key in doc:
            put(key, doc[key])
    for k, v in (doc.get("subject") or {}).items():
        put(f"subject.{k}", v)
    for qid, entry in (doc.get("answers") or {}).items():
        entry = entry or {}
        put(f"answers.{qid}.value", entry.get("value"))
        put(f"answers.{qid}.evidence", entry.get("evidence"))
    for sid, j in (doc.get("sections") or {}).items():
        put(f"sections.{sid}", (j or {}).get("grade"))
    overall = doc.get("overall") or {}
    put("overall.grade", overall.get("grade"))
    put("overall.rationale", overall.get("rationale"))
    for k, v in (doc.get("summary") or {}).items():
        put(f"summary.{k}", v)
    for a in doc.get("actions") or []:
        out[f"actions.{a['id']}"] = True  # the action exists (removing it on one side is a change to this)
        for k in _ACTION_KEYS:
            put(f"actions.{a['id']}.{k}", a.get(k))
    for m in doc.get("moderations") or []:
        body = {k: v for k, v in m.items() if k != "notes"}
        out[f"moderations.{m['id']}"] = body
        for n in m.get("notes") or []:
            out[f"moderations.{m['id']}.notes.{n['id']}"] = n
    return out


def unflatten(flat: dict[str, Any], like: dict[str, Any]) -> dict[str, Any]:
    """A document from fields; ``like`` (one side's document) gives what is not merged (id, revision...)
    and the order of actions and moderations."""
    doc = {k: copy.deepcopy(v) for k, v in like.items() if k in ("id", *_NOT_MERGED)}
    for key in _TOP:
        doc[key] = copy.deepcopy(flat.get(key)) if key in flat else (None if key in like else MISSING)
        if doc[key] is MISSING:
            del doc[key]
    subject: dict[str, Any] = {k: None for k in (like.get("subject") or {})}
    answers: dict[str, dict[str, Any]] = {}
    sections: dict[str, Any] = {}
    overall: dict[str, Any] = {"grade": None, "suggested": (like.get("overall") or {}).get("suggested"),
                               "rationale": None}
    summary: dict[str, Any] = {k: None for k in SUMMARY_KEYS}
    actions: dict[str, dict[str, Any]] = {}
    mods: dict[str, dict[str, Any]] = {}
    notes: dict[str, list[dict[str, Any]]] = {}
    for path, value in flat.items():
        head, _, rest = path.partition(".")
        value = copy.deepcopy(value)
        if head == "subject":
            subject[rest] = value
        elif head == "answers":
            qid, _, part = rest.rpartition(".")
            answers.setdefault(qid, {"value": None})[part] = value
        elif head == "sections":
            sections[rest] = {"grade": value}
        elif head == "overall":
            overall[rest] = value
        elif head == "summary":
            summary[rest] = value
        elif head == "actions":
            aid, _, part = rest.partition(".")
            a = actions.setdefault(aid, {"id": aid, "text": "", "owner": None, "due": None, "status": "open",
                                         "urgent": False})
            if part:
                a[part] = value
        elif head == "moderations":
            mid, _, part = rest.partition(".")
            if part.startswith("notes."):
                notes.setdefault(mid, []).append(value)
            else:
                mods[mid] = value
    order = {a["id"]: i for i, a in enumerate(like.get("actions") or [])}
    doc["subject"] = subject
    doc["answers"] = answers
    doc["sections"] = sections
    doc["overall"] = overall
    doc["summary"] = summary
    doc["actions"] = sorted(actions.values(), key=lambda a: (order.get(a["id"], len(order)), a["id"]))
    morder = {m["id"]: i for i, m in enumerate(like.get("moderations") or [])}
    out_mods = []
    for mid, m in sorted(mods.items(), key=lambda kv: (morder.get(kv[0], len(morder)), str(kv[1].get("at")), kv[0])):
        m = dict(m)
        m["notes"] = sorted(notes.get(mid, []), key=lambda n: (str(n.get("at")), n.get("id")))
        out_mods.append(m)
    doc["moderations"] = out_mods
    return doc


def merge(base: dict[str, Any] | None, mine: dict[str, Any], theirs: dict[str, Any]) -> MergeResult:
    """Merge ``mine`` and ``theirs`` against ``base`` (None: they share no base); see the module's docstring."""
    b, m, t = flatten(base), flatten(mine), flatten(theirs)
    merged: dict[str, Any] = {}
    conflicts: list[FieldConflict] = []
    no_base = base is None
    for path in sorted(set(b) | set(m) | set(t), key=_path_order):
        bv, mv, tv = b.get(path, MISSING), m.get(path, MISSING), t.get(path, MISSING)
        if path == "reference":  # the server's (or the receiving store's) numbering names the audit
            value = tv if tv is not MISSING else mv
        elif mv == tv:
            value = mv
        elif no_base and (mv is MISSING or tv is MISSING):
            value = tv if mv is MISSING else mv
        elif not no_base and mv == bv:
            value = tv
        elif not no_base and tv == bv:
            value = mv
        else:
            conflicts.append(FieldConflict(path, bv, mv, tv))
            value = tv
        if value is not MISSING:
            merged[path] = value
    # A field of an action that one side removed and the other kept is not an action without its text.
    for path in [p for p in merged if p.startswith("actions.") and p.count(".") == 2]:
        aid = path.split(".")[1]
        if f"actions.{aid}" not in merged:
            del merged[path]
    doc = unflatten(merged, theirs)
    return MergeResult(doc, conflicts, mine_changed=merged != t, theirs_changed=merged != m)


def _path_order(path: str) -> tuple[int, str]:
    order = ("status", "subject", "answers", "sections", "overall", "summary", "actions", "moderations")
    head = path.partition(".")[0]
    return (order.index(head) if head in order else -1, path)


def get_field(doc: dict[str, Any], path: str) -> Any:
    """One field of a document (MISSING when it has none)."""
    return flatten(doc).get(path, MISSING)


def set_field(doc: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of the document with one field set (MISSING or None: cleared / removed)."""
    flat = flatten(doc)
    if value is MISSING or value is None:
        flat.pop(path, None)
        if path.startswith("actions.") and path.count(".") == 1:
            for p in [p for p in flat if p.startswith(path + ".")]:
                del flat[p]
    else:
        flat[path] = value
    return unflatten(flat, doc)


def both_texts(mine: str, theirs: str) -> str:
    """Keeping both texts of a conflicting field: mine, then theirs, each whole."""
    if mine.strip() == theirs.strip():
        return mine
    return f"{mine.rstrip()}\n\n{theirs.lstrip()}"
