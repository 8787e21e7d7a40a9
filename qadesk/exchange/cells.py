"""One cell of an imported table as a typed value: dates, yes/no flags, numbers, months.

Dates are read as Britain writes them, day first (``15/11/2026``, ``15/11/26``, ``15.11.2026``,
``15-Nov-2026``, ``15 November 2026``), as ISO (``2026-11-15``, with or without a time), and as Excel
keeps them: a date cell, or a day number (45976 is 15 Nov 2025) in a column that holds dates.
Each reader raises :class:`CellProblem` with a message that says, in words, what is wrong.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any

from qadesk.core.dates import DateProblem, full_year, parse_date

EXCEL_EPOCH = _dt.date(1899, 12, 30)
_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_WORDY = re.compile(r"[a-z]", re.IGNORECASE)
_YEAR4 = re.compile(r"\b\d{4}\b")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_CHOICE_PREFIX = re.compile(r"^[a-z]\d?\)\s*", re.IGNORECASE)  # Annex A's "a) Yes"

TRUE_WORDS = frozenset({"yes", "y", "true", "t", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "f", "0"})
UNKNOWN_WORDS = frozenset({"unknown", "not known", "u", "n/a", "na", "not recorded", "not stated", "not applicable",
                           "don't know", "dont know"})


class CellProblem(ValueError):
    """A cell that is not what its column holds; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(value: Any) -> str:
    """A cell's value as the spreadsheet shows it, shortened, for a message."""
    text = value.isoformat() if isinstance(value, _dt.date) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _make(day: int, month: int, year: int, value: Any) -> _dt.date:
    try:
        return _dt.date(year, month, day)
    except ValueError:
        raise CellProblem(f"'{shown(value)}' is not a date (day {day} of month {month} of {year})") from None


def as_date(value: Any, today: _dt.date | None = None) -> _dt.date:
    """The date a cell holds (see the module's docstring)."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 3654 <= value < 109_575:  # Excel's day numbers of 1910 to 2199: a smaller number is no date here
            return EXCEL_EPOCH + _dt.timedelta(days=int(value))
        raise CellProblem(f"'{shown(value)}' is not a date")
    text = str(value).strip()
    m = _DMY.match(text)
    if m:
        year = int(m[3]) if len(m[3]) == 4 else full_year(int(m[3]), today)
        return _make(int(m[1]), int(m[2]), year, text)
    m = _ISO.match(text)
    if m:
        return _make(int(m[3]), int(m[2]), int(m[1]), text)
    if text.isdigit() and len(text) == 5:  # a day number copied out of Excel as text
        return as_date(int(text))
    if _WORDY.search(text) and _YEAR4.search(text):
        try:
            return parse_date(text, today)
        except DateProblem:
            pass
    raise CellProblem(f"'{shown(text)}' is not a date: write it like 25/11/2026")


def looks_like_date(value: Any) -> bool:
    """True when a cell is a date cell or text written as a date (for telling a column's kind by its values)."""
    if isinstance(value, _dt.date):
        return True
    return isinstance(value, str) and bool(_DMY.match(value) or _ISO.match(value))


_FLAG_VALUES: dict[str, bool | None] = {
    **dict.fromkeys(TRUE_WORDS, True), **dict.fromkeys(FALSE_WORDS, False), **dict.fromkeys(UNKNOWN_WORDS, None)}


def flag_word(value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else str(value).lower()
    return _CHOICE_PREFIX.sub("", text).strip()


def as_flag(value: Any) -> bool | None:
    """Yes (True), no (False) or unknown (None): ``yes``/``no``, ``Y``/``N``, ``true``/``false``, ``1``/``0``,
    Annex A's ``a) Yes``; ``unknown``, ``n/a`` and the like are None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        quick = value.lower()
        if quick in _FLAG_VALUES:  # "Yes", "N", "true": most cells, without the Annex A prefix's pattern
            return _FLAG_VALUES[quick]
    word = flag_word(value)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    if word in UNKNOWN_WORDS:
        return None
    raise CellProblem(f"'{shown(value)}' is not yes or no")


def is_flag_word(value: Any) -> bool:
    """True for the words of a yes/no column (not ``1``/``0``, which a column of counts also holds)."""
    if isinstance(value, bool):
        return True
    if not isinstance(value, str):
        return False
    quick = value.lower()
    if quick in _FLAG_VALUES:
        return quick not in ("1", "0", "t", "f")
    word = flag_word(value)
    return word in {"yes", "y", "true", "no", "n", "false"} or word in UNKNOWN_WORDS


def as_number(value: Any) -> int | float:
    """A whole number or a decimal (``1,234`` and ``85%`` are read as 1234 and 85)."""
    if isinstance(value, bool):
        raise CellProblem(f"'{shown(value)}' is not a number")
    if isinstance(value, int | float):
        return value
    text = str(value).strip().replace(",", "").rstrip("%").strip()
    if not _NUMBER.match(text):
        raise CellProblem(f"'{shown(value)}' is not a number")
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    return isinstance(value, str) and bool(_NUMBER.match(value.strip()))


MONTH_ONLY = re.compile(r"^(\d{4})[-/](\d{1,2})$|^(\d{1,2})[-/](\d{4})$")


def as_month(value: Any, today: _dt.date | None = None) -> _dt.date:
    """The month a cell names, as its first day: ``2026-11``, ``11/2026``, ``Nov 2026``, ``November 2026``,
    or any date in it."""
    if isinstance(value, _dt.date | _dt.datetime) or (isinstance(value, int | float) and not isinstance(value, bool)):
        return as_date(value).replace(day=1)
    text = str(value).strip()
    m = MONTH_ONLY.match(text)
    if m:
        year, month = (int(m[1]), int(m[2])) if m[1] else (int(m[4]), int(m[3]))
        if 1 <= month <= 12:
            return _dt.date(year, month, 1)
        raise CellProblem(f"'{shown(text)}' is not a month (month {month})")
    words = text.replace(",", " ").replace("-", " ").split()
    if len(words) == 2 and not words[0].isdigit() and words[1].isdigit() and len(words[1]) in (2, 4):
        try:
            return parse_date(f"1 {words[0]} {words[1]}", today)
        except DateProblem:
            raise CellProblem(f"'{shown(text)}' is not a month: write it like Nov 2026 or 2026-11") from None
    try:
        return as_date(text, today).replace(day=1)
    except CellProblem:
        raise CellProblem(f"'{shown(text)}' is not a month: write it like Nov 2026 or 2026-11") from None
