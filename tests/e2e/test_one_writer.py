"""One store, one writer at a time, through the real command line beside a process that has the store open.

The "window" here is a real process that opens the store exactly as the window does
(tests/helpers/store_holder.py; tests/gui/test_one_writer_window.py does the same with the real
window).  Conversions run as the real ``qadesk store ...`` in a subprocess; the killed ones are
killed with SIGKILL while paused at a named point (``QADESK_TEST_PAUSE_AT``), their half-made copy
complete on disk, and the folder is then searched byte by byte for the case's words.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from qadesk.exchange.templates import read_template
from qadesk.services import audits as svc
from qadesk.services.templates import import_template
from qadesk.store import crypto, open_store
from qadesk.store.engine import restore_from
from qadesk.store.single_writer import StoreInUse
from tests.helpers.cli import ROOT, run_qadesk

PASS = "violet kettle 42 drumming"
NEW_PASS = "seven amber lanterns at dawn"
CASE_REF = "CR-WOMBAT-4417"
WHY = "Quillanbury asked for her aunt Tressidor to stay in the room"
NEEDLES = [CASE_REF, WHY, "Quillanbury", "Tressidor"]


def make_store(folder: Path, passphrase: str | None = None) -> str:
    """A store with the regular case audit and one draft carrying the needles; returns the audit id."""
    store = open_store(folder, passphrase=passphrase)
    try:
        with store.transaction() as s:
            import_template(s, read_template(ROOT / "forms" / "regular-case-audit.json"), actor="test")
            audit = svc.start_audit(s, "regular-case-audit", svc.Subject(case_ref=CASE_REF, case_type="CP"),
                                    svc.Actor("Test Auditor", "Team manager"))
            svc.save_answer(s, audit.id, "seen_alone", "no", actor="test")
            svc.save_answer(s, audit.id, "seen_alone_why", WHY, actor="test")
            return audit.id
    finally:
        store.close()


def answer(folder: Path, audit_id: str, question: str, passphrase: str | None = None) -> object:
    store = open_store(folder, passphrase=passphrase)
    try:
        with store.session() as s:
            return svc.audit_document(svc.get_audit(s, audit_id))["answers"].get(question, {}).get("value")
    finally:
        store.close()


def readable_in(folder: Path) -> dict[str, list[str]]:
    """Every file under ``folder`` in which one of the needles can be read, and which."""
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = [n for n in NEEDLES if n.encode("utf-8") in data]
        if hits:
            found[str(path.relative_to(folder))] = hits
    return found


def fingerprint(folder: Path) -> dict[str, str]:
    """The store's own files, byte for byte (not the locks, which say who holds them)."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
            if p.is_file()}


