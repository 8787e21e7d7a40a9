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
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        versions = ([str(v) for v in conn.execute(text("SELECT version_num FROM alembic_version")).scalars()]
                    if "alembic_version" in tables else [])
    return judge_schema(tables, versions, sqlite=engine.dialect.name == "sqlite")


def judge_schema(tables: set[str], versions: list[str], *, sqlite: bool = True) -> str | None:
    """The revision recorded (``versions``: alembic_version's rows), or the refusal of a schema not ours."""
    from qadesk.store.examine import NotAStore, StoreTooNew

    if "alembic_version" not in tables:
        if tables and sqlite:  # a server's database may hold other things too
            shown = ", ".join(sorted(tables)[:4]) + (", …" if len(tables) > 4 else "")
            raise NotAStore(f"it is an SQLite database of another program (its tables: {shown})")
        return None
    if len(versions) != 1:
        raise StoreTooNew(f"its schema version cannot be read ({len(versions)} versions recorded); "
                          f"it was not written by this {APP_NAME}")
    revision = versions[0]
    known, _ = _revisions_from_files()
    if revision in known:
        return revision
    head = _head_from_files() or max(known)
    if revision.isdigit() and head.isdigit() and int(revision) > int(head):
        raise StoreTooNew(f"made by a newer {APP_NAME} (schema {revision}; this {APP_NAME} {__version__} knows "
                          f"schemas up to {head}): update {APP_NAME} to open it")
    raise StoreTooNew(f"its schema ({revision!r}) is not one any {APP_NAME} this one knows of wrote "
                      f"(this {APP_NAME} {__version__} knows schemas up to {head})")


def check_file_untouched(database: Path) -> None:
    """For a plain SQLite file in the old journal mode (never opened by qadesk, or a restored backup):
    the same judgement as :func:`check_known`, read without writing a byte.

    Opening it the normal way would first switch it to WAL, rewriting its header: another
    program's database must be refused exactly as it was found.  A file in WAL mode has been
    opened by qadesk (or is another program's in WAL already): the normal open changes nothing in it."""
    import sqlite3

    with open(database, "rb") as f:
        header = f.read(20)
    if len(header) < 20 or header[18:20] == b"\x02\x02":
        return
    conn = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                             "AND name NOT LIKE 'sqlite_%'")}
        versions = ([str(r[0]) for r in conn.execute("SELECT version_num FROM alembic_version")]
                    if "alembic_version" in tables else [])
    except sqlite3.DatabaseError:
        return  # damaged: the normal open says so, in the same words as for a store in WAL mode
    finally:
        conn.close()
    judge_schema(tables, versions)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Bring the schema up to ``target`` (default: the newest); a schema it does not know is refused."""
    if target == "head":
        stored = check_known(engine)
        head = _head_from_files()
        if head is not None and stored == head:
            return
    from alembic import command

    command.upgrade(alembic_config(engine), target)
    if engine.dialect.name == "postgresql":
        from qadesk.store import server_roles

        with engine.begin() as conn:
            if server_roles.groups_exist(conn):  # a team server set up for people: the new tables' grants
                server_roles.setup(conn)
