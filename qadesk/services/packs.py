"""Packs: the audits that travel between laptops and councils, out of the store and back in.

Export chooses the audits, reads them as documents a batch at a time, pseudonymises them when the
pack leaves the organisation, and hands them to :func:`qadesk.exchange.packs.write_pack`; the
sender keeps the sync points and the pseudonyms only if the file is written whole.  Import has
:func:`qadesk.exchange.pack_check.read_pack` verify and validate the whole pack first, then writes it
in one transaction: new audits are created, moderation returns re-link to the audits they came
from, a record edited on both sides is reported as a conflict and left alone, and the same pack
imported twice changes nothing.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.allocation import same_person
from qadesk.core.errors import Problem, ValidationError
from qadesk.core.figures import Stats
from qadesk.core.permissions import Do
from qadesk.core.selection import Selection
from qadesk.core.template import Template
from qadesk.exchange.output import Cancel, Progress, check_cancel, report_progress
from qadesk.exchange.pack_check import KINDS, check_against_template, read_pack
from qadesk.exchange.packs import KIND_LABELS, PackHeader, write_pack
from qadesk.services import permissions, transfer
from qadesk.services.audit_access import now_utc, template_for
from qadesk.services.audit_document import audit_document
from qadesk.services.blind_moderation import blind_by_default
from qadesk.services.history import head_for_pack
from qadesk.services.profile import current_actor_name, get_profile
from qadesk.services.pseudonymise import Pseudonymiser, Resolution, SuspectFound, UnresolvedSuspects
from qadesk.services.queries import audit_batches, audit_ids
from qadesk.services.stats import compute
from qadesk.services.templates import get_row, get_template, store_template, template_of
from qadesk.store import history
from qadesk.store.models import Audit, ImportedPack, PackMapping, TemplateVersion

__all__ = ["KIND_LABELS", "MODERATION_STATUSES", "ExportResult", "ImportResult", "PackConflict", "Preview", "Resolution",
           "SuspectFound", "UnresolvedSuspects", "export_pack", "import_pack", "preview_pseudonymisation",
           "selection_for"]

MODERATION_STATUSES = ("completed", "moderated")  # what a moderator can judge: never a draft


def selection_for(kind: str, selection: Selection | None) -> Selection:
    """The audits a pack of ``kind`` takes from ``selection``.

    A moderation pack offers completed (and already moderated) audits only, so a filter that also
    matches drafts leaves them out rather than having the export refused on the first draft; a
    status filter that names no such status is refused with the reason. Audits named one by one
    (``--audit``) are taken as named, and a named draft is refused by :func:`export_pack`.
    """
    sel = selection or Selection()
    if kind != "moderation_request" or sel.audit_ids:
        return sel
    statuses = [st for st in (sel.statuses or MODERATION_STATUSES) if st in MODERATION_STATUSES]
    if not statuses:
        raise ValidationError(f"a moderation pack takes completed or moderated audits, not "
                              f"{' or '.join(sel.statuses)} ones")
    return replace(sel, statuses=statuses)


@dataclass
class ExportResult:
    path: Path
    pack_id: str
    kind: str
    audits: int
    pseudonymised: bool
    size: int
    blind: bool = False

    def __str__(self) -> str:
        how = ("pseudonymised" if self.pseudonymised else "identifiable") + (
            ", blind: the auditor's judgements left out of the report and the workbook" if self.blind else "")
        article = "an" if KIND_LABELS[self.kind][0] in "aeiou" else "a"
        return (f"Written {self.path}: {article} {KIND_LABELS[self.kind]} of {self.audits:,} audit"
                f"{'s' if self.audits != 1 else ''} ({how}, {self.size / 1024:,.0f} KB, pack {self.pack_id}).")


@dataclass
class PackConflict:
    audit_id: str
    reference: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reference}: {self.reason}"


@dataclass
class ImportResult:
    path: Path
    pack_id: str
    kind: str
    sender: str = ""
    already_imported: bool = False
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)
    moderations_added: int = 0
    blind: bool = False  # a blind moderation request: its audits are moderated blind here
    templates_added: list[str] = field(default_factory=list)
    conflicts: list[PackConflict] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)  # edited on both sides, in different fields: merged
    # (programme, auditor) -> audits that arrived assigned: filed under the programme, waiting for the auditor
    assigned: dict[tuple[str, str], int] = field(default_factory=dict)
    me: str = ""  # who imported it (the profile's name): Home's "Assigned to you" shows that name's audits

    def not_mine(self) -> list[str]:
        """The auditors of the audits that arrived assigned who are not the person importing them."""
        return sorted({who for _, who in self.assigned if not same_person(who, self.me)}, key=str.casefold)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.merged or self.moderations_added or self.templates_added)

    def __str__(self) -> str:
        head = f"{self.path.name}: {KIND_LABELS.get(self.kind, self.kind)} from {self.sender or 'an unknown sender'}"
        if self.already_imported:
            return f"{head} was imported before; nothing changed."
        lines = [head]
        for label, items in (("new audits", self.created), ("audits updated", self.updated),
                             ("unchanged", self.unchanged), ("kept (this copy is newer)", self.kept_local),
                             ("templates added", self.templates_added)):
            if items:
                lines.append(f"  {label}: {len(items):,} ({', '.join(items[:8])}{' …' if len(items) > 8 else ''})")
        for (programme, auditor), n in sorted(self.assigned.items()):
            lines.append(f"  assigned to {auditor} in {programme}: {n:,}")
        if self.assigned and self.not_mine():
            lines.append(f"  note: these are assigned to {', '.join(self.not_mine())}, and your profile's name is "
                         f"{self.me}; Home shows under \"Assigned to you\" only the audits assigned to your name")
        if self.blind and not self.already_imported:
            lines.append("  a blind moderation request: record your own judgements of each audit before qadesk "
                         "shows the auditor's")
        if self.moderations_added:
            lines.append(f"  moderations linked to their audits: {self.moderations_added:,}")
        if self.merged:
            lines.append(f"  edited here and in the pack, in different fields, merged: {len(self.merged):,} "
                         f"({', '.join(self.merged[:8])}{' …' if len(self.merged) > 8 else ''})")
        if self.conflicts:
            lines.append(f"  audits with fields changed differently on both sides, kept as here for you to "
                         f"resolve (Conflicts to resolve…, or qadesk conflicts list): {len(self.conflicts):,}")
            lines += [f"    {c}" for c in self.conflicts]
        if len(lines) == 1:
            lines.append("  nothing to change")
        return "\n".join(lines)


def _sender(session: Session, pseudonymised: bool = False) -> dict[str, Any]:
    """Who sends the pack, for its manifest.  A pseudonymised pack names no one: the sender's role and
    organisation only (their name would undo "Auditor A")."""
    p = get_profile(session)
    name = None if pseudonymised else (p.name if p and p.is_set else current_actor_name(session))
    return {"name": name, "role": (p.role or None) if p else None,
            "organisation": (p.organisation or None) if p else None}


@dataclass
class Preview:
    """What an external pack of the chosen audits would hold.

    ``changes``: every field pseudonymisation changes, as (audit reference, field, now, in the pack);
    ``suspects``: every place where something looks identifying that the store does not know (in
    the order met; :class:`~qadesk.services.pseudonymise.SuspectFound`).
    """

    changes: list[tuple[str, str, str, str]]
    suspects: list[SuspectFound]


def preview_pseudonymisation(store: Any, selection: Selection, resolution: Resolution | None = None,
                             cancel: Cancel | None = None) -> Preview:
    """What an external pack of these audits would change, and what looks identifying but is not masked.

    With no ``resolution`` nothing beyond what the store knows is masked, and every suspect is listed.
    """
    with store.session() as s:
        pz = Pseudonymiser(s, resolution or Resolution(rest="keep"))
        ids = audit_ids(s, selection)
        pz.prefetch_people(_case_refs(s, ids))
        for batch in audit_batches(s, ids):
            check_cancel(cancel)
            for audit in batch:
                pz.apply(audit_document(audit), template_for(audit))
        return Preview([(c.audit_ref, c.field, c.original, c.masked) for c in pz.changes], pz.suspects)


def _case_refs(s: Session, ids: list[str]) -> set[str]:
    """The case references of these audits (500 to a query)."""
    out: set[str] = set()
    for start in range(0, len(ids), 500):
        out |= {r for r in s.execute(select(Audit.case_ref).where(Audit.id.in_(ids[start:start + 500]))).scalars() if r}
    return out


def export_pack(store: Any, path: Path, *, kind: str = "audit_transfer", selection: Selection | None = None,
                external: bool = False, identifiable: bool = False, resolution: Resolution | None = None,
                blind: bool | None = None, progress: Progress | None = None,
                cancel: Cancel | None = None) -> ExportResult:
    """Write a pack of the selected audits to ``path``, whole or not at all.

    A pack for another organisation is pseudonymised unless ``identifiable``; ``resolution`` says what
    becomes of the text that looks identifying but that the store does not know (the suspects).  By
    default an export with such text is refused (:class:`UnresolvedSuspects`, listing it) before
    anything is written.

    A moderation request is ``blind`` (by default, as the store's blind moderation setting says): its
    report.pdf and returns.xlsx leave out the auditor's judgements and the earlier moderations, its
    manifest says ``"blind": true``, and the qadesk that imports it has the moderator judge blind.
    """
    if kind not in KINDS:
        raise ValidationError(f"a pack's kind is one of {', '.join(KINDS)}, not '{kind}'")
    with store.session() as s:
        permissions.require(s, Do.EXPORT)
    if blind and kind != "moderation_request":
        raise ValidationError("only a moderation request is blind (the moderator's own judgements come first)")
    selection = selection_for(kind, selection)
    path = Path(path)
    pseudonymise = external and not identifiable
    pack_id = str(uuid.uuid4())
    # Read in a plain session: the store is not locked while the pages and rows are laid out.
    with store.session() as s:
        if blind is None:
            blind = kind == "moderation_request" and blind_by_default(s)
        ids = audit_ids(s, selection)
        if not ids:
            if kind == "moderation_request" and not selection.audit_ids:
                raise ValidationError("no completed or moderated audits match the selection; a moderation pack "
                                      "takes completed audits only (drafts are left out)")
            raise ValidationError("no audits match the selection; the pack would be empty")
        pz = Pseudonymiser(s, resolution)
        items: list[tuple[dict[str, Any], Template]] = []
        revisions: list[tuple[str, int, dict[str, Any] | None]] = []  # with the copy sent: the next merge's base
        total = len(ids) + 3
        n = 0
        if pseudonymise:
            pz.prefetch_people(_case_refs(s, ids))
        for batch in audit_batches(s, ids):
            for audit in batch:
                check_cancel(cancel)
                if kind == "moderation_request" and audit.status == "draft":
                    raise ValidationError(f"{audit.reference} is a draft; only completed audits go for moderation")
                doc, template = audit_document(audit), template_for(audit)
                if external:  # who audits what by when is this organisation's own business
                    doc["assignment"] = None
                items.append((pz.apply(doc, template) if pseudonymise else doc, template))
                revisions.append((audit.id, audit.revision, doc if not pseudonymise else None))
                n += 1
                report_progress(progress, n, total)
        if pseudonymise and pz.unresolved:
            raise UnresolvedSuspects(pz.unresolved)
        sender = _sender(s, pseudonymise)
        stats = compute(s, Selection(audit_ids=ids))
        if pseudonymise:  # the figures come from the store: in a pseudonymised pack none names an auditor or team
            stats.agreement = [r for r in stats.agreement if r.by in ("all", "quarter", "section")]
            stats.drift = []
        if blind:  # grade counts and agreement would give the auditors' grades away (one audit: its grade)
            stats = without_grades(stats)
        head = head_for_pack(s)

    def keep() -> None:
        # The sender keeps the sync points and pseudonyms only if the file is written whole.
        with store.transaction() as s:
            for aid, revision, sent in revisions:
                transfer.remember_revision(s, pack_id, aid, revision, sent)
            if pseudonymise:
                for audit_id, fld, real, pseudonym in pz.mappings:
                    s.add(PackMapping(pack_id=pack_id, audit_id=audit_id, field=fld, real_value=real,
                                      pseudonym=pseudonym))

    header = PackHeader(pack_id, kind, sender, pseudonymise, external, history_head=head, blind=bool(blind))
    size = write_pack(path, header, items, stats=stats, progress=progress, cancel=cancel, keep=keep)
    return ExportResult(path, pack_id, kind, len(items), pseudonymise, size, bool(blind))


def without_grades(stats: Stats) -> Stats:
    """The figures of a blind request's Summary: no grade counts, moderations, agreement or drift."""
    return replace(stats, scales=[], regraded=0, moderations=0, moderations_agreed=0, moderation_by_kind={},
                   agreement=[], drift=[])


def import_pack(store: Any, path: Path, *, progress: Progress | None = None,
                cancel: Cancel | None = None) -> ImportResult:
    """Verify, validate, then import a pack in one transaction (see the module's docstring)."""
    path = Path(path)
    with store.session() as s:
        permissions.require(s, Do.IMPORT_PACKS)
        stored = {f"{r.template_id}@{r.version}": r.fingerprint for r in s.execute(select(TemplateVersion)).scalars()}
    contents = read_pack(path, stored=stored, progress=progress)
    check_cancel(cancel, "The import")
    m = contents.manifest
    by = m.get("created_by") or {}
    sender = ", ".join(x for x in (by.get("name"), by.get("organisation")) if x)
    result = ImportResult(path, contents.pack_id, contents.kind, sender,
                          blind=contents.kind == "moderation_request" and m.get("blind") is True)
    with store.transaction() as s:
        if s.get(ImportedPack, contents.pack_id) is not None:
            result.already_imported = True
            return result
        # The pack's audits that are already here, 200 to a query (their answers, actions... too), not
        # one query each; held while the transaction runs, so _apply's s.get finds them in the session.
        ids = [doc["id"] for doc in contents.documents]
        here = {a.id: a for start in range(0, len(ids), 200)
                for a in s.execute(select(Audit).where(Audit.id.in_(ids[start:start + 200]))).scalars()}
        problems = []
        for doc in contents.documents:
            key = f"{doc['template']['id']}@{doc['template']['version']}"
            t = contents.templates.get(key)
            if t is None and key in stored:
                t = get_template(s, doc["template"]["id"], doc["template"]["version"])
            if t is None:
                problems.append(f"audits/{doc['id']}.json uses the template {key}, which is neither in the pack nor here")
                continue
            problems += [str(p) for p in check_against_template(doc, t, f"audits/{doc['id']}.json")]
            local = here.get(doc["id"])
            if contents.kind == "moderation_return" and local is None:
                problems.append(f"audits/{doc['id']}.json: this return is for audit {doc['reference']}, "
                                f"which is not in this store")
        problems += transfer.id_clashes(s, contents.documents)
        if problems:
            raise ValidationError([Problem("", p) for p in problems[:10]], path.name)
        actor = current_actor_name(s)
        result.me = actor
        for t in contents.templates.values():
            _, created = store_template(s, t, actor=actor)
            if created:
                result.templates_added.append(t.key)
        for doc in contents.documents:
            check_cancel(cancel, "The import")
            _apply(s, doc, contents, result, actor, by.get("organisation") or sender or None)
            if result.blind and s.get(Audit, doc["id"]) is not None:
                transfer.remember_blind(s, contents.pack_id, doc["id"])
        if not result.conflicts:
            s.add(ImportedPack(pack_id=contents.pack_id, kind=contents.kind, sender=json.dumps(by, ensure_ascii=False),
                               imported_at=datetime.now().astimezone()))
    return result


def _apply(s: Session, doc: dict[str, Any], contents: Any, result: ImportResult, actor: str, origin: str | None) -> None:
    local = s.get(Audit, doc["id"])
    verdict = transfer.judge(s, local, doc, contents.kind)
    ref = local.reference if local is not None else doc["reference"]
    if verdict.action == "unchanged":
        result.unchanged.append(ref)
        return
    if verdict.action == "keep_local":
        result.kept_local.append(ref)
        return
    if verdict.action == "conflict" and contents.kind == "moderation_return" and local is not None:
        # A return brings the moderator's judgements and nothing else of the audit: the audit edited here since
        # it was sent (an action added, say) takes them as it is, and the return's copy of the rest (the
        # pseudonymised text of an external request, above all) is never merged into it.
        result.moderations_added += transfer.add_returned_moderations(s, local, doc, actor=actor,
                                                                      pack_id=contents.pack_id)
        result.updated.append(ref)
        return
    if verdict.action == "conflict":
        assert local is not None
        _merge_conflicting(s, local, doc, contents, result, actor, verdict.reason)
        return
    row = get_row(s, doc["template"]["id"], doc["template"]["version"])
    t = template_of(row)
    if local is None:  # judged "create": the audit is new here
        audit = transfer.create_from_document(s, doc, row, t, origin=origin, actor=actor, pack_id=contents.pack_id)
        result.created.append(audit.reference)
        given = doc.get("assignment")
        if isinstance(given, dict) and doc.get("programme") and doc.get("status") == "draft":
            key = (doc["programme"], given["auditor"]["name"])
            result.assigned[key] = result.assigned.get(key, 0) + 1
    elif contents.kind == "moderation_return":
        result.moderations_added += transfer.add_returned_moderations(s, local, doc, actor=actor,
                                                                      pack_id=contents.pack_id)
        result.updated.append(ref)
    else:
        transfer.replace_from_document(s, local, doc, t, actor=actor, pack_id=contents.pack_id)
        result.updated.append(ref)


def _merge_conflicting(s: Session, local: Audit, doc: dict[str, Any], contents: Any, result: ImportResult, actor: str,
                       reason: str) -> None:
    """An audit edited here and in the pack since they parted: merged field by field against the copy at
    their last exchange (qadesk.core.merge); a field changed on one side only is taken from it, and a
    field both changed differently is kept as ours and recorded as a conflict for a person to resolve
    (the Conflicts to resolve window; ``qadesk conflicts``), never overwritten."""
    from qadesk.core.merge import FieldConflict, flatten, merge
    from qadesk.services import conflicts as conflict_store

    ours = audit_document(local)
    merged = merge(transfer.sync_document(s, local.id), doc, ours)  # keeps ours on every conflicting field
    sender = result.sender or None
    kept = 0
    for c in merged.conflicts:  # from this store's side: mine is ours, theirs the pack's
        if conflict_store.was_resolved(s, local.id, c.path, c.mine, source_ref=contents.pack_id):
            continue
        conflict_store.record(s, local.id, FieldConflict(c.path, c.base, c.theirs, c.mine), source="pack",
                              source_ref=contents.pack_id, theirs_revision=doc["revision"], theirs_by=sender)
        kept += 1
    if flatten(merged.document) != flatten(ours):
        at = now_utc()
        transfer.write_document(s, local, merged.document, template_for(local), at)
        local.revision += 1
        s.flush()
        history.record(s, actor=actor, entity="audit", entity_id=local.id, audit_id=local.id, action="import",
                       before=ours, after={"pack": contents.pack_id, "merged": True, "document": audit_document(local)},
                       at=at)
        result.merged.append(local.reference)
    if kept:
        result.conflicts.append(PackConflict(doc["id"], local.reference,
                                             f"{reason}; {kept} field{'s' if kept != 1 else ''} changed differently "
                                             "on both, kept as here for you to resolve"))
