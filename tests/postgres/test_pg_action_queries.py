"""tests/unit/test_action_queries.py on PostgreSQL."""

from tests.unit.test_action_queries import *  # noqa: F403
