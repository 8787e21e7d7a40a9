"""The qadesk extensions of a question: marks that tell qadesk what an answer means beyond itself.

- ``urgent_concern``: the answers that mean an urgent safeguarding concern (submit then needs an
  urgent action that says who was told and when);
- ``subject_field``: the audit's subject field (case type, team, practitioner, case reference) the
  question is filled from when the audit starts, and kept in step with;
- ``learning``: whether the question's answers feed the learning themes.

All three are optional, so every template written without them keeps its meaning
(docs/template-format.md, "Marks on a question").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qadesk.core.audit import CASE_TYPES as CASE_TYPE_CODES
from qadesk.core.template import LIST_TYPES, SUBJECT_FIELDS, Choice, Question
from qadesk.core.template_fields import Collector, describe

# A question filled from the case type offers exactly the case types of domain.md.
TEXT_SUBJECT_TYPES = ("text",)


def read_marks(c: Collector, where: str, q: Mapping[str, Any], qtype: str, choices: tuple[Choice, ...]
               ) -> tuple[tuple[str, ...], str | None, bool | None]:
    """``(urgent_concern, subject_field, learning)`` of one question dict, reporting what is wrong."""
    return (_urgent(c, where, q.get("urgent_concern"), qtype, choices),
            _subject_field(c, where, q.get("subject_field"), qtype, choices),
            _learning(c, where, q.get("learning"), qtype, choices))


def _urgent(c: Collector, where: str, raw: object, qtype: str, choices: tuple[Choice, ...]) -> tuple[str, ...]:
    if raw is None:
        return ()
    w = f"{where} / urgent_concern"
    if qtype not in LIST_TYPES:
        c.add(w, f"only a question with choices (choice, multi_choice or grade) can flag an urgent concern; "
                 f"this is a '{qtype}' question")
        return ()
    if not isinstance(raw, list) or not raw or not all(isinstance(v, str) for v in raw):
        c.add(w, "'urgent_concern' must list the answers that mean an urgent concern, e.g. [\"yes\"]; "
                 f"not {describe(raw)}")
        return ()
    known = [ch.value for ch in choices]
    out: list[str] = []
    for value in raw:
        if choices and value not in known:
            c.add(w, f"'{value[:40]}' is not one of the question's choices ({', '.join(known)})")
        elif value in out:
            c.add(w, f"'{value[:40]}' is listed twice")
        else:
            out.append(value)
    if choices and set(out) == set(known):
        c.add(w, "every answer would be an urgent concern; list only the answers that mean one")
    return tuple(out)


def _subject_field(c: Collector, where: str, raw: object, qtype: str, choices: tuple[Choice, ...]) -> str | None:
    if raw is None:
        return None
    w = f"{where} / subject_field"
    if raw not in SUBJECT_FIELDS:
        c.add(w, f"'subject_field' must be one of {', '.join(SUBJECT_FIELDS)}; not {describe(raw)}")
        return None
    field = str(raw)
    if field == "case_type":
        if qtype != "choice":
            c.add(w, f"a question filled from the case type must be a 'choice' question, not '{qtype}'")
            return None
        if choices:
            codes = [ch.value.upper() for ch in choices]
            missing = [code for code in CASE_TYPE_CODES if code not in codes]
            extra = [ch.value for ch in choices if ch.value.upper() not in CASE_TYPE_CODES]
            if missing or extra or len(codes) != len(set(codes)):
                detail = "; ".join(x for x in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"not a case type: {', '.join(extra)}" if extra else "",
                    "a case type appears twice" if len(codes) != len(set(codes)) else "") if x)
                c.add(w, f"a question filled from the case type offers exactly the case types "
                         f"{', '.join(CASE_TYPE_CODES)} as its choice values (in any letter case): {detail}")
                return None
    elif qtype not in TEXT_SUBJECT_TYPES:
        c.add(w, f"a question filled from the {field.replace('_', ' ')} must be a 'text' question, not '{qtype}'")
        return None
    return field


def _learning(c: Collector, where: str, raw: object, qtype: str, choices: tuple[Choice, ...]) -> bool | None:
    if raw is None:
        return None
    w = f"{where} / learning"
    if not isinstance(raw, bool):
        c.add(w, f"'learning' must be true or false, not {describe(raw)}")
        return None
    if raw and qtype in LIST_TYPES and choices and len({ch.score for ch in choices if ch.score is not None}) < 2:
        c.add(w, "a question feeds learning themes through the scores of its choices: it needs at least two "
                 "different scores")
        return None
    if raw and qtype not in LIST_TYPES:
        c.add(w, f"only a question with scored choices can feed learning themes; this is a '{qtype}' question")
        return None
    return raw


def check_subject_fields(c: Collector, questions: Mapping[str, Question]) -> None:
    """At most one question of a template is filled from each subject field."""
    seen: dict[str, str] = {}
    for q in questions.values():
        if q.subject_field is None:
            continue
        if q.subject_field in seen:
            c.add(f"section {q.section_id} / question {q.id} / subject_field",
                  f"the {q.subject_field.replace('_', ' ')} already fills question {seen[q.subject_field]}; "
                  f"one question per subject field")
        else:
            seen[q.subject_field] = q.id


def subject_answer(q: Question, subject_value: str | None) -> str | None:
    """The answer a question filled from the subject takes for the subject's value (None: leave it blank)."""
    if not subject_value:
        return None
    if q.subject_field == "case_type":
        return next((ch.value for ch in q.choices if ch.value.upper() == subject_value.upper()), None)
    return subject_value


def subject_value(q: Question, answer: object) -> str | None:
    """The subject field's value for an answer to a question filled from it (the inverse of subject_answer)."""
    if not isinstance(answer, str) or not answer.strip():
        return None
    if q.subject_field == "case_type":
        code = answer.upper()
        return code if code in CASE_TYPE_CODES else None
    return answer.strip()
