"""Schema migrations with Alembic, configured in code (no alembic.ini to ship).

The check for "already at head" is cheap, so opening an up-to-date store
costs one query, not an Alembic environment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from qadesk import APP_NAME, __version__

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic itself is imported only when a migration has to run: importing it costs
# half a second, and an up-to-date store (every start but the first) needs none of it.
_REVISION = re.compile(r"^(down_revision|revision)\s*=\s*['\"]?([^'\"\s]+)['\"]?\s*$", re.M)

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@lru_cache(maxsize=1)
def _revisions_from_files() -> tuple[frozenset[str], frozenset[str | None]]:
    """(every revision, every parent) named by the migration files."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((k, v) for k, v in _REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in found:
            revisions.add(found["revision"])
            parents.add(found.get("down_revision"))
    return frozenset(revisions), frozenset(parents)


def _head_from_files() -> str | None:
    """The head revision read from the migration files (None if they do not name exactly one)."""
    revisions, parents = _revisions_from_files()
    heads = set(revisions - parents)
    return heads.pop() if len(heads) == 1 else None


def check_known(engine: Engine) -> str | None:
    """The store's schema revision; :class:`StoreTooNew` (or :class:`NotAStore`) if this qadesk cannot know it.

    Read before any migration runs, so a store made by a newer QA Desk is refused untouched (Alembic
    would say only "Can't locate revision"), and so is another program's SQLite database (which a
    migration would otherwise fill with QA Desk's tables)."""
    from qadesk.store.examine import NotAStore, StoreTooNew

    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        if "alembic_version" not in tables:
            if tables and engine.dialect.name == "sqlite":  # a server's database may hold other things too
                shown = ", ".join(sorted(tables)[:4]) + (", …" if len(tables) > 4 else "")
                raise NotAStore(f"it is an SQLite database of another program "
                                f"(its tables: {shown})")
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    if len(rows) != 1:
        raise StoreTooNew(f"its schema version cannot be read ({len(rows)} versions recorded); "
                          f"it was not written by this {APP_NAME}")
    revision = str(rows[0])
    known, _ = _revisions_from_files()
    if revision in known:
        return revision
    head = _head_from_files() or max(known)
    if revision.isdigit() and head.isdigit() and int(revision) > int(head):
        raise StoreTooNew(f"made by a newer {APP_NAME} (schema {revision}; this {APP_NAME} {__version__} knows "
                          f"schemas up to {head}): update {APP_NAME} to open it")
    raise StoreTooNew(f"its schema ({revision!r}) is not one any {APP_NAME} this one knows of wrote "
                      f"(this {APP_NAME} {__version__} knows schemas up to {head})")


def upgrade(engine: Engine, target: str = "head") -> None:
    """Bring the schema up to ``target`` (default: the newest); a schema it does not know is refused."""
    if target == "head":
        stored = check_known(engine)
        head = _head_from_files()
        if head is not None and stored == head:
            return
    from alembic import command

    command.upgrade(alembic_config(engine), target)
