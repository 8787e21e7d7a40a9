"""A store that is not one, a damaged one, a newer one, a full or read-only disk: a located refusal, never a traceback.

Everything through the real command line in a subprocess.  The disks are real where this machine
allows: a read-only disk is a read-only bind mount and a full disk a 1 MiB tmpfs, each in a private
mount namespace (``unshare -m``, as root); without that privilege a read-only folder is a
``chmod``'ed one (which binds everyone but root) and a full disk is simulated honestly with
RLIMIT_FSIZE (the kernel refuses to grow any file: EFBIG, with SIGXFSZ ignored), which runs
everywhere and is tested always.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from qadesk.store import crypto, open_store
from tests.e2e.test_one_writer import CASE_REF, PASS, WHY, answer, make_store
from tests.helpers.cli import ROOT, run_qadesk


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused_plainly(result: subprocess.CompletedProcess[str]) -> str:
    """The one line of a refusal (exit 1), with no traceback."""
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Error:" not in result.stderr, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("qadesk: "), result.stderr
    return lines[0]


# ---------------------------------------------------------------------------------------- what the file is


def _pdf(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <<>>\n%%EOF\n")


def _workbook(path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.active["A1"] = "Made-up return"
    wb.save(path)


def _zeros(path: Path) -> None:
    path.write_bytes(b"\0" * 16384)


def _text(path: Path) -> None:
    path.write_text("case_ref,team\nMADE-UP-1,Assessment\n", encoding="utf-8")


def _cut_encrypted(path: Path) -> None:
    make_store(path.parent, PASS)
    data = path.read_bytes()
    path.write_bytes(data[:5000])


def _other_program(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT)")
        conn.execute("INSERT INTO moz_places (url) VALUES ('https://example.invalid/')")
    conn.close()


def _bad_header(path: Path) -> None:
    make_store(path.parent)
    data = bytearray(path.read_bytes())
    data[16:18] = (3000).to_bytes(2, "big")  # not a power of two
    path.write_bytes(bytes(data))


def _damaged_pages(path: Path) -> None:
    make_store(path.parent)
    data = bytearray(path.read_bytes())
    data[4096:] = b"\x55" * (len(data) - 4096)  # every page but the first (SQLite's own catalogue)
    path.write_bytes(bytes(data))


def _newer(path: Path) -> None:
    make_store(path.parent)
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()


HOSTILE: dict[str, tuple[Callable[[Path], None], str, str]] = {
    # name: (make it, what the refusal says, what store status says)
    "pdf": (_pdf, "is not a QA Desk store: it looks like a PDF document. Nothing was changed.",
            "Not a QA Desk store: {db} looks like a PDF document."),
    "workbook": (_workbook, "is not a QA Desk store: it looks like an Excel workbook.",
                 "Not a QA Desk store: {db} looks like an Excel workbook."),
    "text": (_text, "is not a QA Desk store: it looks like a text file.", "Not a QA Desk store: {db} looks like a text file."),
    "zeros": (_zeros, "is damaged: its first 4,096 bytes are all zeros, where the database should begin",
              "Damaged: {db}: its first 4,096 bytes are all zeros"),
    "cut-encrypted": (_cut_encrypted, "is damaged: it is 5,000 bytes long, not a whole number of 4,096-byte pages",
                      "Damaged: {db}: it is 5,000 bytes long"),
    "bad-header": (_bad_header, "is damaged: its SQLite header names an impossible page size",
                   "Damaged: {db}: its SQLite header names an impossible page size."),
    "other-program": (_other_program, "is not a QA Desk store: it is an SQLite database of another program "
                                      "(its tables: moz_places).", "Not encrypted: {db}"),
    "damaged-pages": (_damaged_pages, "is damaged (SQLite: database disk image is malformed). Nothing was changed.",
                      "Not encrypted: {db}"),
    "newer": (_newer, "cannot be opened: made by a newer QA Desk (schema 0099; this QA Desk",
              "Not encrypted: {db}"),
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_a_file_that_is_no_usable_store_is_said_to_be_what_it_is(data_dir: Path, kind: str) -> None:
    make, said, status_says = HOSTILE[kind]
    db = data_dir / "qadesk.sqlite"
    make(db)
    for name in ("qadesk.sqlite-wal", "qadesk.sqlite-shm"):
        (data_dir / name).unlink(missing_ok=True)
    before = sha(db)
    for env in ({}, {"QADESK_PASSPHRASE": PASS}):  # never "passphrase needed" or "does not open" for a PDF
        line = refused_plainly(run_qadesk(data_dir, "audit", "list", **env))
        assert said in line and str(db) in line and "passphrase" not in line.lower()
        assert sha(db) == before  # byte for byte as it was: no migration, no header rewritten
    status = run_qadesk(data_dir, "store", "status")
    assert status.stdout.startswith(status_says.format(db=db)), status.stdout
    assert "Traceback" not in status.stderr
    assert sha(db) == before


def test_a_newer_store_names_its_schema_and_says_to_update(data_dir: Path) -> None:
    _newer(data_dir / "qadesk.sqlite")
    line = refused_plainly(run_qadesk(data_dir, "audit", "list"))
    assert "made by a newer QA Desk (schema 0099; this QA Desk " in line and "update QA Desk to open it" in line


def test_an_encrypted_store_still_asks_for_its_passphrase(data_dir: Path) -> None:
    make_store(data_dir, PASS)
    line = refused_plainly(run_qadesk(data_dir, "audit", "list"))
    assert "passphrase is needed" in line
    assert run_qadesk(data_dir, "store", "status").stdout.startswith("Encrypted")


# ---------------------------------------------------------------------------------------- the key file


ARGON2_ABOVE = [
    ("time_cost", 20, "time_cost is 20, above the most QA Desk accepts (6 passes; it writes 3)"),
    ("memory_kib", 1024 * 1024, "memory_kib is 1,048,576, above the most QA Desk accepts (131,072 KiB of memory; "
                                "it writes 65,536)"),
    ("parallelism", 16, "parallelism is 16, above the most QA Desk accepts (4 lanes; it writes 2)"),
]


@pytest.mark.parametrize(("field", "value", "said"), ARGON2_ABOVE, ids=[a[0] for a in ARGON2_ABOVE])
def test_a_key_file_asking_for_more_than_qadesk_writes_is_refused_before_any_hashing(
        data_dir: Path, field: str, value: int, said: str) -> None:
    make_store(data_dir, PASS)
    info = data_dir / "qadesk.keyinfo.json"
    data = json.loads(info.read_text(encoding="utf-8"))
    data[field] = value  # the old limits, at which one unlock took 19 s and 1 GB
    info.write_text(json.dumps(data), encoding="utf-8")
    # The command in-process in a child that reports its own peak memory: Argon2 at 1 GiB would show.
    # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the forked test process (which
    # holds numpy and statsmodels once the statistics tests are collected) across exec; VmHWM is the child's own.
    code = ("import sys\nfrom qadesk.cli import main\nrc = main(sys.argv[1:])\n"
            "hwm = next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM'))\n"
            "print('peak-kib', hwm, file=sys.stderr)\nsys.exit(rc)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("QADESK_PASSPHRASE")}
    done = subprocess.run([sys.executable, "-c", code, "--data-dir", str(data_dir), "audit", "list"],
                          env={**env, "QADESK_PASSPHRASE": PASS}, capture_output=True, text=True, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    refusal, peak = done.stderr.splitlines()
    assert refusal.startswith(f"qadesk: {info}: {said}") and "nothing was derived from it" in refusal
    assert int(peak.split()[1]) < 400 * 1024  # KiB: the interpreter and qadesk, no Argon2 gigabyte


# ---------------------------------------------------------------------------------------- read-only and full disks


def _can_unshare() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


UNSHARE = _can_unshare()


def _qadesk_argv(data_dir: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "qadesk", "--data-dir", str(data_dir), *args]


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("QADESK_PASSPHRASE")}


def run_on_read_only(folder: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """``argv`` with ``folder`` read-only to it: a read-only mount as root, else the folder chmod'ed 0500."""
    if UNSHARE:
        script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
        return subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", str(folder), *argv], capture_output=True,
                              text=True, env=_clean_env(), cwd=ROOT, stdin=subprocess.DEVNULL, timeout=120)
    if os.geteuid() == 0:
        pytest.skip("root ignores permission bits, and no mount namespace can be made here for a read-only mount")
    folder.chmod(0o500)
    try:
        return subprocess.run(argv, capture_output=True, text=True, env=_clean_env(), cwd=ROOT,
                              stdin=subprocess.DEVNULL, timeout=120)
    finally:
        folder.chmod(0o700)


