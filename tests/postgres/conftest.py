"""The same tests on PostgreSQL: every test in this folder runs against a database of its own on the
throw-away server (tests/helpers/pg.py), the command line's subprocesses too (QADESK_DATABASE_URL).

The modules here take their tests from the SQLite suite (``from tests.unit.test_x import *``), so one
test is written once and run on both stores; only what is PostgreSQL's own is written here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _on_postgres(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QADESK_DATABASE_URL", pg_url)


@pytest.fixture
def store(pg_url: str) -> Iterator[object]:
    """The store on this test's PostgreSQL database (in place of the SQLite file)."""
    from qadesk.store import open_store

    s = open_store(url=pg_url)
    yield s
    s.close()
