"""A process that has the store open the way the window has it, for the tests of one writer at a time.

    python tests/helpers/store_holder.py DATA_DIR

It identifies itself as QA Desk's window, takes the window's lock and opens the store (with
``QADESK_PASSPHRASE`` when the store is encrypted), exactly as ``qadesk.ui.app`` does, then prints
``open`` and obeys lines on stdin:

- ``save AUDIT_ID QUESTION VALUE...``: saves the answer in its own transaction (an autosave), prints ``saved``;
- ``encrypt PASSPHRASE``: File ▸ Set passphrase (``Store.set_passphrase``); prints ``encrypted`` or
  ``refused: <the message>``;
- ``quit``: closes the store, lets go of the lock and exits.

Each reply is printed only once the work is committed, so every ``saved`` is a promise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from qadesk.core.errors import StoreLocked  # noqa: E402
from qadesk.services import audits as svc  # noqa: E402
from qadesk.store import open_store  # noqa: E402
from qadesk.store.single_writer import claim_window, identify_process  # noqa: E402


def main() -> None:
    folder = Path(sys.argv[1])
    identify_process("QA Desk", "window")
    claim = claim_window(folder)
    store = open_store(folder, passphrase=os.environ.get("QADESK_PASSPHRASE") or None)
    print("open", flush=True)
    for line in sys.stdin:
        words = line.split(maxsplit=3)
        if not words or words[0] == "quit":
            break
        if words[0] == "save":
            _, audit_id, question, value = words
            with store.transaction() as s:
                svc.save_answer(s, audit_id, question, value.rstrip("\n"), actor="Window Auditor")
            print("saved", flush=True)
        elif words[0] == "encrypt":
            try:
                store.set_passphrase(line.split(maxsplit=1)[1].rstrip("\n"))
            except StoreLocked as exc:
                print(f"refused: {exc}", flush=True)
            else:
                print("encrypted", flush=True)
    store.close()
    claim.release()


if __name__ == "__main__":
    main()
