"""Loading a template: validation of a `qadesk-template/1` dict into the model.

A template arrives as a plain dict (from JSON, or built from an Excel
workbook by :mod:`qadesk.exchange`).  :func:`template_from_dict` checks all
of it and either returns an immutable :class:`~qadesk.core.template.Template`
or raises one :class:`~qadesk.core.errors.ValidationError` listing *every*
problem, each with where it is (section id / question id / key) and what is
wrong.  The single fields are read by :mod:`qadesk.core.template_fields`; the
logic across questions is checked by :mod:`qadesk.core.template_logic`.
"""

from __future__ import annotations

from collections.abc import Mapping

from qadesk.core.dates import valid_date
from qadesk.core.errors import Problem, ValidationError
from qadesk.core.template import (
    EVIDENCE,
    FORMAT,
    KINDS,
    LIST_TYPES,
    MAX_GUIDANCE_LENGTH,
    MAX_ID_LENGTH,
    MAX_LISTS,
    MAX_QUESTIONS,
    MAX_SECTIONS,
    NAME_RE,
    QUESTION_KEYS,
    QUESTION_TYPES,
    SECTION_KEYS,
    SUGGEST_RULES,
    TEMPLATE_ID_RE,
    TEMPLATE_KEYS,
    Choice,
    Overall,
    Question,
    Section,
    Template,
    plain_number,
)
from qadesk.core.template_fields import (
    Collector,
    describe,
    is_number,
    num_or_str,
    read_choices,
    read_expression,
    read_text,
    unknown_keys,
)
from qadesk.core.template_logic import check_logic
from qadesk.core.template_marks import check_subject_fields, read_marks


def template_from_dict(data: object, source: str = "") -> Template:
    """Validate a template dict in the `qadesk-template/1` format and build the model.

    Raises :class:`ValidationError` with every problem found; nothing is
    half-built.
    """
    c = Collector()
    if not isinstance(data, dict):
        raise ValidationError([Problem("", "a template must be a JSON object at the top level")], source)
    unknown_keys(c, "template", data, TEMPLATE_KEYS)
    fmt = data.get("format")
    if fmt != FORMAT:
        c.add("template / format", f"'format' must be \"{FORMAT}\", not {describe(fmt)}")
    tid = data.get("id")
    if not isinstance(tid, str) or not TEMPLATE_ID_RE.match(tid) or len(tid) > MAX_ID_LENGTH:
        c.add("template / id", f"the template id {describe(tid)} must be lower-case letters, digits and hyphens "
                               f"(at most {MAX_ID_LENGTH} characters), e.g. 'regular-case-audit'")
        tid = None
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 1_000_000:
        c.add("template / version", f"'version' must be a positive whole number, not {describe(version)}")
        version = None
    title = read_text(c, "template", data, "title", required=True)
    kind = data.get("kind")
    if kind not in KINDS:
        c.add("template / kind", f"'kind' must be one of {', '.join(KINDS)}; not {describe(kind)}")
    theme = read_text(c, "template", data, "theme", required=False)
    if kind == "thematic" and not (theme and theme.strip()):
        c.add("template / theme", "a thematic audit needs a 'theme' (e.g. \"Neglect\")")
    publisher = read_text(c, "template", data, "publisher", required=False)
    description = read_text(c, "template", data, "description", required=False, limit=MAX_GUIDANCE_LENGTH)

    lists: dict[str, tuple[Choice, ...]] = {}
    raw_lists = data.get("lists", {})
    if not isinstance(raw_lists, dict):
        c.add("template / lists", "'lists' must be an object mapping list names to choices")
        raw_lists = {}
    if len(raw_lists) > MAX_LISTS:
        c.add("template / lists", f"has {len(raw_lists)} lists; the limit is {MAX_LISTS}")
        raw_lists = {}
    for name, items in raw_lists.items():
        if not NAME_RE.match(name) or len(name) > MAX_ID_LENGTH:
            c.add(f"list {name[:60]}", "a list name must be a letter, then letters, digits and underscores")
            continue
        lists[name] = read_choices(c, f"list {name}", items)

    sections, questions = _parse_sections(c, data.get("sections"), lists)
    overall = _parse_overall(c, data.get("overall"), lists)
    if sections:
        check_logic(c, sections, questions)
        check_subject_fields(c, questions)

    if c.problems:
        raise ValidationError(c.problems, source)
    assert tid is not None and version is not None and title is not None and overall is not None
    return Template(
        id=tid, version=version, title=title, kind=str(kind), theme=theme, publisher=publisher,
        description=description, lists=lists, overall=overall, sections=tuple(sections),
    )


