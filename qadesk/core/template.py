"""Audit templates: the model, and loading plus validation of `qadesk-template/1`.

A template arrives as a plain dict (from JSON, or built from an Excel
workbook by :mod:`qadesk.exchange`).  :func:`template_from_dict` checks all
of it and either returns an immutable :class:`Template` or raises one
:class:`~qadesk.core.errors.ValidationError` listing *every* problem, each
with where it is (section id / question id / key) and what is wrong.

:meth:`Template.to_dict` gives the canonical JSON form back; loading that
again gives an equal template, which is what makes JSON <-> Excel lossless.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from qadesk.core.errors import Problem, ValidationError
from qadesk.core.expressions import Expression, ExpressionError, parse, reference_positions

FORMAT = "qadesk-template/1"
KINDS = ("regular", "thematic", "multi_agency", "data_led", "supervision", "observation", "family_feedback")
KIND_LABELS = {
    "regular": "Regular case audit",
    "thematic": "Thematic audit",
    "multi_agency": "Multi-agency audit",
    "data_led": "Data-led audit",
    "supervision": "Supervision audit",
    "observation": "Practice observation",
    "family_feedback": "Family feedback",
}
QUESTION_TYPES = (
    "text", "long_text", "integer", "decimal", "date", "range",
    "choice", "multi_choice", "grade", "note",
)
LIST_TYPES = ("choice", "multi_choice", "grade")
SUGGEST_RULES = ("none", "lowest_section", "mean_score")
EVIDENCE = ("none", "optional", "required")

TEMPLATE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

# Limits that keep a hostile template from costing more than a real one.
MAX_SECTIONS = 300
MAX_QUESTIONS = 5000
MAX_LISTS = 500
MAX_CHOICES = 1000
MAX_ID_LENGTH = 64
MAX_LABEL_LENGTH = 4000
MAX_GUIDANCE_LENGTH = 20000
MAX_NUMBER = 1e12

TEMPLATE_KEYS = {
    "format", "id", "version", "title", "kind", "theme", "publisher", "description",
    "lists", "overall", "sections",
}
SECTION_KEYS = {"id", "title", "guidance", "agency", "grade", "relevant", "questions"}
QUESTION_KEYS = {
    "id", "type", "label", "guidance", "required", "relevant", "constraint", "constraint_message",
    "min", "max", "weight", "evidence", "list", "choices",
}
CHOICE_KEYS = {"value", "label", "score"}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": self.value, "label": self.label}
        if self.score is not None:
            d["score"] = _plain_number(self.score)
        return d


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: str
    section_id: str
    guidance: str = ""
    required: bool | str = False
    relevant: str | None = None
    constraint: str | None = None
    constraint_message: str | None = None
    min: float | str | None = None
    max: float | str | None = None
    weight: float = 1.0
    evidence: str = "none"
    list: str | None = None
    choices: tuple[Choice, ...] = ()
    inline_choices: bool = False

    @property
    def answerable(self) -> bool:
        return self.type != "note"

    def choice(self, value: object) -> Choice | None:
        for c in self.choices:
            if c.value == value:
                return c
        return None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label}
        if self.list is not None and not self.inline_choices:
            d["list"] = self.list
        if self.inline_choices:
            d["choices"] = [c.to_dict() for c in self.choices]
        if self.guidance:
            d["guidance"] = self.guidance
        if self.required is not False:
            d["required"] = self.required
        for key in ("relevant", "constraint", "constraint_message"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value
        for key in ("min", "max"):
            value = getattr(self, key)
            if value is not None:
                d[key] = value if isinstance(value, str) else _plain_number(value)
        if self.weight != 1.0:
            d["weight"] = _plain_number(self.weight)
        if self.evidence != "none":
            d["evidence"] = self.evidence
        return d


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    guidance: str = ""
    agency: str | None = None
    grade_list: str | None = None
    relevant: str | None = None
    questions: tuple[Question, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"id": self.id, "title": self.title}
        if self.guidance:
            d["guidance"] = self.guidance
        d["agency"] = self.agency
        if self.grade_list is not None:
            d["grade"] = {"list": self.grade_list}
        if self.relevant is not None:
            d["relevant"] = self.relevant
        d["questions"] = [q.to_dict() for q in self.questions]
        return d


@dataclass(frozen=True)
class Overall:
    list: str
    suggest: str = "none"
    thresholds: tuple[tuple[float, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"list": self.list, "suggest": self.suggest}
        if self.thresholds:
            d["thresholds"] = [{"min": _plain_number(m), "value": v} for m, v in self.thresholds]
        return d


@dataclass(frozen=True)
class Template:
    id: str
    version: int
    title: str
    kind: str
    sections: tuple[Section, ...]
    lists: Mapping[str, tuple[Choice, ...]]
    overall: Overall
    theme: str | None = None
    publisher: str | None = None
    description: str | None = None
    _index: dict[str, Question] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        for s in self.sections:
            for q in s.questions:
                self._index[q.id] = q

    @property
    def key(self) -> str:
        """``id@version``, the name of this immutable template version."""
        return f"{self.id}@{self.version}"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    def questions(self) -> Iterator[Question]:
        for s in self.sections:
            yield from s.questions

    def question(self, question_id: str) -> Question:
        return self._index[question_id]

    def has_question(self, question_id: str) -> bool:
        return question_id in self._index

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def overall_choices(self) -> tuple[Choice, ...]:
        return self.lists[self.overall.list]

    def list_choices(self, name: str) -> tuple[Choice, ...]:
        return self.lists[name]

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "kind": self.kind,
            "theme": self.theme,
            "publisher": self.publisher,
            "description": self.description,
            "lists": {name: [c.to_dict() for c in items] for name, items in self.lists.items()},
            "overall": self.overall.to_dict(),
            "sections": [s.to_dict() for s in self.sections],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def fingerprint(self) -> str:
        """SHA-256 of the canonical form: equal templates have equal fingerprints."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _plain_number(x: float) -> int | float:
    if isinstance(x, float) and x.is_integer():
        return int(x)
    return x


