"""The real command line, several at once on one audit: nothing is lost, and a store kept busy is said in words.

Every ``qadesk audit answer`` runs in its own process, several at the same moment, as auditors in a
shared folder (or a script beside the open window) would run them.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services.templates import import_template
from qadesk.store import open_store
from qadesk.store.engine import BUSY_TIMEOUT_MS, DB_FILENAME
from tests.helpers.cli import run_qadesk

PROCESSES = 4
ROUNDS = 2
TEMPLATE = {
    "format": "qadesk-template/1", "id": "cli-concurrency-test", "version": 1, "title": "CLI concurrency test",
    "kind": "regular", "lists": {"g": [{"value": "ok", "label": "OK", "score": 1}]},
    "overall": {"list": "g", "suggest": "none"},
    "sections": [{"id": "s", "title": "Writers", "questions": [
        {"id": f"q{w}", "type": "integer", "label": f"Writer {w}"} for w in range(PROCESSES)]}],
}


def _draft(data_dir: Path) -> tuple[str, str, int]:
    store = open_store(data_dir)
    try:
        with store.transaction() as s:
            import_template(s, template_from_dict(TEMPLATE), actor="Test Lead")
            audit = svc.start_audit(s, "cli-concurrency-test", svc.Subject(case_ref="CR-CLI-1"), svc.Actor("Test Lead"))
            return audit.id, audit.reference, audit.revision
    finally:
        store.close()


def _state(data_dir: Path, audit_id: str) -> tuple[int, dict]:
    store = open_store(data_dir)
    try:
        with store.session() as s:
            audit = svc.get_audit(s, audit_id)
            return audit.revision, svc.state_of(audit).answers
    finally:
        store.close()


def test_command_lines_answering_one_audit_at_once_lose_no_answer(data_dir: Path) -> None:
    audit_id, _reference, start = _draft(data_dir)
    with ThreadPoolExecutor(PROCESSES) as pool:
        for r in range(ROUNDS):
            runs = list(pool.map(lambda w, r=r: run_qadesk(data_dir, "audit", "answer", audit_id, f"q{w}={r * 10 + w}"),
                                 range(PROCESSES)))
            for run in runs:
                assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    revision, answers = _state(data_dir, audit_id)
    assert revision == start + PROCESSES * ROUNDS, "every command's change counted: no revision bump lost"
    assert answers == {f"q{w}": (ROUNDS - 1) * 10 + w for w in range(PROCESSES)}


def test_a_command_that_finds_the_store_busy_says_so_and_saves_nothing(data_dir: Path) -> None:
    """Another writer holds the store past the busy timeout: a plain line, exit 1, nothing written."""
    audit_id, _reference, start = _draft(data_dir)
    other = sqlite3.connect(str(data_dir / DB_FILENAME), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # e.g. a long pack import in the window
        run = subprocess.run([sys.executable, "-m", "qadesk", "--data-dir", str(data_dir), "audit", "answer",
                              audit_id, "q0=1"], capture_output=True, text=True, timeout=120,
                             cwd=Path(__file__).resolve().parents[2])
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert run.returncode == 1, run.stderr
    assert run.stderr == (f"qadesk: the store stayed busy with another copy of qadesk's change for "
                          f"{BUSY_TIMEOUT_MS / 1000:g} seconds; nothing was saved: try again\n")
    assert _state(data_dir, audit_id) == (start, {})
    again = run_qadesk(data_dir, "audit", "answer", audit_id, "q0=1")
    assert again.returncode == 0, again.stderr
    assert _state(data_dir, audit_id) == (start + 1, {"q0": 1})
