"""tests/unit/test_calibration.py on PostgreSQL."""

from tests.unit.test_calibration import *  # noqa: F403

# SQLite's own, not run here: two stores (the QA lead's and a rater's laptop), each opened from its own folder: on the server one database is one store.
del test_a_hostile_exercise_pack_is_refused_with_where_and_why  # noqa: F821
del test_a_hostile_return_is_refused_and_adds_nothing  # noqa: F821
del test_a_rater_already_here_with_other_grades_is_refused  # noqa: F821
del test_a_return_for_an_exercise_not_here_is_refused  # noqa: F821
del test_a_second_return_from_the_same_laptop_adds_only_the_new_rating  # noqa: F821
del test_the_return_adds_ratings_once_and_the_copy_has_no_audit  # noqa: F821
