"""Answers for the demo data: a walk through a template's questions picking plausible, valid values.

Values follow the question's type, bounds, relevance, requirement and
constraint (each checked with the same core functions the services use) and
lean good or poor with the practice "quality" of the audit, so that charts
show real differences between teams.  The sentences come from the word banks
in ``resources/demo/words.json``.
"""

from __future__ import annotations

import json
import math
import random
import uuid
from bisect import bisect
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any

from qadesk.core.audit import (
    AuditState,
    coerce_answer,
    constraint_problem,
    irrelevant_answered,
    is_required,
    missing_for_submit,
    question_relevant,
    section_relevant,
)
from qadesk.core.bundle import bundle_path
from qadesk.core.errors import AnswerRefused, QadeskError
from qadesk.core.expressions import parse
from qadesk.core.scoring import question_score
from qadesk.core.template import Choice, Question, Template


def forms_dir() -> Path | None:
    """The folder of the shipped templates (source tree or packaged app), if present."""
    folder = bundle_path("forms")
    return folder if folder.is_dir() else None


@lru_cache(maxsize=1)
def words() -> dict[str, Any]:
    """The demo word banks (persona, teams, surnames, answer texts...) shipped in resources/demo/words.json."""
    path = bundle_path("resources", "demo", "words.json")
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    raise QadeskError("the demo word banks (resources/demo/words.json) are missing from this installation")


def weighted(rng: random.Random, weights: dict[str, float]) -> str:
    """One key of ``weights``, drawn with the chance its weight gives."""
    keys = list(weights)
    cum = list(accumulate(weights[k] for k in keys))
    return keys[bisect(cum, rng.random() * cum[-1])]


def clamp(x: float, lo: float = 0.0, hi: float = 1.0) -> float:
    """``x`` kept within ``lo`` and ``hi``."""
    return lo if x < lo else hi if x > hi else x


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng``, so a seed makes the same demo data again."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def day_month(d: date) -> str:
    """``25 November``, as demo text writes a date."""
    return f"{d.day} {d:%B}"


# ------------------------------------------------------------------------------------------
# Answers


