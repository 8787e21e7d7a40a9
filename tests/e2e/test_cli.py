"""The real command line in a subprocess: exit codes, messages, JSON output, and what ends up stored."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from qadesk import __version__
from qadesk.core.template import template_from_dict
from tests.helpers.cli import run_qadesk

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted((ROOT / "forms").glob("*.json"))

SMALL = {
    "format": "qadesk-template/1", "id": "cli-test", "version": 1, "title": "CLI test audit", "kind": "regular",
    "lists": {
        "ofsted4": [{"value": "good", "label": "Good", "score": 3}, {"value": "ri", "label": "RI", "score": 2}],
        "yes_no": [{"value": "yes", "label": "Yes"}, {"value": "no", "label": "No"}],
    },
    "overall": {"list": "ofsted4", "suggest": "lowest_section"},
    "sections": [{"id": "voice", "title": "Voice", "grade": {"list": "ofsted4"}, "questions": [
        {"id": "seen_alone", "type": "choice", "list": "yes_no", "label": "Seen alone?", "required": True,
         "evidence": "optional"},
        {"id": "visits", "type": "integer", "label": "Visits", "required": True, "min": 0, "max": 50},
        {"id": "agencies", "type": "multi_choice", "label": "Agencies",
         "choices": [{"value": "police", "label": "Police"}, {"value": "health", "label": "Health"}]},
    ]}],
}


def qadesk(data_dir: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = run_qadesk(data_dir, *args)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "cli-test.json"
    path.write_text(json.dumps(SMALL), encoding="utf-8")
    return path


def test_version(data_dir: Path) -> None:
    assert qadesk(data_dir, "--version").stdout.strip() == f"qadesk {__version__}"


def test_validate_the_shipped_templates(data_dir: Path) -> None:
    out = qadesk(data_dir, "template", "validate", *map(str, FORMS)).stdout
    assert out.count(": valid (") == len(FORMS) == 7


def test_a_broken_template_is_refused_naming_question_and_problem_and_stores_nothing(data_dir: Path,
                                                                                    tmp_path: Path) -> None:
    broken = json.loads(json.dumps(SMALL))
    broken["sections"][0]["questions"][1]["relevant"] = "${seen_alon} = 'no'"
    broken["sections"][0]["questions"].append({"id": "seen_alone", "type": "text", "label": "Again"})
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(broken), encoding="utf-8")
    for action in ("validate", "import"):
        proc = qadesk(data_dir, "template", action, str(path), check=1)
        lines = proc.stderr.splitlines()
        assert f"{path}: section voice / question visits / relevant: unknown reference ${{seen_alon}} " \
               f"at position 0 (did you mean ${{seen_alone}}?)" in lines
        assert any("question seen_alone: the id 'seen_alone' is already used" in line for line in lines)
    assert "Nothing was imported." in proc.stderr
    assert json.loads(qadesk(data_dir, "template", "list", "--json").stdout) == []


def test_import_of_a_good_and_a_bad_file_together_stores_neither(data_dir: Path, small: Path,
                                                                 tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    proc = qadesk(data_dir, "template", "import", str(small), str(bad), check=1)
    assert f"{bad}: line 1, column 2: not valid JSON" in proc.stderr
    assert json.loads(qadesk(data_dir, "template", "list", "--json").stdout) == []


def test_import_list_and_export(data_dir: Path, tmp_path: Path) -> None:
    out = qadesk(data_dir, "template", "import", *map(str, FORMS)).stdout
    assert out.count(": imported — ") == 7
    again = qadesk(data_dir, "template", "import", str(FORMS[0])).stdout
    assert "already installed, unchanged" in again
    listed = json.loads(qadesk(data_dir, "template", "list", "--json").stdout)
    assert len(listed) == 7
    assert all({"id", "version", "kind", "title"} <= set(row) for row in listed)
    assert {row["kind"] for row in listed} == {"regular", "thematic", "multi_agency", "data_led", "supervision",
                                               "observation", "family_feedback"}
    target = tmp_path / "out" / "regular.json"
    target.parent.mkdir()
    qadesk(data_dir, "template", "export", "regular-case-audit@1", "--to", str(target))
    original = template_from_dict(json.loads((ROOT / "forms" / "regular-case-audit.json").read_text("utf-8")))
    exported = template_from_dict(json.loads(target.read_text("utf-8")))
    assert exported == original and exported.fingerprint() == original.fingerprint()
    proc = qadesk(data_dir, "template", "export", "no-such-template", "--to", str(target), check=1)
    assert "no template 'no-such-template'" in proc.stderr


def test_a_changed_template_under_the_same_version_is_refused(data_dir: Path, small: Path) -> None:
    qadesk(data_dir, "template", "import", str(small))
    changed = dict(SMALL, title="CLI test audit, changed")
    small.write_text(json.dumps(changed), encoding="utf-8")
    proc = qadesk(data_dir, "template", "import", str(small), check=1)
    assert "cli-test@1 is already stored with different content" in proc.stderr
    listed = json.loads(qadesk(data_dir, "template", "list", "--json").stdout)
    assert [(r["id"], r["title"]) for r in listed] == [("cli-test", "CLI test audit")]


def test_an_audit_from_start_to_submit(data_dir: Path, small: Path, tmp_path: Path) -> None:
    qadesk(data_dir, "template", "import", str(small))
    audit_id = qadesk(data_dir, "audit", "new", "--template", "cli-test", "--case-ref", "CR-555001",
                      "--case-type", "CIN", "--team", "Team East", "--practitioner", "P. Worker").stdout.strip()
    assert len(audit_id) == 36

    proc = qadesk(data_dir, "audit", "submit", audit_id, check=1)
    assert "The audit cannot be submitted yet:" in proc.stderr
    missing = [line for line in proc.stderr.splitlines() if line.startswith("- ")]
    assert missing == ["- Voice — Seen alone?: An answer is required.",
                       "- Voice — Visits: An answer is required.",
                       "- Voice: the section judgement is missing",
                       "- The overall judgement is missing"]

    refused = qadesk(data_dir, "audit", "answer", audit_id, "visits=lots", check=1)
    assert "visits: the answer must be a number" in refused.stderr
    qadesk(data_dir, "audit", "answer", audit_id, "seen_alone=no", "visits=4", "agencies=health,police",
           "--evidence", "seen_alone=Seen with mother present")
    judged = qadesk(data_dir, "audit", "judge", audit_id, "voice=ri", "--overall", "good").stdout
    assert "Suggested overall grade: ri" in judged
    proc = qadesk(data_dir, "audit", "submit", audit_id, check=1)
    assert "differs from the suggested grade: give a rationale" in proc.stderr
    qadesk(data_dir, "audit", "judge", audit_id, "--rationale", "Strong direct work outweighs the gaps")
    assert "completed" in qadesk(data_dir, "audit", "submit", audit_id).stdout

    doc = json.loads(qadesk(data_dir, "audit", "show", audit_id, "--json").stdout)
    assert doc["id"] == audit_id and doc["status"] == "completed"
    assert doc["template"] == {"id": "cli-test", "version": 1}
    assert doc["subject"] == {"case_ref": "CR-555001", "case_type": "CIN", "team": "Team East",
                              "practitioner": "P. Worker"}
    assert doc["answers"] == {"seen_alone": {"value": "no", "evidence": "Seen with mother present"},
                              "visits": {"value": 4}, "agencies": {"value": ["police", "health"]}}
    assert doc["sections"] == {"voice": {"grade": "ri"}}
    assert doc["overall"] == {"grade": "good", "suggested": "ri",
                              "rationale": "Strong direct work outweighs the gaps"}
    for key in ("reference", "revision", "auditor", "started_at", "completed_at", "summary", "actions",
                "moderations"):
        assert key in doc
    # The same document by reference; a completed audit cannot be answered any more.
    assert json.loads(qadesk(data_dir, "audit", "show", doc["reference"], "--json").stdout)["id"] == audit_id
    proc = qadesk(data_dir, "audit", "answer", audit_id, "visits=5", check=1)
    assert "reopen it" in proc.stderr

    assert "intact" in qadesk(data_dir, "history", "verify").stdout
    backup = tmp_path / "backup.sqlite"
    assert "Backup written" in qadesk(data_dir, "backup", "--to", str(backup)).stdout
    with sqlite3.connect(str(backup)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT status FROM audits WHERE id = ?", (audit_id,)).fetchone() == ("completed",)


def test_audit_list_with_filters(data_dir: Path, small: Path) -> None:
    qadesk(data_dir, "template", "import", str(small), str(ROOT / "forms" / "family-feedback.json"))
    a = qadesk(data_dir, "audit", "new", "--template", "cli-test", "--team", "Team East",
               "--case-ref", "CR-1").stdout.strip()
    b = qadesk(data_dir, "audit", "new", "--template", "family-feedback", "--team", "Team West",
               "--case-ref", "CR-2", "--programme", "Winter feedback").stdout.strip()
    rows = json.loads(qadesk(data_dir, "audit", "list", "--json").stdout)
    assert {r["id"] for r in rows} == {a, b}
    assert all({"id", "reference", "status", "template", "subject"} <= set(r) for r in rows)
    east = json.loads(qadesk(data_dir, "audit", "list", "--json", "--team", "Team East").stdout)
    assert [r["id"] for r in east] == [a]
    by_template = json.loads(qadesk(data_dir, "audit", "list", "--json", "--template", "family-feedback").stdout)
    assert [r["id"] for r in by_template] == [b]
    by_programme = json.loads(qadesk(data_dir, "audit", "list", "--json", "--programme", "Winter feedback").stdout)
    assert [r["id"] for r in by_programme] == [b]
    assert json.loads(qadesk(data_dir, "audit", "list", "--json", "--status", "completed").stdout) == []
    assert json.loads(qadesk(data_dir, "audit", "list", "--json", "--until", "2000-01-01").stdout) == []
    assert len(json.loads(qadesk(data_dir, "audit", "list", "--json", "--since", "2000-01-01").stdout)) == 2


@pytest.mark.parametrize("args", [
    ("template",),
    ("template", "frobnicate"),
    ("audit", "new"),
    ("audit", "list", "--since", "yesterday"),
    ("audit", "list", "--status", "lost"),
    ("audit", "answer", "some-id", "no-equals-sign"),
    ("--no-such-option",),
])
def test_wrong_usage_exits_2(data_dir: Path, args: tuple[str, ...]) -> None:
    proc = qadesk(data_dir, *args, check=2)
    assert "usage:" in proc.stderr


def test_unknown_audit_and_template_exit_1(data_dir: Path) -> None:
    proc = qadesk(data_dir, "audit", "show", "AUD-2026-9999", check=1)
    assert "no audit 'AUD-2026-9999'" in proc.stderr
    proc = qadesk(data_dir, "audit", "new", "--template", "nothing-installed", check=1)
    assert "no template 'nothing-installed'" in proc.stderr
    proc = qadesk(data_dir, "template", "validate", str(data_dir / "missing.json"), check=1)
    assert "the file does not exist" in proc.stderr
