"""tests/e2e/test_cli_work.py on PostgreSQL: the real command line in subprocesses, on the test server."""

from tests.e2e.test_cli_work import *  # noqa: F403
