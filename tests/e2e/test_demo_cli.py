"""`qadesk demo-data` through the real command line, in a subprocess."""

from __future__ import annotations

import json

from tests.helpers.cli import run_qadesk

_qadesk = run_qadesk


def test_demo_data_fills_a_store_that_the_other_commands_read(tmp_path):
    made = _qadesk(tmp_path, "demo-data", "--audits", "50", "--seed", "3")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Made 50 demo audits (seed 3")
    listed = _qadesk(tmp_path, "audit", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert len(rows) == 50
    assert all(r["reference"].startswith("AUD-") and r["subject"]["team"] for r in rows)
    shown = _qadesk(tmp_path, "audit", "show", rows[0]["reference"], "--json")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["id"] == rows[0]["id"] and doc["answers"]
    templates = json.loads(_qadesk(tmp_path, "template", "list", "--json").stdout)
    assert len(templates) == 7
    checked = _qadesk(tmp_path, "history", "verify")
    assert checked.returncode == 0, checked.stderr


def test_demo_data_refuses_a_negative_count(tmp_path):
    result = _qadesk(tmp_path, "demo-data", "--audits", "-1")
    assert result.returncode == 2


def test_demo_data_writes_a_case_list_that_case_import_reads_unasked(tmp_path):
    store, listing = tmp_path / "store", tmp_path / "open-cases.xlsx"
    made = _qadesk(store, "demo-data", "--audits", "30", "--seed", "3", "--case-list", str(listing))
    assert made.returncode == 0, made.stderr
    assert f"Wrote {listing}: last night's case list of the demo council" in made.stdout
    imported = _qadesk(store, "case", "import", str(listing))
    assert imported.returncode == 0, imported.stderr
    cases = json.loads(_qadesk(store, "case", "list", "--json").stdout)
    audits = json.loads(_qadesk(store, "audit", "list", "--json").stdout)
    audited = {a["subject"]["case_ref"] for a in audits if a["subject"].get("case_ref")}
    assert audited and audited <= {c["case_ref"] for c in cases}
    assert sum(1 for c in cases if c["worker"]) > 0.95 * len(cases)
    for wrong in (tmp_path / "list.txt", tmp_path / "no-such-folder" / "list.csv"):
        refused = _qadesk(store, "demo-data", "--audits", "0", "--case-list", str(wrong))
        assert refused.returncode == 2 and "--case-list" in refused.stderr and not wrong.exists()
