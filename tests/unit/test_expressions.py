"""Unit and property tests for qadesk.core.expressions (no Qt, no database)."""

from __future__ import annotations

import datetime
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qadesk.core.errors import ValidationError
from qadesk.core.expressions import (
    Expression,
    ExpressionError,
    parse,
    reference_positions,
)

DAY = datetime.date(2026, 11, 25)


def ev(text: str, answers: dict | None = None, current: object = None, today=DAY) -> object:
    return parse(text).evaluate(answers or {}, current=current, today=today)


def error(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return info.value


# ------------------------------------------------------------------ parsing

def test_parse_returns_expression_with_references_and_current():
    e = parse("${seen_alone} = 'no' and . != ${other_1} or selected(${M}, 'a')")
    assert isinstance(e, Expression)
    assert e.text == "${seen_alone} = 'no' and . != ${other_1} or selected(${M}, 'a')"
    assert e.references == frozenset({"seen_alone", "other_1", "M"})
    assert e.uses_current is True
    assert parse("${a} = 1").uses_current is False
    assert parse("'.' = '${x}'").references == frozenset()
    assert parse("'.' = 'x'").uses_current is False


def test_parse_is_cached_and_expressions_compare_by_text():
    assert parse("${a} = 1") is parse("${a} = 1")
    assert parse("${a} = 1") == parse("${a} = 1")
    assert hash(parse("${a}=1")) == hash(parse("${a}=1"))
    assert parse("${a} = 1") != parse("${a}  = 1")


def test_reference_positions_in_order_with_duplicates_and_not_in_strings():
    text = "${a} = '${b}' or ${c_2} = ${a}"
    assert reference_positions(text) == [("a", 0), ("c_2", 17), ("a", 26)]
    assert reference_positions("today() = '2026-01-01'") == []
    with pytest.raises(ExpressionError):
        reference_positions("${a} = 'unclosed")


def test_whitespace_is_free():
    assert ev("\n\t${a}\u00a0=\r\n'x'  and(.)>=1 ", {"a": "x"}, current=2) is True
    assert ev("${a}='x'", {"a": "x"}) is True
    assert ev("not ( ${a} = 'x' )", {"a": "x"}) is False
    assert ev("today ( )") == "2026-11-25"


def test_literals():
    assert ev("\"it's\"") == "it's"
    assert ev("'say \"hi\"'") == 'say "hi"'
    assert ev("''") == ""
    assert ev("3") == 3 and isinstance(ev("3"), int)
    assert ev("2.5") == 2.5
    assert ev("-1") == -1
    assert ev("-0.25") == -0.25
    assert ev(".5") == 0.5
    assert ev("-.5") == -0.5
    assert ev("0012") == 12
    assert ev("true()") is True
    assert ev("false()") is False


def test_precedence_or_below_and_below_comparison():
    # true or (false and false) -> true; (true or false) and false would be false
    assert ev("1 = 1 or 1 = 2 and 1 = 2") is True
    assert ev("(1 = 1 or 1 = 2) and 1 = 2") is False
    assert ev("not(1 = 1) or 2 = 2") is True
    assert ev("${a} = 'x' and ${b} = 'y' or ${c} = 'z'", {"c": "z"}) is True


def test_long_flat_chains_do_not_recurse():
    text = " and ".join(["1"] * 330)
    assert len(text) <= 2000
    assert ev(text) is True
    assert ev(" or ".join(["0"] * 390) + " or 1") is True


# -------------------------------------------------------------- comparisons

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 = 1", True), ("1 != 1", False), ("1 < 2", True), ("2 <= 2", True),
        ("3 > 2", True), ("2 >= 3", False), ("2 = 2.0", True), ("-1 < 0", True),
        ("'10' > '9'", True),  # numeric text compares as numbers
        ("'2.50' = 2.5", True), ("' 7 ' = 7", True), ("'abc' < 'abd'", True),
        ("'b' > 'a'", True), ("'a' = 'A'", False), ("'x' != 'y'", True),
        ("'10' > 'x'", False),  # one side not a number: text comparison
        ("'2026-01-31' < '2026-02-01'", True),
        ("0.1 = '0.1'", True), ("0.30000000000000000001 = 0.3", True),  # float literal
        ("true() = true()", True), ("true() = 'true'", True), ("false() = 'false'", True),
        ("true() = 1", False),  # booleans are not numbers
    ],
)
def test_comparisons(text, expected):
    assert ev(text) is expected


