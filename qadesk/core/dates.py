"""Dates as templates and answers write them (ISO ``YYYY-MM-DD``), as people type them, and as people
read them (25 Nov 2026).

:func:`parse_date` reads what an auditor types into a date box: British day-first numbers
(``15/11/2026``, ``15/11/26``, ``1/6/2026``, ``15.11.2026``, ``15112026``), ISO (``2026-11-15``),
a month by name (``15 Nov 2026``, ``15th November 2026``, ``Nov 15, 2026``), with or without
the year (then this year), and ``today``, ``yesterday``, ``tomorrow``.  What is not a date is
refused with a :class:`DateProblem` whose message says why in plain words
("February 2026 has 28 days").

Two-digit years: ``yy`` is 20yy when that is at most :data:`FUTURE_YEARS` years after this
year, else 19yy (in 2026: 00-46 are 2000-2046, 47-99 are 1947-1999), so a date of birth
typed ``3/4/98`` and a due date typed ``1/2/27`` both come out right.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta, timezone
from typing import overload

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}\Z")
FUTURE_YEARS = 20
FIRST_YEAR, LAST_YEAR = 1900, 2199
EXAMPLE = "25/11/2026 or 25 Nov 2026"

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
_ORDINAL = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)
_NUMERIC = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})(?:\s*[/.\-\s]\s*(\d{1,4}))?$")
_ISO = re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})$")
_DAY_MONTH = re.compile(r"^(\d{1,2})\s*[-\s/.]?\s*([a-z]+)\.?(?:\s*[-\s/.,]\s*(\d{1,4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+)\.?\s*(\d{1,2})(?:\s*[,\s]\s*(\d{4}))?$")
_TIME = re.compile(r"^(\d{1,2})(?:\s*[:.h]\s*(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


class DateProblem(ValueError):
    """What was typed is not a date; ``message`` says why, in words a person can act on."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def valid_date(text: str) -> bool:
    """True when ``text`` is a real calendar date written ``YYYY-MM-DD`` (no time, no spaces)."""
    if not DATE_RE.match(text):
        return False
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def british_date(d: date) -> str:
    """``25 Nov 2026``: the one way qadesk shows a date (window, reports, returns, command line)."""
    return f"{d.day} {d:%b %Y}"


def british_datetime(moment: datetime) -> str:
    """``25 Nov 2026 14:30``: a date with its time of day (in the time zone ``moment`` carries)."""
    return f"{british_date(moment.date())} {moment:%H:%M}"


def full_year(yy: int, today: date | None = None) -> int:
    """A two-digit year as the century it most likely means (see the module's docstring)."""
    this_year = (today or date.today()).year
    candidate = this_year // 100 * 100 + yy
    if candidate > this_year + FUTURE_YEARS:
        candidate -= 100
    elif candidate + 100 <= this_year + FUTURE_YEARS:
        candidate += 100
    return candidate


def parse_date(text: str, today: date | None = None) -> date:
    """The date ``text`` means, or :class:`DateProblem` saying why it is not one.

    Day first, as written in Britain: ``1/6/2026`` is 1 June.  An empty text is a problem too:
    the caller decides what an empty box means.
    """
    today = today or date.today()
    raw = " ".join(text.split())
    if not raw:
        raise DateProblem("No date was given.")
    low = _ORDINAL.sub("", raw.lower())
    words = {"today": 0, "yesterday": -1, "tomorrow": 1}
    if low in words:
        return today + timedelta(days=words[low])
    if low.isdigit() and len(low) in (6, 8):  # 151126, 15112026 (or ISO without dashes: 20261115)
        day, month, year = int(low[:2]), int(low[2:4]), low[4:]
        if len(low) == 8 and not (1 <= month <= 12) and 1 <= int(low[4:6]) <= 12:
            return _make(int(low[6:]), int(low[4:6]), int(low[:4]), raw)
        return _make(day, month, _year(year, raw, today), raw)
    m = _ISO.match(low)
    if m:
        return _make(int(m[3]), int(m[2]), int(m[1]), raw)
    m = _NUMERIC.match(low)
    if m:
        return _make(int(m[1]), int(m[2]), _year(m[3], raw, today), raw)
    m = _DAY_MONTH.match(low) or _MONTH_DAY.match(low)
    if m:
        day_text, month_text = (m[1], m[2]) if m.re is _DAY_MONTH else (m[2], m[1])
        month = _month(month_text, raw)
        return _make(int(day_text), month, _year(m[3], raw, today), raw)
    raise DateProblem(f"“{raw}” is not a date qadesk can read: write it like {EXAMPLE}.")


