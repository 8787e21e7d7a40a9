"""The store's one lock (qadesk.store.single_writer): uses share, conversions need the store alone.

Real lock files in tmp_path; the other process is a real process (a child holding a lock, or one
killed with SIGKILL), never a fake.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qadesk.store import single_writer
from qadesk.store.single_writer import (
    StoreInUse,
    claim_whole_store,
    claim_window,
    identify_process,
    use_store,
    window_holder,
)
from tests.helpers.file_modes import mode, ordinary_umask_fixture  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _anonymous_process():
    """This test process is no window (an earlier GUI test in the same run may have said it was)."""
    before = single_writer._identity
    single_writer._identity = None
    yield
    single_writer._identity = before


class Child:
    """A real process that holds a lock on ``folder`` as told, until told to quit or killed."""

    def __init__(self, folder: Path, body: str) -> None:
        script = textwrap.dedent(f"""
            import sys, time
            sys.path.insert(0, {str(ROOT)!r})
            from qadesk.store import single_writer as sw
            folder = {str(folder)!r}
        """) + textwrap.dedent(body) + textwrap.dedent("""
            print("ready", flush=True)
            sys.stdin.readline()
        """)
        self.proc = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        line = self.proc.stdout.readline().strip()
        assert line == "ready", line

    @property
    def pid(self) -> int:
        return self.proc.pid

    def quit(self) -> None:
        self.proc.communicate("\n", timeout=20)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)
        self.proc.stdin.close()
        self.proc.stdout.close()


def test_uses_share_the_store_and_a_conversion_needs_it_alone(tmp_path: Path) -> None:
    first, second = use_store(tmp_path), use_store(tmp_path)
    assert first.slot != second.slot  # two commands (or a window and a command) at once
    with pytest.raises(StoreInUse, match="in use by"):
        claim_whole_store(tmp_path)
    first.release()
    with pytest.raises(StoreInUse):
        claim_whole_store(tmp_path)
    whole = claim_whole_store(tmp_path, held=second)  # the window converting its own store
    with pytest.raises(StoreInUse, match="being converted"):
        use_store(tmp_path)
    whole.release()
    second.release()
    with claim_whole_store(tmp_path):
        pass
    use_store(tmp_path).release()


def test_a_conversion_is_refused_naming_the_window_that_has_the_store_open(tmp_path: Path) -> None:
    window = Child(tmp_path, """
        sw.identify_process("QA Desk", "window")
        claim = sw.claim_window(folder)
        use = sw.use_store(folder)
    """)
    try:
        with pytest.raises(StoreInUse) as refused:
            claim_whole_store(tmp_path, what="decrypted")
        assert str(refused.value) == (f"The store is open in QA Desk (process {window.pid} on this computer). "
                                      f"Close it and try again. (Nothing was decrypted: {tmp_path})")
        assert refused.value.holder is not None and refused.value.holder.role == "window"
        holder = window_holder(tmp_path)
        assert holder is not None and holder.pid == window.pid
        with pytest.raises(StoreInUse, match=f"QA Desk \\(process {window.pid} on this computer\\) is using"):
            claim_window(tmp_path)
        use_store(tmp_path).release()  # a command runs beside the window
    finally:
        window.quit()
    assert window_holder(tmp_path) is None
    claim_whole_store(tmp_path).release()


def test_a_command_that_uses_the_store_is_named_too(tmp_path: Path) -> None:
    command = Child(tmp_path, """
        sw.identify_process("qadesk audit answer", "command")
        use = sw.use_store(folder)
    """)
    try:
        with pytest.raises(StoreInUse, match=f"in use by the command 'qadesk audit answer' "
                                             f"\\(process {command.pid} on this computer\\)"):
            claim_whole_store(tmp_path)
    finally:
        command.quit()


def test_while_another_process_converts_nobody_starts_using_the_store(tmp_path: Path) -> None:
    conversion = Child(tmp_path, """
        sw.identify_process("qadesk store decrypt", "command")
        whole = sw.claim_whole_store(folder)
    """)
    try:
        with pytest.raises(StoreInUse, match=f"being converted by the command 'qadesk store decrypt' "
                                             f"\\(process {conversion.pid} on this computer\\)"):
            use_store(tmp_path)
        with pytest.raises(StoreInUse, match="being converted"):
            claim_whole_store(tmp_path)
    finally:
        conversion.quit()
    use_store(tmp_path).release()


def test_locks_of_a_killed_process_block_nobody(tmp_path: Path) -> None:
    holder = Child(tmp_path, """
        sw.identify_process("QA Desk", "window")
        claim = sw.claim_window(folder)
        use = sw.use_store(folder)
        whole = None
    """)
    holder.kill()
    # Its files are still there, still naming it, but the operating system let go of its locks.
    assert b'"pid"' in (tmp_path / "qadesk.locks" / "window").read_bytes()
    assert window_holder(tmp_path) is None
    claim_window(tmp_path).release()
    with claim_whole_store(tmp_path):
        pass

    converting = Child(tmp_path, "whole = sw.claim_whole_store(folder)\n")
    converting.kill()
    use_store(tmp_path).release()  # a conversion that was killed holds the gate no more


def test_a_half_made_file_of_a_killed_process_is_wiped_by_the_next_to_use_the_store(tmp_path: Path) -> None:
    data, elsewhere = tmp_path / "data", tmp_path / "backups"
    elsewhere.mkdir()
    part = elsewhere / "monday.sqlite.part"
    maker = Child(data, f"""
        use = sw.use_store(folder)
        cm = use.making(sw.Path({str(part)!r}))
        cm.__enter__()
        with open({str(part)!r}, "wb") as f:
            f.write(b"CR-HALF-MADE-0001 " * 1000)
    """)
    link = elsewhere / "same-inode"
    os.link(part, link)  # sees what the wipe does to the file's own blocks
    maker.kill()
    assert part.exists()
    use = use_store(data)
    try:
        assert not part.exists() and use.swept == [part]
        assert link.read_bytes() == b"\0" * len(b"CR-HALF-MADE-0001 " * 1000)  # zeros first, then removed
    finally:
        use.release()


def test_a_half_made_file_is_wiped_when_its_maker_fails(tmp_path: Path) -> None:
    use = use_store(tmp_path)
    target = tmp_path / "copy.part"
    with pytest.raises(OSError), use.making(target):
        target.write_bytes(b"CR-FAILED-0002")
        raise OSError(28, "No space left on device")
    assert not target.exists()
    assert (tmp_path / "qadesk.locks" / f"use-{use.slot:02d}.making").read_bytes() == b""
    use.release()


def test_leftovers_of_a_conversion_are_wiped_by_whoever_uses_the_store_next(tmp_path: Path) -> None:
    (tmp_path / "qadesk.sqlite").write_bytes(b"")
    left = [tmp_path / "qadesk.sqlite.converting", tmp_path / "qadesk.sqlite.converting-journal",
            tmp_path / "qadesk.sqlite.restoring", tmp_path / "qadesk.sqlite.before-restore.converting"]
    for p in left:
        p.write_bytes(b"CR-LEFT-0003")
    use = use_store(tmp_path)
    try:
        assert sorted(use.swept) == sorted(left)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["qadesk.locks", "qadesk.sqlite"]
    finally:
        use.release()


def test_lock_files_are_private(tmp_path: Path, ordinary_umask: None) -> None:
    folder = tmp_path / "data"
    use = use_store(folder)
    window = claim_window(folder)
    with use.making(folder / "x.part"):
        (folder / "x.part").write_bytes(b"")
        (folder / "x.part").unlink()
    window.release()
    use.release()
    whole = claim_whole_store(folder)
    whole.release()
    assert mode(folder) == 0o700 and mode(folder / "qadesk.locks") == 0o700
    files = sorted((folder / "qadesk.locks").iterdir())
    assert [p.name for p in files] == ["gate", "use-00", "use-00.making", "window"]
    assert all(mode(p) == 0o600 for p in files)


def test_who_this_process_is_goes_into_the_lock(tmp_path: Path) -> None:
    identify_process("qadesk backup", "command")
    use = use_store(tmp_path)
    holder = single_writer.Holder.from_json((tmp_path / "qadesk.locks" / f"use-{use.slot:02d}").read_bytes())
    assert holder is not None and (holder.pid, holder.program, holder.role) == (os.getpid(), "qadesk backup",
                                                                               "command")
    use.release()
    assert (tmp_path / "qadesk.locks" / f"use-{use.slot:02d}").read_bytes() == b""  # let go: nobody to name