def _parse_overall(c: Collector, raw: object, lists: Mapping[str, tuple[Choice, ...]]) -> Overall | None:
    where = "template / overall"
    if not isinstance(raw, dict):
        c.add(where, "'overall' must be an object such as {\"list\": \"ofsted4\", \"suggest\": \"lowest_section\"}")
        return None
    unknown_keys(c, where, raw, {"list", "suggest", "thresholds"})
    lname = raw.get("list")
    if not isinstance(lname, str) or lname not in lists:
        c.add(where, f"'list' must name one of the template's lists; {describe(lname)} is not one")
        lname = None
    suggest = raw.get("suggest", "none")
    if suggest not in SUGGEST_RULES:
        c.add(where, f"'suggest' must be one of {', '.join(SUGGEST_RULES)}; not {describe(suggest)}")
        suggest = "none"
    thresholds: list[tuple[float, str]] = []
    raw_t = raw.get("thresholds")
    if suggest == "mean_score":
        if not isinstance(raw_t, list) or not raw_t:
            c.add(where, "'mean_score' needs 'thresholds': a list of {\"min\": 2.5, \"value\": \"good\"}")
            raw_t = []
    elif raw_t is not None and not isinstance(raw_t, list):
        c.add(where, "'thresholds' must be a list")
        raw_t = []
    read: list[tuple[int, float]] = []
    for i, t in enumerate(raw_t or [], start=1):
        w = f"{where} / threshold {i}"
        if not isinstance(t, dict) or set(t) != {"min", "value"}:
            c.add(w, "each threshold must be {\"min\": number, \"value\": choice value}")
            continue
        if not is_number(t["min"]):
            c.add(w, f"'min' must be a number, not {describe(t['min'])}")
            continue
        if not isinstance(t["value"], str):
            c.add(w, f"'value' must be a choice value in text, not {describe(t['value'])}")
            continue
        if lname and t["value"] not in {ch.value for ch in lists[lname]}:
            c.add(w, f"value {describe(t['value'])} is not in the list '{lname}'")
            continue
        # Thresholds are read in order; one after a lower-or-equal 'min' could never be chosen.
        shadow = next(((j, m) for j, m in read if m <= t["min"]), None)
        if shadow is not None:
            c.add(w, f"'min' {t['min']} can never be reached: threshold {shadow[0]} (min "
                     f"{plain_number(shadow[1])}) is read first; list thresholds from the highest 'min' down")
        read.append((i, float(t["min"])))
        thresholds.append((float(t["min"]), str(t["value"])))
    if lname is None:
        return None
    return Overall(list=lname, suggest=str(suggest), thresholds=tuple(thresholds))


