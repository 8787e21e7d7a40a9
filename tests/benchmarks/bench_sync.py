"""Sync of 1,000 changed audits from a laptop to the team server, against a bare pg_dump + pg_restore
of the same rows (issue 13).

Run: ``python tests/benchmarks/bench_sync.py [--audits 1000]`` (or ``python -m tests.benchmarks.run
--only sync``). It starts a throw-away PostgreSQL server (tests/helpers/pg.py), fills it with demo
audits, makes ``--audits`` of them drafts of one person, checks them out to a laptop store (SQLite),
changes one evidence note in each on the laptop (untimed), and times ``qadesk.services.sync.sync``:
per audit a three-way merge, the server's write with its revision check under the write lock, the
laptop's entries copied into the server's chain, the laptop's write and its new base. The bare
figure, in the same run, is ``pg_dump --format=custom`` of the audits, answers, section judgements,
actions, moderations and history tables and ``pg_restore`` of them into an empty database — moving
the same rows with PostgreSQL's own tools and no merging at all. No target: the figure is reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.benchmarks import Result  # noqa: E402

PERSON = "Robin Fictional"
# The rows a sync moves, and the two tables their keys point at (so the restore stands on its own).
TABLES = ("template_versions", "programmes", "audits", "answers", "section_judgements", "actions", "moderations",
          "history")


def _bare(pg, db: str, tmp: Path) -> float:  # noqa: ANN001
    dump = tmp / "rows.dump"
    target = pg.new_database()
    env = {**os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(pg.port), "PGUSER": "qadesk_test"}
    tables = [a for t in TABLES for a in ("-t", t)]
    t0 = time.perf_counter()
    subprocess.run([str(pg.bindir / "pg_dump"), "--format=custom", "--file", str(dump), *tables, db],
                   check=True, env=env, capture_output=True)
    done = subprocess.run([str(pg.bindir / "pg_restore"), "--dbname", target, "--no-owner", str(dump)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"pg_restore failed: {done.stderr[-1000:]}")
    seconds = time.perf_counter() - t0
    pg.drop_database(target)
    return seconds


def run(store_dir: Path | None = None, audits: int = 1000) -> list[Result]:
    from sqlalchemy import select, update

    from qadesk.services import audits as svc
    from qadesk.services import sync
    from qadesk.services.demo import generate
    from qadesk.store import open_store
    from qadesk.store.models import Answer, Audit
    from tests.helpers.pg import start_server, stop_server
    from tests.sync.sync_world import laptop as sync_laptop

    tmp = Path(tempfile.mkdtemp(prefix="qadesk-bench-sync-"))
    pg = start_server()
    try:
        db = pg.new_database()
        server = open_store(url=pg.url(db))
        generate(server, audits=audits + audits // 5, seed=11)
        with server.transaction() as s:
            ids = list(s.execute(select(Audit.id).order_by(Audit.id).limit(audits)).scalars())
            s.execute(update(Audit).where(Audit.id.in_(ids)).values(status="draft", completed_at=None,
                                                                     auditor_name=PERSON)
                      .execution_options(synchronize_session=False))
        laptop = sync_laptop(tmp / "laptop")
        t0 = time.perf_counter()
        sync.checkout(laptop, server, PERSON)
        checkout_s = time.perf_counter() - t0
        with laptop.transaction() as s:
            for aid in ids:
                row = s.execute(select(Answer).where(Answer.audit_id == aid, Answer.evidence.is_not(None))
                                .limit(1)).scalar_one_or_none()
                if row is None:
                    continue
                svc.save_answer(s, aid, row.question_id, svc.state_of(svc.get_audit(s, aid)).answers.get(row.question_id),
                                actor=PERSON, evidence="Changed on the laptop, offline, for the benchmark")
        t0 = time.perf_counter()
        result = sync.sync(laptop, server)
        sync_s = time.perf_counter() - t0
        changed = len(result.up)
        bare_s = _bare(pg, db, tmp)
        laptop.close()
        server.close()
    finally:
        stop_server(pg)
    note = (f"{changed:,} changed audits up; checkout of {audits:,} took {checkout_s:.1f} s; "
            f"bare = pg_dump + pg_restore of {', '.join(TABLES)}")
    return [Result(f"sync of {changed:,} changed audits", sync_s, "s", baseline=bare_s, note=note)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--audits", type=int, default=1000)
    args = p.parse_args()
    for r in run(audits=args.audits):
        ratio = f"{r.ratio:.1f}×" if r.ratio is not None else "-"
        print(f"{r.name}: {r.value:.1f} {r.unit}; bare {r.baseline:.1f} {r.unit}; ratio {ratio}\n  {r.note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
