"""Dates as templates and answers write them (ISO ``YYYY-MM-DD``) and as people read them (25 Nov 2026)."""

from __future__ import annotations

import re
from datetime import date

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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
