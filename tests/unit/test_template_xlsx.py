"""Excel templates (contracts section 2): lossless round trips, located errors, cost bounded by content."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings

from qadesk.core.errors import ValidationError
from qadesk.core.template import template_from_dict
from qadesk.exchange.template_json import read_template_json
from qadesk.exchange.template_xlsx import read_template_xlsx, write_template_xlsx
from qadesk.exchange.templates import read_template, write_template
from tests.conftest import FORMS
from tests.helpers.workbooks import CHOICES_HEADER, SETTINGS_HEADER, SURVEY_HEADER, book, dozen_mistakes
from tests.unit.template_strategies import templates

SHIPPED = sorted(FORMS.glob("*.json"))


@pytest.mark.parametrize("form", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_template_round_trips_json_excel_json(form: Path, tmp_path: Path) -> None:
    original = read_template_json(form)
    xlsx = write_template_xlsx(original, tmp_path / "t.xlsx")
    back = read_template_xlsx(xlsx)
    assert back == original
    assert back.fingerprint() == original.fingerprint()
    again = read_template(write_template(back, tmp_path / "t.json"))
    assert again.to_dict() == original.to_dict()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(data=templates())
def test_generated_templates_round_trip(data: dict, tmp_path: Path) -> None:
    original = template_from_dict(data)
    back = read_template_xlsx(write_template_xlsx(original, tmp_path / "g.xlsx"))
    assert back == original


def test_a_dozen_mistakes_give_a_dozen_located_errors(tmp_path: Path) -> None:
    path, expected = dozen_mistakes(tmp_path / "mistakes.xlsx")
    with pytest.raises(ValidationError) as info:
        read_template_xlsx(path)
    problems = info.value.problems
    assert len(expected) >= 12
    for where, fragment in expected:
        hits = [p for p in problems if p.where == where]
        assert hits, f"nothing reported at {where}; got {[str(p) for p in problems]}"
        assert any(fragment in p.message for p in hits), (where, [p.message for p in hits])
    assert len(problems) == len(expected), [str(p) for p in problems]
    # In reading order: settings first, then the survey row by row.
    rows = [int(''.join(ch for ch in p.where.split("!")[1].split()[0] if ch.isdigit())) for p in problems
            if p.where.startswith("survey!")]
    assert rows == sorted(rows)


def test_written_workbook_is_made_for_people(tmp_path: Path) -> None:
    t = read_template_json(FORMS / "regular-case-audit.json")
    wb = openpyxl.load_workbook(write_template_xlsx(t, tmp_path / "r.xlsx"))
    survey = wb["survey"]
    assert wb.sheetnames[:3] == ["survey", "choices", "settings"]
    assert survey.freeze_panes == "A2"
    assert survey["A1"].font.bold and survey["A1"].value == "type"
    assert survey.column_dimensions["D"].width >= 50  # guidance
    assert survey["D3"].alignment.wrap_text
    validations = {str(dv.sqref).split(":")[0]: dv for dv in survey.data_validations.dataValidation}
    assert validations["A2"].type == "list" and "types" in validations["A2"].formula1
    assert wb["types"].sheet_state == "hidden"
    assert any(c.value == "select_one yes_no_na" for c in wb["types"]["A"])


def test_text_starting_with_equals_stays_text(tmp_path: Path) -> None:
    data = read_template_json(FORMS / "regular-case-audit.json").to_dict()
    data["sections"][0]["questions"][0]["label"] = "=HYPERLINK(\"http://example.invalid\")"
    data["description"] = "=1+1"
    t = template_from_dict(data)
    path = write_template_xlsx(t, tmp_path / "eq.xlsx")
    wb = openpyxl.load_workbook(path)
    assert all(c.data_type != "f" for row in wb["survey"].iter_rows() for c in row)
    assert read_template_xlsx(path) == t


def _minimal(tmp_path: Path, name: str = "m.xlsx", extra_survey: list | None = None) -> Path:
    survey = [("Type", "LABEL", "name"), ("begin section", "Visits", "visits"),
              ("select_one yes_no", "Seen alone?", "seen"), (None, None, None),
              ("text", "Why not?", "why"), ("end section", None, None), *(extra_survey or [])]
    return book(tmp_path / name, survey, [CHOICES_HEADER, ("yes_no", "yes", "Yes", 1), ("yes_no", "no", "No", 0)],
                [SETTINGS_HEADER, ("visit-check", "2", "Visit check", "regular", None, None, None, "yes_no")])


def test_headers_any_case_any_order_and_blank_rows_ignored(tmp_path: Path) -> None:
    t = read_template_xlsx(_minimal(tmp_path))
    assert t.key == "visit-check@2"
    assert [q.id for q in t.questions()] == ["seen", "why"]


def test_sheet_formatted_to_the_last_row_costs_what_its_content_costs(tmp_path: Path) -> None:
    path = _minimal(tmp_path)
    wb = openpyxl.load_workbook(path)
    ws = wb["survey"]
    # Styled cells far down and a dimension claiming A1:Z1048576, as real workbooks often have.
    for r in range(20, 3000):
        ws.cell(row=r, column=3).number_format = "@"
    ws.cell(row=1_048_576, column=26).number_format = "@"
    wb.save(path)
    # Read whole and right; what it costs is a figure of tests/benchmarks/bench_xlsx_import.py.
    t = read_template_xlsx(path)
    assert len(list(t.questions())) == 2


def test_inline_choices_list_used_twice_is_reported(tmp_path: Path) -> None:
    survey = [SURVEY_HEADER, ("begin section", "s"), ("select_one _own", "a", "A"), ("select_one _own", "b", "B"),
              ("end section",)]
    path = book(tmp_path / "i.xlsx", [(r + (None,) * 14)[:14] if len(r) < 3 else (r[0], r[1], r[2]) + (None,) * 11
                                      for r in survey],
                [CHOICES_HEADER, ("_own", "x", "X", None), ("ofsted4", "good", "Good", 3)],
                [SETTINGS_HEADER, ("t", 1, "T", "regular", None, None, None, "ofsted4")])
    with pytest.raises(ValidationError) as info:
        read_template_xlsx(path)
    assert any(p.where == "choices!A2 (list_name)" and "a, b" in p.message for p in info.value.problems)


def test_missing_sheets_are_named(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "notes"
    wb.save(tmp_path / "empty.xlsx")
    with pytest.raises(ValidationError) as info:
        read_template_xlsx(tmp_path / "empty.xlsx", xlsform=False)
    text = str(info.value)
    assert "no 'settings' sheet" in text and "no 'survey' sheet" in text
