"""tests/unit/test_programme_sampling.py on PostgreSQL."""

from tests.unit.test_programme_sampling import *  # noqa: F403
