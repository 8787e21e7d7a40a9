"""Writing files safely: whole or not at all, with progress and cancel.

Every export writes to a temporary file beside the target and moves it into
place with :func:`os.replace` only when it is complete, so a cancelled or
failing export leaves nothing half-written (and never clobbers a good file).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

from qadesk.core.dates import british_date
from qadesk.core.errors import QadeskError

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]


class Cancelled(QadeskError):
    """The user cancelled a long piece of work; nothing was written."""

    def __init__(self, what: str = "The export") -> None:
        super().__init__(f"{what} was cancelled; nothing was written.")


def check_cancel(cancel: Cancel | None, what: str = "The export") -> None:
    """Raise :class:`Cancelled` when the caller asked to stop."""
    if cancel is not None and cancel():
        raise Cancelled(what)


def report_progress(progress: Progress | None, done: int, total: int) -> None:
    """Tell the caller how far the work is, if it asked to know."""
    if progress is not None:
        progress(done, total)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path``, on error it is removed."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise QadeskError(f"the folder {path.parent} does not exist")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _local(value: date) -> date:
    # Times are stored in UTC; people read them on the computer's own clock, as the window shows them.
    return value.astimezone() if isinstance(value, datetime) and value.tzinfo else value


def uk_date(value: date | datetime | str | None) -> str:
    """``25 Nov 2026`` (British, as the interface shows dates; times in local time); '' for nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            parsed: date = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    return british_date(_local(value))


def uk_datetime(value: datetime | str | None) -> str:
    """``25 Nov 2026, 09:30`` in local time."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            return value
        value = when
    local = _local(value)
    return f"{british_date(local)}, {local:%H:%M}"
