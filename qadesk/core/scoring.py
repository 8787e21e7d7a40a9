"""Scores and the suggested overall grade.

- A ``choice`` or ``grade`` answer scores the ``score`` of its choice (none
  if the choice has no score, e.g. "Not applicable").
- A section judgement scores the score of its grade on the section's list.
- ``lowest_section``: the lowest-scoring section judgement given, mapped to
  the overall list (same value if it is there, else the overall choice with
  the highest score not above it).
- ``mean_score``: the weighted mean of the scores of answered ``grade``
  questions (their ``weight``) and of section judgements (weight 1), mapped
  through the thresholds, read in order: the first whose ``min`` the mean
  reaches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from qadesk.core.relevance import relevant_questions, section_relevant
from qadesk.core.template import Choice, Question, Template


def question_score(q: Question, value: object) -> float | None:
    """The score of the chosen answer of a choice or grade question; None for no score."""
    if q.type not in ("choice", "grade") or not isinstance(value, str):
        return None
    choice = q.choice(value)
    return choice.score if choice else None


def choice_score(choices: tuple[Choice, ...], value: object) -> float | None:
    """The score of the choice with this value; None when there is none or it has no score."""
    for c in choices:
        if c.value == value:
            return c.score
    return None


def section_scores(t: Template, section_grades: Mapping[str, str], values: Mapping[str, Any],
                   today: date | None = None) -> dict[str, float]:
    """The score of each relevant section's judgement, by section id (sections without one left out)."""
    out: dict[str, float] = {}
    for s in t.sections:
        if not s.grade_list or not section_relevant(s, values, today):
            continue
        score = choice_score(t.lists[s.grade_list], section_grades.get(s.id))
        if score is not None:
            out[s.id] = score
    return out


def mean_score(t: Template, values: Mapping[str, Any], section_grades: Mapping[str, str],
               today: date | None = None) -> float | None:
    """The mean score of the relevant grade questions (by their weights) and section judgements (1 each); None if none."""
    total = weights = 0.0
    for q in relevant_questions(t, values, today):
        if q.type != "grade":
            continue
        score = question_score(q, values.get(q.id))
        if score is not None and q.weight > 0:
            total += score * q.weight
            weights += q.weight
    for score in section_scores(t, section_grades, values, today).values():
        total += score
        weights += 1
    return total / weights if weights else None


def suggest_overall(t: Template, values: Mapping[str, Any], section_grades: Mapping[str, str],
                    today: date | None = None) -> str | None:
    """The grade qadesk suggests from the answers, or None (rule ``none`` or nothing to go on)."""
    rule = t.overall.suggest
    if rule == "lowest_section":
        return suggested_grade(t, section_grades, section_scores(t, section_grades, values, today), None)
    if rule == "mean_score":
        return suggested_grade(t, section_grades, {}, mean_score(t, values, section_grades, today))
    return None


def suggested_grade(t: Template, section_grades: Mapping[str, str], scores: Mapping[str, float],
                    mean: float | None) -> str | None:
    """The suggestion, from the figures the template's rule reads: the section judgements' ``scores``
    (``lowest_section``) or the ``mean`` score (``mean_score``).  Shared by :func:`suggest_overall` and
    the incremental :class:`qadesk.core.template_plan.Evaluation`, so both say the same."""
    rule = t.overall.suggest
    if rule == "lowest_section":
        if not scores:
            return None
        sid = min(scores, key=lambda k: (scores[k], k))
        value = section_grades[sid]
        if any(c.value == value for c in t.lists[t.overall.list]):
            return value
        return _nearest_not_above(t.lists[t.overall.list], scores[sid])
    if rule == "mean_score":
        if mean is None:
            return None
        for minimum, value in t.overall.thresholds:
            if mean >= minimum - 1e-9:
                return value
        return None
    return None


def _nearest_not_above(choices: tuple[Choice, ...], score: float) -> str | None:
    scored = [(c.score, c.value) for c in choices if c.score is not None]
    below = [(s, v) for s, v in scored if s <= score]
    if below:
        return max(below, key=lambda sv: sv[0])[1]
    if scored:
        return min(scored, key=lambda sv: sv[0])[1]
    return None


def rationale_needed(grade: str | None, suggested: str | None) -> bool:
    """The auditor's own judgement wins, but must carry a rationale when it differs."""
    return bool(grade) and suggested is not None and grade != suggested


def final_grade(auditor_grade: str | None, moderations: Iterable[tuple[Any, str | None]]) -> str | None:
    """The grade an audit counts with: its latest moderation's grade, else the auditor's overall grade.

    ``moderations`` are (when, grade) pairs whose ``when`` compare with each other (aware times, or the
    ISO strings of an audit document).  An agreed moderation carries the auditor's grade, so the final
    grade differs from it only where a moderator gave another (docs/packs-and-reports.md).
    """
    graded = [(when, grade) for when, grade in moderations if grade]
    return max(graded, key=lambda pair: pair[0])[1] if graded else auditor_grade
