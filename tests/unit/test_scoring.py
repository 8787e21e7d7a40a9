"""Scoring, the suggested overall grade, completion, section states and what stops submit (core only)."""

from __future__ import annotations

from datetime import date

import pytest

from qadesk.core.audit import AuditState, completion, missing_for_submit, section_state
from qadesk.core.scoring import mean_score, question_score, rationale_needed, suggest_overall
from qadesk.core.template import Template, template_from_dict

TODAY = date(2026, 11, 25)

OFSTED4 = [
    {"value": "outstanding", "label": "Outstanding", "score": 4},
    {"value": "good", "label": "Good", "score": 3},
    {"value": "ri", "label": "Requires improvement to be good", "score": 2},
    {"value": "inadequate", "label": "Inadequate", "score": 1},
]
# A section scale whose values are not on the overall list: lowest_section must map by score.
STRENGTH3 = [
    {"value": "strong", "label": "Strong", "score": 3},
    {"value": "adequate", "label": "Adequate", "score": 2},
    {"value": "weak", "label": "Weak", "score": 1},
]
YES_NO_NA = [
    {"value": "yes", "label": "Yes", "score": 1},
    {"value": "no", "label": "No", "score": 0},
    {"value": "na", "label": "Not applicable"},
]


def make(overall: dict, sections: list[dict]) -> Template:
    return template_from_dict({
        "format": "qadesk-template/1", "id": "scoring-test", "version": 1, "title": "Scoring test",
        "kind": "regular",
        "lists": {"ofsted4": OFSTED4, "strength3": STRENGTH3, "yes_no_na": YES_NO_NA},
        "overall": overall, "sections": sections,
    })


def lowest_template() -> Template:
    return make({"list": "ofsted4", "suggest": "lowest_section"}, [
        {"id": "voice", "title": "Voice", "grade": {"list": "ofsted4"},
         "questions": [{"id": "seen", "type": "choice", "list": "yes_no_na", "label": "Seen alone?"}]},
        {"id": "plan", "title": "Planning", "grade": {"list": "ofsted4"},
         "questions": [{"id": "plan_ok", "type": "choice", "list": "yes_no_na", "label": "Plan current?"}]},
        {"id": "health", "title": "Health", "grade": {"list": "strength3"},
         "relevant": "${seen} != 'na'",
         "questions": [{"id": "health_ok", "type": "text", "label": "Health notes"}]},
    ])


def mean_template() -> Template:
    return make({"list": "ofsted4", "suggest": "mean_score",
                 "thresholds": [{"min": 3.5, "value": "outstanding"}, {"min": 2.5, "value": "good"},
                                {"min": 1.5, "value": "ri"}, {"min": 0, "value": "inadequate"}]}, [
        {"id": "a", "title": "A", "questions": [
            {"id": "g1", "type": "grade", "list": "ofsted4", "label": "Grade 1", "weight": 3},
            {"id": "g2", "type": "grade", "list": "ofsted4", "label": "Grade 2"},
            {"id": "g0", "type": "grade", "list": "ofsted4", "label": "Ignored", "weight": 0},
            {"id": "yn", "type": "choice", "list": "yes_no_na", "label": "Not a grade question"},
            {"id": "g3", "type": "grade", "list": "ofsted4", "label": "Only if yes",
             "relevant": "${yn} = 'yes'", "weight": 10},
        ]},
        {"id": "b", "title": "B", "grade": {"list": "ofsted4"},
         "questions": [{"id": "t", "type": "text", "label": "Notes"}]},
    ])


# ------------------------------------------------------------------ question scores


def test_question_score_comes_from_the_choice() -> None:
    t = lowest_template()
    q = t.question("seen")
    assert question_score(q, "yes") == 1
    assert question_score(q, "no") == 0
    assert question_score(q, "na") is None  # not applicable carries no score
    assert question_score(q, "maybe") is None
    assert question_score(t.question("health_ok"), "yes") is None  # text never scores


# ------------------------------------------------------------------ lowest_section


def test_lowest_section_picks_the_lowest_judgement_given() -> None:
    t = lowest_template()
    assert suggest_overall(t, {}, {}) is None  # nothing judged yet
    assert suggest_overall(t, {}, {"voice": "good"}) == "good"
    assert suggest_overall(t, {}, {"voice": "good", "plan": "ri"}) == "ri"
    assert suggest_overall(t, {}, {"voice": "inadequate", "plan": "outstanding"}) == "inadequate"


