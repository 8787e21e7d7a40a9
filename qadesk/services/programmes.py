"""Audit programmes: plan a round of audits (e.g. ten cases per team this month) and follow its progress.

A programme names a template, the teams taking part and a target per team;
audits join a programme when they are started in it
(:func:`qadesk.services.audits.start_audit` with ``programme=``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from qadesk.core.errors import Conflict, NotFound, ValidationError
from qadesk.core.permissions import Do
from qadesk.services import permissions
from qadesk.services.templates import get_row
from qadesk.store import history
from qadesk.store.models import Audit, Programme, TemplateVersion

MAX_NAME = 200
MAX_TEAMS = 200
MAX_TARGET = 10_000
DONE_STATUSES = ("completed", "moderated", "closed")


@dataclass
class ProgrammePlan:
    """What a QA lead fills in to create a programme."""

    name: str
    description: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None
    template_id: str | None = None
    teams: list[str] = field(default_factory=list)
    target_per_team: int | None = None


@dataclass(frozen=True)
class TeamProgress:
    team: str
    started: int
    completed: int


@dataclass(frozen=True)
class ProgrammeProgress:
    """A programme and how far it has got: audits started and completed against the target."""

    name: str
    description: str | None
    starts_on: date | None
    ends_on: date | None
    template_id: str | None
    template_title: str | None
    teams: list[str]
    target_per_team: int | None
    started: int
    completed: int
    by_team: list[TeamProgress]

    @property
    def target(self) -> int | None:
        """The whole programme's target: per team times teams (or the figure itself with no teams)."""
        if not self.target_per_team:
            return None
        return self.target_per_team * max(1, len(self.teams))

    def describe_target(self) -> str:
        if not self.target_per_team:
            return "No target"
        if self.teams:
            return f"{self.target_per_team} per team ({self.target} in all)"
        return f"{self.target_per_team} audits"


def _validate(session: Session, plan: ProgrammePlan) -> tuple[str, list[str]]:
    name = (plan.name or "").strip()
    problems = []
    if not name:
        problems.append("a programme needs a name")
    elif len(name) > MAX_NAME:
        problems.append(f"the name is longer than {MAX_NAME} characters")
    if plan.starts_on and plan.ends_on and plan.ends_on < plan.starts_on:
        problems.append("the programme ends before it starts")
    teams = list(dict.fromkeys(t.strip() for t in plan.teams if t and t.strip()))
    if len(teams) > MAX_TEAMS:
        problems.append(f"a programme takes at most {MAX_TEAMS} teams")
    if any(len(t) > MAX_NAME for t in teams):
        problems.append(f"a team name is longer than {MAX_NAME} characters")
    if plan.target_per_team is not None and not (1 <= plan.target_per_team <= MAX_TARGET):
        problems.append(f"the target is a whole number from 1 to {MAX_TARGET:,}")
    if plan.template_id:
        try:
            get_row(session, plan.template_id)
        except NotFound:
            problems.append(f"no template '{plan.template_id}' is installed")
    if problems:
        raise ValidationError("; ".join(problems))
    return name, teams


def create_programme(session: Session, plan: ProgrammePlan, *, actor: str) -> Programme:
    """Create a programme; refused if the name is taken or the plan does not make sense."""
    permissions.require(session, Do.PLAN_PROGRAMMES)
    name, teams = _validate(session, plan)
    if session.execute(select(Programme.pk).where(Programme.name == name)).first():
        raise Conflict(f"a programme called '{name}' already exists")
    at = datetime.now(timezone.utc)
    prog = Programme(name=name, description=(plan.description or "").strip() or None,
                     starts_on=plan.starts_on, ends_on=plan.ends_on, template_id=plan.template_id or None,
                     teams=json.dumps(teams, ensure_ascii=False) if teams else None,
                     target_per_team=plan.target_per_team, created_at=at)
    session.add(prog)
    session.flush()
    history.record(session, actor=actor, entity="programme", entity_id=str(prog.pk), action="create",
                   after={"name": name, "template": prog.template_id, "teams": teams,
                          "target_per_team": prog.target_per_team,
                          "starts_on": plan.starts_on.isoformat() if plan.starts_on else None,
                          "ends_on": plan.ends_on.isoformat() if plan.ends_on else None}, at=at)
    return prog


def _teams(prog: Programme) -> list[str]:
    return list(json.loads(prog.teams)) if prog.teams else []


def list_programmes(session: Session) -> list[ProgrammeProgress]:
    """Every programme with its progress, newest plans first (three queries, whatever the number)."""
    progs = session.execute(select(Programme)).scalars().all()
    done = func.sum(case((Audit.status.in_(DONE_STATUSES), 1), else_=0))
    counts: dict[int, dict[str | None, tuple[int, int]]] = {}
    for pk, team, started, completed in session.execute(
            select(Audit.programme_pk, Audit.team, func.count(), done)
            .where(Audit.programme_pk.is_not(None)).group_by(Audit.programme_pk, Audit.team)):
        counts.setdefault(pk, {})[team] = (int(started), int(completed or 0))
    titles = dict(session.execute(
        select(TemplateVersion.template_id, TemplateVersion.title).order_by(TemplateVersion.version)).all())
    out = []
    for p in progs:
        per_team = counts.get(p.pk, {})
        teams = _teams(p)
        names = teams + sorted(t for t in per_team if t and t not in teams)
        by_team = [TeamProgress(t, *per_team.get(t, (0, 0))) for t in names]
        out.append(ProgrammeProgress(
            p.name, p.description, p.starts_on, p.ends_on, p.template_id, titles.get(p.template_id or ""),
            teams, p.target_per_team, sum(s for s, _ in per_team.values()), sum(c for _, c in per_team.values()),
            by_team))
    epoch = date.min
    out.sort(key=lambda x: (x.starts_on or epoch, x.name), reverse=True)
    return out


def get_programme(session: Session, name: str) -> ProgrammeProgress:
    """The programme with this name and its progress; :class:`NotFound` if there is none."""
    for p in list_programmes(session):
        if p.name == name:
            return p
    raise NotFound(f"no programme called '{name}'")