def test_audit_answer_on_a_read_only_data_folder_is_refused_plainly(data_dir: Path) -> None:
    audit_id = make_store(data_dir)
    run_qadesk(data_dir, "audit", "list")  # the lock files are there already, as after any earlier use
    before = sha(data_dir / "qadesk.sqlite")
    line = refused_plainly(run_on_read_only(data_dir, _qadesk_argv(data_dir, "audit", "answer", audit_id,
                                                                    "lived_experience=Made-up words")))
    # A read-only disk stops the locks already; a folder chmod'ed read-only stops SQLite's journal.
    assert line.startswith((f"qadesk: The data folder {data_dir} cannot be written to: the ",
                            f"qadesk: The store {data_dir / 'qadesk.sqlite'} cannot be opened: the ")), line
    assert "read-only" in line
    assert sha(data_dir / "qadesk.sqlite") == before
    assert not [p for p in data_dir.rglob("*.part")]
    assert answer(data_dir, audit_id, "lived_experience") is None


def test_backup_to_a_read_only_folder_is_refused_and_leaves_nothing(data_dir: Path, tmp_path: Path) -> None:
    make_store(data_dir)
    shelf = tmp_path / "shelf"
    shelf.mkdir()
    line = refused_plainly(run_on_read_only(shelf, _qadesk_argv(data_dir, "backup", "--to",
                                                                 str(shelf / "monday.sqlite"))))
    assert line.startswith(f"qadesk: The backup {shelf / 'monday.sqlite'} could not be written: the ")
    assert "read-only" in line and line.endswith("Nothing was written; choose another place.")
    assert list(shelf.iterdir()) == []


