"""Workbooks written the way people write them, for the template import tests (all content made up)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl

Rows = Iterable[Sequence[object]]


def book(path: Path, survey: Rows, choices: Rows | None = None, settings: Rows | None = None) -> Path:
    """A workbook with survey, choices and settings sheets, as given."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    for r in survey:
        ws.append(list(r))
    for name, rows in (("choices", choices), ("settings", settings)):
        if rows is not None:
            sheet = wb.create_sheet(name)
            for r in rows:
                sheet.append(list(r))
    wb.save(path)
    return path


SETTINGS_HEADER = ("form_id", "version", "title", "kind", "theme", "publisher", "description", "overall_list",
                   "overall_suggest", "overall_thresholds")
SURVEY_HEADER = ("type", "name", "label", "guidance", "required", "relevant", "constraint",
                 "constraint_message", "min", "max", "weight", "evidence", "agency", "grade_list")
CHOICES_HEADER = ("list_name", "name", "label", "score")
GOOD_CHOICES = [CHOICES_HEADER, ("ofsted4", "good", "Good", 3), ("ofsted4", "ri", "Requires improvement", 2),
                ("yes_no", "yes", "Yes", 1), ("yes_no", "no", "No", 0)]


def dozen_mistakes(path: Path) -> tuple[Path, list[tuple[str, str]]]:
    """A qadesk template workbook with twelve different mistakes; and where each should be reported."""
    settings = [SETTINGS_HEADER, ("Visit Audit", 1, "Visits", "thematic", None, "Example Council", None,
                                  "ofsted4", "mean_score", "good:2.5, ri-1.5")]
    survey = [
        SURVEY_HEADER + ("guidence",),                                                      # 1 unknown column
        ("begin section", "visits", "Visits", None, None, None, None, None, None, None, None, None, None,
         "grades"),                                                                         # 2 unknown grade list
        ("select_one yes_no", "seen", "Seen alone?", None, "maybe so"),                      # 3 bad required
        ("text", "why", None, None, None, "${seen} = 'no'"),                                  # 4 missing label
        ("integer", "visits_n", "How many visits?", None, None, None, None, None, 10, 2),   # 5 min >= max
        ("select_one nolist", "mood", "Mood?"),                                             # 6 unknown list
        ("text", "seen", "Seen again?"),                                                    # 7 duplicate name
        ("textbox", "notes", "Notes"),                                                      # 8 unknown type
        ("date", "when", "When?", None, None, "${sene} = 'yes'"),                           # 9 unknown reference
        ("decimal", "hours", "Hours", None, None, None, None, None, None, None, None, "sometimes"),  # 10 evidence
        ("text", "about", "About", None, None, None, None, None, None, None, None, None, "Police"),  # 11 agency
        ("end section",),
    ]
    book(path, survey, GOOD_CHOICES, settings)
    expected = [
        ("survey!O1 (guidence)", "unknown column"),
        ("settings!A2 (form_id)", "template id"),
        ("settings!E2 (theme)", "theme"),
        ("settings!J2 (overall_thresholds)", "value:min"),
        ("survey!N2 (grade_list)", "grade"),
        ("survey!E3 (required)", "maybe"),
        ("survey!C4 (label)", "'label' is missing"),
        ("survey!I5 (min)", "must be less than"),
        ("survey!A6 (type)", "nolist"),
        ("survey!B7 (name)", "already used on row 3"),
        ("survey!A8 (type)", "unknown type"),
        ("survey!F9 (relevant)", "${sene}"),
        ("survey!L10 (evidence)", "evidence"),
        ("survey!M11 (agency)", "begin section"),
    ]
    return path, expected
