"""Encryption at rest: nothing readable on disk without the passphrase, and every way in and out works."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from qadesk.core.errors import LimitError, StateError, ValidationError, WrongPassphrase
from qadesk.exchange.templates import read_template
from qadesk.services import audits as svc
from qadesk.services.templates import import_template
from qadesk.store import crypto, open_store
from qadesk.store.engine import restore_from

ROOT = Path(__file__).resolve().parents[2]
PASS = "violet kettle 42 drumming"
NEW_PASS = "seven amber lanterns at dawn"
CASE_REF = "CR-ZEBRA-915"
WHY = "Child asked for grandmother Quokkalantern to stay"
EVIDENCE = "Marmaladehedgehog seen at school on 3 visits"
STRENGTH = "Pemberwick noticed the bruising early"
TEMPLATE_TEXT = "seen alone at every visit"  # a question label of the shipped regular case audit
NEEDLES = [CASE_REF, WHY, EVIDENCE, STRENGTH, TEMPLATE_TEXT, "Regular case audit"]


def fill(store) -> str:
    """A template and one draft audit carrying every distinctive word above; returns the audit id."""
    with store.transaction() as s:
        import_template(s, read_template(ROOT / "forms" / "regular-case-audit.json"), actor="test")
        audit = svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref=CASE_REF, case_type="CP"),
                                svc.Actor("Test Auditor", "Team manager"))
        svc.save_answer(s, audit.id, "seen_alone", "no", actor="test", evidence=EVIDENCE)
        svc.save_answer(s, audit.id, "seen_alone_why", WHY, actor="test")
        svc.set_summary(s, audit.id, "strengths", STRENGTH, actor="test")
        return audit.id


def plaintext_in(folder: Path) -> dict[str, list[str]]:
    """Every file in ``folder`` (recursively) that shows one of the needles, and which."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [n for n in NEEDLES if n.encode("utf-8") in data]
        if hits:
            found[path.name] = hits
    return found


def document(store, audit_id: str) -> dict:
    with store.session() as s:
        return svc.audit_document(svc.get_audit(s, audit_id))


def test_encrypted_store_shows_nothing_on_disk_wal_included(data_dir: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    audit_id = fill(store)
    with store.engine.connect() as conn:  # a connection still open: the WAL is not checkpointed
        # seen_alone, seen_alone_why, and the case type filled from New audit
        assert conn.execute(text("SELECT count(*) FROM answers")).scalar() == 3
        wal = data_dir / "qadesk.sqlite-wal"
        assert wal.exists() and wal.stat().st_size > 0
        assert plaintext_in(data_dir) == {}
    store.close()
    assert plaintext_in(data_dir) == {}
    assert crypto.is_encrypted(data_dir)
    assert not (data_dir / "qadesk.sqlite").read_bytes().startswith(crypto.SQLITE_MAGIC)

    again = open_store(data_dir, passphrase=PASS)
    doc = document(again, audit_id)
    again.close()
    assert doc["subject"]["case_ref"] == CASE_REF
    assert doc["answers"]["seen_alone"] == {"value": "no", "evidence": EVIDENCE}
    assert doc["answers"]["seen_alone_why"]["value"] == WHY
    assert doc["summary"]["strengths"] == STRENGTH


def test_the_needle_search_finds_plaintext_in_a_plain_store(data_dir: Path) -> None:
    store = open_store(data_dir)
    fill(store)
    store.close()
    assert set(sum(plaintext_in(data_dir).values(), [])) == set(NEEDLES)


def test_wrong_or_missing_passphrase_is_refused_clearly(data_dir: Path) -> None:
    open_store(data_dir, passphrase=PASS).close()
    with pytest.raises(WrongPassphrase, match="does not open"):
        open_store(data_dir, passphrase="violet kettle 42 drummin")
    with pytest.raises(WrongPassphrase, match="passphrase is needed"):
        open_store(data_dir)
    store = open_store(data_dir, passphrase=PASS)
    assert store.check_passphrase(PASS) and not store.check_passphrase(PASS.upper())
    store.close()


def test_a_passphrase_for_a_plain_store_is_refused_and_a_short_one_too(data_dir: Path, tmp_path: Path) -> None:
    open_store(data_dir).close()
    with pytest.raises(StateError, match="not encrypted"):
        open_store(data_dir, passphrase=PASS)
    with pytest.raises(ValidationError, match="at least 8"):
        open_store(tmp_path / "new", passphrase="short")


def test_pragmas_are_in_force_on_encrypted_connections(data_dir: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    with store.engine.connect() as conn:
        pragma = {p: conn.execute(text(f"PRAGMA {p}")).scalar()
                  for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "temp_store")}
        cipher = conn.execute(text("PRAGMA cipher_version")).scalar()
    store.close()
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000,
                      "temp_store": 2}
    assert cipher.startswith("4.")


