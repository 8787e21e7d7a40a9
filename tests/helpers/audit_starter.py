"""Child process for tests/postgres/test_pg_many_writers.py: one of several people starting and answering
audits on one store at once.

    python tests/helpers/audit_starter.py GO_FILE WORKER COUNT SHARED_AUDIT

Waits for GO_FILE (so every process starts together), then COUNT times: starts an audit (its own
transaction) and answers three of its questions (a transaction each); between audits it also answers
its own question on SHARED_AUDIT, which every worker writes at once, so revisions race there. Every
write goes through the services in ``store.transaction()`` as the window and the command line do, and
is printed only after its commit returned:

- ``start <audit id> <reference>``, ``answer <audit id> <question> <value>``;
- ``conflict <what>``: a WriteConflict the service reported (nothing written), tried again up to five times;
- a traceback on stderr for anything else, which the parent fails on.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qadesk.core.errors import WriteConflict  # noqa: E402
from qadesk.services import audits as svc  # noqa: E402
from qadesk.store import Store, open_store  # noqa: E402

T = TypeVar("T")
TRIES = 5


def attempt(store: Store, what: str, work: Callable[[Session], T]) -> T:
    for tries in range(1, TRIES + 1):
        try:
            with store.transaction() as s:
                return work(s)
        except WriteConflict:
            print(f"conflict {what}", flush=True)
            if tries == TRIES:
                raise
    raise AssertionError("unreachable")


def main() -> None:
    go, worker, count, shared = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    store = open_store(migrate=False)  # QADESK_DATABASE_URL: the server
    actor = svc.Actor(f"Worker {worker}", "Team manager")
    while not go.exists():
        time.sleep(0.005)
    for i in range(count):
        subject = svc.Subject(case_ref=f"CR-{worker:02d}{i:04d}", case_type="CIN", team=f"Team {worker}")
        def start(s: Session, subject: svc.Subject = subject) -> tuple[str, str]:
            a = svc.start_audit(s, "many-writers", subject, actor)
            return a.id, a.reference

        audit_id, reference = attempt(store, "start", start)
        print(f"start {audit_id} {reference}", flush=True)
        for q in range(3):
            value = worker * 100_000 + i * 10 + q
            attempt(store, "answer", lambda s, a=audit_id, q=q, v=value: svc.save_answer(s, a, f"q{q}", v,
                                                                                        actor=actor.name))
            print(f"answer {audit_id} q{q} {value}", flush=True)
        value = worker * 100_000 + i
        attempt(store, "shared", lambda s, v=value: svc.save_answer(s, shared, f"w{worker}", v, actor=actor.name))
        print(f"answer {shared} w{worker} {value}", flush=True)
    store.close()


if __name__ == "__main__":
    main()
