"""What qadesk keeps about children's cases is its owner's alone: files 0600, folders 0700 (issue 10,
point 5), and no SQL parameter (a case reference, a name) reaches an error message or the log."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from qadesk.services import audits
from qadesk.store import open_store
from qadesk.store.models import Audit
from tests.helpers.file_modes import mode, ordinary_umask_fixture  # noqa: F401 - the fixture

pytestmark = [pytest.mark.skipif(os.name == "nt", reason="Windows has no owner/group/other bits"),
              pytest.mark.usefixtures("ordinary_umask")]

PASSPHRASE = "made-up copper lantern rowing"


def start(store) -> str:
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template
    from tests.conftest import FORMS

    with store.transaction() as s:
        import_template(s, read_template(FORMS / "regular-case-audit.json"), actor="test")
        return audits.start_audit(s, "regular-case-audit", audits.Subject(case_ref="MADEUP-7788"),
                                  audits.Actor("Made-up Auditor")).id


def test_a_new_store_its_wal_and_its_backup_are_private(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = open_store(folder)
    try:
        start(store)
        assert mode(folder) == 0o700
        for name in ("qadesk.sqlite", "qadesk.sqlite-wal", "qadesk.sqlite-shm"):
            assert mode(folder / name) == 0o600, name
        backup = store.backup_to(tmp_path / "backup.sqlite")
        assert mode(backup) == 0o600
    finally:
        store.close()


def test_an_encrypted_store_its_key_file_and_its_backup_are_private(tmp_path: Path) -> None:
    from qadesk.store import crypto

    folder = tmp_path / "store"
    store = open_store(folder, passphrase=PASSPHRASE)
    try:
        start(store)
        assert mode(crypto.keyinfo_path(folder)) == 0o600
        backup = store.backup_to(tmp_path / "backup.sqlite")
        assert mode(backup) == 0o600 and mode(crypto.keyinfo_beside(backup)) == 0o600
    finally:
        store.close()


def test_encrypting_a_store_keeps_it_private(tmp_path: Path) -> None:
    from qadesk.store import crypto

    folder = tmp_path / "store"
    store = open_store(folder)
    start(store)
    store.close()
    crypto.encrypt_store(folder, PASSPHRASE)
    assert mode(folder / "qadesk.sqlite") == 0o600 and mode(crypto.keyinfo_path(folder)) == 0o600


def test_a_store_made_readable_by_an_older_copy_is_made_private_when_opened(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    store = open_store(folder)
    start(store)
    store.close()
    for p in [folder, *folder.iterdir()]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    store = open_store(folder)
    try:
        assert mode(folder) == 0o700
        assert all(mode(p) == 0o600 for p in folder.iterdir() if p.name.startswith("qadesk.sqlite")), \
            {p.name: oct(mode(p)) for p in folder.iterdir()}
    finally:
        store.close()


def test_a_database_error_names_no_case_data(tmp_path: Path) -> None:
    """An IntegrityError's message used to carry the statement's parameters: references, names."""
    store = open_store(tmp_path / "store")
    try:
        audit_id = start(store)
        with pytest.raises(IntegrityError) as caught, store.transaction() as s:
            twin = s.get(Audit, audit_id)
            s.expunge(twin)
            copy = Audit(**{c.key: getattr(twin, c.key) for c in Audit.__table__.columns})
            s.add(copy)
            s.flush()
        assert "MADEUP-7788" not in str(caught.value)
        assert "hidden due to hide_parameters" in str(caught.value)
    finally:
        store.close()
