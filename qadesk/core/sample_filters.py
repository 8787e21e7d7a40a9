"""The data-led filters of a sample: ``COLUMN=VALUE`` and its relatives, on the columns of the case list.

A filter reads a case's built-in columns (reference, case type, team, worker) or any column its list
carries (``fields``), and compares yes/no, numbers, dates (``today-18m`` counted from the day the sample
is drawn) or text.  :mod:`qadesk.core.sampling` draws the sample with them.
"""

from __future__ import annotations

import calendar
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from qadesk.core.cases import CaseRow
from qadesk.core.errors import ValidationError

BUILT_IN = ("case_ref", "case_type", "team", "worker")
OPERATORS = ("!=", ">=", "<=", "=", ">", "<")  # longest first, so "a>=b" is not read as "a>" "=b"
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}
_RELATIVE = re.compile(r"^today\s*(?:([+-])\s*(\d+)\s*([dwmy]))?$")


def column_name(text: str) -> str:
    """A column's name as a filter or stratum writes it: lower case, a space or a hyphen read as ``_``."""
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def months_before(d: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day where that day is missing)."""
    y, m = divmod(d.year * 12 + (d.month - 1) - months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


@dataclass(frozen=True)
class Filter:
    """One data-led filter on a column of the case list: ``COLUMN=VALUE`` and its relatives.

    ``=`` matches the value, one of several (``case_type=CP,CLA``) or a range (``age=10..15``, either end
    may be left open); ``!=`` the opposite (a case with no value matches it); ``<``, ``<=``, ``>``, ``>=``
    compare numbers or dates.  Yes/no columns read yes, y, true and 1 as yes, and no, n, false and 0 as
    no.  A date may be written ``today-18m`` (days d, weeks w, months m, years y), counted from the day
    the sample is drawn, so ``plan_start<=today-18m`` finds plans over 18 months old.
    """

    column: str
    op: str
    value: str

    def describe(self) -> str:
        return f"{self.column}{self.op}{self.value}"

    def matches(self, case: CaseRow, today: date) -> bool:
        got = value_of(case, self.column)
        if self.op == "!=":
            return got is None or not _equal(got, self.value, today)
        if got is None:
            return False
        if self.op == "=":
            if ".." in self.value:
                low, _, high = self.value.partition("..")
                return ((not low.strip() or _compare(got, low, today, ">=")) and
                        (not high.strip() or _compare(got, high, today, "<=")))
            return any(_equal(got, alt, today) for alt in self.value.split(","))
        return _compare(got, self.value, today, self.op)


def parse_filter(text: str) -> Filter:
    """``COLUMN=VALUE`` (or ``!=``, ``<``, ``<=``, ``>``, ``>=``); :class:`ValidationError` if it is not one."""
    at = min(((text.find(op), op) for op in OPERATORS if op in text), default=None,
             key=lambda x: (x[0], -len(x[1])))
    if at is None or at[0] <= 0 or not text[at[0] + len(at[1]):].strip():
        raise ValidationError(f"'{text}' is not a filter: write COLUMN=VALUE, e.g. repeat_referral=yes, "
                              "age=10..15 or plan_start<=today-18m")
    pos, op = at
    return Filter(column_name(text[:pos]), op, text[pos + len(op):].strip())


def value_of(case: CaseRow, column: str) -> object:
    """The case's value in ``column`` (a built-in column or one of its ``fields``); None when it has none."""
    if column in BUILT_IN:
        value: object = getattr(case, column)
    else:
        value = case.fields.get(column)
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _relative(text: str, today: date) -> date | None:
    m = _RELATIVE.match(text.strip().lower())
    if not m:
        return None
    if not m.group(1):
        return today
    n = int(m.group(2)) * (1 if m.group(1) == "+" else -1)
    unit = m.group(3)
    if unit == "d":
        return today + timedelta(days=n)
    if unit == "w":
        return today + timedelta(weeks=n)
    return months_before(today, -n * (12 if unit == "y" else 1))


def _as_date(value: object, today: date) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        rel = _relative(text, today)
        if rel is not None:
            return rel
        try:
            return date.fromisoformat(text[:10]) if len(text) >= 10 else None
        except ValueError:
            return None
    return None


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        try:
            n = float(value.strip().replace(",", ""))
        except ValueError:
            return None
        return n if math.isfinite(n) else None
    return None


def _yes_no(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        return True if text in _YES else False if text in _NO else None
    return None


def _equal(got: object, wanted: str, today: date) -> bool:
    wanted = wanted.strip()
    flag = _yes_no(wanted)
    if flag is not None and wanted.lower() not in ("0", "1"):
        return _yes_no(got) is flag
    a, b = _as_number(got), _as_number(wanted)
    if a is not None and b is not None:
        return a == b
    da, db = _as_date(got, today), _as_date(wanted, today)
    if da is not None and db is not None:
        return da == db
    return _text(str(got)) == _text(wanted)


def _text(value: str) -> str:
    # "10–15" in a spreadsheet is "10-15" as typed: dashes read alike, case and outer spaces ignored.
    return re.sub(r"[\u2010-\u2015\u2212]", "-", value.strip()).casefold()


def _compare(got: object, wanted: str, today: date, op: str) -> bool:
    pair: tuple[Any, Any] | None = None
    a, b = _as_number(got), _as_number(wanted)
    if a is not None and b is not None:
        pair = (a, b)
    else:
        da, db = _as_date(got, today), _as_date(wanted, today)
        if da is not None and db is not None:
            pair = (da, db)
    if pair is None:
        return False
    x, y = pair
    return {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[op]

