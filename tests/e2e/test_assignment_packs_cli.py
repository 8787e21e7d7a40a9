"""A programme sent out as packs of assigned audits, one per auditor, and back, on the real command line.

The QA lead allocates a programme on their store; each auditor's laptop is another store. Importing an
auditor's pack there files the audits under the programme, assigned to them (Home's "Assigned to you");
the finished audits come back in a pack and the QA lead's programme counts them completed.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from tests.e2e.test_cli_work import TEMPLATE, qadesk  # the one-question template and the checked run

PROGRAMME = "December regular audits"
TEAMS = ("Assessment 1", "Assessment 2", "Children in Care East")
AUDITORS = ("B. Manager", "C. Officer", "D. Practice")


@pytest.fixture
def lead(tmp_path: Path) -> Path:
    """The QA lead's store: a made-up case list of 60 cases, three auditors, a programme allocated (9 audits)."""
    from qadesk.store import open_store
    from qadesk.store.models import Case, Person

    folder = tmp_path / "lead"
    store = open_store(folder)
    try:
        with store.transaction() as s:
            for i in range(60):
                s.add(Case(reference=f"CR-{610000 + i}", case_type=("CIN", "CP", "CLA")[i % 3], team=TEAMS[i % 3],
                           worker=f"W. Worker{i % 7}"))
            s.add_all([Person(name=n, role="Team manager", team="Quality Assurance", organisation="")
                       for n in AUDITORS])
    finally:
        store.close()
    template = tmp_path / "cli-work.json"
    template.write_text(json.dumps(TEMPLATE), encoding="utf-8")
    qadesk(folder, "template", "import", str(template))
    qadesk(folder, "profile", "set", "--name", "Q. Lead", "--role", "QA lead")
    qadesk(folder, "programme", "create", "--name", PROGRAMME, "--template", "cli-work", "--start", "2026-12-01",
           "--end", "2026-12-31")
    qadesk(folder, "programme", "allocate", PROGRAMME, "--seed", "11", "--per-team", "3", "--auditors",
           ", ".join(AUDITORS), "--due", "2026-12-18", "--json")
    return folder


def _allocated(folder: Path) -> dict[str, list[str]]:
    rows = json.loads(qadesk(folder, "audit", "list", "--programme", PROGRAMME, "--json").stdout)
    out: dict[str, list[str]] = {}
    for r in rows:
        doc = json.loads(qadesk(folder, "audit", "show", r["id"], "--json").stdout)
        out.setdefault(doc["assignment"]["auditor"]["name"], []).append(doc["id"])
    return out


def test_each_auditor_gets_a_pack_of_their_own_assigned_drafts(lead: Path, tmp_path: Path) -> None:
    allocated = _allocated(lead)
    assert sorted(allocated) == sorted(AUDITORS) and sum(map(len, allocated.values())) == 9
    out = tmp_path / "to send"
    done = qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(out), "--json")
    packs = json.loads(done.stdout)
    assert [p["auditor"] for p in packs] == sorted(AUDITORS)
    for p in packs:
        path = Path(p["file"])
        assert path.parent == out and path.name == f"{PROGRAMME} - {p['auditor']}.qapack"
        with zipfile.ZipFile(path) as zf:
            manifest = json.loads(zf.read("manifest.json"))
        assert manifest["kind"] == "audit_transfer" and not manifest["pseudonymised"]
        assert sorted(manifest["audits"]) == sorted(allocated[p["auditor"]])
        assert len(p["audits"]) == len(allocated[p["auditor"]])
    assert "3 packs of 9 assigned audits written" in done.stderr
    one = json.loads(qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(out), "--auditor", "c officer",
                            "--json").stdout)
    assert [p["auditor"] for p in one] == ["C. Officer"]
    refused = qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(out), "--auditor", "E. Nobody", check=1)
    assert "E. Nobody has no draft audit assigned" in refused.stderr and "B. Manager, C. Officer" in refused.stderr


