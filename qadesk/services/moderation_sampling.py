"""Choosing what to moderate from the store: the candidates, the QA lead's settings, the draw and its record.

The rule is :mod:`qadesk.core.moderation_sampling`'s. Here: the candidates are the completed audits not
yet moderated (their auditor's overall grade, its place on the template's scale), the audits already
moderated count towards each auditor's minimum per quarter, the QA lead's standing choices (the minimum
per auditor per quarter, whether every extreme grade is moderated) are kept in the store's settings, and
confirming a draw records each chosen audit with its reason (``moderation_choices``, and the history).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qadesk.core.dates import as_utc, quarter_of
from qadesk.core.errors import ValidationError
from qadesk.core.moderation_sampling import (
    Candidate,
    Chosen,
    ModerationSample,
    ModerationSampleOptions,
    draw_moderation_sample,
)
from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.audit_access import now_utc
from qadesk.services.templates import template_of
from qadesk.store import history
from qadesk.store.models import Audit, Moderation, ModerationChoice, Setting, TemplateVersion

MINIMUM_KEY = "moderation.minimum_per_quarter"
EXTREMES_KEY = "moderation.all_extremes"
SHARE_KEY = "moderation.percent"


@dataclass(frozen=True)
class ModerationRules:
    """The QA lead's standing choices for what is moderated."""

    percent: float = 10.0
    minimum_per_quarter: int = 2
    all_extremes: bool = True


def get_rules(session: Session) -> ModerationRules:
    rows = {r.key: r.value for r in session.execute(
        select(Setting).where(Setting.key.in_([MINIMUM_KEY, EXTREMES_KEY, SHARE_KEY]))).scalars()}
    d = ModerationRules()
    return ModerationRules(float(rows.get(SHARE_KEY, d.percent)), int(rows.get(MINIMUM_KEY, d.minimum_per_quarter)),
                           rows.get(EXTREMES_KEY, "1" if d.all_extremes else "0") == "1")


def set_rules(session: Session, rules: ModerationRules, *, actor: str) -> None:
    """Keep the QA lead's choices (recorded in the history with who changed them)."""
    permissions.require(session, Do.MODERATION_RULES)
    probe = ModerationSampleOptions(seed=0, percent=rules.percent, minimum_per_quarter=rules.minimum_per_quarter,
                                    all_extremes=rules.all_extremes)
    problems = probe.problems()
    if problems:
        raise ValidationError("; ".join(problems))
    before = get_rules(session)
    values = {SHARE_KEY: f"{rules.percent:g}", MINIMUM_KEY: str(rules.minimum_per_quarter),
              EXTREMES_KEY: "1" if rules.all_extremes else "0"}
    for key, value in values.items():
        row = session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=value))
        else:
            row.value = value
    history.record(session, actor=actor, entity="setting", entity_id="moderation.rules", action="change",
                   before=before.__dict__, after=rules.__dict__)


def candidates(session: Session) -> list[Candidate]:
    """Every completed audit not yet moderated, with its auditor's overall grade and whether it is extreme."""
    scales: dict[int, tuple[dict[str, str], set[str]]] = {}
    for row in session.execute(select(TemplateVersion)).scalars():
        choices = template_of(row).overall_choices()
        scored = [c for c in choices if c.score is not None]
        ends: set[str] = set()
        if len(scored) >= 2:
            low, high = min(c.score for c in scored), max(c.score for c in scored)  # type: ignore[type-var]
            ends = {c.value for c in scored if c.score in (low, high)}
        scales[row.pk] = ({c.value: c.label for c in choices}, ends)
    rows = session.execute(select(Audit.id, Audit.reference, Audit.auditor_name, Audit.overall_grade,
                                  Audit.completed_at, Audit.template_pk, Audit.team)
                           .where(Audit.status == "completed", Audit.completed_at.is_not(None),
                                  ~Audit.moderations.any())).all()
    out = []
    for aid, ref, auditor, grade, completed, tpk, team in rows:
        labels, ends = scales.get(tpk, ({}, set()))
        when = as_utc(completed)
        assert when is not None
        out.append(Candidate(aid, ref, auditor or "No auditor", grade, labels.get(grade or "", grade or "Ungraded"),
                             when.date(), bool(grade and grade in ends), team))
    return out


