"""The shipped templates in forms/: follow-up questions wait for the answer they follow up.

A relevance such as ``${x} != 'yes'`` is true while ``x`` is still unanswered, so
the follow-up ("Why has the standard not been met?") shows before the auditor
has said anything.  With no answers at all, every question, section and
``required`` expression that refers to another question must therefore be
false.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from qadesk.core.expressions import parse
from qadesk.core.template import Template, template_from_dict

FORMS = Path(__file__).resolve().parents[2] / "forms"
FORM_PATHS = sorted(FORMS.glob("*.json"))
TODAY = date(2026, 3, 10)

# (template key, "section <id>" or "question <id>", field) -> why it may be true with no answers.
# Every entry needs its reason; none is needed today.
EXCEPTIONS: dict[tuple[str, str, str], str] = {}


def _load(path: Path) -> Template:
    return template_from_dict(json.loads(path.read_text(encoding="utf-8")), source=str(path))


def _expressions(t: Template):
    """(where, field, text, references to other questions) for every relevant/required expression."""
    for s in t.sections:
        if s.relevant:
            yield f"section {s.id}", "relevant", s.relevant, parse(s.relevant).references
        for q in s.questions:
            if q.relevant:
                yield f"question {q.id}", "relevant", q.relevant, parse(q.relevant).references - {q.id}
            if isinstance(q.required, str):
                yield f"question {q.id}", "required", q.required, parse(q.required).references - {q.id}


def test_every_shipped_form_is_checked():
    assert len(FORM_PATHS) == 7


@pytest.mark.parametrize("path", FORM_PATHS, ids=lambda p: p.stem)
def test_follow_ups_are_hidden_until_answered(path):
    t = _load(path)
    checked = 0
    wrong = []
    for where, key, text, refs in _expressions(t):
        if not refs:
            continue  # e.g. today() alone: not a follow-up of another question
        checked += 1
        if (t.key, where, key) in EXCEPTIONS:
            continue
        if parse(text).is_true({}, today=TODAY):
            wrong.append(f"{where} {key}: {text}")
    assert not wrong, f"{path.name}: true before the question it follows is answered:\n" + "\n".join(wrong)
    assert checked > 0, f"{path.name} has no follow-up logic to check"


@pytest.mark.parametrize("path", FORM_PATHS, ids=lambda p: p.stem)
def test_each_follow_up_waits_for_each_question_it_reads(path):
    """An expression reading one question is false for each way that question can be unanswered."""
    t = _load(path)
    wrong = []
    for where, key, text, refs in _expressions(t):
        if len(refs) != 1 or (t.key, where, key) in EXCEPTIONS:
            continue
        (ref,) = refs
        for blank in (None, "", []):
            if parse(text).is_true({ref: blank}, today=TODAY):
                wrong.append(f"{where} {key} with ${{{ref}}} = {blank!r}: {text}")
    assert not wrong, "\n".join(wrong)


def test_the_fixed_follow_ups_appear_once_an_answer_makes_them_relevant():
    """The rewritten relevances still show the follow-up for the answers that need it."""
    sup = _load(FORMS / "supervision-audit.json")
    why = parse(sup.question("sv_frequency_why").relevant or "")
    assert [why.is_true({"sv_frequency_met": v}) for v in (None, "yes", "partly", "no")] == [False, False, True, True]

    rca = _load(FORMS / "regular-case-audit.json")
    follow = [q for q in rca.questions() if q.relevant and "case_type" in q.relevant and "!=" in q.relevant]
    assert follow
    for q in follow:
        e = parse(q.relevant)
        assert not e.is_true({}) and not e.is_true({"case_type": "eh"}) and e.is_true({"case_type": "cp"})
