"""tests/unit/test_programmes.py on PostgreSQL."""

from tests.unit.test_programmes import *  # noqa: F403
