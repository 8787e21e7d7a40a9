"""Store figures: opening, autosave, the audits list (first screen, sorts, filters) and memory.

Each figure sits beside the bare library doing the same work in the same run:
``sqlite3`` with the same pragmas and the equivalent SQL, written by hand.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from tests.benchmarks import Result, median_ms

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
           "PRAGMA busy_timeout=5000", "PRAGMA temp_store=MEMORY")
PAGE = 200  # rows on the first screen, as list_audits gives by default
SEARCH = "CR-45"
TEAM = "Child Protection Hub"
ROOT = Path(__file__).resolve().parents[2]

SQL_COLUMNS = {
    "reference": "a.reference", "status": "a.status", "case_ref": "a.case_ref", "case_type": "a.case_type",
    "team": "a.team", "practitioner": "a.practitioner", "auditor": "a.auditor_name", "started_at": "a.started_at",
    "completed_at": "a.completed_at", "grade": "a.final_score", "template": "t.title", "updated_at": "a.updated_at",
}
LIST_SQL = ("SELECT a.id, a.reference, a.status, t.template_id, t.version, t.title, t.kind, a.case_ref, a.case_type, "
            "a.team, a.practitioner, a.auditor_name, a.started_at, a.completed_at, a.final_grade, "
            "a.answered_count, a.overall_grade FROM audits a JOIN template_versions t ON a.template_pk = t.pk")
SEARCH_SQL = ("(lower(a.reference) LIKE lower(:s) OR lower(a.case_ref) LIKE lower(:s) "
              "OR lower(a.practitioner) LIKE lower(:s))")


def _connect(db: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(db), isolation_level=None)
    for pragma in PRAGMAS:
        con.execute(pragma)
    return con


def _bare_list(con: sqlite3.Connection, sort: str, where: str = "", params: dict | None = None) -> None:
    clause = f" WHERE {where}" if where else ""
    col = SQL_COLUMNS[sort]
    con.execute(f"{LIST_SQL}{clause} ORDER BY {col} DESC, a.reference DESC LIMIT {PAGE}", params or {}).fetchall()
    con.execute(f"SELECT count(*) FROM audits a{clause}", params or {}).fetchone()


def bench_open(folder: Path) -> list[Result]:
    from sqlalchemy import text

    from qadesk.store import open_store

    def qadesk_open() -> None:
        store = open_store(folder)
        with store.session() as s:
            s.execute(text("SELECT count(*) FROM template_versions")).scalar()
        store.close()

    def bare_open() -> None:
        con = _connect(folder / "qadesk.sqlite")
        con.execute("SELECT version_num FROM alembic_version").fetchone()
        con.execute("SELECT count(*) FROM template_versions").fetchone()
        con.close()

    warm = Result("open the store (open_store + migration check), warm", median_ms(qadesk_open, 9),
                  baseline=median_ms(bare_open, 9), limit=100)
    cold_code = ("import time; t0 = time.perf_counter(); import sys; from sqlalchemy import text; "
                 "from qadesk.store import open_store; s = open_store(sys.argv[1]); "
                 "c = s.session(); c.execute(text('SELECT count(*) FROM template_versions')).scalar(); "
                 "print((time.perf_counter() - t0) * 1000)")
    bare_code = ("import time; t0 = time.perf_counter(); import sys, sqlite3; c = sqlite3.connect(sys.argv[1] + "
                 "'/qadesk.sqlite'); [c.execute(p) for p in " + repr(PRAGMAS) + "]; "
                 "c.execute('SELECT count(*) FROM template_versions').fetchone(); "
                 "print((time.perf_counter() - t0) * 1000)")
    cold = statistics.median(float(_python(cold_code, folder)) for _ in range(3))
    bare = statistics.median(float(_python(bare_code, folder)) for _ in range(3))
    return [warm, Result("open the store in a new process (imports included)", cold, baseline=bare, limit=1000)]


def bench_autosave(folder: Path, n: int = 200) -> list[Result]:
    from sqlalchemy import select

    from qadesk.services.audits import save_answer
    from qadesk.store import open_store
    from qadesk.store.models import Audit, TemplateVersion

    store = open_store(folder)
    with store.session() as s:
        audit_id, other_id = s.execute(
            select(Audit.id).join(TemplateVersion, Audit.template_pk == TemplateVersion.pk)
            .where(Audit.status == "draft", TemplateVersion.template_id == "regular-case-audit")
            .order_by(Audit.started_at.desc()).limit(2)).scalars().all()
    texts = ["Seen at home with mother; said school is better since the move.",
             "Seen alone in the bedroom; talked about football and her friend Maya."]
    con = _connect(folder / "qadesk.sqlite")
    times, bare = [], []
    # The bare row goes on another audit (and is removed after) so the service never counts it.
    # Interleaved, so that both see the same disk: the commit's fsync is most of the cost and it varies.
    for i in range(n):
        t0 = time.perf_counter()
        with store.transaction() as s:
            save_answer(s, audit_id, "lived_experience", texts[i % 2], actor="Benchmark")
        times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        con.execute("BEGIN")
        con.execute("INSERT INTO answers (audit_id, question_id, position, value, evidence, score, updated_at) "
                    "VALUES (?, 'bench_baseline', 999, ?, NULL, NULL, ?) ON CONFLICT(audit_id, question_id) "
                    "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (other_id, json.dumps(texts[i % 2]), datetime.now(timezone.utc).isoformat(" ")))
        con.execute("COMMIT")
        bare.append((time.perf_counter() - t0) * 1000)
    con.execute("DELETE FROM answers WHERE question_id = 'bench_baseline'")
    con.close()
    store.close()
    p95 = sorted(times)[int(n * 0.95)]
    return [Result("autosave one answer, durable (median)", statistics.median(times),
                   baseline=statistics.median(bare), limit=5, note=f"p95 {p95:.1f} ms, {n} saves")]


def bench_list(folder: Path) -> list[Result]:
    from qadesk.services.queries import SORT_COLUMNS, Selection, count_audits, list_audits
    from qadesk.store import open_store

    store = open_store(folder)
    con = _connect(folder / "qadesk.sqlite")
    out: list[Result] = []

    def measure(name: str, sel: Selection, sort: str, where: str = "", params: dict | None = None) -> None:
        def ours() -> None:
            with store.session() as s:
                list_audits(s, sel, sort=sort, descending=True, limit=PAGE)
                count_audits(s, sel)

        out.append(Result(name, median_ms(ours, 5), baseline=median_ms(lambda: _bare_list(con, sort, where, params), 5),
                          limit=100))

    measure("audits list: first screen (newest first) + count", Selection(), "started_at")
    for sort in SORT_COLUMNS:
        if sort != "started_at":
            measure(f"audits list: sort by {sort}", Selection(), sort)
    measure(f"audits list: filter team = {TEAM}", Selection(teams=[TEAM]), "started_at", "a.team = :t", {"t": TEAM})
    measure("audits list: filter status = draft", Selection(statuses=["draft"]), "started_at", "a.status = 'draft'")
    measure(f"audits list: search '{SEARCH}'", Selection(search=SEARCH), "started_at", SEARCH_SQL,
            {"s": f"%{SEARCH}%"})
    measure("audits list: filter status = completed, sort by grade", Selection(statuses=["completed"]), "grade",
            "a.status = 'completed'")
    store.close()
    con.close()
    return out


def _python(code: str, folder: Path) -> str:
    done = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, check=True)
    return done.stdout.strip().splitlines()[-1]


RSS = ("int(next(line for line in open('/proc/self/status') if line.startswith('VmRSS')).split()[1]) / 1024")


def bench_memory(folder: Path) -> list[Result]:
    ours = ("import sys; from qadesk.store import open_store; "
            "from qadesk.services.queries import list_audits, count_audits, distinct_values; "
            "s = open_store(sys.argv[1]); c = s.session(); rows = list_audits(c); n = count_audits(c); "
            "teams = distinct_values(c, 'team'); auditors = distinct_values(c, 'auditor'); "
            f"print({RSS})")
    bare = ("import sys, sqlite3; c = sqlite3.connect(sys.argv[1] + '/qadesk.sqlite'); "
            f"rows = c.execute({LIST_SQL!r} + ' ORDER BY a.started_at DESC, a.reference DESC LIMIT {PAGE}').fetchall(); "
            "n = c.execute('SELECT count(*) FROM audits').fetchone(); "
            f"print({RSS})")
    return [Result("memory (RSS): store open, first screen and filter lists loaded", float(_python(ours, folder)),
                   unit="MB", baseline=float(_python(bare, folder)), limit=300)]


def run(store_dir: Path) -> list[Result]:
    folder = Path(store_dir)
    return bench_open(folder) + bench_autosave(folder) + bench_list(folder) + bench_memory(folder)
