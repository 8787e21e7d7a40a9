"""Checking a template's logic as a whole: references and circles.

Every ``${ref}`` in a ``relevant``, ``required`` or ``constraint`` must name
an answerable question, and no question's logic may depend on itself,
however long the way round.
"""

from __future__ import annotations

from collections.abc import Iterator

from qadesk.core.expressions import ExpressionError, parse, reference_positions
from qadesk.core.template import Question, Section
from qadesk.core.template_fields import Collector, closest


def check_logic(c: Collector, sections: list[Section], questions: dict[str, Question]) -> None:
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
                          "the logic goes round in a circle: " + " → ".join(f"${{{x}}}" for x in cycle)
                          + _first_step(q, cycle[1], sections))
            elif not state.get(nxt):
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(deps[nxt]))))


def _first_step(q: Question, target: str, sections: list[Section]) -> str:
    """Where the circle's first step is written: ' (relevant: ${target} at position 4)'."""
    section = next((s for s in sections if s.id == q.section_id), None)
    for key, text in (("relevant", q.relevant), ("required", q.required if isinstance(q.required, str) else None),
                      ("constraint", q.constraint), ("section relevant", section.relevant if section else None)):
        for ref, pos in reference_positions(text) if text else ():
            if ref == target:
                return f" ({key}: ${{{target}}} at position {pos})"
    return ""


def _refs(c: Collector, where: str, key: str, text: str | None, questions: dict[str, Question]) -> set[str]:
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
            hint = closest(ref, set(questions))
            extra = f" (did you mean ${{{hint}}}?)" if hint else ""
            c.add(f"{where} / {key}", f"unknown reference ${{{ref}}} at position {pos}{extra}")
        elif target.type == "note":
            c.add(f"{where} / {key}", f"${{{ref}}} at position {pos} is a note, which has no answer")
        else:
            found.add(ref)
    return found
