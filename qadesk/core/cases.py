"""A case as the case list gives it: the plain value sampling, allocation and the screens read.

A case is a child (or sibling group) known to children's services, named only by the reference the
case management system gives it. Nothing here holds a child's name or date of birth: the case list
importer drops a name column and keeps a date of birth only as an age band (:func:`age_band`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

CASE_TYPES: dict[str, str] = {
    "EH": "Early Help",
    "CIN": "Child in Need",
    "CP": "Child Protection",
    "CLA": "Child Looked After",
    "CL": "Care Leaver",
}
"""The case types of domain.md, code to words, in the order of a child's journey."""

# What case lists write for a case type, normalised (lower case, letters and digits only), beside the
# codes themselves. "LAC" and "CiC" are older and local words for a child looked after.
_CASE_TYPE_WORDS: dict[str, str] = {
    "eh": "EH", "earlyhelp": "EH", "earlyhelpassessment": "EH", "eha": "EH", "earlyhelpplan": "EH",
    "familysupport": "EH", "targetedearlyhelp": "EH",
    "cin": "CIN", "childinneed": "CIN", "childreninneed": "CIN", "cinplan": "CIN", "childinneedplan": "CIN",
    "inneed": "CIN", "openassessment": "CIN", "assessment": "CIN", "s17": "CIN", "section17": "CIN",
    "cp": "CP", "cpp": "CP", "childprotection": "CP", "childprotectionplan": "CP", "cpplan": "CP",
    "childrenonachildprotectionplan": "CP", "childonachildprotectionplan": "CP", "protectionplan": "CP",
    "cla": "CLA", "lac": "CLA", "cic": "CLA", "lookedafter": "CLA", "childlookedafter": "CLA",
    "lookedafterchild": "CLA", "childrenlookedafter": "CLA", "childincare": "CLA", "childrenincare": "CLA",
    "incare": "CLA", "lookedafterchildren": "CLA",
    "cl": "CL", "careleaver": "CL", "careleavers": "CL", "leavingcare": "CL", "leftcare": "CL",
    "relevantchild": "CL", "formerrelevantchild": "CL", "qualifyingcareleaver": "CL",
}
_LIST_PREFIX = re.compile(r"^\s*[a-z]\d?\)\s*", re.IGNORECASE)  # Annex A writes choices "b) Child Protection plan"


def case_type_code(text: str) -> str | None:
    """The case type code (EH, CIN, CP, CLA, CL) that ``text`` means, or None when it means none.

    Reads the codes in any case and the words lists use: "Child in Need", "Child Protection plan",
    "Looked After", "LAC", "Care Leaver", "Early Help", Annex A's "b) Child Protection plan", ...
    """
    key = re.sub(r"[^a-z0-9]", "", _LIST_PREFIX.sub("", text).lower())
    return _CASE_TYPE_WORDS.get(key)


_APOSTROPHES = str.maketrans("", "", "'’‘`")
_NOT_WORD = re.compile(r"[^0-9a-z]+")
MAX_KEY = 64


def normalise_header(header: str) -> str:
    """A column header as a key: lower case, spaces, hyphens and punctuation read as ``_``.

    ``Repeat referral`` is ``repeat_referral``; ``Child's Legal Status`` is ``childs_legal_status``;
    a trailing ``(Y/N)`` is left off (``Referral NFA (Y/N)`` is ``referral_nfa``).
    """
    text = re.sub(r"\(\s*y\s*/\s*n\s*\)|\by/n\b", " ", header.strip().lower())
    key = _NOT_WORD.sub("_", text.translate(_APOSTROPHES)).strip("_")
    return key[:MAX_KEY].rstrip("_")


AGE_BANDS = ("under 1", "1-4", "5-9", "10-15", "16-17", "18-21", "22-25", "over 25")
"""The age bands a case carries instead of a date of birth (the Department for Education's, with care
leavers' ages after 17)."""


def age_band_of_years(years: int) -> str:
    """The band of an age in whole years."""
    if years < 1:
        return "under 1"
    for low, high, band in ((1, 4, "1-4"), (5, 9, "5-9"), (10, 15, "10-15"), (16, 17, "16-17"),
                            (18, 21, "18-21"), (22, 25, "22-25")):
        if low <= years <= high:
            return band
    return "over 25"


def age_in_years(born: date, on: date) -> int:
    """Whole years from ``born`` to ``on`` (a birthday on 29 February counts on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_band(born: date, on: date) -> str:
    """The age band of a child born on ``born``, on the day ``on``."""
    return age_band_of_years(max(0, age_in_years(born, on)))


@dataclass(frozen=True)
class CaseRow:
    """One case of the store's case list.

    ``fields`` holds the list's other columns by their normalised header (``repeat_referral``,
    ``date_of_last_visit``, ...) and ``age_band`` when the case has one: values are ``str``, ``int``,
    ``float``, ``bool``, ``datetime.date`` or ``None``, as the importer typed them.
    """

    case_ref: str
    case_type: str | None
    team: str | None
    worker: str | None
    fields: dict[str, Any] = field(default_factory=dict)


ROLES: dict[str, str] = {
    "case_ref": "Case reference",
    "case_type": "Case type",
    "team": "Team",
    "worker": "Allocated worker",
    "age_band": "Age band",
    "date_of_birth": "Date of birth (kept as an age band only)",
    "field": "Keep this column",
    "skip": "Leave out",
}
"""What a column of a case list can be, in the words of the mapping screen. A column of names, addresses
or other details that identify a child has no role it can be given: it is always left out."""


@dataclass(frozen=True)
class ColumnMapping:
    """A named mapping of a case list's columns, chosen once for a source and remembered.

    ``columns`` maps a column's normalised header (:func:`normalise_header`) to its role (a key of
    :data:`ROLES`); a column it does not name is read as qadesk reads any list's columns.
    ``case_type`` is the case type of every case of a list that has no case type column (an export of
    the child protection cases alone, say).
    """

    name: str
    columns: dict[str, str] = field(default_factory=dict)
    case_type: str | None = None