def test_numeric_comparison_of_answers():
    answers = {"i": 10, "f": 2.5, "s": "9", "b": True, "big": 10**40, "neg": "-3"}
    assert ev("${i} > ${s}", answers) is True
    assert ev("${f} < 3", answers) is True
    assert ev("${i} = '10'", answers) is True
    assert ev("${big} > 99999999999999999999", answers) is True
    assert ev("${neg} < -2", answers) is True
    assert ev("${b} = 1", answers) is False
    assert ev("${b} = 'true'", answers) is True


def test_unanswered_behaves_as_empty_string():
    for answers in ({}, {"x": None}):
        assert ev("${x} = 'no'", answers) is False
        assert ev("${x} = ''", answers) is True
        assert ev("${x} != 'no'", answers) is True
        assert ev("${x} = 0", answers) is False
        for op in ("<", "<=", ">", ">="):
            assert ev(f"${{x}} {op} 5", answers) is False
            assert ev(f"5 {op} ${{x}}", answers) is False
            assert ev(f"${{x}} {op} 'a'", answers) is False
        assert ev("${x}", answers) is None
        assert parse("${x}").is_true(answers) is False
    assert ev("'' < 'a'") is False
    assert ev(". = ''") is True
    assert ev(". > 1") is False


def test_current_answer():
    constraint = parse(". >= 0 and . <= 10")
    assert constraint.is_true({}, current=0)
    assert constraint.is_true({}, current="10")
    assert not constraint.is_true({}, current=11)
    assert not constraint.is_true({}, current=None)
    assert ev(".", current=[1]) == [1]


def test_dates_and_today():
    answers = {"d": "2026-11-24", "later": "2027-01-01"}
    assert ev("${d} < today()", answers) is True
    assert ev("${later} <= today()", answers) is False
    assert ev("today() = '2026-11-25'") is True
    assert ev("${d} < today()", {"d": datetime.date(2026, 1, 1)}) is True
    assert parse("today()").evaluate({}, today=datetime.datetime(2026, 3, 4, 5, 6)) == "2026-03-04"
    assert parse("today()").evaluate({}) == datetime.date.today().isoformat()
    assert ev("${d} < today()", {}) is False  # unanswered date


# ---------------------------------------------------------------- functions

def test_selected():
    assert ev("selected(${m}, 'b')", {"m": ["a", "b"]}) is True
    assert ev("selected(${m}, 'c')", {"m": ["a", "b"]}) is False
    assert ev("selected(${m}, 'a')", {"m": "a"}) is True
    assert ev("selected(${m}, 'a')", {"m": "b a c"}) is True
    assert ev("selected(${m}, 'a')", {"m": "ab"}) is False
    assert ev("selected(${m}, 'a b')", {"m": "a b"}) is True
    assert ev("selected(${m}, 'a')", {"m": None}) is False
    assert ev("selected(${m}, 'a')", {}) is False
    assert ev("selected(${m}, '')", {}) is False
    assert ev("selected(${m}, 'a')", {"m": []}) is False
    assert ev("selected(${m}, 3)", {"m": ["3"]}) is True
    assert ev("selected(., 'x')", current=["x"]) is True
    assert parse("selected(${m}, 'a')").references == frozenset({"m"})


def test_count_selected():
    assert ev("count-selected(${m})", {"m": ["a", "b", "c"]}) == 3
    assert ev("count-selected(${m})", {"m": []}) == 0
    assert ev("count-selected(${m})", {}) == 0
    assert ev("count-selected(${m})", {"m": ""}) == 0
    assert ev("count-selected(${m})", {"m": "a"}) == 1
    assert ev("count-selected(${m}) >= 2", {"m": ["a", "b"]}) is True
    assert ev("count-selected(${m}) > 1", {"m": ["a"]}) is False


def test_multi_choice_equality_uses_space_joined_values():
    assert ev("${m} = 'a b'", {"m": ["a", "b"]}) is True
    assert ev("${m} != 'a'", {"m": ["a", "b"]}) is True
    assert ev("${m} = ''", {"m": []}) is True
    assert ev("${m} = 3", {"m": ["3"]}) is True


