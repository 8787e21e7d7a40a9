"""Start-up: from process start to a usable main window, against a bare PySide6 window in the same run.

quality.md: "start to a usable main window, 100k-audit store: ≤ 3× a bare
PySide6 window shown in the same run, and under 1.5 s".

Both programs run in fresh processes with ``QT_QPA_PLATFORM=offscreen``; the
parent's clock runs from just before the process is created until the child
prints "ready" (interpreter start, imports, QApplication, window, event loop).

- bare: ``python -c`` a QMainWindow holding a QTableView, shown, the event
  loop run until the window is exposed.
- qadesk: ``python -m qadesk --data-dir COPY`` with ``QADESK_EXIT_WHEN_READY=1``
  (qadesk.ui.app): "ready" once the window is exposed, the store open, the
  first screen (Home) built and its background counting finished.

The store is copied first (``cp --reflink=auto``), because opening a store
writes (WAL, the lock file, a migration, the profile); the benchmark store
in the cache stays as it was.  A profile is set in the copy, so no first-run
dialog appears.  Runs alternate bare/qadesk after one untimed warm-up each,
so both see the same machine load.  Alone: ``python -m tests.benchmarks.bench_startup [STORE_DIR]``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.benchmarks import Result

RUNS = 5
TIMEOUT_S = 60
LIMIT_MS = 1500
RATIO_LIMIT = 3

BARE = """\
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

app = QApplication(sys.argv)
window = QMainWindow()
window.setCentralWidget(QTableView())
window.resize(1280, 800)
window.show()
timer = QTimer()
timer.setInterval(2)


def check():
    handle = window.windowHandle()
    if handle is not None and handle.isExposed():
        timer.stop()
        print("ready", flush=True)
        window.close()
        app.quit()


timer.timeout.connect(check)
timer.start()
app.exec()
"""


# The same bare window after importing SQLAlchemy's ORM (first, as qadesk does): the least any window
# whose first screen is read through SQLAlchemy can take.  Reported beside the target, not held to it.
FLOOR = "import sqlalchemy.orm\n" + BARE


def _env(config: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(QT_QPA_PLATFORM="offscreen", QADESK_EXIT_WHEN_READY="1", QADESK_CONFIG_DIR=str(config))
    for key in ("QADESK_DATA_DIR", "QADESK_DATABASE_URL", "QADESK_PASSPHRASE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(key, None)
    return env


def time_to_ready(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """Milliseconds from creating the process to reading its "ready" line; the process must then exit 0."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    elapsed = None
    for line in proc.stdout:
        if line.strip() == "ready":
            elapsed = (time.perf_counter() - started) * 1000
            break
    try:
        _, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    if elapsed is None or proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} did not become ready (exit {proc.returncode}):\n{err[-2000:]}")
    return elapsed


def copy_store(store_dir: Path, target: Path) -> Path:
    """A private copy of the store's files (reflinked where the file system can), with a profile set."""
    from qadesk.services.profile import Profile, set_profile
    from qadesk.store import open_store

    target.mkdir(parents=True, exist_ok=True)
    for f in sorted(store_dir.glob("qadesk.sqlite*")):
        subprocess.run(["cp", "--reflink=auto", str(f), str(target / f.name)], check=True)
    store = open_store(target)  # brings the copy up to the newest schema, outside the timing
    with store.transaction() as s:
        set_profile(s, Profile(name="Sam Taylor", role="Team manager", organisation="Example Borough Council"))
    store.close()
    return target


def run(store_dir: Path, runs: int = RUNS) -> list[Result]:
    """Median start-up of qadesk on (a copy of) ``store_dir`` and of a bare PySide6 window."""
    work = Path(tempfile.mkdtemp(prefix="qadesk-bench-startup-"))
    try:
        data = copy_store(store_dir, work / "store")
        env = _env(work / "config")
        bare_cmd = [sys.executable, "-c", BARE]
        floor_cmd = [sys.executable, "-c", FLOOR]
        qadesk_cmd = [sys.executable, "-m", "qadesk", "--data-dir", str(data)]
        for cmd in (bare_cmd, floor_cmd, qadesk_cmd):  # warm-ups: the page cache, .pyc files, Qt's font cache
            time_to_ready(cmd, env, work)
        bare, floor, ours = [], [], []
        for _ in range(runs):
            bare.append(time_to_ready(bare_cmd, env, work))
            floor.append(time_to_ready(floor_cmd, env, work))
            ours.append(time_to_ready(qadesk_cmd, env, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    with_audits = _audit_count(store_dir)
    note = (f"{with_audits:,}-audit store; median of {runs}; qadesk {min(ours):.0f}–{max(ours):.0f} ms, "
            f"bare {min(bare):.0f}–{max(bare):.0f} ms")
    return [Result("start to a usable main window (Home counted)", statistics.median(ours),
                   baseline=statistics.median(bare), limit=LIMIT_MS, ratio_limit=RATIO_LIMIT, note=note),
            Result("for comparison: the bare window after importing sqlalchemy.orm", statistics.median(floor),
                   baseline=statistics.median(bare), note=f"median of {runs}; no target")]


def _audit_count(store_dir: Path) -> int:
    import sqlite3

    con = sqlite3.connect(f"file:{store_dir / 'qadesk.sqlite'}?mode=ro", uri=True)
    try:
        return int(con.execute("SELECT count(*) FROM audits").fetchone()[0])
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args:
        store_dir = Path(args[0])
    else:
        from tests.benchmarks.run import DEFAULT_ANCHOR, build_store

        store_dir = build_store(Path("/tmp"), 20_000, 1, DEFAULT_ANCHOR)
    for r in run(store_dir):
        verdict = {True: "met", False: "MISSED", None: "no target"}[r.ok]
        print(f"{r.name}: {r.value:.0f} ms, bare {r.baseline:.0f} ms, ratio {r.ratio:.2f}× "
              f"(target {r.target}): {verdict} [{r.note}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