def _no_growth(limit: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def run_unable_to_grow_files(argv: list[str], limit: int = 4096,
                             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``argv`` unable to make any file larger than ``limit`` bytes (RLIMIT_FSIZE): a write that needs more fails."""
    return subprocess.run(argv, capture_output=True, text=True, env={**_clean_env(), **(env or {})}, cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120, preexec_fn=_no_growth(limit))


def test_audit_answer_when_no_file_may_grow_is_refused_and_keeps_nothing(data_dir: Path) -> None:
    audit_id = make_store(data_dir)
    run_qadesk(data_dir, "audit", "list")
    line = refused_plainly(run_unable_to_grow_files(_qadesk_argv(data_dir, "audit", "answer", audit_id,
                                                                 "lived_experience=" + "Made-up words " * 400)))
    assert line.startswith(f"qadesk: Could not write to the store {data_dir / 'qadesk.sqlite'}: the disk refused "
                           "the write") and "Nothing of this change was kept" in line
    assert answer(data_dir, audit_id, "lived_experience") is None
    assert answer(data_dir, audit_id, "seen_alone_why") == WHY
    assert not [p for p in data_dir.rglob("*.part")]


@pytest.mark.parametrize("passphrase", [None, PASS], ids=["plain", "encrypted"])
def test_backup_when_no_file_may_grow_is_refused_and_leaves_no_part(data_dir: Path, tmp_path: Path,
                                                                    passphrase: str | None) -> None:
    make_store(data_dir, passphrase)
    env = {"QADESK_PASSPHRASE": passphrase} if passphrase else {}
    run_qadesk(data_dir, "audit", "list", **env)
    target = tmp_path / "monday.sqlite"
    # 64 KiB: room for the store's shared-memory file (32 KiB) and a key file, none for the copy
    line = refused_plainly(run_unable_to_grow_files(_qadesk_argv(data_dir, "backup", "--to", str(target)),
                                                    limit=64 * 1024, env=env))
    assert line.startswith(f"qadesk: The backup {target} could not be written: ")
    assert line.endswith("Nothing was written; choose another place.")
    assert list(tmp_path.glob("monday.sqlite*")) == []  # no copy, no .part, no key file for a copy that is not


FULL_DISK = r"""
import json, os, subprocess, sys
mount, prepare, argv = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount], check=True)
subprocess.run(prepare, check=True)
fd = os.open(os.path.join(mount, "filler"), os.O_WRONLY | os.O_CREAT)  # fill the disk to its last byte...
try:
    while True:
        os.write(fd, bytes(4096))
