"""Which audits: the one SELECTION the window, the command line, reports and packs choose audits by.

A plain value: :mod:`qadesk.services.queries` turns it into SQL, and the report writers in
:mod:`qadesk.exchange` describe it in words for titles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass
class Selection:
    """Which audits: every field narrows; an empty selection means all."""

    audit_ids: list[str] = field(default_factory=list)
    statuses: list[str] = field(default_factory=list)
    teams: list[str] = field(default_factory=list)
    template_id: str | None = None
    since: date | None = None
    until: date | None = None
    programme: str | None = None
    auditor: str | None = None
    case_type: str | None = None
    search: str | None = None

    def is_empty(self) -> bool:
        return not any([self.audit_ids, self.statuses, self.teams, self.template_id, self.since, self.until,
                        self.programme, self.auditor, self.case_type, self.search])
