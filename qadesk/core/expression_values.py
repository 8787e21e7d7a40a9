"""What answers mean to an expression: their text, their number, truth, comparison and selection.

The rules are those of the "Evaluation" part of :mod:`qadesk.core.expressions`
(XLSForm's, made exact): a multi-choice list reads as its values joined by
spaces, numbers compare as numbers when both sides are numbers, and nothing
here ever raises, whatever odd object an answer is.
"""

from __future__ import annotations

import datetime
import math
import operator
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

_NUMERIC_TEXT = re.compile(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*", re.ASCII)
_COLLECTIONS = (list, tuple, set, frozenset)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def plain_text(value: object) -> str:
    """Text of a single (non-collection) value; never raises."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    try:
        return str(value)
    except Exception:  # a huge int, or an object whose __str__ fails
        return ""


def answer_text(value: object) -> str:
    """Text of an answer; a multi-choice list is its values joined by spaces."""
    if isinstance(value, _COLLECTIONS):
        return " ".join(plain_text(item) for item in value)
    return plain_text(value)


def answer_number(value: object) -> Decimal | None:
    """The exact number an answer stands for, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return None if math.isnan(value) else Decimal(float.__repr__(value))
    if isinstance(value, str) and _NUMERIC_TEXT.fullmatch(value):
        return Decimal(value.strip())
    return None


def truthy(value: object) -> bool:
    """Whether an answer counts as true: None, empty text, 0, False and an empty list do not."""
    try:
        return bool(value)  # None, '', 0, False, [] are false; nan is true
    except Exception:  # e.g. an object whose __bool__ fails
        return True


def compare(op: str, left: object, right: object) -> bool:
    """``left op right`` as numbers when both are numbers, else as text; an order against an unanswered side is False."""
    if isinstance(left, _COLLECTIONS):
        left = answer_text(left)
    if isinstance(right, _COLLECTIONS):
        right = answer_text(right)
    a, b = answer_number(left), answer_number(right)
    if a is not None and b is not None:
        return _COMPARE[op](a, b)
    ta, tb = answer_text(left), answer_text(right)
    if op not in ("=", "!=") and (ta == "" or tb == ""):
        return False
    return _COMPARE[op](ta, tb)


def selected(answer: object, wanted: str) -> bool:
    """Whether ``wanted`` is among the values of a multi-choice answer (or the words of a text answer)."""
    if isinstance(answer, _COLLECTIONS):
        return any(plain_text(item) == wanted for item in answer)
    text = answer_text(answer)
    return text != "" and (text == wanted or wanted in text.split())


def count_selected(answer: object) -> int:
    """How many values a multi-choice answer has; 0 unanswered, 1 for any other answer."""
    if isinstance(answer, _COLLECTIONS):
        return len(answer)
    return 0 if answer_text(answer) == "" else 1
