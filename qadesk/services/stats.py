"""The QA statistics of a selection of audits, computed with SQL aggregates.

The summary report (PDF), the Excel return's Summary sheet and the window's
charts all show these numbers, so they agree.  Nothing here loads audits one
by one: every figure is a GROUP BY over the selection, which stays quick on
100,000 audits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from qadesk.core.template import Template
from qadesk.services.queries import Selection, apply
from qadesk.services.templates import template_of
from qadesk.store.models import ActionItem, Answer, Audit, Moderation, TemplateVersion

NO_TEAM = "(no team)"
NO_CASE_TYPE = "(not given)"


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


@dataclass
class Stats:
    """Counts for one selection of audits (see :func:`compute`)."""

    selection: Selection
    today: date
    audits: int = 0
    completed: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    grade_scale: list[str] = field(default_factory=list)  # grade labels, best first
    grades_by_team: dict[str, Counter[str]] = field(default_factory=dict)
    grades_by_case_type: dict[str, Counter[str]] = field(default_factory=dict)
    grades_by_month: dict[str, Counter[str]] = field(default_factory=dict)  # "2026-11"
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
    themes: list[Theme] = field(default_factory=list)
    themes_by_team: dict[str, list[Theme]] = field(default_factory=dict)

    @property
    def agreement_rate(self) -> float | None:
        return self.moderations_agreed / self.moderations if self.moderations else None

    def grade_totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for counts in self.grades_by_team.values():
            total.update(counts)
        return total


def _ids(sel: Selection) -> Select[Any]:
    return apply(select(Audit.id), sel)


def _month(session: Session) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(Audit.started_at, "YYYY-MM")
    return func.strftime("%Y-%m", Audit.started_at)


def _templates(session: Session, pks: set[int]) -> dict[int, Template]:
    if not pks:
        return {}
    rows = session.execute(select(TemplateVersion).where(TemplateVersion.pk.in_(pks))).scalars()
    return {r.pk: template_of(r) for r in rows}


def compute(session: Session, sel: Selection | None = None, *, today: date | None = None,
            urgent_limit: int = 50, theme_limit: int = 10) -> Stats:
    """Every figure of the QA summary for the selected audits."""
    sel = sel or Selection()
    st = Stats(selection=sel, today=today or date.today())
    base = apply(select(Audit.status, func.count(Audit.id)), sel).group_by(Audit.status)
    st.by_status = {s: n for s, n in session.execute(base).all()}
    st.audits = sum(st.by_status.values())
    st.completed = sum(n for s, n in st.by_status.items() if s != "draft")
    _grades(session, sel, st)
    _moderation(session, sel, st)
    _actions(session, sel, st, urgent_limit)
    _themes(session, sel, st, theme_limit)
    return st


def _grades(session: Session, sel: Selection, st: Stats) -> None:
    month = _month(session)
    q = apply(select(Audit.template_pk, Audit.overall_grade, Audit.team, Audit.case_type, month,
                     func.count(Audit.id)), sel).where(Audit.status != "draft", Audit.overall_grade.is_not(None))
    rows = session.execute(q.group_by(Audit.template_pk, Audit.overall_grade, Audit.team, Audit.case_type,
                                      month)).all()
    templates = _templates(session, {r[0] for r in rows})
    scale: dict[str, float] = {}
    label_of: dict[tuple[int, str], str] = {}
    for pk, t in templates.items():
        for c in t.overall_choices():
            label_of[(pk, c.value)] = c.label
            scale[c.label] = max(scale.get(c.label, float("-inf")), c.score if c.score is not None else 0)
    by_team: dict[str, Counter[str]] = defaultdict(Counter)
    by_type: dict[str, Counter[str]] = defaultdict(Counter)
    by_month: dict[str, Counter[str]] = defaultdict(Counter)
    for pk, grade, team, case_type, mon, n in rows:
        label = label_of.get((pk, grade), grade)
        scale.setdefault(label, float("-inf"))
        by_team[team or NO_TEAM][label] += n
        by_type[case_type or NO_CASE_TYPE][label] += n
        by_month[str(mon)][label] += n
    st.grade_scale = sorted(scale, key=lambda lbl: -scale[lbl])
    st.grades_by_team = dict(sorted(by_team.items()))
    st.grades_by_case_type = dict(sorted(by_type.items()))
    st.grades_by_month = dict(sorted(by_month.items()))


def _moderation(session: Session, sel: Selection, st: Stats) -> None:
    q = select(Moderation.kind, func.sum(case((Moderation.agreed.is_(True), 1), else_=0)),
               func.count(Moderation.id)).where(Moderation.audit_id.in_(_ids(sel))).group_by(Moderation.kind)
    for kind, agreed, total in session.execute(q).all():
        st.moderation_by_kind[kind] = (int(agreed or 0), int(total))
        st.moderations += int(total)
        st.moderations_agreed += int(agreed or 0)


def _actions(session: Session, sel: Selection, st: Stats, urgent_limit: int) -> None:
    in_sel = ActionItem.audit_id.in_(_ids(sel))
    overdue = (ActionItem.status == "open") & ActionItem.due.is_not(None) & (ActionItem.due < st.today)
    q = select(ActionItem.status, func.count(ActionItem.id),
               func.sum(case((overdue, 1), else_=0))).where(in_sel).group_by(ActionItem.status)
    for status, n, late in session.execute(q).all():
        if status == "open":
            st.actions_open, st.actions_overdue = int(n), int(late or 0)
        elif status == "done":
            st.actions_done = int(n)
        elif status == "cancelled":
            st.actions_cancelled = int(n)
    q2 = select(Audit.team, func.count(ActionItem.id)).join(Audit, ActionItem.audit_id == Audit.id).where(
        in_sel, overdue).group_by(Audit.team)
    st.overdue_by_team = {team or NO_TEAM: int(n) for team, n in session.execute(q2).all()}
    urgent = (ActionItem.status == "open") & ActionItem.urgent.is_(True) & in_sel
    st.urgent_total = int(session.execute(select(func.count(ActionItem.id)).where(urgent)).scalar() or 0)
    q3 = select(Audit.reference, Audit.team, ActionItem.text, ActionItem.owner, ActionItem.due,
                ActionItem.status).join(Audit, ActionItem.audit_id == Audit.id).where(urgent).order_by(
        ActionItem.due.is_(None), ActionItem.due, Audit.reference).limit(urgent_limit)
    st.urgent = [UrgentAction(*r) for r in session.execute(q3).all()]


def _themes(session: Session, sel: Selection, st: Stats, limit: int) -> None:
    q = select(Audit.template_pk, Audit.team, Answer.question_id, Answer.score, func.count()).join(
        Audit, Answer.audit_id == Audit.id).where(Answer.score.is_not(None), Audit.id.in_(_ids(sel))).group_by(
        Audit.template_pk, Audit.team, Answer.question_id, Answer.score)
    rows = session.execute(q).all()
    templates = _templates(session, {r[0] for r in rows})
    lowest: dict[tuple[int, str], float | None] = {}
    for pk, t in templates.items():
        for question in t.questions():
            scores = [c.score for c in question.choices if c.score is not None]
            # Only questions with a real scale can "fall short".
            lowest[(pk, question.id)] = min(scores) if len(set(scores)) > 1 else None
    overall: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    team_counts: dict[str, dict[tuple[int, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for pk, team, qid, score, n in rows:
        low = lowest.get((pk, qid))
        if low is None:
            continue
        for bucket in (overall[(pk, qid)], team_counts[team or NO_TEAM][(pk, qid)]):
            bucket[1] += n
            if score <= low:
                bucket[0] += n

    def themes(counts: dict[tuple[int, str], list[int]], top: int) -> list[Theme]:
        out = []
        for (pk, qid), (short, answered) in counts.items():
            if short:
                t = templates[pk]
                out.append(Theme(t.title, qid, t.question(qid).label, short, answered))
        out.sort(key=lambda th: (-th.share, -th.short, th.label))
        return out[:top]

    st.themes = themes(overall, limit)
    st.themes_by_team = {team: themes(c, 3) for team, c in sorted(team_counts.items())}