def test_keyinfo_holds_salt_and_costs_only(data_dir: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    key_hex = store.cipher.key.hex()
    store.close()
    raw = (data_dir / crypto.KEYINFO_FILENAME).read_text(encoding="utf-8")
    data = json.loads(raw)
    assert set(data) == {"format", "cipher", "kdf", "salt", "time_cost", "memory_kib", "parallelism", "key_bytes"}
    assert (data["kdf"], data["time_cost"], data["memory_kib"], data["parallelism"]) == ("argon2id", 3, 65536, 2)
    assert len(bytes.fromhex(data["salt"])) == 16
    assert PASS not in raw and key_hex not in raw and key_hex not in repr(store)


def test_a_doctored_keyinfo_is_refused_before_any_work(data_dir: Path) -> None:
    open_store(data_dir, passphrase=PASS).close()
    info = data_dir / crypto.KEYINFO_FILENAME
    data = json.loads(info.read_text(encoding="utf-8"))
    data["memory_kib"] = 64 * 1024 * 1024  # 64 GiB would exhaust the laptop
    info.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LimitError, match="memory_kib"):
        open_store(data_dir, passphrase=PASS)
    info.unlink()
    with pytest.raises(StateError, match="key information file"):
        open_store(data_dir, passphrase=PASS)


def test_encrypting_a_plain_store_leaves_no_plaintext_anywhere(data_dir: Path, tmp_path: Path) -> None:
    store = open_store(data_dir)
    audit_id = fill(store)
    plain_backup = store.backup_to(tmp_path / "plain-backup.sqlite")
    store.close()
    restore_from(plain_backup, data_dir)  # leaves a plaintext qadesk.sqlite.before-restore behind
    store = open_store(data_dir)
    with store.transaction() as s:  # something in the WAL that is not yet in the database file
        svc.save_answer(s, audit_id, "seen_alone_why", WHY + " again", actor="test")
    store.close()
    assert "qadesk.sqlite.before-restore" in plaintext_in(data_dir)

    crypto.encrypt_store(data_dir, PASS)
    assert plaintext_in(data_dir) == {}
    names = sorted(p.name for p in data_dir.iterdir())
    assert names == ["qadesk.history-head", "qadesk.keyinfo.json", "qadesk.locks", "qadesk.sqlite", "qadesk.sqlite.before-restore",
                     "qadesk.sqlite.before-restore.keyinfo.json"]

    store = open_store(data_dir, passphrase=PASS)
    assert document(store, audit_id)["answers"]["seen_alone_why"]["value"] == WHY + " again"
    store.close()
    restore_from(data_dir / "qadesk.sqlite.before-restore", tmp_path / "other", passphrase=PASS)
    kept = open_store(tmp_path / "other", passphrase=PASS)
    assert document(kept, audit_id)["answers"]["seen_alone_why"]["value"] == WHY
    kept.close()
    with pytest.raises(StateError, match="already encrypted"):
        crypto.encrypt_store(data_dir, PASS)