def moderated_per_quarter(session: Session) -> dict[tuple[str, str], int]:
    """(auditor, quarter completed) -> audits of theirs that have a moderation."""
    out: dict[tuple[str, str], int] = {}
    rows = session.execute(select(Audit.auditor_name, Audit.completed_at)
                           .where(Audit.completed_at.is_not(None), Audit.moderations.any())).all()
    for auditor, completed in rows:
        when = as_utc(completed)
        assert when is not None
        key = (auditor or "No auditor", quarter_of(when.date()))
        out[key] = out.get(key, 0) + 1
    return out


def draw(session: Session, options: ModerationSampleOptions) -> ModerationSample:
    """The audits to moderate (writes nothing)."""
    return draw_moderation_sample(candidates(session), options, moderated_per_quarter=moderated_per_quarter(session))


def confirm(session: Session, sample: ModerationSample, *, actor: str,
            chosen: Sequence[Chosen] | None = None) -> int:
    """Record the chosen audits (all of the sample, or those given) as chosen for moderation; how many are new.

    An audit moderated since the draw, or already chosen, is left as it is."""
    permissions.require(session, Do.MODERATION_RULES)
    at = now_utc()
    options = json.dumps(sample.options.to_dict())
    ids = [c.candidate.audit_id for c in (sample.chosen if chosen is None else chosen)]
    reasons = {c.candidate.audit_id: c for c in sample.chosen}
    already = set(session.execute(select(ModerationChoice.audit_id).where(ModerationChoice.audit_id.in_(ids)))
                  .scalars()) if ids else set()
    moderated = set(session.execute(select(Moderation.audit_id).where(Moderation.audit_id.in_(ids))).scalars()) \
        if ids else set()
    n = 0
    for aid in ids:
        if aid in already or aid in moderated:
            continue
        c = reasons[aid]
        session.add(ModerationChoice(audit_id=aid, chosen_at=at, chosen_by=actor, reason=c.reason, step=c.step,
                                     seed=sample.options.seed, options=options))
        history.record(session, actor=actor, entity="moderation_choice", entity_id=aid, audit_id=aid, action="choose",
                       after={"reason": c.reason, "step": c.step, "options": sample.options.to_dict()}, at=at)
        n += 1
    session.flush()
    return n


@dataclass(frozen=True)
class ChosenAudit:
    audit_id: str
    reference: str
    auditor: str | None
    reason: str
    chosen_at: datetime
    chosen_by: str
    status: str


def chosen_awaiting(session: Session, *, limit: int | None = None) -> list[ChosenAudit]:
    """Audits chosen for moderation that are still waiting (completed, no moderation), oldest choice first."""
    q = (select(ModerationChoice, Audit.reference, Audit.auditor_name, Audit.status)
         .join(Audit, Audit.id == ModerationChoice.audit_id)
         .where(Audit.status == "completed", ~Audit.moderations.any())
         .order_by(ModerationChoice.chosen_at, Audit.reference))
    if limit:
        q = q.limit(limit)
    return [ChosenAudit(m.audit_id, ref, auditor, m.reason, m.chosen_at, m.chosen_by, status)
            for m, ref, auditor, status in session.execute(q).all()]


def choice_counts(session: Session) -> dict[str, int]:
    """How many chosen audits are waiting and how many have been moderated."""
    waiting = session.execute(select(func.count()).select_from(ModerationChoice).join(Audit)
                              .where(~Audit.moderations.any())).scalar() or 0
    total = session.execute(select(func.count()).select_from(ModerationChoice)).scalar() or 0
    return {"waiting": int(waiting), "moderated": int(total) - int(waiting)}


def sample_dict(sample: ModerationSample) -> dict[str, Any]:
    """The draw as JSON-ready data (``moderation sample --json``)."""
    return {"options": sample.options.to_dict(), "candidates": sample.candidates, "short": sample.short,
            "chosen": [{"id": c.candidate.audit_id, "reference": c.candidate.reference,
                        "auditor": c.candidate.auditor, "grade": c.candidate.grade,
                        "completed_on": c.candidate.completed_on.isoformat(), "step": c.step, "reason": c.reason}
                       for c in sample.chosen],
            "strata": [{"auditor": s.auditor, "grade": s.grade_label, "candidates": s.candidates, "chosen": s.chosen}
                       for s in sample.strata]}


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last full quarter before ``today``'s (the usual period a QA lead moderates)."""
    today = today or date.today()
    q = (today.month - 1) // 3
    year, q = (today.year, q - 1) if q else (today.year - 1, 3)
    start = date(year, 3 * q + 1, 1)
    end = date(year + (q == 3), (3 * q + 3) % 12 + 1, 1)
    return start, end - timedelta(days=1)
