"""`qadesk store …` and an encrypted store through the real command line in a subprocess."""

from __future__ import annotations

from pathlib import Path

from qadesk.exchange.templates import read_template
from qadesk.services import audits as svc
from qadesk.services.templates import import_template
from qadesk.store import crypto, open_store
from tests.helpers.cli import run_qadesk

ROOT = Path(__file__).resolve().parents[2]
PASS = "violet kettle 42 drumming"
NEW_PASS = "seven amber lanterns at dawn"
CASE_REF = "CR-ZEBRA-915"


qadesk = run_qadesk


def test_encrypt_use_change_and_decrypt_from_the_command_line(data_dir: Path) -> None:
    store = open_store(data_dir)
    with store.transaction() as s:
        import_template(s, read_template(ROOT / "forms" / "regular-case-audit.json"), actor="test")
        svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref=CASE_REF), svc.Actor("Test Auditor", None))
    store.close()

    done = qadesk(data_dir, "store", "encrypt", QADESK_PASSPHRASE=PASS)
    assert done.returncode == 0, done.stderr
    assert CASE_REF.encode() not in (data_dir / "qadesk.sqlite").read_bytes()

    refused = qadesk(data_dir, "audit", "list")  # no passphrase and no terminal to ask in
    assert refused.returncode == 1 and "QADESK_PASSPHRASE" in refused.stderr and "Traceback" not in refused.stderr
    wrong = qadesk(data_dir, "audit", "list", QADESK_PASSPHRASE=NEW_PASS)
    assert wrong.returncode == 1 and "does not open" in wrong.stderr and "Traceback" not in wrong.stderr
    listed = qadesk(data_dir, "audit", "list", QADESK_PASSPHRASE=PASS)
    assert listed.returncode == 0 and CASE_REF in listed.stdout
    status = qadesk(data_dir, "store", "status")
    assert status.returncode == 0 and status.stdout.startswith("Encrypted")

    changed = qadesk(data_dir, "store", "change-passphrase", QADESK_PASSPHRASE=PASS, QADESK_NEW_PASSPHRASE=NEW_PASS)
    assert changed.returncode == 0, changed.stderr
    decrypted = qadesk(data_dir, "store", "decrypt", QADESK_PASSPHRASE=NEW_PASS)
    assert decrypted.returncode == 0, decrypted.stderr
    assert not crypto.is_encrypted(data_dir)
    assert CASE_REF in qadesk(data_dir, "audit", "list").stdout


def test_backup_of_an_encrypted_store_names_its_keyinfo(data_dir: Path, tmp_path: Path) -> None:
    open_store(data_dir, passphrase=PASS).close()
    target = tmp_path / "monday.sqlite"
    done = qadesk(data_dir, "backup", "--to", str(target), QADESK_PASSPHRASE=PASS)
    assert done.returncode == 0, done.stderr
    assert "monday.sqlite.keyinfo.json" in done.stdout
    assert crypto.is_encrypted_file(target) and crypto.keyinfo_beside(target).exists()
