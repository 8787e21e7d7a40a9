"""The made-up council behind the demo data: its teams, people and cases, templates, programmes and timetable.

Everything here is invented (see :mod:`qadesk.services.demo`) and drawn from
one random generator, so that the same seed gives the same council.
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from datetime import date, datetime, time, timedelta, timezone
from itertools import accumulate
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.errors import QadeskError
from qadesk.core.template import Template
from qadesk.services.demo_answers import clamp, forms_dir, weighted, words
from qadesk.services.templates import store_template, template_of
from qadesk.store.models import Case, Programme, TemplateVersion

WINDOW_DAYS = 548  # the 18 months before the anchor date
ACTOR = "qadesk demo"
UTC = timezone.utc



# ------------------------------------------------------------------------------------------
# The council: teams, people, templates, programmes


def persona() -> tuple[str, str]:
    """The made-up person a demo is seen as (the profile of ``--demo`` and the screenshots): name and role."""
    p = words()["persona"]
    return p["name"], p["role"]


class Team:
    """One team of the council: its size, quality, case mix, practitioners, manager and cases."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.name: str = spec["name"]
        self.quality: float = spec["quality"]
        self.size: int = spec["size"]
        self.types: dict[str, float] = spec["types"]
        self.practitioners: list[tuple[str, str, float]] = []  # name, role, quality
        self.manager = ""
        self.cases: list[tuple[str, str, str]] = []  # reference, case type, age band


class World:
    """The made-up council and everything the audits draw on."""

    def __init__(self, rng: random.Random, session: Session, anchor: date) -> None:
        w = words()
        self.rng, self.anchor, self.w = rng, anchor, w
        self.council: str = w["council"]
        names = [f"{i}. {s}" for s in w["surnames"] for i in w["initials"]]
        rng.shuffle(names)
        pool = iter(names)
        self.people: list[dict[str, Any]] = []
        self.teams = [Team(spec) for spec in w["teams"]]
        self.auditors: list[tuple[str, str]] = []
        for team in self.teams:
            roles = w["practitioner_roles"].get(team.name, w["practitioner_roles"]["default"])
            for _ in range(team.size):
                p = (next(pool), rng.choice(roles), clamp(team.quality + rng.gauss(0, 0.08), 0.05, 0.95))
                team.practitioners.append(p)
                self._person(p[0], p[1], team.name, self.council)
            team.manager = next(pool)
            self._person(team.manager, "Team manager", team.name, self.council)
            self.auditors.append((team.manager, "Team manager"))
            pm = next(pool)
            self._person(pm, "Practice manager", team.name, self.council)
            self.auditors.append((pm, "Practice manager"))
        self.internal: list[str] = []
        for role in ("QA officer", "QA officer", "QA officer", "Service manager", "Service manager",
                     "Principal social worker"):
            name = next(pool)
            self._person(name, role, "Quality Assurance", self.council)
            self.auditors.append((name, role))
            self.internal.append(name)
        # The person the demo is seen as: a full name, so Home greets "Sam", not an initial.
        self.persona = persona()
        self._person(*self.persona, "Quality Assurance", self.council)
        self.external: list[tuple[str, str]] = []
        for council in w["neighbours"]:
            for role in ("QA lead", "Principal social worker"):
                name = next(pool)
                self._person(name, role, None, council)
                self.external.append((name, council))
        self.case_refs = set(session.execute(select(Case.reference)).scalars())
        self.new_cases: list[dict[str, Any]] = []

    def _person(self, name: str, role: str, team: str | None, organisation: str) -> None:
        self.people.append({"name": name, "role": role, "team": team, "organisation": organisation})

    def team(self, kind: str) -> Team:
        teams = [t for t in self.teams if kind != "thematic" or set(t.types) - {"CL"}]
        cum = list(accumulate(t.size for t in teams))
        return teams[bisect(cum, self.rng.random() * cum[-1])]

    def case(self, team: Team, kind: str) -> tuple[str, str, str]:
        rng = self.rng
        if team.cases and rng.random() < 0.3:
            return rng.choice(team.cases)
        types = {k: v for k, v in team.types.items() if kind != "thematic" or k != "CL"}
        case_type = weighted(rng, types)
        age = weighted(rng, self.w["age_bands"][case_type])
        while True:
            ref = f"CR-{rng.randrange(100000, 1000000)}"
            if ref not in self.case_refs:
                break
        self.case_refs.add(ref)
        case = (ref, case_type, age)
        team.cases.append(case)
        self.new_cases.append({"reference": ref, "case_type": case_type, "team": team.name, "age_band": age})
        return case


