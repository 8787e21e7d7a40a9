"""The final grade from the real command line: `audit show --json` (the contract's document, plus
`final_grade`) and `audit list`, after a moderator changed the auditor's grade."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qadesk.exchange.pack_check import validator
from qadesk.services import audits as svc
from tests.helpers.cli import run_qadesk
from tests.helpers.exports import fill_audit, set_up_people


@pytest.fixture
def moderated(tmp_path: Path):
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template
    from qadesk.store import open_store
    from tests.conftest import FORMS

    folder = tmp_path / "store"
    store = open_store(folder)
    with store.transaction() as s:
        import_template(s, read_template(FORMS / "regular-case-audit.json"), actor="test")
        set_up_people(s)
        aid = fill_audit(s, "regular-case-audit")
        svc.moderate(s, aid, moderator=svc.Actor("Mo Derator", organisation="Neighbouring Council"), agreed=False,
                     grade="ri", rationale="No timescales in the plan", kind="external")
        ref = svc.get_audit(s, aid).reference
    store.close()
    return folder, aid, ref


def test_audit_show_and_list_give_the_final_grade_and_keep_the_auditors(moderated) -> None:
    folder, aid, ref = moderated
    shown = run_qadesk(folder, "audit", "show", ref, "--json")
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["overall"]["grade"] == "outstanding"  # the auditor's judgement is unchanged
    assert doc["final_grade"] == "ri" == doc["moderations"][-1]["grade"]
    assert list(validator("audit-document").iter_errors(doc)) == []  # still the contract's document
    text = run_qadesk(folder, "audit", "show", ref).stdout
    assert "Overall: Outstanding" in text and "Final grade (moderated): Requires improvement to be good" in text
    listed = run_qadesk(folder, "audit", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    (row,) = json.loads(listed.stdout)
    assert (row["id"], row["grade"], row["auditor_grade"]) == (aid, "ri", "outstanding")
