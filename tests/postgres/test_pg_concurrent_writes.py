"""tests/unit/test_concurrent_writes.py on PostgreSQL: the same racing writer processes, on the test server."""

from tests.unit.test_concurrent_writes import *  # noqa: F403

# SQLite's own, not run here: they change the row behind the ORM's back with SQLite's SQL (``?``
# placeholders), or hold SQLite's file lock from Python's sqlite3. test_pg_many_writers covers the
# same ground on the server: the revision check, the advisory write lock and readers not held up.
del test_a_change_read_before_someone_elses_is_refused_by_the_revision_check_not_written  # noqa: F821
del test_a_lost_race_in_a_write_transaction_is_a_write_conflict_naming_the_audit  # noqa: F821
del test_a_store_kept_busy_by_another_writer_is_a_write_conflict_in_words  # noqa: F821
del test_readers_are_not_held_up_by_a_writer  # noqa: F821
