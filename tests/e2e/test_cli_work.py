"""The QA cycle on the real command line: actions, moderation, programmes, the summary and several statuses.

Every command runs in a subprocess as a user runs it; refusals exit 1 with the reason on stderr,
wrong usage exits 2.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest

from qadesk.core.dates import british_date
from tests.helpers.cli import run_qadesk

TEMPLATE = {
    "format": "qadesk-template/1", "id": "cli-work", "version": 1, "title": "CLI work audit", "kind": "regular",
    "lists": {"ofsted4": [{"value": "outstanding", "label": "Outstanding", "score": 4},
                          {"value": "good", "label": "Good", "score": 3},
                          {"value": "ri", "label": "Requires improvement to be good", "score": 2},
                          {"value": "inadequate", "label": "Inadequate", "score": 1}]},
    "overall": {"list": "ofsted4", "suggest": "none"},
    "sections": [{"id": "voice", "title": "Voice", "questions": [
        {"id": "visits", "type": "integer", "label": "Visits", "required": True, "min": 0, "max": 50}]}],
}


def qadesk(data_dir: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = run_qadesk(data_dir, *args)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def _completed_audit(data_dir: Path, team: str, *, grade: str = "good", submit: bool = True) -> str:
    audit = qadesk(data_dir, "audit", "new", "--template", "cli-work", "--case-ref", "CR-900001",
                   "--case-type", "CIN", "--team", team).stdout.strip()
    qadesk(data_dir, "audit", "answer", audit, "visits=4")
    qadesk(data_dir, "audit", "judge", audit, "--overall", grade)
    if submit:
        qadesk(data_dir, "audit", "submit", audit)
    return audit


@pytest.fixture
def world(data_dir: Path, tmp_path: Path) -> dict[str, str]:
    """Two completed audits and a draft by "A. Auditor", then the profile is the moderator "B. Moderator"."""
    path = tmp_path / "cli-work.json"
    path.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    qadesk(data_dir, "template", "import", str(path))
    qadesk(data_dir, "profile", "set", "--name", "A. Auditor", "--role", "Team manager")
    ids = {"first": _completed_audit(data_dir, "Assessment Team 2"),
           "second": _completed_audit(data_dir, "Children in Care East", grade="ri"),
           "draft": _completed_audit(data_dir, "Assessment Team 2", submit=False)}
    qadesk(data_dir, "profile", "set", "--name", "B. Moderator", "--organisation", "Example Council")
    return ids


def test_action_add_list_and_done(data_dir: Path, world: dict[str, str]) -> None:
    past, later = date.today() - timedelta(days=3), date.today() + timedelta(days=20)
    plain = qadesk(data_dir, "action", "add", world["first"], "--text", "Update the chronology",
                   "--owner", "C. Worker", "--due", later.isoformat()).stdout.strip()
    urgent = qadesk(data_dir, "action", "add", world["second"], "--text", "Strategy discussion with police",
                    "--owner", "D. Lead", "--due", past.isoformat(), "--urgent", "--told", "E. Duty Manager",
                    "--told-at", f"{past.isoformat()}T10:30")
    urgent_id = urgent.stdout.strip()
    assert "(urgent)" in urgent.stderr

    rows = json.loads(qadesk(data_dir, "action", "list", "--json").stdout)
    assert [r["id"] for r in rows] == [urgent_id, plain]  # urgent first, then by due date
    first = rows[0]
    assert first["urgent"] is True and first["overdue"] is True and first["due"] == past.isoformat()
    assert first["told_whom"] == "E. Duty Manager" and first["told_at"].startswith(past.isoformat())
    assert first["audit"]["id"] == world["second"] and first["status"] == "open"

    text = qadesk(data_dir, "action", "list").stdout
    assert f"due {british_date(past)}" in text and "URGENT OVERDUE" in text and "told E. Duty Manager" in text
    assert [r["id"] for r in json.loads(qadesk(data_dir, "action", "list", "--urgent", "--json").stdout)] == [urgent_id]
    assert [r["id"] for r in json.loads(qadesk(data_dir, "action", "list", "--overdue", "--json").stdout)] == [urgent_id]
    assert [r["id"] for r in json.loads(qadesk(data_dir, "action", "list", "--owner", "C. Worker",
                                               "--json").stdout)] == [plain]
    # SELECTION chooses the audits whose actions are listed (contracts.md section 6).
    def chosen(*selection: str) -> list[str]:
        return [r["id"] for r in json.loads(qadesk(data_dir, "action", "list", *selection, "--json").stdout)]

    assert chosen("--team", "Assessment Team 2") == [plain]
    assert chosen("--audit", world["second"]) == [urgent_id]
    assert chosen("--template", "cli-work", "--since", date.today().isoformat()) == [urgent_id, plain]
    assert chosen("--until", (date.today() - timedelta(days=1)).isoformat()) == []
    assert "no audit" in qadesk(data_dir, "action", "list", "--audit", "AUD-1999-0001", check=1).stderr.lower()

    done = qadesk(data_dir, "action", "done", plain, "--note", "Chronology brought up to date")
    assert "marked done" in done.stdout
    assert [r["id"] for r in json.loads(qadesk(data_dir, "action", "list", "--json").stdout)] == [urgent_id]
    assert [r["id"] for r in json.loads(qadesk(data_dir, "action", "list", "--status", "done",
                                               "--json").stdout)] == [plain]
    assert len(json.loads(qadesk(data_dir, "action", "list", "--status", "all", "--json").stdout)) == 2
    doc = json.loads(qadesk(data_dir, "audit", "show", world["first"], "--json").stdout)
    assert doc["actions"][0]["status"] == "done"

    # Refused: the reason on stderr, exit 1, nothing changed.
    again = qadesk(data_dir, "action", "done", plain, "--note", "Again", check=1)
    assert "already done" in again.stderr
    assert "no action 'nope'" in qadesk(data_dir, "action", "done", "nope", "--note", "x", check=1).stderr
    assert "needs a description" in qadesk(data_dir, "action", "add", world["first"], "--text", "  ",
                                           check=1).stderr
    assert "no audit" in qadesk(data_dir, "action", "add", "AUD-1999-0001", "--text", "x", check=1).stderr.lower()
    assert len(json.loads(qadesk(data_dir, "action", "list", "--status", "all", "--json").stdout)) == 2

    # Wrong usage: exit 2.
    assert "not a date" in qadesk(data_dir, "action", "add", world["first"], "--text", "x", "--due", "9/12/2026",
                                  check=2).stderr
    assert "add --urgent" in qadesk(data_dir, "action", "add", world["first"], "--text", "x", "--told", "F. Person",
                                    check=2).stderr
    qadesk(data_dir, "action", "list", "--status", "finished", check=2)
    qadesk(data_dir, "action", "done", plain, check=2)  # --note is required


def test_moderation_record_and_list(data_dir: Path, world: dict[str, str]) -> None:
    awaiting = json.loads(qadesk(data_dir, "moderation", "list", "--awaiting", "--json").stdout)
    assert {a["id"] for a in awaiting} == {world["first"], world["second"]}  # not the draft

    agreed = qadesk(data_dir, "moderation", "record", world["first"], "--agree")
    assert "internal moderation recorded by B. Moderator" in agreed.stdout and "agreed" in agreed.stdout
    changed = qadesk(data_dir, "moderation", "record", world["second"], "--grade", "inadequate", "--rationale",
                     "The plan does not address the risks named", "--kind", "external")
    assert "moderated grade Inadequate" in changed.stdout

    recorded = json.loads(qadesk(data_dir, "moderation", "list", "--json").stdout)
    assert [(m["audit"]["id"], m["agreed"], m["kind"]) for m in recorded] == [
        (world["second"], False, "external"), (world["first"], True, "internal")]
    assert recorded[0]["grade"] == "inadequate" and recorded[0]["auditor_grade"] == "ri"
    assert recorded[0]["moderator"] == {"name": "B. Moderator", "organisation": "Example Council"}
    assert re.match(r"\d{4}-\d\d-\d\dT", recorded[0]["at"])
    text = qadesk(data_dir, "moderation", "list").stdout
    assert f"{british_date(date.today())}\t" in text and "changed to Inadequate" in text
    only = json.loads(qadesk(data_dir, "moderation", "list", "--team", "Assessment Team 2", "--json").stdout)
    assert [m["audit"]["id"] for m in only] == [world["first"]]
    assert json.loads(qadesk(data_dir, "moderation", "list", "--awaiting", "--json").stdout) == []

    # Refused (exit 1, reason on stderr): a draft, a disagreement without a rationale, a grade off the scale.
    assert "only completed audits are moderated" in qadesk(
        data_dir, "moderation", "record", world["draft"], "--agree", check=1).stderr
    assert "rationale" in qadesk(data_dir, "moderation", "record", world["first"], "--grade", "outstanding",
                                 check=1).stderr
    assert "auditor's own grade" in qadesk(data_dir, "moderation", "record", world["first"], "--grade", "good",
                                           "--rationale", "Because", check=1).stderr
    assert "overall scale" in qadesk(data_dir, "moderation", "record", world["first"], "--grade", "excellent",
                                     "--rationale", "Because", check=1).stderr
    assert len(json.loads(qadesk(data_dir, "moderation", "list", "--json").stdout)) == 2

    # Wrong usage (exit 2): agreeing and disagreeing at once, neither, an unknown kind.
    qadesk(data_dir, "moderation", "record", world["first"], "--agree", "--grade", "good", check=2)
    qadesk(data_dir, "moderation", "record", world["first"], check=2)
    qadesk(data_dir, "moderation", "record", world["first"], "--agree", "--kind", "regional", check=2)


def test_nobody_moderates_their_own_audit_on_the_command_line(data_dir: Path, world: dict[str, str]) -> None:
    qadesk(data_dir, "profile", "set", "--name", "a.  auditor", "--role", "Team manager")  # the auditor again
    refused = qadesk(data_dir, "moderation", "record", world["first"], "--agree", check=1)
    assert refused.stderr.strip().endswith("was completed by A. Auditor; a moderator must be someone else")
    assert refused.stdout == ""
    assert json.loads(qadesk(data_dir, "moderation", "list", "--json").stdout) == []
    shown = json.loads(qadesk(data_dir, "audit", "show", world["first"], "--json").stdout)
    assert shown["status"] == "completed" and shown["moderations"] == []


def test_programme_create_and_list(data_dir: Path, world: dict[str, str]) -> None:
    made = qadesk(data_dir, "programme", "create", "--name", "December regular audits", "--template", "cli-work",
                  "--teams", "Assessment Team 2, Children in Care East", "--target", "5",
                  "--start", "2026-12-01", "--end", "2026-12-31")
    assert made.stdout.strip() == "December regular audits"
    progs = json.loads(qadesk(data_dir, "programme", "list", "--json").stdout)
    assert len(progs) == 1
    p = progs[0]
    assert p["name"] == "December regular audits" and p["template"]["id"] == "cli-work"
    assert p["teams"] == ["Assessment Team 2", "Children in Care East"]
    assert (p["target_per_team"], p["target"], p["starts_on"], p["ends_on"]) == (5, 10, "2026-12-01", "2026-12-31")
    text = qadesk(data_dir, "programme", "list").stdout
    assert "1 Dec 2026 to 31 Dec 2026" in text and "5 per team (10 in all)" in text

    started = qadesk(data_dir, "audit", "new", "--template", "cli-work", "--team", "Assessment Team 2",
                     "--programme", "December regular audits").stdout.strip()
    p = json.loads(qadesk(data_dir, "programme", "list", "--json").stdout)[0]
    assert p["started"] == 1 and started

    assert "already exists" in qadesk(data_dir, "programme", "create", "--name", "December regular audits",
                                      check=1).stderr
    assert "ends before it starts" in qadesk(data_dir, "programme", "create", "--name", "Backwards",
                                             "--start", "2026-12-31", "--end", "2026-12-01", check=1).stderr
    assert "no template 'nope'" in qadesk(data_dir, "programme", "create", "--name", "X", "--template", "nope",
                                          check=1).stderr
    assert len(json.loads(qadesk(data_dir, "programme", "list", "--json").stdout)) == 1
    qadesk(data_dir, "programme", "create", "--name", "Y", "--target", "ten", check=2)
    qadesk(data_dir, "programme", "create", "--template", "cli-work", check=2)  # --name is required


def test_audit_answer_writes_the_summary_fields(data_dir: Path, world: dict[str, str]) -> None:
    qadesk(data_dir, "profile", "set", "--name", "A. Auditor")
    audit = world["draft"]
    qadesk(data_dir, "audit", "answer", audit, "summary.strengths=Child's views recorded at every visit",
           "summary.development=Plan needs timescales", "visits=6")
    doc = json.loads(qadesk(data_dir, "audit", "show", audit, "--json").stdout)
    assert doc["summary"]["strengths"] == "Child's views recorded at every visit"
    assert doc["summary"]["development"] == "Plan needs timescales"
    assert doc["answers"]["visits"]["value"] == 6
    qadesk(data_dir, "audit", "answer", audit, "summary.development=")  # empty clears it
    doc = json.loads(qadesk(data_dir, "audit", "show", audit, "--json").stdout)
    assert doc["summary"]["development"] is None and doc["summary"]["strengths"]

    wrong = qadesk(data_dir, "audit", "answer", audit, "summary.feelings=Happy", check=1)
    assert "'feelings' is not a summary field" in wrong.stderr and "strengths" in wrong.stderr
    done = qadesk(data_dir, "audit", "answer", world["first"], "summary.strengths=Late change", check=1)
    assert done.stderr.startswith("qadesk: ")
    assert json.loads(qadesk(data_dir, "audit", "show", world["first"], "--json").stdout)["summary"]["strengths"] is None


def test_several_statuses_in_audit_list_and_a_moderation_pack(data_dir: Path, world: dict[str, str],
                                                               tmp_path: Path) -> None:
    qadesk(data_dir, "moderation", "record", world["first"], "--agree")
    both = json.loads(qadesk(data_dir, "audit", "list", "--status", "completed,moderated", "--json").stdout)
    assert {(a["id"], a["status"]) for a in both} == {(world["first"], "moderated"), (world["second"], "completed")}
    repeated = json.loads(qadesk(data_dir, "audit", "list", "--status", "completed", "--status", "draft",
                                 "--json").stdout)
    assert {a["id"] for a in repeated} == {world["second"], world["draft"]}
    assert "'finished' is not a status" in qadesk(data_dir, "audit", "list", "--status", "completed,finished",
                                                  check=2).stderr

    # A moderation pack of "everything" offers the completed and moderated audits, never the draft.
    pack = tmp_path / "mod.qapack"
    out = qadesk(data_dir, "pack", "export", "--kind", "moderation_request", "--to", str(pack)).stdout
    assert "moderation pack of 2 audits" in out
    import zipfile

    with zipfile.ZipFile(pack) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert set(manifest["audits"]) == {world["first"], world["second"]}
    out = qadesk(data_dir, "pack", "export", "--kind", "moderation_request", "--status", "completed,moderated",
                 "--to", str(pack)).stdout
    assert "moderation pack of 2 audits" in out
    out = qadesk(data_dir, "pack", "export", "--kind", "moderation_request", "--status", "moderated",
                 "--to", str(pack)).stdout
    assert "moderation pack of 1 audit" in out
    refused = qadesk(data_dir, "pack", "export", "--kind", "moderation_request", "--status", "draft",
                     "--to", str(tmp_path / "drafts.qapack"), check=1)
    assert "takes completed or moderated audits, not draft ones" in refused.stderr
    assert not (tmp_path / "drafts.qapack").exists()
    named = qadesk(data_dir, "pack", "export", "--kind", "moderation_request", "--audit", world["draft"],
                   "--to", str(tmp_path / "named.qapack"), check=1)
    assert "is a draft" in named.stderr
    # A transfer pack still takes drafts.
    out = qadesk(data_dir, "pack", "export", "--status", "draft,completed", "--to", str(tmp_path / "t.qapack")).stdout
    assert "of 2 audits" in out
