"""The team server's people on the command line, in subprocesses, on the real PostgreSQL test server:
``server setup-roles`` and ``server add-person`` make each person a login of their own with their roles; that
login is the person (no --person needed to check out a laptop, which then keeps to the server's roles); a
refusal is in words; and the people list says who is who."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from qadesk.store import open_store
from tests.helpers.cli import run_qadesk
from tests.sync.sync_world import AUDITORS, laptop, seed_server


def test_setup_roles_add_person_and_a_login_that_is_the_person(pg_server, pg_url: str, tmp_path: Path) -> None:
    server = open_store(url=pg_url)
    try:
        ids = seed_server(server, per_auditor=1)
    finally:
        server.close()
    owner = {"QADESK_DATABASE_URL": pg_url}
    r = run_qadesk(None, "server", "setup-roles", **owner)
    assert r.returncode == 0, r.stderr
    assert "qadesk_qa_lead" in r.stdout
    assert run_qadesk(None, "server", "setup-roles", **owner).returncode == 0  # again: nothing changes

    login = f"rf_{uuid.uuid4().hex[:6]}"
    r = run_qadesk(None, "server", "add-person", login, "--name", AUDITORS[0], "--role", "auditor", "--team",
                   "Assessment 2", "--job-title", "Senior practitioner", **owner)
    assert r.returncode == 0, r.stderr
    assert f"{AUDITORS[0]} works on this server as the login {login}: Auditor." in r.stdout
    people = json.loads(run_qadesk(None, "server", "people", "--json", **owner).stdout)
    assert {"name": AUDITORS[0], "login": login, "roles": ["auditor"]}.items() <= \
        next(p for p in people if p["login"] == login).items()
    database = pg_url.rsplit("/", 1)[1]
    theirs = {"QADESK_DATABASE_URL": pg_server.url(database, login)}
    refused = run_qadesk(None, "programme", "create", "--name", "Behind the QA lead's back", **theirs)
    assert refused.returncode == 1 and f"{AUDITORS[0]} (Auditor) may not plan programmes" in refused.stderr
    refused = run_qadesk(None, "server", "add-person", "someone", "--name", "Some One", "--role", "qa_lead", **theirs)
    assert refused.returncode == 1 and "may not add people" in refused.stderr
    # Their laptop: the person is the login, and the laptop keeps to the server's roles for them.
    folder = tmp_path / "laptop"
    r = run_qadesk(folder, "sync", "checkout", "--server", pg_server.url(database, login), QADESK_DATABASE_URL="")
    assert r.returncode == 0, r.stderr
    assert f"for {AUDITORS[0]}" in r.stdout and "(1 new here)" in r.stdout
    lap = laptop(folder)
    try:
        from qadesk.services.profile import get_profile

        with lap.session() as s:
            assert get_profile(s).roles == ["auditor"]
    finally:
        lap.close()
    changed = run_qadesk(folder, "profile", "set", "--roles", "qa_lead", QADESK_DATABASE_URL="")
    assert changed.returncode == 1 and "takes its roles from the team server" in changed.stderr
    other = run_qadesk(tmp_path / "other", "sync", "checkout", "--server", pg_server.url(database, login),
                       "--person", AUDITORS[1], QADESK_DATABASE_URL="")
    assert other.returncode == 1 and "may take only their own audits away" in other.stderr
    assert ids  # the seeded audits were there to check out
