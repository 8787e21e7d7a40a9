"""Answers and grades as a person reads them (labels, British dates), for reports and returns."""

from __future__ import annotations

from typing import Any

from qadesk.core.template import Question, Template
from qadesk.exchange.output import uk_date


def _number(x: object) -> str:
    if isinstance(x, float) and x.is_integer():
        return str(int(x))
    return str(x)


def answer_text(q: Question, value: Any) -> str:
    """The answer as the form shows it: choice labels, not values; dates as 25 Nov 2026."""
    if value is None or value == "" or value == []:
        return ""
    if q.type in ("choice", "grade"):
        c = q.choice(value)
        return c.label if c else str(value)
    if q.type == "multi_choice":
        values = value if isinstance(value, list) else [value]
        return "; ".join((q.choice(v).label if q.choice(v) else str(v)) for v in values)  # type: ignore[union-attr]
    if q.type == "date":
        return uk_date(str(value))
    if q.type in ("integer", "decimal", "range"):
        return _number(value)
    return str(value)


def grade_label(t: Template, list_name: str | None, value: str | None) -> str:
    """The label of a grade on a template's list (the value itself if the list does not know it)."""
    if not value:
        return ""
    if list_name and list_name in t.lists:
        for c in t.lists[list_name]:
            if c.value == value:
                return c.label
    return value


def overall_label(t: Template, value: str | None) -> str:
    return grade_label(t, t.overall.list, value)


_GRADE_PALETTES = {
    1: ["#1b7f3b"],
    2: ["#1b7f3b", "#cc0000"],
    3: ["#1b7f3b", "#e69138", "#cc0000"],
    4: ["#1b7f3b", "#6aa84f", "#e69138", "#cc0000"],
    5: ["#1b7f3b", "#6aa84f", "#f1c232", "#e69138", "#cc0000"],
}


def grade_colours(count: int) -> list[str]:
    """Colours for a scale of ``count`` grades, best (green) to worst (red); grey beyond five."""
    base = _GRADE_PALETTES[min(max(count, 1), 5)]
    return (base + ["#999999"] * count)[:count]
