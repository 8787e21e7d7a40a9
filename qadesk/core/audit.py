"""The rules of one audit against its template, in plain Python.

What an answer must look like for its question type, which questions are
relevant given the answers so far, what is required, what is still missing
before submit, and each section's state for the navigator.  The store keeps
the data; these functions decide what it means.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from qadesk.core.dates import valid_date
from qadesk.core.errors import AnswerRefused, Missing
from qadesk.core.relevance import holds, relevant_questions, section_relevant
from qadesk.core.relevance import question_relevant as question_relevant  # re-exported: callers know it here
from qadesk.core.scoring import rationale_needed
from qadesk.core.template import Question, Section, Template

MAX_TEXT = 20_000
MAX_LONG_TEXT = 200_000
SUMMARY_KEYS = ("strengths", "development", "impact_on_child", "practitioner_reflection", "family_feedback")
SUMMARY_LABELS = {
    "strengths": "Strengths",
    "development": "Areas for development",
    "impact_on_child": "Impact on the child",
    "practitioner_reflection": "The practitioner's reflections",
    "family_feedback": "Family feedback",
}
STATUSES = ("draft", "completed", "moderated", "closed")
CASE_TYPES = ("EH", "CIN", "CP", "CLA", "CL")
CASE_TYPE_LABELS = {
    "EH": "Early Help",
    "CIN": "Child in Need",
    "CP": "Child Protection",
    "CLA": "Child Looked After",
    "CL": "Care Leaver",
}


@dataclass
class AuditState:
    """What the auditor has recorded so far (values only, as the rules need them)."""

    answers: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    section_grades: dict[str, str] = field(default_factory=dict)
    overall_grade: str | None = None
    overall_rationale: str | None = None
    summary: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionFacts:
    """What the submit rules read of one of the audit's actions."""

    id: str
    text: str
    urgent: bool
    status: str
    told_whom: str | None = None
    told_at: datetime | None = None

    @property
    def told(self) -> bool:
        """Whether the action records who was told of the concern and when."""
        return bool(self.told_whom and self.told_whom.strip()) and self.told_at is not None


def is_blank(value: object) -> bool:
    """True for no answer: None, an empty string or list, or only spaces."""
    return value is None or value == "" or value == [] or (isinstance(value, str) and not value.strip())


def coerce_answer(q: Question, raw: object) -> Any:
    """Return the stored form of ``raw`` for question ``q`` or raise :class:`AnswerRefused`.

    ``None`` (or an empty string / list) clears the answer.  Numbers may come
    as text from a form or the command line.
    """
    if q.type == "note":
        raise AnswerRefused(q.id, "this is guidance only and takes no answer")
    if is_blank(raw):
        return None
    t = q.type
    if t in ("text", "long_text"):
        if not isinstance(raw, str):
            raise AnswerRefused(q.id, "the answer must be text")
        limit = MAX_TEXT if t == "text" else MAX_LONG_TEXT
        if len(raw) > limit:
            raise AnswerRefused(q.id, f"the answer is {len(raw):,} characters long; the limit is {limit:,}")
        return raw
    if t in ("integer", "range"):
        value = _to_number(q, raw)
        if not float(value).is_integer():
            raise AnswerRefused(q.id, "the answer must be a whole number")
        value = int(value)
        _check_bounds(q, value)
        return value
    if t == "decimal":
        value = _to_number(q, raw)
        _check_bounds(q, value)
        return value
    if t == "date":
        if isinstance(raw, date):
            raw = raw.isoformat()
        if not isinstance(raw, str) or not valid_date(raw.strip()):
            raise AnswerRefused(q.id, "the answer must be a date written YYYY-MM-DD")
        text = raw.strip()
        if isinstance(q.min, str) and text < q.min:
            raise AnswerRefused(q.id, f"the date must be on or after {q.min}")
        if isinstance(q.max, str) and text > q.max:
            raise AnswerRefused(q.id, f"the date must be on or before {q.max}")
        return text
    if t in ("choice", "grade"):
        if not isinstance(raw, str) or q.choice(raw) is None:
            allowed = ", ".join(c.value for c in q.choices)
            raise AnswerRefused(q.id, f"'{str(raw)[:40]}' is not one of the choices ({allowed})")
        return raw
    if t == "multi_choice":
        if isinstance(raw, str):
            raw = [p for p in raw.replace(",", " ").split() if p]
        if not isinstance(raw, (list, tuple)):
            raise AnswerRefused(q.id, "the answer must be a list of choices")
        out: list[str] = []
        for v in raw:
            if not isinstance(v, str) or q.choice(v) is None:
                allowed = ", ".join(c.value for c in q.choices)
                raise AnswerRefused(q.id, f"'{str(v)[:40]}' is not one of the choices ({allowed})")
            if v not in out:
                out.append(v)
        # Keep the template's order so equal selections compare equal.
        order = {c.value: i for i, c in enumerate(q.choices)}
        return sorted(out, key=order.__getitem__) or None
    raise AnswerRefused(q.id, f"unknown question type {t}")  # pragma: no cover - template validation prevents it


