"""Case lists in: every bad row found and located, nothing of a refused file stored, Annex A recognised,
re-imports updating by reference with history, names never stored. Real files, a real store."""

from __future__ import annotations

import codecs
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from qadesk.core.cases import ColumnMapping, age_band, case_type_code, normalise_header
from qadesk.services import audits as audit_svc
from qadesk.services import cases as svc
from qadesk.store.history import verify
from qadesk.store.models import Case, HistoryEntry
from tests.helpers.case_lists import (
    ANNEX_LISTS,
    HEADER,
    TODAY,
    annex_a_rows,
    case_rows,
    spoilt_list,
    write_csv,
    write_xlsx,
)


def _import(store, path: Path, **kw) -> svc.CaseImportResult:
    with store.transaction() as s:
        return svc.import_case_list(s, path, actor="QA Lead", today=TODAY, **kw)


def _contents(store) -> tuple[list[tuple], int]:
    """Everything the case list put in the store: every case's columns, and the history's length."""
    with store.session() as s:
        cases = [tuple(r) for r in s.execute(select(Case.reference, Case.case_type, Case.team, Case.worker,
                                                    Case.age_band, Case.fields, Case.source, Case.listed,
                                                    Case.imported_at).order_by(Case.reference))]
        return cases, int(s.execute(select(func.count()).select_from(HistoryEntry)).scalar() or 0)


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_list_of_5000_with_every_kind_of_bad_row_is_refused_whole_each_row_located(store, tmp_path, kind) -> None:
    _import(store, write_csv(tmp_path / "last-month.csv", case_rows(300, seed=1, start=200_000)))
    before = _contents(store)
    rows, bad = spoilt_list(5000)
    path = (write_csv(tmp_path / "cases.csv", rows) if kind == "csv"
            else write_xlsx(tmp_path / "cases.xlsx", {"Open cases": [HEADER, *rows]}))
    with pytest.raises(svc.CaseListRefused) as refused:
        _import(store, path)
    reading = refused.value.reading
    assert len(bad) >= 11  # ten kinds and more, and a duplicate
    assert {p.row: p.message for p in reading.problems}.keys() == bad.keys(), "each bad row, and no other"
    for p in reading.problems:
        kind_name, words = bad[p.row]
        assert words in p.message, (kind_name, p)
        assert str(p).startswith(f"row {p.row}: ")
    assert not reading.refusals
    assert _contents(store) == before, "nothing of the refused file was stored"


def test_a_good_list_imports_typed_fields_and_an_age_band_instead_of_the_date_of_birth(store, tmp_path) -> None:
    rows = case_rows(50)
    rows[0][:13] = ["CR-1", "Child Protection plan", "Assessment 1", "A. Worker1", "03/04/2015", "15/11/2026",
                    "06/11/26", "Yes", "N", "yes", "Unknown", "11", ""]
    result = _import(store, write_csv(tmp_path / "cases.csv", rows))
    assert (result.added, result.updated, result.unchanged, result.delisted) == (50, 0, 0, 0)
    with store.session() as s:
        cases = svc.list_cases(s)
        one = next(c for c in cases if c.case_ref == "CR-1")
        assert len(svc.list_cases(s, "Assessment 1")) == sum(1 for r in rows if r[2] == "Assessment 1")
    assert (one.case_type, one.team, one.worker) == ("CP", "Assessment 1", "A. Worker1")
    assert one.fields == {"date_of_referral": date(2026, 11, 15), "date_of_last_visit": date(2026, 11, 6),
                          "repeat_referral": True, "visits_overdue": False, "plan_over_18_months": True,
                          "disability": None, "age": 11, "age_band": "10-15"}
    assert "date_of_birth" not in one.fields


