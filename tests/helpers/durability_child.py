"""Child process for tests/unit/test_durability.py: commit answers in a loop, acknowledging each commit.

    python tests/helpers/durability_child.py DATA_DIR FIRST_VALUE

Opens the store with open_store, starts one audit on the 'durability-test' template (already imported
by the parent) and prints ``audit <id>`` once that is committed.  Then, for i = FIRST_VALUE, FIRST_VALUE + 1,
..., saves answer i to one of three questions in turn through services.save_answer, each in its own
committed transaction, and after each commit prints ``<question> <i>`` and flushes.  It runs until the
parent kills it with SIGKILL.  A line is written only after its commit returned, so every line the
parent reads is a promise that the value is in the database.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qadesk.services import audits as svc  # noqa: E402
from qadesk.store import open_store  # noqa: E402

QUESTIONS = ("count", "amount", "note")


def value_for(question: str, i: int) -> object:
    """The answer saved for step ``i`` (the parent decodes it the same way)."""
    if question == "count":
        return i
    if question == "amount":
        return i + 0.5
    return f"note {i}"


def main() -> None:
    data_dir, first = sys.argv[1], int(sys.argv[2])
    store = open_store(data_dir)
    with store.transaction() as s:
        audit_id = svc.start_audit(s, "durability-test", svc.Subject(case_ref=f"CR-{first}"),
                                   svc.Actor("D. Tester")).id
    out = sys.stdout
    out.write(f"audit {audit_id}\n")
    out.flush()
    i = first
    while True:
        q = QUESTIONS[i % len(QUESTIONS)]
        with store.transaction() as s:
            svc.save_answer(s, audit_id, q, value_for(q, i), actor="D. Tester")
        out.write(f"{q} {i}\n")
        out.flush()
        i += 1


if __name__ == "__main__":
    main()
