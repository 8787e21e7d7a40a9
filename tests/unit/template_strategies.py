"""Hypothesis strategies for valid templates (used by the Excel round-trip and fuzz tests)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from qadesk.core.template import FORMAT, KINDS

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
# Text Excel can hold: no control characters except tab and line feed, no surrogates or non-characters.
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn", "Co")) | st.sampled_from("\t\n"),
               min_size=1, max_size=40).filter(lambda s: s.strip())
NUMBER = st.one_of(st.integers(-1000, 1000), st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False))


@st.composite
def choice_lists(draw: Any) -> list[dict[str, Any]]:
    values = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    return [{"value": v, "label": draw(TEXT), **({"score": draw(NUMBER)} if draw(st.booleans()) else {})}
            for v in values]


@st.composite
def templates(draw: Any) -> dict[str, Any]:
    """A valid `qadesk-template/1` dict with every kind of question and most optional keys."""
    list_names = draw(st.lists(NAMES, min_size=1, max_size=3, unique=True))
    lists = {n: draw(choice_lists()) for n in list_names}
    scored = [{"value": "hi", "label": "High", "score": 2}, {"value": "lo", "label": "Low", "score": 1}]
    lists["scale_"] = scored
    sections = []
    for si in range(draw(st.integers(1, 3))):
        questions = []
        for qi in range(draw(st.integers(1, 5))):
            qid = f"q{si}_{qi}"
            qtype = draw(st.sampled_from(["text", "long_text", "integer", "decimal", "date", "range", "choice",
                                          "multi_choice", "grade", "note"]))
            q: dict[str, Any] = {"id": qid, "type": qtype, "label": draw(TEXT)}
            if qtype in ("choice", "multi_choice"):
                if draw(st.booleans()):
                    q["choices"] = draw(choice_lists())
                else:
                    q["list"] = draw(st.sampled_from(sorted(lists)))
            elif qtype == "grade":
                q["list"] = "scale_"
            elif qtype == "range":
                lo = draw(st.integers(-5, 5))
                q["min"], q["max"] = lo, lo + draw(st.integers(1, 10))
            elif qtype in ("integer", "decimal") and draw(st.booleans()):
                q["min"], q["max"] = -1.5, draw(st.floats(0, 1e6, allow_nan=False))
            elif qtype == "date" and draw(st.booleans()):
                q["min"] = "2020-01-01"
            if draw(st.booleans()):
                q["guidance"] = draw(TEXT)
            if qtype != "note":
                q["required"] = draw(st.sampled_from([True, False, "${" + questions[0]["id"] + "} != ''"]
                                                     if questions and questions[0]["type"] != "note"
                                                     else [True, False]))
                if draw(st.booleans()):
                    q["evidence"] = draw(st.sampled_from(["optional", "required"]))
                if draw(st.booleans()):
                    q["weight"] = draw(st.floats(0, 100, allow_nan=False))
                if draw(st.booleans()):
                    q["constraint"] = ". != 'x'"
                    q["constraint_message"] = draw(TEXT)
            questions.append(q)
        sid = f"s{si}"
        section: dict[str, Any] = {"id": sid, "title": draw(TEXT), "questions": questions}
        if draw(st.booleans()):
            section["guidance"] = draw(TEXT)
        if draw(st.booleans()):
            section["agency"] = draw(TEXT)
        if draw(st.booleans()):
            section["grade"] = {"list": "scale_"}
        sections.append(section)
    kind = draw(st.sampled_from(KINDS))
    suggest = draw(st.sampled_from(["none", "lowest_section", "mean_score"]))
    overall: dict[str, Any] = {"list": "scale_", "suggest": suggest}
    if suggest == "mean_score":
        overall["thresholds"] = [{"min": draw(st.floats(1, 3, allow_nan=False)), "value": "hi"},
                                 {"min": 0, "value": "lo"}]
    return {"format": FORMAT, "id": draw(st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?", fullmatch=True)),
            "version": draw(st.integers(1, 1_000_000)), "title": draw(TEXT), "kind": kind,
            "theme": draw(TEXT) if kind == "thematic" else draw(st.none() | TEXT),
            "publisher": draw(st.none() | TEXT), "description": draw(st.none() | TEXT),
            "lists": lists, "overall": overall, "sections": sections}
