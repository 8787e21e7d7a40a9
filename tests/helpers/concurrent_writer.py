"""Child process for tests/unit/test_concurrent_writes.py: one of several writers on one audit at once.

    python tests/helpers/concurrent_writer.py DATA_DIR AUDIT_ID WORKER COUNT [--submit-after N]

Waits until the file ``DATA_DIR/go`` exists (so every writer starts together), then makes COUNT writes
to the audit through the services, each in its own committed transaction (``store.transaction()``),
exactly as the window's autosave and the command line do.  Writer ``w`` answers its own question
``q<w>`` with ``w * 1_000_000 + i`` at step ``i`` (so a stored value names its writer and step) and
every fifth step writes the summary field ``strengths`` instead (a field every writer shares).

After each write it prints one line and flushes, only once the commit has returned:

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qadesk.core.errors import QadeskError  # noqa: E402
from qadesk.services import audits as svc  # noqa: E402
from qadesk.store import open_store  # noqa: E402


def value_for(worker: int, step: int) -> int:
    return worker * 1_000_000 + step


def summary_for(worker: int, step: int) -> str:
    return f"strengths from writer {worker} step {step}"


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
                with store.transaction() as s:
                    done = svc.submit(s, audit_id, actor=actor)
                    revision = done.revision
                out.write(f"submitted {revision}\n")
            except QadeskError as exc:
                out.write(f"refused-submit {type(exc).__name__}\n")
            out.flush()
        try:
            with store.transaction() as s:
                if step % 5 == 4:
                    result = svc.set_summary(s, audit_id, "strengths", summary_for(worker, step), actor=actor)
                else:
                    result = svc.save_answer(s, audit_id, f"q{worker}", value_for(worker, step), actor=actor)
            out.write(f"ok {step} {result.revision}\n")
        except QadeskError as exc:
            out.write(f"refused {step} {type(exc).__name__}\n")
        out.flush()
    store.close()


if __name__ == "__main__":
    main()