def test_and_or_not_truthiness():
    for falsy in (None, "", 0, 0.0, False, []):
        assert ev("not(${x})", {"x": falsy}) is True
        assert ev("${x} or 0", {"x": falsy}) is False
    for truthy in ("0", "no", 1, -1, True, ["a"], "false"):
        assert ev("not(${x})", {"x": truthy}) is False
        assert ev("${x} and 1", {"x": truthy}) is True
    assert ev("not(not(1))") is True
    assert ev("(${a} = 'x') = true()", {"a": "x"}) is True
    assert parse("'x'").is_true({}) is True
    assert parse("count-selected(${m})").is_true({"m": []}) is False


def test_odd_answer_values_never_crash():
    class Nasty:
        def __str__(self):
            raise RuntimeError("no str")

        def __bool__(self):
            raise RuntimeError("no bool")

        def __eq__(self, other):
            raise RuntimeError("no eq")

        __hash__ = object.__hash__

    loop: list = []
    loop.append(loop)
    values = [Nasty(), 10**5000, math.nan, math.inf, -math.inf, {"k": 1}, (1, 2), {"a"},
              loop, [Nasty(), None, 1], b"bytes", object(), datetime.datetime(2026, 1, 1)]
    text = ("${x} = 'a' or ${x} < 3 or ${x} >= '2026-01-01' or selected(${x}, 'a') "
            "or count-selected(${x}) > 0 or not(${x}) or ${x} != .")
    for value in values:
        expression = parse(text)
        assert isinstance(expression.evaluate({"x": value}, current=value), bool)
        assert isinstance(expression.is_true({"x": value}), bool)
    assert ev("${x} > 1", {"x": math.inf}) is True
    assert ev("${x} = ${x}", {"x": math.nan}) is True  # compared as the text 'nan'


# ------------------------------------------------------------------- errors

@pytest.mark.parametrize(
    ("text", "position", "fragment"),
    [
        ("", 0, "unexpected end of expression"),
        ("   ", 3, "unexpected end of expression"),
        ("${a} = ", 7, "unexpected end of expression"),
        ("selectd(${a}, 'x')", 0, "unknown function 'selectd' (known: selected, count-selected, "
                                  "today, not, true, false)"),
        ("${a} = selectd(${a})", 7, "unknown function 'selectd'"),
        ("Selected(${a}, 'x')", 0, "function names are lower case"),
        ("${a} = 'x", 7, "a string is not closed"),
        ("${a} == 'x'", 5, "'==' is not an operator; use '='"),
        ("${a} <> 'x'", 5, "use '!='"),
        ("${a} =< 1", 5, "use '<='"),
        ("${a} = 1 && 1", 9, "use 'and'"),
        ("${a} = 1 || 1", 9, "use 'or'"),
        ("!${a}", 0, "use '!=' or not(...)"),
        ("${a} + 1 = 2", 5, "no arithmetic"),
        ("${a} * 2", 5, "no arithmetic"),
        ("${a} - 1", 5, "no arithmetic"),
        ("selected(${a}, 'x'", 18, "expected ')' after the function's arguments"),
        ("selected(${a} 'x')", 14, "expected ')' after the function's arguments"),
        ("(${a} = 1", 9, "expected ')' to close the '(' at position 0"),
        ("${a} = 1)", 8, "')' without a matching '('"),
        ("${a} = 1 ${b}", 9, "expected 'and', 'or' or the end of the expression"),
        ("1 < ${x} < 5", 9, "comparisons cannot be chained"),
        ("${a} = yes", 7, "put text in quotes, e.g. 'yes'"),
        ("${a} = 1 AND 1", 9, "write 'AND' in lower case: 'and'"),
        ("AND 1", 0, "write it in lower case: 'and'"),
        ("and 1", 0, "expected a value before 'and'"),
        ("1 and or 1", 6, "expected a value before 'or'"),
        ("= 1", 0, "expected a value but found '='"),
        ("()", 1, "expected a value but found ')'"),
        ("not ${a}", 0, "'not' is a function; write not("),
        ("today", 0, "'today' is a function"),
        ("selected(${a})", 0, "selected() takes 2 arguments"),
        ("count-selected()", 0, "count-selected() takes 1 argument,"),
        ("today(1)", 0, "today() takes no arguments"),
        ("not(1, 2)", 0, "not() takes 1 argument"),
        ("$a = 1", 0, "a reference must look like ${question_id}"),
        ("${1a} = 1", 0, "a reference must look like"),
        ("${a b} = 1", 0, "a reference must look like"),
        ("${a} = ${é}", 7, "a reference must look like"),
        ("${a", 0, "a reference must look like"),
        ("1e5 = 1", 0, "'1e5' is not a number"),
        ("3. = 3", 0, "'3.' is not a number"),
        ("1.2.3", 0, "'1.2.3' is not a number"),
        ("${a} = \u2018x\u2019", 7, "curly quotes"),
        ("${a} = 1 ; 2", 9, "unexpected character ';'"),
        ("${a} = \x07", 7, "unexpected character U+0007"),
        ("\x00", 0, "unexpected character U+0000"),
        (". .", 2, "expected 'and', 'or'"),
        ("selected(${a}, 'x',)", 19, "expected a value but found ')'"),
    ],
)
def test_error_positions_and_messages(text, position, fragment):
    err = error(text)
    assert err.position == position, str(err)
    assert fragment in err.reason, err.reason
    assert err.expression == text
    assert str(err) == f"at position {position}: {err.reason}"


