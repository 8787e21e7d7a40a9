"""Shared fixtures: every test gets its own data folder and fresh settings; Qt runs offscreen."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_SCALE_FACTOR", "1")

import pytest  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FORMS = ROOT / "forms"
sys.path.insert(0, str(ROOT))


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
