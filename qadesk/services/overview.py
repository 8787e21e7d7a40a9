"""Figures for the window's Home and Moderation screens: drafts, grades by month, agreement.

Counted in SQL so they stay quick on a store of 100,000 audits.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from qadesk.services import permissions
from qadesk.services.audits import aware
from qadesk.services.queries import ActionRow, AuditRow, Selection, count_audits, list_actions, list_audits
from qadesk.services.templates import template_of
from qadesk.services.urgent import UnansweredConcern, unanswered_concerns
from qadesk.store.models import ActionItem, Audit, Moderation, TemplateVersion

DONE_STATUSES = ("completed", "moderated", "closed")


def grade_labels(session: Session) -> dict[tuple[str, int], dict[str, str]]:
    """For each template version, its overall grades' labels by value (e.g. 'ri' -> 'Requires improvement')."""
    out = {}
    for row in session.execute(select(TemplateVersion)).scalars():
        t = template_of(row)
        out[(row.template_id, row.version)] = {c.value: c.label for c in t.overall_choices()}
    return out


def _month_start(d: date, back: int) -> date:
    y, m = d.year, d.month - back
    while m <= 0:
        y, m = y - 1, m + 12
    return date(y, m, 1)


def grades_by_month(session: Session, *, months: int = 6, today: date | None = None,
                    team: str | None = None) -> list[tuple[date, dict[str, int]]]:
    """Final grades (the moderated grade where a moderator changed it) of audits completed in each of the
    last ``months`` months, oldest first."""
    today = today or date.today()
    first = _month_start(today, months - 1)
    since = datetime.combine(first, time.min, tzinfo=timezone.utc)
    if session.get_bind().dialect.name == "sqlite":
        month = func.strftime("%Y-%m", Audit.completed_at)
    else:
        month = func.to_char(Audit.completed_at, "YYYY-MM")
    query = (select(month, Audit.final_grade, func.count())
             .where(Audit.completed_at >= since, Audit.status.in_(DONE_STATUSES), Audit.final_grade.is_not(None))
             .group_by(month, Audit.final_grade))
    query = permissions.visible(session, query)
    if team:
        query = query.where(Audit.team == team)
    buckets: dict[date, dict[str, int]] = {_month_start(today, back): {} for back in range(months - 1, -1, -1)}
    for ym, grade, n in session.execute(query):
        y, m = (int(x) for x in str(ym).split("-"))
        if date(y, m, 1) in buckets:
            buckets[date(y, m, 1)][grade] = int(n)
    return sorted(buckets.items())


@dataclass
class HomeSummary:
    drafts: list[AuditRow]
    recently_completed: list[AuditRow]
    my_actions: list[ActionRow]
    open_actions: int
    overdue_actions: int
    draft_count: int = 0
    awaiting_moderation: int = 0
    grades: list[tuple[date, dict[str, int]]] = field(default_factory=list)
    labels: dict[tuple[str, int], dict[str, str]] = field(default_factory=dict)
    # The person's completed audits that flag an urgent concern with no urgent action: above every action.
    concerns: list[UnansweredConcern] = field(default_factory=list)


def home_summary(session: Session, me: str, *, today: date | None = None, limit: int = 8) -> HomeSummary:
    """What the Home screen shows the person ``me``: their drafts, completions and actions."""
    today = today or date.today()
    drafts = list_audits(session, Selection(statuses=["draft"], auditor=me), sort="updated_at", limit=limit)
    done = list_audits(session, Selection(statuses=list(DONE_STATUSES), auditor=me), sort="completed_at",
                       limit=limit)
    mine = {a.id: a for a in list_actions(session, owner=me, limit=limit * 4)}
    mine.update({a.id: a for a in list_actions(session, auditor=me, limit=limit * 4)})
    # Open urgent actions head the list until done (a child may be at risk), then the overdue ones.
    actions = sorted(mine.values(), key=lambda a: (not a.urgent, not a.overdue(today), a.due or date.max))
    concerns = unanswered_concerns(session, Selection(auditor=me), limit=limit)[0]
    counted = permissions.visible(session, select(func.count()).select_from(ActionItem)
                                  .join(Audit, ActionItem.audit_id == Audit.id).where(ActionItem.status == "open"))
    open_n = session.execute(counted).scalar()
    overdue_n = session.execute(counted.where(ActionItem.due < today)).scalar()
    # The concerns head the same list on Home, which keeps to limit * 2 lines in all.
    return HomeSummary(drafts, done, actions[: max(0, limit * 2 - len(concerns))], int(open_n or 0),
                       int(overdue_n or 0),
                       count_audits(session, Selection(statuses=["draft"], auditor=me)),
                       count_audits(session, Selection(statuses=["completed"])),
                       grades_by_month(session, today=today), grade_labels(session), concerns)


@dataclass(frozen=True)
class ModerationRow:
    id: str
    audit_id: str
    audit_reference: str
    template_id: str
    template_version: int
    moderator: str
    organisation: str | None
    kind: str
    agreed: bool
    audit_grade: str | None
    moderated_grade: str | None
    rationale: str | None
    at: datetime


def list_moderations(session: Session, *, limit: int = 300) -> list[ModerationRow]:
    """Moderations recorded, newest first."""
    query = (select(Moderation.id, Moderation.audit_id, Audit.reference, TemplateVersion.template_id,
                    TemplateVersion.version, Moderation.moderator_name, Moderation.moderator_organisation,
                    Moderation.kind, Moderation.agreed, Audit.overall_grade, Moderation.grade,
                    Moderation.rationale, Moderation.at)
             .join(Audit, Moderation.audit_id == Audit.id)
             .join(TemplateVersion, Audit.template_pk == TemplateVersion.pk)
             .order_by(Moderation.at.desc()).limit(limit))
    query = permissions.visible(session, query)
    return [ModerationRow(mid, aid, ref, tid, ver, who, org, kind, agreed, grade, moderated, why, aware(at))
            for mid, aid, ref, tid, ver, who, org, kind, agreed, grade, moderated, why, at in session.execute(query)]


def agreement(session: Session) -> tuple[int, int]:
    """(moderations that agreed with the auditor, all moderations)."""
    agreed, total = session.execute(select(func.sum(case((Moderation.agreed.is_(True), 1), else_=0)), func.count())
                                    .select_from(Moderation)).one()
    return int(agreed or 0), int(total or 0)
