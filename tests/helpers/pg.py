"""A throw-away PostgreSQL server for the tests: a cluster made with the distribution's own binaries in a
temporary folder, listening on 127.0.0.1 only, run as an unprivileged user, stopped and wiped after.

PostgreSQL refuses to run as root; when the tests run as root (CI), the cluster belongs to the system's
``postgres`` user (Debian's package makes it) and its commands run as that user. ``fsync`` is off: a test
cluster need not survive a power cut, and its writes are much faster for it.

Each test gets a database of its own (:meth:`PgServer.new_database`), made from an empty template, so
tests never see each other's rows.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

SUPERUSER = "qadesk_test"  # the cluster's bootstrap superuser


def pg_bindir() -> Path | None:
    """Where the PostgreSQL server's programs are (the newest installed version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3])
                   if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    bindir: Path
    root: Path
    port: int
    run_as: str | None  # the user the server runs as, when the tests run as root

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> None:
        if self.run_as:
            shutil.chown(self.root, self.run_as)
        subprocess.run(self._cmd(str(self.bindir / "initdb"), "-D", str(self.data), "-U", SUPERUSER,
                                 "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-instructions"),
                       check=True, capture_output=True, timeout=120)
        options = f"-h 127.0.0.1 -p {self.port} -k {self.root} -F -c max_connections=120"
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
                                 "-l", str(self.root / "server.log"), "-w", "-t", "60", "start"),
                       check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        subprocess.run(self._cmd(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"),
                       capture_output=True, timeout=60)

    def url(self, database: str, user: str = SUPERUSER) -> str:
        return f"postgresql+psycopg://{user}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE, CREATE ROLE)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, dbname=database,
                             autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]

    def new_database(self) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        self.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
        return name

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_server() -> PgServer:
    """Make and start a cluster (:class:`RuntimeError` with the reason if PostgreSQL is not installed)."""
    bindir = pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed: on Debian, "
                           "apt-get install postgresql (.ci/run does this)")
    run_as = None
    if os.geteuid() == 0:
        try:
            run_as = pwd.getpwnam("postgres").pw_name
        except KeyError:
            raise RuntimeError("the tests run as root and there is no 'postgres' user to run PostgreSQL as") from None
    root = Path(tempfile.mkdtemp(prefix="qadesk-pg-"))
    root.chmod(0o755)
    server = PgServer(bindir, root, _free_port(), run_as)
    try:
        server.start()
    except subprocess.CalledProcessError as exc:
        log = (root / "server.log").read_text(errors="replace") if (root / "server.log").exists() else ""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(f"PostgreSQL did not start: {exc.stderr!r} {log[-2000:]}") from None
    deadline = time.monotonic() + 30
    while True:  # pg_ctl -w waited for it; a first connection proves it
        try:
            server.execute("SELECT 1")
            return server
        except Exception:  # noqa: BLE001 - not accepting yet
            if time.monotonic() > deadline:
                server.stop()
                raise
            time.sleep(0.2)


def stop_server(server: PgServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
