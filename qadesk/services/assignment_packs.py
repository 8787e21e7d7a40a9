"""Packs of assigned audits, one per auditor, for laptops that are not on the same store.

A QA lead who has allocated a programme sends each auditor a pack (kind ``audit_transfer``) of the draft
audits assigned to them. Each audit document carries its programme and its assignment (auditor, team,
due date, why the case was chosen), so importing the pack on the auditor's laptop files the audits under
that programme, assigned: Home shows them waiting under "Assigned to you". When the auditor sends the
finished audits back, the QA lead's copies (unchanged since they left) take the auditor's work.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qadesk.core.allocation import same_person
from qadesk.core.errors import ValidationError
from qadesk.core.selection import Selection
from qadesk.exchange.output import Cancel, Progress, check_cancel, report_progress
from qadesk.services.assignments import AssignedAudit, assignments
from qadesk.services.packs import ExportResult, export_pack

__all__ = ["AuditorPack", "export_assignment_packs", "pack_file_name"]


@dataclass(frozen=True)
class AuditorPack:
    """The pack written for one auditor: its file and what went into it."""

    auditor: str
    audits: list[str]  # references, soonest due first
    result: ExportResult

    def __str__(self) -> str:
        return f"{self.auditor}: {len(self.audits):,} audit{'s' if len(self.audits) != 1 else ''} in {self.result.path}"


def pack_file_name(programme: str, auditor: str) -> str:
    """A file name any computer accepts, e.g. ``Monthly audits December - B. Manager.qapack``."""

    def clean(text: str) -> str:
        text = unicodedata.normalize("NFKC", text)
        text = re.sub(r"[^\w .,'()&+-]+", "-", text).strip(" .-")
        return re.sub(r"\s+", " ", text)[:80].strip(" .-") or "audits"

    return f"{clean(programme)} - {clean(auditor)}.qapack"


def _unused(folder: Path, name: str, taken: set[str]) -> Path:
    """``name`` in ``folder``, numbered when another auditor's pack in this run already has it."""
    stem, n = name[: -len(".qapack")], 2
    candidate = name
    while candidate.casefold() in taken:
        candidate, n = f"{stem} ({n}).qapack", n + 1
    taken.add(candidate.casefold())
    return folder / candidate


def export_assignment_packs(store: Any, programme: str, folder: Path | str, *,
                            auditors: Sequence[str] | None = None, me: str | None = None,
                            progress: Progress | None = None, cancel: Cancel | None = None) -> list[AuditorPack]:
    """Write one pack per auditor of the draft audits assigned to them in ``programme`` into ``folder``.

    ``auditors`` narrows it to these people (a name with no draft assigned is refused, naming who has
    some). ``me``, the person writing the packs, gets none unless named: their audits are on this store. A file of the same name in the folder is replaced (the newest pack for that auditor). Each pack
    is written whole or not at all; the packs written before a refusal or a cancel stay.
    """
    with store.session() as s:
        items = [a for a in assignments(s, programme) if a.status == "draft"]
    if not items:
        raise ValidationError(f"no draft audits are assigned in {programme}: allocate its sample first "
                              f"(completed audits stay where they are)")
    groups: dict[str, list[AssignedAudit]] = {}
    for a in items:
        key = next((k for k in groups if same_person(k, a.auditor)), a.auditor)
        groups.setdefault(key, []).append(a)
    if auditors:
        wanted: dict[str, list[AssignedAudit]] = {}
        for name in auditors:
            match = next((k for k in groups if same_person(k, name)), None)
            if match is None:
                raise ValidationError(f"{name} has no draft audit assigned in {programme}; those who do: "
                                      f"{', '.join(sorted(groups, key=str.casefold))}")
            wanted[match] = groups[match]
        groups = wanted
    elif me:
        groups = {k: v for k, v in groups.items() if not same_person(k, me)}
        if not groups:
            raise ValidationError(f"every draft assigned in {programme} is yours, and your audits are on this "
                                  f"store already: there is no pack to write")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    total = sum(len(g) for g in groups.values())
    done, taken, out = 0, set[str](), list[AuditorPack]()
    for name in sorted(groups, key=str.casefold):
        check_cancel(cancel)
        group = groups[name]
        path = _unused(folder, pack_file_name(programme, name), taken)
        result = export_pack(store, path, kind="audit_transfer",
                             selection=Selection(audit_ids=[a.audit_id for a in group]))
        out.append(AuditorPack(name, [a.reference for a in group], result))
        done += len(group)
        report_progress(progress, done, total)
    return out
