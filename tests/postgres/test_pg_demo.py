"""tests/unit/test_demo.py on PostgreSQL."""

from tests.unit.test_demo import *  # noqa: F403

# SQLite's own, not run here: two stores made from the same seed, each in its own folder.
del test_same_seed_and_anchor_give_identical_audits  # noqa: F821
