"""Shared by the sync tests: a team server with drafts assigned to two auditors, and laptops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qadesk.core.merge import flatten
from qadesk.exchange.templates import read_template
from qadesk.services import audits as svc
from qadesk.services.audit_document import audit_document
from qadesk.services.history import verify_store
from qadesk.services.templates import import_template
from qadesk.store import open_store
from qadesk.store.models import Audit
from tests.conftest import FORMS
from tests.helpers.exports import fill_audit

AUDITORS = ("Robin Fictional", "Sam Madeup")


def seed_server(server: Any, per_auditor: int = 2) -> dict[str, list[str]]:
    """Drafts on the server, each half-answered, for each auditor (ids by auditor)."""
    out: dict[str, list[str]] = {}
    with server.transaction() as s:
        for path in sorted(FORMS.glob("*.json")):
            import_template(s, read_template(path), actor="Quinn Lead")
        for i, who in enumerate(AUDITORS):
            for k in range(per_auditor):
                aid = fill_audit(s, "regular-case-audit", n=k, auditor=who, submit=False,
                                 case_ref=f"CR-7{i}{k:03d}", practitioner="Jo Madeup")
                out.setdefault(who, []).append(aid)
    return out


def laptop(folder: Path) -> Any:
    """A laptop's own SQLite store (never the server, whatever QADESK_DATABASE_URL says)."""
    folder.mkdir(parents=True, exist_ok=True)
    return _sqlite(folder)


def _sqlite(folder: Path) -> Any:
    import os

    saved = os.environ.pop("QADESK_DATABASE_URL", None)
    try:
        return open_store(folder)
    finally:
        if saved is not None:
            os.environ["QADESK_DATABASE_URL"] = saved


def documents(store: Any, ids: list[str] | None = None) -> dict[str, dict[str, Any]]:
    """Each audit's fields (qadesk.core.merge.flatten of its document), by id."""
    with store.session() as s:
        rows = s.query(Audit).all() if ids is None else [s.get(Audit, i) for i in ids]
        return {a.id: flatten(audit_document(a)) for a in rows if a is not None}


def verified(store: Any) -> Any:
    with store.session() as s:
        report = verify_store(s, store.path)
    assert report.ok, [str(p) for p in report.problems][:5]
    return report


def first_question_with_evidence(store: Any, aid: str, skip: int = 0) -> str:
    with store.session() as s:
        audit = svc.get_audit(s, aid)
        qs = [a.question_id for a in audit.answers if a.evidence]
    return qs[skip]


def evidence(store: Any, aid: str, qid: str, text: str, who: str) -> None:
    """Write an evidence note on one answer, as the form does (its value kept)."""
    with store.transaction() as s:
        value = svc.state_of(svc.get_audit(s, aid)).answers.get(qid)
        svc.save_answer(s, aid, qid, value, actor=who, evidence=text)


def drop_connections(pg_server: Any, pg_url: str, *, allow: bool) -> None:
    """Cut the server off from qadesk for real: refuse new connections to its database and end the open
    ones (``allow=True`` lets them in again)."""
    db = pg_url.rsplit("/", 1)[1]
    pg_server.execute(f'ALTER DATABASE "{db}" ALLOW_CONNECTIONS {"true" if allow else "false"}')
    if not allow:
        pg_server.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{db}' "
                          "AND pid <> pg_backend_pid()")
