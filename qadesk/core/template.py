"""Audit templates: the model of a `qadesk-template/1` template.

A :class:`Template` is immutable; it is built by
:func:`~qadesk.core.template_validation.template_from_dict`, which checks a
plain dict (from JSON, or built from an Excel workbook by
:mod:`qadesk.exchange`) and reports every problem at once.

:meth:`Template.to_dict` gives the canonical JSON form back; loading that
again gives an equal template, which is what makes JSON <-> Excel lossless.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from qadesk.core.errors import ValidationError
from qadesk.core.expressions import Rule, compile_rule

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
# qadesk extensions of the question (docs/template-format.md, "Marks on a question"): which subject fields
# of New audit a question may be filled from.
SUBJECT_FIELDS = ("case_type", "team", "practitioner", "case_ref")

TEMPLATE_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z")  # \Z: "$" would let a final newline in
NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*\Z")

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
    "urgent_concern", "subject_field", "learning",
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
            d["score"] = plain_number(self.score)
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
    # The answers that mean an urgent safeguarding concern: submit then needs an urgent action.
    urgent_concern: tuple[str, ...] = ()
    # Filled from this field of the audit's subject when the audit starts (and kept in step with it).
    subject_field: str | None = None
    # Whether the question feeds learning themes: None follows the default rule (services.stats).
    learning: bool | None = None

    @property
    def answerable(self) -> bool:
        return self.type != "note"

    # The rules, parsed once per question (a template version is parsed once, then kept): evaluating
    # an audit never parses an expression again.
    @cached_property
    def relevant_rule(self) -> Rule | None:
        return compile_rule(self.relevant)

    @cached_property
    def required_rule(self) -> Rule | None:
        """The ``required`` rule when it is an expression (None when it is true or false)."""
        return compile_rule(self.required) if isinstance(self.required, str) else None

    @cached_property
    def constraint_rule(self) -> Rule | None:
        return compile_rule(self.constraint)

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
                d[key] = value if isinstance(value, str) else plain_number(value)
        if self.weight != 1.0:
            d["weight"] = plain_number(self.weight)
        if self.evidence != "none":
            d["evidence"] = self.evidence
        if self.urgent_concern:
            d["urgent_concern"] = list(self.urgent_concern)
        if self.subject_field is not None:
            d["subject_field"] = self.subject_field
        if self.learning is not None:
            d["learning"] = self.learning
        return d

    def flags_urgent(self, value: object) -> bool:
        """Whether this answer is one the template marks as an urgent safeguarding concern."""
        if not self.urgent_concern or value is None:
            return False
        if isinstance(value, list):
            return any(v in self.urgent_concern for v in value)
        return value in self.urgent_concern


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    guidance: str = ""
    agency: str | None = None
    grade_list: str | None = None
    relevant: str | None = None
    questions: tuple[Question, ...] = ()

    @cached_property
    def relevant_rule(self) -> Rule | None:
        return compile_rule(self.relevant)

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
            d["thresholds"] = [{"min": plain_number(m), "value": v} for m, v in self.thresholds]
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
    _section_index: dict[str, Section] = field(default_factory=dict, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        for s in self.sections:
            self._section_index.setdefault(s.id, s)
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
        try:
            return self._section_index[section_id]
        except KeyError:
            raise KeyError(section_id) from None

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


def plain_number(x: float) -> int | float:
    """A whole float as an int (2.0 -> 2), so the canonical JSON writes 2, not 2.0."""
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


def template_from_dict(data: object, source: str = "") -> Template:
    """Validate a template dict in the `qadesk-template/1` format and build the model.

    Raises :class:`ValidationError` with every problem found; nothing is
    half-built.  The checks live in :mod:`qadesk.core.template_validation`.
    """
    # Imported here, not at the top: template_validation builds on this module, and this
    # keeps either module importable first.
    from qadesk.core.template_validation import template_from_dict as load

    return load(data, source)
