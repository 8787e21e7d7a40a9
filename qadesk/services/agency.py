"""Agency returns of a multi-agency audit: workbooks out to partner agencies without qadesk, and answers back.

Export picks the audit's agency sections and has :mod:`qadesk.exchange.agency_return` write one
workbook each, with the answers so far.  Import reads a completed workbook back and saves each
answer through :func:`qadesk.services.audits.save_answer` (strict), so the same type, relevance and
constraint rules apply as in the window; the report lists what was taken and what was refused
(question, value, reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from qadesk.core.errors import QadeskError, ValidationError
from qadesk.exchange.agency_return import (
    agency_sections,
    by_label,
    parse_answer,
    read_return,
    return_file_name,
    write_return_workbook,
)
from qadesk.services import audits as svc


def export_returns(session: Session, audit_id: str, folder: Path | str | None = None, *,
                   agency: str | None = None, to_file: Path | str | None = None) -> list[Path]:
    """Write the agency returns of one audit; the paths written.

    Without ``agency``: one workbook per agency section into ``folder``.
    With ``agency``: that agency's section into ``to_file`` (or ``folder``).
    """
    audit = svc.get_audit(session, audit_id)
    t = svc.template_for(audit)
    sections = agency_sections(t)
    if not sections:
        raise ValidationError(f"{audit.reference} uses {t.key}, which has no agency sections; agency returns are "
                              f"for multi-agency audits")
    if agency is not None:
        sections = [s for s in sections if (s.agency or "").lower() == agency.strip().lower()
                    or s.id == agency.strip()]
        if not sections:
            names = ", ".join(s.agency or "" for s in agency_sections(t))
            raise ValidationError(f"no section of {t.key} is completed by '{agency}'; the agencies are: {names}")
    state = svc.state_of(audit)
    written = []
    for section in sections:
        if to_file is not None and len(sections) == 1:
            path = Path(to_file)
        else:
            if folder is None:
                raise ValidationError("give a folder for several returns")
            Path(folder).mkdir(parents=True, exist_ok=True)
            path = Path(folder) / return_file_name(audit.reference, section)
        written.append(write_return_workbook(path, audit.id, t, section, state))
    return written


@dataclass
class ReturnReport:
    """What an imported return did: ``taken`` and ``refused`` are (question, label, value[, reason])."""

    audit_reference: str
    section_title: str
    taken: list[tuple[str, str, str]] = field(default_factory=list)
    refused: list[tuple[str, str, str, str]] = field(default_factory=list)
    blank: int = 0

    def describe(self) -> str:
        lines = [f"Agency return for {self.audit_reference}, section '{self.section_title}': "
                 f"{len(self.taken)} taken, {len(self.refused)} refused, {self.blank} left blank."]
        lines += [f"  taken    {qid}: {value}" for qid, _, value in self.taken]
        lines += [f"  refused  {qid}: '{value}' — {reason}" for qid, _, value, reason in self.refused]
        return "\n".join(lines)


def import_return(session: Session, path: Path | str, *, actor: str) -> ReturnReport:
    """Read a completed return and save its answers into the audit; the report of what was taken."""
    returned = read_return(path)
    audit = svc.get_audit(session, returned.audit_id)
    t = svc.template_for(audit)
    if returned.template_key != t.key:
        raise ValidationError(f"the return was made for {returned.template_key}, but the audit now uses {t.key}",
                              str(path))
    try:
        section = t.section(returned.section_id)
    except KeyError:
        raise ValidationError(f"the audit's template has no section '{returned.section_id}'", str(path)) from None
    report = ReturnReport(audit.reference, section.title)
    rows = returned.rows
    for q in section.questions:
        if q.type == "note" or q.id not in rows:
            continue
        values = rows[q.id]
        raw = values[3] if len(values) > 3 else None
        evidence = values[4] if len(values) > 4 and q.evidence != "none" else ...
        if raw is None and evidence in (None, ...):
            report.blank += 1
            continue
        value = parse_answer(q, raw)
        shown = "" if raw is None else str(raw)
        try:
            with session.begin_nested():
                svc.save_answer(session, audit.id, q.id, value, actor=actor, strict=True,
                                evidence=str(evidence) if evidence not in (None, ...) else evidence)
        except QadeskError as exc:
            report.refused.append((q.id, q.label, shown, getattr(exc, "message", str(exc))))
        else:
            report.taken.append((q.id, q.label, shown))
    key = f"section:{section.id}"
    if section.grade_list and key in rows and len(rows[key]) > 3 and rows[key][3] is not None:
        raw = rows[key][3]
        grade = by_label(t.lists[section.grade_list], raw)
        try:
            with session.begin_nested():
                svc.set_section_grade(session, audit.id, section.id, grade, actor=actor)
        except QadeskError as exc:
            report.refused.append((key, "Section judgement", str(raw), str(exc)))
        else:
            report.taken.append((key, "Section judgement", str(raw)))
    return report
