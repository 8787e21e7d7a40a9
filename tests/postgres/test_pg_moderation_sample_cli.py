"""tests/e2e/test_moderation_sample_cli.py on PostgreSQL: the real command line in subprocesses, on the test server."""

from tests.e2e.test_moderation_sample_cli import *  # noqa: F403
