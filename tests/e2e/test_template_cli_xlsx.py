"""The real CLI with Excel templates, XLSForms, diffs and agency returns (subprocesses)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import FORMS
from tests.helpers.cli import run_qadesk
from tests.helpers.workbooks import dozen_mistakes
from tests.unit.test_xlsform import ODK_CHOICES, ODK_SETTINGS, ODK_SURVEY


def qadesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # The folder through the environment, as a user may set it (the other e2e tests pass --data-dir).
    return run_qadesk(None, *args, QADESK_DATA_DIR=str(data_dir))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    d = tmp_path / "data"
    r = qadesk(d, "template", "import", *map(str, sorted(FORMS.glob("*.json"))))
    assert r.returncode == 0, r.stderr
    return d


def _listing(d: Path) -> list[dict]:
    return json.loads(qadesk(d, "template", "list", "--json").stdout)


def test_export_excel_edit_validate_import_and_diff(home: Path, tmp_path: Path) -> None:
    xlsx = tmp_path / "regular.xlsx"
    assert qadesk(home, "template", "export", "regular-case-audit@1", "--to", str(xlsx)).returncode == 0
    wb = openpyxl.load_workbook(xlsx)
    wb["settings"]["B2"] = 2
    survey = wb["survey"]
    survey["C3"] = "A reworded question"
    wb.save(xlsx)
    r = qadesk(home, "template", "validate", str(xlsx))
    assert r.returncode == 0 and "valid (regular-case-audit@2" in r.stdout
    assert qadesk(home, "template", "import", str(xlsx)).returncode == 0
    r = qadesk(home, "template", "diff", "regular-case-audit@1", "regular-case-audit@2")
    assert r.returncode == 0, r.stderr
    assert "1 changed" in r.stdout and "A reworded question" in r.stdout


def test_invalid_and_hostile_files_leave_the_store_unchanged(home: Path, tmp_path: Path) -> None:
    before = _listing(home)
    bad, expected = dozen_mistakes(tmp_path / "bad.xlsx")
    r = qadesk(home, "template", "import", str(bad))
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith(str(bad))]
    assert len(lines) == len(expected)
    assert "survey!C4 (label)" in r.stderr and "Nothing was imported." in r.stderr
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(bad.read_bytes())
    import zipfile

    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z, z.open("xl/zeros.bin", "w") as fh:
        for _ in range(20):
            fh.write(bytes(1 << 20))
    r = qadesk(home, "template", "import", str(bomb))
    assert r.returncode == 1 and "the limit is 250 to 1" in r.stderr
    assert _listing(home) == before


def test_xlsform_strict_lenient_and_language(home: Path, tmp_path: Path) -> None:
    from tests.helpers.workbooks import book

    path = book(tmp_path / "odk.xlsx", ODK_SURVEY, ODK_CHOICES, ODK_SETTINGS)
    r = qadesk(home, "template", "validate", str(path))
    assert r.returncode == 1 and r.stderr.count("cannot represent") == 4
    r = qadesk(home, "template", "import", "--lenient", "--language", "French", str(path))
    assert r.returncode == 0, r.stderr
    assert "case-check@3: imported" in r.stdout and r.stderr.count("skipped") == 4
    assert any(t["id"] == "case-check" for t in _listing(home))
    out = tmp_path / "case.json"
    assert qadesk(home, "template", "export", "case-check@3", "--to", str(out)).returncode == 0
    assert json.loads(out.read_text())["sections"][0]["title"] == "Le dossier"


def test_agency_return_round_trip(home: Path, tmp_path: Path) -> None:
    r = qadesk(home, "audit", "new", "--template", "multi-agency-audit", "--case-ref", "CR-E2E-1")
    assert r.returncode == 0, r.stderr
    audit_id = r.stdout.strip()
    assert qadesk(home, "audit", "answer", audit_id, "ma_agencies=police,health").returncode == 0
    r = qadesk(home, "agency-return", "export", audit_id, "--to", str(tmp_path / "returns"))
    assert r.returncode == 0, r.stderr
    assert len(list((tmp_path / "returns").glob("*.xlsx"))) == 4
    one = tmp_path / "police.xlsx"
    assert qadesk(home, "agency-return", "export", audit_id, "--agency", "Police", "--to", str(one)).returncode == 0
    r = qadesk(home, "agency-return", "import", str(one))
    assert r.returncode == 1 and "0 taken" in r.stdout  # nothing filled in
    wb = openpyxl.load_workbook(one)
    ws = wb["return"]
    rows = {ws.cell(row=i, column=1).value: i for i in range(8, ws.max_row + 1)}
    ws.cell(row=rows["pol_known"], column=4).value = "No"
    ws.cell(row=rows["pol_strategy"], column=4).value = "Sometimes"
    wb.save(one)
    r = qadesk(home, "agency-return", "import", str(one))
    assert r.returncode == 0, r.stderr
    assert "1 taken, 1 refused" in r.stdout and "pol_strategy: 'Sometimes'" in r.stdout
    doc = json.loads(qadesk(home, "audit", "show", audit_id, "--json").stdout)
    assert doc["answers"]["pol_known"]["value"] == "no"