@pytest.mark.parametrize(("health", "others", "expected"), [
    ("weak", "good", "inadequate"),       # score 1 -> the overall choice scoring 1
    ("adequate", "good", "ri"),           # score 2 -> 'ri'
    ("strong", "outstanding", "good"),    # score 3 -> 'good', the lowest section
    ("strong", "ri", "ri"),               # a section on the overall list is lower
])
def test_lowest_section_maps_a_different_section_list_by_score(health: str, others: str, expected: str) -> None:
    t = lowest_template()
    grades = {"voice": others, "plan": others, "health": health}
    assert suggest_overall(t, {"seen": "yes"}, grades) == expected


def test_lowest_section_ignores_sections_that_do_not_apply() -> None:
    t = lowest_template()
    grades = {"voice": "good", "plan": "good", "health": "weak"}
    assert suggest_overall(t, {"seen": "na"}, grades) == "good"  # 'health' is hidden when seen = na
    assert suggest_overall(t, {"seen": "no"}, grades) == "inadequate"


# ------------------------------------------------------------------ mean_score


def test_mean_score_weights_grade_questions_and_counts_section_judgements_once() -> None:
    t = mean_template()
    assert mean_score(t, {}, {}) is None
    # g1 good (3) x3, g2 inadequate (1) x1 -> (9 + 1) / 4 = 2.5
    assert mean_score(t, {"g1": "good", "g2": "inadequate"}, {}) == pytest.approx(2.5)
    # the weight-0 question and the choice question never count
    assert mean_score(t, {"g1": "good", "g2": "inadequate", "g0": "outstanding", "yn": "no"}, {}) == \
        pytest.approx(2.5)
    # + section b outstanding (4) weight 1 -> (10 + 4) / 5 = 2.8
    assert mean_score(t, {"g1": "good", "g2": "inadequate"}, {"b": "outstanding"}) == pytest.approx(2.8)
    # g3 counts only while relevant: yn = yes adds 10 x 4
    values = {"g1": "good", "g2": "inadequate", "g3": "outstanding", "yn": "yes"}
    assert mean_score(t, values, {}) == pytest.approx((9 + 1 + 40) / 14)
    values["yn"] = "no"
    assert mean_score(t, values, {}) == pytest.approx(2.5)


@pytest.mark.parametrize(("values", "grades", "expected"), [
    ({"g1": "outstanding"}, {}, "outstanding"),                     # 4.0
    ({"g1": "outstanding", "g2": "inadequate"}, {}, "good"),        # 3.25
    ({"g1": "good", "g2": "inadequate"}, {}, "good"),               # 2.5 reaches 2.5 exactly
    ({"g1": "ri", "g2": "good"}, {}, "ri"),                         # 2.25
    ({"g1": "inadequate", "g2": "ri"}, {}, "inadequate"),           # 1.25
    ({}, {"b": "ri"}, "ri"),                                        # section judgement alone
    ({}, {}, None),
])
def test_mean_score_thresholds_are_read_in_order(values: dict, grades: dict, expected: str | None) -> None:
    assert suggest_overall(mean_template(), values, grades) == expected


def test_rule_none_suggests_nothing() -> None:
    t = make({"list": "ofsted4", "suggest": "none"},
             [{"id": "a", "title": "A", "grade": {"list": "ofsted4"}, "questions": []}])
    assert suggest_overall(t, {}, {"a": "good"}) is None


def test_rationale_needed_only_when_the_judgement_differs_from_a_suggestion() -> None:
    assert rationale_needed("good", "ri") is True
    assert rationale_needed("ri", "ri") is False
    assert rationale_needed("good", None) is False  # nothing suggested: nothing to differ from
    assert rationale_needed(None, "ri") is False    # no judgement yet
    assert rationale_needed("", "ri") is False


# ------------------------------------------------------------------ completion, states, missing


def form() -> Template:
    return make({"list": "ofsted4", "suggest": "lowest_section"}, [
        {"id": "visits", "title": "Visits", "grade": {"list": "ofsted4"}, "questions": [
            {"id": "intro", "type": "note", "label": "Read first"},
            {"id": "seen", "type": "choice", "list": "yes_no_na", "label": "Seen alone?", "required": True,
             "evidence": "required"},
            {"id": "why", "type": "long_text", "label": "Why not?", "relevant": "${seen} = 'no'", "required": True},
            {"id": "count", "type": "integer", "label": "How many visits?", "constraint": ". <= 20",
             "constraint_message": "At most 20 visits."},
            {"id": "last", "type": "date", "label": "Last visit", "required": "${count} > 0"},
        ]},
        {"id": "health", "title": "Health", "relevant": "${seen} != 'na'", "questions": [
            {"id": "gp", "type": "text", "label": "GP registered?", "required": True},
        ]},
        {"id": "extra", "title": "Extra", "questions": [
            {"id": "comments", "type": "long_text", "label": "Comments"},
        ]},
    ])


