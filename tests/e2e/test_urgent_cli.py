"""The template marks through the real command line: an urgent concern refuses `audit submit` (exit 1, with
the reason), the case type is filled from `audit new`, and a wrong mark fails `template validate`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers.cli import run_qadesk

YES_NO = [{"value": "yes", "label": "Yes", "score": 1}, {"value": "no", "label": "No", "score": 0}]
CASE_TYPES = [{"value": v.lower(), "label": v} for v in ("EH", "CIN", "CP", "CLA", "CL")]
MARKED = {
    "format": "qadesk-template/1", "id": "urgent-cli-test", "version": 1, "title": "Urgent CLI test",
    "kind": "regular", "lists": {"yes_no": YES_NO, "case_type": CASE_TYPES,
                                 "rag": [{"value": "green", "label": "Green", "score": 3},
                                         {"value": "red", "label": "Red", "score": 1}]},
    "overall": {"list": "rag", "suggest": "none"},
    "sections": [{"id": "safety", "title": "Safety", "questions": [
        {"id": "kind_of_case", "type": "choice", "list": "case_type", "label": "Case type", "required": True,
         "subject_field": "case_type"},
        {"id": "urgent", "type": "choice", "list": "yes_no", "required": True,
         "label": "Does anything need urgent action to keep the child safe?", "urgent_concern": ["yes"]},
    ]}],
}


def qadesk(data_dir: Path, *args: str, check: int = 0) -> subprocess.CompletedProcess[str]:
    proc = run_qadesk(data_dir, *args)
    assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def test_submit_is_refused_while_an_urgent_concern_has_no_urgent_action(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "marked.json"
    path.write_text(json.dumps(MARKED), encoding="utf-8")
    qadesk(data_dir, "template", "import", str(path))
    audit_id = qadesk(data_dir, "audit", "new", "--template", "urgent-cli-test", "--case-ref", "MADEUP-300",
                      "--case-type", "CLA").stdout.strip()
    doc = json.loads(qadesk(data_dir, "audit", "show", audit_id, "--json").stdout)
    assert doc["answers"] == {"kind_of_case": {"value": "cla"}}  # asked once: New audit said CLA

    qadesk(data_dir, "audit", "answer", audit_id, "urgent=yes")
    qadesk(data_dir, "audit", "judge", audit_id, "--overall", "red")
    proc = qadesk(data_dir, "audit", "submit", audit_id, check=1)
    missing = [line for line in proc.stderr.splitlines() if line.startswith("- ")]
    assert missing == ["- Actions: Does anything need urgent action to keep the child safe? — the answer means an "
                       "urgent concern, so add an urgent action that says who was told and when"]
    assert json.loads(qadesk(data_dir, "audit", "show", audit_id, "--json").stdout)["status"] == "draft"

    qadesk(data_dir, "audit", "answer", audit_id, "urgent=no")
    assert "completed" in qadesk(data_dir, "audit", "submit", audit_id).stdout


def test_a_wrong_mark_fails_validation_where_it_is(data_dir: Path, tmp_path: Path) -> None:
    wrong = json.loads(json.dumps(MARKED))
    wrong["sections"][0]["questions"][1]["urgent_concern"] = ["maybe"]
    path = tmp_path / "wrong.json"
    path.write_text(json.dumps(wrong), encoding="utf-8")
    proc = qadesk(data_dir, "template", "validate", str(path), check=1)
    assert "section safety / question urgent / urgent_concern: 'maybe' is not one of the question's choices " \
           "(yes, no)" in proc.stderr


def test_an_urgent_action_from_the_command_line_says_who_was_told_so_submit_is_never_blocked_for_good(
        data_dir: Path, tmp_path: Path) -> None:
    # The command line cannot change an action once added, and submit needs every urgent action to say
    # who was told and when: `action add --urgent` without them would leave the audit unsubmittable.
    path = tmp_path / "marked.json"
    path.write_text(json.dumps(MARKED), encoding="utf-8")
    qadesk(data_dir, "template", "import", str(path))
    audit_id = qadesk(data_dir, "audit", "new", "--template", "urgent-cli-test", "--case-ref", "MADEUP-301",
                      "--case-type", "CP").stdout.strip()
    qadesk(data_dir, "audit", "answer", audit_id, "urgent=yes")
    qadesk(data_dir, "audit", "judge", audit_id, "--overall", "red")
    for told in ([], ["--told", "Duty manager"], ["--told-at", "2026-11-30T14:30"], ["--told", " ", "--told-at",
                                                                                      "2026-11-30T14:30"]):
        proc = qadesk(data_dir, "action", "add", audit_id, "--text", "Strategy discussion", "--urgent", *told,
                      check=2)
        assert "add --told WHO --told-at DATETIME" in proc.stderr
    assert json.loads(qadesk(data_dir, "action", "list", "--status", "all", "--json").stdout) == []
    qadesk(data_dir, "action", "add", audit_id, "--text", "Strategy discussion", "--urgent",
           "--told", "Duty manager, by phone", "--told-at", "2026-11-30 14:30")
    assert "completed" in qadesk(data_dir, "audit", "submit", audit_id).stdout
