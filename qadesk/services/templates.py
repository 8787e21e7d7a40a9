"""Template use cases: import (immutable id@version), list, fetch, retire."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qadesk.core.errors import Conflict, NotFound
from qadesk.core.permissions import Do
from qadesk.core.template import Template, template_from_dict
from qadesk.services import permissions
from qadesk.store import history
from qadesk.store.models import Audit, TemplateVersion


@dataclass(frozen=True)
class TemplateInfo:
    pk: int
    id: str
    version: int
    title: str
    kind: str
    theme: str | None
    publisher: str | None
    retired: bool
    imported_at: datetime
    audits: int = 0

    def as_dict(self) -> dict[str, object]:
        return {"id": self.id, "version": self.version, "kind": self.kind, "title": self.title,
                "theme": self.theme, "publisher": self.publisher, "retired": self.retired}


_PARSED = 64  # template versions kept parsed (each with its rules compiled once)
_parsed: OrderedDict[str, Template] = OrderedDict()
_parsed_lock = threading.Lock()


def template_of(row: TemplateVersion) -> Template:
    """The model of a stored template version, parsed and validated once per content.

    Kept by the version's fingerprint (the SHA-256 of its canonical content), so an autosave finds it
    without reading, hashing or comparing the stored JSON (``content`` is read only the first time).
    """
    fingerprint = row.fingerprint
    with _parsed_lock:
        found = _parsed.get(fingerprint)
        if found is not None:
            _parsed.move_to_end(fingerprint)
            return found
    template = template_from_dict(json.loads(row.content), source=fingerprint[:8])
    with _parsed_lock:
        template = _parsed.setdefault(fingerprint, template)
        while len(_parsed) > _PARSED:
            _parsed.popitem(last=False)
    return template


def import_template(session: Session, template: Template, actor: str = "qadesk") -> tuple[TemplateVersion, bool]:
    """A person imports a template file: only a QA lead may (qadesk.core.permissions); see :func:`store_template`."""
    permissions.require(session, Do.IMPORT_TEMPLATES)
    return store_template(session, template, actor)


def store_template(session: Session, template: Template, actor: str = "qadesk") -> tuple[TemplateVersion, bool]:
    """Store one template version; ``(row, created)``.  For the templates qadesk ships, and those that come
    with a pack's or a laptop's audits (whoever may import those stores the template they were made with);
    a person importing a template file goes through :func:`import_template`.

    The same content again is a no-op; different content under an existing
    (id, version) is refused with :class:`Conflict`.
    """
    existing = session.execute(
        select(TemplateVersion).where(TemplateVersion.template_id == template.id,
                                      TemplateVersion.version == template.version)
    ).scalar_one_or_none()
    fingerprint = template.fingerprint()
    if existing is not None:
        if existing.fingerprint == fingerprint:
            return existing, False
        raise Conflict(
            f"{template.key} is already stored with different content; a changed template needs a higher "
            f"version (the newest stored is {newest_version_number(session, template.id)})"
        )
    row = TemplateVersion(
        template_id=template.id, version=template.version, title=template.title, kind=template.kind,
        theme=template.theme, publisher=template.publisher, fingerprint=fingerprint,
        content=json.dumps(template.to_dict(), ensure_ascii=False), imported_at=datetime.now(timezone.utc),
        retired=False,
    )
    session.add(row)
    session.flush()
    history.record(session, actor=actor, entity="template", entity_id=template.key, action="import",
                   after={"fingerprint": fingerprint, "title": template.title})
    return row, True


def newest_version_number(session: Session, template_id: str) -> int | None:
    """The highest stored version of this template id; None if it is not stored."""
    return session.execute(
        select(func.max(TemplateVersion.version)).where(TemplateVersion.template_id == template_id)
    ).scalar()


def get_row(session: Session, template_id: str, version: int | None = None) -> TemplateVersion:
    """The stored row of this template version (the newest if ``version`` is None); :class:`NotFound` if none."""
    q = select(TemplateVersion).where(TemplateVersion.template_id == template_id)
    if version is None:
        q = q.order_by(TemplateVersion.version.desc()).limit(1)
    else:
        q = q.where(TemplateVersion.version == version)
    row = session.execute(q).scalar_one_or_none()
    if row is None:
        name = template_id if version is None else f"{template_id}@{version}"
        raise NotFound(f"no template '{name}' is installed (see 'qadesk template list')")
    return row


def get_template(session: Session, template_id: str, version: int | None = None) -> Template:
    """The model of this template version (the newest if ``version`` is None); :class:`NotFound` if none."""
    return template_of(get_row(session, template_id, version))


def list_templates(session: Session, *, include_retired: bool = True, newest_only: bool = False,
                   with_counts: bool = True) -> list[TemplateInfo]:
    """Stored template versions (without retired ones, or only the newest of each, if asked) with their audit counts.

    ``with_counts=False`` leaves the counts at 0 and skips counting every audit (100 ms on 100,000
    audits): what a drop-down of templates needs, read in well under a millisecond.
    """
    counts = (dict(session.execute(select(Audit.template_pk, func.count()).group_by(Audit.template_pk)).all())
              if with_counts else {})
    rows = session.execute(
        select(TemplateVersion).order_by(TemplateVersion.kind, TemplateVersion.template_id,
                                         TemplateVersion.version)
    ).scalars().all()
    out = [
        TemplateInfo(r.pk, r.template_id, r.version, r.title, r.kind, r.theme, r.publisher, r.retired,
                     r.imported_at, counts.get(r.pk, 0))
        for r in rows if include_retired or not r.retired
    ]
    if newest_only:
        newest: dict[str, TemplateInfo] = {}
        for info in out:
            newest[info.id] = info
        out = list(newest.values())
    return out


def set_retired(session: Session, template_id: str, retired: bool, actor: str = "qadesk") -> int:
    """Retire (or restore) every version of a template: no new audits; existing ones unaffected."""
    permissions.require(session, Do.RETIRE_TEMPLATES)
    rows = session.execute(select(TemplateVersion).where(TemplateVersion.template_id == template_id)).scalars().all()
    if not rows:
        raise NotFound(f"no template '{template_id}' is installed")
    for r in rows:
        r.retired = retired
    history.record(session, actor=actor, entity="template", entity_id=template_id,
                   action="retire" if retired else "restore")
    return len(rows)
