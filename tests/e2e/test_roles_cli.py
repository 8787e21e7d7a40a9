"""Roles on the command line, in a subprocess: the profile's roles on a laptop; the refusal in words with
exit code 1 and nothing changed.  tests/sync/test_roles_server_cli.py does the team server's commands."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import FORMS
from tests.helpers.cli import run_qadesk


def test_an_auditor_is_refused_a_template_import_and_a_qa_lead_is_not(tmp_path: Path) -> None:
    data = tmp_path / "store"
    r = run_qadesk(data, "profile", "set", "--name", "Robin Firstperson", "--role", "Team manager",
                   "--roles", "auditor,moderator")
    assert r.returncode == 0, r.stderr
    shown = json.loads(run_qadesk(data, "profile", "show", "--json").stdout)
    assert shown["roles"] == ["auditor", "moderator"] and shown["role"] == "Team manager"
    template = str(FORMS / "regular-case-audit.json")
    refused = run_qadesk(data, "template", "import", template)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "Robin Firstperson (Auditor and Moderator) may not import templates: that is for a QA lead" \
        in refused.stderr
    assert json.loads(run_qadesk(data, "template", "list", "--json").stdout) == []
    planned = run_qadesk(data, "programme", "create", "--name", "Neglect audit", "--template", "regular-case-audit")
    assert planned.returncode == 1 and "may not plan programmes" in planned.stderr
    assert run_qadesk(data, "profile", "set", "--roles", "qa_lead").returncode == 0
    assert run_qadesk(data, "template", "import", template).returncode == 0
    assert run_qadesk(data, "profile", "set", "--roles", "all").returncode == 0  # back to one person's desk
    assert json.loads(run_qadesk(data, "profile", "show", "--json").stdout)["roles"] is None
    assert "roles: all (this is the person's own desk)" in run_qadesk(data, "profile", "show").stdout


def test_a_role_that_is_not_one_is_refused_saying_which_are(tmp_path: Path) -> None:
    r = run_qadesk(tmp_path / "store", "profile", "set", "--name", "Robin Firstperson", "--roles", "auditor,boss")
    assert r.returncode == 1 and "'boss' is not a role" in r.stderr and "qa_lead" in r.stderr
