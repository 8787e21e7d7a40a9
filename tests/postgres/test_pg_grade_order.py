"""tests/unit/test_grade_order.py on PostgreSQL."""

from tests.unit.test_grade_order import *  # noqa: F403

# SQLite's own, not run here: SQLite's EXPLAIN QUERY PLAN.
del test_the_grade_sort_walks_an_index  # noqa: F821