class Holder:
    """tests/helpers/store_holder.py: the store open as the window has it, saving when told."""

    def __init__(self, folder: Path, passphrase: str | None = None) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QADESK_PASSPHRASE")}
        if passphrase:
            env["QADESK_PASSPHRASE"] = passphrase
        self.proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "helpers" / "store_holder.py"),
                                      str(folder)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env, cwd=ROOT)
        assert self.proc.stdout.readline().strip() == "open"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def save(self, audit_id: str, question: str, value: str) -> None:
        self.proc.stdin.write(f"save {audit_id} {question} {value}\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().strip() == "saved"

    def encrypt(self, passphrase: str) -> str:
        self.proc.stdin.write(f"encrypt {passphrase}\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def quit(self) -> None:
        self.proc.communicate("quit\n", timeout=60)
        assert self.proc.returncode == 0


@pytest.fixture
def holder_for():
    made: list[Holder] = []

    def make(folder: Path, passphrase: str | None = None) -> Holder:
        h = Holder(folder, passphrase)
        made.append(h)
        return h

    yield make
    for h in made:
        if h.proc.poll() is None:
            h.quit()


CONVERSIONS = {
    "encrypt": (None, ("store", "encrypt"), {"QADESK_PASSPHRASE": PASS}, "encrypted"),
    "decrypt": (PASS, ("store", "decrypt"), {"QADESK_PASSPHRASE": PASS}, "decrypted"),
    "change-passphrase": (PASS, ("store", "change-passphrase"),
                          {"QADESK_PASSPHRASE": PASS, "QADESK_NEW_PASSPHRASE": NEW_PASS}, "changed"),
}


@pytest.mark.parametrize("conversion", list(CONVERSIONS))
def test_a_conversion_is_refused_while_the_window_has_the_store_open_and_its_next_save_is_kept(
        data_dir: Path, holder_for, conversion: str) -> None:
    passphrase, argv, env, done = CONVERSIONS[conversion]
    audit_id = make_store(data_dir, passphrase)
    window = holder_for(data_dir, passphrase)
    window.save(audit_id, "lived_experience", "Before the command was run")
    before = fingerprint(data_dir)

    refused = run_qadesk(data_dir, *argv, **env)
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert refused.stderr == (f"qadesk: The store is open in QA Desk (process {window.pid} on this computer). "
                              f"Close it and try again. (Nothing was {done}: {data_dir})\n")
    assert fingerprint(data_dir) == before  # the file was not touched, let alone swapped

    window.save(audit_id, "lived_experience", "The window's next save, after the command")
    window.quit()
    assert answer(data_dir, audit_id, "lived_experience", passphrase) == "The window's next save, after the command"
    assert crypto.is_encrypted(data_dir) == (passphrase is not None)


def test_restore_is_refused_while_the_window_has_the_store_open(data_dir: Path, tmp_path: Path, holder_for) -> None:
    audit_id = make_store(data_dir)
    store = open_store(data_dir)
    backup = store.backup_to(tmp_path / "monday.sqlite")
    store.close()
    window = holder_for(data_dir)
    with pytest.raises(StoreInUse, match=f"The store is open in QA Desk \\(process {window.pid} on this computer\\)"
                                         r"\. Close it and try again\. \(Nothing was restored"):
        restore_from(backup, data_dir)
    window.save(audit_id, "lived_experience", "Saved after the refused restore")
    window.quit()
    assert answer(data_dir, audit_id, "lived_experience") == "Saved after the refused restore"
    assert not (data_dir / "qadesk.sqlite.before-restore").exists()


def test_commands_that_write_work_beside_the_window_and_no_save_is_lost(data_dir: Path, holder_for) -> None:
    audit_id = make_store(data_dir)
    window = holder_for(data_dir)
    window.save(audit_id, "lived_experience", "The window's words")
    by_cli = run_qadesk(data_dir, "audit", "answer", audit_id, "assessment_summary=The command line's words")
    assert by_cli.returncode == 0, by_cli.stderr
    window.save(audit_id, "lived_experience", "The window's next words")
    backup = run_qadesk(data_dir, "backup", "--to", str(data_dir.parent / "beside-the-window.sqlite"))
    assert backup.returncode == 0, backup.stderr
    window.quit()
    assert answer(data_dir, audit_id, "lived_experience") == "The window's next words"
    assert answer(data_dir, audit_id, "assessment_summary") == "The command line's words"


def start_paused(data_dir: Path, point: str, *args: str, **env: str) -> subprocess.Popen[str]:
    """The real ``qadesk ARGS`` in a subprocess, stopped at ``point`` (it says so on stderr)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("QADESK_PASSPHRASE")}
    proc = subprocess.Popen([sys.executable, "-m", "qadesk", "--data-dir", str(data_dir), *args],
                            env={**base, **env, "QADESK_TEST_PAUSE_AT": point}, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    line = proc.stderr.readline()
    assert line.strip() == f"paused at {point}", line + proc.stderr.read()
    return proc


def kill(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL


def test_a_killed_decrypt_leaves_no_readable_case_data_after_the_next_open(data_dir: Path) -> None:
    audit_id = make_store(data_dir, PASS)
    assert readable_in(data_dir) == {}
    decrypt = start_paused(data_dir, "converting", "store", "decrypt", QADESK_PASSPHRASE=PASS)
    try:
        # Half-way: the plaintext copy is complete beside the store, and nobody else may start.
        assert "qadesk.sqlite.converting" in readable_in(data_dir)
        busy = run_qadesk(data_dir, "audit", "list", QADESK_PASSPHRASE=PASS)
        assert busy.returncode == 1 and "Traceback" not in busy.stderr
        assert (f"is being converted by the command 'qadesk store decrypt' (process {decrypt.pid} on this computer)"
                in busy.stderr)
        assert "being converted" in run_qadesk(data_dir, "store", "status").stdout
    finally:
        kill(decrypt)
    assert "qadesk.sqlite.converting" in readable_in(data_dir)  # what the kill left

    status = run_qadesk(data_dir, "store", "status")  # the next open, whatever it is
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0].startswith("Encrypted (SQLCipher 4") and lines[0].endswith(str(data_dir / "qadesk.sqlite"))
    assert lines[1] == (f"Found and removed {data_dir / 'qadesk.sqlite.converting'} (overwritten with zeros first): "
                        "a half-made copy left by a conversion (encrypt, decrypt) or restore that was interrupted. "
                        "The store itself is as it was before.")
    assert readable_in(data_dir) == {}
    assert sorted(p.name for p in data_dir.iterdir() if p.is_file() and "-" not in p.name) == [
        "qadesk.keyinfo.json", "qadesk.sqlite"]
    assert answer(data_dir, audit_id, "seen_alone_why", PASS) == WHY  # the store is whole, still encrypted

    again = run_qadesk(data_dir, "store", "decrypt", QADESK_PASSPHRASE=PASS)  # and can be converted after all
    assert again.returncode == 0, again.stderr
    assert run_qadesk(data_dir, "store", "status").stdout.startswith("Not encrypted")


def test_a_killed_decrypt_is_cleaned_up_by_any_command(data_dir: Path) -> None:
    make_store(data_dir, PASS)
    kill(start_paused(data_dir, "converting", "store", "decrypt", QADESK_PASSPHRASE=PASS))
    listed = run_qadesk(data_dir, "audit", "list", QADESK_PASSPHRASE=PASS)
    assert listed.returncode == 0 and CASE_REF in listed.stdout
    assert readable_in(data_dir) == {}


def test_a_killed_encrypt_leaves_the_plain_store_as_it_was_and_says_so(data_dir: Path) -> None:
    audit_id = make_store(data_dir)
    kill(start_paused(data_dir, "converting", "store", "encrypt", QADESK_PASSPHRASE=PASS))
    status = run_qadesk(data_dir, "store", "status")
    lines = status.stdout.splitlines()
    assert lines[0] == f"Not encrypted: {data_dir / 'qadesk.sqlite'}"
    assert "left from an encryption that was undone or never finished" in lines[1]
    assert lines[2].startswith(f"Found and removed {data_dir / 'qadesk.sqlite.converting'}")
    assert not (data_dir / "qadesk.sqlite.converting").exists()
    assert answer(data_dir, audit_id, "seen_alone_why") == WHY


def test_a_killed_backup_leaves_no_half_made_copy_after_the_next_open(data_dir: Path, tmp_path: Path) -> None:
    make_store(data_dir)
    shelf = tmp_path / "backups"
    shelf.mkdir()
    backup = start_paused(data_dir, "backing-up", "backup", "--to", str(shelf / "monday.sqlite"))
    assert list(readable_in(shelf)) == ["monday.sqlite.part"]  # the copy is complete, not yet renamed
    kill(backup)
    assert (shelf / "monday.sqlite.part").exists()
    listed = run_qadesk(data_dir, "audit", "list")
    assert listed.returncode == 0, listed.stderr
    assert list(shelf.iterdir()) == []
    status = run_qadesk(data_dir, "backup", "--to", str(shelf / "monday.sqlite"))
    assert status.returncode == 0 and list(p.name for p in shelf.iterdir()) == ["monday.sqlite"]


def test_a_killed_key_file_write_leaves_no_part(data_dir: Path) -> None:
    make_store(data_dir)
    kill(start_paused(data_dir, "keyinfo", "store", "encrypt", QADESK_PASSPHRASE=PASS))
    assert (data_dir / "qadesk.keyinfo.json.part").exists()
    status = run_qadesk(data_dir, "store", "status")
    assert status.stdout.startswith("Not encrypted")
    assert f"Found and removed {data_dir / 'qadesk.keyinfo.json.part'}" in status.stdout
    assert not (data_dir / "qadesk.keyinfo.json.part").exists()


def test_the_window_cannot_encrypt_while_a_command_uses_the_store_and_can_once_it_has_finished(
        data_dir: Path, tmp_path: Path, holder_for) -> None:
    audit_id = make_store(data_dir)
    window = holder_for(data_dir)
    backup = start_paused(data_dir, "backing-up", "backup", "--to", str(tmp_path / "monday.sqlite"))
    try:
        said = window.encrypt(PASS)
        assert said == (f"refused: The store in {data_dir} is in use by the command 'qadesk backup' "
                        f"(process {backup.pid} on this computer). Try again when it has finished; "
                        "nothing was encrypted.")
    finally:
        kill(backup)
    window.save(audit_id, "lived_experience", "Saved after the refusal")
    assert window.encrypt(PASS) == "encrypted"  # the command has gone (killed: its lock went with it)
    window.save(audit_id, "lived_experience", "Saved into the encrypted store")
    window.quit()
    assert crypto.is_encrypted(data_dir)
    assert answer(data_dir, audit_id, "lived_experience", PASS) == "Saved into the encrypted store"
    assert not list(tmp_path.glob("monday.sqlite*"))  # the killed backup's half-made copy was wiped too
