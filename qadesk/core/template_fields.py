"""Reading the single fields of a template dict, collecting every problem on the way.

The helpers :mod:`qadesk.core.template_validation` and
:mod:`qadesk.core.template_logic` share: a :class:`Collector` of problems
(each with where it is), and readers for text, numbers, expressions and
lists of choices that report what is wrong instead of raising.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping
from typing import Any, TypeGuard

from qadesk.core.errors import Problem
from qadesk.core.expressions import Expression, ExpressionError, parse
from qadesk.core.template import (
    CHOICE_KEYS,
    MAX_CHOICES,
    MAX_ID_LENGTH,
    MAX_LABEL_LENGTH,
    MAX_NUMBER,
    Choice,
)


class Collector:
    """Every problem found so far, and every question id declared."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        # Every question id declared, even of questions refused for another mistake, so that a
        # reference to such a question is not reported a second time as "unknown".
        self.declared: set[str] = set()

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))


def is_number(x: object) -> TypeGuard[int | float]:
    """A finite int or float within the limit (never a bool)."""
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and abs(x) <= MAX_NUMBER


def read_text(c: Collector, where: str, obj: Mapping[str, Any], key: str, *, required: bool,
          limit: int = MAX_LABEL_LENGTH) -> str | None:
    """The text under ``key``, or None after reporting why it is missing, not text, empty or too long."""
    value = obj.get(key)
    if value is None:
        if required:
            c.add(where, f"'{key}' is missing")
        return None
    if not isinstance(value, str):
        c.add(where, f"'{key}' must be text, not {describe(value)}")
        return None
    if required and not value.strip():
        c.add(where, f"'{key}' is empty")
        return None
    if len(value) > limit:
        c.add(where, f"'{key}' is {len(value)} characters long; the limit is {limit}")
        return None
    return value


def describe(value: object) -> str:
    """A short description of a wrong value for a problem message ("the number 3", "a list")."""
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


def unknown_keys(c: Collector, where: str, obj: Mapping[str, Any], allowed: set[str]) -> None:
    """Report every key not in ``allowed``, suggesting the nearest allowed one."""
    for key in obj:
        if key not in allowed:
            hint = closest(str(key), allowed)
            extra = f" (did you mean '{hint}'?)" if hint else ""
            c.add(where, f"unknown key '{str(key)[:60]}'{extra}")


def closest(word: str, options: set[str]) -> str | None:
    """The option nearest to ``word`` when it is close enough to be a slip, else None."""
    found = difflib.get_close_matches(word, sorted(options), n=1, cutoff=0.75)
    return found[0] if found else None


def read_choices(c: Collector, where: str, items: object) -> tuple[Choice, ...]:
    """A list of choices ({value, label, score}); the ones with problems are reported and left out."""
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
        unknown_keys(c, w, item, CHOICE_KEYS)
        value = item.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            c.add(w, f"'value' must be text; write \"{value}\" in quotes")
            continue
        value = read_text(c, w, item, "value", required=True, limit=MAX_ID_LENGTH * 2)
        label = read_text(c, w, item, "label", required=True)
        score = item.get("score")
        if score is not None and not is_number(score):
            c.add(w, f"'score' must be a number, not {describe(score)}")
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


def read_expression(c: Collector, where: str, key: str, text: object) -> Expression | None:
    """The parsed expression, or None when absent or after reporting why it does not parse."""
    if text is None:
        return None
    if not isinstance(text, str):
        c.add(where, f"'{key}' must be an expression in text, not {describe(text)}")
        return None
    try:
        return parse(text)
    except ExpressionError as exc:
        c.add(f"{where} / {key}", f"{exc.reason} at position {exc.position} in \"{text[:200]}\"")
        return None



def num_or_str(x: object) -> float | str | None:
    """A min or max as stored: a number as float, a date as its text, absent as None."""
    if x is None or isinstance(x, str):
        return x
    return float(x)  # type: ignore[arg-type]
