"""tests/e2e/test_cli.py on PostgreSQL: the real command line in subprocesses, on the test server."""

from pathlib import Path

from tests.e2e.test_cli import *  # noqa: F403
from tests.helpers.cli import run_qadesk

# SQLite's own, not run here: it ends with a backup of the SQLite file, read back with sqlite3.
del test_an_audit_from_start_to_submit  # noqa: F821


def test_backup_on_a_server_is_refused_with_the_way_to_do_it(data_dir: Path, tmp_path: Path) -> None:
    proc = run_qadesk(data_dir, "backup", "--to", str(tmp_path / "backup.sqlite"))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "pg_dump" in proc.stderr and not (tmp_path / "backup.sqlite").exists()
