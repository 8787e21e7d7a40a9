"""tests/unit/test_urgent_concerns.py on PostgreSQL."""

from tests.unit.test_urgent_concerns import *  # noqa: F403