except OSError:
    pass
os.ftruncate(fd, max(0, os.lseek(fd, 0, os.SEEK_CUR) - 16384))  # ...then leave 16 KiB: room for the locks only
os.close(fd)
done = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL)
left = sorted(os.path.relpath(os.path.join(d, n), mount) for d, _, names in os.walk(mount) for n in names)
print(json.dumps({"rc": done.returncode, "stderr": done.stderr, "left": [n for n in left if n != "filler"]}))
"""


def run_on_full_disk(mount: Path, prepare: list[str], argv: list[str]) -> tuple[subprocess.CompletedProcess[str],
                                                                                 list[str]]:
    """``argv`` on a real 1 MiB tmpfs at ``mount`` filled to its last 16 KiB; the files left there after.

    ``prepare`` runs on the empty disk first (copying a store onto it)."""
    done = subprocess.run(["unshare", "-m", sys.executable, "-c", FULL_DISK, str(mount), json.dumps(prepare),
                           json.dumps(argv)], capture_output=True, text=True, env=_clean_env(), cwd=ROOT,
                          stdin=subprocess.DEVNULL, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    return subprocess.CompletedProcess(argv, out["rc"], "", out["stderr"]), out["left"]


@pytest.mark.skipif(not UNSHARE, reason="a real full disk needs a tmpfs in a private mount namespace (root)")
def test_audit_answer_on_a_full_disk_is_refused_and_keeps_nothing(data_dir: Path, tmp_path: Path) -> None:
    audit_id = make_store(data_dir)
    mount = tmp_path / "full"
    mount.mkdir()
    result, left = run_on_full_disk(mount, ["cp", str(data_dir / "qadesk.sqlite"), str(mount)],
                                    _qadesk_argv(mount, "audit", "answer", audit_id,
                                                 "lived_experience=" + "Made-up words " * 400))
    line = refused_plainly(result)
    assert line.startswith(f"qadesk: Could not write to the store {mount / 'qadesk.sqlite'}: the disk is full.")
    assert not [f for f in left if f.endswith(".part")]


@pytest.mark.skipif(not UNSHARE, reason="a real full disk needs a tmpfs in a private mount namespace (root)")
def test_backup_to_a_full_disk_is_refused_and_leaves_no_part(data_dir: Path, tmp_path: Path) -> None:
    make_store(data_dir)
    mount = tmp_path / "full"
    mount.mkdir()
    result, left = run_on_full_disk(mount, ["true"], _qadesk_argv(data_dir, "backup", "--to",
                                                                  str(mount / "monday.sqlite")))
    line = refused_plainly(result)
    assert line == (f"qadesk: The backup {mount / 'monday.sqlite'} could not be written: the disk is full. "
                    "Nothing was written; choose another place.")
    assert left == []


def test_the_store_opens_again_once_the_disk_has_room(data_dir: Path) -> None:
    audit_id = make_store(data_dir)
    refused_plainly(run_unable_to_grow_files(_qadesk_argv(data_dir, "audit", "answer", audit_id,
                                                          "lived_experience=" + "Made-up words " * 400)))
    done = run_qadesk(data_dir, "audit", "answer", audit_id, "lived_experience=Made-up words, saved at last")
    assert done.returncode == 0, done.stderr
    assert answer(data_dir, audit_id, "lived_experience") == "Made-up words, saved at last"
    store = open_store(data_dir)
    try:
        from qadesk.store.engine import integrity_check

        assert integrity_check(store) == "ok"
    finally:
        store.close()
    assert CASE_REF and not crypto.is_encrypted(data_dir)
