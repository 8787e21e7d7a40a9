"""The figures of the QA summary for a selection of audits, as plain values.

:func:`qadesk.services.stats.compute` fills them from the store with SQL aggregates; the summary
report (PDF), the Excel return's Summary sheet and the window's charts all read them from here, so
the numbers agree and the file writers need no store.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from qadesk.core.agreement import PairAgreement
from qadesk.core.agreement_drift import Drift
from qadesk.core.selection import Selection

NO_TEAM = "(no team)"
NO_CASE_TYPE = "(not given)"
FINAL_GRADE_NOTE = ("Each audit counts with its final grade: the moderated grade where a moderator gave "
                    "another grade, otherwise the auditor's grade.")
# A question is listed as a learning theme only with at least this many scored answers: 1 of 2 is no theme.
MIN_THEME_ANSWERS = 5


@dataclass(frozen=True)
class Theme:
    """A question where practice often fell short: answers at the bottom of its scale."""

    template_title: str
    question_id: str
    label: str
    short: int  # answers given the lowest-scoring choice
    answered: int  # answers with a score

    @property
    def share(self) -> float:
        return self.short / self.answered if self.answered else 0.0


@dataclass(frozen=True)
class UrgentAction:
    audit_reference: str
    team: str | None
    text: str
    owner: str | None
    due: date | None
    status: str
    told_whom: str | None = None
    told_at: datetime | None = None


@dataclass
class GradeScale:
    """Audits graded on one scale (templates whose overall choices read the same), best grade first."""

    labels: list[str]
    by_team: dict[str, Counter[str]] = field(default_factory=dict)
    by_case_type: dict[str, Counter[str]] = field(default_factory=dict)
    by_month: dict[str, Counter[str]] = field(default_factory=dict)  # "2026-11"

    @property
    def name(self) -> str:
        return f"{self.labels[0]} to {self.labels[-1]}" if len(self.labels) > 1 else "".join(self.labels)

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.by_team.values())


@dataclass(frozen=True)
class UnansweredConcern:
    """A submitted audit whose answers flag an urgent concern, and no urgent action open or done."""

    audit_id: str
    audit_reference: str
    team: str | None
    question: str  # the label of the question that flags it
    status: str = "completed"


@dataclass(frozen=True)
class AgreementRow:
    """Agreement between auditors and moderators for one group of moderated audits, on one grade scale."""

    by: str  # all, auditor, moderator, team, quarter, section (the section's title; its own grade list)
    group: str | None  # None with by="all"
    scale: str  # the grade list's id
    grades: tuple[str, ...]  # the scale's labels, lowest first
    agreement: PairAgreement


@dataclass(frozen=True)
class DriftRow:
    """One auditor's drift from moderation on one scale, and the pairs it comes from (for the chart)."""

    auditor: str
    scale: str
    drift: Drift
    pairs: tuple[tuple[int, int], ...]


@dataclass
class Stats:
    """Counts for one selection of audits (see :func:`compute`)."""

    selection: Selection
    today: date
    audits: int = 0
    completed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    scales: list[GradeScale] = field(default_factory=list)  # the most used scale first
    regraded: int = 0  # graded audits that count with a moderated grade other than the auditor's
    moderations: int = 0
    moderations_agreed: int = 0
    moderation_by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)  # kind -> (agreed, total)
    actions_open: int = 0
    actions_overdue: int = 0
    actions_done: int = 0
    actions_cancelled: int = 0
    overdue_by_team: dict[str, int] = field(default_factory=dict)
    urgent: list[UrgentAction] = field(default_factory=list)
    urgent_total: int = 0
    # Submitted audits whose answers flag an urgent concern and that have no urgent action (open or done).
    unanswered: list[UnansweredConcern] = field(default_factory=list)
    unanswered_total: int = 0
    themes: list[Theme] = field(default_factory=list)
    themes_by_team: dict[str, list[Theme]] = field(default_factory=dict)
    # Agreement between auditors and moderators (docs/moderation-statistics.md): all moderated audits, then per
    # auditor, moderator, team and quarter, then per section; and each auditor's drift, the warnings first.
    agreement: list[AgreementRow] = field(default_factory=list)
    drift: list[DriftRow] = field(default_factory=list)

    def agreement_for(self, by: str) -> list[AgreementRow]:
        return [r for r in self.agreement if r.by == by]

    @property
    def agreement_rate(self) -> float | None:
        return self.moderations_agreed / self.moderations if self.moderations else None

    @property
    def main(self) -> GradeScale:
        """The scale most audits in the selection were graded on (Ofsted's four points, usually)."""
        return self.scales[0] if self.scales else GradeScale([])

    # The main scale's figures, for the charts that show one scale.
    @property
    def grade_scale(self) -> list[str]:
        return self.main.labels

    @property
    def grades_by_team(self) -> dict[str, Counter[str]]:
        return self.main.by_team

    @property
    def grades_by_month(self) -> dict[str, Counter[str]]:
        return self.main.by_month

    def grade_totals(self) -> Counter[str]:
        """Audits per grade label over every scale."""
        total: Counter[str] = Counter()
        for scale in self.scales:
            for counts in scale.by_team.values():
                total.update(counts)
        return total
