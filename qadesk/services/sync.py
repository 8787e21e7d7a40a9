"""A laptop that works offline on its own (encrypted) store and syncs with the team server.

``checkout`` names the server and the person on the laptop and brings down every draft assigned to
them (or that they audit), with the template versions, programmes and history entries it needs.
``sync`` then, audit by audit:

1. reads the laptop's copy (*mine*), the server's (*theirs*) and the copy both last agreed (*base*,
   kept in ``sync_bases``);
2. merges them field by field (:func:`qadesk.core.merge.merge`): a field changed on one side only is
   taken from it; a field changed differently on both sides is a conflict kept on the laptop for the
   person to resolve (:mod:`qadesk.services.conflicts`): the laptop keeps mine, the server keeps
   theirs, and neither moves until it is resolved (an open conflict's field is held back);
3. writes the server first (one transaction, under the server's write lock, with the revision check
   that refuses a change made meanwhile), with the laptop's own history entries for the audit copied
   into the server's chain and a ``sync`` entry holding the merged document; then the laptop (one
   transaction) with the server's new entries and a ``sync`` entry; then the new base.

Each audit is its own pair of transactions, server first, so a connection that drops half-way leaves
both sides consistent: the next sync finds the server already holding the merged copy and converges
(copied entries carry where they came from and are never copied twice). A sync with nothing changed
writes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from qadesk.core import permissions as perm
from qadesk.core.errors import PermissionDenied, StateError, WriteConflict
from qadesk.core.merge import MISSING, flatten, get_field, merge, set_field
from qadesk.core.permissions import Do, Role
from qadesk.services import conflicts, permissions
from qadesk.services.audit_access import now_utc, template_for
from qadesk.services.audit_document import audit_document
from qadesk.services.profile import Profile, current_actor_name, get_profile, set_profile
from qadesk.services.templates import get_row, store_template, template_of
from qadesk.services.transfer import free_reference, take_assignment, write_document
from qadesk.store import history
from qadesk.store.models import Assignment, Audit, HistoryEntry, Setting, SyncBase, TemplateVersion

SERVER_KEY, PERSON_KEY, LAPTOP_KEY = "sync.server", "sync.person", "sync.laptop"
FROM_SERVER = "server"


@dataclass
class SyncResult:
    """What one sync did, audit by audit (references)."""

    up: list[str] = field(default_factory=list)  # the server took something of the laptop's
    down: list[str] = field(default_factory=list)  # the laptop took something of the server's
    new_up: list[str] = field(default_factory=list)  # started on the laptop, now on the server too
    new_down: list[str] = field(default_factory=list)  # checked out to the laptop
    unchanged: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # (reference, field path) found this time
    open_conflicts: int = 0  # conflicts waiting on the laptop after the sync
    retried: int = 0

    def lines(self) -> list[str]:
        out = [f"  sent to the server: {len(self.up) + len(self.new_up):,} audits"
               + (f" ({len(self.new_up):,} new there)" if self.new_up else ""),
               f"  brought to this laptop: {len(self.down) + len(self.new_down):,} audits"
               + (f" ({len(self.new_down):,} new here)" if self.new_down else ""),
               f"  the same on both: {self.unchanged:,}"]
        if self.conflicts:
            out.append(f"  conflicts found (changed differently on both; each kept for you to resolve): "
                       f"{len(self.conflicts):,}")
            out += [f"    {ref}: {path}" for ref, path in self.conflicts]
        if self.open_conflicts:
            out.append(f"  conflicts waiting to be resolved (qadesk conflicts list): {self.open_conflicts:,}")
        return out


def _setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row is not None else None


def _put(session: Session, key: str, value: str) -> None:
    row = session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value


def server_name(server: Any) -> str:
    """The server as people read it (host and database, never a password)."""
    from sqlalchemy import make_url

    try:
        u = make_url(server.url)
    except Exception:  # noqa: BLE001 - an odd URL is shown by its end only
        return str(server.url).split("@")[-1]
    if u.get_backend_name() == "sqlite":
        return f"the store at {u.database}"
    return f"{u.host or 'localhost'}/{u.database}"


def checkout(laptop: Any, server: Any, person: str | None = None, *, url: str | None = None,
             after_each: Callable[[str], None] | None = None) -> SyncResult:
    """Make this laptop sync with ``server`` for ``person`` and bring down their audits.

    On a server with people's logins the person is the login's (``person`` may be left out), and the laptop
    keeps to that person's roles there; only a QA lead or the PSW checks out another person's audits."""
    if laptop.url == server.url:
        raise StateError("the laptop's store and the team server are the same database")
    with server.session() as ss:
        who = permissions.require(ss, Do.SYNC)
    if not person and who.desk:  # the server's owner: the person is this laptop's (its profile)
        with laptop.session() as ls:
            person = current_actor_name(ls)
    person = " ".join((person or who.name).split())
    if not person:
        raise StateError("say whose audits this laptop takes (the person's name as the server knows it)")
    if not (who.desk or who.is_lead) and person.casefold() != who.name.casefold():
        raise PermissionDenied(f"{who.name} may take only their own audits away, not {person}'s: "
                               f"{perm.AUDITOR_OWN_AUDITS.words}.", rule=perm.AUDITOR_OWN_AUDITS.name)
    with laptop.transaction() as ls:
        if not who.desk and person.casefold() == who.name.casefold():  # the laptop keeps to the server's roles
            profile = get_profile(ls) or Profile(name=person)
            set_profile(ls, replace(profile, name=person, roles=[r.value for r in Role if r in who.roles]))
        known = _setting(ls, SERVER_KEY)
        shown = _shown_url(url or server.url)
        if known and known != shown:
            raise StateError(f"this laptop already syncs with {known}; it cannot take audits from another server")
        _put(ls, SERVER_KEY, shown)
        _put(ls, PERSON_KEY, person)
        if _setting(ls, LAPTOP_KEY) is None:
            _put(ls, LAPTOP_KEY, str(uuid.uuid4()))
    return sync(laptop, server, after_each=after_each)


def _shown_url(url: str) -> str:
    from sqlalchemy import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001
        return url.split("@")[-1]


def status(laptop: Any) -> dict[str, Any]:
    """Where this laptop syncs, for whom, how many audits it holds checked out and when it last synced."""
    with laptop.session() as ls:
        n, last = ls.execute(select(func.count(), func.max(SyncBase.synced_at))).one()
        return {"server": _setting(ls, SERVER_KEY), "person": _setting(ls, PERSON_KEY),
                "laptop": _setting(ls, LAPTOP_KEY), "audits": int(n), "last_sync": last,
                "open_conflicts": conflicts.count_open(ls)}


def sync(laptop: Any, server: Any, *, after_each: Callable[[str], None] | None = None) -> SyncResult:
    """Send the laptop's changes up and bring others' down (see the module's docstring)."""
    result = SyncResult()
    with laptop.session() as ls:
        person, laptop_id = _setting(ls, PERSON_KEY), _setting(ls, LAPTOP_KEY)
        if not person or not laptop_id:
            raise StateError("this laptop has not checked out from a team server yet (qadesk sync checkout)")
        permissions.require(ls, Do.SYNC)
        based = set(ls.execute(select(SyncBase.audit_id)).scalars())
        local_only = set(ls.execute(select(Audit.id).where(~Audit.id.in_(select(SyncBase.audit_id)))).scalars())
    with server.session() as ss:
        who = permissions.require(ss, Do.SYNC)
        if not (who.desk or who.is_lead) and person.casefold() != who.name.casefold():
            raise PermissionDenied(f"this laptop syncs {person}'s audits, but the server knows this login as "
                                   f"{who.name}: {perm.AUDITOR_OWN_AUDITS.words}.", rule=perm.AUDITOR_OWN_AUDITS.name)
        wanted = set(ss.execute(select(Audit.id).outerjoin(Assignment, Assignment.audit_id == Audit.id).where(
            Audit.status == "draft", or_(Assignment.auditor_name == person, Audit.auditor_name == person))).scalars())
    name = server_name(server)
    for aid in sorted(based | wanted | local_only):
        for attempt in (1, 2):
            try:
                _sync_one(laptop, server, aid, laptop_id, name, result)
                break
            except WriteConflict:
                if attempt == 2:
                    raise
                result.retried += 1  # someone changed it on the server meanwhile: read it again
        if after_each is not None:
            after_each(aid)
    with laptop.session() as ls:
        result.open_conflicts = conflicts.count_open(ls)
    return result


def _entries_since(session: Session, audit_id: str, seq: int) -> list[HistoryEntry]:
    return list(session.execute(select(HistoryEntry).where(HistoryEntry.audit_id == audit_id, HistoryEntry.seq > seq)
                                .order_by(HistoryEntry.seq)).scalars())


def _head_seq(session: Session) -> int:
    return int(session.execute(select(func.coalesce(func.max(HistoryEntry.seq), 0))).scalar_one())


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


def _origin(e: HistoryEntry) -> tuple[str | None, int | None]:
    """Where a copied entry came from: (the laptop's id or "server", its seq there)."""
    after = _loads(e.after)
    if isinstance(after, dict) and "synced_from" in after:
        return after.get("synced_from"), after.get("origin_seq")
    return None, None


def _copy_entries(session: Session, entries: list[dict[str, Any]], source: str) -> int:
    """Append entries from the other side to this chain, each marked with where it came from."""
    for e in entries:
        after = e["after"]
        if not isinstance(after, dict):
            after = {"value": after} if after is not None else {}
        after = {**after, "synced_from": source, "origin_seq": e["seq"]}
        history.record(session, actor=e["actor"], entity=e["entity"], entity_id=e["entity_id"],
                       audit_id=e["audit_id"], action=e["action"], before=e["before"], after=after, at=e["at"])
    return len(entries)


def _plain(e: HistoryEntry) -> dict[str, Any]:
    return {"seq": e.seq, "actor": e.actor, "entity": e.entity, "entity_id": e.entity_id, "audit_id": e.audit_id,
            "action": e.action, "before": _loads(e.before), "after": _loads(e.after), "at": e.at}


def _ensure_template(session: Session, other: Session, audit_template: tuple[str, int]) -> TemplateVersion:
    """The template version here, brought from the other store when this one lacks it."""
    tid, version = audit_template
    row = session.execute(select(TemplateVersion).where(TemplateVersion.template_id == tid,
                                                        TemplateVersion.version == version)).scalar_one_or_none()
    if row is None:
        there = get_row(other, tid, version)
        row, _ = store_template(session, template_of(there), actor="qadesk sync")
    return row


def server_reference_for(session: Session, reference: str, audit_id: str) -> str:
    """The reference an audit from a laptop takes on the server: its own when free there; else the next
    of the server's own AUD-YYYY-NNNN sequence (two laptops each numbered from AUD-2026-0001 offline),
    which the laptop then takes too."""
    owner = session.execute(select(Audit.id).where(Audit.reference == reference)).scalar()
    if owner is None or owner == audit_id:
        return reference
    parts = reference.split("-")
    if len(parts) >= 3 and parts[0] == "AUD" and parts[1].isdigit():
        from qadesk.services.audits import next_reference

        while True:
            candidate = next_reference(session, int(parts[1]))
            if session.execute(select(Audit.id).where(Audit.reference == candidate)).scalar() is None:
                return candidate
    return free_reference(session, reference, audit_id)


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return flatten(a) == flatten(b)


def _sync_one(laptop: Any, server: Any, aid: str, laptop_id: str, name: str, result: SyncResult) -> None:
    # 1. What the laptop holds.
    with laptop.session() as ls:
        local = ls.get(Audit, aid)
        mine = audit_document(local) if local is not None else None
        base_row = ls.get(SyncBase, aid)
        base = json.loads(base_row.document) if base_row is not None else None
        held = conflicts.open_paths(ls, aid) if local is not None else {}
        local_seq = base_row.local_seq if base_row is not None else 0
        mine_entries = [_plain(e) for e in _entries_since(ls, aid, local_seq) if _origin(e)[0] != FROM_SERVER]
        person = _setting(ls, PERSON_KEY)
        ref_here = local.reference if local is not None else None
    # 2. The server: read, merge, write (one transaction, under its write lock).
    with server.transaction() as ss:
        remote = ss.get(Audit, aid)
        theirs = audit_document(remote) if remote is not None else None
        if theirs is None and mine is None:
            return
        if theirs is None and base is not None:
            # Gone from the server since the last sync: keep the laptop's copy, say so, change nothing.
            result.conflicts.append((ref_here or aid, "(no longer on the server)"))
            return
        server_seq_before = base_row.server_seq if base_row is not None else 0
        theirs_entries = [] if remote is None else [
            _plain(e) for e in _entries_since(ss, aid, server_seq_before) if _origin(e)[0] != laptop_id]
        already = set() if remote is None else {
            _origin(e)[1] for e in _entries_since(ss, aid, server_seq_before) if _origin(e)[0] == laptop_id}
        to_copy_up = [e for e in mine_entries if e["seq"] not in already]
        found: list[Any] = []
        if mine is None:  # assigned on the server, new to this laptop
            assert theirs is not None
            server_doc, laptop_doc = theirs, theirs
        elif theirs is None:  # started on the laptop: new on the server
            server_doc, laptop_doc = mine, mine
        else:
            probe = mine
            for path in held:  # an open conflict's field moves neither way until it is resolved
                probe = set_field(probe, path, get_field(theirs, path))
            merged = merge(base, probe, theirs)
            found = merged.conflicts
            server_doc = merged.document
            laptop_doc = server_doc
            for path in [*held, *(c.path for c in found)]:
                laptop_doc = set_field(laptop_doc, path, get_field(mine, path))
        at = now_utc()
        server_changed = theirs is None or not _same(server_doc, theirs)
        if theirs is None:
            assert mine is not None
            with laptop.session() as ls2:
                row = _ensure_template(ss, ls2, (mine["template"]["id"], mine["template"]["version"]))
            audit = Audit(id=aid, reference=server_reference_for(ss, mine["reference"], aid), template_pk=row.pk, template=row,
                          revision=mine["revision"], started_at=at, updated_at=at)
            ss.add(audit)
            write_document(ss, audit, mine, template_of(row), at)
            take_assignment(ss, audit, mine, at)
            remote = audit
        elif server_changed:
            write_document(ss, remote, server_doc, template_for(remote), at)
            remote.revision += 1
            ss.flush()
        server_written = server_changed or bool(to_copy_up)  # a change, or entries the server has not had
        if server_written:
            _copy_entries(ss, to_copy_up, laptop_id)
            history.record(ss, actor=person or "qadesk sync", entity="audit", entity_id=aid, audit_id=aid,
                           action="sync", before={"revision": theirs["revision"]} if theirs else None,
                           after={"server": name, "from": "laptop", "synced_from": laptop_id,
                                  "fields": _changed(theirs, server_doc), "origin": remote.origin, "document": audit_document(remote)}, at=at)
        server_doc = audit_document(remote)
        server_revision, server_reference = remote.revision, remote.reference
        server_head = _head_seq(ss)
        theirs_by = theirs_entries[-1]["actor"] if theirs_entries else None
    # 3. The laptop (one transaction): take what came down, keep the conflicts, move the base on.
    with laptop.transaction() as ls:
        local = ls.get(Audit, aid)
        laptop_doc = {**laptop_doc, "reference": server_reference}
        before = audit_document(local) if local is not None else None
        laptop_changed = local is None or not _same(laptop_doc, before)
        if local is None:
            with server.session() as ss2:
                row = _ensure_template(ls, ss2, (laptop_doc["template"]["id"], laptop_doc["template"]["version"]))
            local = Audit(id=aid, reference=free_reference(ls, server_reference, aid), template_pk=row.pk,
                          template=row, revision=server_revision, started_at=at, updated_at=at)
            ls.add(local)
            write_document(ls, local, laptop_doc, template_of(row), at)
            take_assignment(ls, local, laptop_doc, at)
            result.new_down.append(local.reference)
        elif laptop_changed:
            if local.reference != server_reference:  # the server gave it another reference (one was taken there)
                local.reference = free_reference(ls, server_reference, aid)
            write_document(ls, local, laptop_doc, template_for(local), at)
            local.revision += 1
            ls.flush()
        laptop_written = laptop_changed or bool(theirs_entries)
        if laptop_written:
            _copy_entries(ls, theirs_entries, FROM_SERVER)
            history.record(ls, actor=person or "qadesk sync", entity="audit", entity_id=aid, audit_id=aid,
                           action="sync", before={"revision": before["revision"]} if before else None,
                           after={"server": name, "from": "server", "synced_from": FROM_SERVER,
                                  "fields": _changed(before, laptop_doc), "origin": local.origin, "document": audit_document(local)}, at=at)
        for c in found:
            conflicts.record(ls, aid, c, source="sync", source_ref=name, theirs_revision=server_revision,
                             theirs_by=theirs_by)
            result.conflicts.append((local.reference, c.path))
        if base_row is None or server_written or laptop_written or base_row.server_revision != server_revision:
            local_head = _head_seq(ls)  # the entries above are flushed already
            b = ls.get(SyncBase, aid)
            if b is None:
                b = SyncBase(audit_id=aid)
                ls.add(b)
            b.server_revision, b.local_revision = server_revision, local.revision
            b.server_seq, b.local_seq = server_head, local_head
            b.document = json.dumps(server_doc, ensure_ascii=False, sort_keys=True)
            b.synced_at = at
        ref = local.reference
    if theirs is None:
        result.new_up.append(ref)
    elif mine is not None:
        if server_changed:
            result.up.append(ref)
        if laptop_changed:
            result.down.append(ref)
        if not server_changed and not laptop_changed:
            result.unchanged += 1


def _changed(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    a, b = flatten(before), flatten(after)
    return sorted(p for p in set(a) | set(b) if a.get(p, MISSING) != b.get(p, MISSING))[:200]


@dataclass
class TakeInResult:
    """What taking a laptop's store into the team server did."""

    source: str
    created: list[str] = field(default_factory=list)  # audits new to the server
    merged: list[str] = field(default_factory=list)  # audits the server held too, merged field by field
    unchanged: int = 0
    conflicts: list[tuple[str, str]] = field(default_factory=list)  # kept on the server for a person
    entries: int = 0  # history entries copied into the server's chain
    templates: int = 0  # template versions new to the server

    def lines(self) -> list[str]:
        out = [f"  audits new to the server: {len(self.created):,}",
               f"  audits the server held too, merged: {len(self.merged):,}",
               f"  the same on both: {self.unchanged:,}",
               f"  template versions new to the server: {self.templates:,}",
               f"  history entries taken in: {self.entries:,}"]
        if self.conflicts:
            out.append(f"  conflicts kept on the server to resolve (qadesk conflicts list): {len(self.conflicts):,}")
            out += [f"    {ref}: {path}" for ref, path in self.conflicts]
        return out


def take_in(server: Any, source: Any, *, name: str | None = None) -> TakeInResult:
    """Move a laptop's store onto the team server, keeping every audit with its answers, judgements,
    actions and moderations, and every history entry (copied into the server's chain, each marked with
    where it came from). An audit the server already holds (another laptop's copy, taken in first) is
    merged field by field with no common base: a field only one copy has is kept, and a field both hold
    differently is a conflict kept on the server for a person to resolve, never a duplicate.
    Taking the same store in again changes nothing."""
    from qadesk.core.merge import FieldConflict

    with server.session() as ss:
        permissions.require(ss, Do.TAKE_IN)
    with source.session() as src:
        origin = _setting(src, LAPTOP_KEY) or f"store:{source.path or source.url}"
        ids = sorted(src.execute(select(Audit.id)).scalars())
        rows = list(src.execute(select(TemplateVersion)).scalars())
        general = [_plain(e) for e in src.execute(select(HistoryEntry).where(HistoryEntry.audit_id.is_(None))
                                                  .order_by(HistoryEntry.seq)).scalars()]
    label = name or str(source.path.parent if source.path else source.url)
    result = TakeInResult(label)
    with server.transaction() as ss:
        for row in rows:
            _, created = store_template(ss, template_of(row), actor="qadesk take-in")
            result.templates += created
        had = {_origin(e)[1] for e in ss.execute(select(HistoryEntry).where(HistoryEntry.audit_id.is_(None)))
               .scalars() if _origin(e)[0] == origin}
        result.entries += _copy_entries(ss, [e for e in general if e["seq"] not in had], origin)
    for aid in ids:
        with source.session() as src:
            local = src.get(Audit, aid)
            doc = audit_document(local)
            entries = [_plain(e) for e in _entries_since(src, aid, 0)]
        with server.transaction() as ss:
            remote = ss.get(Audit, aid)
            at = now_utc()
            if remote is None:
                row = get_row(ss, doc["template"]["id"], doc["template"]["version"])
                remote = Audit(id=aid, reference=server_reference_for(ss, doc["reference"], aid), template_pk=row.pk,
                               template=row, revision=doc["revision"], started_at=at, updated_at=at)
                ss.add(remote)
                write_document(ss, remote, doc, template_of(row), at)
                take_assignment(ss, remote, doc, at)
                result.entries += _copy_entries(ss, entries, origin)
                history.record(ss, actor="qadesk take-in", entity="audit", entity_id=aid, audit_id=aid, action="sync",
                               after={"server": "take-in", "from": label, "synced_from": origin,
                                      "fields": [], "origin": remote.origin, "document": audit_document(remote)}, at=at)
                result.created.append(remote.reference)
                continue
            ours = audit_document(remote)
            had = {_origin(e)[1] for e in _entries_since(ss, aid, 0) if _origin(e)[0] == origin}
            fresh = [e for e in entries if e["seq"] not in had]
            merged = merge(None, doc, ours)  # the server's copy kept on every field both hold differently
            changed = not _same(merged.document, ours)
            if changed:
                write_document(ss, remote, merged.document, template_for(remote), at)
                remote.revision += 1
                ss.flush()
            if changed or fresh:
                result.entries += _copy_entries(ss, fresh, origin)
                history.record(ss, actor="qadesk take-in", entity="audit", entity_id=aid, audit_id=aid,
                               action="sync", before={"revision": ours["revision"]},
                               after={"server": "take-in", "from": label, "synced_from": origin,
                                      "fields": _changed(ours, merged.document),
                                      "origin": remote.origin, "document": audit_document(remote)}, at=at)
            for c in merged.conflicts:  # from the server's side: mine is the server's copy, theirs the laptop's
                if conflicts.was_resolved(ss, aid, c.path, c.mine, source_ref=label):
                    continue  # this laptop's value for it was resolved already: taking it in again changes nothing
                conflicts.record(ss, aid, FieldConflict(c.path, c.base, c.theirs, c.mine), source="sync",
                                 source_ref=label, theirs_revision=doc["revision"], theirs_by=doc["auditor"]["name"])
                result.conflicts.append((remote.reference, c.path))
            if changed:
                result.merged.append(remote.reference)
            elif not merged.conflicts:
                result.unchanged += 1
    return result
