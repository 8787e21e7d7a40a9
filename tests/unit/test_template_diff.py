"""What changed between two template versions."""

from __future__ import annotations

import copy

from qadesk.core.template import template_from_dict
from qadesk.core.template_diff import diff_templates
from qadesk.exchange.template_json import read_template_json
from tests.conftest import FORMS

BASE = read_template_json(FORMS / "regular-case-audit.json")


def _v2(change) -> object:  # type: ignore[no-untyped-def]
    data = copy.deepcopy(BASE.to_dict())
    data["version"] += 1
    change(data)
    return template_from_dict(data)


def test_same_template_has_no_changes() -> None:
    diff = diff_templates(BASE, BASE)
    assert diff.empty and "same questions" in diff.describe()


def test_added_removed_and_changed_questions_and_sections() -> None:
    first, second = BASE.sections[0], BASE.sections[1]

    def change(d: dict) -> None:
        s0 = d["sections"][0]
        s0["questions"][0]["label"] = "A new wording"
        s0["questions"].append({"id": "brand_new", "type": "text", "label": "Something new"})
        removed = next(q for q in d["sections"][1]["questions"]
                       if not any(q["id"] in str(x.get("relevant", "")) + str(x.get("required", ""))
                                  + str(x.get("constraint", "")) for s in d["sections"] for x in s["questions"]))
        d["sections"][1]["questions"].remove(removed)
        d["sections"].append({"id": "extra", "title": "Extra section",
                              "questions": [{"id": "extra_q", "type": "long_text", "label": "Anything else?"}]})
        d["title"] = "Regular case audit (2027)"
        change.removed = removed["id"]  # type: ignore[attr-defined]

    new = _v2(change)
    diff = diff_templates(BASE, new)
    by = {(c.what, c.kind, c.id): c for c in diff.changes}
    q0 = first.questions[0].id
    assert any("label:" in d and "A new wording" in d for d in by[("changed", "question", q0)].details)
    assert ("added", "question", "brand_new") in by
    assert ("removed", "question", change.removed) in by  # type: ignore[attr-defined]
    assert by[("removed", "question", change.removed)].details == (f"from section {second.id}",)  # type: ignore[attr-defined]
    assert by[("added", "section", "extra")].details == ("question extra_q: Anything else?",)
    assert ("added", "question", "extra_q") not in by  # listed with its section
    assert "title: Regular case audit → Regular case audit (2027)" in by[("changed", "template", BASE.id)].details
    text = diff.describe()
    assert text.splitlines()[0].startswith(f"{BASE.key} → {BASE.id}@{BASE.version + 1}:")


def test_choices_and_logic_changes_are_described() -> None:
    choice_q = next(q for q in BASE.questions() if q.inline_choices or q.list)
    logic_q = next(q for q in BASE.questions() if q.relevant)

    def change(d: dict) -> None:
        for s in d["sections"]:
            for q in s["questions"]:
                if q["id"] == logic_q.id:
                    q["relevant"] = "true()"
        name = choice_q.list
        if name:
            d["lists"][name][0]["label"] = "Renamed choice"
        else:
            for s in d["sections"]:
                for q in s["questions"]:
                    if q["id"] == choice_q.id:
                        q["choices"][0]["label"] = "Renamed choice"

    diff = diff_templates(BASE, _v2(change))
    logic = next(c for c in diff.changes if c.id == logic_q.id)
    assert any(d.startswith("logic (relevant):") and d.endswith("→ true()") for d in logic.details)
    assert any("Renamed choice" in d for c in diff.changes for d in c.details)
