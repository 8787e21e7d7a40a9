"""tests/unit/test_final_grade.py on PostgreSQL."""

from tests.unit.test_final_grade import *  # noqa: F403

# SQLite's own, not run here: they count independently with Python's sqlite3 on the store's file.
del test_statistics_count_a_moderated_audit_with_the_moderated_grade  # noqa: F821
del test_the_return_counts_and_shows_final_grades  # noqa: F821
