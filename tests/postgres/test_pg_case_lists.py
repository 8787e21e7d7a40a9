"""tests/unit/test_case_lists.py on PostgreSQL."""

from tests.unit.test_case_lists import *  # noqa: F403