def test_expression_error_is_a_validation_error():
    err = ExpressionError("${a} =", 6, "unexpected end of expression")
    assert isinstance(err, ValidationError)
    assert (err.expression, err.position, err.reason) == ("${a} =", 6, "unexpected end of expression")
    assert str(err) == "at position 6: unexpected end of expression"


def test_non_text_is_refused():
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]
    with pytest.raises(ExpressionError):
        parse(["${a}"])  # type: ignore[arg-type]


# ------------------------------------------------------------------- limits

def test_length_limit():
    ok = "'" + "x" * 1998 + "'"
    assert len(ok) == 2000
    assert ev(ok) == "x" * 1998
    err = error("'" + "x" * 1999 + "'")
    assert "limited to 2000 characters" in str(err)
    assert err.position == 2000
    assert "2000 characters" in error("1" * 100_000).reason


def test_nesting_limit():
    assert ev("(" * 50 + "1" + ")" * 50) == 1
    assert ev("not(" * 50 + "0" + ")" * 50) is False
    err = error("(" * 51 + "1" + ")" * 51)
    assert "limited to 50 levels of nesting" in err.reason
    assert err.position == 50
    assert "levels of nesting" in error("not(" * 51 + "1" + ")" * 51).reason
    assert "levels of nesting" in error("(" * 1000).reason
    assert "levels of nesting" in error("not(" * 400).reason


def test_number_limits():
    assert ev("1" * 30) == int("1" * 30)
    assert ev("-" + "1" * 15 + "." + "1" * 15) < 0
    assert "limited to 30 digits" in error("1" * 31).reason
    assert "limited to 30 digits" in error("0." + "0" * 30).reason
    assert "not a number" in error("1e999999").reason
    assert "not a number" in error("-1e-999999").reason


# ------------------------------------------------------------ property tests

ID = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
SPACE = st.sampled_from(["", " ", "  ", "\n", "\t"])
GAP = st.sampled_from([" ", "  ", "\n", " \t "])
PIECES = [
    "${a}", "${b_1}", "${", "}", "$", ".", "'x'", '"y"', "'", '"', "3", "2.5", "-1", "-", ".5",
    "=", "!=", "<", "<=", ">", ">=", "==", "!", "and", "or", "not", "(", ")", ",", "selected",
    "count-selected", "today", "true", "false", "AND", " ", "\n", "\x00", "\u00e9", "\u2018",
    "1e999999", "9" * 31, "(" * 60, ")" * 60, "\ud800", "&&", "+", "0.", "_",
]


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=60))
def test_any_text_parses_or_raises_expression_error(text):
    _parses_or_fails_cleanly(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(PIECES), SPACE), max_size=25))
