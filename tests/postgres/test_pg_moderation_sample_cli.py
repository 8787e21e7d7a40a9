"""tests/e2e/test_moderation_sample_cli.py on PostgreSQL: the real command line in subprocesses, on the test server."""

from tests.e2e.test_moderation_sample_cli import *  # noqa: F403

# SQLite's own, not run here: it copies the demo store's folder to draw from a fresh copy.
del test_a_sample_is_shown_with_reasons_repeats_with_its_seed_and_is_recorded_once  # noqa: F821
