"""Child process: submit an audit, and hold the store's write lock until told to commit.

    python tests/helpers/submit_holding.py DATA_DIR AUDIT_ID ACTOR

Submits through services.submit inside ``store.transaction()``, prints ``holding`` once the submit is
made but not committed (the transaction holds the write lock), waits for a line on stdin, commits and
prints ``submitted``.  Another copy of qadesk (the window under test) sees the submit only through the
store, as it would see one made on another machine's command line.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qadesk.services import audits  # noqa: E402
from qadesk.store import open_store  # noqa: E402


def main() -> None:
    data_dir, audit_id, actor = sys.argv[1:4]
    store = open_store(data_dir, migrate=False)
    with store.transaction() as s:
        audits.submit(s, audit_id, actor=actor)
        print("holding", flush=True)
        sys.stdin.readline()
    print("submitted", flush=True)
    store.close()


if __name__ == "__main__":
    main()
