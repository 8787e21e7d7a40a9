"""Finding audits: the one SELECTION used by the window, the command line, reports and packs.

Filtering and sorting happen in SQL, a page at a time, so the audits list
stays fast on 100,000 audits.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, aliased, selectinload

from qadesk.core.dates import as_utc
from qadesk.core.selection import Selection  # the value lives in core; callers know it here too
from qadesk.services import permissions
from qadesk.store.models import ActionItem, Audit, Programme, TemplateVersion

SORT_COLUMNS = {
    "reference": Audit.reference,
    "status": Audit.status,
    "case_ref": Audit.case_ref,
    "case_type": Audit.case_type,
    "team": Audit.team,
    "practitioner": Audit.practitioner,
    "auditor": Audit.auditor_name,
    "started_at": Audit.started_at,
    "completed_at": Audit.completed_at,
    # Grade order, not alphabetical: the grade's score on its list (migration 0006), best first when
    # ascending (Outstanding -> Inadequate), so it runs the other way from the score.
    "grade": Audit.final_score,
    # By template, then newest first within it: ordering by the title of the joined table could use
    # no index and sorted all 100,000 rows; the template's key in audits can.
    "template": Audit.template_pk,
    "updated_at": Audit.updated_at,
}
BEST_FIRST = {"grade"}  # sorts whose ascending order is the column's descending one


def _day_start(d: date) -> datetime:
    return datetime.combine(d, time.min, tzinfo=timezone.utc)


def apply(query: Select[Any], sel: Selection, dialect: str = "sqlite") -> Select[Any]:
    """Narrow ``query`` to the selection.  ``dialect`` picks the cheapest case-insensitive search:
    SQLite's LIKE already ignores case (ILIKE would wrap both sides in lower() and cost 3x)."""
    if sel.audit_ids:
        query = query.where(or_(Audit.id.in_(sel.audit_ids), Audit.reference.in_(sel.audit_ids)))
    if sel.statuses:
        query = query.where(Audit.status.in_(sel.statuses))
    if sel.teams:
        query = query.where(Audit.team.in_(sel.teams))
    if sel.template_id:
        query = query.where(Audit.template_pk.in_(
            select(TemplateVersion.pk).where(TemplateVersion.template_id == sel.template_id)))
    if sel.since:
        query = query.where(Audit.started_at >= _day_start(sel.since))
    if sel.until:
        query = query.where(Audit.started_at < _day_start(sel.until + timedelta(days=1)))
    if sel.programme:
        query = query.where(Audit.programme_pk.in_(select(Programme.pk).where(Programme.name == sel.programme)))
    if sel.auditor:
        query = query.where(Audit.auditor_name == sel.auditor)
    if sel.case_type:
        query = query.where(Audit.case_type == sel.case_type)
    if sel.search:
        needle = sel.search.strip()
        like = f"%{needle.replace('%', '').replace('_', '')}%"
        cols = (Audit.reference, Audit.case_ref, Audit.practitioner)
        if dialect == "sqlite":
            query = query.where(or_(*(c.like(like) for c in cols)))
        else:
            query = query.where(or_(*(c.ilike(like) for c in cols)))
    return query


@dataclass(frozen=True)
class AuditRow:
    id: str
    reference: str
    status: str
    template_id: str
    template_version: int
    template_title: str
    kind: str
    case_ref: str | None
    case_type: str | None
    team: str | None
    practitioner: str | None
    auditor: str | None
    started_at: datetime
    completed_at: datetime | None
    grade: str | None  # the final grade: the moderated grade where a moderator gave one (docs/packs-and-reports.md)
    answered: int
    auditor_grade: str | None = None  # the auditor's own overall grade

    @property
    def moderated(self) -> bool:
        """A moderator gave another grade than the auditor's: the audit counts with the moderator's."""
        return self.grade != self.auditor_grade

    def as_dict(self) -> dict[str, Any]:
        from qadesk.services.audits import iso

        return {
            "id": self.id, "reference": self.reference, "status": self.status,
            "template": {"id": self.template_id, "version": self.template_version, "title": self.template_title},
            "subject": {"case_ref": self.case_ref, "case_type": self.case_type, "team": self.team,
                        "practitioner": self.practitioner},
            "auditor": self.auditor, "started_at": iso(self.started_at), "completed_at": iso(self.completed_at),
            "grade": self.grade, "auditor_grade": self.auditor_grade,
        }


_ROW_COLUMNS = (
    Audit.id, Audit.reference, Audit.status, TemplateVersion.template_id, TemplateVersion.version,
    TemplateVersion.title, TemplateVersion.kind, Audit.case_ref, Audit.case_type, Audit.team,
    Audit.practitioner, Audit.auditor_name, Audit.started_at, Audit.completed_at, Audit.final_grade,
    Audit.answered_count, Audit.overall_grade,
)


def list_audits(session: Session, sel: Selection | None = None, *, sort: str = "started_at",
                descending: bool = True, offset: int = 0, limit: int | None = 200) -> list[AuditRow]:
    """One page of audits, filtered and sorted in SQL."""
    from qadesk.services.audits import aware

    query: Any = select(*_ROW_COLUMNS).join(TemplateVersion, Audit.template_pk == TemplateVersion.pk)
    query = permissions.visible(session, apply(query, sel or Selection(), session.get_bind().dialect.name))
    column = SORT_COLUMNS.get(sort, Audit.started_at)
    if sort in BEST_FIRST:
        descending = not descending
    order = column.desc() if descending else column.asc()
    if session.get_bind().dialect.name == "postgresql":
        # SQLite counts NULL below every value; PostgreSQL above. The same order on both: ungraded audits
        # (and audits not yet completed) after the rest when sorting down, first when sorting up.
        order = order.nulls_last() if descending else order.nulls_first()
    query = query.order_by(order, Audit.reference.desc() if descending else Audit.reference.asc())
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    out = []
    for r in session.execute(query).all():
        out.append(AuditRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11],
                            aware(r[12]), aware(r[13]), r[14], r[15] or 0, r[16]))
    return out


