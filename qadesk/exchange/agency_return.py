"""Agency returns: one workbook per agency section of a multi-agency audit, for partners without qadesk.

The workbook shows the section's questions and guidance, offers choices and
grades as drop-downs, and is protected so that only the answer and evidence
cells can be edited.  The case is pseudonymised: no case reference, no
practitioner, no other section's answers; a return id (the audit's internal
id and the section id) matches it back.  Importing a completed workbook
saves each answer through :func:`qadesk.services.audits.save_answer`, so the
same type, relevance and constraint rules apply as in the window; the
report lists what was taken and what was refused (question, value, reason).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy.orm import Session

from qadesk.core.errors import QadeskError, ValidationError
from qadesk.core.template import Question, Section, Template
from qadesk.exchange.output import atomic_path
from qadesk.exchange.xlsx_io import read_workbook
from qadesk.services import audits as svc

MARK = "qadesk-agency-return/1"
SHEET = "return"
FIRST_ROW = 8
_UNLOCKED = Protection(locked=False)
_HEAD = PatternFill("solid", fgColor="1F4E79")
_INPUT = PatternFill("solid", fgColor="FFF2CC")
_HINTS = {"integer": "a whole number", "decimal": "a number", "range": "a whole number", "date": "a date",
          "multi_choice": "one or more of the choices, separated by ;", "text": "text", "long_text": "text"}


def agency_sections(template: Template) -> list[Section]:
    """The sections an agency completes (those with an ``agency``)."""
    return [s for s in template.sections if s.agency]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"


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
            path = Path(folder) / f"{audit.reference}-{_slug(section.agency or section.id)}.xlsx"
        written.append(_write(path, audit.id, t, section, state))
    return written


def _write(path: Path, audit_id: str, t: Template, section: Section, state: Any) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    lists = wb.create_sheet("choices")
    lists.sheet_state = "hidden"
    ws["A1"] = f"{section.title} — agency return"
    ws["A1"].font = Font(bold=True, size=14)
    for r, (label, value) in enumerate((("Audit", t.title), ("Completed by", section.agency or ""),
                                        ("Return id", f"{audit_id}/{section.id}"),
                                        ("Format", f"{MARK} {t.key}")), start=2):
        ws.cell(row=r, column=1, value=label).font = Font(bold=True)
        _text(ws.cell(row=r, column=2), value)
    _text(ws.cell(row=6, column=1), "Answer in the yellow cells only. The case is not named here; keep it that "
                                    "way in your answers. " + (section.guidance or ""))
    ws.merge_cells(start_row=6, start_column=1, end_row=6, end_column=6)
    ws.cell(row=6, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[6].height = 60
    for c, name in enumerate(("id", "Question", "Guidance", "Answer", "Evidence note", "How to answer"), start=1):
        cell = ws.cell(row=FIRST_ROW - 1, column=c, value=name)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), _HEAD
    for letter, width in zip("ABCDEF", (14, 50, 50, 30, 40, 30), strict=True):
        ws.column_dimensions[letter].width = width
    ws.column_dimensions["A"].hidden = True
    row = FIRST_ROW
    list_col = 0
    items: list[tuple[str, str, Question | None]] = [(q.id, q.label, q) for q in section.questions]
    if section.grade_list:
        items.append((f"section:{section.id}", "Your judgement for this section", None))
    for qid, label, q in items:
        _text(ws.cell(row=row, column=1), qid)
        _text(ws.cell(row=row, column=2), label)
        _text(ws.cell(row=row, column=3), (q.guidance if q else section.guidance) or "")
        for c in (2, 3):
            ws.cell(row=row, column=c).alignment = Alignment(wrap_text=True, vertical="top")
        if q is not None and q.type == "note":
            ws.cell(row=row, column=2).font = Font(italic=True)
            row += 1
            continue
        choices = q.choices if q is not None else t.lists[section.grade_list or ""]
        answer = ws.cell(row=row, column=4)
        answer.protection, answer.fill = _UNLOCKED, _INPUT
        current = state.section_grades.get(section.id) if q is None else state.answers.get(q.id)
        if current is not None:
            _text(answer, _shown(current, choices))
        if q is not None and q.evidence != "none":
            ev = ws.cell(row=row, column=5)
            ev.protection, ev.fill = _UNLOCKED, _INPUT
            _text(ev, state.evidence.get(q.id) or "")
        hint = "one of the choices" if (q is None or q.type in ("choice", "grade")) else _HINTS.get(q.type, "")
        if q is not None and q.required is True:
            hint += " (required)"
        _text(ws.cell(row=row, column=6), hint)
        if q is None or q.type in ("choice", "grade"):
            list_col += 1
            for i, ch in enumerate(choices, start=1):
                _text(lists.cell(row=i, column=list_col), ch.label)
            col = lists.cell(row=1, column=list_col).column_letter
            _dv(ws, f"=choices!${col}$1:${col}${len(choices)}", answer.coordinate, "list")
        elif q.type in ("integer", "range", "decimal") and q.min is not None and q.max is not None:
            _dv(ws, str(q.min), answer.coordinate, "whole" if q.type != "decimal" else "decimal", str(q.max))
        row += 1
    ws.protection.sheet = True
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    ws.freeze_panes = f"A{FIRST_ROW}"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _dv(ws: Any, formula1: str, cell: str, kind: str, formula2: str | None = None) -> None:
    dv = DataValidation(type=kind, formula1=formula1, formula2=formula2,
                        operator="between" if formula2 else None, allow_blank=True, showErrorMessage=True,
                        errorTitle="Check the answer", error="This answer does not fit the question.")
    dv.add(cell)
    ws.add_data_validation(dv)


def _text(cell: Any, value: str) -> None:
    cell.value = value
    cell.data_type = "s"  # never a formula


def _shown(value: Any, choices: Any) -> str:
    labels: dict[str, str] = {c.value: c.label for c in choices}
    if isinstance(value, list):
        return "; ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(value, str(value)) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------------------- import

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
    sheets = read_workbook(path, wanted=(SHEET,))
    sheet = sheets.get(SHEET)
    cells = {number: values for number, values in (sheet.rows if sheet else [])}
    ident = cells.get(4, (None, None))[1] if len(cells.get(4, ())) > 1 else None
    mark = cells.get(5, (None, None))[1] if len(cells.get(5, ())) > 1 else None
    if not isinstance(ident, str) or "/" not in ident or not isinstance(mark, str) or not mark.startswith(MARK):
        raise ValidationError("this is not a qadesk agency return (no return id in cell B4)", str(path))
    audit_id, _, section_id = ident.strip().partition("/")
    audit = svc.get_audit(session, audit_id)
    t = svc.template_for(audit)
    if mark.split()[-1] != t.key:
        raise ValidationError(f"the return was made for {mark.split()[-1]}, but the audit now uses {t.key}", str(path))
    try:
        section = t.section(section_id)
    except KeyError:
        raise ValidationError(f"the audit's template has no section '{section_id}'", str(path)) from None
    report = ReturnReport(audit.reference, section.title)
    rows = {str(v[0]).strip(): v for n, v in sorted(cells.items()) if n >= FIRST_ROW and v and v[0]}
    for q in section.questions:
        if q.type == "note" or q.id not in rows:
            continue
        values = rows[q.id]
        raw = values[3] if len(values) > 3 else None
        evidence = values[4] if len(values) > 4 and q.evidence != "none" else ...
        if raw is None and evidence in (None, ...):
            report.blank += 1
            continue
        value = _parse(q, raw)
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
        grade = _by_label(t.lists[section.grade_list], raw)
        try:
            with session.begin_nested():
                svc.set_section_grade(session, audit.id, section.id, grade, actor=actor)
        except QadeskError as exc:
            report.refused.append((key, "Section judgement", str(raw), str(exc)))
        else:
            report.taken.append((key, "Section judgement", str(raw)))
    return report


def _by_label(choices: Any, raw: Any) -> Any:
    text = str(raw).strip().lower()
    for c in choices:
        if text in (c.label.strip().lower(), c.value.lower()):
            return c.value
    return str(raw).strip()


def _parse(q: Question, raw: Any) -> Any:
    if raw is None:
        return None
    if q.type in ("choice", "grade"):
        return _by_label(q.choices, raw)
    if q.type == "multi_choice":
        return [_by_label(q.choices, part) for part in re.split(r"[;\n]", str(raw)) if part.strip()]
    if q.type in ("text", "long_text"):
        return str(raw)
    return raw
