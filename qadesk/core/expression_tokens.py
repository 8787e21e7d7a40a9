"""The expression language's tokenizer, and its error.

Splits the text of an expression (see :mod:`qadesk.core.expressions`) into
tokens, each with its 0-based start and end, and refuses with an
:class:`ExpressionError` what can never be part of one: an unclosed string,
curly quotes, a malformed number or reference, or an operator from another
language (``==``, ``&&``, ``+``...), saying what to write instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qadesk.core.errors import ValidationError

MAX_DIGITS = 30


class ExpressionError(ValidationError):
    """A syntax error or a broken limit in an expression, with where it is."""

    def __init__(self, expression: str, position: int, reason: str) -> None:
        self.expression = expression
        self.position = position
        self.reason = reason
        super().__init__(f"at position {position}: {reason}")


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its value and where it starts and ends in the text."""

    kind: str  # ref dot str num op name ( ) , end
    value: object
    pos: int
    end: int


_REF = re.compile(r"\$\{([A-Za-z][A-Za-z0-9_]*)\}", re.ASCII)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*", re.ASCII)
_NUMBER_RUN = re.compile(r"-?[A-Za-z0-9_.]*", re.ASCII)
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)", re.ASCII)
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


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; :class:`ExpressionError` when it cannot be split."""
    tokens: list[Token] = []
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
            match = _NUMBER_RUN.match(text, i)
            assert match is not None  # the pattern matches anywhere (empty at worst)
            run = match.group()
            if not _NUMBER.fullmatch(run):
                raise fail(i, f"'{run[:30]}' is not a number; write numbers like 3, 2.5 or -1")
            if sum(map(_is_digit, run)) > MAX_DIGITS:
                raise fail(i, f"numbers are limited to {MAX_DIGITS} digits")
            value = float(run) if "." in run else int(run)
            tokens.append(Token("num", value, i, i + len(run)))
            i += len(run)
        elif ch == ".":
            tokens.append(Token("dot", None, i, i + 1))
            i += 1
        elif ch in "'\"":
            close = text.find(ch, i + 1)
            if close < 0:
                raise fail(i, "a string is not closed")
            tokens.append(Token("str", text[i + 1:close], i, close + 1))
            i = close + 1
        elif ch == "$":
            m = _REF.match(text, i)
            if not m:
                raise fail(i, "a reference must look like ${question_id}: a letter, "
                              "then letters, digits and underscores")
            tokens.append(Token("ref", m.group(1), i, m.end()))
            i = m.end()
        elif ch.isascii() and ch.isalpha():
            m = _NAME.match(text, i)
            assert m is not None
            tokens.append(Token("name", m.group(), i, m.end()))
            i = m.end()
        elif ch in "(),":
            tokens.append(Token(ch, ch, i, i + 1))
            i += 1
        elif text.startswith(_OPERATORS, i) and text[i:i + 2] not in _MISTAKES:
            op = next(o for o in _OPERATORS if text.startswith(o, i))
            tokens.append(Token("op", op, i, i + len(op)))
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
    tokens.append(Token("end", None, n, n))
    return tokens
