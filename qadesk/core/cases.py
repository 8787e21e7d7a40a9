"""A case as the case list gives it: the plain value sampling, allocation and the screens read.

A case is a child (or sibling group) known to children's services, named only by the reference the
case management system gives it. Nothing here holds a child's name or date of birth: the case list
importer drops a name column and keeps a date of birth only as an age band.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CASE_TYPES: dict[str, str] = {
    "EH": "Early Help",
    "CIN": "Child in Need",
    "CP": "Child Protection",
    "CLA": "Child Looked After",
    "CL": "Care Leaver",
}
"""The case types of domain.md, code to words, in the order of a child's journey."""


@dataclass(frozen=True)
class CaseRow:
    """One case of the store's case list.

    ``fields`` holds the list's other columns by their normalised header (``repeat_referral``,
    ``date_of_last_visit``, ...): values are ``str``, ``int``, ``float``, ``bool``, ``datetime.date``
    or ``None``, as the importer typed them.
    """

    case_ref: str
    case_type: str | None
    team: str | None
    worker: str | None
    fields: dict[str, Any] = field(default_factory=dict)
