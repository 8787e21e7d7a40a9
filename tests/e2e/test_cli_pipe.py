"""A command whose reader stops early (``qadesk audit list | head -1``) ends quietly, with no "Broken pipe"."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.helpers.cli import ROOT, run_qadesk


def test_a_reader_that_stops_early_gets_no_broken_pipe_message(tmp_path):
    data = tmp_path / "store"
    assert run_qadesk(data, "demo-data", "--audits", "400").returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("QADESK_PASSPHRASE")}
    proc = subprocess.Popen([sys.executable, "-m", "qadesk", "--data-dir", str(data), "audit", "list", "--limit", "400"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=env,
                            cwd=ROOT)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 0
    assert first.startswith(b"AUD-")
    assert "Broken pipe" not in err and "Traceback" not in err and err == ""