def complete_date(text: str) -> bool:
    """True when ``text`` reads as a whole date that typing on would not change: its year has four
    digits at the end (``15/11/2026``, ``15 Nov 2026``) or it is ISO with two-digit month and day.

    A date box takes such a date as it is typed; anything shorter (``15/11/2``, ``15/11/20``...)
    only when the person leaves the box or presses Enter.
    """
    raw = " ".join(text.split())
    try:
        parse_date(raw)
    except DateProblem:
        return False
    return bool(re.search(r"[^\d]\d{4}$", raw) or DATE_RE.match(raw) or re.fullmatch(r"\d{8}", raw))


def parse_time(text: str) -> time:
    """A time of day as people type it (``14:30``, ``14.30``, ``1430``, ``2:30pm``, ``2pm``, ``9``)."""
    raw = " ".join(text.split()).lower()
    if not raw:
        raise DateProblem("No time was given.")
    if raw.isdigit() and len(raw) in (3, 4):
        raw = f"{raw[:-2]}:{raw[-2:]}"
    m = _TIME.match(raw)
    if not m:
        raise DateProblem(f"“{text.strip()}” is not a time: write it like 14:30 or 2:30pm.")
    hour, minute = int(m[1]), int(m[2] or 0)
    if m[3]:
        if not 1 <= hour <= 12:
            raise DateProblem(f"“{text.strip()}”: with am or pm the hour is 1 to 12.")
        hour = hour % 12 + (12 if m[3].startswith("p") else 0)
    if hour > 23:
        raise DateProblem(f"“{text.strip()}”: there is no hour {hour} (the day has hours 0 to 23).")
    if minute > 59:
        raise DateProblem(f"“{text.strip()}”: an hour has minutes 0 to 59.")
    return time(hour, minute)


def _year(text: str | None, raw: str, today: date) -> int:
    if not text:
        return today.year
    if len(text) == 2:
        return full_year(int(text), today)
    if len(text) == 4:
        return int(text)
    raise DateProblem(f"“{raw}”: write the year with four digits (2026) or two (26).")


def _month(text: str, raw: str) -> int:
    month = MONTHS.get(text)
    if month is None:
        matches = {n for name, n in MONTHS.items() if len(text) >= 3 and name.startswith(text)}
        if len(matches) != 1:
            raise DateProblem(f"“{raw}”: “{text}” is not a month.")
        month = matches.pop()
    return month


def _make(day: int, month: int, year: int, raw: str) -> date:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise DateProblem(f"“{raw}”: the year {year} is outside what qadesk takes ({FIRST_YEAR} to {LAST_YEAR}).")
    if not 1 <= month <= 12:
        raise DateProblem(f"“{raw}”: there is no month {month} (months are 1 to 12, day first: {EXAMPLE}).")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        name = calendar.month_name[month]
        if month == 2 and day == 29:
            raise DateProblem(f"“{raw}”: {year} is not a leap year, so February {year} has 28 days.")
        raise DateProblem(f"“{raw}”: {name} {year} has {days} days, so there is no {day} {name}."
                          if day > days else f"“{raw}”: there is no day {day} in a month.")
    return date(year, month, day)


@overload
def as_utc(dt: datetime) -> datetime: ...
@overload
def as_utc(dt: None) -> None: ...
@overload
def as_utc(dt: datetime | None) -> datetime | None: ...
def as_utc(dt: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time: SQLite hands back naive datetimes, and qadesk stores UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def quarter_of(day: date) -> str:
    """The council's financial-year quarter of ``day``, as "2026-27 Q1" (Q1 is April to June)."""
    start = day.year if day.month >= 4 else day.year - 1
    quarter = (day.month - 4) % 12 // 3 + 1
    return f"{start}-{(start + 1) % 100:02d} Q{quarter}"