def test_the_auditors_laptop_files_them_under_the_programme_and_the_finished_work_comes_back(
        lead: Path, tmp_path: Path) -> None:
    allocated = _allocated(lead)
    mine = sorted(allocated["C. Officer"])
    qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(tmp_path / "out"))
    pack = tmp_path / "out" / f"{PROGRAMME} - C. Officer.qapack"

    laptop = tmp_path / "laptop"
    qadesk(laptop, "profile", "set", "--name", "C. Officer", "--role", "QA officer")
    imported = qadesk(laptop, "pack", "import", str(pack)).stdout
    assert f"assigned to C. Officer in {PROGRAMME}: {len(mine)}" in imported and "note:" not in imported
    status = json.loads(qadesk(laptop, "programme", "status", PROGRAMME, "--json").stdout)
    officer = next(r for r in status if r["auditor"] == "C. Officer")
    assert (officer["assigned"], officer["started"], officer["completed"]) == (len(mine), 0, 0)
    assert not [r for r in status if r["by"] == "auditor" and r["auditor"] != "C. Officer"]
    plan = next(p for p in json.loads(qadesk(laptop, "programme", "list", "--json").stdout) if p["name"] == PROGRAMME)
    assert (plan["template"]["id"], plan["starts_on"], plan["ends_on"]) == ("cli-work", "2026-12-01", "2026-12-31")

    from qadesk.services.assignments import assigned_to
    from qadesk.store import open_store

    store = open_store(laptop)
    try:
        with store.session() as s:
            waiting = assigned_to(s, "C. Officer")
    finally:
        store.close()
    assert sorted(a.audit_id for a in waiting) == mine
    assert all(a.programme == PROGRAMME and a.due_on.isoformat() == "2026-12-18" and a.stage == "not started"
               and a.reason for a in waiting)

    first = mine[0]
    qadesk(laptop, "audit", "answer", first, "visits=4")
    qadesk(laptop, "audit", "judge", first, "--overall", "good")
    qadesk(laptop, "audit", "submit", first)
    status = json.loads(qadesk(laptop, "programme", "status", PROGRAMME, "--json").stdout)
    officer = next(r for r in status if r["auditor"] == "C. Officer")
    assert (officer["started"], officer["completed"]) == (1, 1)
    back = tmp_path / "back.qapack"
    qadesk(laptop, "pack", "export", "--to", str(back), "--programme", PROGRAMME)

    returned = qadesk(lead, "pack", "import", str(back)).stdout
    assert "audits updated: 1" in returned and "conflicts" not in returned
    status = json.loads(qadesk(lead, "programme", "status", PROGRAMME, "--json").stdout)
    officer = next(r for r in status if r["auditor"] == "C. Officer")
    assert (officer["assigned"], officer["completed"]) == (len(mine), 1)
    doc = json.loads(qadesk(lead, "audit", "show", first, "--json").stdout)
    assert doc["status"] == "completed" and doc["assignment"]["auditor"]["name"] == "C. Officer"
    # The history accounts for every allocation, import and return, on both stores.
    for store in (lead, laptop):
        assert "problem" not in qadesk(store, "history", "verify").stdout


def test_a_hand_over_is_replayed_by_the_history(lead: Path) -> None:
    draft = next(i for ids in _allocated(lead).values() for i in ids)
    qadesk(lead, "programme", "hand-over", draft, "--to", "Q. Lead", "--due", "2026-12-24")
    doc = json.loads(qadesk(lead, "audit", "show", draft, "--json").stdout)
    assert doc["auditor"]["name"] == doc["assignment"]["auditor"]["name"] == "Q. Lead"
    assert doc["assignment"]["due"] == "2026-12-24"
    verified = qadesk(lead, "history", "verify")
    assert "problem" not in verified.stdout, verified.stdout


def test_a_pack_imported_by_someone_else_says_whose_audits_they_are(lead: Path, tmp_path: Path) -> None:
    qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(tmp_path / "out"), "--auditor", "B. Manager")
    laptop = tmp_path / "laptop"
    qadesk(laptop, "profile", "set", "--name", "D. Practice")
    imported = qadesk(laptop, "pack", "import", str(tmp_path / "out" / f"{PROGRAMME} - B. Manager.qapack")).stdout
    assert "note: these are assigned to B. Manager, and your profile's name is D. Practice" in imported


def test_an_external_pack_carries_no_assignment(lead: Path, tmp_path: Path) -> None:
    out = tmp_path / "external.qapack"
    qadesk(lead, "pack", "export", "--to", str(out), "--programme", PROGRAMME, "--external", "--identifiable")
    import zipfile

    with zipfile.ZipFile(out) as zf:
        docs = [json.loads(zf.read(n)) for n in zf.namelist() if n.startswith("audits/")]
    assert len(docs) == 9 and all(d["assignment"] is None for d in docs)


def test_the_qa_lead_gets_no_pack_of_their_own_drafts(lead: Path, tmp_path: Path) -> None:
    qadesk(lead, "profile", "set", "--name", "B. Manager")
    packs = json.loads(qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(tmp_path / "o"), "--json").stdout)
    assert [p["auditor"] for p in packs] == ["C. Officer", "D. Practice"]
    named = json.loads(qadesk(lead, "programme", "packs", PROGRAMME, "--to", str(tmp_path / "o"), "--auditor",
                              "B. Manager", "--json").stdout)
    assert [p["auditor"] for p in named] == ["B. Manager"]  # named, it is written (for another laptop of theirs)