def count_audits(session: Session, sel: Selection | None = None) -> int:
    # count(*), not count(id): SQLite can then answer from an index without reading the audit rows.
    """How many audits the selection holds (one COUNT in SQL)."""
    query = apply(select(func.count()).select_from(Audit), sel or Selection(), session.get_bind().dialect.name)
    query = permissions.visible(session, query)
    return int(session.execute(query).scalar() or 0)


def audit_ids(session: Session, sel: Selection | None = None) -> list[str]:
    """The ids of the selected audits, oldest first (the order of reports, returns and packs)."""
    query = permissions.visible(session, apply(select(Audit.id), sel or Selection()))
    query = query.order_by(Audit.started_at, Audit.reference)
    return list(session.execute(query).scalars())


def audit_batches(session: Session, ids: list[str], size: int = 200) -> Iterator[list[Audit]]:
    """The audits with these ids, in the same order, ``size`` at a time.

    One query per batch (and one per batch for each of their answers, actions...),
    not one per audit: exports and previews of thousands of audits stay quick.
    """
    for start in range(0, len(ids), size):
        chunk = ids[start:start + size]
        rows = {a.id: a for a in session.execute(select(Audit).where(Audit.id.in_(chunk))
                                                 .options(selectinload(Audit.assignment))).scalars()}
        yield [rows[aid] for aid in chunk]


def distinct_values(session: Session, column: str) -> list[str]:
    """Teams, auditors, case types... for filter drop-downs."""
    col = {"team": Audit.team, "auditor": Audit.auditor_name, "case_type": Audit.case_type,
           "practitioner": Audit.practitioner}[column]
    return [str(v) for v in session.execute(select(col).where(col.is_not(None)).distinct().order_by(col)).scalars()]


def programme_names(session: Session) -> list[str]:
    """The names of every programme, in alphabetical order (for filter drop-downs)."""
    return list(session.execute(select(Programme.name).order_by(Programme.name)).scalars())


@dataclass(frozen=True)
class ActionRow:
    id: str
    audit_id: str
    audit_reference: str
    text: str
    owner: str | None
    due: date | None
    status: str
    urgent: bool
    team: str | None
    told_whom: str | None = None  # an urgent action: who was told of the concern
    told_at: datetime | None = None  # and when (UTC)

    def overdue(self, today: date | None = None) -> bool:
        return self.status == "open" and self.due is not None and self.due < (today or date.today())


def _audit_ids(column: str, value: str) -> Select[Any]:
    """The ids of the audits whose ``column`` is ``value`` (an alias, so it never correlates with the outer query)."""
    a = aliased(Audit)
    return select(a.id).where(getattr(a, column) == value)


def list_actions(session: Session, *, status: str | None = "open", owner: str | None = None,
                 auditor: str | None = None, overdue_only: bool = False, today: date | None = None,
                 limit: int | None = 500, team: str | None = None, urgent_only: bool = False,
                 mine: str | None = None, selection: Selection | None = None) -> list[ActionRow]:
    """Actions, urgent and soonest due first; ``mine`` = owned by that person or from their audits;
    ``selection`` = from the audits it chooses."""
    query = select(ActionItem.id, ActionItem.audit_id, Audit.reference, ActionItem.text, ActionItem.owner,
                   ActionItem.due, ActionItem.status, ActionItem.urgent, Audit.team, ActionItem.told_whom,
                   ActionItem.told_at).join(Audit, ActionItem.audit_id == Audit.id)
    query = permissions.visible(session, query)  # a practitioner: the actions of their own work's audits
    if status:
        query = query.where(ActionItem.status == status)
    if owner:
        query = query.where(ActionItem.owner == owner)
    # Audit filters as "audit_id IN (the audits)": SQLite then walks those audits' actions through
    # ix_actions_audit_status instead of joining every open action (migration 0005; 100 ms -> 15 ms).
    if auditor:
        query = query.where(ActionItem.audit_id.in_(_audit_ids("auditor_name", auditor)))
    if overdue_only:
        query = query.where(ActionItem.due < (today or date.today()))
    if team:
        query = query.where(ActionItem.audit_id.in_(_audit_ids("team", team)))
    if urgent_only:
        query = query.where(ActionItem.urgent.is_(True))
    if selection is not None and selection != Selection():
        # Uncorrelated, like _audit_ids: the audits chosen, not "this action's audit if chosen".
        query = query.where(ActionItem.audit_id.in_(apply(select(Audit.id), selection).correlate(None)))
    if mine:
        query = query.where(or_(ActionItem.owner == mine,
                                ActionItem.audit_id.in_(_audit_ids("auditor_name", mine))))
    query = query.order_by(ActionItem.urgent.desc(), ActionItem.due.is_(None), ActionItem.due)
    if limit:
        query = query.limit(limit)
    return [ActionRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], bool(r[7]), r[8], r[9], as_utc(r[10]))
            for r in session.execute(query).all()]