def test_completion_counts_relevant_required_and_answered_questions_and_judgements() -> None:
    t = form()
    # seen (required), gp (required, section relevant while seen is unanswered), visits judgement
    assert completion(t, AuditState(), TODAY) == (0, 3)
    st = AuditState(answers={"seen": "no"}, evidence={"seen": "file note 3 May"})
    assert completion(t, st, TODAY) == (1, 4)  # 'why' is now relevant and required
    st.answers["why"] = "Mother stayed"
    st.answers["count"] = 3  # optional but answered: counts; 'last' becomes required
    assert completion(t, st, TODAY) == (3, 6)
    st.answers["last"] = "2026-11-01"
    st.answers["gp"] = "Yes"
    st.section_grades["visits"] = "good"
    assert completion(t, st, TODAY) == (6, 6)
    st.answers["seen"] = "na"  # health hidden, why hidden
    assert completion(t, st, TODAY) == (4, 4)


def test_completion_does_not_count_an_answer_with_a_problem_as_done() -> None:
    t = form()
    st = AuditState(answers={"seen": "yes"})  # evidence note missing
    done, total = completion(t, st, TODAY)
    assert (done, total) == (0, 3)
    st.answers["count"] = 50  # breaks the constraint
    assert completion(t, st, TODAY) == (0, 5)


def test_section_state_walks_through_its_states() -> None:
    t = form()
    visits, health, extra = t.sections
    st = AuditState()
    assert section_state(t, visits, st, TODAY) == "not_started"
    assert section_state(t, extra, st, TODAY) == "not_started"
    st.answers["seen"] = "yes"
    assert section_state(t, visits, st, TODAY) == "problems"  # evidence required
    st.evidence["seen"] = "Case note 2 Nov"
    assert section_state(t, visits, st, TODAY) == "in_progress"  # judgement still missing
    st.section_grades["visits"] = "good"
    assert section_state(t, visits, st, TODAY) == "complete"
    st.answers["count"] = 40
    assert section_state(t, visits, st, TODAY) == "problems"
    st.answers["count"] = 2  # now 'last' is required and empty
    assert section_state(t, visits, st, TODAY) == "in_progress"
    st.answers["seen"] = "na"
    assert section_state(t, health, st, TODAY) == "hidden"
    st.answers["comments"] = "Nothing more"
    assert section_state(t, extra, st, TODAY) == "complete"


def test_missing_for_submit_in_form_order_with_keys() -> None:
    t = form()
    st = AuditState(answers={"seen": "no", "count": 25})
    missing = missing_for_submit(t, st, suggested=None, today=TODAY)
    assert [m.key for m in missing] == [
        "question.seen",            # evidence note required
        "question.why",             # required once seen = no
        "question.count",           # constraint broken
        "question.last",            # required because count > 0
        "section_grade.visits",
        "question.gp",
        "overall.grade",
    ]
    assert [(m.section_id, m.question_id) for m in missing][:2] == [("visits", "seen"), ("visits", "why")]
    assert missing[0].message == "Visits — Seen alone?: An evidence note is required."
    assert missing[2].message == "Visits — How many visits?: At most 20 visits."
    assert missing[4].message == "Visits: the section judgement is missing"
    assert missing[-1].message == "The overall judgement is missing"


def test_missing_for_submit_asks_for_a_rationale_only_when_the_grade_differs() -> None:
    t = form()
    st = AuditState(answers={"seen": "na", "count": 0}, evidence={"seen": "n/a"},
                    section_grades={"visits": "good"}, overall_grade="good")
    assert missing_for_submit(t, st, suggested="good", today=TODAY) == []
    st.overall_grade = "outstanding"
    missing = missing_for_submit(t, st, suggested="good", today=TODAY)
    assert [m.key for m in missing] == ["overall.rationale"]
    st.overall_rationale = "Exceptional direct work with the child"
    assert missing_for_submit(t, st, suggested="good", today=TODAY) == []
