"""Which parts of a template apply to an audit, given the answers so far (the ``relevant`` rules).

The audit's rules (:mod:`qadesk.core.audit`) and the scores (:mod:`qadesk.core.scoring`) both read
relevance from here, so neither needs the other to know which questions count.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from qadesk.core.expressions import ExpressionError, Rule, parse
from qadesk.core.template import Question, Section, Template


def rule_holds(expr: str | None, values: Mapping[str, Any], current: object = None, today: date | None = None) -> bool:
    """Whether a template rule (``relevant``, ``required``, ``constraint``) holds; no rule always holds,
    and a rule that cannot be read does not."""
    if not expr:
        return True
    try:
        return parse(expr).is_true(values, current=current, today=today)
    except ExpressionError:
        return False


def holds(rule: Rule | None, values: Mapping[str, Any], current: object = None, today: date | None = None) -> bool:
    """:func:`rule_holds` for a rule parsed once (``Question.relevant_rule`` and the like): no rule always
    holds, a rule that cannot be read does not."""
    return rule is None or rule.holds(values, current=current, today=today)


def section_relevant(s: Section, values: Mapping[str, Any], today: date | None = None) -> bool:
    """Whether the section applies, given the answers so far (its ``relevant`` rule)."""
    return holds(s.relevant_rule, values, today=today)


def question_relevant(t: Template, q: Question, values: Mapping[str, Any], today: date | None = None) -> bool:
    """Whether the question applies: its section does and its own ``relevant`` rule holds."""
    return section_relevant(t.section(q.section_id), values, today) and holds(q.relevant_rule, values, today=today)


def relevant_questions(t: Template, values: Mapping[str, Any], today: date | None = None) -> list[Question]:
    """The questions that apply, in template order (sections that do not apply are skipped whole)."""
    out: list[Question] = []
    for s in t.sections:
        if not section_relevant(s, values, today):
            continue
        out.extend(q for q in s.questions if holds(q.relevant_rule, values, today=today))
    return out
