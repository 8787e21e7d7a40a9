"""The real command line in a subprocess: pack export and import, reports, one audit's report."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pypdf
import pytest
from openpyxl import load_workbook

from qadesk.store import open_store
from tests.helpers.cli import run_qadesk
from tests.helpers.exports import dump_store, make_audits

ROOT = Path(__file__).resolve().parents[2]


qadesk = run_qadesk


@pytest.fixture
def sender(loaded_store, data_dir):
    ids = make_audits(loaded_store, 3)
    loaded_store.close()
    return data_dir, ids


def test_pack_round_trip_through_the_cli(sender, tmp_path):
    data, ids = sender
    pack = tmp_path / "moderation.qapack"
    r = qadesk(data, "pack", "export", "--to", str(pack), "--kind", "moderation_request", "--external",
               "--team", "Assessment 2")
    assert r.returncode == 0, r.stderr
    assert "moderation pack of 1 audit" in r.stdout and "pseudonymised" in r.stdout
    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("manifest.json"))
        assert manifest["pseudonymised"] and manifest["audits"] == [ids[0]]
        assert all(b"CR-900000" not in z.read(n) for n in z.namelist())
    other = tmp_path / "other"
    r = qadesk(other, "pack", "import", str(pack))
    assert r.returncode == 0, r.stderr
    assert "new audits: 1" in r.stdout
    shown = qadesk(other, "audit", "show", ids[0], "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["subject"]["case_ref"] == "CASE-0001"
    again = qadesk(other, "pack", "import", str(pack))
    assert again.returncode == 0 and "nothing changed" in again.stdout


def test_a_damaged_pack_is_refused_with_exit_1_and_nothing_changes(sender, tmp_path):
    data, _ = sender
    pack = tmp_path / "p.qapack"
    assert qadesk(data, "pack", "export", "--to", str(pack)).returncode == 0
    raw = bytearray(pack.read_bytes())
    with zipfile.ZipFile(pack) as z:
        info = z.getinfo("manifest.json")
    # Flip a byte inside an audit member's stored data (past the manifest).
    raw[info.header_offset + 2000] ^= 0x01
    bad = tmp_path / "bad.qapack"
    bad.write_bytes(bytes(raw))
    other = tmp_path / "other"
    store = open_store(other)
    before = dump_store(store)
    store.close()
    r = qadesk(other, "pack", "import", str(bad))
    assert r.returncode == 1 and r.stderr.startswith("qadesk: ")
    missing = qadesk(other, "pack", "import", str(tmp_path / "nowhere.qapack"))
    assert missing.returncode == 1 and "no file" in missing.stderr
    store = open_store(other)
    try:
        assert dump_store(store) == before
    finally:
        store.close()


def test_reports_from_the_cli(sender, tmp_path):
    data, ids = sender
    pdf, xlsx, one = tmp_path / "r.pdf", tmp_path / "r.xlsx", tmp_path / "a.pdf"
    assert qadesk(data, "report", "--to", str(pdf), "--since", "2026-08-01").returncode == 0
    assert qadesk(data, "report", "--to", str(xlsx), "--status", "completed").returncode == 0
    r = qadesk(data, "audit", "report", ids[0], "--to", str(one))
    assert r.returncode == 0, r.stderr
    assert "QA summary report" in pypdf.PdfReader(pdf).pages[0].extract_text()
    assert load_workbook(xlsx)["Audits"].max_row == 4
    assert "CR-900000" in pypdf.PdfReader(one).pages[0].extract_text()
    wrong = qadesk(data, "report", "--to", str(tmp_path / "r.txt"))
    assert wrong.returncode == 1 and ".pdf" in wrong.stderr and not (tmp_path / "r.txt").exists()
