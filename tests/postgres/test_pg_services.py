"""tests/unit/test_services.py on PostgreSQL."""

from tests.unit.test_services import *  # noqa: F403
