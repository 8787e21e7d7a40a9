"""What a template's rules make of an audit, kept up to date one change at a time.

An autosave changes one answer; on a 5,000-question template, working out relevance, problems,
progress and the suggested grade again for every question costs a hundred times what it costs on a
50-question one.  So:

- :class:`TemplatePlan` (one per template version, :func:`plan_of`) says which rules read which
  answer: the questions whose own ``relevant``, ``required`` or ``constraint`` names it, and the
  sections whose ``relevant`` does.
- :class:`Evaluation` holds, for one audit's answers, what the rules of :mod:`qadesk.core.audit`
  and :mod:`qadesk.core.scoring` say of every question and section, with the totals (progress, the
  scores behind the suggested grade).  A change re-evaluates only the changed question, the rules
  that read it and, when a section comes or goes, that section's questions; the totals move by the
  difference.

An Evaluation says exactly what the plain functions say of the same answers (``completion``,
``suggest_overall``, ``section_state``, ``question_problems``, ``question_relevant``): it calls the
same per-question rules, and the tests compare the two after every step of random edits.  The mean
score is summed exactly (fractions), so adding and taking away scores never drifts; for scores and
weights that are whole numbers or halves it is the very float the plain sum gives.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from qadesk.core.audit import AuditState, is_blank, is_required, question_problems
from qadesk.core.relevance import holds
from qadesk.core.scoring import choice_score, question_score, suggested_grade
from qadesk.core.template import Question, Section, Template

__all__ = ["Change", "Evaluation", "TemplatePlan", "build_plan", "plan_of"]

_ZERO = Fraction(0)


@dataclass(frozen=True)
class TemplatePlan:
    """Which rules read which answers, for one template version (built once: :func:`plan_of`)."""

    positions: Mapping[str, int]  # question id -> its place in the form (0-based)
    readers: Mapping[str, tuple[str, ...]]  # question id -> questions whose own rules read its answer
    section_readers: Mapping[str, tuple[str, ...]]  # question id -> sections whose ``relevant`` reads it
    uses_today: bool  # some rule calls today(): what it says changes with the date


def plan_of(t: Template) -> TemplatePlan:
    """The template's plan, worked out the first time it is asked for and kept with the template."""
    plan = t.__dict__.get("_plan")
    if plan is None:
        plan = build_plan(t)
        object.__setattr__(t, "_plan", plan)  # frozen, like a cached_property: not a field, not compared
    return plan  # type: ignore[no-any-return]


def build_plan(t: Template) -> TemplatePlan:
    positions: dict[str, int] = {}
    readers: dict[str, list[str]] = {}
    section_readers: dict[str, list[str]] = {}
    uses_today = False
    for s in t.sections:
        if s.relevant_rule is not None:
            uses_today = uses_today or s.relevant_rule.uses_today
            for ref in sorted(s.relevant_rule.references):
                section_readers.setdefault(ref, []).append(s.id)
    for i, q in enumerate(t.questions()):
        positions.setdefault(q.id, i)
        refs: set[str] = set()
        for rule in (q.relevant_rule, q.required_rule, q.constraint_rule):
            if rule is not None:
                refs |= rule.references
                uses_today = uses_today or rule.uses_today
        for ref in sorted(refs - {q.id}):
            readers.setdefault(ref, []).append(q.id)
    return TemplatePlan(positions, {k: tuple(v) for k, v in readers.items()},
                        {k: tuple(v) for k, v in section_readers.items()}, uses_today)


@dataclass
class Change:
    """What a change may have altered: these questions' relevance or problems, these sections' state."""

    questions: set[str] = field(default_factory=set)
    sections: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class _Facts:
    """What the rules say of one question that applies and takes an answer."""

    problems: tuple[str, ...]
    answered: bool
    counted: bool  # in the progress total: required or answered
    done: bool  # answered with nothing wrong
    score: Fraction  # score x weight of an answered grade question (counted in the mean), else 0
    weight: Fraction