def test_change_passphrase_rekeys_with_a_new_salt(data_dir: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    audit_id = fill(store)
    store.close()
    salt_before = json.loads((data_dir / crypto.KEYINFO_FILENAME).read_text())["salt"]
    with pytest.raises(WrongPassphrase):
        crypto.change_passphrase(data_dir, NEW_PASS, PASS)
    crypto.change_passphrase(data_dir, PASS, NEW_PASS)
    assert json.loads((data_dir / crypto.KEYINFO_FILENAME).read_text())["salt"] != salt_before
    with pytest.raises(WrongPassphrase):
        open_store(data_dir, passphrase=PASS)
    store = open_store(data_dir, passphrase=NEW_PASS)
    assert document(store, audit_id)["subject"]["case_ref"] == CASE_REF
    store.close()
    assert plaintext_in(data_dir) == {}


@pytest.mark.parametrize("rekeyed", [False, True], ids=["before-rekey", "after-rekey"])
def test_an_interrupted_passphrase_change_still_opens(data_dir: Path, rekeyed: bool) -> None:
    open_store(data_dir, passphrase=PASS).close()
    info_file = data_dir / crypto.KEYINFO_FILENAME
    old = crypto.read_keyinfo(info_file).current
    new = crypto.KdfParams.fresh()
    crypto.write_keyinfo(info_file, crypto.KeyInfo(current=old, pending=new))  # what change_passphrase writes first
    if rekeyed:  # ... then the rekey succeeded and the process died before settling the keyinfo
        with crypto.connect(data_dir / "qadesk.sqlite", crypto.derive_key(PASS, old)) as conn:
            conn.execute(f'PRAGMA rekey = "{crypto.raw_key_literal(crypto.derive_key(NEW_PASS, new))}"')
    works, fails = (NEW_PASS, PASS) if rekeyed else (PASS, NEW_PASS)
    with pytest.raises(WrongPassphrase):
        open_store(data_dir, passphrase=fails)
    open_store(data_dir, passphrase=works).close()
    settled = crypto.read_keyinfo(info_file)
    assert settled.pending is None and settled.current == (new if rekeyed else old)


def test_the_open_store_can_be_encrypted_rekeyed_and_decrypted_in_place(data_dir: Path) -> None:
    store = open_store(data_dir)
    audit_id = fill(store)
    store.set_passphrase(PASS)
    assert store.encrypted and crypto.is_encrypted(data_dir) and plaintext_in(data_dir) == {}
    with store.transaction() as s:
        svc.set_summary(s, audit_id, "development", "Written after encrypting", actor="test")
    store.change_passphrase(PASS, NEW_PASS)
    assert store.check_passphrase(NEW_PASS) and not store.check_passphrase(PASS)
    assert document(store, audit_id)["summary"]["development"] == "Written after encrypting"
    store.remove_passphrase(NEW_PASS)
    assert not store.encrypted and not crypto.is_encrypted(data_dir)
    assert not (data_dir / crypto.KEYINFO_FILENAME).exists()
    assert document(store, audit_id)["subject"]["case_ref"] == CASE_REF
    store.close()
    plain = open_store(data_dir)
    assert document(plain, audit_id)["summary"]["strengths"] == STRENGTH
    plain.close()


def test_backup_of_an_encrypted_store_is_encrypted_and_restores(data_dir: Path, tmp_path: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    audit_id = fill(store)
    (tmp_path / "backups").mkdir()
    backup = store.backup_to(tmp_path / "backups" / "monday.sqlite")
    store.close()
    assert crypto.is_encrypted_file(backup)
    assert plaintext_in(tmp_path / "backups") == {}
    assert crypto.keyinfo_beside(backup).exists()

    target = tmp_path / "restored"
    target.mkdir()
    with pytest.raises(WrongPassphrase):
        restore_from(backup, target, passphrase=NEW_PASS)
    with pytest.raises(WrongPassphrase):
        restore_from(backup, target)
    assert not (target / "qadesk.sqlite").exists()
    restore_from(backup, target, passphrase=PASS)
    restored = open_store(target, passphrase=PASS)
    assert document(restored, audit_id)["answers"]["seen_alone_why"]["value"] == WHY
    restored.close()
    assert plaintext_in(target) == {}


def test_restoring_over_a_store_with_another_passphrase_keeps_both_openable(data_dir: Path, tmp_path: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    audit_id = fill(store)
    backup = store.backup_to(tmp_path / "friday.sqlite")
    store.close()
    other = tmp_path / "other"
    open_store(other, passphrase=NEW_PASS).close()
    restore_from(backup, other, passphrase=PASS)
    restored = open_store(other, passphrase=PASS)
    assert document(restored, audit_id)["subject"]["case_ref"] == CASE_REF
    restored.close()
    kept = other / "qadesk.sqlite.before-restore"
    assert crypto.is_encrypted_file(kept) and crypto.keyinfo_beside(kept).exists()
    crypto.unlock_file(kept, crypto.keyinfo_beside(kept), NEW_PASS)  # the replaced store, still its own
    with pytest.raises(WrongPassphrase):
        crypto.unlock_file(kept, crypto.keyinfo_beside(kept), PASS)


def test_decrypt_store_gives_a_plain_store_back(data_dir: Path) -> None:
    store = open_store(data_dir, passphrase=PASS)
    audit_id = fill(store)
    store.close()
    with pytest.raises(WrongPassphrase):
        crypto.decrypt_store(data_dir, NEW_PASS)
    crypto.decrypt_store(data_dir, PASS)
    assert not crypto.is_encrypted(data_dir) and not (data_dir / crypto.KEYINFO_FILENAME).exists()
    plain = open_store(data_dir)
    assert document(plain, audit_id)["subject"]["case_ref"] == CASE_REF
    plain.close()


def test_argon2id_derives_a_raw_key_with_the_documented_costs() -> None:
    # How long an unlock takes is a figure of the benchmarks (docs/benchmarks.md), not of this run.
    params = crypto.KdfParams.fresh()
    assert (params.time_cost, params.memory_kib, params.parallelism) == (3, 64 * 1024, 2)
    key = crypto.derive_key(PASS, params)
    assert len(key) == 32 and key == crypto.derive_key(PASS, params)
    assert key != crypto.derive_key(PASS, crypto.KdfParams.fresh())
    # Typed the same on any keyboard: a composed and a decomposed "é" give the same key.
    assert crypto.derive_key("caf\u00e9 au lait!", params) == crypto.derive_key("cafe\u0301 au lait!", params)