def test_glued_tokens_parse_or_raise_expression_error(parts):
    _parses_or_fails_cleanly("".join(piece + gap for piece, gap in parts))


def _parses_or_fails_cleanly(text: str) -> None:
    try:
        expression = parse(text)
    except ExpressionError as err:
        assert 0 <= err.position <= len(text)
        assert str(err).startswith(f"at position {err.position}: ")
        return
    assert expression.references == {ref for ref, _ in reference_positions(text)}
    expression.evaluate({ref: "1" for ref in expression.references}, current="x", today=DAY)


def _string_literal(text: str) -> str:
    return f"'{text}'" if "'" not in text else f'"{text}"'


LEAVES = st.one_of(
    ID.map(lambda i: (f"${{{i}}}", frozenset({i}), False, True)),
    st.just((".", frozenset(), True, True)),
    st.text(max_size=8).filter(lambda s: not ("'" in s and '"' in s))
    .map(lambda s: (_string_literal(s), frozenset(), False, True)),
    st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{1,6})?", fullmatch=True)
    .map(lambda s: (s, frozenset(), False, True)),
    st.sampled_from(["today()", "true()", "false()", "today ()"])
    .map(lambda s: (s, frozenset(), False, True)),
    st.tuples(ID, SPACE).map(lambda t: (f"count-selected({t[1]}${{{t[0]}}})", frozenset({t[0]}), False, True)),
    st.tuples(ID, st.sampled_from(["a", "b", "yes", ""])).map(
        lambda t: (f"selected(${{{t[0]}}}, '{t[1]}')", frozenset({t[0]}), False, True)),
)


def _atom(node: tuple) -> str:
    return node[0] if node[3] else f"({node[0]})"


def _extend(children):
    def merge(text, *nodes, atomic=False):
        refs = frozenset().union(*(n[1] for n in nodes))
        return (text, refs, any(n[2] for n in nodes), atomic)

    compare = st.tuples(children, SPACE, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), SPACE, children)
    logic = st.tuples(children, GAP, st.sampled_from(["and", "or"]), GAP, children)
    return st.one_of(
        compare.map(lambda t: merge(f"{_atom(t[0])}{t[1]}{t[2]}{t[3]}{_atom(t[4])}", t[0], t[4])),
        logic.map(lambda t: merge(f"{t[0][0]}{t[1]}{t[2]}{t[3]}{t[4][0]}", t[0], t[4])),
        st.tuples(SPACE, children).map(lambda t: merge(f"not{t[0]}({t[1][0]})", t[1], atomic=True)),
        st.tuples(SPACE, children).map(lambda t: merge(f"({t[0]}{t[1][0]}{t[0]})", t[1], atomic=True)),
        st.tuples(children, children).map(
            lambda t: merge(f"selected({t[0][0]}, {t[1][0]})", *t, atomic=True)),
        children.map(lambda c: merge(f"count-selected({c[0]})", c, atomic=True)),
    )


VALID = st.recursive(LEAVES, _extend, max_leaves=12)
ANSWER = st.one_of(
    st.none(), st.text(max_size=10), st.integers(), st.floats(), st.booleans(),
    st.lists(st.sampled_from(["a", "b", "yes", "no", "3"]), max_size=4),
    st.dates().map(lambda d: d.isoformat()), st.dates(),
    st.sampled_from(["", "0", "10", "2.50", " 7 ", "a b", "2026-11-25"]),
)


@settings(max_examples=400, deadline=None)
@given(VALID, st.data())
def test_valid_expressions_parse_and_evaluate(node, data):
    text, refs, uses_current, _ = node
    expression = parse(text)
    assert expression.references == refs
    assert expression.uses_current == uses_current
    assert {ref for ref, _ in reference_positions(text)} == refs
    for ref, position in reference_positions(text):
        assert text.startswith(f"${{{ref}}}", position)
    answers = {ref: data.draw(ANSWER, label=ref) for ref in sorted(refs)}
    current = data.draw(ANSWER, label="current")
    today = data.draw(st.one_of(st.none(), st.dates()), label="today")
    value = expression.evaluate(answers, current=current, today=today)
    assert value is None or isinstance(value, (str, int, float, bool, list, datetime.date))
    assert isinstance(expression.is_true(answers, current=current, today=today), bool)
