"""Agency returns: one workbook per agency section of a multi-agency audit, for partners without qadesk.

The workbook shows the section's questions and guidance, offers choices and
grades as drop-downs, and is protected so that only the answer and evidence
cells can be edited.  The case is pseudonymised: no case reference, no
practitioner, no other section's answers; a return id (the audit's internal
id and the section id) matches it back.  :func:`read_return` reads a completed
workbook back as plain values; :mod:`qadesk.services.agency` saves each answer
through :func:`qadesk.services.audits.save_answer`, so the same type, relevance
and constraint rules apply as in the window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from qadesk.core.audit import AuditState
from qadesk.core.errors import ValidationError
from qadesk.core.template import Question, Section, Template
from qadesk.exchange.output import atomic_path
from qadesk.exchange.xlsx_io import read_workbook
from qadesk.exchange.xlsx_text import set_text

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


def return_file_name(audit_reference: str, section: Section) -> str:
    """The file name of a section's return when several are written into one folder."""
    return f"{audit_reference}-{_slug(section.agency or section.id)}.xlsx"


def write_return_workbook(path: Path, audit_id: str, t: Template, section: Section, state: AuditState) -> Path:
    """Write the return of one agency section of an audit, with the answers it has so far, to ``path``."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    lists = wb.create_sheet("choices")
    lists.sheet_state = "hidden"
    _text(ws["A1"], f"{section.title} — agency return")
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
    set_text(cell, value)  # never a formula


def _shown(value: Any, choices: Any) -> str:
    labels: dict[str, str] = {c.value: c.label for c in choices}
    if isinstance(value, list):
        return "; ".join(labels.get(str(v), str(v)) for v in value)
    return labels.get(value, str(value)) if isinstance(value, str) else str(value)


# --------------------------------------------------------------------------------------- import

@dataclass(frozen=True)
class ReturnFile:
    """A completed return as read: which audit and section it answers, and its rows by question id.

    A row is the cells from column A on (id, question, guidance, answer, evidence note, ...); the
    section's judgement is the row ``section:<section id>``.
    """

    audit_id: str
    section_id: str
    template_key: str
    rows: dict[str, tuple[Any, ...]]


def read_return(path: Path | str) -> ReturnFile:
    """Read a completed return; :class:`ValidationError` if the workbook is not a qadesk agency return."""
    sheets = read_workbook(path, wanted=(SHEET,))
    sheet = sheets.get(SHEET)
    cells = {number: values for number, values in (sheet.rows if sheet else [])}
    ident = cells.get(4, (None, None))[1] if len(cells.get(4, ())) > 1 else None
    mark = cells.get(5, (None, None))[1] if len(cells.get(5, ())) > 1 else None
    if not isinstance(ident, str) or "/" not in ident or not isinstance(mark, str) or not mark.startswith(MARK):
        raise ValidationError("this is not a qadesk agency return (no return id in cell B4)", str(path))
    audit_id, _, section_id = ident.strip().partition("/")
    rows = {str(v[0]).strip(): tuple(v) for n, v in sorted(cells.items()) if n >= FIRST_ROW and v and v[0]}
    return ReturnFile(audit_id, section_id, mark.split()[-1], rows)


def by_label(choices: Any, raw: Any) -> Any:
    """The value of the choice whose label (or value) a return cell gives; the text itself if none."""
    text = str(raw).strip().lower()
    for c in choices:
        if text in (c.label.strip().lower(), c.value.lower()):
            return c.value
    return str(raw).strip()


def parse_answer(q: Question, raw: Any) -> Any:
    """A return cell as an answer value of the question (choices by their labels)."""
    if raw is None:
        return None
    if q.type in ("choice", "grade"):
        return by_label(q.choices, raw)
    if q.type == "multi_choice":
        return [by_label(q.choices, part) for part in re.split(r"[;\n]", str(raw)) if part.strip()]
    if q.type in ("text", "long_text"):
        return str(raw)
    return raw
