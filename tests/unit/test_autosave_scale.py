"""An autosave's work does not grow with the template (issue 10, point 7), and says what the plain rules say.

The work is counted, not timed: SQL statements, answer rows read, expressions parsed and evaluated for
one save on a 50-question template and on a 5,000-question one (the template limit) built alike
(tests/helpers/big_template.py).  Before the fix a save on the big template evaluated every rule of
every question a few times over, parsed most of them again (the expression cache held 4,096 texts)
and read every answer.  The incremental evaluation behind it is checked against the plain functions
of ``qadesk.core.audit`` and ``qadesk.core.scoring`` after every step of random edits.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import event

from qadesk.core import expressions
from qadesk.core.audit import AuditState, completion, question_problems, question_relevant, section_state
from qadesk.core.errors import AnswerRefused
from qadesk.core.scoring import suggest_overall
from qadesk.core.template import template_from_dict
from qadesk.core.template_plan import Evaluation
from qadesk.services import audits
from qadesk.store.models import Answer, SectionJudgement
from tests.helpers.big_template import CHOICE_QUESTION, TYPED_QUESTION, make_store, make_template

ANSWERS = {"choice": ["yes", "no", "partly", None], "multi_choice": [["yes"], ["yes", "partly"], ["no"], None],
           "grade": ["outstanding", "good", "ri", "inadequate", None], "integer": [5, 95, None],
           "decimal": [2.5, 99.5, None], "text": ["no", "Made-up note", None], "long_text": ["Made-up account", None],
           "range": [0, 3, None], "date": ["2026-01-02", None]}


@contextmanager
def counting(store) -> Iterator[Counter]:  # noqa: ANN001
    """Count, while inside: SQL statements, answer and judgement rows loaded, template JSON loaded,
    expressions parsed and evaluated."""
    seen: Counter = Counter()

    def statement(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        # The suggested grade is written when it changes, which depends on the answers, not on the size.
        seen["sql"] += not sql.startswith("UPDATE audits SET overall_suggested=")
        seen["template json read"] += "template_versions.content" in sql

    def loaded(what: str):  # noqa: ANN202
        def count(*_args: object) -> None:
            seen[what] += 1
        return count

    real_parse, real_evaluate = expressions._Parser.parse, expressions.Expression.evaluate

    def parse(self, *args: object, **kwargs: object):  # noqa: ANN001, ANN202
        seen["parsed"] += 1
        return real_parse(self, *args, **kwargs)

    def evaluate(self, *args: object, **kwargs: object):  # noqa: ANN001, ANN202
        seen["evaluated"] += 1
        return real_evaluate(self, *args, **kwargs)

    listeners = [(store.engine, "before_cursor_execute", statement), (Answer, "load", loaded("answers read")),
                 (SectionJudgement, "load", loaded("judgements read"))]
    for target, name, fn in listeners:
        event.listen(target, name, fn)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(expressions._Parser, "parse", parse)
        mp.setattr(expressions.Expression, "evaluate", evaluate)
        try:
            yield seen
        finally:
            for target, name, fn in listeners:
                event.remove(target, name, fn)


def _saves(store, audit_id: str) -> Counter:  # noqa: ANN001
    """The work of a few saves (after a first one, which reads the audit whole), all kinds together."""
    with store.transaction() as s:
        audits.save_answer(s, audit_id, TYPED_QUESTION, "First made-up words", actor="Made-up Auditor")
    work: Counter = Counter()
    for i, text in enumerate(["Seen at home.", "Seen alone at school.", "Seen at home."]):
        with counting(store) as seen:
            with store.transaction() as s:
                audits.save_answer(s, audit_id, TYPED_QUESTION, text, actor="Made-up Auditor")
            with store.transaction() as s:
                audits.save_answer(s, audit_id, CHOICE_QUESTION, ["yes", "no"][i % 2], actor="Made-up Auditor")
            with store.transaction() as s:
                audits.set_section_grade(s, audit_id, "s0", ["good", "ri"][i % 2], actor="Made-up Auditor")
            with store.transaction() as s:
                audits.set_overall(s, audit_id, grade=["good", "ri"][i % 2], actor="Made-up Auditor")
        work.update(seen)
    return work


def test_a_save_costs_the_same_work_at_5000_questions_as_at_50(tmp_path: Path) -> None:
    work = {}
    for n in (50, 5000):
        folder = tmp_path / str(n)
        folder.mkdir()
        store, audit_id = make_store(folder, n)
        try:
            work[n] = _saves(store, audit_id)
            with store.session() as s:
                stored = audits.state_of(audits.get_audit(s, audit_id))
            assert stored.answers[TYPED_QUESTION] == "Seen at home."
            assert stored.section_grades["s0"] == "good" and stored.answers[CHOICE_QUESTION] == "yes"
        finally:
            store.close()
    small, big = work[50], work[5000]
    assert big["evaluated"] > 0 and big["sql"] > 0
    # Section s1's rule reads the choice (there is no s1 at 50 questions): one evaluation a save more.
    assert big["evaluated"] == small["evaluated"] + 3
    assert big["sql"] == small["sql"]
    assert big["parsed"] == small["parsed"] == 0  # every rule was parsed once, when first used
    assert big["answers read"] == small["answers read"] <= 3 * 2  # the one row each answer save changes
    assert big["judgements read"] == small["judgements read"] <= 3
    assert big["template json read"] == small["template json read"] == 0  # the template is kept parsed


def test_the_saves_results_are_what_the_plain_rules_say(tmp_path: Path) -> None:
    store, audit_id = make_store(tmp_path, 150)
    try:
        rng = random.Random(7)
        with store.session() as s:
            t = audits.template_for(audits.get_audit(s, audit_id))
        questions = [q for q in t.questions() if q.section_id in ("s0", "s1")]
        for _ in range(60):
            q = rng.choice(questions)
            with store.transaction() as s:
                try:
                    result = audits.save_answer(s, audit_id, q.id, rng.choice(ANSWERS[q.type]), actor="Made-up Auditor")
                except AnswerRefused:  # e.g. the question does not apply now
                    continue
            with store.session() as s:
                audit = audits.get_audit(s, audit_id)
                state = audits.state_of(audit)
                assert (result.done, result.total) == completion(t, state)
                assert result.suggested == suggest_overall(t, state.answers, state.section_grades)
                assert audit.overall_suggested == result.suggested
                assert audit.answered_count == len(state.answers)
    finally:
        store.close()


@pytest.mark.parametrize("suggest", ["mean_score", "lowest_section"])
def test_the_evaluation_says_what_the_plain_rules_say_after_every_change(suggest: str) -> None:
    data = make_template(150)
    if suggest == "lowest_section":
        data["overall"] = {"list": "ofsted4", "suggest": "lowest_section"}
    t = template_from_dict(data, "test")
    rng = random.Random(suggest)
    questions = list(t.questions())
    ev = Evaluation(t, {}, {}, {})
    for step in range(600):
        q = rng.choice(questions)
        roll = rng.random()
        if roll < 0.7:
            ev.set_answer(q.id, rng.choice(ANSWERS[q.type]))
        elif roll < 0.85:
            ev.set_evidence(q.id, rng.choice(["Made-up evidence", None]))
        else:
            ev.set_section_grade(rng.choice(t.sections).id, rng.choice(["outstanding", "good", "ri", None]))
        if step % 10 == 0:
            _same_as_plain(t, ev)
    _same_as_plain(t, ev)
    again = Evaluation(t, ev.answers, ev.evidence, ev.section_grades)
    assert again.completion() == ev.completion() and again.suggested() == ev.suggested()


def _same_as_plain(t, ev: Evaluation) -> None:  # noqa: ANN001
    state = AuditState(answers=dict(ev.answers), evidence=dict(ev.evidence), section_grades=dict(ev.section_grades))
    assert ev.completion() == completion(t, state, ev.today)
    assert ev.suggested() == suggest_overall(t, state.answers, state.section_grades, ev.today)
    for s in t.sections:
        assert ev.section_state(s.id) == section_state(t, s, state, ev.today), s.id
    for q in t.questions():
        relevant = question_relevant(t, q, state.answers, ev.today)
        assert ev.question_relevant(q.id) == relevant, q.id
        if relevant and q.answerable:
            assert ev.problems(q.id) == question_problems(t, q, state, ev.today), q.id


def test_a_rolled_back_save_leaves_nothing_behind(tmp_path: Path) -> None:
    """A save whose transaction fails is not remembered: the next save sees the store as it is."""
    store, audit_id = make_store(tmp_path, 50)
    try:
        with store.transaction() as s:
            audits.save_answer(s, audit_id, CHOICE_QUESTION, "yes", actor="Made-up Auditor")
        with pytest.raises(RuntimeError), store.transaction() as s:
            audits.save_answer(s, audit_id, CHOICE_QUESTION, "no", actor="Made-up Auditor")
            raise RuntimeError("the write failed")  # e.g. the disk was full at commit
        with store.transaction() as s:
            result = audits.save_answer(s, audit_id, TYPED_QUESTION, "Made-up words", actor="Made-up Auditor")
        with store.session() as s:
            state = audits.state_of(audits.get_audit(s, audit_id))
        t = template_from_dict(make_template(50), "test")
        assert state.answers[CHOICE_QUESTION] == "yes"
        assert (result.done, result.total) == completion(t, state)
        assert result.suggested == suggest_overall(t, state.answers, state.section_grades)
    finally:
        store.close()


def test_a_change_made_elsewhere_is_seen_by_the_next_save(tmp_path: Path) -> None:
    """Another copy of qadesk (here: plain SQL) changes an answer between two saves of this one."""
    import json
    import sqlite3
    from datetime import datetime, timezone

    store, audit_id = make_store(tmp_path, 50)
    try:
        with store.transaction() as s:
            audits.save_answer(s, audit_id, "q0_3", "good", actor="Made-up Auditor")  # a grade question
        with store.transaction() as s:
            first = audits.save_answer(s, audit_id, TYPED_QUESTION, "Made-up words", actor="Made-up Auditor")
        other = sqlite3.connect(str(tmp_path / "qadesk.sqlite"), isolation_level=None)
        other.execute("UPDATE answers SET value = ? WHERE audit_id = ? AND question_id = 'q0_3'",
                      (json.dumps("inadequate"), audit_id))
        other.execute("UPDATE audits SET revision = revision + 1, updated_at = ? WHERE id = ?",
                      (datetime.now(timezone.utc).isoformat(" "), audit_id))
        other.close()
        with store.transaction() as s:
            second = audits.save_answer(s, audit_id, TYPED_QUESTION, "Other made-up words", actor="Made-up Auditor")
        with store.session() as s:
            state = audits.state_of(audits.get_audit(s, audit_id))
        t = template_from_dict(make_template(50), "test")
        assert state.answers["q0_3"] == "inadequate"
        assert second.suggested == suggest_overall(t, state.answers, state.section_grades)
        assert second.suggested != first.suggested
    finally:
        store.close()