@dataclass(slots=True)
class _SectionCount:
    applies: int = 0  # questions that apply and take an answer
    answered: int = 0
    answered_problems: int = 0  # answered, with something wrong
    problems: int = 0  # with something wrong (a missing required answer included)


class Evaluation:
    """One audit's answers as its template's rules read them, updated change by change.

    ``answers``, ``evidence`` and ``section_grades`` are the evaluation's own copies (change them
    only through :meth:`set_answer`, :meth:`set_evidence` and :meth:`set_section_grade`); ``today``
    is the date ``today()`` reads.
    """

    def __init__(self, t: Template, answers: Mapping[str, Any], evidence: Mapping[str, str],
                 section_grades: Mapping[str, str], today: date | None = None) -> None:
        self.template = t
        self.plan = plan_of(t)
        self.today = today or date.today()
        self.state = AuditState(answers=dict(answers), evidence=dict(evidence), section_grades=dict(section_grades))
        self._shown: dict[str, bool] = {}
        self._own: dict[str, bool] = {}  # the question's own ``relevant`` rule holds
        self._facts: dict[str, _Facts] = {}  # questions that apply and take an answer
        self._counts: dict[str, _SectionCount] = {s.id: _SectionCount() for s in t.sections}
        self._section_scores: dict[str, float] = {}  # judged sections that apply, with a scored grade
        self._section_total = _ZERO  # the sum of those scores
        self._grade_done: dict[str, bool] = {}  # sections that apply and take a judgement: judged?
        self._judged = 0  # how many of those are judged
        self._done = self._total = 0
        self._score, self._weight = _ZERO, _ZERO
        for s in t.sections:
            self._shown[s.id] = holds(s.relevant_rule, self.state.answers, today=self.today)
            self._judgement(s)
            for q in s.questions:
                self._own[q.id] = holds(q.relevant_rule, self.state.answers, today=self.today)
                self._update(q)

    # ------------------------------------------------------------------ reading

    @property
    def answers(self) -> dict[str, Any]:
        return self.state.answers

    @property
    def evidence(self) -> dict[str, str]:
        return self.state.evidence

    @property
    def section_grades(self) -> dict[str, str]:
        return self.state.section_grades

    def section_shown(self, section_id: str) -> bool:
        """``section_relevant``: whether the section applies."""
        return self._shown[section_id]

    def question_relevant(self, question_id: str) -> bool:
        """``question_relevant``: its section applies and its own rule holds."""
        q = self.template.question(question_id)
        return self._shown[q.section_id] and self._own[question_id]

    def problems(self, question_id: str) -> list[str]:
        """``question_problems`` of a question that applies (nothing for one that does not)."""
        facts = self._facts.get(question_id)
        return list(facts.problems) if facts is not None else []

    def section_state(self, section_id: str) -> str:
        """``section_state``: hidden, not_started, in_progress, complete or problems."""
        if not self._shown[section_id]:
            return "hidden"
        s = self.template.section(section_id)
        c = self._counts[section_id]
        judged = bool(self.state.section_grades.get(section_id))
        if not c.answered and not judged:
            return "not_started"
        if c.answered_problems:
            return "problems"
        if not c.problems and (s.grade_list is None or judged):
            return "complete"
        return "in_progress"

    def section_has_problems(self, section_id: str) -> bool:
        """Whether any question of the section that applies has something wrong (a missing answer too)."""
        return self._shown[section_id] and self._counts[section_id].problems > 0

    def completion(self) -> tuple[int, int]:
        """``completion``: (done, total) over the questions and judgements that apply."""
        return self._done + self._judged, self._total + len(self._grade_done)

    def mean_score(self) -> float | None:
        """``mean_score``: the weighted mean of the scored grade answers and section judgements."""
        total = self._score + self._section_total
        weights = self._weight + len(self._section_scores)
        return float(total) / float(weights) if weights else None

    def suggested(self) -> str | None:
        """``suggest_overall``: the grade the template's rule suggests."""
        rule = self.template.overall.suggest
        if rule == "mean_score":
            return suggested_grade(self.template, self.state.section_grades, {}, self.mean_score())
        return suggested_grade(self.template, self.state.section_grades, self._section_scores, None)

    # ------------------------------------------------------------------ changing

    def set_answer(self, question_id: str, value: Any) -> Change:
        """The question's answer is now ``value`` (None: unanswered)."""
        if value is None:
            self.state.answers.pop(question_id, None)
        else:
            self.state.answers[question_id] = value
        t = self.template
        change = Change({question_id, *self.plan.readers.get(question_id, ())})
        for sid in self.plan.section_readers.get(question_id, ()):
            s = t.section(sid)
            change.sections.add(sid)
            shown = holds(s.relevant_rule, self.state.answers, today=self.today)
            if shown != self._shown[sid]:
                self._shown[sid] = shown
                self._judgement(s)
                change.questions.update(q.id for q in s.questions)
        for qid in change.questions:
            q = t.question(qid)
            change.sections.add(q.section_id)
            self._own[qid] = holds(q.relevant_rule, self.state.answers, today=self.today)
            self._update(q)
        return change

    def set_evidence(self, question_id: str, note: str | None) -> Change:
        """The question's evidence note is now ``note`` (None or empty: none)."""
        if note:
            self.state.evidence[question_id] = note
        else:
            self.state.evidence.pop(question_id, None)
        q = self.template.question(question_id)
        self._update(q)
        return Change({question_id}, {q.section_id})

    def set_section_grade(self, section_id: str, grade: str | None) -> Change:
        """The section's judgement is now ``grade`` (None: not judged)."""
        if grade:
            self.state.section_grades[section_id] = grade
        else:
            self.state.section_grades.pop(section_id, None)
        self._judgement(self.template.section(section_id))
        return Change(set(), {section_id})

    # ------------------------------------------------------------------ bookkeeping

    def _judgement(self, s: Section) -> None:
        old = self._section_scores.pop(s.id, None)
        if old is not None:
            self._section_total -= Fraction(old)
        self._judged -= self._grade_done.pop(s.id, False)
        if not s.grade_list or not self._shown[s.id]:
            return
        grade = self.state.section_grades.get(s.id)
        self._grade_done[s.id] = bool(grade)
        self._judged += bool(grade)
        score = choice_score(self.template.lists[s.grade_list], grade)
        if score is not None:
            self._section_scores[s.id] = score
            self._section_total += Fraction(score)

    def _update(self, q: Question) -> None:
        old = self._facts.pop(q.id, None)
        if old is not None:
            self._count(q, old, -1)
        if not q.answerable or not self._shown[q.section_id] or not self._own[q.id]:
            return
        facts = self._facts_of(q)
        self._facts[q.id] = facts
        self._count(q, facts, 1)

    def _facts_of(self, q: Question) -> _Facts:
        state, today = self.state, self.today
        value = state.answers.get(q.id)
        problems = tuple(question_problems(self.template, q, state, today))
        answered = not is_blank(value)
        counted = answered or is_required(q, state.answers, today)
        score, weight = _ZERO, _ZERO
        if q.type == "grade" and q.weight > 0:
            points = question_score(q, value)
            if points is not None:
                weight = Fraction(q.weight)
                score = Fraction(points) * weight
        return _Facts(problems, answered, counted, answered and not problems, score, weight)

    def _count(self, q: Question, f: _Facts, sign: int) -> None:
        c = self._counts[q.section_id]
        c.applies += sign
        c.answered += sign * f.answered
        c.answered_problems += sign * (f.answered and bool(f.problems))
        c.problems += sign * bool(f.problems)
        self._total += sign * f.counted
        self._done += sign * f.done
        if f.weight:
            self._score += sign * f.score
            self._weight += sign * f.weight
