"""The Excel return read back with openpyxl: sheets, types, text stays text, stable columns."""

from __future__ import annotations

import copy
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from qadesk.services import audits as svc
from qadesk.services.queries import Selection
from qadesk.services.reporting import write_report
from qadesk.services.stats import compute
from tests.helpers.exports import ALL_TYPES_TEMPLATE, import_dict, make_audits

A = "Test Auditor"
FORMULAS = ["=1+1", "+44 20 7946 0000", "-5 is not a sum", "@SUM(A1:A9)", "=HYPERLINK(\"http://x\")"]


@pytest.fixture
def versions(loaded_store):
    """Two versions of one template: v2 drops q_int and a choice, and adds q_new at the top."""
    import_dict(loaded_store, ALL_TYPES_TEMPLATE)
    v2 = copy.deepcopy(ALL_TYPES_TEMPLATE)
    v2["version"] = 2
    qs = v2["sections"][0]["questions"]
    v2["sections"][0]["questions"] = [{"id": "q_new", "type": "text", "label": "A new question"}] + [
        q for q in qs if q["id"] != "q_int"]
    v2["lists"]["tools"] = [c for c in v2["lists"]["tools"] if c["value"] != "ecomap"]
    import_dict(loaded_store, v2)
    ids = {}
    with loaded_store.transaction() as s:
        for version, text in ((1, FORMULAS[0]), (2, FORMULAS[3])):
            a = svc.start_audit(s, "every-type-test", svc.Subject("CR-55", "CP", "Assessment 2", "Alex Fictional"),
                                svc.Actor(A), version=version)
            svc.save_answer(s, a.id, "q_text", text, actor=A, evidence=FORMULAS[1])
            svc.save_answer(s, a.id, "q_date", "2026-11-25", actor=A)
            svc.save_answer(s, a.id, "q_multi", ["genogram", "three_houses"], actor=A)
            svc.save_answer(s, a.id, "q_range", 6, actor=A)
            if version == 1:
                svc.save_answer(s, a.id, "q_int", 42, actor=A)
            else:
                svc.save_answer(s, a.id, "q_new", "only in v2", actor=A)
            svc.set_summary(s, a.id, "strengths", FORMULAS[2], actor=A)
            svc.add_action(s, a.id, FORMULAS[4], actor=A, owner="=owner", due=date(2026, 12, 1))
            ids[version] = a.id
    return loaded_store, ids


def test_sheets_headers_filters_and_types(versions, tmp_path):
    store, _ = versions
    path = write_report(store, tmp_path / "return.xlsx", Selection(), today=date(2026, 12, 20))
    wb = load_workbook(path)
    assert wb.sheetnames == ["Summary", "Audits", "Answers", "every-type-test", "Actions", "Moderation", "Agreement"]
    for name in ("Audits", "Answers", "Actions", "Moderation"):
        ws = wb[name]
        assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:")
        assert ws.column_dimensions["A"].width >= 10
    audits = wb["Audits"]
    header = [c.value for c in audits[1]]
    started = audits.cell(2, header.index("Started") + 1)
    assert isinstance(started.value, datetime) and started.is_date
    assert audits.cell(2, header.index("Case reference") + 1).value == "CR-55"
    answers = wb["Answers"]
    assert [c.value for c in answers[1]] == ["Audit", "Template id", "Version", "Section", "Question id", "Question",
                                             "Answer", "Score", "Evidence"]
    rows = [[c.value for c in r] for r in answers.iter_rows(min_row=2)]
    shown = {(r[2], r[4]): r[6] for r in rows}
    assert shown[(1, "q_multi")] == "Genogram; Three houses" and shown[(1, "q_date")] == "25 Nov 2026"
    actions = wb["Actions"]
    due = actions.cell(2, 5)
    assert due.is_date and due.value.date() == date(2026, 12, 1)
    assert actions.cell(2, 8).value == "Yes"  # overdue on 20 Dec 2026


def test_user_text_that_looks_like_a_formula_stays_text(versions, tmp_path):
    store, _ = versions
    path = write_report(store, tmp_path / "return.xlsx", Selection())
    wb = load_workbook(path)
    found = {}
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value in FORMULAS + ["=owner"]:
                    found.setdefault(c.value, []).append(c)
    assert set(found) == set(FORMULAS) | {"=owner"}
    for cells in found.values():
        for c in cells:
            assert c.data_type == "s", (c.coordinate, c.value)
            if c.value.startswith(("=", "+", "-", "@")):
                assert c.quotePrefix
    assert found["=1+1"][0].value.startswith("=")


def test_wide_sheet_columns_stay_put_across_versions(versions, tmp_path):
    store, ids = versions
    path = write_report(store, tmp_path / "return.xlsx", Selection())
    ws = load_workbook(path)["every-type-test"]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref.startswith("A2:")
    ids_row = [c.value for c in ws[2]]
    qcols = ids_row[7:]  # after Audit, Version, Status, Team, Started, Final grade, Auditor's grade
    v1_order = ["q_text", "q_long", "q_int", "q_dec", "q_date", "q_range", "q_choice", "q_why", "q_multi", "q_grade"]
    assert qcols == ["judgement.all", *v1_order, "q_new"]
    labels = [c.value for c in ws[1]]
    assert labels[ids_row.index("q_new")] == "A new question"
    by_version = {r[1]: dict(zip(ids_row, r, strict=True)) for r in ws.iter_rows(min_row=3, values_only=True)}
    assert by_version[1]["q_int"] == 42 and by_version[1]["q_new"] is None
    assert by_version[2]["q_int"] is None and by_version[2]["q_new"] == "only in v2"
    assert by_version[2]["q_range"] == 6 and isinstance(by_version[2]["q_date"], datetime)


def test_summary_sheet_has_the_same_counts_as_the_report(loaded_store, tmp_path):
    make_audits(loaded_store, 5)
    path = write_report(loaded_store, tmp_path / "r.xlsx", Selection(), today=date(2026, 12, 20))
    ws = load_workbook(path)["Summary"]
    values = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r and r[0]}
    with loaded_store.session() as s:
        st = compute(s, today=date(2026, 12, 20))
    assert values["Audits in the selection"] == st.audits == 5
    assert values["Audits completed"] == st.completed
    assert values["Actions overdue"] == st.actions_overdue == 5
    assert values["Grades by team"] == "Graded"
    assert values["Assessment 2"] == sum(st.grades_by_team["Assessment 2"].values())


def test_large_text_is_clipped_to_what_a_cell_holds(loaded_store, tmp_path):
    import_dict(loaded_store, ALL_TYPES_TEMPLATE)
    with loaded_store.transaction() as s:
        a = svc.start_audit(s, "every-type-test", svc.Subject("CR-1"), svc.Actor(A))
        svc.save_answer(s, a.id, "q_long", "word " * 20_000 + "\x07bell", actor=A)
    ws = load_workbook(write_report(loaded_store, tmp_path / "r.xlsx"))["Answers"]
    value = ws.cell(2, 7).value
    assert 32_000 <= len(value) <= 32_767 and value.endswith("(cut: the full text is in qadesk)")