def _to_number(q: Question, raw: object) -> float | int:
    if isinstance(raw, bool):
        raise AnswerRefused(q.id, "the answer must be a number")
    if isinstance(raw, str):
        try:
            raw = float(raw.strip().replace(",", "")) if any(ch in raw for ch in ".eE") else int(raw.strip().replace(",", ""))
        except ValueError:
            raise AnswerRefused(q.id, "the answer must be a number") from None
    if not isinstance(raw, (int, float)) or not math.isfinite(raw) or abs(raw) > 1e12:
        raise AnswerRefused(q.id, "the answer must be a number")
    return raw


def _check_bounds(q: Question, value: float) -> None:
    if isinstance(q.min, float) and value < q.min:
        raise AnswerRefused(q.id, f"the answer must be at least {_fmt(q.min)}")
    if isinstance(q.max, float) and value > q.max:
        raise AnswerRefused(q.id, f"the answer must be at most {_fmt(q.max)}")


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def is_required(q: Question, values: Mapping[str, Any], today: date | None = None) -> bool:
    """Whether the question must be answered, given the answers so far (``required`` may be a rule)."""
    if isinstance(q.required, bool):
        return q.required
    return holds(q.required_rule, values, today=today)


def constraint_problem(q: Question, value: object, values: Mapping[str, Any], today: date | None = None) -> str | None:
    """The constraint message if ``value`` breaks the question's constraint, else None."""
    if not q.constraint or is_blank(value):
        return None
    if holds(q.constraint_rule, values, current=value, today=today):
        return None
    return q.constraint_message or "This answer is not allowed here."


def irrelevant_answered(t: Template, values: Mapping[str, Any], today: date | None = None) -> list[str]:
    """Ids of questions that hold an answer but are no longer relevant (cleared on submit)."""
    keep = {q.id for q in relevant_questions(t, values, today)}
    return [qid for qid, v in values.items() if not is_blank(v) and qid not in keep and t.has_question(qid)]


def question_problems(t: Template, q: Question, state: AuditState, today: date | None = None) -> list[str]:
    """What is wrong with one relevant question now: missing, constraint, evidence."""
    out: list[str] = []
    value = state.answers.get(q.id)
    if not q.answerable:
        return out
    if is_blank(value):
        if is_required(q, state.answers, today):
            out.append("An answer is required.")
        return out
    msg = constraint_problem(q, value, state.answers, today)
    if msg:
        out.append(msg)
    if q.evidence == "required" and is_blank(state.evidence.get(q.id)):
        out.append("An evidence note is required.")
    return out


