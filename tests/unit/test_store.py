"""The store: pragmas on every connection, backup and restore, migrations from an old store, the URL override."""

from __future__ import annotations

import importlib.util
import json
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services.history import verify_store
from qadesk.services.templates import import_template
from qadesk.store import history, open_store
from qadesk.store.engine import DB_FILENAME, restore_from
from qadesk.store.examine import StoreDamaged
from qadesk.store.migrate import current_revision, head_revision

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def fixture_module():
    spec = importlib.util.spec_from_file_location("make_store_fixture", FIXTURES / "make_store_fixture.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pragmas(conn) -> dict[str, object]:
    return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout", "temp_store")}


EXPECTED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000,
                    "temp_store": 2}


# ------------------------------------------------------------------ pragmas


def test_pragmas_on_every_connection(store) -> None:
    # Several connections at once, so the pool must open new ones; each gets the pragmas.
    conns = [store.engine.connect() for _ in range(4)]
    try:
        for conn in conns:
            assert pragmas(conn) == EXPECTED_PRAGMAS
    finally:
        for conn in conns:
            conn.close()
    with store.session() as s:
        assert pragmas(s.connection()) == EXPECTED_PRAGMAS


def test_foreign_keys_are_enforced(store) -> None:
    with pytest.raises(Exception, match="FOREIGN KEY"), store.engine.begin() as conn:
        conn.execute(text("INSERT INTO answers (audit_id, question_id, position, updated_at) "
                          "VALUES ('no-such-audit', 'q', 0, '2026-01-01 00:00:00')"))


# ------------------------------------------------------------------ backup and restore


def _fill(store) -> tuple[str, str]:
    with store.transaction() as s:
        for path in sorted((ROOT / "forms").glob("*.json"))[:2]:
            import_template(s, template_from_dict(json.loads(path.read_text("utf-8"))), actor="t")
    with store.transaction() as s:
        tid = "data-led-overdue-visits"
        a = svc.start_audit(s, tid, svc.Subject(case_ref="CR-777001", team="Team A"), svc.Actor("A. Auditor"))
        svc.save_answer(s, a.id, "dl_frequency_days", 10, actor="A. Auditor")
        svc.add_action(s, a.id, "Visit this week", actor="A. Auditor", urgent=True)
        b = svc.start_audit(s, tid, svc.Subject(case_ref="CR-777002"), svc.Actor("A. Auditor"))
        return a.id, b.id


def _snapshot(store) -> dict:
    with store.session() as s:
        docs = {}
        for aid in [r[0] for r in s.execute(text("SELECT id FROM audits ORDER BY id"))]:
            d = svc.audit_document(svc.get_audit(s, aid))
            docs[aid] = d
        counts = {t: s.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                  for t in ("template_versions", "audits", "answers", "actions", "history", "settings")}
        return {"docs": docs, "counts": counts, "history_ok": history.verify(s).ok}


def test_backup_is_a_consistent_copy_and_restore_brings_it_back(store, data_dir: Path, tmp_path: Path) -> None:
    a, _b = _fill(store)
    before = _snapshot(store)
    # A write in progress on another connection (not committed) must not reach the backup.
    other = sqlite3.connect(str(store.path))
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO settings (key, value) VALUES ('uncommitted', 'x')")
    (tmp_path / "backups").mkdir()
    try:
        target = store.backup_to(tmp_path / "backups" / "copy.sqlite")
    finally:
        other.rollback()
        other.close()
    assert target.exists()
    assert not (tmp_path / "backups" / "copy.sqlite.part").exists()
    check = sqlite3.connect(str(target))
    try:
        assert check.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert check.execute("SELECT count(*) FROM settings WHERE key = 'uncommitted'").fetchone()[0] == 0
    finally:
        check.close()

    # Later work, then restore: the store is as it was at the backup; the replaced one is kept.
    with store.transaction() as s:
        svc.save_answer(s, a, "dl_frequency_days", 20, actor="A. Auditor")
    store.close()
    restore_from(target, data_dir)
    assert (data_dir / (DB_FILENAME + ".before-restore")).exists()
    restored = open_store(data_dir)
    try:
        assert _snapshot(restored) == before
    finally:
        restored.close()


