"""The window's own files, the log and the settings, are their owner's alone (0600, folders 0700)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from tests.helpers.file_modes import mode, ordinary_umask_fixture  # noqa: F401 - the fixture

pytestmark = [pytest.mark.gui, pytest.mark.skipif(os.name == "nt", reason="Windows has no owner/group/other bits"),
              pytest.mark.usefixtures("ordinary_umask")]


def test_the_log_and_every_file_it_rotates_into_are_private(tmp_path: Path, monkeypatch) -> None:
    from qadesk.ui import messages

    monkeypatch.setenv("QADESK_CONFIG_DIR", str(tmp_path / "config"))
    path = messages.setup_logging()
    log = logging.getLogger("qadesk")
    handler = next(h for h in log.handlers if getattr(h, "baseFilename", None) == str(path))
    try:
        log.info("made-up line")
        handler.doRollover()
        log.info("made-up line after the rollover")
        assert mode(path.parent) == 0o700
        assert mode(path) == 0o600
        assert mode(Path(f"{path}.1")) == 0o600
    finally:
        log.removeHandler(handler)
        handler.close()


def test_the_settings_file_is_private(tmp_path: Path) -> None:
    from qadesk.ui.settings import Settings

    folder = tmp_path / "config"
    settings = Settings(folder / "qadesk.ini")
    settings.set("data/last_folder", str(tmp_path / "made-up-store"))
    settings.sync()
    assert mode(folder) == 0o700
    assert mode(folder / "qadesk.ini") == 0o600
