"""What changed between two template versions: sections and questions added, removed and changed.

Plain Python (no Qt), used by the Templates screen and ``qadesk template diff``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qadesk.core.template import Question, Section, Template

_QUESTION_FIELDS = (("label", "label"), ("type", "type"), ("guidance", "guidance"), ("required", "required"),
                    ("relevant", "logic (relevant)"), ("constraint", "constraint"),
                    ("constraint_message", "constraint message"), ("min", "minimum"), ("max", "maximum"),
                    ("weight", "weight"), ("evidence", "evidence"), ("list", "list"),
                    ("urgent_concern", "urgent-concern answers"), ("subject_field", "filled from the subject"),
                    ("learning", "feeds learning themes"))
_SECTION_FIELDS = (("title", "title"), ("guidance", "guidance"), ("agency", "agency"),
                   ("grade_list", "judgement list"), ("relevant", "logic (relevant)"))


@dataclass(frozen=True)
class Change:
    """One difference: ``what`` is 'added', 'removed' or 'changed'; ``details`` say how."""

    what: str
    kind: str  # "template", "section", "question" or "list"
    id: str
    title: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.what]
        head = f"{sign} {self.kind} {self.id}" + (f" ({self.title})" if self.title else "")
        return head + "".join(f"\n    {d}" for d in self.details)


@dataclass
class TemplateDiff:
    old: str
    new: str
    changes: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def of(self, what: str) -> list[Change]:
        return [c for c in self.changes if c.what == what]

    def describe(self) -> str:
        if self.empty:
            return f"{self.old} and {self.new} ask the same questions in the same way."
        counts = ", ".join(f"{len(self.of(w))} {w}" for w in ("added", "removed", "changed") if self.of(w))
        return f"{self.old} → {self.new}: {counts}\n" + "\n".join(str(c) for c in self.changes)


def _short(value: object) -> str:
    if isinstance(value, tuple):  # urgent-concern answers
        value = ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        value = "yes" if value else "no"
    text = "—" if value is None or value == "" else str(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _choices_text(q: Question) -> str:
    return ", ".join(c.label for c in q.choices)


def _field_changes(old: object, new: object, fields: tuple[tuple[str, str], ...]) -> list[str]:
    out = []
    for attr, label in fields:
        a, b = getattr(old, attr), getattr(new, attr)
        if a != b:
            out.append(f"{label}: {_short(a)} → {_short(b)}")
    return out


def _question_changes(a: Question, b: Question) -> list[str]:
    details = _field_changes(a, b, _QUESTION_FIELDS)
    if a.section_id != b.section_id:
        details.append(f"moved from section {a.section_id} to {b.section_id}")
    if [(c.value, c.label, c.score) for c in a.choices] != [(c.value, c.label, c.score) for c in b.choices]:
        details.append(f"choices: {_short(_choices_text(a))} → {_short(_choices_text(b))}")
    return details


def diff_templates(old: Template, new: Template) -> TemplateDiff:
    """Every difference between ``old`` and ``new``, in the order of the new template."""
    result = TemplateDiff(old.key, new.key)
    header = _field_changes(old, new, (("title", "title"), ("kind", "kind"), ("theme", "theme"),
                                       ("publisher", "publisher"), ("description", "description")))
    if old.overall != new.overall:
        header.append(f"overall judgement: {old.overall.list}/{old.overall.suggest} → "
                      f"{new.overall.list}/{new.overall.suggest}")
    if header:
        result.changes.append(Change("changed", "template", new.id, new.title, tuple(header)))
    old_sections = {s.id: s for s in old.sections}
    new_sections = {s.id: s for s in new.sections}
    for s in new.sections:
        if s.id not in old_sections:
            result.changes.append(Change("added", "section", s.id, s.title,
                                         tuple(f"question {q.id}: {_short(q.label)}" for q in s.questions)))
        else:
            details = _field_changes(old_sections[s.id], s, _SECTION_FIELDS)
            if details:
                result.changes.append(Change("changed", "section", s.id, s.title, tuple(details)))
    for s in old.sections:
        if s.id not in new_sections:
            result.changes.append(Change("removed", "section", s.id, s.title))
    _questions(old, new, old_sections, result)
    for name in new.lists:
        if name not in old.lists:
            result.changes.append(Change("added", "list", name, ""))
        elif old.lists[name] != new.lists[name]:
            labels = ", ".join(c.label for c in new.lists[name])
            result.changes.append(Change("changed", "list", name, "", (f"now: {_short(labels)}",)))
    for name in old.lists:
        if name not in new.lists:
            result.changes.append(Change("removed", "list", name, ""))
    return result


def _questions(old: Template, new: Template, old_sections: dict[str, Section], result: TemplateDiff) -> None:
    for q in new.questions():
        if not old.has_question(q.id):
            if q.section_id in old_sections:  # questions of a new section are listed with it
                result.changes.append(Change("added", "question", q.id, q.label, (f"in section {q.section_id}",)))
            continue
        details = _question_changes(old.question(q.id), q)
        if details:
            result.changes.append(Change("changed", "question", q.id, q.label, tuple(details)))
    new_sections = {s.id for s in new.sections}
    for q in old.questions():
        if not new.has_question(q.id) and q.section_id in new_sections:
            result.changes.append(Change("removed", "question", q.id, q.label, (f"from section {q.section_id}",)))
        elif not new.has_question(q.id):
            result.changes.append(Change("removed", "question", q.id, q.label,
                                         (f"with section {q.section_id}",)))