def test_restore_refuses_a_damaged_backup(store, data_dir: Path, tmp_path: Path) -> None:
    _fill(store)
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)
    with pytest.raises(StoreDamaged, match="bad.sqlite is damaged: its SQLite header names an impossible page size"):
        restore_from(bad, data_dir)
    assert _snapshot(store)["counts"]["audits"] == 2


CRASH_WRITER = """
import os, sys
sys.path.insert(0, sys.argv[2])
from qadesk.store import open_store
from qadesk.services import audits as svc
store = open_store(sys.argv[1])
with store.transaction() as s:
    svc.save_answer(s, sys.argv[3], "dl_frequency_days", 99, actor="A. Auditor")
os._exit(0)  # like a crash: the WAL is left behind, not checkpointed
"""


def test_restore_keeps_the_work_of_a_crashed_session_in_the_replaced_store(store, data_dir: Path,
                                                                              tmp_path: Path) -> None:
    # Committed work still in the WAL after a crash must survive in the store kept as '.before-restore'
    # (the first version deleted the -wal file before keeping the database).
    a, _b = _fill(store)
    backup = store.backup_to(tmp_path / "copy.sqlite")
    store.close()
    subprocess.run([sys.executable, "-c", CRASH_WRITER, str(data_dir), str(ROOT), a], check=True, timeout=60)
    assert (data_dir / (DB_FILENAME + "-wal")).stat().st_size > 0
    restore_from(backup, data_dir)
    kept = data_dir / (DB_FILENAME + ".before-restore")
    conn = sqlite3.connect(str(kept))
    try:
        value = conn.execute("SELECT value FROM answers WHERE audit_id = ? AND question_id = 'dl_frequency_days'",
                             (a,)).fetchone()
    finally:
        conn.close()
    assert value == ("99",)


# ------------------------------------------------------------------ migrations from an old store


def _check_old_store(data_dir: Path) -> None:
    m = fixture_module()
    store = open_store(data_dir)
    try:
        assert current_revision(store.engine) == head_revision()
        with store.session() as s:
            d1 = svc.audit_document(svc.get_audit(s, m.A1))
            d2 = svc.audit_document(svc.get_audit(s, "AUD-2026-0002"))
            # Migration 0008 appends a baseline entry for each of the two audits and one for the store.
            assert history.verify(s).ok and history.verify(s).entries == len(m.HISTORY) + 3
            baselines = s.execute(text("SELECT entity, action FROM history ORDER BY seq")).all()[len(m.HISTORY):]
            assert baselines == [("audit", "baseline"), ("audit", "baseline"), ("store", "baseline")]
            # The old store's entries predate replayable ones; from the baseline on, the history accounts for it.
            assert verify_store(s, store.path).ok
        assert d1["reference"] == "AUD-2026-0001" and d1["status"] == "moderated" and d1["revision"] == 9
        assert d1["template"] == {"id": "fixture-audit", "version": 1}
        assert d1["subject"] == {"case_ref": "CR-900001", "case_type": "CP", "team": "Assessment 2",
                                 "practitioner": "P. Worker", "supervisor": "S. Senior"}
        assert d1["auditor"] == {"name": "B. Manager", "role": "Team manager"}
        assert d1["started_at"] == "2026-03-02T09:30:00+00:00"
        assert d1["completed_at"] == "2026-03-02T10:00:00+00:00"
        assert d1["programme"] == "Spring audits 2026"
        assert d1["answers"] == {
            "seen_alone": {"value": "yes", "evidence": "Seen alone on 1 Mar"},
            "visits": {"value": 4},
            "last_visit": {"value": "2026-03-01"},
            "agencies": {"value": ["police", "health"]},
            "attendance": {"value": 92.5},
            "lived": {"value": "Lives with mum and two sisters; likes football — and says so"},
        }
        assert d1["sections"] == {"voice": {"grade": "good"}}
        assert d1["overall"] == {"grade": "good", "suggested": "good", "rationale": None}
        assert d1["summary"]["strengths"] == "Warm, child-focused visits"
        assert d1["summary"]["practitioner_reflection"] == "I will update the chronology"
        assert d1["actions"] == [{"id": m.ACTION, "text": "Update the chronology", "owner": "P. Worker",
                                  "due": "2026-03-20", "status": "open", "urgent": True}]
        assert d1["moderations"] == [{"id": m.MODERATION, "moderator": {"name": "M. Moderator",
                                                                        "organisation": "Example Borough Council"},
                                      "kind": "internal", "grade": "ri", "agreed": False,
                                      "rationale": "Plan lacks timescales", "at": "2026-03-05T14:00:00+00:00",
                                      # migration 0013: a moderation from before blind marking was made openly
                                      "blind": False, "own_grade": None, "own_at": None, "sections": {},
                                      "learning_points": None, "notes": []}]
        assert d2["status"] == "draft" and d2["answers"] == {"seen_alone": {"value": "no"}}
        with store.session() as s:  # migration 0006: the grade's score on its list, for the list's grade order
            scores = dict(s.execute(text("SELECT reference, overall_score FROM audits")).all())
        assert scores == {"AUD-2026-0001": 3.0, "AUD-2026-0002": None}
        # The upgraded store is fully usable: the same template re-imports as a no-op, work goes on,
        # references continue where they stopped, and the history chain carries on.
        with store.transaction() as s:
            _row, created = import_template(s, template_from_dict(m.TEMPLATE), actor="t")
            assert created is False
            svc.save_answer(s, m.A2, "visits", "3", actor="B. Manager")
            new = svc.start_audit(s, "fixture-audit", svc.Subject(case_ref="CR-900003"), svc.Actor("B. Manager"),
                                  started_at=datetime(2026, 4, 1, 9, 0, tzinfo=timezone.utc))
            assert new.reference == "AUD-2026-0003"
        with store.session() as s:
            assert history.verify(s).ok
            assert svc.audit_document(svc.get_audit(s, m.A2))["answers"]["visits"] == {"value": 3}
            report = verify_store(s, store.path)
            assert report.ok, [p.describe() for p in report.problems]
            assert report.anchor.startswith("the checkpoint agrees")
    finally:
        store.close()


