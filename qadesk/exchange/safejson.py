"""Parsing JSON from people we do not know: bounded before it is parsed, strict about what it holds.

Python's :func:`json.loads` takes anything JSON allows and more: NaN and Infinity, a key given
twice (the last one silently wins), numbers of any length (a 5,000-digit one raises a bare
ValueError), lone UTF-16 surrogates that no database can store, and it builds every value at once,
so a 12 MB file of tiny objects costs a quarter of a gigabyte before anything can refuse it.
:func:`load_json` refuses each of these with where it is:

- the size and the number of values are counted on the raw text first (at C speed, strings
  left out), so a file of millions of tiny values is refused before a value is built; the
  nesting depth is checked as the values are walked (and past a thousand levels by the parser);
- a key given twice, a number with more than :data:`MAX_DIGITS` digits, NaN, Infinity, a number
  too large for a float, a lone surrogate and a NUL character are refused, each at its path in the
  document (``answers.seen_alone.value``) or its line;
- a UTF-8 byte-order mark at the start is skipped; any other encoding is refused.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from qadesk.core.errors import LimitError, Problem, ValidationError

MAX_DIGITS = 20  # a whole number longer than this is no revision, version, score or answer qadesk takes
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class JsonLimits:
    max_bytes: int
    max_values: int
    max_depth: int = 20


class ValueBudget:
    """Values left for several documents read one after another (a pack's members)."""

    def __init__(self, limit: int, what: str) -> None:
        self.limit, self.left, self.what = limit, limit, what

    def take(self, values: int, where: str) -> None:
        self.left -= values
        if self.left < 0:
            raise LimitError([Problem(where, f"{self.what} hold more than {self.limit:,} values, the limit")])


class _Odd:
    """A number or constant that the walk refuses at its path (json's hooks do not know where they are)."""

    def __init__(self, text: str, why: str) -> None:
        self.text, self.why = text, why


class _Twice(dict):  # type: ignore[type-arg]
    """An object in which a key was given more than once."""

    key: str = ""


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            twice = _Twice(pairs)
            twice.key = key
            return twice
        out[key] = value
    return out


def _int(text: str) -> Any:
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        return _Odd(text, f"a number of {digits:,} digits; the limit is {MAX_DIGITS}")
    return int(text)


def _float(text: str) -> Any:
    if len(text) > 64:
        return _Odd(text, f"a number written with {len(text):,} characters; the limit is 64")
    value = float(text)
    if not math.isfinite(value):
        return _Odd(text, f"{text} is too large for a number")
    return value


def _constant(text: str) -> Any:
    return _Odd(text, f"{text} is not a number JSON allows")


def _text_of(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError([Problem(where, f"the file is not UTF-8 text (byte {exc.start:,} cannot be read "
                                              f"as UTF-8; save it as UTF-8)")]) from None


def _check_shape(text: str, where: str, limits: JsonLimits, budget: ValueBudget | None) -> None:
    """Refuse a text with more values than the limit before a value is built."""
    values = text.count(",") + text.count("[") + text.count("{") + 1
    if values > limits.max_values:
        for m in _STRING.finditer(text):  # commas and brackets inside strings are no values
            chunk = m.group()
            values -= chunk.count(",") + chunk.count("[") + chunk.count("{")
        if values > limits.max_values:
            raise LimitError([Problem(where, f"the JSON holds about {values:,} values; the limit is "
                                             f"{limits.max_values:,}")])
    if budget is not None:
        budget.take(values, where)


def _at(where: str, rest: str) -> str:
    return f"{where}: {rest}" if where and rest else where or rest


def _walk(value: Any, where: str, max_depth: int) -> None:
    """Refuse what the hooks marked, lone surrogates and NUL characters, at their path."""
    stack: list[tuple[str, int, Any]] = [("", 0, value)]
    while stack:
        path, depth, node = stack.pop()
        at = path or "(top)"
        if depth >= max_depth and isinstance(node, (dict, list)):  # the top object is level 1
            raise LimitError([Problem(_at(where, at), f"the JSON is nested more than {max_depth} levels deep; "
                                                      f"the limit is {max_depth}")])
        if isinstance(node, _Odd):
            raise ValidationError([Problem(_at(where, at), node.why)])
        if isinstance(node, str):
            _check_text(node, _at(where, at))
        elif isinstance(node, dict):
            if isinstance(node, _Twice):
                others = _shown(", ".join(k for k in dict.fromkeys(node) if k != node.key))
                raise ValidationError([Problem(_at(where, at), f"the key '{_shown(node.key)}' is given twice in one "
                                                                 f"object (with {others or 'nothing else'})")])
            for key, item in node.items():
                _check_text(key, _at(where, at))
                stack.append((f"{path}.{key}" if path else key, depth + 1, item))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}" if path else str(i), depth + 1, item) for i, item in enumerate(node))


def _shown(text: str) -> str:
    """Text as a message quotes it: cut short, a lone surrogate written as its escape."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")[:160]


def _check_text(text: str, where: str) -> None:
    m = _SURROGATE.search(text)
    if m:
        raise ValidationError([Problem(where, f"the text holds a lone UTF-16 surrogate (\\u{ord(m.group()):04x}), "
                                              f"which is not a character")])
    if "\x00" in text:
        raise ValidationError([Problem(where, "the text holds a NUL character (\\u0000)")])


def load_json(data: bytes, where: str, limits: JsonLimits, budget: ValueBudget | None = None) -> Any:
    """The JSON value of ``data``; :class:`ValidationError` (or :class:`LimitError`) saying where it is refused.

    ``where`` names the member (or is empty, for a file the caller names); problems are located below it.
    """
    if len(data) > limits.max_bytes:
        raise LimitError([Problem(where, f"{len(data):,} bytes; the limit is {limits.max_bytes:,} bytes")])
    text = _text_of(data, where)
    _check_shape(text, where, limits, budget)
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                           parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise ValidationError([Problem(_at(where, f"line {exc.lineno}, column {exc.colno}"),
                                       f"not valid JSON: {exc.msg}")]) from None
    except RecursionError:  # a thousand levels and more: the parser's own limit comes before the walk's
        raise LimitError([Problem(where, f"the JSON is nested more than {limits.max_depth} levels deep; "
                                         f"the limit is {limits.max_depth}")]) from None
    _walk(value, where, limits.max_depth)
    return value
