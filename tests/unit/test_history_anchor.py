"""The history's head outside the store: the checkpoint file, its two slots, and what verify makes of it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qadesk.services import audits as svc
from qadesk.services.history import verify_store
from qadesk.store import anchor, history, open_store
from qadesk.store.engine import restore_from
from tests.helpers.exports import make_audits


def _head(store) -> anchor.Checkpoint:
    return anchor.read(anchor.head_path(store.path))


def test_each_change_moves_the_checkpoint_before_it_commits(loaded_store) -> None:
    ids = make_audits(loaded_store, 1)
    first = _head(loaded_store)
    assert first.newest is not None and not first.damaged
    with loaded_store.session() as s:
        count, seq, digest = history.head(s)
    assert (first.newest.entries, first.newest.seq, first.newest.hash) == (count, seq, digest)
    with loaded_store.transaction() as s:
        svc.add_action(s, ids[0], "Ring the school", actor="t")
    second = _head(loaded_store)
    assert second.newest.entries == count + 1 and second.newest.gen == first.newest.gen + 1
    assert second.older is not None and second.older.hash == digest  # the head before it, kept
    mode = stat.S_IMODE(os.stat(anchor.head_path(loaded_store.path)).st_mode)
    assert os.name == "nt" or mode == 0o600


def test_a_change_that_rolls_back_leaves_a_head_verify_accepts(loaded_store) -> None:
    ids = make_audits(loaded_store, 1)
    before = anchor.head_path(loaded_store.path).read_bytes()
    with pytest.raises(RuntimeError), loaded_store.transaction() as s:
        svc.add_action(s, ids[0], "Never saved", actor="t")  # its entry is written, then rolled back
        raise RuntimeError("something fails before the commit")
    assert anchor.head_path(loaded_store.path).read_bytes() == before  # no commit, no new head
    with loaded_store.session() as s:
        report = verify_store(s, loaded_store.path)
    assert report.ok, [p.describe() for p in report.problems]


def test_the_checkpoint_ahead_of_the_history_with_the_tables_agreeing_is_an_unfinished_save(loaded_store) -> None:
    """A crash after the checkpoint was written and before the commit: a note, not a problem."""
    ids = make_audits(loaded_store, 1)
    path = anchor.head_path(loaded_store.path)
    cp = anchor.read(path)
    ahead = anchor.Head(entries=cp.newest.entries + 1, seq=cp.newest.seq + 1, hash="f" * 64,
                        gen=cp.newest.gen + 1, at=anchor.now_iso())
    anchor.write(path, ahead, keep=cp.newest.hash)
    with loaded_store.session() as s:
        report = verify_store(s, loaded_store.path)
    assert report.ok and any("did not complete" in n for n in report.notes)
    with loaded_store.transaction() as s:  # the next save carries on from the committed head
        svc.add_action(s, ids[0], "Ring the school", actor="t")
    with loaded_store.session() as s:
        report = verify_store(s, loaded_store.path)
    assert report.ok and report.anchor.startswith("the checkpoint agrees")


def test_a_torn_slot_leaves_the_other_one(tmp_path: Path) -> None:
    path = tmp_path / "qadesk.history-head"
    anchor.write(path, anchor.Head(entries=1, seq=1, hash="a" * 64, gen=1), keep=None)
    anchor.write(path, anchor.Head(entries=2, seq=2, hash="b" * 64, gen=2), keep="a" * 64)
    raw = bytearray(path.read_bytes())
    newest_slot = 1 if b'"gen":2' in raw[anchor.SLOT_BYTES:] else 0
    raw[newest_slot * anchor.SLOT_BYTES + 20] ^= 0xFF  # half a write
    path.write_bytes(bytes(raw))
    cp = anchor.read(path)
    assert cp.damaged and cp.newest is not None and cp.newest.entries == 1


def test_a_missing_checkpoint_is_remembered_by_the_next_change(loaded_store) -> None:
    ids = make_audits(loaded_store, 1)
    anchor.head_path(loaded_store.path).unlink()
    with loaded_store.transaction() as s:
        svc.add_action(s, ids[0], "Ring the school", actor="t")
    with loaded_store.session() as s:
        report = verify_store(s, loaded_store.path)
    assert not report.ok
    assert any("the checkpoint was missing" in p.describe() for p in report.problems)


def test_a_restore_resets_the_checkpoint_and_says_so(loaded_store, tmp_path: Path) -> None:
    ids = make_audits(loaded_store, 1)
    backup = loaded_store.backup_to(tmp_path / "backup.sqlite")
    with loaded_store.transaction() as s:
        svc.add_action(s, ids[0], "After the backup", actor="t")
    folder = loaded_store.data_dir
    loaded_store.close()
    restore_from(backup, folder)
    store = open_store(folder)
    try:
        with store.session() as s:
            report = verify_store(s, store.path)
        assert report.ok, [p.describe() for p in report.problems]
        assert any("restored from a backup" in n for n in report.notes)
    finally:
        store.close()