def _parse_sections(c: Collector, raw: object, lists: Mapping[str, tuple[Choice, ...]]
                    ) -> tuple[list[Section], dict[str, Question]]:
    if not isinstance(raw, list) or not raw:
        c.add("template / sections", "'sections' must be a non-empty list")
        return [], {}
    if len(raw) > MAX_SECTIONS:
        c.add("template / sections", f"has {len(raw)} sections; the limit is {MAX_SECTIONS}")
        return [], {}
    seen_ids: dict[str, str] = {}
    sections: list[Section] = []
    questions: dict[str, Question] = {}
    total = 0
    for si, sraw in enumerate(raw, start=1):
        if not isinstance(sraw, dict):
            c.add(f"section {si}", "each section must be an object")
            continue
        sid = sraw.get("id")
        if not isinstance(sid, str) or not NAME_RE.match(sid) or len(sid) > MAX_ID_LENGTH:
            c.add(f"section {si}", f"section id {describe(sid)} must be a letter, then letters, digits and underscores")
            sid = f"#{si}"
        elif sid in seen_ids:
            c.add(f"section {sid}", f"the id '{sid}' is already used by {seen_ids[sid]}")
        else:
            seen_ids[sid] = f"section {sid}"
        where = f"section {sid}"
        unknown_keys(c, where, sraw, SECTION_KEYS)
        title = read_text(c, where, sraw, "title", required=True) or ""
        guidance = read_text(c, where, sraw, "guidance", required=False, limit=MAX_GUIDANCE_LENGTH) or ""
        agency = read_text(c, where, sraw, "agency", required=False)
        grade_list = None
        graw = sraw.get("grade")
        if graw is not None:
            if (not isinstance(graw, dict) or set(graw) != {"list"} or not isinstance(graw["list"], str)
                    or graw["list"] not in lists):
                c.add(f"{where} / grade", f"'grade' must be {{\"list\": NAME}} naming one of the template's lists; got {describe(graw.get('list') if isinstance(graw, dict) else graw)}")
            else:
                grade_list = graw["list"]
        relevant = sraw.get("relevant")
        read_expression(c, where, "relevant", relevant)
        qraw = sraw.get("questions", [])
        if not isinstance(qraw, list):
            c.add(where, "'questions' must be a list")
            qraw = []
        if not qraw and grade_list is None:
            c.add(where, "the section has no questions and no judgement")
        total += len(qraw)
        if total > MAX_QUESTIONS:
            c.add(where, f"the template has more than {MAX_QUESTIONS} questions, the limit")
            return sections, questions
        qs: list[Question] = []
        for qi, q in enumerate(qraw, start=1):
            built = _parse_question(c, where, qi, q, lists, seen_ids)
            if built is not None:
                qs.append(built)
                questions[built.id] = built
        sections.append(Section(
            id=sid, title=title, guidance=guidance, agency=agency, grade_list=grade_list,
            relevant=relevant if isinstance(relevant, str) else None, questions=tuple(qs),
        ))
    return sections, questions


