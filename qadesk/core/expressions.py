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
from collections.abc import Mapping
from dataclasses import dataclass, field

from qadesk.core.expression_tokens import ExpressionError, Token, tokenize
from qadesk.core.expression_values import (
    answer_text,
    compare,
    count_selected,
    plain_text,
    selected,
    truthy,
)

__all__ = ["FUNCTIONS", "MAX_DEPTH", "MAX_LENGTH", "Expression", "ExpressionError", "Rule", "compile_rule", "parse",
           "reference_positions"]

MAX_LENGTH = 2000
MAX_DEPTH = 50

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
        return day.isoformat() if isinstance(day, datetime.date) else answer_text(day)


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
        return test(truthy(_eval(item, env)) for item in node.items)
    if isinstance(node, _Compare):
        return compare(node.op, _eval(node.left, env), _eval(node.right, env))
    values = [_eval(arg, env) for arg in node.args]
    if node.name == "selected":
        return selected(values[0], answer_text(values[1]))
    if node.name == "count-selected":
        return count_selected(values[0])
    if node.name == "not":
        return not truthy(values[0])
    if node.name == "today":
        return env.today_text()
    return node.name == "true"


_Node = _Literal | _Ref | _Current | _Logic | _Compare | _Call


# ------------------------------------------------------------------ parser

class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0
        self.refs: set[str] = set()
        self.uses_current = False
        self.uses_today = False

    def fail(self, pos: int, reason: str) -> ExpressionError:
        return ExpressionError(self.text, pos, reason)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "end":
            self.i += 1
        return tok

    def describe(self, tok: Token) -> str:
        if tok.kind == "end":
            return "the end of the expression"
        shown = self.text[tok.pos:tok.end]
        shown = shown if len(shown) <= 30 else shown[:29] + "\u2026"
        return f"the text {shown}" if tok.kind == "str" else f"'{shown}'"

    def is_keyword(self, word: str) -> bool:
        tok = self.peek()
        return tok.kind == "name" and tok.value == word

    def enter(self, tok: Token) -> None:
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

    def parse_call(self, tok: Token) -> _Node:
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
        self.uses_today = self.uses_today or name == "today"
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
    uses_today: bool = False  # its value depends on the date (``today()``)

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
        return truthy(self.evaluate(answers, current, today))


def parse(text: str) -> Expression:
    """Parse ``text``; raise :class:`ExpressionError` when it is not valid."""
    if not isinstance(text, str):
        raise ExpressionError(plain_text(text), 0, "an expression must be text")
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
    return Expression(text, frozenset(parser.refs), parser.uses_current, root, parser.uses_today)


class Rule:
    """A template rule (``relevant``, ``required``, ``constraint``) parsed once, to be evaluated many times.

    :meth:`holds` is what :func:`qadesk.core.relevance.rule_holds` says of the rule's text: a rule
    that cannot be read, or cannot be evaluated for these answers, does not hold.  A template's
    questions and sections keep theirs (``Question.relevant_rule`` and the like), so evaluating an
    audit never parses, whatever the size of the template.
    """

    __slots__ = ("expression", "text")

    def __init__(self, text: object) -> None:
        self.text = text if isinstance(text, str) else plain_text(text)
        try:
            self.expression: Expression | None = parse(text)  # type: ignore[arg-type]  # not text: never holds
        except ExpressionError:
            self.expression = None

    @property
    def references(self) -> frozenset[str]:
        """The question ids the rule reads (none when it cannot be read)."""
        return self.expression.references if self.expression is not None else frozenset()

    @property
    def uses_today(self) -> bool:
        return self.expression is not None and self.expression.uses_today

    def holds(self, values: Mapping[str, object], current: object = None,
              today: datetime.date | None = None) -> bool:
        if self.expression is None:
            return False
        try:
            return self.expression.is_true(values, current=current, today=today)
        except ExpressionError:
            return False

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"


def compile_rule(text: object) -> Rule | None:
    """The rule for a template's text; None where there is no rule (no text: it always holds)."""
    if not text:
        return None
    return Rule(text)


def reference_positions(text: str) -> list[tuple[str, int]]:
    """Every ``${id}`` in ``text`` with its 0-based offset, in order.

    References inside string literals are not references.  Raises
    :class:`ExpressionError` if ``text`` cannot even be split into tokens.
    """
    return [(str(t.value), t.pos) for t in tokenize(text) if t.kind == "ref"]