def test_a_store_made_by_revision_0001_in_this_run_upgrades_with_every_record(data_dir: Path) -> None:
    fixture_module().build(data_dir / DB_FILENAME)
    _check_old_store(data_dir)


def test_the_committed_rev0001_store_opens_with_every_record(data_dir: Path) -> None:
    committed = FIXTURES / "store-rev0001.sqlite"
    assert committed.exists(), "run python tests/fixtures/make_store_fixture.py"
    shutil.copyfile(committed, data_dir / DB_FILENAME)
    with sqlite3.connect(str(data_dir / DB_FILENAME)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    _check_old_store(data_dir)
    assert committed.read_bytes()[:16] == b"SQLite format 3\x00"  # the fixture itself untouched


# ------------------------------------------------------------------ where the store lives


def test_database_url_is_honoured(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data_dir: Path) -> None:
    other = tmp_path / "elsewhere" / "other.sqlite"
    other.parent.mkdir()
    monkeypatch.setenv("QADESK_DATABASE_URL", f"sqlite:///{other}")
    store = open_store(data_dir)
    try:
        assert store.path == other
        with store.engine.connect() as conn:
            assert pragmas(conn) == EXPECTED_PRAGMAS
        with store.transaction() as s:
            import_template(s, template_from_dict(fixture_module().TEMPLATE), actor="t")
    finally:
        store.close()
    assert other.exists()
    assert not (data_dir / DB_FILENAME).exists()
    with sqlite3.connect(str(other)) as conn:
        assert conn.execute("SELECT template_id FROM template_versions").fetchall() == [("fixture-audit",)]


def test_data_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QADESK_DATA_DIR", str(tmp_path / "env-data"))
    store = open_store()
    try:
        assert store.path == tmp_path / "env-data" / DB_FILENAME
    finally:
        store.close()


# ------------------------------------------------------------------ migrations match the models


def test_the_migrated_schema_is_the_models_schema(store) -> None:
    """Every table, column, index and foreign key the models declare is what the migrations made (and no more)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from qadesk.store.models import Base

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = [d for d in compare_metadata(ctx, Base.metadata)
                if not (isinstance(d, tuple) and d[0] == "remove_table" and d[1].name == "alembic_version")]
    assert diff == []
