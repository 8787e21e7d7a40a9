"""A programme's sample, allocation and progress on the real command line (contracts.md section 6)."""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from tests.helpers.cli import run_qadesk

ROOT = Path(__file__).resolve().parents[2]
TEAMS = ("Assessment 1", "Assessment 2", "Children in Care East")
AUDITORS = "B. Manager, C. Officer, D. Practice"


def qadesk(data_dir: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = run_qadesk(data_dir, *args)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


@pytest.fixture
def cli_store(data_dir: Path) -> Path:
    """A store with the regular case audit, a made-up case list of 90 cases, three auditors and a programme."""
    from qadesk.core.sampling import column_name
    from qadesk.store import open_store
    from qadesk.store.models import Case, Person

    store = open_store(data_dir)
    try:
        with store.transaction() as s:
            for i in range(90):
                team = TEAMS[i % 3]
                row = Case(reference=f"CR-{500000 + i}", case_type=("CIN", "CP", "CLA", "CL")[i % 4], team=team,
                           age_band=("0-4", "5-9", "10-15", "16-17")[i % 4])
                if hasattr(Case, "worker"):  # the case list's allocated worker, once the store keeps it
                    row.worker = "B. Manager" if i % 5 == 0 else f"W. Worker{i % 7}"  # type: ignore[attr-defined]
                s.add(row)
            s.add_all([Person(name="B. Manager", role="Team manager", team="Assessment 1", organisation=""),
                       Person(name="C. Officer", role="QA officer", team="Quality Assurance", organisation=""),
                       Person(name="D. Practice", role="Practice manager", team="Assessment 2", organisation="")])
        assert column_name("Age band") == "age_band"
    finally:
        store.close()
    qadesk(data_dir, "template", "import", str(ROOT / "forms" / "regular-case-audit.json"))
    made = qadesk(data_dir, "programme", "create", "--name", "December regular audits", "--template",
                  "regular-case-audit", "--start", "2026-12-01", "--end", "2026-12-31")
    assert made.stdout.strip() == "December regular audits"
    return data_dir


def test_sample_shows_each_case_with_its_reason_creates_nothing_and_repeats_with_the_seed(cli_store: Path) -> None:
    args = ("programme", "sample", "December regular audits", "--seed", "42", "--per-team", "4",
            "--stratify", "case_type", "--json")
    first = qadesk(cli_store, *args)
    rows = json.loads(first.stdout)
    assert len(rows) == 12 and Counter(r["team"] for r in rows) == dict.fromkeys(TEAMS, 4)
    assert all({"case_ref", "team", "case_type", "reason"} <= set(r) for r in rows)
    assert all(r["reason"].startswith("random ") and "stratum" in r["reason"] for r in rows)
    assert "12 cases chosen from 90 in the case list" in first.stderr and "seed 42" in first.stderr
    assert json.loads(qadesk(cli_store, *args).stdout) == rows
    other = json.loads(qadesk(cli_store, *args[:4], "43", *args[5:]).stdout)
    assert [r["case_ref"] for r in other] != [r["case_ref"] for r in rows]
    assert json.loads(qadesk(cli_store, "audit", "list", "--json").stdout) == []
    text = qadesk(cli_store, *args[:-1]).stdout.splitlines()
    assert len(text) == 12 and text[0].count("\t") == 3


def test_sample_with_filters_and_a_percentage(cli_store: Path) -> None:
    rows = json.loads(qadesk(cli_store, "programme", "sample", "December regular audits", "--seed", "7",
                             "--percent", "50", "--where", "age_band=10-15", "--json").stdout)
    assert rows and all("matches age_band=10-15" in r["reason"] for r in rows)
    assert len(rows) == 4 + 4 + 4  # 7 or 8 of each team's 22-23 cases are 10-15: half of 7.5 rounds to 4
    refused = qadesk(cli_store, "programme", "sample", "December regular audits", "--seed", "7", "--percent", "50",
                     "--where", "visits_overdue=yes", check=1)
    assert "no column 'visits_overdue'" in refused.stderr


def test_allocate_creates_the_assigned_drafts_balanced_and_status_counts_them(cli_store: Path) -> None:
    sample = json.loads(qadesk(cli_store, "programme", "sample", "December regular audits", "--seed", "42",
                               "--per-team", "3", "--json").stdout)
    made = qadesk(cli_store, "programme", "allocate", "December regular audits", "--seed", "42", "--per-team", "3",
                  "--auditors", AUDITORS, "--json")
    rows = json.loads(made.stdout)
    assert [r["case_ref"] for r in rows] == [r["case_ref"] for r in sample]  # the same seed, the same sample
    assert all(r["auditor"] and r["id"] and r["due"] == "2026-12-31" for r in rows)
    loads = Counter(r["auditor"] for r in rows)
    assert sum(loads.values()) == 9 and max(loads.values()) - min(loads.values()) <= 1
    assert all(r["auditor"] != r["worker"] for r in rows)
    audits = json.loads(qadesk(cli_store, "audit", "list", "--json", "--programme", "December regular audits").stdout)
    assert {a["id"] for a in audits} == {r["id"] for r in rows}
    assert {a["status"] for a in audits} == {"draft"}
    one = json.loads(qadesk(cli_store, "audit", "show", rows[0]["id"], "--json").stdout)
    assert one["auditor"]["name"] == rows[0]["auditor"] and one["subject"]["case_ref"] == rows[0]["case_ref"]

    status = json.loads(qadesk(cli_store, "programme", "status", "December regular audits", "--json").stdout)
    teams = {s["team"]: s for s in status if s["team"]}
    auditors = {s["auditor"]: s for s in status if s["auditor"]}
    assert set(teams) == set(TEAMS) and all(s["assigned"] == 3 and s["started"] == 0 for s in teams.values())
    assert {k: v["assigned"] for k, v in auditors.items()} == dict(loads)
    assert all({"assigned", "started", "completed", "moderated"} <= set(s) for s in status)

    qadesk(cli_store, "audit", "answer", rows[0]["id"], "summary.strengths=Clear plan")
    moved = qadesk(cli_store, "programme", "hand-over", rows[1]["reference"] if rows[1].get("reference") else
                   rows[1]["id"], "--to", next(n for n in loads if n not in (rows[1]["auditor"], rows[1]["worker"])),
                   "--due", "2026-12-10")  # another auditor, never the case's own worker
    assert "handed to" in moved.stdout
    status = json.loads(qadesk(cli_store, "programme", "status", "December regular audits", "--json").stdout)
    assert sum(s["started"] for s in status if s["team"]) == 1
    text = qadesk(cli_store, "programme", "status", "December regular audits").stdout
    assert "9 assigned, 1 started, 0 completed, 0 moderated" in text

    # A second allocation leaves out the cases already in the programme.
    again = json.loads(qadesk(cli_store, "programme", "allocate", "December regular audits", "--seed", "42",
                              "--per-team", "3", "--auditors", AUDITORS, "--json").stdout)
    assert not {r["case_ref"] for r in again} & {r["case_ref"] for r in rows}
    kept = json.loads(qadesk(cli_store, "programme", "samples", "December regular audits", "--json").stdout)
    assert [k["options"]["seed"] for k in kept] == [42, 42] and [k["created"] for k in kept] == [9, 9]
    assert [c["case_ref"] for c in kept[0]["chosen"]] == [r["case_ref"] for r in rows]


def test_allocate_never_the_own_team_when_asked(cli_store: Path) -> None:
    rows = json.loads(qadesk(cli_store, "programme", "allocate", "December regular audits", "--seed", "5",
                             "--per-team", "4", "--auditors", AUDITORS, "--not-own-team", "--json").stdout)
    own = {"B. Manager": "Assessment 1", "D. Practice": "Assessment 2"}
    assert rows and all(own.get(r["auditor"]) != r["team"] for r in rows)


@pytest.mark.parametrize("args, code, words", [
    (("sample", "December regular audits", "--per-team", "3"), 2, "--seed"),
    (("sample", "December regular audits", "--seed", "1"), 2, "--per-team"),
    (("sample", "December regular audits", "--seed", "1", "--per-team", "3", "--percent", "5"), 2, "not allowed"),
    (("sample", "No such programme", "--seed", "1", "--per-team", "3"), 1, "no programme called"),
    (("sample", "December regular audits", "--seed", "1", "--per-team", "3", "--where", "oops"), 1, "COLUMN=VALUE"),
    (("allocate", "December regular audits", "--seed", "1", "--per-team", "3"), 2, "--auditors"),
    (("allocate", "December regular audits", "--seed", "1", "--per-team", "3", "--auditors", "A, a"), 1, "twice"),
    (("status", "No such programme"), 1, "no programme called"),
    (("hand-over", "AUD-2026-9999", "--to", "C. Officer"), 1, "no assigned audit"),
])
def test_wrong_usage_and_refusals(cli_store: Path, args, code, words) -> None:
    proc = qadesk(cli_store, "programme", *args, check=code)
    assert words in proc.stderr
    assert json.loads(qadesk(cli_store, "audit", "list", "--json").stdout) == []
