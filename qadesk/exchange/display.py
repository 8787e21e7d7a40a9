"""Answers and grades as a person reads them (labels, British dates, the grades' colours).

For reports and returns; the window takes its grade palette from here too, so screen and paper agree.
"""

from __future__ import annotations

from typing import Any

from qadesk.core.scoring import final_grade
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


def final_grade_of(doc: dict[str, Any]) -> str | None:
    """The grade an audit document counts with: its latest moderation's grade, else the auditor's overall grade.

    :func:`qadesk.core.scoring.final_grade` read from the document itself, as the store's rows are by
    ``services.audit_access.refresh_final_grade``, so a pack's report and return show the same final
    grade as the sender's window (docs/packs-and-reports.md).
    """
    mods = [m for m in doc.get("moderations") or [] if isinstance(m, dict)]
    graded = ((str(m.get("at") or ""), str(m["grade"]) if m.get("grade") else None) for m in mods)
    return final_grade((doc.get("overall") or {}).get("grade"), graded)


SHORT_GRADE = 16  # characters: a label this long or shorter is its own short form


def short_grade(label: str) -> str:
    """A grade's label short enough for a list column: "Requires improvement to be good" -> "RI".

    Templates bring their own scales, so the short form is derived from the label: a label of up to
    16 characters stays as it is; a label with a qualifier after a colon or dash keeps its head
    ("Amber: some concerns" -> "Amber"); a longer one drops a "to be ..." tail and then becomes the
    initials of its words ("Requires improvement" -> "RI"). The full label goes beside it (tooltip,
    screen reader).
    """
    label = " ".join(label.split())
    if len(label) <= SHORT_GRADE:
        return label
    for mark in (":", " – ", " - ", " — ", " ("):
        head = label.split(mark, 1)[0].strip()
        if head and head != label and len(head) <= SHORT_GRADE:
            return head
    head = label.split(" to ", 1)[0].strip() or label
    if len(head) <= SHORT_GRADE:
        return head
    words = [w for w in head.replace("-", " ").split() if w[:1].isalnum()]
    initials = "".join(w[0].upper() for w in words if w.lower() not in ("and", "of", "the", "a", "an"))
    return initials or head[:SHORT_GRADE]


def overall_label(t: Template, value: str | None) -> str:
    """The label of an overall grade on the template's overall list."""
    return grade_label(t, t.overall.list, value)


# The one palette of grades, by grade value: the window (Home, Reports, the audits list) and the
# PDF reports colour a grade alike, so a printed chart reads as the screen did.
GRADE_COLOURS = {
    "outstanding": "#1f7a5a", "good": "#64a46c", "ri": "#e3a82b", "inadequate": "#c4533d",
    "green": "#64a46c", "amber": "#e3a82b", "red": "#c4533d",
}
# A scale known only by its labels (the summary's charts) takes its colours by position, best first.
_SCALES = {
    1: ("good",),
    2: ("good", "inadequate"),
    3: ("green", "amber", "red"),
    4: ("outstanding", "good", "ri", "inadequate"),
}
_FIFTH = "#b9b53a"  # between good and requires improvement, for a five-point scale
_BEYOND = "#8a8f98"


def scale_colours(count: int) -> list[str]:
    """Colours of the GRADE_COLOURS palette for a scale of ``count`` grades, best first; grey beyond five."""
    if count >= 5:
        base = [GRADE_COLOURS["outstanding"], GRADE_COLOURS["good"], _FIFTH, GRADE_COLOURS["ri"],
                GRADE_COLOURS["inadequate"]]
    else:
        base = [GRADE_COLOURS[g] for g in _SCALES.get(count, ())]
    return (base + [_BEYOND] * count)[:count]
