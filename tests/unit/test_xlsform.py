"""XLSForm workbooks written the way ODK and KoboToolbox users write them (content made up)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from qadesk.core.errors import ValidationError
from qadesk.exchange.template_xlsx import read_template_xlsx, read_template_xlsx_report
from tests.helpers.workbooks import book

KOBO_SURVEY = [
    ("type", "name", "label::English (en)", "label::Cymraeg (cy)", "hint::English (en)", "hint::Cymraeg (cy)",
     "required", "relevant", "appearance", "constraint", "constraint_message::English (en)"),
    ("start", "start"), ("end", "end"), ("today", "today"),
    ("begin_group", "home_visits", "Home visits", "Ymweliadau cartref", "What good looks like: regular visits",
     "Sut olwg sydd ar arfer da"),
    ("select_one yn", "seen_alone", "Was the child seen alone?", "A welwyd y plentyn ar ei ben ei hun?",
     "Check the visit records", "Gwiriwch y cofnodion", "yes"),
    ("text", "why_not", "Why not?", "Pam lai?", None, None, "yes", "${seen_alone} = 'no'", "multiline"),
    ("integer", "visits", "Visits in the last three months", "Ymweliadau", None, None, None, None, None,
     ". >= 0 and . < 100", "Between 0 and 99"),
    ("end_group",),
    ("begin_group", "plan", "The plan", "Y cynllun"),
    ("select_multiple needs", "needs", "Which needs does the plan address?", "Pa anghenion?"),
    ("date", "reviewed", "Date last reviewed", "Dyddiad"),
    ("note", "plan_note", "Look at the most recent plan.", "Edrychwch ar y cynllun."),
    ("end_group",),
]
KOBO_CHOICES = [("list_name", "name", "label::English (en)", "label::Cymraeg (cy)"),
                ("yn", "yes", "Yes", "Ydy"), ("yn", "no", "No", "Nac ydy"),
                ("needs", "health", "Health", "Iechyd"), ("needs", "education", "Education", "Addysg")]
KOBO_SETTINGS = [("form_title", "form_id", "version", "default_language"),
                 ("Home visit check", "home_visit_check", "2024031501", "English (en)")]


def test_kobo_form_with_groups_hints_and_two_languages(tmp_path: Path) -> None:
    path = book(tmp_path / "kobo.xlsx", KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS)
    t, warnings = read_template_xlsx_report(path)
    assert t.id == "home-visit-check"
    assert t.version == 884001  # 15 Mar 2024, revision 01: days since 2000 x 100 + 1
    assert [s.id for s in t.sections] == ["home_visits", "plan"]
    assert t.section("home_visits").guidance == "What good looks like: regular visits"
    seen = t.question("seen_alone")
    assert seen.label == "Was the child seen alone?" and seen.required is True
    assert seen.guidance == "Check the visit records"
    assert t.question("why_not").type == "long_text"
    assert t.question("why_not").relevant == "${seen_alone} = 'no'"
    assert t.question("visits").constraint_message == "Between 0 and 99"
    assert t.question("needs").type == "multi_choice"
    assert t.overall.list == "ofsted4"
    assert sum("form metadata" in w for w in warnings) == 3
    assert any("version '2024031501'" in w for w in warnings)


def test_language_can_be_chosen(tmp_path: Path) -> None:
    path = book(tmp_path / "kobo.xlsx", KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS)
    t = read_template_xlsx(path, language="cy")
    assert t.question("seen_alone").label.startswith("A welwyd")
    assert t.list_choices("yn")[0].label == "Ydy"
    with pytest.raises(ValidationError, match="no labels in 'fr'"):
        read_template_xlsx(path, language="fr")


ODK_SURVEY = [
    ("type", "name", "label:English", "label:French", "hint:English", "required"),
    ("begin group", "case", "The case", "Le dossier"),
    ("select one from yn", "open", "Is the case open?", "Ouvert?", None, "true"),
    ("begin repeat", "children", "Each child", "Chaque enfant"),
    ("text", "child_name", "First name", "Prénom"),
    ("end repeat",),
    ("geopoint", "home", "Where is the home?", "Où?"),
    ("image", "photo", "Photo of the plan", "Photo"),
    ("calculate", "total", "Total", "Total"),
    ("end group",),
    ("begin group", "outer", "Outer", "Extérieur"),
    ("begin group", "inner", "Inner", "Intérieur", None, None),
    ("range", "score", "Scaling 0 to 10", "Échelle"),
    ("end group",),
    ("end group",),
]
ODK_CHOICES = [("list name", "name", "label:English", "label:French"), ("yn", "yes", "Yes", "Oui"),
               ("yn", "no", "No", "Non")]
ODK_SETTINGS = [("form_title", "form_id", "version"), ("Case check", "case-check", "3")]


def test_what_qadesk_cannot_represent_is_refused_row_by_row_in_one_error(tmp_path: Path) -> None:
    path = book(tmp_path / "odk.xlsx", ODK_SURVEY, ODK_CHOICES, ODK_SETTINGS)
    with pytest.raises(ValidationError) as info:
        read_template_xlsx(path)
    wheres = [p.where for p in info.value.problems]
    assert wheres == ["survey!A4 (type)", "survey!A7 (type)", "survey!A8 (type)", "survey!A9 (type)"]
    text = str(info.value)
    assert "repeat" in text and "location" in text and "photo" in text and "calculation" in text


def test_lenient_import_skips_with_a_warning_each(tmp_path: Path) -> None:
    path = book(tmp_path / "odk.xlsx", ODK_SURVEY, ODK_CHOICES, ODK_SETTINGS)
    t, warnings = read_template_xlsx_report(path, lenient=True)
    assert t.key == "case-check@3"
    assert [q.id for q in t.questions()] == ["open", "inner", "score"]
    assert t.question("open").required is True and t.question("open").type == "choice"
    score = t.question("score")
    assert (score.type, score.min, score.max) == ("range", 1, 10)
    skipped = [w for w in warnings if w.endswith("skipped")]
    assert [w.split(":")[0] for w in skipped] == ["survey!A4 (type)", "survey!A7 (type)", "survey!A8 (type)",
                                                  "survey!A9 (type)"]
    assert any("'inner' is inside another group" in w for w in warnings)
    assert "child_name" not in {q.id for q in t.questions()}


def test_sheet_formatted_to_the_last_row_imports_quickly(tmp_path: Path) -> None:
    path = book(tmp_path / "styled.xlsx", KOBO_SURVEY, KOBO_CHOICES, KOBO_SETTINGS)
    wb = openpyxl.load_workbook(path)
    ws = wb["survey"]
    for r in range(30, 5000):
        ws.cell(row=r, column=1).number_format = "@"
    ws.cell(row=1_048_576, column=1).number_format = "@"
    wb.save(path)
    t = read_template_xlsx(path)
    assert len(list(t.questions())) == 6


def test_errors_in_an_xlsform_point_at_the_cell(tmp_path: Path) -> None:
    survey = [("type", "name", "label", "hint", "relevant"), ("begin group", "g", "Group"),
              ("integer", "n", "How many?", None, "${missing} > 1"), ("text", "n2", None), ("end group",)]
    path = book(tmp_path / "bad.xlsx", survey, None, [("form_title", "form_id", "version"), ("Bad", "bad", 1)])
    with pytest.raises(ValidationError) as info:
        read_template_xlsx(path)
    wheres = {p.where for p in info.value.problems}
    assert "survey!E3 (relevant)" in wheres
    assert "survey!C4 (label)" in wheres


def test_an_xlsform_without_groups_gets_one_section(tmp_path: Path) -> None:
    survey = [("type", "name", "label"), ("text", "a", "A?"), ("select_one yn", "b", "B?")]
    path = book(tmp_path / "flat.xlsx", survey, [("list_name", "name", "label"), ("yn", "yes", "Yes")],
                [("form_title", "form_id", "version", "kind"), ("Flat", "flat", "1.2", "supervision")])
    t, warnings = read_template_xlsx_report(path)
    assert len(t.sections) == 1 and t.sections[0].title == "Flat"
    assert t.version == 10200 and t.kind == "supervision"
