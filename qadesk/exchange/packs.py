"""Packs (``.qapack``, format ``qadesk-pack/1``): how audits travel between laptops and councils.

:func:`write_pack` writes manifest.json, templates/<id>@<version>.json, audits/<uuid>.json,
report.pdf and returns.xlsx into a zip, atomically, from audit documents that are already
pseudonymised where the pack leaves the organisation.  Reading a pack and checking all of it is
:mod:`qadesk.exchange.pack_check`.  Choosing the audits, pseudonymising them, keeping the sender's
mapping and importing a pack into the store are the use cases of :mod:`qadesk.services.packs`.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from qadesk import __version__
from qadesk.core.figures import Stats
from qadesk.core.template import Template
from qadesk.exchange.audit_report import render_audits
from qadesk.exchange.output import Cancel, Progress, atomic_path, check_cancel, report_progress
from qadesk.exchange.pack_check import FORMAT, MANIFEST
from qadesk.exchange.returns_xlsx import write_documents

KIND_LABELS = {"moderation_request": "moderation pack", "moderation_return": "moderation return",
               "audit_transfer": "audit transfer pack"}


@dataclass(frozen=True)
class PackHeader:
    """What the manifest says of a pack besides its members: who sent what, and how."""

    pack_id: str
    kind: str
    sender: dict[str, Any]  # name, role, organisation (a pseudonymised pack's manifest keeps no name)
    pseudonymised: bool
    external: bool
    # The sending store's history head when the pack was made (entries, seq, hash): a copy of the anchor
    # outside the store, so ``history verify --pack`` finds a history cut short after the pack left.
    history_head: dict[str, Any] | None = None
    # A blind moderation request: report.pdf and returns.xlsx leave out the auditor's judgements and the
    # earlier moderations (:mod:`qadesk.exchange.blind`); the manifest says ``"blind": true``, and the
    # receiving qadesk has its moderators judge these audits blind whatever its own setting.
    blind: bool = False


def write_pack(path: Path, header: PackHeader, items: Sequence[tuple[dict[str, Any], Template]], *,
               stats: Stats | None, progress: Progress | None = None, cancel: Cancel | None = None,
               keep: Callable[[], None] | None = None) -> int:
    """Write the pack of ``items`` (audit documents and their templates) to ``path``; its size in bytes.

    Progress counts on from the ``len(items)`` audits gathered, out of ``len(items) + 3``: the PDF,
    the Excel return and the archive.  ``keep`` runs once the archive is written whole and before it
    takes its name (what the sender keeps of a pack is kept only for a file written whole); if it
    fails, no file is left.
    """
    path = Path(path)
    n = len(items)
    total = n + 3
    members: dict[str, bytes] = {}
    for t in {t.key: t for _, t in items}.values():
        members[f"templates/{t.key}.json"] = t.to_json().encode("utf-8")
    for doc, _ in items:
        members[f"audits/{doc['id']}.json"] = json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    check_cancel(cancel)
    pdf = io.BytesIO()
    render_audits(items, pdf, organisation=header.sender.get("organisation"), cancel=cancel,
                  title=f"{KIND_LABELS[header.kind].capitalize()} ({n} audits)", blind=header.blind)
    members["report.pdf"] = pdf.getvalue()
    report_progress(progress, n + 1, total)
    check_cancel(cancel)
    xlsx = io.BytesIO()
    write_documents(items, xlsx, stats=stats, blind=header.blind)
    members["returns.xlsx"] = xlsx.getvalue()
    report_progress(progress, n + 2, total)
    sender = dict(header.sender)
    if header.pseudonymised:  # a pseudonymised pack names no one, its sender included: role and organisation only
        sender = {"name": None, "role": sender.get("role") or None, "organisation": sender.get("organisation") or None}
    manifest = {
        "format": FORMAT, "pack_id": header.pack_id, "kind": header.kind,
        "created_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "created_by": sender, "pseudonymised": header.pseudonymised, "external": header.external,
        "app_version": __version__, "audits": [doc["id"] for doc, _ in items],
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in members.items()},
    }
    if header.blind:
        manifest["blind"] = True
    if header.history_head is not None:
        manifest["history_head"] = header.history_head
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            zf.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
            for name, data in members.items():
                # PDF and xlsx are compressed already.
                zf.writestr(name, data, compress_type=zipfile.ZIP_STORED if name.endswith((".xlsx", ".pdf")) else None)
        check_cancel(cancel)
        if keep is not None:
            keep()
    report_progress(progress, total, total)
    return path.stat().st_size