def test_names_and_identifying_columns_are_dropped_with_a_warning_and_never_stored(store, tmp_path, data_dir) -> None:
    header = ("Case reference", "Child's name", "Forename", "Surname", "Case type", "Allocated team",
              "Social worker", "Address line 1", "Postcode", "NHS number", "Date of birth", "Mother's name",
              "School name")
    rows = [["CR-7", "Zebedee Quorn", "Zebedee", "Quorn", "CIN", "Assessment 2", "P. Practitioner",
             "1 Nowhere Lane", "ZZ99 9ZZ", "999 999 9999", "12/08/2016", "Ysolde Quorn", "Made-up Primary"]]
    result = _import(store, write_csv(tmp_path / "cases.csv", rows, header=header))
    assert result.added == 1
    dropped = " | ".join(result.warnings)
    for header_text, what in (("Child's name", "a name"), ("Forename", "a name"), ("Surname", "a name"),
                              ("Address line 1", "an address"), ("Postcode", "a postcode"),
                              ("NHS number", "an NHS number"), ("Mother's name", "a name")):
        assert f"('{header_text}') is {what}: left out, never stored" in dropped
    with store.session() as s:
        (case,) = svc.list_cases(s)
    assert case.fields == {"school_name": "Made-up Primary", "age_band": "10-15"}
    assert case.worker == "P. Practitioner"
    store.engine.dispose()
    for f in data_dir.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            for secret in (b"Zebedee", b"Quorn", b"Ysolde", b"Nowhere", b"ZZ99", b"999 999", b"12/08/2016",
                           b"2016-08-12"):
                assert secret not in data, (f.name, secret)


def test_an_annex_a_workbook_is_recognised_without_a_mapping(store, tmp_path) -> None:
    ids6, ids7, ids8, ids9 = ([f"AA{n:05d}" for n in range(a, a + 40)] for a in (1, 101, 201, 301))
    ids7 = ids7[:-2] + ids6[:2]  # two children in need who are also on a child protection plan
    sheets: dict[str, list] = {"List 1": [("Child Unique ID", "Date of Contact", "Contact Source"),
                                          ("AA90001", TODAY, "Police")]}
    for name, ids in (("List 6", ids6), ("List 7", ids7), ("List 8", ids8), ("List 9", ids9)):
        title = [f"{name}: made-up council, as at {TODAY:%d/%m/%Y}"]
        sheets[name] = [title, ANNEX_LISTS[name], *annex_a_rows(name, ids)]
    path = write_xlsx(tmp_path / "annex-a.xlsx", sheets)
    with store.session() as s:
        reading = svc.read_file(s, path, today=TODAY)
    assert reading.ok, reading.describe()
    titles = [sh.layout.title for sh in reading.sheets if sh.used and sh.layout]
    assert titles == ["Annex A list 6: children in need", "Annex A list 7: children on a child protection plan",
                      "Annex A list 8: children looked after", "Annex A list 9: care leavers"]
    assert any(w.startswith("sheet 'List 1' is not a case list") for w in reading.warnings)
    assert any("Placement postcode" in w and "a postcode" in w for w in reading.warnings)
    assert [sh.header_row for sh in reading.sheets if sh.used] == [2, 2, 2, 2]  # under the title row
    result = _import(store, path)
    assert result.added == 158
    with store.session() as s:
        by_ref = {c.case_ref: c for c in svc.list_cases(s)}
    assert {by_ref[i].case_type for i in ids8} == {"CLA"}
    assert {by_ref[i].case_type for i in ids9} == {"CL"}
    assert {by_ref[i].case_type for i in ids7} == {"CP"}, "a child on lists 6 and 7 is one case on a plan"
    assert by_ref[ids6[0]].team == "Child Protection 1" and "cin_start_date" in by_ref[ids6[0]].fields
    cla = by_ref[ids8[0]]
    assert cla.team == "Children in Care East" and cla.worker
    assert cla.fields["childs_legal_status"] in ("C2: FCO", "V2: Single period under S20")
    assert isinstance(cla.fields["date_started_to_be_looked_after"], date)
    assert isinstance(cla.fields["number_of_placements_in_the_last_12_months"], int)
    assert cla.fields["does_the_child_have_a_disability"] in (True, False, None)
    assert "date_of_birth" not in cla.fields and cla.fields["age_band"]
    assert "placement_postcode" not in cla.fields and "gender" in cla.fields
    assert "AA90001" not in by_ref, "the contacts list is no case list"
    cin_types = {by_ref[i].case_type for i in ids6[2:]}
    assert cin_types <= {"CIN", "CP"}  # list 6's case status gives the plan where it says so


