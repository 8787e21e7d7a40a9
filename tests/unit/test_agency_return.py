"""Agency returns: a workbook per agency section for partners without qadesk, and back again."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from qadesk.core.errors import ValidationError
from qadesk.services import audits as svc
from qadesk.services.agency import export_returns, import_return

CASE_REF = "CR-TEST-7731"
PRACTITIONER = "Robin Madeup"


@pytest.fixture
def audit_id(loaded_store) -> str:  # type: ignore[no-untyped-def]
    with loaded_store.transaction() as s:
        audit = svc.start_audit(s, "multi-agency-audit",
                                svc.Subject(case_ref=CASE_REF, case_type="CP", team="North",
                                            practitioner=PRACTITIONER), svc.Actor("QA Lead"))
        svc.save_answer(s, audit.id, "ma_agencies", ["csc", "police", "health", "education"], actor="QA Lead")
        return audit.id


def _rows(ws) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {ws.cell(row=r, column=1).value: r for r in range(8, ws.max_row + 1) if ws.cell(row=r, column=1).value}


def test_one_protected_pseudonymised_workbook_per_agency_section(loaded_store, audit_id: str,
                                                                  tmp_path: Path) -> None:
    with loaded_store.session() as s:
        paths = export_returns(s, audit_id, tmp_path / "out")
    assert len(paths) == 4 and {p.name.split("-", 3)[-1] for p in paths} == {
        "children-s-social-care.xlsx", "police.xlsx", "health.xlsx", "education.xlsx"}
    police = next(p for p in paths if p.name.endswith("police.xlsx"))
    with zipfile.ZipFile(police) as z:
        everything = b"".join(z.read(n) for n in z.namelist()).decode("utf-8", "replace")
    assert CASE_REF not in everything and PRACTITIONER not in everything and "North" not in everything
    wb = openpyxl.load_workbook(police)
    ws = wb["return"]
    assert ws.protection.sheet
    rows = _rows(ws)
    r = rows["pol_known"]
    assert not ws.cell(row=r, column=4).protection.locked  # the answer
    assert ws.cell(row=r, column=2).protection.locked  # the question
    assert ws["B4"].value == f"{audit_id}/ma_police"
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(f"D{r}" in str(dv.sqref) for dv in lists)
    whole = [dv for dv in ws.data_validations.dataValidation if dv.type == "whole"]
    assert any(f"D{rows['pol_days_to_share']}" in str(dv.sqref) for dv in whole)
    assert "section:ma_police" in rows


def test_one_agency_to_a_named_file(loaded_store, audit_id: str, tmp_path: Path) -> None:
    with loaded_store.session() as s:
        [path] = export_returns(s, audit_id, agency="health", to_file=tmp_path / "health.xlsx")
        assert path == tmp_path / "health.xlsx"
        with pytest.raises(ValidationError, match="the agencies are"):
            export_returns(s, audit_id, agency="fire service", to_file=tmp_path / "x.xlsx")


def test_completed_return_is_imported_with_a_report(loaded_store, audit_id: str, tmp_path: Path) -> None:
    with loaded_store.session() as s:
        [path] = export_returns(s, audit_id, agency="Police", to_file=tmp_path / "police.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["return"]
    rows = _rows(ws)
    ws.cell(row=rows["pol_known"], column=4).value = "Yes"
    ws.cell(row=rows["pol_shared"], column=4).value = "Maybe"            # not a choice
    ws.cell(row=rows["pol_days_to_share"], column=4).value = 900         # beyond max 365
    ws.cell(row=rows["pol_strategy"], column=4).value = "no"             # a value, not a label: fine
    ws.cell(row=rows["pol_child_seen"], column=4).value = "Partly"
    ws.cell(row=rows["pol_child_seen"], column=5).value = "Seen in 3 of 4 logs"
    ws.cell(row=rows["pol_comment"], column=4).value = "=Good joint work"
    ws.cell(row=rows["section:ma_police"], column=4).value = "Good"
    wb.save(path)
    with loaded_store.transaction() as s:
        report = import_return(s, path, actor="QA Lead")
    taken = {q for q, _, _ in report.taken}
    refused = {q: (value, reason) for q, _, value, reason in report.refused}
    assert taken == {"pol_known", "pol_strategy", "pol_child_seen", "pol_comment", "section:ma_police"}
    assert set(refused) == {"pol_shared", "pol_days_to_share"}
    assert refused["pol_shared"][0] == "Maybe" and "not one of the choices" in refused["pol_shared"][1]
    assert "365" in refused["pol_days_to_share"][1]
    assert "2 refused" in report.describe()
    with loaded_store.session() as s:
        state = svc.state_of(svc.get_audit(s, audit_id))
    assert state.answers["pol_known"] == "yes" and state.answers["pol_child_seen"] == "partly"
    assert state.evidence["pol_child_seen"] == "Seen in 3 of 4 logs"
    assert state.answers["pol_comment"] == "=Good joint work"
    assert state.section_grades["ma_police"] == "good"
    assert "pol_shared" not in state.answers


def test_a_workbook_that_is_not_a_return_is_refused(loaded_store, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    wb.active.title = "return"
    wb.save(tmp_path / "other.xlsx")
    with loaded_store.transaction() as s, pytest.raises(ValidationError, match="not a qadesk agency return"):
        import_return(s, tmp_path / "other.xlsx", actor="QA Lead")
