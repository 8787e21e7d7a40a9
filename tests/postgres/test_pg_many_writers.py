"""Eight people at once on the team server: 8 processes start and answer 200 audits on PostgreSQL, all
writing one shared audit between their own, and then the store holds exactly what was acknowledged.

Every failure must be a reported conflict (a WriteConflict the service named, tried again); the
references are unique; every acknowledged answer is stored with its value (no lost update); the shared
audit's revision counts every write to it; and ``history verify`` finds one intact chain that accounts
for every audit. The figures are printed (``-s``): ``QADESK_MANY_WRITERS=50`` runs 400 audits.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from qadesk.core.template import template_from_dict
from qadesk.services import audits as svc
from qadesk.services.history import verify_store
from qadesk.services.templates import import_template
from qadesk.store import open_store
from qadesk.store.models import Audit, HistoryEntry

CHILD = Path(__file__).resolve().parents[1] / "helpers" / "audit_starter.py"
WORKERS = 8
PER_WORKER = int(os.environ.get("QADESK_MANY_WRITERS", "25"))
TEMPLATE = {
    "format": "qadesk-template/1", "id": "many-writers", "version": 1, "title": "Many writers",
    "kind": "regular", "lists": {"g": [{"value": "ok", "label": "OK", "score": 1}]},
    "overall": {"list": "g", "suggest": "none"},
    "sections": [{"id": "s", "title": "Answers", "questions": [
        *({"id": f"q{q}", "type": "integer", "label": f"Question {q}"} for q in range(3)),
        *({"id": f"w{w}", "type": "integer", "label": f"Worker {w}"} for w in range(WORKERS))]}],
}


def test_eight_processes_start_and_answer_audits_at_once_and_nothing_is_lost(pg_url: str, tmp_path: Path) -> None:
    store = open_store(url=pg_url)
    with store.transaction() as s:
        import_template(s, template_from_dict(TEMPLATE), actor="Test Lead")
        shared = svc.start_audit(s, "many-writers", svc.Subject(case_ref="CR-SHARED"), svc.Actor("Test Lead"))
        shared_id, shared_start = shared.id, shared.revision
    store.close()

    go = tmp_path / "go"
    procs = [subprocess.Popen([sys.executable, str(CHILD), str(go), str(w), str(PER_WORKER), shared_id],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "QADESK_DATABASE_URL": pg_url})
             for w in range(WORKERS)]
    time.sleep(1.0)  # every process up and waiting
    started = time.perf_counter()
    go.touch()
    outputs = [p.communicate(timeout=600) for p in procs]
    seconds = time.perf_counter() - started
    for p, (_out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0 and "Traceback" not in err, err  # nothing failed but reported conflicts

    starts: dict[str, str] = {}
    answers: dict[tuple[str, str], int] = {}
    conflicts: Counter[str] = Counter()
    for out, _err in outputs:
        for line in out.splitlines():
            kind, *rest = line.split()
            if kind == "start":
                starts[rest[0]] = rest[1]
            elif kind == "answer":
                answers[(rest[0], rest[1])] = int(rest[2])
            else:
                assert kind == "conflict", line
                conflicts[rest[0]] += 1
    n = WORKERS * PER_WORKER
    assert len(starts) == n
    assert len(set(starts.values())) == n, "every audit has a reference of its own"

    store = open_store(url=pg_url)
    try:
        with store.session() as s:
            stored = {a.id: a for a in s.query(Audit)}
            assert set(starts) | {shared_id} == set(stored)
            assert {a.reference for a in stored.values()} >= set(starts.values())
            lost = [(aid, q, v) for (aid, q), v in answers.items()
                    if svc.state_of(stored[aid]).answers.get(q) != v]
            assert lost == [], f"acknowledged but not stored: {lost[:5]}"
            # The shared audit: one revision for each acknowledged write, nothing else.
            assert stored[shared_id].revision == shared_start + n
            report = verify_store(s, None)
            assert report.ok, [p.describe() for p in report.problems[:5]]
            entries = s.query(HistoryEntry).count()
    finally:
        store.close()
    print(f"\n{WORKERS} processes, {n} audits started and {len(answers):,} answers acknowledged in {seconds:.1f} s "
          f"({(n + len(answers)) / seconds:.0f} writes/s); {sum(conflicts.values())} reported conflicts tried "
          f"again ({dict(conflicts)}); 0 lost; {len(set(starts.values()))} unique references; history intact, "
          f"{entries:,} entries")
    (tmp_path / "figures.json").write_text(json.dumps({"seconds": seconds, "conflicts": dict(conflicts)}))