def section_state(t: Template, s: Section, state: AuditState, today: date | None = None) -> str:
    """``hidden``, ``not_started``, ``in_progress``, ``complete`` or ``problems`` for the navigator."""
    if not section_relevant(s, state.answers, today):
        return "hidden"
    qs = [q for q in s.questions if q.answerable and holds(q.relevant_rule, state.answers, today=today)]
    answered = [q for q in qs if not is_blank(state.answers.get(q.id))]
    graded = s.grade_list is None or bool(state.section_grades.get(s.id))
    has_any = bool(answered) or bool(state.section_grades.get(s.id))
    if not has_any:
        return "not_started"
    for q in answered:
        if question_problems(t, q, state, today):
            return "problems"
    if all(not question_problems(t, q, state, today) for q in qs) and graded:
        return "complete"
    return "in_progress"


def completion(t: Template, state: AuditState, today: date | None = None) -> tuple[int, int]:
    """(done, total) over relevant answerable questions and section judgements."""
    done = total = 0
    for s in t.sections:
        if not section_relevant(s, state.answers, today):
            continue
        for q in s.questions:
            if not q.answerable or not holds(q.relevant_rule, state.answers, today=today):
                continue
            req = is_required(q, state.answers, today)
            answered = not is_blank(state.answers.get(q.id))
            if req or answered:
                total += 1
                done += answered and not question_problems(t, q, state, today)
        if s.grade_list:
            total += 1
            done += bool(state.section_grades.get(s.id))
    return done, total


def urgent_concerns(t: Template, values: Mapping[str, Any], today: date | None = None) -> list[Question]:
    """The questions that apply and whose answer the template marks as an urgent safeguarding concern."""
    return [q for q in relevant_questions(t, values, today) if q.flags_urgent(values.get(q.id))]


def urgent_missing(t: Template, values: Mapping[str, Any], actions: Sequence[ActionFacts],
                   today: date | None = None) -> list[Missing]:
    """What the urgent-concern rule still needs before submit (docs/template-format.md, urgent_concern).

    Every urgent action that is not cancelled says who was told of the concern and when; and an audit
    whose answers flag an urgent concern has at least one such urgent action.
    """
    out: list[Missing] = []
    live = [a for a in actions if a.urgent and a.status != "cancelled"]
    for a in live:
        if not a.told:
            short = a.text if len(a.text) <= 60 else a.text[:59] + "…"
            out.append(Missing(None, None, f"Actions — the urgent action “{short}”: say who was told of the "
                                           f"concern and when", key="actions.table"))
    concerns = urgent_concerns(t, values, today)
    if concerns and not live:
        q = concerns[0]
        out.append(Missing(None, None, f"Actions: {q.label} — the answer means an urgent concern, so add an urgent "
                                       f"action that says who was told and when", key="actions.add"))
    return out


def missing_for_submit(t: Template, state: AuditState, suggested: str | None,
                       today: date | None = None, actions: Sequence[ActionFacts] = ()) -> list[Missing]:
    """Everything that stops submit, in form order (so the form can go to the first)."""
    out: list[Missing] = []
    for s in t.sections:
        if not section_relevant(s, state.answers, today):
            continue
        for q in s.questions:
            if not holds(q.relevant_rule, state.answers, today=today):
                continue
            for problem in question_problems(t, q, state, today):
                out.append(Missing(s.id, q.id, f"{s.title} — {q.label}: {problem}", key=f"question.{q.id}"))
        if s.grade_list and not state.section_grades.get(s.id):
            out.append(Missing(s.id, None, f"{s.title}: the section judgement is missing",
                               key=f"section_grade.{s.id}"))
    if not state.overall_grade:
        out.append(Missing(None, None, "The overall judgement is missing", key="overall.grade"))
    elif rationale_needed(state.overall_grade, suggested) and is_blank(state.overall_rationale):
        out.append(Missing(None, None, "The overall judgement differs from the suggested grade: give a rationale",
                           key="overall.rationale"))
    out.extend(urgent_missing(t, state.answers, actions, today))  # the Actions page comes last
    return out

