"""Template logic: a small XLSForm-like expression language, parsed by hand.

Used for ``relevant``, ``required`` and ``constraint`` in templates.  Never
uses Python ``eval``: a tokenizer, a recursive-descent parser producing small
node objects, and an evaluator over those nodes.

The language
    ``${id}`` a reference to a question's answer (id: a letter, then letters,
    digits, underscores); ``.`` the current answer; ``'text'`` or ``"text"``
    (no escapes: use the other quote); numbers ``3``, ``2.5``, ``.5``, ``-1``
    (the ``-`` written directly before the digits; at most 30 digits; no
    exponents); ``= != < <= > >=``; ``and``; ``or``; parentheses; functions
    ``not(x)``, ``selected(x, 'v')``, ``count-selected(x)``, ``today()``,
    ``true()``, ``false()``.  Keywords and function names are lower case.
    Precedence: ``or`` < ``and`` < comparison < value.  Comparisons do not
    chain: write ``${x} > 1 and ${x} < 5``, not ``1 < ${x} < 5``.
    Limits: 2000 characters, 50 levels of nesting (parentheses and calls).

Evaluation
    ``answers`` maps a question id to its answer: str, int, float, bool, a
    list of str (multi-choice) or an ISO date 'YYYY-MM-DD'.  A missing key or
    None means unanswered, which behaves as the empty string ''.
    Comparisons: a list is its values joined by spaces (XLSForm); booleans
    read 'true'/'false' (so ``(${a} = 'x') = true()`` works).  When both
    sides are numbers (int, float, or text that looks like one such as
    '2.50'; never a bool) they compare as numbers, exactly; otherwise as text
    (str()), so ISO dates compare correctly.  ``<``, ``<=``, ``>``, ``>=``
    are False when either side is unanswered ('').
    Truthiness (``and``, ``or``, ``not``, ``is_true``): None, '', 0, False
    and an empty list are false; everything else, including '0', is true.
    ``selected(x, 'v')``: x is a list holding 'v', or text equal to 'v' or
    whose space-separated parts include 'v'; False when unanswered.
    ``count-selected(x)``: a list's length; 0 unanswered; 1 for other answers.
    ``today()``: the ``today`` argument (default: the local date) as
    'YYYY-MM-DD'.
    ``evaluate`` returns bool for logic, comparisons, ``selected``, ``not``;
    int for ``count-selected``; str for ``today()`` and text; int or float for
    numbers; the raw answer (None when unanswered) for ``${id}`` and ``.``.

Every problem is an :class:`ExpressionError` with a 0-based position; no
other exception escapes :func:`parse` or :meth:`Expression.evaluate`.
"""

from __future__ import annotations

import datetime
import functools
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from qadesk.core.errors import ValidationError

MAX_LENGTH = 2000
MAX_DEPTH = 50
MAX_DIGITS = 30

# Function name -> (number of arguments, an example for error messages).
FUNCTIONS: dict[str, tuple[int, str]] = {
    "selected": (2, "selected(${question}, 'value')"),
    "count-selected": (1, "count-selected(${question})"),
    "today": (0, "today()"),
    "not": (1, "not(${question} = 'yes')"),
    "true": (0, "true()"),
    "false": (0, "false()"),
}
_KNOWN = ", ".join(FUNCTIONS)
_KEYWORDS = ("and", "or")


class ExpressionError(ValidationError):
    """A syntax error or a broken limit in an expression, with where it is."""

    def __init__(self, expression: str, position: int, reason: str) -> None:
        self.expression = expression
        self.position = position
        self.reason = reason
        super().__init__(f"at position {position}: {reason}")


# --------------------------------------------------------------- tokenizer

@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # ref dot str num op name ( ) , end
    value: object
    pos: int
    end: int


_REF = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}", re.ASCII)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*", re.ASCII)
_NUMBER_RUN = re.compile(r"-?[A-Za-z0-9_.]*", re.ASCII)
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)", re.ASCII)
_NUMERIC_TEXT = re.compile(r"\s*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*", re.ASCII)
_OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_NO_MATHS = "is not supported: expressions compare values, there is no arithmetic"
_MISTAKES = {
    "==": "'==' is not an operator; use '='", "<>": "'<>' is not an operator; use '!='",
    "=<": "'=<' is not an operator; use '<='", "=>": "'=>' is not an operator; use '>='",
    "&&": "'&&' is not an operator; use 'and'", "||": "'||' is not an operator; use 'or'",
    "!": "'!' is not an operator; use '!=' or not(...)",
    "&": "'&' is not an operator; use 'and'", "|": "'|' is not an operator; use 'or'",
    **{ch: f"'{ch}' {_NO_MATHS}" for ch in "+-*/"},
}
_CURLY = "\u2018\u2019\u201c\u201d"


