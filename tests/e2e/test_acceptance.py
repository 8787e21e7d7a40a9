"""Acceptance checks of the command line against contracts.md section 4, found by running it as a user would.

Each test pins down a gap the acceptance run found: the real CLI in a subprocess, exit codes, and what
is (not) written.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qadesk.services import audits as svc
from tests.helpers.cli import run_qadesk
from tests.helpers.exports import make_audits

ROOT = Path(__file__).resolve().parents[2]


qadesk = run_qadesk


@pytest.fixture
def data(loaded_store, data_dir):
    ids = make_audits(loaded_store, 2)
    with loaded_store.session() as s:
        refs = [svc.get_audit(s, i).reference for i in ids]
    loaded_store.close()
    return data_dir, ids, refs


def test_an_audit_report_is_written_only_as_pdf(data, tmp_path):
    folder, ids, _ = data
    target = tmp_path / "audit.xlsx"
    r = qadesk(folder, "audit", "report", ids[0], "--to", str(target))
    assert r.returncode == 1, r.stdout
    assert ".pdf" in r.stderr and "'.xlsx'" in r.stderr
    assert not target.exists() and not list(tmp_path.glob(".audit.xlsx*"))
    pdf = tmp_path / "audit.PDF"
    assert qadesk(folder, "audit", "report", ids[0], "--to", str(pdf)).returncode == 0
    assert pdf.read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize("command", [["audit", "list", "--json"], ["pack", "export", "--to", "{tmp}/p.qapack"],
                                     ["report", "--to", "{tmp}/r.pdf"], ["report", "--to", "{tmp}/r.xlsx"]])
def test_an_audit_chosen_by_a_wrong_id_is_refused_not_left_out(data, tmp_path, command):
    folder, ids, refs = data
    out = tmp_path / "out"
    out.mkdir()
    args = [a.replace("{tmp}", str(out)) for a in command]
    r = qadesk(folder, *args, "--audit", refs[0], "--audit", "AUD-2026-9999")
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "no audit 'AUD-2026-9999'" in r.stderr
    assert not list(out.iterdir())  # nothing written
    ok = qadesk(folder, *args, "--audit", refs[0], "--audit", ids[1])  # a reference and an id are both fine
    assert ok.returncode == 0, ok.stderr
    if command[0] == "audit":
        assert {row["id"] for row in json.loads(ok.stdout)} == set(ids)


def test_audit_show_reads_like_the_form(data):
    """Without --json: choice labels, grade labels and British dates, not stored values."""
    folder, ids, refs = data
    doc = json.loads(qadesk(folder, "audit", "show", ids[0], "--json").stdout)
    out = qadesk(folder, "audit", "show", refs[0]).stdout
    assert refs[0] in out
    assert "['" not in out  # a multi-choice answer is not a Python list
    for value in {a["value"] for a in doc["answers"].values() if isinstance(a["value"], str)}:
        if len(value) == 10 and value[4] == "-" and value[7] == "-":  # an ISO date is shown as 1 Oct 2026
            assert f"    {value}\n" not in out
    assert "Overall: Outstanding" in out or "Overall: Good" in out or "Overall: Requires" in out, out


def test_audit_show_gives_an_actions_due_date_as_the_form_does(data):
    folder, _ids, refs = data
    out = qadesk(folder, "audit", "show", refs[0]).stdout
    assert "due 9 Dec 2026" in out and "2026-12-09" not in out, out


@pytest.mark.parametrize(("url", "reason"), [
    ("not a url", "is not a database URL"),
    ("sqlite:////nonexistent-folder/qadesk.sqlite", "cannot reach the database"),
    ("mysql://someone:secret-pw@db.example/qadesk", "is not installed"),
])
def test_a_database_url_that_cannot_be_used_is_refused_in_words(tmp_path, url, reason):
    import importlib.util

    if url.startswith("mysql") and importlib.util.find_spec("MySQLdb"):
        pytest.skip("a MySQL driver is installed here")
    r = run_qadesk(None, "template", "list", QADESK_DATABASE_URL=url)
    assert r.returncode == 1, r.stderr
    assert reason in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "secret-pw" not in r.stderr


def test_file_system_refusals_are_a_reason_not_a_traceback(data, tmp_path):
    folder, _, _ = data
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("not a folder")
    r = qadesk(not_a_folder, "template", "list")
    assert r.returncode == 1 and "Not a directory" in r.stderr and "Traceback" not in r.stderr, r.stderr
    for target in ("t.json", "t.xlsx"):
        r = qadesk(folder, "template", "export", "regular-case-audit", "--to", str(tmp_path / "missing" / target))
        assert r.returncode == 1, r.stderr
        assert "the folder" in r.stderr and "does not exist" in r.stderr and "Traceback" not in r.stderr, r.stderr


def test_the_profile_is_set_from_the_command_line_and_signs_new_audits(tmp_path):
    folder = tmp_path / "store"
    assert qadesk(folder, "profile", "set", "--role", "QA lead").returncode == 1  # a profile needs a name
    done = qadesk(folder, "profile", "set", "--name", "Sam Rivers", "--role", "Team manager",
                  "--organisation", "Example Borough Council")
    assert done.returncode == 0, done.stderr
    assert qadesk(folder, "profile", "set", "--team", "Assessment Team 2").returncode == 0
    shown = json.loads(qadesk(folder, "profile", "show", "--json").stdout)
    assert shown == {"name": "Sam Rivers", "role": "Team manager", "team": "Assessment Team 2",
                     "organisation": "Example Borough Council", "roles": None}  # None: every role (their own desk)
    assert qadesk(folder, "template", "import", str(ROOT / "forms" / "regular-case-audit.json")).returncode == 0
    audit_id = qadesk(folder, "audit", "new", "--template", "regular-case-audit").stdout.strip()
    doc = json.loads(qadesk(folder, "audit", "show", audit_id, "--json").stdout)
    assert doc["auditor"] == {"name": "Sam Rivers", "role": "Team manager"}


def test_identifiable_without_external_is_wrong_usage(tmp_path):
    done = qadesk(tmp_path / "store", "pack", "export", "--to", str(tmp_path / "x.qapack"), "--identifiable")
    assert done.returncode == 2
    assert "--identifiable goes with --external" in done.stderr
    assert not (tmp_path / "x.qapack").exists()
