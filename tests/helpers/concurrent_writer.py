"""Child process for tests/unit/test_concurrent_writes.py: one of several writers on one audit at once.

    python tests/helpers/concurrent_writer.py DATA_DIR AUDIT_ID WORKER COUNT [--submit-after N]

Waits until the file ``DATA_DIR/go`` exists (so every writer starts together), then makes COUNT writes
to the audit through the services, each in its own committed transaction (``store.transaction()``),
exactly as the window's autosave and the command line do.  Writer ``w`` answers its own question
``q<w>`` with ``w * 1_000_000 + i`` at step ``i`` (so a stored value names its writer and step) and
every fifth step writes the summary field ``strengths`` instead (a field every writer shares).

A write that meets a :class:`~qadesk.core.errors.WriteConflict` (on a loaded machine a writer can
wait longer than the busy timeout for the lock) is tried again, up to three times in all, as the
window's autosaver does.  After each write it prints one line and flushes, only once the commit has
returned:

- ``ok <step> <revision>``: the write is in the store; ``revision`` is what the service returned;
- ``refused <step> <ErrorName>``: the service refused it (nothing was written).

With ``--submit-after N`` the writer submits the audit after its N-th write instead of writing on,
printing ``submitted <revision>`` or ``refused-submit <ErrorName>``, and then goes on writing (every
write after a submit must be refused).  Nothing else goes to stdout; an unexpected error is a
traceback on stderr, which the parent fails on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qadesk.core.errors import QadeskError, WriteConflict  # noqa: E402
from qadesk.services import audits as svc  # noqa: E402
from qadesk.store import Store, open_store  # noqa: E402

T = TypeVar("T")
TRIES = 3


def value_for(worker: int, step: int) -> int:
    return worker * 1_000_000 + step


def summary_for(worker: int, step: int) -> str:
    return f"strengths from writer {worker} step {step}"


def attempt(store: Store, work: Callable[[Session], T]) -> T:
    """``work`` in its own write transaction, tried again after a WriteConflict (three tries in all)."""
    for tries in range(1, TRIES + 1):
        try:
            with store.transaction() as s:
                return work(s)
        except WriteConflict:
            if tries == TRIES:
                raise
    raise AssertionError("unreachable")


def main() -> None:
    data_dir, audit_id, worker, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    submit_after = int(sys.argv[6]) if len(sys.argv) > 6 and sys.argv[5] == "--submit-after" else None
    store = open_store(data_dir, migrate=False)
    actor = f"Writer {worker}"
    go = Path(data_dir) / "go"
    while not go.exists():
        time.sleep(0.005)
    out = sys.stdout
    for step in range(count):
        if submit_after is not None and step == submit_after:
            try:
                revision = attempt(store, lambda s: svc.submit(s, audit_id, actor=actor).revision)
                out.write(f"submitted {revision}\n")
            except QadeskError as exc:
                out.write(f"refused-submit {type(exc).__name__}\n")
            out.flush()
        def write(s: Session, step: int = step) -> int:
            if step % 5 == 4:
                return svc.set_summary(s, audit_id, "strengths", summary_for(worker, step), actor=actor).revision
            return svc.save_answer(s, audit_id, f"q{worker}", value_for(worker, step), actor=actor).revision

        try:
            out.write(f"ok {step} {attempt(store, write)}\n")
        except QadeskError as exc:
            out.write(f"refused {step} {type(exc).__name__}\n")
        out.flush()
    store.close()


if __name__ == "__main__":
    main()