def _is_digit(ch: str) -> bool:
    return "0" <= ch <= "9"


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)

    def fail(pos: int, reason: str) -> ExpressionError:
        return ExpressionError(text, pos, reason)

    while i < n:
        ch = text[i]
        nxt = text[i + 1] if i + 1 < n else ""
        if ch.isspace():
            i += 1
        elif _is_digit(ch) or (ch in ".-" and _is_digit(nxt)) or (
                ch == "-" and nxt == "." and i + 2 < n and _is_digit(text[i + 2])):
            run = _NUMBER_RUN.match(text, i).group()  # type: ignore[union-attr]
            if not _NUMBER.fullmatch(run):
                raise fail(i, f"'{run[:30]}' is not a number; write numbers like 3, 2.5 or -1")
            if sum(map(_is_digit, run)) > MAX_DIGITS:
                raise fail(i, f"numbers are limited to {MAX_DIGITS} digits")
            value = float(run) if "." in run else int(run)
            tokens.append(_Token("num", value, i, i + len(run)))
            i += len(run)
        elif ch == ".":
            tokens.append(_Token("dot", None, i, i + 1))
            i += 1
        elif ch in "'\"":
            close = text.find(ch, i + 1)
            if close < 0:
                raise fail(i, "a string is not closed")
            tokens.append(_Token("str", text[i + 1:close], i, close + 1))
            i = close + 1
        elif ch == "$":
            m = _REF.match(text, i)
            if not m:
                raise fail(i, "a reference must look like ${question_id}: a letter, "
                              "then letters, digits and underscores")
            tokens.append(_Token("ref", m.group(1), i, m.end()))
            i = m.end()
        elif ch.isascii() and ch.isalpha():
            m = _NAME.match(text, i)
            assert m is not None
            tokens.append(_Token("name", m.group(), i, m.end()))
            i = m.end()
        elif ch in "(),":
            tokens.append(_Token(ch, ch, i, i + 1))
            i += 1
        elif text.startswith(_OPERATORS, i) and text[i:i + 2] not in _MISTAKES:
            op = next(o for o in _OPERATORS if text.startswith(o, i))
            tokens.append(_Token("op", op, i, i + len(op)))
            i += len(op)
        elif ch in "=<!&|+-*/":
            key = text[i:i + 2] if text[i:i + 2] in _MISTAKES else ch
            raise fail(i, _MISTAKES[key])
        elif ch in _CURLY:
            raise fail(i, "curly quotes are not allowed; use straight quotes ' or \"")
        elif ch.isprintable():
            raise fail(i, f"unexpected character '{ch}'")
        else:
            raise fail(i, f"unexpected character U+{ord(ch):04X}")
    tokens.append(_Token("end", None, n, n))
    return tokens


# ------------------------------------------------------------------- nodes

class _Env:
    __slots__ = ("answers", "current", "today")

    def __init__(self, answers: Mapping[str, object] | None, current: object,
                 today: object) -> None:
        self.answers = answers if answers is not None else {}
        self.current = current
        self.today = today

    def today_text(self) -> str:
        day = self.today if self.today is not None else datetime.date.today()
        if isinstance(day, datetime.datetime):
            day = day.date()
        return day.isoformat() if isinstance(day, datetime.date) else _text(day)


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object


@dataclass(frozen=True, slots=True)
class _Ref:
    name: str


@dataclass(frozen=True, slots=True)
class _Current:
    pass


@dataclass(frozen=True, slots=True)
class _Logic:
    op: str  # "and" | "or"
    items: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: _Node
    right: _Node


@dataclass(frozen=True, slots=True)
class _Call:
    name: str
    args: tuple[_Node, ...]