def test_reimporting_next_month_updates_by_reference_and_keeps_the_history_and_audits(loaded_store, tmp_path) -> None:
    store = loaded_store
    rows = case_rows(20)
    _import(store, write_csv(tmp_path / "november.csv", rows))
    with store.transaction() as s:
        audit = audit_svc.start_audit(s, "regular-case-audit", audit_svc.Subject(
            case_ref=rows[3][0], case_type=rows[3][1], team=rows[3][2]), audit_svc.Actor("Test Auditor"))
        audit_id = audit.id
    december = [list(r) for r in rows[1:]] + case_rows(2, seed=9, start=300_000)  # one closed, two new
    december[2][2] = "Assessment 9"  # rows[3] moved team
    december[4][3] = "Z. Newworker"
    result = _import(store, write_csv(tmp_path / "december.csv", december))
    assert (result.added, result.updated, result.unchanged, result.delisted) == (2, 2, 17, 1)
    with store.session() as s:
        listed = {c.case_ref: c for c in svc.list_cases(s)}
        everyone = {c.case_ref for c in svc.list_cases(s, include_unlisted=True)}
        moved = svc.case_history(s, rows[3][0])
        closed = svc.case_history(s, rows[0][0])
        assert audit_svc.Audit and s.get(audit_svc.Audit, audit_id).case_ref == rows[3][0]
        assert verify(s).ok
        imports = svc.recent_imports(s)
    assert rows[0][0] not in listed and rows[0][0] in everyone
    assert listed[rows[3][0]].team == "Assessment 9"
    assert [a for _at, _who, a, _b, _a in moved] == ["add", "update"]
    assert moved[1][3] == {"team": rows[3][2]} and moved[1][4] == {"team": "Assessment 9"}
    assert [a for _at, _who, a, _b, _a in closed] == ["add", "delist"]
    assert [(i.file, i.added, i.updated, i.delisted) for i in imports] == [("december.csv", 2, 2, 1),
                                                                          ("november.csv", 20, 0, 0)]
    again = _import(store, write_csv(tmp_path / "december-again.csv", december))
    assert (again.added, again.updated, again.unchanged, again.delisted) == (0, 0, 21, 0)


def test_a_saved_mapping_is_used_by_name_and_for_a_file_with_the_same_headers(store, tmp_path) -> None:
    header = ("Person ID", "Service", "Owner", "Key worker", "Opened", "Flag: neglect")
    rows = [["P-1", "Children in Care West", "Team W", "Q. Worker", "01/09/2026", "Y"],
            ["P-2", "Children in Care West", "Team W", "", "02/09/2026", "N"]]
    path = write_csv(tmp_path / "export.csv", rows, header=header)
    with store.session() as s:
        plain = svc.read_file(s, path, today=TODAY)
    assert not plain.ok and any("no column gives the team" in r for r in plain.refusals)
    mapping = ColumnMapping("Weekly export", {"person_id": "case_ref", "owner": "team", "key_worker": "worker",
                                              "service": "skip"}, case_type="CLA")
    with store.transaction() as s:
        svc.save_mapping(s, mapping, [normalise_header(h) for h in header], actor="QA Lead")
    result = _import(store, path, mapping="Weekly export")
    assert (result.added, result.sources) == (2, ["Weekly export"])
    with store.session() as s:
        cases = svc.list_cases(s)
        again = svc.read_file(s, write_csv(tmp_path / "next-week.csv", rows, header=header), today=TODAY)
        with pytest.raises(svc.NotFound, match="no mapping 'Nope'"):
            svc.get_mapping(s, "Nope")
    assert [(c.case_ref, c.case_type, c.team, c.worker) for c in cases] == [
        ("P-1", "CLA", "Team W", "Q. Worker"), ("P-2", "CLA", "Team W", None)]
    assert cases[0].fields == {"opened": date(2026, 9, 1), "flag_neglect": True}
    assert again.ok and again.sources == ["Weekly export"], "the same headers find their mapping unasked"


@pytest.mark.parametrize("encoding, delimiter", [("utf-8-sig", ","), ("cp1252", ";"), ("utf-16", "\t"),
                                                 ("utf-8", "|")])
def test_encodings_and_delimiters_as_excel_and_case_systems_write_them(store, tmp_path, encoding, delimiter) -> None:
    rows = [["CR-1", "CIN", "Équipe Sud", "R. Müller", "", "01/02/2026", "", "Yes", "N", "no", "No", "", ""]]
    _import(store, write_csv(tmp_path / "cases.csv", rows, encoding=encoding, delimiter=delimiter))
    with store.session() as s:
        (case,) = svc.list_cases(s)
    assert (case.team, case.worker, case.fields["date_of_referral"]) == ("Équipe Sud", "R. Müller", date(2026, 2, 1))


