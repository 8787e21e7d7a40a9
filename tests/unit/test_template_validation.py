"""Template loading and validation: every mistake is found, located and explained; (id, version) is immutable."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from qadesk.core.errors import Conflict, ValidationError
from qadesk.core.template import Template, template_from_dict

FORMS = Path(__file__).resolve().parents[2] / "forms"
SHIPPED = sorted(FORMS.glob("*.json"))


def minimal() -> dict:
    """The smallest sensible template: one graded section, a choice, a follow-up, a note and a number."""
    return {
        "format": "qadesk-template/1",
        "id": "mini-audit",
        "version": 1,
        "title": "Mini audit",
        "kind": "regular",
        "lists": {
            "ofsted4": [
                {"value": "good", "label": "Good", "score": 3},
                {"value": "ri", "label": "Requires improvement", "score": 2},
            ],
            "yes_no": [
                {"value": "yes", "label": "Yes", "score": 1},
                {"value": "no", "label": "No", "score": 0},
            ],
        },
        "overall": {"list": "ofsted4", "suggest": "lowest_section"},
        "sections": [
            {
                "id": "voice",
                "title": "Voice of the child",
                "grade": {"list": "ofsted4"},
                "questions": [
                    {"id": "seen_alone", "type": "choice", "list": "yes_no", "label": "Seen alone?",
                     "required": True, "evidence": "optional"},
                    {"id": "seen_alone_why", "type": "long_text", "label": "Why not?",
                     "relevant": "${seen_alone} = 'no'", "required": True},
                    {"id": "intro", "type": "note", "label": "Read the case summary first."},
                    {"id": "visits", "type": "integer", "label": "Visits", "min": 0, "max": 10},
                ],
            }
        ],
    }


def questions(d: dict, section: int = 0) -> list[dict]:
    return d["sections"][section]["questions"]


def problems_of(mutate: Callable[[dict], object]) -> list[str]:
    d = minimal()
    mutate(d)
    with pytest.raises(ValidationError) as info:
        template_from_dict(d, "mini.json")
    assert info.value.source == "mini.json"
    return [str(p) for p in info.value.problems]


# ------------------------------------------------------------------ good templates


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_template_loads(path: Path) -> None:
    t = template_from_dict(json.loads(path.read_text("utf-8")), str(path))
    assert isinstance(t, Template)
    assert t.key == f"{t.id}@{t.version}"
    assert any(True for _ in t.questions())


def test_there_are_seven_shipped_templates_one_per_kind() -> None:
    kinds = {json.loads(p.read_text("utf-8"))["kind"] for p in SHIPPED}
    assert kinds == {"regular", "thematic", "multi_agency", "data_led", "supervision", "observation",
                     "family_feedback"}


def test_minimal_template_loads_with_its_parts() -> None:
    t = template_from_dict(minimal())
    assert (t.id, t.version, t.kind, t.title) == ("mini-audit", 1, "regular", "Mini audit")
    assert [q.id for q in t.questions()] == ["seen_alone", "seen_alone_why", "intro", "visits"]
    q = t.question("seen_alone")
    assert q.section_id == "voice" and q.required is True and q.evidence == "optional"
    assert [c.value for c in q.choices] == ["yes", "no"]
    assert t.question("visits").min == 0 and t.question("visits").max == 10
    assert not t.question("intro").answerable
    assert t.section("voice").grade_list == "ofsted4"
    assert t.overall.suggest == "lowest_section"


def test_the_example_in_the_format_doc_loads() -> None:
    doc = (FORMS.parent / "docs" / "template-format.md").read_text("utf-8")
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    t = template_from_dict(json.loads(example), "docs/template-format.md")
    assert t.key == "voice-and-planning@1"
    assert {q.type for q in t.questions()} == {"note", "choice", "long_text", "integer", "date", "range",
                                               "multi_choice", "grade", "decimal", "text"}


def test_a_constraint_may_name_its_own_question() -> None:
    d = minimal()
    questions(d)[3]["constraint"] = "${visits} <= 8 and . >= 0"
    t = template_from_dict(d)
    assert t.question("visits").constraint == "${visits} <= 8 and . >= 0"


def test_inline_choices_and_true_false_functions_load() -> None:
    d = minimal()
    questions(d).append({"id": "mood", "type": "choice", "label": "Mood",
                         "choices": [{"value": "calm", "label": "Calm"}, {"value": "upset", "label": "Upset"}],
                         "required": "true()", "relevant": "not(false())"})
    t = template_from_dict(d)
    assert t.question("mood").inline_choices
    assert [c.value for c in t.question("mood").choices] == ["calm", "upset"]


# ------------------------------------------------------------------ mistakes, one at a time

Q = "section voice / question"

MISTAKES: list[tuple[str, Callable[[dict], object], str, list[str]]] = [
    ("bad reference in relevant",
     lambda d: questions(d)[1].update(relevant="${seen_alon} = 'no'"),
     f"{Q} seen_alone_why / relevant", ["unknown reference ${seen_alon}", "position 0", "did you mean ${seen_alone}"]),
    ("syntax error in constraint",
     lambda d: questions(d)[3].update(constraint=". >> 3"),
     f"{Q} visits / constraint", ["expected a value", "position 3", '". >> 3"']),
    ("unclosed string in constraint",
     lambda d: questions(d)[3].update(constraint=". = 'x"),
     f"{Q} visits / constraint", ["not closed", "position 4"]),
    ("duplicate question id",
     lambda d: questions(d).append({"id": "seen_alone", "type": "text", "label": "Again"}),
     f"{Q} seen_alone", ["the id 'seen_alone' is already used by question seen_alone in section voice"]),
    ("duplicate id between section and question",
     lambda d: d["sections"].append({"id": "visits", "title": "Visits", "grade": {"list": "ofsted4"}}),
     "section visits", ["the id 'visits' is already used by question visits in section voice"]),
    ("duplicate section id",
     lambda d: d["sections"].append({"id": "voice", "title": "Again", "grade": {"list": "ofsted4"}}),
     "section voice", ["the id 'voice' is already used by section voice"]),
    ("unknown list",
     lambda d: questions(d)[0].update(list="yes_no_maybe"),
     f"{Q} seen_alone", ["the list 'yes_no_maybe' is not defined in 'lists'"]),
    ("thematic without a theme",
     lambda d: d.update(kind="thematic"),
     "template / theme", ["a thematic audit needs a 'theme'"]),
    ("bad kind",
     lambda d: d.update(kind="monthly"),
     "template / kind", ["'kind' must be one of regular, thematic", "not 'monthly'"]),
    ("bad template id",
     lambda d: d.update(id="Mini Audit"),
     "template / id", ["lower-case letters, digits and hyphens"]),
    ("version 0",
     lambda d: d.update(version=0),
     "template / version", ["positive whole number", "not the number 0"]),
    ("version as text",
     lambda d: d.update(version="1"),
     "template / version", ["positive whole number", "not '1'"]),
    ("version true",
     lambda d: d.update(version=True),
     "template / version", ["positive whole number", "not true/false"]),
    ("version a fraction",
     lambda d: d.update(version=1.5),
     "template / version", ["positive whole number"]),
    ("range without max",
     lambda d: questions(d).append({"id": "scale", "type": "range", "label": "Scale", "min": 0}),
     f"{Q} scale", ["a range question needs both 'min' and 'max'"]),
    ("min not below max",
     lambda d: questions(d)[3].update(min=10, max=10),
     f"{Q} visits", ["'min' (10) must be less than 'max' (10)"]),
    ("date min after max",
     lambda d: questions(d).append({"id": "seen_on", "type": "date", "label": "Seen on", "min": "2026-12-01",
                                    "max": "2026-01-01"}),
     f"{Q} seen_on", ["'min' (2026-12-01) must be before 'max' (2026-01-01)"]),
    ("date bound not a date",
     lambda d: questions(d).append({"id": "seen_on", "type": "date", "label": "Seen on", "min": "2026-13-01"}),
     f"{Q} seen_on", ["must be a date written YYYY-MM-DD"]),
    ("grade list without scores",
     lambda d: (d["lists"].update(plain=[{"value": "a", "label": "A"}]),
                questions(d).append({"id": "g", "type": "grade", "label": "Grade", "list": "plain"})),
     f"{Q} g", ["a grade question needs a list whose choices carry scores"]),
    ("choice without list",
     lambda d: questions(d)[0].pop("list"),
     f"{Q} seen_alone", ["a 'choice' question needs a 'list' or inline 'choices'"]),
    ("both list and choices",
     lambda d: questions(d)[0].update(choices=[{"value": "a", "label": "A"}]),
     f"{Q} seen_alone", ["give either 'list' or 'choices', not both"]),
    ("list on a text question",
     lambda d: questions(d)[1].update(list="yes_no"),
     f"{Q} seen_alone_why", ["a 'long_text' question takes no 'list' or 'choices'"]),
    ("unknown question key with did-you-mean",
     lambda d: questions(d)[0].update(relevent="true()"),
     f"{Q} seen_alone", ["unknown key 'relevent' (did you mean 'relevant'?)"]),
    ("unknown template key with did-you-mean",
     lambda d: d.update(titel="Mini"),
     "template", ["unknown key 'titel' (did you mean 'title'?)"]),
    ("cycle between two questions' relevance",
     lambda d: questions(d)[0].update(relevant="${seen_alone_why} = ''"),
     f"{Q} seen_alone", ["goes round in a circle", "${seen_alone} → ${seen_alone_why} → ${seen_alone}",
                         "(relevant: ${seen_alone_why} at position 0)"]),
    ("a question relevant on itself",
     lambda d: questions(d)[1].update(relevant="${seen_alone_why} = ''"),
     f"{Q} seen_alone_why", ["circle", "${seen_alone_why} → ${seen_alone_why}"]),
    ("cycle through 'required', said where in the expression",
     lambda d: questions(d)[0].update(required="${visits} > 2 and ${seen_alone_why} = ''"),
     f"{Q} seen_alone", ["goes round in a circle", "(required: ${seen_alone_why} at position 18)"]),
    ("reference to a note",
     lambda d: questions(d)[1].update(relevant="${intro} = 'x'"),
     f"{Q} seen_alone_why / relevant", ["${intro} at position 0 is a note, which has no answer"]),
    ("mean_score without thresholds",
     lambda d: d["overall"].update(suggest="mean_score"),
     "template / overall", ["'mean_score' needs 'thresholds'"]),
    ("threshold value not in list",
     lambda d: d["overall"].update(suggest="mean_score", thresholds=[{"min": 2, "value": "great"}]),
     "template / overall / threshold 1", ["value 'great' is not in the list 'ofsted4'"]),
    ("thresholds out of order",
     lambda d: d["overall"].update(suggest="mean_score", thresholds=[{"min": 0, "value": "ri"},
                                                                     {"min": 2.5, "value": "good"}]),
     "template / overall / threshold 2", ["can never be reached", "threshold 1 (min 0)", "highest 'min' down"]),
    ("unknown suggest rule",
     lambda d: d["overall"].update(suggest="average"),
     "template / overall", ["'suggest' must be one of none, lowest_section, mean_score"]),
    ("overall list unknown",
     lambda d: d["overall"].update(list="ofsted5"),
     "template / overall", ["'list' must name one of the template's lists; 'ofsted5' is not one"]),
    ("duplicate choice value",
     lambda d: d["lists"]["yes_no"].append({"value": "yes", "label": "Yes again"}),
     "list yes_no / choice 3", ["value 'yes' appears twice in the list"]),
    ("choice value a number",
     lambda d: d["lists"]["yes_no"].append({"value": 3, "label": "Three"}),
     "list yes_no / choice 3", ["'value' must be text; write \"3\" in quotes"]),
    ("section with no questions and no grade",
     lambda d: d["sections"].append({"id": "empty", "title": "Empty", "questions": []}),
     "section empty", ["the section has no questions and no judgement"]),
    ("evidence value wrong",
     lambda d: questions(d)[0].update(evidence="sometimes"),
     f"{Q} seen_alone", ["'evidence' must be none, optional or required; not 'sometimes'"]),
    ("required expression with unknown reference",
     lambda d: questions(d)[3].update(required="${nope} > 1"),
     f"{Q} visits / required", ["unknown reference ${nope} at position 0"]),
    ("negative weight",
     lambda d: questions(d)[0].update(weight=-1),
     f"{Q} seen_alone", ["'weight' must be a number of zero or more, not the number -1"]),
    ("bad question type",
     lambda d: questions(d)[3].update(type="dropdown"),
     f"{Q} visits", ["'type' must be one of text, long_text", "not 'dropdown'"]),
    ("bad format",
     lambda d: d.update(format="qadesk-template/2"),
     "template / format", ["'format' must be \"qadesk-template/1\""]),
    ("section grade on an unknown list",
     lambda d: d["sections"][0].update(grade={"list": "nope"}),
     "section voice / grade", ["naming one of the template's lists", "'nope'"]),
    ("a required note",
     lambda d: questions(d)[2].update(required=True),
     f"{Q} intro", ["a note has no answer, so it cannot be required"]),
    ("a label missing",
     lambda d: questions(d)[3].pop("label"),
     f"{Q} visits", ["'label' is missing"]),
    ("a bad question id",
     lambda d: questions(d)[3].update(id="2visits"),
     "section voice / question 4", ["question id '2visits' must be a letter, then letters, digits and underscores"]),
    ("section relevant with unknown reference",
     lambda d: d["sections"][0].update(relevant="${somewhere} = 1"),
     "section voice / relevant", ["unknown reference ${somewhere} at position 0"]),
    ("no sections",
     lambda d: d.update(sections=[]),
     "template / sections", ["'sections' must be a non-empty list"]),
    ("min on a choice question",
     lambda d: questions(d)[0].update(min=1),
     f"{Q} seen_alone", ["a 'choice' question takes no 'min' or 'max'"]),
]


def test_at_least_twenty_five_distinct_mistakes_are_covered() -> None:
    assert len({name for name, *_ in MISTAKES}) >= 25


@pytest.mark.parametrize(("mutate", "where", "fragments"), [m[1:] for m in MISTAKES], ids=[m[0] for m in MISTAKES])
def test_each_mistake_gives_one_located_plain_error(mutate, where: str, fragments: list[str]) -> None:
    found = problems_of(mutate)
    assert len(found) == 1, found  # one mistake, one message: no knock-on noise
    text = found[0]
    assert text.startswith(where + ": "), text
    for fragment in fragments:
        assert fragment in text, (fragment, text)


def test_non_object_top_level_is_refused() -> None:
    for data in ([1, 2], "template", 3, None):
        with pytest.raises(ValidationError) as info:
            template_from_dict(data, "top.json")
        assert "a template must be a JSON object at the top level" in str(info.value)
        assert str(info.value).startswith("top.json: ")


def test_a_refused_question_is_not_reported_again_as_an_unknown_reference() -> None:
    # Bug fixed: a question with its own mistake (here a bad 'evidence') disappeared from the
    # index, so every ${reference} to it was also reported as "unknown", confusing the QA lead.
    found = problems_of(lambda d: questions(d)[0].update(evidence="always"))
    assert found == ["section voice / question seen_alone: 'evidence' must be none, optional or required; "
                     "not 'always'"]


def test_several_mistakes_are_all_reported_in_one_error() -> None:
    def break_many(d: dict) -> None:
        d.update(kind="thematic", version=0)
        questions(d)[1]["relevant"] = "${seen_alon} = 'no'"
        questions(d)[3]["constraint"] = ". >> 3"
        questions(d).append({"id": "seen_alone", "type": "text", "label": "Again"})
        questions(d)[0]["list"] = "nope"
        d["overall"]["list"] = "ofsted5"

    found = problems_of(break_many)
    joined = "\n".join(found)
    for fragment in ("template / version", "template / theme", "unknown reference ${seen_alon}",
                     "question visits / constraint", "already used by question seen_alone",
                     "the list 'nope' is not defined", "template / overall"):
        assert fragment in joined, (fragment, joined)
    assert len(found) == 7


def test_the_error_message_lists_every_problem_with_the_file_name() -> None:
    d = minimal()
    d["kind"] = "weekly"
    d["version"] = "2"
    with pytest.raises(ValidationError) as info:
        template_from_dict(d, "forms/x.json")
    lines = str(info.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("forms/x.json: template / ") for line in lines)


# ------------------------------------------------------------------ round trip


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_round_trip_is_lossless(path: Path) -> None:
    t = template_from_dict(json.loads(path.read_text("utf-8")))
    again = template_from_dict(t.to_dict())
    assert again == t
    assert again.fingerprint() == t.fingerprint()
    assert template_from_dict(json.loads(t.to_json())) == t


def test_fingerprint_changes_with_content() -> None:
    a = template_from_dict(minimal())
    d = minimal()
    questions(d)[0]["label"] = "Seen alone at every visit?"
    assert template_from_dict(d).fingerprint() != a.fingerprint()


# ------------------------------------------------------------------ (id, version) is immutable


def _import(store, data: dict) -> tuple[object, bool]:
    from qadesk.services.templates import import_template

    with store.transaction() as s:
        row, created = import_template(s, template_from_dict(data), actor="test")
        return row.pk, created


def _versions(store) -> list[tuple[str, int, str]]:
    from qadesk.services.templates import list_templates

    with store.session() as s:
        return [(i.id, i.version, i.title) for i in list_templates(s)]


def test_same_content_twice_is_a_no_op(store) -> None:
    from sqlalchemy import func, select

    from qadesk.store.models import HistoryEntry

    pk1, created1 = _import(store, minimal())
    pk2, created2 = _import(store, minimal())
    assert created1 is True and created2 is False and pk1 == pk2
    assert _versions(store) == [("mini-audit", 1, "Mini audit")]
    with store.session() as s:
        # the new store's baseline entry, and one import
        assert s.execute(select(func.count()).select_from(HistoryEntry)).scalar() == 2


def test_different_content_same_version_is_refused_and_stores_nothing(store) -> None:
    _import(store, minimal())
    changed = minimal()
    changed["title"] = "Mini audit, revised"
    with pytest.raises(Conflict) as info:
        _import(store, changed)
    assert "mini-audit@1 is already stored with different content" in str(info.value)
    assert "higher version" in str(info.value)
    assert _versions(store) == [("mini-audit", 1, "Mini audit")]


def test_higher_version_is_new_and_existing_audits_stay_on_theirs(store) -> None:
    from qadesk.services import audits as svc

    _import(store, minimal())
    with store.transaction() as s:
        first = svc.start_audit(s, "mini-audit", svc.Subject(case_ref="CR-1"), svc.Actor("A. Auditor")).id
    v2 = minimal()
    v2["version"] = 2
    v2["title"] = "Mini audit v2"
    questions(v2).append({"id": "plan", "type": "text", "label": "Plan"})
    _pk, created = _import(store, v2)
    assert created
    assert _versions(store) == [("mini-audit", 1, "Mini audit"), ("mini-audit", 2, "Mini audit v2")]
    with store.transaction() as s:
        second = svc.start_audit(s, "mini-audit", svc.Subject(case_ref="CR-2"), svc.Actor("A. Auditor")).id
    with store.session() as s:
        old = svc.get_audit(s, first)
        new = svc.get_audit(s, second)
        assert svc.audit_document(old)["template"] == {"id": "mini-audit", "version": 1}
        assert svc.audit_document(new)["template"] == {"id": "mini-audit", "version": 2}
        assert not svc.template_for(old).has_question("plan")
        assert svc.template_for(new).has_question("plan")


# ------------------------------------------------------------------ hostile input: wrong types everywhere

WRONG_VALUES = [None, True, 0, -1, 1.5, 1e300, "", "x", "${x}", [], ["x"], {}, {"list": ["x"]}, [{}]]


def _every_path(obj: object, prefix: tuple = ()):
    yield prefix
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from _every_path(value, prefix + (key,))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _every_path(value, prefix + (i,))


def test_any_value_of_the_wrong_type_anywhere_is_a_validation_error_never_a_crash() -> None:
    # Bug fixed: a threshold 'value' or a section 'grade' list given as a list/object raised
    # TypeError (unhashable) instead of a located validation error.
    base = minimal()
    base["overall"].update(suggest="mean_score", thresholds=[{"min": 2.5, "value": "good"}, {"min": 0, "value": "ri"}])
    questions(base).extend([
        {"id": "seen_on", "type": "date", "label": "Seen on", "min": "2020-01-01", "max": "2030-12-31",
         "constraint": ". <= today()", "constraint_message": "Not in the future"},
        {"id": "scale", "type": "range", "label": "Scale", "min": 0, "max": 10, "weight": 2,
         "required": "${visits} > 0"},
        {"id": "mood", "type": "multi_choice", "label": "Mood", "guidance": "Tick all",
         "choices": [{"value": "calm", "label": "Calm", "score": 1}]},
    ])
    template_from_dict(base)
    for path in list(_every_path(base))[1:]:
        for wrong in WRONG_VALUES:
            d = copy.deepcopy(base)
            target = d
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = wrong
            try:
                template_from_dict(d)
            except ValidationError as exc:
                assert exc.problems and all(p.message for p in exc.problems)
            except Exception as exc:  # pragma: no cover - the failure message names the culprit
                pytest.fail(f"{path} = {wrong!r} raised {type(exc).__name__}: {exc}")