class Answerer:
    """Walks a template's questions in order and picks plausible, valid answers."""

    def __init__(self, rng: random.Random, t: Template, quality: float, today: date,
                 case_type: str | None, age_band: str | None, worker: str, looks_forward: bool = True) -> None:
        self.rng, self.t, self.quality, self.today = rng, t, quality, today
        self.looks_forward = looks_forward
        self.case_type, self.age_band, self.worker = case_type, age_band, worker
        self.w = words()
        self.hints: dict[str, dict[str, Any]] = self.w["hints"]
        self.values: dict[str, Any] = {}
        self.evidence: dict[str, str] = {}

    # -- text --------------------------------------------------------------------------------
    def _tone(self) -> str:
        x = self.quality + self.rng.gauss(0, 0.15)
        return "good" if x > 0.62 else "mixed" if x > 0.4 else "poor"

    def fill(self, text: str) -> str:
        if "{" not in text:
            return text
        d = self.today - timedelta(days=self.rng.randrange(3, 120))
        return text.format(worker=self.worker, date=day_month(d))

    def long_text(self, q: Question) -> str:
        category = next((cat for pattern, cat in self.w["long_text_rules"]
                         if any(p in q.id for p in pattern.split("|"))), "general")
        bank = self.w["long_text"][category]
        tone = self._tone()
        lines = self.rng.sample(bank[tone], min(len(bank[tone]), self.rng.choice((1, 2, 2, 3))))
        return " ".join(self.fill(s) for s in lines)

    def evidence_note(self) -> str:
        return self.fill(self.rng.choice(self.w["evidence"]))

    # -- values ------------------------------------------------------------------------------
    def _scored(self, choices: tuple[Choice, ...], invert: bool = False) -> str:
        rng = self.rng
        scored = [(c, c.score) for c in choices if c.score is not None]
        unscored = [c for c in choices if c.score is None]
        if unscored and rng.random() < 0.07 * len(unscored):
            return rng.choice(unscored).value
        lo, hi = min(score for _, score in scored), max(score for _, score in scored)
        target = clamp((1 - self.quality if invert else self.quality) + rng.gauss(0, 0.18))
        weights = {c.value: math.exp(-(((score - lo) / ((hi - lo) or 1)) - target) ** 2 / 0.06) + 0.01
                   for c, score in scored}
        return weighted(rng, weights)

    def _choice(self, q: Question, hint: dict[str, Any]) -> str:
        rng = self.rng
        source = hint.get("from")
        if source == "case_type" and self.case_type and q.choice(self.case_type.lower()):
            return self.case_type.lower()
        if source == "age_band" and self.age_band and self.age_band in hint.get("map", {}):
            return hint["map"][self.age_band]
        if "weights" in hint:
            return weighted(rng, {k: v for k, v in hint["weights"].items() if q.choice(k)})
        if any(c.score is not None for c in q.choices):
            return self._scored(q.choices, hint.get("invert", False))
        return rng.choice(q.choices).value

    def _multi(self, q: Question, hint: dict[str, Any]) -> list[str]:
        rng = self.rng
        lo, hi = hint.get("count", (1, 3))
        rare = {"other", "none", "not_gathered"}
        if q.id == "ff_who" and self.age_band in ("Under 1", "1–4"):
            rare |= {"child"}
        weights = {c.value: 0.15 if c.value in rare else 1.0 for c in q.choices}
        picked = list(hint.get("always", []))
        want = min(len(weights), rng.randint(lo, hi))
        while len(picked) < want:
            v = weighted(rng, {k: x for k, x in weights.items() if k not in picked})
            picked.append(v)
        return picked

    def _number(self, q: Question, hint: dict[str, Any], attempt: int) -> float:
        rng = self.rng
        lo = q.min if isinstance(q.min, float) else 0.0
        hi = q.max if isinstance(q.max, float) else lo + 20
        if "pick" in hint:
            return rng.choice(hint["pick"])
        if "upto" in hint and isinstance(self.values.get(hint["upto"]), (int, float)):
            top = self.values[hint["upto"]]
            return round(top * clamp(self.quality + 0.25 + rng.gauss(0, 0.15)))
        if q.type == "range":  # a scaling question: follows the practice
            return lo + round((hi - lo) * clamp(self.quality + rng.gauss(0, 0.15)))
        if q.type == "decimal":  # the shipped decimals are percentages
            return round(lo + (hi - lo) * clamp(0.55 + 0.45 * self.quality + rng.gauss(0, 0.12)), 1)
        if "range" in hint and attempt < 3:
            lo, hi = max(lo, hint["range"][0]), min(hi, hint["range"][1])
        skew = 2.0 if hi - lo > 20 else 1.0
        return lo + int((hi - lo + 1) * rng.random() ** skew)

    def _date(self, q: Question, hint: dict[str, Any], attempt: int) -> str:
        rng = self.rng
        if attempt >= 4:  # the audit's own day satisfies every shipped date rule
            return self.today.isoformat()
        after = self.values.get(hint.get("after", ""))
        if isinstance(after, str):
            lo, hi = hint.get("within", (0, 30))
            d = min(self.today, date.fromisoformat(after) + timedelta(days=rng.randint(lo, hi)))
        else:
            lo, hi = hint.get("days", (0, 90))
            d = self.today - timedelta(days=rng.randint(lo, hi))
        return d.isoformat()

    def _raw(self, q: Question, attempt: int) -> Any:
        hint = self.hints.get(q.id, {})
        if q.type in ("choice", "grade"):
            if q.type == "grade" or attempt < 4:
                return self._choice(q, hint) if q.type == "choice" else self._scored(q.choices)
            return q.choices[(attempt - 4) % len(q.choices)].value  # try each in turn
        if q.type == "multi_choice":
            return self._multi(q, hint) if attempt < 4 else [q.choices[attempt % len(q.choices)].value]
        if q.type in ("integer", "decimal", "range"):
            return self._number(q, hint, attempt)
        if q.type == "date":
            return self._date(q, hint, attempt)
        if q.type == "text":
            return self.rng.choice(hint.get("texts") or self.w["short"])
        return self.long_text(q)

    def answer(self, q: Question, evidence_chance: float) -> bool:
        """Give ``q`` a value that fits its type and constraint; False if none was found."""
        attempts = 4 + max(len(q.choices), 4)
        for attempt in range(attempts):
            try:
                value = coerce_answer(q, self._raw(q, attempt))
            except AnswerRefused:
                continue
            if value is None:
                continue
            trial = dict(self.values)
            trial[q.id] = value
            if constraint_problem(q, value, trial, self.today) is None:
                self.values[q.id] = value
                if q.evidence == "required" or (q.evidence == "optional" and self.rng.random() < evidence_chance):
                    self.evidence[q.id] = self.evidence_note()
                return True
        return False

    def walk(self, complete: bool, stop: float = 1.0) -> None:
        """Answer in form order; a draft stops part-way (``stop``: the share of sections reached)."""
        rng, t = self.rng, self.t
        last = len(t.sections) * stop
        for si, s in enumerate(t.sections):
            if si >= last:
                break
            if not section_relevant(s, self.values, self.today):
                continue
            partial = si + 1 > last
            for q in s.questions:
                if not q.answerable or not question_relevant(t, q, self.values, self.today):
                    continue
                if partial and rng.random() < 0.5:
                    continue
                required = is_required(q, self.values, self.today)
                chance = (0.55 if q.type == "long_text" else 0.82) if complete else 0.6
                if required or rng.random() < chance:
                    self.answer(q, 0.35)
        if not self.looks_forward:
            return
        for qid in irrelevant_answered(t, self.values, self.today):  # as submit clears them
            self.values.pop(qid, None)
            self.evidence.pop(qid, None)

    def repair(self, state: AuditState) -> None:
        """Answer whatever submit would still ask for (a rule that depends on a later answer)."""
        for _ in range(3):
            missing = [m for m in missing_for_submit(self.t, state, state.overall_grade, self.today)
                       if m.question_id]
            if not missing:
                return
            for m in missing:
                q = self.t.question(m.question_id)  # type: ignore[arg-type]
                if m.question_id in self.values and q.evidence == "required":
                    self.evidence[q.id] = self.evidence_note()
                else:
                    self.values.pop(q.id, None)
                    self.answer(q, 0.35)
            state.answers, state.evidence = self.values, self.evidence

    @staticmethod
    def looks_forward_in(t: Template) -> bool:
        """Whether a rule of ``t`` reads an answer given later in the form (an in-order walk then
        needs the same clean-up as submit)."""
        order = {q.id: i for i, q in enumerate(t.questions())}
        for s in t.sections:
            first = order[s.questions[0].id] if s.questions else len(order)
            rules = [(s.relevant, first)] + [(r, order[q.id]) for q in s.questions
                                              for r in (q.relevant, q.required if isinstance(q.required, str) else None)]
            for text, at in rules:
                if text and any(order.get(ref, -1) >= at for ref in parse(text).references):
                    return True
        return False

    def grade_for(self, choices: tuple[Choice, ...], level: float) -> str | None:
        scored = sorted((c for c in choices if c.score is not None), key=lambda c: c.score)  # type: ignore[arg-type,return-value]
        if not scored:
            return None
        return scored[round(clamp(level) * (len(scored) - 1))].value

    def section_level(self, section_id: str) -> float:
        """How well the practice in one section went, from its scored answers and the audit's quality."""
        scores = []
        for q in self.t.section(section_id).questions:
            value = self.values.get(q.id)
            score = question_score(q, value)
            if score is None:
                continue
            known = [c.score for c in q.choices if c.score is not None]
            scores.append((score - min(known)) / ((max(known) - min(known)) or 1))
        mean = sum(scores) / len(scores) if scores else self.quality
        # Mostly the audit's own quality: with the lowest section deciding the overall grade, noisy
        # sections would drag nearly every audit down to "requires improvement".
        return 0.25 * mean + 0.75 * self.quality + 0.1 + self.rng.gauss(0, 0.06)
