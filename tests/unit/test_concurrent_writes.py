"""No lost update under concurrency: several processes write to one audit at once, on a real SQLite file.

Each writer is a real process (tests/helpers/concurrent_writer.py) making its writes through the
services in their own committed transactions, as the window's autosave and the command line do, and
acknowledging each one only after its commit returned.  Then the store must hold exactly what was
acknowledged: the audit's revision is one more than its writes, every acknowledged write has a
revision of its own, the last acknowledged answer of every writer is the stored one, and the history
holds one entry per acknowledged write.  Raced against a submit: nothing lands after it.

``QADESK_CONCURRENT_WRITES=1000 python -m pytest tests/unit/test_concurrent_writes.py -q -s`` runs
the bigger figure; the normal run makes 100 writes per writer (400 on one audit).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select

from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services.templates import import_template
from qadesk.store import history, open_store
from qadesk.store.models import HistoryEntry
from tests.helpers.concurrent_writer import summary_for, value_for

CHILD = Path(__file__).resolve().parents[1] / "helpers" / "concurrent_writer.py"
WRITERS = 4
WRITES = int(os.environ.get("QADESK_CONCURRENT_WRITES", "100"))
TEMPLATE = {
    "format": "qadesk-template/1", "id": "concurrency-test", "version": 1, "title": "Concurrency test",
    "kind": "regular", "lists": {"g": [{"value": "ok", "label": "OK", "score": 1}]},
    "overall": {"list": "g", "suggest": "none"},
    "sections": [{"id": "s", "title": "Writers", "questions": [
        {"id": f"q{w}", "type": "integer", "label": f"Writer {w}"} for w in range(WRITERS)]}],
}


@dataclass
class Writer:
    worker: int
    acked: list[tuple[int, int]] = field(default_factory=list)  # (step, revision) of every acknowledged write
    refused: list[tuple[int, str]] = field(default_factory=list)  # (step, error name)
    submitted: int | None = None  # the revision the submit returned
    submit_refused: str | None = None


def _prepared(data_dir: Path) -> tuple[str, int]:
    """A draft audit that can be submitted (its overall judgement given); its id and revision."""
    store = open_store(data_dir)
    try:
        with store.transaction() as s:
            import_template(s, template_from_dict(TEMPLATE), actor="Test Lead")
            audit = svc.start_audit(s, "concurrency-test", svc.Subject(case_ref="CR-CONC-1"), svc.Actor("Test Lead"))
            audit_id = audit.id
        with store.transaction() as s:
            revision = svc.set_overall(s, audit_id, actor="Test Lead", grade="ok").revision
        return audit_id, revision
    finally:
        store.close()


def _race(data_dir: Path, audit_id: str, writes: int, submit_after: int | None = None) -> list[Writer]:
    """Every writer at once (they wait for the ``go`` file); what each one acknowledged."""
    procs = []
    for w in range(WRITERS):
        extra = ["--submit-after", str(submit_after)] if submit_after is not None and w == 0 else []
        procs.append(subprocess.Popen([sys.executable, str(CHILD), str(data_dir), audit_id, str(w), str(writes),
                                       *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    (data_dir / "go").touch()
    writers = []
    for w, proc in enumerate(procs):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0 and "Traceback" not in err, err
        writer = Writer(w)
        for line in out.splitlines():
            word, *rest = line.split()
            if word == "ok":
                writer.acked.append((int(rest[0]), int(rest[1])))
            elif word == "refused":
                writer.refused.append((int(rest[0]), rest[1]))
            elif word == "submitted":
                writer.submitted = int(rest[0])
            else:
                assert word == "refused-submit", line
                writer.submit_refused = rest[0]
        writers.append(writer)
    return writers


def _stored(data_dir: Path, audit_id: str) -> tuple[int, str, dict, str | None, list[HistoryEntry], bool]:
    store = open_store(data_dir)
    try:
        with store.session() as s:
            audit = svc.get_audit(s, audit_id)
            answers = svc.state_of(audit).answers
            entries = list(s.execute(select(HistoryEntry).where(HistoryEntry.audit_id == audit_id)
                                     .order_by(HistoryEntry.seq)).scalars())
            return audit.revision, audit.status, answers, audit.strengths, entries, history.verify(s).ok
    finally:
        store.close()


def _is_summary(step: int) -> bool:
    return step % 5 == 4  # as the writer does it


def test_writers_racing_on_one_audit_lose_no_acknowledged_write(data_dir: Path) -> None:
    audit_id, start = _prepared(data_dir)
    writers = _race(data_dir, audit_id, WRITES)
    revision, status, answers, strengths, entries, chain_ok = _stored(data_dir, audit_id)

    acked = [(w.worker, step, rev) for w in writers for step, rev in w.acked]
    print(f"\n{WRITERS} writers, {len(acked)} acknowledged writes, "
          f"{sum(len(w.refused) for w in writers)} refused, revision {start} -> {revision}")
    # One at a time: no write clashes with another; on a loaded machine one may wait past the busy
    # timeout three times running, and then it is refused as a conflict, having written nothing.
    assert {why for w in writers for _step, why in w.refused} <= {"WriteConflict"}
    assert len(acked) + sum(len(w.refused) for w in writers) == WRITERS * WRITES
    assert len(acked) > WRITERS * WRITES * 0.9
    assert revision == start + len(acked), "every acknowledged write counted once: no revision bump lost"
    assert sorted(rev for _w, _s, rev in acked) == list(range(start + 1, revision + 1)), \
        "every acknowledged write has a revision of its own"
    for w in writers:
        last_answer = max(step for step, _rev in w.acked if not _is_summary(step))
        assert answers[f"q{w.worker}"] == value_for(w.worker, last_answer)
        revisions = [rev for _step, rev in w.acked]
        assert revisions == sorted(revisions), "a writer's own writes follow each other"
    newest_summary = max(((rev, w, step) for w, step, rev in acked if _is_summary(step)))
    assert strengths == summary_for(newest_summary[1], newest_summary[2])
    writes = [e for e in entries if e.entity in ("answer", "summary")]
    assert len(writes) == len(acked), "one history entry per acknowledged write"
    assert status == "draft" and chain_ok


def test_answers_racing_a_submit_never_land_in_the_submitted_audit(data_dir: Path) -> None:
    audit_id, start = _prepared(data_dir)
    writers = _race(data_dir, audit_id, WRITES, submit_after=WRITES // 3)
    revision, status, answers, _strengths, entries, chain_ok = _stored(data_dir, audit_id)

    submitter = writers[0]
    assert submitter.submit_refused is None and submitter.submitted is not None
    submitted = submitter.submitted
    acked = [(w.worker, step, rev) for w in writers for step, rev in w.acked]
    refused = [(w.worker, step, why) for w in writers for step, why in w.refused]
    print(f"\nsubmitted at revision {submitted}; {len(acked)} writes acknowledged before it, "
          f"{len(refused)} refused after it")
    assert status == "completed" and revision == submitted, "nothing was written after the submit"
    assert all(rev < submitted for _w, _s, rev in acked), "no write was acknowledged after the submit"
    assert submitted == start + len(acked) + 1
    # A write after the submit is refused: the audit is no longer a draft (on a loaded machine one may
    # also be refused, before or after, for finding the store busy three times running: it wrote nothing).
    assert {why for _w, _s, why in refused} <= {"NotDraft", "WriteConflict"}
    assert [step for step, why in submitter.refused if why == "NotDraft"] == list(range(WRITES // 3, WRITES)), \
        "the submitter's own writes after its submit were all refused"
    for w in writers:
        steps = [step for step, _rev in w.acked]
        not_draft = [step for step, why in w.refused if why == "NotDraft"]
        assert not not_draft or max(steps, default=-1) < min(not_draft), \
            "a writer's writes are acknowledged until the submit, then refused"
        answered = [step for step in steps if not _is_summary(step)]
        if answered:
            assert answers[f"q{w.worker}"] == value_for(w.worker, answered[-1])
        else:
            assert f"q{w.worker}" not in answers
    submit = next(e for e in entries if e.action == "submit")
    document = json.loads(submit.after)
    assert {k: v["value"] for k, v in document["answers"].items()} == answers, \
        "the submitted version holds what the store holds"
    assert entries[-1] is submit and chain_ok


@pytest.mark.parametrize("writes", [40])
def test_a_lone_writer_gets_one_revision_per_write(data_dir: Path, writes: int) -> None:
    """The baseline of the races above: one process, the same writes, the same bookkeeping."""
    audit_id, start = _prepared(data_dir)
    store = open_store(data_dir)
    try:
        for step in range(writes):
            with store.transaction() as s:
                result = svc.save_answer(s, audit_id, "q0", value_for(0, step), actor="Writer 0")
            assert result.revision == start + step + 1
    finally:
        store.close()
    revision, *_ = _stored(data_dir, audit_id)
    assert revision == start + writes


# ---- the check itself, when the one-writer-at-a-time lock is not there to prevent the race ------------

def test_a_change_read_before_someone_elses_is_refused_by_the_revision_check_not_written(data_dir: Path) -> None:
    """Two copies read revision r; one writes r+1; the other's UPDATE ... WHERE revision = r matches no row."""
    from sqlalchemy import event
    from sqlalchemy.orm.exc import StaleDataError

    audit_id, start = _prepared(data_dir)
    mine, theirs = open_store(data_dir), open_store(data_dir)
    statements: list[str] = []
    event.listen(mine.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        with mine.session() as s:  # a plain session: no write lock, so nothing stops the race but the check
            read = svc.get_audit(s, audit_id, for_answers=True)  # read at revision `start` (and kept)
            with theirs.transaction() as t:
                assert svc.save_answer(t, audit_id, "q1", 11, actor="Writer 1").revision == start + 1
            with pytest.raises(StaleDataError):
                svc.save_answer(s, audit_id, "q0", 10, actor="Writer 0")  # on what it read: revision `start`
                s.commit()
            s.rollback()
            assert read.revision == start + 1  # read afresh: their change
        bump = next(sql for sql in statements if sql.startswith("UPDATE audits"))
        assert "WHERE audits.id = ? AND audits.revision = ?" in bump, bump
        revision, _status, answers, _strengths, entries, chain_ok = _stored(data_dir, audit_id)
        assert (revision, answers) == (start + 1, {"q1": 11}), "the later write on the old revision left nothing"
        assert [e.entity_id for e in entries if e.entity == "answer"] == ["q1"] and chain_ok
    finally:
        mine.close()
        theirs.close()


def test_a_lost_race_in_a_write_transaction_is_a_write_conflict_naming_the_audit(data_dir: Path) -> None:
    from qadesk.core.errors import WriteConflict

    audit_id, start = _prepared(data_dir)
    store = open_store(data_dir)
    try:
        with pytest.raises(WriteConflict) as caught, store.transaction() as s:
            read = svc.get_audit(s, audit_id, for_answers=True)  # kept: the session works on what it read
            reference = read.reference
            # Someone else's change, made behind the ORM's back after this transaction read the audit.
            s.connection().exec_driver_sql("UPDATE audits SET revision = revision + 1 WHERE id = ?", (audit_id,))
            svc.save_answer(s, audit_id, "q0", 10, actor="Writer 0")
        assert str(caught.value).startswith(f"{reference} was changed by someone else at the same moment")
        assert "nothing of this change was saved" in str(caught.value)
    finally:
        store.close()
    revision, _status, answers, *_ = _stored(data_dir, audit_id)
    assert (revision, answers) == (start, {}), "the whole transaction rolled back"


def test_a_store_kept_busy_by_another_writer_is_a_write_conflict_in_words(
        data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlite3

    from qadesk.core.errors import WriteConflict
    from qadesk.store import engine

    audit_id, start = _prepared(data_dir)
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)
    store = open_store(data_dir)
    other = sqlite3.connect(str(data_dir / engine.DB_FILENAME), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another copy of qadesk in the middle of a long write
        busy = "the store stayed busy with another copy of qadesk's change for 0.2 seconds; nothing was saved"
        with pytest.raises(WriteConflict, match=busy), store.transaction() as s:
            svc.save_answer(s, audit_id, "q0", 10, actor="Writer 0")
        other.execute("ROLLBACK")
        with store.transaction() as s:  # the lock gone, the same change goes in
            assert svc.save_answer(s, audit_id, "q0", 10, actor="Writer 0").revision == start + 1
    finally:
        other.close()
        store.close()


def test_readers_are_not_held_up_by_a_writer(data_dir: Path) -> None:
    """The write lock is for writers: a plain session reads the audit while another copy is writing."""
    import sqlite3

    from qadesk.store.engine import DB_FILENAME

    audit_id, start = _prepared(data_dir)
    store = open_store(data_dir)
    other = sqlite3.connect(str(data_dir / DB_FILENAME), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("UPDATE audits SET strengths = 'not yet committed' WHERE id = ?", (audit_id,))
        with store.session() as s:
            audit = svc.get_audit(s, audit_id)
            assert (audit.revision, audit.strengths) == (start, None)
        other.execute("ROLLBACK")
    finally:
        other.close()
        store.close()