def _parse_question(c: Collector, swhere: str, qi: int, q: object, lists: Mapping[str, tuple[Choice, ...]],
                    seen_ids: dict[str, str]) -> Question | None:
    sid = swhere.split(" ", 1)[1]
    if not isinstance(q, dict):
        c.add(f"{swhere} / question {qi}", "each question must be an object")
        return None
    qid = q.get("id")
    if not isinstance(qid, str) or not NAME_RE.match(qid) or len(qid) > MAX_ID_LENGTH:
        c.add(f"{swhere} / question {qi}", f"question id {describe(qid)} must be a letter, then letters, digits and underscores")
        return None
    where = f"{swhere} / question {qid}"
    if qid in seen_ids:
        c.add(where, f"the id '{qid}' is already used by {seen_ids[qid]}")
        return None
    seen_ids[qid] = f"question {qid} in section {sid}"
    c.declared.add(qid)
    before = len(c.problems)
    unknown_keys(c, where, q, QUESTION_KEYS)
    qtype = q.get("type")
    if qtype not in QUESTION_TYPES:
        c.add(where, f"'type' must be one of {', '.join(QUESTION_TYPES)}; not {describe(qtype)}")
        return None
    label = read_text(c, where, q, "label", required=True)
    guidance = read_text(c, where, q, "guidance", required=False, limit=MAX_GUIDANCE_LENGTH) or ""
    lname = q.get("list")
    inline = q.get("choices")
    choices: tuple[Choice, ...] = ()
    if qtype in LIST_TYPES:
        if lname is not None and inline is not None:
            c.add(where, "give either 'list' or 'choices', not both")
        elif inline is not None:
            choices = read_choices(c, f"{where} / choices", inline)
        elif lname is None:
            c.add(where, f"a '{qtype}' question needs a 'list' or inline 'choices'")
        elif not isinstance(lname, str) or lname not in lists:
            c.add(where, f"the list {describe(lname)} is not defined in 'lists'")
        else:
            choices = lists[lname]
        if qtype == "grade" and choices and not any(ch.score is not None for ch in choices):
            c.add(where, "a grade question needs a list whose choices carry scores")
    elif lname is not None or inline is not None:
        c.add(where, f"a '{qtype}' question takes no 'list' or 'choices'")

    required: bool | str = False
    rraw = q.get("required", False)
    if isinstance(rraw, bool):
        required = rraw
    elif isinstance(rraw, str):
        if read_expression(c, where, "required", rraw) is not None:
            required = rraw
    else:
        c.add(where, f"'required' must be true, false or an expression; not {describe(rraw)}")
    if qtype == "note" and required is not False:
        c.add(where, "a note has no answer, so it cannot be required")
    relevant = q.get("relevant")
    read_expression(c, where, "relevant", relevant)
    constraint = q.get("constraint")
    cexpr = read_expression(c, where, "constraint", constraint)
    if cexpr is not None and qtype == "note":
        c.add(where, "a note has no answer, so it cannot have a constraint")
    cmsg = read_text(c, where, q, "constraint_message", required=False)

    qmin, qmax = q.get("min"), q.get("max")
    if qtype in ("integer", "decimal", "range"):
        for key, val in (("min", qmin), ("max", qmax)):
            if val is not None and not is_number(val):
                c.add(where, f"'{key}' must be a number, not {describe(val)}")
        if qtype == "range":
            if qmin is None or qmax is None:
                c.add(where, "a range question needs both 'min' and 'max'")
            elif is_number(qmin) and is_number(qmax) and not (float(qmin).is_integer() and float(qmax).is_integer()):
                c.add(where, "a range runs between whole numbers")
            elif is_number(qmax) and is_number(qmin) and qmax - qmin > 1000:
                c.add(where, "a range may span at most 1000 steps")
        if is_number(qmin) and is_number(qmax) and qmin >= qmax:
            c.add(where, f"'min' ({qmin}) must be less than 'max' ({qmax})")
    elif qtype == "date":
        for key, val in (("min", qmin), ("max", qmax)):
            if val is not None and not (isinstance(val, str) and valid_date(val)):
                c.add(where, f"'{key}' of a date question must be a date written YYYY-MM-DD, not {describe(val)}")
        if isinstance(qmin, str) and isinstance(qmax, str) and valid_date(qmin) and valid_date(qmax) and qmin >= qmax:
            c.add(where, f"'min' ({qmin}) must be before 'max' ({qmax})")
    elif qmin is not None or qmax is not None:
        c.add(where, f"a '{qtype}' question takes no 'min' or 'max'")

    weight = q.get("weight", 1)
    if not is_number(weight) or weight < 0:
        c.add(where, f"'weight' must be a number of zero or more, not {describe(weight)}")
        weight = 1
    evidence = q.get("evidence", "none")
    if evidence not in EVIDENCE:
        c.add(where, f"'evidence' must be none, optional or required; not {describe(evidence)}")
        evidence = "none"
    if evidence != "none" and qtype == "note":
        c.add(where, "a note has no answer, so it takes no evidence")
    urgent_concern, subject_field, learning = read_marks(c, where, q, str(qtype), choices)
    if len(c.problems) != before or label is None:
        return None
    return Question(
        id=qid, type=qtype, label=label, section_id=sid, guidance=guidance, required=required,
        relevant=relevant, constraint=constraint, constraint_message=cmsg,
        min=num_or_str(qmin), max=num_or_str(qmax), weight=float(weight), evidence=evidence,
        list=lname if inline is None else None, choices=choices, inline_choices=inline is not None,
        urgent_concern=urgent_concern, subject_field=subject_field, learning=learning,
    )