def parse_key(text: str) -> tuple[str, int | None]:
    """Split ``id`` or ``id@version`` as the command line writes them."""
    if "@" in text:
        tid, _, ver = text.partition("@")
        if not ver.isdigit():
            raise ValidationError(f"'{text}' is not a template name: write ID or ID@VERSION, e.g. regular-case-audit@3")
        return tid, int(ver)
    return text, None


# --------------------------------------------------------------------------------------------
# Loading and validation


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Every question id declared, even of questions refused for another mistake, so that a
        # reference to such a question is not reported a second time as "unknown".
        self.declared: set[str] = set()

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and abs(x) <= MAX_NUMBER


def _text(c: _Collector, where: str, obj: Mapping[str, Any], key: str, *, required: bool,
          limit: int = MAX_LABEL_LENGTH) -> str | None:
    value = obj.get(key)
    if value is None:
        if required:
            c.add(where, f"'{key}' is missing")
        return None
    if not isinstance(value, str):
        c.add(where, f"'{key}' must be text, not {_describe(value)}")
        return None
    if required and not value.strip():
        c.add(where, f"'{key}' is empty")
        return None
    if len(value) > limit:
        c.add(where, f"'{key}' is {len(value)} characters long; the limit is {limit}")
        return None
    return value


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"'{value[:40]}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    if value is None:
        return "null"
    return type(value).__name__


def _unknown_keys(c: _Collector, where: str, obj: Mapping[str, Any], allowed: set[str]) -> None:
    for key in obj:
        if key not in allowed:
            hint = _closest(str(key), allowed)
            extra = f" (did you mean '{hint}'?)" if hint else ""
            c.add(where, f"unknown key '{str(key)[:60]}'{extra}")


