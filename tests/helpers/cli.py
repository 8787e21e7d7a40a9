"""The real command line in a subprocess, as a user runs it (the e2e tests' one way to call it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_qadesk(data_dir: Path | None, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m qadesk [--data-dir DIR] ARGS`` from the checkout, output captured; ``env`` adds variables.

    A passphrase in the caller's own environment is dropped, so it can never unlock (or fail to unlock)
    a test's store; ``data_dir=None`` leaves the folder to QADESK_DATA_DIR.
    """
    base = {k: v for k, v in os.environ.items()
            if not k.startswith("QADESK_PASSPHRASE") and k != "QADESK_NEW_PASSPHRASE"}
    where = ["--data-dir", str(data_dir)] if data_dir is not None else []
    return subprocess.run([sys.executable, "-m", "qadesk", *where, *args], capture_output=True, text=True,
                          env={**base, **env}, stdin=subprocess.DEVNULL, timeout=120, cwd=ROOT)
