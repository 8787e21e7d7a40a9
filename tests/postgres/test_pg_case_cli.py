"""tests/e2e/test_case_cli.py on PostgreSQL: the real command line in subprocesses, on the test server."""

from tests.e2e.test_case_cli import *  # noqa: F403