def install_templates(session: Session) -> dict[str, tuple[TemplateVersion, Template]]:
    """The newest installed version of each kind, importing the shipped templates that are missing."""
    from qadesk.exchange.templates import read_template

    folder = forms_dir()
    shipped: list[str] = []
    for path in sorted(folder.glob("*.json")) if folder else []:
        t = read_template(path)
        shipped.append(t.id)
        if session.execute(select(TemplateVersion.pk).where(TemplateVersion.template_id == t.id)).first() is None:
            store_template(session, t, actor=ACTOR)
    rows = session.execute(select(TemplateVersion).where(TemplateVersion.retired.is_(False))
                           .order_by(TemplateVersion.template_id, TemplateVersion.version)).scalars().all()
    newest = {r.template_id: r for r in rows}
    by_kind: dict[str, tuple[TemplateVersion, Template]] = {}
    for tid in shipped + sorted(newest):  # the shipped templates first, then any other of a missing kind
        row = newest.get(tid)
        if row is not None and row.kind not in by_kind:
            by_kind[row.kind] = (row, template_of(row))
    if not by_kind:
        raise QadeskError("no audit templates are installed and the shipped templates (forms/) were not found")
    return by_kind


def add_programmes(session: Session, anchor: date, q3: tuple[date, date]) -> dict[str, int]:
    """The two audit programmes (regular, and the neglect thematic of the last July to September), made once."""
    names = words()["programmes"]
    teams = [t["name"] for t in words()["teams"]]
    specs = {
        "regular": (names["regular"], "Ten open cases per team each month, audited against the regular case audit.",
                    anchor - timedelta(days=WINDOW_DAYS), None, "regular-case-audit", teams, 10),
        "thematic": (names["thematic"], f"Neglect thematic audit, {q3[0]:%B} to {q3[1]:%B %Y}: "
                     "cases where neglect is the main concern, across the assessment and child protection teams.",
                     q3[0], q3[1], "thematic-neglect-audit", [t for t in teams if "Care Leavers" not in t], 6),
    }
    out: dict[str, int] = {}
    for kind, (name, description, starts, ends, template_id, plan_teams, target) in specs.items():
        prog = session.execute(select(Programme).where(Programme.name == name)).scalar_one_or_none()
        if prog is None:
            prog = Programme(name=name, description=description, starts_on=starts, ends_on=ends,
                             template_id=template_id, teams=json.dumps(plan_teams, ensure_ascii=False),
                             target_per_team=target,
                             created_at=datetime.combine(starts - timedelta(days=7), time(9), tzinfo=UTC))
            session.add(prog)
            session.flush()
        out[kind] = prog.pk
    return out


def last_q3(anchor: date) -> tuple[date, date]:
    """July to September of the last year whose September is over by ``anchor``."""
    year = anchor.year if anchor >= date(anchor.year, 10, 1) else anchor.year - 1
    return date(year, 7, 1), date(year, 9, 30)


def schedule_audits(rng: random.Random, n: int, kinds: list[str], anchor: date, q3: tuple[date, date]) -> list[tuple[datetime, str]]:
    """When each audit starts and on which kind of template, oldest first (so references run in order)."""
    weights = {k: v for k, v in words()["kinds"].items() if k in kinds} or dict.fromkeys(kinds, 1)
    q3_days = (q3[1] - q3[0]).days + 1
    out = []
    for i in range(n):
        kind = weighted(rng, weights)
        if kind == "thematic" and rng.random() < 0.75:
            day = q3[0] + timedelta(days=rng.randrange(q3_days))
        else:  # a little busier in recent months
            day = anchor - timedelta(days=1 + int(WINDOW_DAYS * rng.random() ** 1.15))
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        at = datetime.combine(day, time(8, 30), tzinfo=UTC) + timedelta(seconds=rng.randrange(9 * 3600))
        out.append((at, i, kind))
    out.sort()
    return [(at, kind) for at, _, kind in out]
