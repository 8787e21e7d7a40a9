"""``history verify`` on the benchmark store: the chain, the checkpoint and the replay of every audit.

The bare figure is what any check of the history costs at least: reading every history entry and every
row of the tables it is compared with (audits, answers, judgements, actions, moderations) with sqlite3
and hashing each entry once, in the same run.  qadesk's figure does that and the replay and comparison
besides; the target is a ratio to it, and a ceiling for a council laptop.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

from tests.benchmarks import Result

TABLES = ("audits", "answers", "section_judgements", "actions", "moderations")


def _bare(database: Path) -> float:
    t0 = time.perf_counter()
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
    try:
        for row in conn.execute("SELECT seq, at, actor, audit_id, entity, entity_id, action, before, after, "
                                "prev_hash, hash FROM history ORDER BY seq"):
            hashlib.sha256(repr(row).encode("utf-8")).hexdigest()
        for table in TABLES:
            for _row in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 - fixed table names
                pass
    finally:
        conn.close()
    return time.perf_counter() - t0


def run(store_dir: Path) -> list[Result]:
    from qadesk.services.history import verify_store
    from qadesk.store import open_store

    store = open_store(store_dir)  # opening migrates: a store from before 0008 gets its baseline first
    try:
        bare = _bare(store_dir / "qadesk.sqlite")
        t0 = time.perf_counter()
        with store.session() as s:
            report = verify_store(s, store.path)
        seconds = time.perf_counter() - t0
    finally:
        store.close()
    note = (f"{report.entries:,} entries, {report.replayed_audits:,} audits replayed, "
            f"{'intact' if report.ok else str(report.total_problems) + ' problems'}")
    return [Result("history verify: chain, checkpoint and the replay of every audit", seconds, "s", bare,
                   limit=120.0, ratio_limit=12.0, note=note)]
