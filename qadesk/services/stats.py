"""The QA statistics of a selection of audits, computed with SQL aggregates.

The summary report (PDF), the Excel return's Summary sheet and the window's
charts all show these numbers, so they agree.  Nothing here loads audits one
by one: every figure is a GROUP BY over the selection, which stays quick on
100,000 audits.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from qadesk.core.dates import as_utc
from qadesk.core.figures import (  # the plain figures live in core, where the report writers read them
    FINAL_GRADE_NOTE,
    MIN_THEME_ANSWERS,
    NO_CASE_TYPE,
    NO_TEAM,
    AgreementRow,
    DriftRow,
    GradeScale,
    Stats,
    Theme,
    UrgentAction,
)
from qadesk.core.selection import Selection
from qadesk.core.template import Question, Template
from qadesk.services.queries import apply
from qadesk.services.templates import template_of
from qadesk.services.urgent import unanswered_concerns
from qadesk.store.models import ActionItem, Answer, Audit, Moderation, TemplateVersion


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
    base = apply(select(Audit.status, func.count(Audit.id)), sel).group_by(Audit.status)  # type: ignore[arg-type]
    st.by_status = {s: n for s, n in session.execute(base).all()}
    st.audits = sum(st.by_status.values())
    st.completed = sum(n for s, n in st.by_status.items() if s != "draft")
    _grades(session, sel, st)
    _moderation(session, sel, st)
    _agreement(session, sel, st)
    _actions(session, sel, st, urgent_limit)
    _themes(session, sel, st, theme_limit)
    return st


def _grades(session: Session, sel: Selection, st: Stats) -> None:
    # Every audit counts with its final grade: the moderated grade where a moderator gave another one
    # (docs/packs-and-reports.md, "The final grade").
    month = _month(session)
    changed = func.sum(case((Audit.final_grade != func.coalesce(Audit.overall_grade, ""), 1), else_=0))
    q = apply(select(Audit.template_pk, Audit.final_grade, Audit.team, Audit.case_type, month,
                     func.count(Audit.id), changed), sel).where(Audit.status != "draft", Audit.final_grade.is_not(None))
    rows = session.execute(q.group_by(Audit.template_pk, Audit.final_grade, Audit.team, Audit.case_type,
                                      month)).all()
    st.regraded = sum(int(r[6] or 0) for r in rows)
    templates = _templates(session, {r[0] for r in rows})
    scales: dict[tuple[str, ...], GradeScale] = {}
    where: dict[int, tuple[tuple[str, ...], dict[str, str]]] = {}
    for pk, t in templates.items():
        # Best first; choices without a score (e.g. "Not clear") go last.
        choices = sorted(t.overall_choices(), key=lambda c: (c.score is None, -(c.score or 0)))
        key = tuple(c.label for c in choices)
        scales.setdefault(key, GradeScale(list(key)))
        where[pk] = (key, {c.value: c.label for c in choices})
    for pk, grade, team, case_type, mon, n, _ in rows:
        key, labels = where[pk]
        scale = scales[key]
        label = labels.get(grade, grade)
        if label not in scale.labels:
            scale.labels.append(label)
        scale.by_team.setdefault(team or NO_TEAM, Counter())[label] += n
        scale.by_case_type.setdefault(case_type or NO_CASE_TYPE, Counter())[label] += n
        scale.by_month.setdefault(str(mon), Counter())[label] += n
    for scale in scales.values():
        scale.by_team = dict(sorted(scale.by_team.items()))
        scale.by_case_type = dict(sorted(scale.by_case_type.items()))
        scale.by_month = dict(sorted(scale.by_month.items()))
    st.scales = sorted((sc for sc in scales.values() if sc.total), key=lambda sc: -sc.total)


def _moderation(session: Session, sel: Selection, st: Stats) -> None:
    q = select(Moderation.kind, func.sum(case((Moderation.agreed.is_(True), 1), else_=0)),
               func.count(Moderation.id)).where(Moderation.audit_id.in_(_ids(sel))).group_by(Moderation.kind)
    for kind, agreed, total in session.execute(q).all():
        st.moderation_by_kind[kind] = (int(agreed or 0), int(total))
        st.moderations += int(total)
        st.moderations_agreed += int(agreed or 0)


def _agreement(session: Session, sel: Selection, st: Stats) -> None:
    from qadesk.services import agreement

    pairs = agreement.overall_pairs(session, sel)
    for by in ("all", "auditor", "moderator", "team", "quarter"):
        for g in agreement.figures(pairs, None if by == "all" else by):
            st.agreement.append(AgreementRow(by, None if g.group is None else str(g.group), g.scale.name,
                                             g.scale.labels, g.agreement))
    st.drift = [DriftRow(d.auditor, d.scale.name, d.drift, d.pairs) for d in agreement.drifts(pairs)]
    # Per section (by its title): the moderator's grade of each section they judged beside the auditor's.
    for g in agreement.figures(agreement.section_pairs(session, sel), "section"):
        st.agreement.append(AgreementRow("section", str(g.group), g.scale.name, g.scale.labels, g.agreement))


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
                ActionItem.status, ActionItem.told_whom, ActionItem.told_at).join(
        Audit, ActionItem.audit_id == Audit.id).where(urgent).order_by(
        ActionItem.due.is_(None), ActionItem.due, Audit.reference).limit(urgent_limit)
    st.urgent = [UrgentAction(*r[:-1], as_utc(r[-1])) for r in session.execute(q3).all()]
    st.unanswered, st.unanswered_total = unanswered_concerns(session, sel, limit=urgent_limit)


def _themes(session: Session, sel: Selection, st: Stats, limit: int) -> None:
    q = select(Audit.template_pk, Audit.team, Answer.question_id, Answer.score, func.count()).join(
        Audit, Answer.audit_id == Audit.id).where(Answer.score.is_not(None), Audit.id.in_(_ids(sel))).group_by(
        Audit.template_pk, Audit.team, Answer.question_id, Answer.score)
    rows = session.execute(q).all()
    templates = _templates(session, {r[0] for r in rows})
    lowest: dict[tuple[int, str], float | None] = {}
    for pk, t in templates.items():
        for question in learning_questions(t):
            lowest[(pk, question.id)] = min(c.score for c in question.choices if c.score is not None)
    overall: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    team_counts: dict[str, dict[tuple[int, str], list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for pk, team, qid, score, n in rows:
        low = lowest.get((pk, qid))
        if low is None or score is None:
            continue
        for bucket in (overall[(pk, qid)], team_counts[team or NO_TEAM][(pk, qid)]):
            bucket[1] += n
            if score <= low:
                bucket[0] += n
    st.themes = learning_themes(overall, templates, limit)
    st.themes_by_team = {team: learning_themes(c, templates, 3) for team, c in sorted(team_counts.items())}


def learning_themes(counts: dict[tuple[int, str], list[int]], templates: dict[int, Template], top: int) -> list[Theme]:
    """The themes to list from (short, answered) counts per (template pk, question id).

    The one rule wherever themes are shown (the QA summary, its themes by team, the Reports screen and the
    Excel return): a question needs ``MIN_THEME_ANSWERS`` scored answers to be listed, and themes are
    ranked by the share shown (highest first; equal shares by the question's words, then the template).
    """
    out = []
    for (pk, qid), (short, answered) in counts.items():
        if short and answered >= MIN_THEME_ANSWERS:
            t = templates[pk]
            out.append(Theme(t.title, qid, t.question(qid).label, short, answered))
    out.sort(key=lambda th: (-th.share, th.label, th.template_title))
    return out[:top]


def learning_questions(t: Template) -> list[Question]:
    """The template's questions whose answers feed learning themes (docs/template-format.md, ``learning``).

    ``"learning": true`` or false decides.  Unmarked, a question feeds learning when its choices carry at
    least two different scores (so an answer can fall short), unless it raises a flag rather than judges
    practice: it marks an urgent concern, or its best-scored answer opens a follow-up ("Is anything
    urgent?" yes → "What?").
    """
    flags = _flag_questions(t)
    out = []
    for q in t.questions():
        scores = {c.score for c in q.choices if c.score is not None}
        if len(scores) < 2 or q.learning is False:
            continue
        if q.learning is None and (q.id in flags or q.urgent_concern):
            continue
        out.append(q)
    return out


_EQUALS = re.compile(r"\$\{(\w+)\}\s*=\s*'([^']*)'")
_SELECTED = re.compile(r"selected\(\s*\$\{(\w+)\}\s*,\s*'([^']*)'\s*\)")


def _flag_questions(t: Template) -> set[str]:
    """Questions whose best-scored answer opens a follow-up ("Is anything urgent?" yes → "What?").

    Their scores say yes = 1, but "yes" is not good practice there: such a
    question raises a flag rather than judging practice, so it is no learning theme.
    """
    flags: set[str] = set()
    texts = [q.relevant for q in t.questions() if q.relevant] + [s.relevant for s in t.sections if s.relevant]
    for text in texts:
        for qid, value in _EQUALS.findall(text) + _SELECTED.findall(text):
            if not t.has_question(qid):
                continue
            scored = [c for c in t.question(qid).choices if c.score is not None]
            if scored and value == max(scored, key=lambda c: c.score or 0).value:
                flags.add(qid)
    return flags


__all__ = ["FINAL_GRADE_NOTE", "MIN_THEME_ANSWERS", "NO_CASE_TYPE", "NO_TEAM", "GradeScale", "Stats", "Theme",
           "UrgentAction", "compute", "learning_questions", "learning_themes"]
