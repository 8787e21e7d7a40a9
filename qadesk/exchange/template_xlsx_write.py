"""Writing a template as a workbook a QA lead can edit in Excel (contracts section 2).

The workbook has ``survey``, ``choices`` and ``settings`` sheets (XLSForm's
order) plus a hidden ``types`` sheet that feeds the type column's drop-down.
Headers are styled and frozen, long text columns are wide and wrapped, and
fixed vocabularies (types, yes/no, evidence, kind, suggestion rule) are
offered as drop-downs.  User text is always written as text: a label that
starts with ``=`` never becomes a formula.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from qadesk.core.errors import ValidationError
from qadesk.core.template import EVIDENCE, KINDS, SUBJECT_FIELDS, SUGGEST_RULES, Question, Template
from qadesk.exchange.output import atomic_path
from qadesk.exchange.xlsx_text import set_text

SURVEY = ("type", "name", "label", "guidance", "required", "relevant", "constraint", "constraint_message",
          "min", "max", "weight", "evidence", "agency", "grade_list", "urgent_concern", "subject_field", "learning")
CHOICES = ("list_name", "name", "label", "score")
SETTINGS = ("form_id", "version", "title", "kind", "theme", "publisher", "description", "overall_list",
            "overall_suggest", "overall_thresholds")
WIDTHS = {"type": 24, "name": 22, "label": 48, "guidance": 60, "required": 12, "relevant": 30,
          "constraint": 24, "constraint_message": 30, "list_name": 20, "description": 60, "title": 36,
          "overall_thresholds": 40, "publisher": 28, "urgent_concern": 16, "subject_field": 16}
WRAPPED = {"label", "guidance", "description", "constraint_message", "relevant"}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
HEADER_FONT = Font(bold=True, color="FFFFFF")
SECTION_FILL = PatternFill("solid", fgColor="DDEBF7")
SECTION_FONT = Font(bold=True)
MAX_ROWS = 20_000
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TYPE_NAMES = {"choice": "select_one", "multi_choice": "select_multiple", "grade": "grade"}


def write_template_xlsx(template: Template, path: Path | str) -> Path:
    """Write ``template`` as an editable workbook; reading it back gives an equal template.

    Written to a temporary file first, so a failure leaves nothing half-written.
    """
    path = Path(path)
    wb = Workbook()
    survey = wb.active
    survey.title = "survey"
    choices = wb.create_sheet("choices")
    settings = wb.create_sheet("settings")
    types = wb.create_sheet("types")
    types.sheet_state = "hidden"

    _header(survey, SURVEY)
    for section in template.sections:
        _row(survey, SURVEY, {"type": "begin section", "name": section.id, "label": section.title,
                              "guidance": section.guidance or None, "relevant": section.relevant,
                              "agency": section.agency, "grade_list": section.grade_list}, section=True)
        for q in section.questions:
            _row(survey, SURVEY, _question_row(q))
        _row(survey, SURVEY, {"type": "end section", "name": section.id}, section=True)

    _header(choices, CHOICES)
    for name, items in template.lists.items():
        for c in items:
            _row(choices, CHOICES, {"list_name": name, "name": c.value, "label": c.label, "score": c.score})
    for q in template.questions():
        if q.inline_choices:
            for c in q.choices:
                _row(choices, CHOICES, {"list_name": f"_{q.id}", "name": c.value, "label": c.label, "score": c.score})

    _header(settings, SETTINGS)
    o = template.overall
    thresholds = ", ".join(f"{v}:{_number_text(m)}" for m, v in o.thresholds) or None
    _row(settings, SETTINGS, {"form_id": template.id, "version": template.version, "title": template.title,
                              "kind": template.kind, "theme": template.theme, "publisher": template.publisher,
                              "description": template.description, "overall_list": o.list,
                              "overall_suggest": o.suggest, "overall_thresholds": thresholds})

    allowed = [*("text", "long_text", "integer", "decimal", "date", "range", "note"),
               *(f"{kind} {name}" for name in template.lists for kind in ("select_one", "select_multiple", "grade")),
               "begin section", "end section"]
    for i, value in enumerate(allowed, start=1):
        types.cell(row=i, column=1, value=value)
    _validate(survey, SURVEY, "type", f"={quote_sheetname('types')}!$A$1:$A${len(allowed)}")
    _validate(survey, SURVEY, "required", '"yes,no"')
    _validate(survey, SURVEY, "evidence", '"' + ",".join(EVIDENCE) + '"')
    _validate(survey, SURVEY, "subject_field", '"' + ",".join(SUBJECT_FIELDS) + '"')
    _validate(survey, SURVEY, "learning", '"yes,no"')
    _validate(settings, SETTINGS, "kind", '"' + ",".join(KINDS) + '"')
    _validate(settings, SETTINGS, "overall_suggest", '"' + ",".join(SUGGEST_RULES) + '"')

    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _question_row(q: Question) -> dict[str, Any]:
    if q.type in _TYPE_NAMES:
        qtype = f"{_TYPE_NAMES[q.type]} {'_' + q.id if q.inline_choices else q.list}"
    else:
        qtype = q.type
    required = "yes" if q.required is True else None if q.required is False else q.required
    return {"type": qtype, "name": q.id, "label": q.label, "guidance": q.guidance or None, "required": required,
            "relevant": q.relevant, "constraint": q.constraint, "constraint_message": q.constraint_message,
            "min": q.min, "max": q.max, "weight": None if q.weight == 1.0 else q.weight,
            "evidence": None if q.evidence == "none" else q.evidence,
            "urgent_concern": ", ".join(q.urgent_concern) or None, "subject_field": q.subject_field,
            "learning": None if q.learning is None else "yes" if q.learning else "no"}


def _number_text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _header(ws: Worksheet, columns: tuple[str, ...]) -> None:
    for i, name in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=i, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(name, 14)
    ws.freeze_panes = "A2"


def _row(ws: Worksheet, columns: tuple[str, ...], values: dict[str, Any], section: bool = False) -> None:
    r = ws.max_row + 1
    if r > MAX_ROWS:
        raise ValidationError(f"the template needs more than {MAX_ROWS:,} rows on the {ws.title} sheet, the limit")
    for i, name in enumerate(columns, start=1):
        value = values.get(name)
        cell = ws.cell(row=r, column=i)
        if isinstance(value, str):
            value = value.replace("\r\n", "\n").replace("\r", "\n")
            if _ILLEGAL.search(value):
                raise ValidationError(f"{ws.title} row {r} ({name}): the text holds a control character that "
                                      f"Excel cannot store")
            set_text(cell, value)  # text stays text, even "=1+1" or "007"
        elif isinstance(value, float):
            # openpyxl writes 15 significant digits; keep exact values exact by writing them as text.
            cell.value = (int(value) if value.is_integer() and abs(value) < 2**53
                          else value if float(f"{value:.15g}") == value else repr(value))
        elif value is not None:
            cell.value = value
        cell.alignment = Alignment(wrap_text=name in WRAPPED, vertical="top")
        if section:
            cell.fill = SECTION_FILL
            cell.font = SECTION_FONT


def _validate(ws: Worksheet, columns: tuple[str, ...], column: str, formula: str) -> None:
    letter = get_column_letter(columns.index(column) + 1)
    dv = DataValidation(type="list", formula1=formula, allow_blank=True, errorStyle="warning",
                        showErrorMessage=True, error="This is not one of the usual values; keep it anyway?",
                        errorTitle="Check the value")
    dv.add(f"{letter}2:{letter}{MAX_ROWS}")
    ws.add_data_validation(dv)
