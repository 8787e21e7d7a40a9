"""tests/unit/test_indicators.py on PostgreSQL."""

from tests.unit.test_indicators import *  # noqa: F403
