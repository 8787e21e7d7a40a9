"""Reading a file's permission bits, under the umask most machines have."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(name="ordinary_umask")
def ordinary_umask_fixture() -> Iterator[None]:
    """The umask most machines have (022): without qadesk's care every file would be readable by all."""
    before = os.umask(0o022)
    yield
    os.umask(before)