def _closest(word: str, options: set[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return found[0] if found else None


def _parse_choices(c: _Collector, where: str, items: object) -> tuple[Choice, ...]:
    if not isinstance(items, list) or not items:
        c.add(where, "a list of choices must be a non-empty array of {value, label, score}")
        return ()
    if len(items) > MAX_CHOICES:
        c.add(where, f"has {len(items)} choices; the limit is {MAX_CHOICES}")
        return ()
    out: list[Choice] = []
    seen: set[str] = set()
    for i, item in enumerate(items, start=1):
        w = f"{where} / choice {i}"
        if not isinstance(item, dict):
            c.add(w, "each choice must be an object with 'value' and 'label'")
            continue
        _unknown_keys(c, w, item, CHOICE_KEYS)
        value = item.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            c.add(w, f"'value' must be text; write \"{value}\" in quotes")
            continue
        value = _text(c, w, item, "value", required=True, limit=MAX_ID_LENGTH * 2)
        label = _text(c, w, item, "label", required=True)
        score = item.get("score")
        if score is not None and not _is_number(score):
            c.add(w, f"'score' must be a number, not {_describe(score)}")
            score = None
        if value is None or label is None:
            continue
        if " " in value:
            c.add(w, f"value '{value}' contains a space; choice values are single words (use _ or -)")
        if value in seen:
            c.add(w, f"value '{value}' appears twice in the list")
        seen.add(value)
        out.append(Choice(value, label, float(score) if score is not None else None))
    return tuple(out)


def _expression(c: _Collector, where: str, key: str, text: object) -> Expression | None:
    if text is None:
        return None
    if not isinstance(text, str):
        c.add(where, f"'{key}' must be an expression in text, not {_describe(text)}")
        return None
    try:
        return parse(text)
    except ExpressionError as exc:
        c.add(f"{where} / {key}", f"{exc.reason} at position {exc.position} in \"{text[:200]}\"")
        return None


def template_from_dict(data: object, source: str = "") -> Template:
    """Validate a template dict in the `qadesk-template/1` format and build the model.

    Raises :class:`ValidationError` with every problem found; nothing is
    half-built.
    """
    c = _Collector()
    if not isinstance(data, dict):
        raise ValidationError([Problem("", "a template must be a JSON object at the top level")], source)
    _unknown_keys(c, "template", data, TEMPLATE_KEYS)
    fmt = data.get("format")
    if fmt != FORMAT:
        c.add("template / format", f"'format' must be \"{FORMAT}\", not {_describe(fmt)}")
    tid = data.get("id")
    if not isinstance(tid, str) or not TEMPLATE_ID_RE.match(tid) or len(tid) > MAX_ID_LENGTH:
        c.add("template / id", f"the template id {_describe(tid)} must be lower-case letters, digits and hyphens "
                               f"(at most {MAX_ID_LENGTH} characters), e.g. 'regular-case-audit'")
        tid = None
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 1_000_000:
        c.add("template / version", f"'version' must be a positive whole number, not {_describe(version)}")
        version = None
    title = _text(c, "template", data, "title", required=True)
    kind = data.get("kind")
    if kind not in KINDS:
        c.add("template / kind", f"'kind' must be one of {', '.join(KINDS)}; not {_describe(kind)}")
    theme = _text(c, "template", data, "theme", required=False)
    if kind == "thematic" and not (theme and theme.strip()):
        c.add("template / theme", "a thematic audit needs a 'theme' (e.g. \"Neglect\")")
    publisher = _text(c, "template", data, "publisher", required=False)
    description = _text(c, "template", data, "description", required=False, limit=MAX_GUIDANCE_LENGTH)

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
        lists[name] = _parse_choices(c, f"list {name}", items)

    sections, questions = _parse_sections(c, data.get("sections"), lists)
    overall = _parse_overall(c, data.get("overall"), lists)
    if sections:
        _check_logic(c, sections, questions)

    if c.problems:
        raise ValidationError(c.problems, source)
    assert tid is not None and version is not None and title is not None and overall is not None
    return Template(
        id=tid, version=version, title=title, kind=str(kind), theme=theme, publisher=publisher,
        description=description, lists=lists, overall=overall, sections=tuple(sections),
    )


def _parse_overall(c: _Collector, raw: object, lists: Mapping[str, tuple[Choice, ...]]) -> Overall | None:
    where = "template / overall"
    if not isinstance(raw, dict):
        c.add(where, "'overall' must be an object such as {\"list\": \"ofsted4\", \"suggest\": \"lowest_section\"}")
        return None
    _unknown_keys(c, where, raw, {"list", "suggest", "thresholds"})
    lname = raw.get("list")
    if not isinstance(lname, str) or lname not in lists:
        c.add(where, f"'list' must name one of the template's lists; {_describe(lname)} is not one")
        lname = None
    suggest = raw.get("suggest", "none")
    if suggest not in SUGGEST_RULES:
        c.add(where, f"'suggest' must be one of {', '.join(SUGGEST_RULES)}; not {_describe(suggest)}")
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
        if not _is_number(t["min"]):
            c.add(w, f"'min' must be a number, not {_describe(t['min'])}")
            continue
        if not isinstance(t["value"], str):
            c.add(w, f"'value' must be a choice value in text, not {_describe(t['value'])}")
            continue
        if lname and t["value"] not in {ch.value for ch in lists[lname]}:
            c.add(w, f"value {_describe(t['value'])} is not in the list '{lname}'")
            continue
        # Thresholds are read in order; one after a lower-or-equal 'min' could never be chosen.
        shadow = next(((j, m) for j, m in read if m <= t["min"]), None)
        if shadow is not None:
            c.add(w, f"'min' {t['min']} can never be reached: threshold {shadow[0]} (min "
                     f"{_plain_number(shadow[1])}) is read first; list thresholds from the highest 'min' down")
        read.append((i, float(t["min"])))
        thresholds.append((float(t["min"]), str(t["value"])))
    if lname is None:
        return None
    return Overall(list=lname, suggest=str(suggest), thresholds=tuple(thresholds))


def _parse_sections(c: _Collector, raw: object, lists: Mapping[str, tuple[Choice, ...]]
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
            c.add(f"section {si}", f"section id {_describe(sid)} must be a letter, then letters, digits and underscores")
            sid = f"#{si}"
        elif sid in seen_ids:
            c.add(f"section {sid}", f"the id '{sid}' is already used by {seen_ids[sid]}")
        else:
            seen_ids[sid] = f"section {sid}"
        where = f"section {sid}"
        _unknown_keys(c, where, sraw, SECTION_KEYS)
        title = _text(c, where, sraw, "title", required=True) or ""
        guidance = _text(c, where, sraw, "guidance", required=False, limit=MAX_GUIDANCE_LENGTH) or ""
        agency = _text(c, where, sraw, "agency", required=False)
        grade_list = None
        graw = sraw.get("grade")
        if graw is not None:
            if (not isinstance(graw, dict) or set(graw) != {"list"} or not isinstance(graw["list"], str)
                    or graw["list"] not in lists):
                c.add(f"{where} / grade", f"'grade' must be {{\"list\": NAME}} naming one of the template's lists; got {_describe(graw.get('list') if isinstance(graw, dict) else graw)}")
            else:
                grade_list = graw["list"]
        relevant = sraw.get("relevant")
        _expression(c, where, "relevant", relevant)
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


def _parse_question(c: _Collector, swhere: str, qi: int, q: object, lists: Mapping[str, tuple[Choice, ...]],
                    seen_ids: dict[str, str]) -> Question | None:
    sid = swhere.split(" ", 1)[1]
    if not isinstance(q, dict):
        c.add(f"{swhere} / question {qi}", "each question must be an object")
        return None
    qid = q.get("id")
    if not isinstance(qid, str) or not NAME_RE.match(qid) or len(qid) > MAX_ID_LENGTH:
        c.add(f"{swhere} / question {qi}", f"question id {_describe(qid)} must be a letter, then letters, digits and underscores")
        return None
    where = f"{swhere} / question {qid}"
    if qid in seen_ids:
        c.add(where, f"the id '{qid}' is already used by {seen_ids[qid]}")
        return None
    seen_ids[qid] = f"question {qid} in section {sid}"
    c.declared.add(qid)
    before = len(c.problems)
    _unknown_keys(c, where, q, QUESTION_KEYS)
    qtype = q.get("type")
    if qtype not in QUESTION_TYPES:
        c.add(where, f"'type' must be one of {', '.join(QUESTION_TYPES)}; not {_describe(qtype)}")
        return None
    label = _text(c, where, q, "label", required=True)
    guidance = _text(c, where, q, "guidance", required=False, limit=MAX_GUIDANCE_LENGTH) or ""
    lname = q.get("list")
    inline = q.get("choices")
    choices: tuple[Choice, ...] = ()
    if qtype in LIST_TYPES:
        if lname is not None and inline is not None:
            c.add(where, "give either 'list' or 'choices', not both")
        elif inline is not None:
            choices = _parse_choices(c, f"{where} / choices", inline)
        elif lname is None:
            c.add(where, f"a '{qtype}' question needs a 'list' or inline 'choices'")
        elif not isinstance(lname, str) or lname not in lists:
            c.add(where, f"the list {_describe(lname)} is not defined in 'lists'")
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
        if _expression(c, where, "required", rraw) is not None:
            required = rraw
    else:
        c.add(where, f"'required' must be true, false or an expression; not {_describe(rraw)}")
    if qtype == "note" and required is not False:
        c.add(where, "a note has no answer, so it cannot be required")
    relevant = q.get("relevant")
    _expression(c, where, "relevant", relevant)
    constraint = q.get("constraint")
    cexpr = _expression(c, where, "constraint", constraint)
    if cexpr is not None and qtype == "note":
        c.add(where, "a note has no answer, so it cannot have a constraint")
    cmsg = _text(c, where, q, "constraint_message", required=False)

    qmin, qmax = q.get("min"), q.get("max")
    if qtype in ("integer", "decimal", "range"):
        for key, val in (("min", qmin), ("max", qmax)):
            if val is not None and not _is_number(val):
                c.add(where, f"'{key}' must be a number, not {_describe(val)}")
        if qtype == "range":
            if qmin is None or qmax is None:
                c.add(where, "a range question needs both 'min' and 'max'")
            elif _is_number(qmin) and _is_number(qmax) and not (float(qmin).is_integer() and float(qmax).is_integer()):
                c.add(where, "a range runs between whole numbers")
            elif _is_number(qmax) and _is_number(qmin) and qmax - qmin > 1000:
                c.add(where, "a range may span at most 1000 steps")
        if _is_number(qmin) and _is_number(qmax) and qmin >= qmax:
            c.add(where, f"'min' ({qmin}) must be less than 'max' ({qmax})")
    elif qtype == "date":
        for key, val in (("min", qmin), ("max", qmax)):
            if val is not None and not (isinstance(val, str) and _valid_date(val)):
                c.add(where, f"'{key}' of a date question must be a date written YYYY-MM-DD, not {_describe(val)}")
        if isinstance(qmin, str) and isinstance(qmax, str) and _valid_date(qmin) and _valid_date(qmax) and qmin >= qmax:
            c.add(where, f"'min' ({qmin}) must be before 'max' ({qmax})")
    elif qmin is not None or qmax is not None:
        c.add(where, f"a '{qtype}' question takes no 'min' or 'max'")

    weight = q.get("weight", 1)
    if not _is_number(weight) or weight < 0:
        c.add(where, f"'weight' must be a number of zero or more, not {_describe(weight)}")
        weight = 1
    evidence = q.get("evidence", "none")
    if evidence not in EVIDENCE:
        c.add(where, f"'evidence' must be none, optional or required; not {_describe(evidence)}")
        evidence = "none"
    if evidence != "none" and qtype == "note":
        c.add(where, "a note has no answer, so it takes no evidence")
    if len(c.problems) != before or label is None:
        return None
    return Question(
        id=qid, type=qtype, label=label, section_id=sid, guidance=guidance, required=required,
        relevant=relevant, constraint=constraint, constraint_message=cmsg,
        min=_num_or_str(qmin), max=_num_or_str(qmax), weight=float(weight), evidence=evidence,
        list=lname if inline is None else None, choices=choices, inline_choices=inline is not None,
    )


def _num_or_str(x: object) -> float | str | None:
    if x is None or isinstance(x, str):
        return x
    return float(x)  # type: ignore[arg-type]


def _valid_date(text: str) -> bool:
    if not DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _check_logic(c: _Collector, sections: list[Section], questions: dict[str, Question]) -> None:
    """Every ${ref} names an answerable question; no question's logic depends on itself."""
    deps: dict[str, set[str]] = {}
    for s in sections:
        section_refs = _refs(c, f"section {s.id}", "relevant", s.relevant, questions)
        for q in s.questions:
            where = f"section {s.id} / question {q.id}"
            refs = set(section_refs)
            refs |= _refs(c, where, "relevant", q.relevant, questions)
            if isinstance(q.required, str):
                refs |= _refs(c, where, "required", q.required, questions)
            # A constraint may name its own question (the same as '.'): not a circle.
            refs |= _refs(c, where, "constraint", q.constraint, questions) - {q.id}
            deps[q.id] = refs
    # Cycle search (iterative DFS, so a long chain cannot exhaust the stack).
    state: dict[str, int] = {}
    reported: set[frozenset[str]] = set()
    for start in deps:
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(deps[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
                continue
            if nxt not in deps:
                continue
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    q = questions[nxt]
                    c.add(f"section {q.section_id} / question {nxt}",
                          "the logic goes round in a circle: " + " → ".join(f"${{{x}}}" for x in cycle))
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(deps[nxt]))))


def _refs(c: _Collector, where: str, key: str, text: str | None, questions: dict[str, Question]) -> set[str]:
    if not text:
        return set()
    try:
        parse(text)
    except ExpressionError:
        return set()  # already reported
    found: set[str] = set()
    for ref, pos in reference_positions(text):
        target = questions.get(ref)
        if target is None and ref in c.declared:
            continue  # the question exists but was refused for its own mistake, reported there
        if target is None:
            hint = _closest(ref, set(questions))
            extra = f" (did you mean ${{{hint}}}?)" if hint else ""
            c.add(f"{where} / {key}", f"unknown reference ${{{ref}}} at position {pos}{extra}")
        elif target.type == "note":
            c.add(f"{where} / {key}", f"${{{ref}}} at position {pos} is a note, which has no answer")
        else:
            found.add(ref)
    return found