def _eval(node: _Node, env: _Env) -> object:
    if isinstance(node, _Literal):
        return node.value
    if isinstance(node, _Ref):
        return env.answers.get(node.name)
    if isinstance(node, _Current):
        return env.current
    if isinstance(node, _Logic):
        test = all if node.op == "and" else any
        return test(_truthy(_eval(item, env)) for item in node.items)
    if isinstance(node, _Compare):
        return _compare(node.op, _eval(node.left, env), _eval(node.right, env))
    values = [_eval(arg, env) for arg in node.args]
    if node.name == "selected":
        return _selected(values[0], _text(values[1]))
    if node.name == "count-selected":
        return _count_selected(values[0])
    if node.name == "not":
        return not _truthy(values[0])
    if node.name == "today":
        return env.today_text()
    return node.name == "true"


_Node = _Literal | _Ref | _Current | _Logic | _Compare | _Call


# ------------------------------------------------------------------ values

_COLLECTIONS = (list, tuple, set, frozenset)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _plain(value: object) -> str:
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


def _text(value: object) -> str:
    """Text of an answer; a multi-choice list is its values joined by spaces."""
    if isinstance(value, _COLLECTIONS):
        return " ".join(_plain(item) for item in value)
    return _plain(value)


def _number(value: object) -> Decimal | None:
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


def _truthy(value: object) -> bool:
    try:
        return bool(value)  # None, '', 0, False, [] are false; nan is true
    except Exception:  # e.g. an object whose __bool__ fails
        return True


def _compare(op: str, left: object, right: object) -> bool:
    if isinstance(left, _COLLECTIONS):
        left = _text(left)
    if isinstance(right, _COLLECTIONS):
        right = _text(right)
    a, b = _number(left), _number(right)
    if a is not None and b is not None:
        return _COMPARE[op](a, b)
    ta, tb = _text(left), _text(right)
    if op not in ("=", "!=") and (ta == "" or tb == ""):
        return False
    return _COMPARE[op](ta, tb)


def _selected(answer: object, wanted: str) -> bool:
    if isinstance(answer, _COLLECTIONS):
        return any(_plain(item) == wanted for item in answer)
    text = _text(answer)
    return text != "" and (text == wanted or wanted in text.split())


def _count_selected(answer: object) -> int:
    if isinstance(answer, _COLLECTIONS):
        return len(answer)
    return 0 if _text(answer) == "" else 1


# ------------------------------------------------------------------ parser