def test_excel_dates_as_cells_and_as_day_numbers(store, tmp_path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["case_ref", "case_type", "team", "worker", "date_of_referral", "date_of_plan"])
    ws.append(["CR-1", "CP", "Team", "W", date(2026, 3, 4), 46084])  # 46084 is 3 Mar 2026 as Excel counts
    ws.append([104233, "cp", "Team", None, "04/03/2026", "2026-03-03"])  # a numeric reference is text
    wb.save(tmp_path / "cases.xlsx")
    _import(store, tmp_path / "cases.xlsx")
    with store.session() as s:
        cases = {c.case_ref: c for c in svc.list_cases(s)}
    assert cases["CR-1"].fields == {"date_of_referral": date(2026, 3, 4), "date_of_plan": date(2026, 3, 3)}
    assert cases["104233"].fields == cases["CR-1"].fields


def test_an_excel_error_cell_is_reported_not_read_as_blank(store, tmp_path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["case_ref", "case_type", "team", "worker", "date_of_last_visit"])
    ws.append(["CR-1", "CP", "Team", "W", "#REF!"])
    wb.save(tmp_path / "cases.xlsx")
    with pytest.raises(svc.CaseListRefused) as refused:
        _import(store, tmp_path / "cases.xlsx")
    assert [str(p) for p in refused.value.reading.problems] == [
        "row 2: column E ('date_of_last_visit') holds the Excel error #REF!"]


@pytest.mark.parametrize("content, words", [
    (b"", "the file is empty"),
    (b"just,some,columns\n1,2,3\n", "no column gives the case reference"),
    (b"case_ref,team\nCR-1,T\n", "no column gives the case type"),
    (b"case_ref,case_type\nCR-1,CP\n", "no column gives the team"),
    (b"case_ref,case_type,team\n", "holds no cases"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "Excel 97-2003 workbook"),
    (b"PK\x03\x04not really a zip", "not a readable zip archive"),
    (b"case_ref,case_type,team\nCR-\x00,CP,T\n", "NUL bytes"),
    (codecs.BOM_UTF8 + b"case_ref,case_type,team\nCR-\xff,CP,T\n", "says it is UTF-8"),
])
def test_files_that_are_no_case_list_are_refused_with_the_reason(store, tmp_path, content, words) -> None:
    path = tmp_path / "cases.csv"
    path.write_bytes(content)
    before = _contents(store)  # a new store: no case, and its history's baseline entry
    with pytest.raises(svc.ValidationError, match=words):
        _import(store, path)
    assert _contents(store) == before and before[0] == []


def test_case_type_words_header_keys_and_age_bands() -> None:
    assert [case_type_code(w) for w in ("cp", "Child Protection Plan", "LAC", "Looked After", "a) Looked after child",
                                        "Care leaver", "Early help", "Child in Need", "CiC", "Adoption")] == [
        "CP", "CP", "CLA", "CLA", "CLA", "CL", "EH", "CIN", "CLA", None]
    assert [normalise_header(h) for h in ("Repeat referral", "Case-Type", " Child's Legal Status ",
                                          "Referral NFA (Y/N)", "Visits overdue?")] == [
        "repeat_referral", "case_type", "childs_legal_status", "referral_nfa", "visits_overdue"]
    assert [age_band(date(y, 12, 2), date(2026, 12, 1)) for y in (2026, 2025, 2021, 2011, 2009, 2005, 1999)] == [
        "under 1", "under 1", "1-4", "10-15", "16-17", "18-21", "over 25"]


def test_a_workbook_from_a_stranger_is_checked_before_it_is_read(store, tmp_path) -> None:
    import zipfile

    good = write_xlsx(tmp_path / "good.xlsx", {"Cases": [HEADER, *case_rows(3)]})
    evil = tmp_path / "evil.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data.replace(b"<worksheet", b'<!DOCTYPE x [<!ENTITY a "aaaa">]><worksheet', 1)
            dst.writestr(info, data)
    before = _contents(store)
    with pytest.raises(svc.ValidationError, match="declares a document type"):
        _import(store, evil)
    assert _contents(store) == before and before[0] == []
