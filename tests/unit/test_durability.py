"""No acknowledged answer is ever lost: SIGKILL a process that is committing answers, the way SQLite tests itself.

A child (tests/helpers/durability_child.py) opens the store, starts an audit and saves answers in a loop
through services.save_answer, printing an acknowledgement after each commit.  The parent kills it with
SIGKILL at a random moment, reopens the store and checks: ``PRAGMA integrity_check`` is ok; every
acknowledged audit exists; for every question the stored value is the last acknowledged one or a later
one that was committed but not yet acknowledged; the stored answer matches the newest history entry for
it (nothing half-written); the audit's revision matches its history; the hash chain verifies.

``QADESK_KILLS=500 python -m pytest tests/unit/test_durability.py -q -s`` runs the full figure; the normal
run uses 50 kills.
"""

from __future__ import annotations

import json
import os
import random
import select
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select

from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services.templates import import_template
from qadesk.store import history, open_store
from qadesk.store.engine import DB_FILENAME
from qadesk.store.models import HistoryEntry

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="SIGKILL is POSIX only")

CHILD = Path(__file__).resolve().parents[1] / "helpers" / "durability_child.py"
QUESTIONS = ("count", "amount", "note")
TEMPLATE = {
    "format": "qadesk-template/1", "id": "durability-test", "version": 1, "title": "Durability test",
    "kind": "regular", "lists": {"g": [{"value": "ok", "label": "OK", "score": 1}]},
    "overall": {"list": "g", "suggest": "none"},
    "sections": [{"id": "s", "title": "Saves", "questions": [
        {"id": "count", "type": "integer", "label": "Count"},
        {"id": "amount", "type": "decimal", "label": "Amount"},
        {"id": "note", "type": "text", "label": "Note"},
    ]}],
}


def step_of(question: str, value: object) -> int:
    """Which loop step wrote this stored value (the inverse of the child's value_for)."""
    if question == "count":
        assert isinstance(value, int)
        return value
    if question == "amount":
        assert isinstance(value, float)
        return int(value - 0.5)
    assert isinstance(value, str) and value.startswith("note ")
    return int(value[5:])


@dataclass
class Run:
    first: int
    audit_id: str | None = None
    acked: dict[str, int] = field(default_factory=dict)  # question -> last acknowledged step
    last_step: int | None = None


@dataclass
class Tally:
    kills: int = 0
    acked_saves: int = 0
    losses: list[str] = field(default_factory=list)


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        raise AssertionError("the child did not start in time")
    return proc.stdout.readline().decode()


def one_kill(data_dir: Path, run: Run, rng: random.Random) -> int:
    """Start a child, kill it at a random moment; record what it acknowledged.  Returns the saves acked."""
    lines: list[str] = []
    with subprocess.Popen([sys.executable, str(CHILD), str(data_dir), str(run.first)],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        try:
            if rng.random() < 0.15:
                # Now and then, kill during start-up or while the audit is being started.
                time.sleep(rng.uniform(0.0, 0.6))
            else:
                first = _read_line(proc, 60)
                lines.append(first)
                if not first:
                    raise AssertionError(proc.stderr.read().decode() or "the child ended")
                time.sleep(rng.uniform(0.0, 0.12))
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        lines += proc.stdout.read().decode().splitlines(keepends=True)
        errors = proc.stderr.read().decode()
    assert "Traceback" not in errors, errors
    saves = 0
    for line in lines:
        if not line.endswith("\n"):
            continue  # the kill cut the line: not a complete acknowledgement
        word, rest = line.split()
        if word == "audit":
            run.audit_id = rest
        else:
            step = int(rest)
            run.acked[word] = step
            run.last_step = step
            saves += 1
    return saves


def check(data_dir: Path, runs: list[Run], tally: Tally) -> None:
    conn = sqlite3.connect(str(data_dir / DB_FILENAME))
    try:
        result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()
    if result != "ok":
        tally.losses.append(f"integrity_check: {result}")
    store = open_store(data_dir)
    try:
        with store.session() as s:
            report = history.verify(s)
            if not report.ok:
                tally.losses.append(f"history broken at {report.broken_at}: {report.reason}")
            for run in runs:
                if run.audit_id is None:
                    continue
                try:
                    audit = svc.get_audit(s, run.audit_id)
                except Exception as exc:  # noqa: BLE001 - any failure here is a loss
                    tally.losses.append(f"acknowledged audit {run.audit_id} missing: {exc}")
                    continue
                answers = svc.state_of(audit).answers
                entries = s.execute(sql_select(HistoryEntry).where(HistoryEntry.audit_id == audit.id)
                                    .order_by(HistoryEntry.seq)).scalars().all()
                saves = [e for e in entries if e.entity == "answer"]
                if audit.revision != 1 + len(saves):
                    tally.losses.append(f"{audit.reference}: revision {audit.revision}, {len(saves)} saves")
                newest = {e.entity_id: json.loads(e.after)["value"] for e in saves}
                if newest != answers:
                    tally.losses.append(f"{audit.reference}: answers {answers} != history {newest}")
                for q, acked in run.acked.items():
                    if q not in answers:
                        tally.losses.append(f"{audit.reference}: acknowledged {q}={acked} missing")
                        continue
                    step = step_of(q, answers[q])
                    # The stored step is the acknowledged one, or one committed just before the kill.
                    if not acked <= step <= (run.last_step or acked) + 1:
                        tally.losses.append(f"{audit.reference}: {q} acknowledged {acked}, stored {step}")
    finally:
        store.close()


def run_kills(data_dir: Path, kills: int, seed: int) -> Tally:
    store = open_store(data_dir)
    with store.transaction() as s:
        import_template(s, template_from_dict(TEMPLATE), actor="test")
    store.close()
    rng = random.Random(seed)
    runs: list[Run] = []
    tally = Tally()
    for k in range(kills):
        run = Run(first=(k + 1) * 1_000_000)
        runs.append(run)
        tally.acked_saves += one_kill(data_dir, run, rng)
        tally.kills += 1
        check(data_dir, runs, tally)
    return tally


def test_sigkill_during_answer_saves_loses_nothing_acknowledged(data_dir: Path) -> None:
    kills = int(os.environ.get("QADESK_KILLS", "50"))
    seed = int(os.environ.get("QADESK_KILL_SEED", "20261125"))
    started = time.monotonic()
    tally = run_kills(data_dir, kills, seed)
    elapsed = time.monotonic() - started
    print(f"\n{tally.kills} kills, {tally.acked_saves} acknowledged saves, {len(tally.losses)} losses "
          f"({elapsed:.0f} s, seed {seed})")
    assert tally.kills == kills
    assert tally.acked_saves > kills  # the kills really landed among the saves
    assert tally.losses == []
