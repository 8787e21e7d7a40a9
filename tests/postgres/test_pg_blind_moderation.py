"""tests/unit/test_blind_moderation.py on PostgreSQL."""

from tests.unit.test_blind_moderation import *  # noqa: F403