class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.refs: set[str] = set()
        self.uses_current = False

    def fail(self, pos: int, reason: str) -> ExpressionError:
        return ExpressionError(self.text, pos, reason)

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def describe(self, tok: _Token) -> str:
        if tok.kind == "end":
            return "the end of the expression"
        shown = self.text[tok.pos:tok.end]
        shown = shown if len(shown) <= 30 else shown[:29] + "\u2026"
        return f"the text {shown}" if tok.kind == "str" else f"'{shown}'"

    def is_keyword(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.value == word

    def enter(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(tok.pos, f"expressions are limited to {MAX_DEPTH} levels of nesting")

    def parse(self) -> _Node:
        node = self.parse_or()
        tok = self.peek()
        if tok.kind == ")":
            raise self.fail(tok.pos, "there is a ')' without a matching '('")
        if tok.kind == "name" and str(tok.value).lower() in _KEYWORDS:
            raise self.fail(tok.pos, f"write '{tok.value}' in lower case: '{str(tok.value).lower()}'")
        if tok.kind != "end":
            raise self.fail(tok.pos, "expected 'and', 'or' or the end of the expression, "
                                     f"found {self.describe(tok)}")
        return node

    def parse_or(self) -> _Node:
        items = [self.parse_and()]
        while self.is_keyword("or"):
            self.advance()
            items.append(self.parse_and())
        return items[0] if len(items) == 1 else _Logic("or", tuple(items))

    def parse_and(self) -> _Node:
        items = [self.parse_comparison()]
        while self.is_keyword("and"):
            self.advance()
            items.append(self.parse_comparison())
        return items[0] if len(items) == 1 else _Logic("and", tuple(items))

    def parse_comparison(self) -> _Node:
        left = self.parse_value()
        op = self.peek()
        if op.kind != "op":
            return left
        self.advance()
        right = self.parse_value()
        if self.peek().kind == "op":
            raise self.fail(self.peek().pos, "comparisons cannot be chained; join them "
                                             "with 'and', e.g. ${x} > 1 and ${x} < 5")
        return _Compare(str(op.value), left, right)

    def parse_value(self) -> _Node:
        tok = self.advance()
        if tok.kind == "ref":
            self.refs.add(str(tok.value))
            return _Ref(str(tok.value))
        if tok.kind == "dot":
            self.uses_current = True
            return _Current()
        if tok.kind in ("str", "num"):
            return _Literal(tok.value)
        if tok.kind == "(":
            self.enter(tok)
            node = self.parse_or()
            if self.peek().kind != ")":
                raise self.fail(self.peek().pos, f"expected ')' to close the '(' at position {tok.pos}")
            self.advance()
            self.depth -= 1
            return node
        if tok.kind == "name":
            return self.parse_call(tok)
        if tok.kind == "end":
            raise self.fail(tok.pos, "unexpected end of expression")
        raise self.fail(tok.pos, f"expected a value but found {self.describe(tok)}")

    def parse_call(self, tok: _Token) -> _Node:
        name = str(tok.value)
        if name in _KEYWORDS:
            raise self.fail(tok.pos, f"expected a value before '{name}'")
        lower = name.lower()
        if self.peek().kind != "(":
            if name in FUNCTIONS:
                raise self.fail(tok.pos, f"'{name}' is a function; write {FUNCTIONS[name][1]}")
            if lower in _KEYWORDS or lower in FUNCTIONS:
                raise self.fail(tok.pos, f"unexpected word '{name}'; write it in lower case: '{lower}'")
            raise self.fail(tok.pos, f"unexpected word '{name}'; put text in quotes, e.g. '{name}'")
        if name not in FUNCTIONS:
            hint = f"; function names are lower case: {lower}" if lower in FUNCTIONS else ""
            raise self.fail(tok.pos, f"unknown function '{name}' (known: {_KNOWN}){hint}")
        self.enter(self.advance())
        args: list[_Node] = []
        if self.peek().kind != ")":
            args.append(self.parse_or())
            while self.peek().kind == ",":
                self.advance()
                args.append(self.parse_or())
        if self.peek().kind != ")":
            raise self.fail(self.peek().pos, "expected ')' after the function's arguments")
        self.advance()
        self.depth -= 1
        count, example = FUNCTIONS[name]
        if len(args) != count:
            wanted = {0: "no arguments", 1: "1 argument"}.get(count, f"{count} arguments")
            raise self.fail(tok.pos, f"{name}() takes {wanted}, e.g. {example}; found {len(args)}")
        return _Call(name, tuple(args))


# --------------------------------------------------------------------- API

@dataclass(frozen=True)
class Expression:
    """A parsed expression; make one with :func:`parse`."""

    text: str
    references: frozenset[str]
    uses_current: bool
    root: _Node = field(repr=False, compare=False)

    def evaluate(self, answers: Mapping[str, object], current: object = None,
                 today: datetime.date | None = None) -> object:
        """The value of the expression for these answers (see the module docs)."""
        try:
            return _eval(self.root, _Env(answers, current, today))
        except Exception as exc:  # odd answer objects must never crash the caller
            raise ExpressionError(self.text, 0, f"could not be evaluated ({type(exc).__name__})") from exc

    def is_true(self, answers: Mapping[str, object], current: object = None,
                today: datetime.date | None = None) -> bool:
        """Evaluate, then apply truthiness (None, '', 0, False, [] are false)."""
        return _truthy(self.evaluate(answers, current, today))


def parse(text: str) -> Expression:
    """Parse ``text``; raise :class:`ExpressionError` when it is not valid."""
    if not isinstance(text, str):
        raise ExpressionError(_plain(text), 0, "an expression must be text")
    return _parse_cached(text)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Expression:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(text, MAX_LENGTH, f"expressions are limited to {MAX_LENGTH} characters")
    try:
        parser = _Parser(text)
        root = parser.parse()
    except RecursionError:  # cannot happen within the limits; belt and braces
        raise ExpressionError(text, 0, "the expression is nested too deeply") from None
    return Expression(text, frozenset(parser.refs), parser.uses_current, root)


def reference_positions(text: str) -> list[tuple[str, int]]:
    """Every ``${id}`` in ``text`` with its 0-based offset, in order.

    References inside string literals are not references.  Raises
    :class:`ExpressionError` if ``text`` cannot even be split into tokens.
    """
    return [(str(t.value), t.pos) for t in _tokenize(text) if t.kind == "ref"]
