"""Choosing what to moderate on the real command line, from a store of made-up audits."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.test_cli_work import qadesk


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("moderation-sample")
    qadesk(folder, "demo-data", "--audits", "400")
    qadesk(folder, "profile", "set", "--name", "Q. Lead", "--role", "QA lead")
    return folder


def _year() -> tuple[str, str]:
    today = date.today()
    return (today - timedelta(days=365)).isoformat(), today.isoformat()


def test_a_sample_is_shown_with_reasons_repeats_with_its_seed_and_is_recorded_once(demo: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "store"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns("qadesk.locks"))
    since, until = _year()
    args = ("moderation", "sample", "--seed", "9", "--since", since, "--until", until, "--percent", "10",
            "--minimum-per-quarter", "1", "--extremes", "--json")
    first = qadesk(folder, *args)
    rows = json.loads(first.stdout)
    assert rows and all({"id", "reference", "auditor", "grade", "completed_on", "step", "reason"} <= set(r)
                        for r in rows)
    assert json.loads(qadesk(folder, *args).stdout) == rows
    assert Counter(r["step"] for r in rows).keys() <= {"extreme", "share", "minimum"}
    ends = {"outstanding", "inadequate", "green", "red", "positive", "negative"}  # the ends of the shipped scales
    assert all(r["grade"] in ends for r in rows if r["step"] == "extreme")
    assert "completed audits chosen for moderation" in first.stderr
    awaiting = json.loads(qadesk(folder, "moderation", "list", "--awaiting", "--json").stdout)
    in_period = {a["id"] for a in awaiting if since <= (a.get("completed_at") or "")[:10] <= until}
    assert {r["id"] for r in rows} <= in_period

    done = qadesk(folder, *args[:-1], "--confirm")
    assert f"{len(rows):,} audits recorded as chosen for moderation" in done.stderr
    again = qadesk(folder, *args[:-1], "--confirm")
    assert "0 audits recorded as chosen" in again.stderr  # the same audits are chosen once
    verified = qadesk(folder, "history", "verify")
    assert "problem" not in verified.stdout

    from qadesk.services.moderation_sampling import chosen_awaiting
    from qadesk.store import open_store

    store = open_store(folder)
    try:
        with store.session() as s:
            chosen = chosen_awaiting(s)
    finally:
        store.close()
    assert {c.audit_id for c in chosen} == {r["id"] for r in rows}
    assert {c.chosen_by for c in chosen} == {"Q. Lead"} and all(c.reason for c in chosen)


def test_the_rules_are_kept_as_the_qa_leads_settings(demo: Path, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "store"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns("qadesk.locks"))
    since, until = _year()
    qadesk(folder, "moderation", "sample", "--seed", "1", "--since", since, "--until", until, "--percent", "25",
           "--minimum-per-quarter", "3", "--no-extremes", "--save-rules")
    plain = qadesk(folder, "moderation", "sample", "--seed", "1", "--since", since, "--until", until)
    assert "25% stratified by auditor and grade; at least 3 per auditor per quarter" in plain.stderr
    assert "either end" not in plain.stderr
    refused = qadesk(folder, "moderation", "sample", "--seed", "1", "--percent", "140", check=1)
    assert "percentage from 0 to 100" in refused.stderr
