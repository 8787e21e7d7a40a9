"""The case list and performance data on the real command line, in a subprocess as a QA lead runs it."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.helpers.case_lists import case_rows, spoilt_list, write_csv
from tests.helpers.cli import run_qadesk


def qadesk(data_dir: Path, *args: str, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = run_qadesk(data_dir, *args)
    if check is not None:
        assert proc.returncode == check, (proc.returncode, proc.stdout, proc.stderr)
    return proc


def test_import_a_list_then_list_its_cases(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rows = case_rows(30)
    out = qadesk(data, "case", "import", str(write_csv(tmp_path / "cases.csv", rows)))
    assert out.stdout.strip() == "Imported cases.csv: 30 added, 0 updated, 0 unchanged, 0 no longer on the list."
    listed = json.loads(qadesk(data, "case", "list", "--json").stdout)
    assert len(listed) == 30 and {"case_ref", "case_type", "team", "worker", "fields"} <= set(listed[0])
    one = next(c for c in listed if c["case_ref"] == rows[0][0])
    assert one["fields"]["date_of_referral"] == "-".join(reversed(str(rows[0][5]).split("/")))
    assert one["fields"]["repeat_referral"] is (rows[0][7] == "Yes")
    team = rows[0][2]
    by_team = json.loads(qadesk(data, "case", "list", "--team", team, "--json").stdout)
    assert {c["team"] for c in by_team} == {team} and len(by_team) == sum(r[2] == team for r in rows)
    plain = qadesk(data, "case", "list", "--team", team).stdout.splitlines()
    assert plain[0].split("\t")[:3] == [by_team[0]["case_ref"], by_team[0]["case_type"], team]
    rows[0][2] = "Assessment 9"
    again = qadesk(data, "case", "import", str(write_csv(tmp_path / "december.csv", rows[:-1])))
    assert "0 added, 1 updated, 28 unchanged, 1 no longer on the list" in again.stdout


def test_a_list_with_bad_rows_exits_1_with_one_row_line_each_and_stores_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    rows, bad = spoilt_list(600)
    out = qadesk(data, "case", "import", str(write_csv(tmp_path / "cases.csv", rows)), check=1)
    lines = [line for line in out.stderr.splitlines() if line.startswith("row ")]
    assert [int(line.split(":")[0].split()[1]) for line in lines] == sorted(bad)
    for line in lines:
        assert bad[int(line.split(":")[0].split()[1])][1] in line
    assert out.stderr.splitlines()[-1].endswith(f"refused: {len(bad)} rows cannot be imported; nothing was stored.")
    assert json.loads(qadesk(data, "case", "list", "--json").stdout) == []
    checked = qadesk(data, "case", "import", "--check", str(write_csv(tmp_path / "good.csv", case_rows(5))))
    assert "5 cases can be imported" in checked.stdout
    assert json.loads(qadesk(data, "case", "list", "--json").stdout) == []


def test_an_unknown_mapping_and_a_missing_file_exit_1_wrong_usage_2(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = write_csv(tmp_path / "cases.csv", case_rows(3))
    missing = qadesk(data, "case", "import", str(path), "--mapping", "Nope", check=1)
    assert "no mapping 'Nope'" in missing.stderr
    gone = qadesk(data, "case", "import", str(tmp_path / "nothing.csv"), check=1)
    assert "the file does not exist" in gone.stderr
    qadesk(data, "case", "import", check=2)
    qadesk(data, "case", "frobnicate", check=2)
    assert qadesk(data, "case", "mappings", "--json").stdout.strip() == "[]"


def test_indicators_import_and_list(tmp_path: Path) -> None:
    data = tmp_path / "data"
    path = tmp_path / "kpis.csv"
    path.write_text("Indicator,Team,Month,Value,Target\nVisits in time,Assessment 1,Nov 2026,85%,90\n"
                    "Visits in time,,Nov 2026,88,90\n", encoding="utf-8")
    out = qadesk(data, "indicators", "import", str(path))
    assert out.stdout.strip() == ("Imported kpis.csv: 1 indicator (Nov 2026), 2 figures added, 0 updated, "
                                  "0 unchanged.")
    figures = json.loads(qadesk(data, "indicators", "list", "--json").stdout)
    assert figures == [
        {"indicator": "Visits in time", "team": None, "period": "2026-11", "value": 88.0, "target": 90.0,
         "unit": None},
        {"indicator": "Visits in time", "team": "Assessment 1", "period": "2026-11", "value": 85.0, "target": 90.0,
         "unit": "%"}]
    path.write_text("Indicator,Team,Month,Value\nVisits in time,Assessment 1,Nov 2026,eighty\n", encoding="utf-8")
    bad = qadesk(data, "indicators", "import", str(path), check=1)
    assert bad.stderr.splitlines()[0] == "row 2: value: 'eighty' is not a number"
