"""Shared fixtures: every test gets its own data folder and fresh settings; Qt runs offscreen.

Strict by default (tests/helpers/error_guard.py, pyproject.toml): a test fails when qadesk shows an
error dialog (or logs an error) it did not expect, when an exception escapes a slot, and when Qt
logs a warning. A test that makes qadesk show an error on purpose says so with
``@pytest.mark.expect_error_dialog`` (and then fails without one).

``messages_seen`` is what qadesk told the user: every message box shown during the test, in order,
as :class:`qadesk.ui.messages.Message` (``level``, ``title``, ``text``, ``detail``), with the
questions asked (level "question", detail "yes" or "no"). Questions are answered "no" unless the
test says ``messages_seen.answer(lambda question: ...)``. The boxes still open are closed after
the test. A GUI test that shows messages uses it (``open_window`` does)::

    def test_refused(messages_seen, ...):
        ...
        assert messages_seen[-1].title == "Not possible now"
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_SCALE_FACTOR", "1")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
sys.path.insert(0, str(ROOT))

pytest_plugins = ["pytester", "tests.helpers.error_guard"]


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real user's data or settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("QADESK_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("QADESK_CONFIG_DIR", str(home / "config"))
    monkeypatch.delenv("QADESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))


@pytest.fixture
def messages_seen(monkeypatch: pytest.MonkeyPatch):
    """Every message box qadesk showed during the test, and its questions, answered "no" unless told."""
    from tests.helpers.messages_seen import MessagesSeen

    seen = MessagesSeen(monkeypatch)
    yield seen
    seen.close_boxes()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "store"
    d.mkdir()
    return d


@pytest.fixture
def store(data_dir: Path):
    """An empty store in a temporary folder (a real SQLite file)."""
    from qadesk.store import open_store

    s = open_store(data_dir)
    yield s
    s.close()


@pytest.fixture
def loaded_store(store):
    """A store with every shipped template imported."""
    from qadesk.exchange.templates import read_template
    from qadesk.services.templates import import_template

    with store.transaction() as session:
        for path in sorted(FORMS.glob("*.json")):
            import_template(session, read_template(path), actor="test")
    return store


# ---- PostgreSQL: a throw-away server for the session, a database per test (tests/helpers/pg.py) ----------


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL cluster on 127.0.0.1 for this test run, started on first use and stopped after."""
    from tests.helpers.pg import start_server, stop_server

    server = start_server()
    yield server
    stop_server(server)


@pytest.fixture
def pg_url(pg_server) -> Iterator[str]:
    """The URL of an empty database of this test's own on the test server."""
    name = pg_server.new_database()
    yield pg_server.url(name)
    pg_server.drop_database(name)
