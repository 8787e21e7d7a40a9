"""Last night's case list of the demo council: the file a new user imports to try sampling and allocation.

:func:`write_demo_case_list` writes the made-up council's open cases as its case management system would
export them (CSV or ``.xlsx``), under headers qadesk recognises with no mapping (:data:`HEADERS`). The list
holds every case of the demo's audits (the ``cases`` table: the same reference, case type and team, so
"audited in the last N months" has something to leave out) and enough new ones to give each practitioner
a caseload. Each case has its allocated worker (a practitioner of its team, from the demo's people: the
worker of its latest audit where it has one), an age, the dates of referral, of the last visit and of the
plan's start, and the flags a data-led sample filters on: repeat referral, visits overdue, plan over 18
months, disability. The flags agree with the dates (a visit is overdue when it is older than the demo
council's visiting standard for the case type; a plan is over 18 months when it started 18 calendar months
ago or more), so ``plan_start<=today-18m`` and ``plan_over_18_months=yes`` find the same cases.

Everything is invented, and follows from ``(seed, today)`` and the store's demo data alone: the same
arguments on the same demo store write the same file, byte for byte.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qadesk.core.errors import QadeskError
from qadesk.core.sample_filters import months_before
from qadesk.exchange.case_list_write import write_case_table
from qadesk.services.demo_answers import weighted, words
from qadesk.store.engine import Store
from qadesk.store.models import Audit, Case, Person

HEADERS = ("Case reference", "Case type", "Allocated team", "Allocated worker", "Age", "Date of referral",
           "Date of last visit", "Plan start", "Repeat referral (Y/N)", "Visits overdue (Y/N)",
           "Plan over 18 months (Y/N)", "Disability (Y/N)")
"""The columns, as the demo council's system names them (docs/case-lists.md lists what each becomes)."""

CASE_TYPE_WORDS = {"EH": "Early Help", "CIN": "Child in Need", "CP": "Child Protection",
                   "CLA": "Child Looked After", "CL": "Care Leaver"}
VISIT_DAYS = {"EH": 28, "CIN": 28, "CP": 14, "CLA": 42, "CL": 56}  # the demo council's visiting standards
CASELOAD = (11, 19)  # cases each practitioner holds (the demo's audited cases among them)
UNALLOCATED = 0.02  # the share of new cases waiting for a worker
REPEAT_REFERRAL = {"EH": 0.12, "CIN": 0.22, "CP": 0.25, "CLA": 0.06, "CL": 0.02}
DISABILITY = 0.07
DISABLED_TEAM = 0.96
FILE_PATTERN = "case-list-*.csv"


@dataclass(frozen=True)
class DemoCaseList:
    """What :func:`write_demo_case_list` wrote."""

    path: Path
    cases: int
    audited: int  # cases that have an audit in the demo
    teams: int

    def __str__(self) -> str:
        return (f"Wrote {self.path}: last night's case list of the demo council, {self.cases:,} open cases in "
                f"{self.teams} teams ({self.audited:,} of them audited in the demo).")


def case_list_name(today: date) -> str:
    """The file name of the demo's case list for ``today``: ``case-list-YYYY-MM-DD.csv``."""
    return f"case-list-{today:%Y-%m-%d}.csv"


def find_demo_case_list(folder: Path | None) -> Path | None:
    """The newest demo case list written into ``folder`` (by :func:`case_list_name`), or None."""
    if folder is None or not folder.is_dir():
        return None
    found = sorted(p for p in folder.glob(FILE_PATTERN) if p.is_file())
    return found[-1] if found else None


# ------------------------------------------------------------------------------------------ the people


def _practitioners(session: Session) -> dict[str, list[str]]:
    """The demo's practitioners by team (their managers audit; they hold the cases), names in order."""
    w = words()
    teams = [t["name"] for t in w["teams"]]
    roles = {r for rs in w["practitioner_roles"].values() for r in rs}
    out: dict[str, list[str]] = {t: [] for t in teams}
    rows = session.execute(select(Person.name, Person.team).where(
        Person.organisation == w["council"], Person.team.in_(teams), Person.role.in_(roles)).order_by(Person.name))
    for name, team in rows:
        out[str(team)].append(name)
    if not any(out.values()):
        raise QadeskError("this store has none of the demo council's people: make the demo data first "
                          "(qadesk demo-data)")
    return out


def _audited(session: Session) -> tuple[dict[str, date], dict[str, str]]:
    """Each audited case's first audit day and the practitioner of its latest audit."""
    first: dict[str, date] = {}
    latest: dict[str, str] = {}
    rows = session.execute(select(Audit.case_ref, Audit.started_at, Audit.practitioner)
                           .where(Audit.case_ref.is_not(None)).order_by(Audit.started_at, Audit.id))
    for ref, started, who in rows:
        if ref is None:
            continue
        first.setdefault(ref, started.date())
        if who:
            latest[ref] = who
    return first, latest


# ------------------------------------------------------------------------------------------ one case


def _age_of_band(rng: random.Random, band: str | None, case_type: str) -> int:
    numbers = [int(n) for n in re.findall(r"\d+", band or "")]
    if band and band.strip().lower().startswith("under"):
        return 0
    if len(numbers) >= 2:
        return rng.randint(numbers[0], numbers[1])
    return rng.randint(18, 21) if case_type == "CL" else rng.randint(0, 17)


def _plan(rng: random.Random, case_type: str) -> tuple[int | None, int]:
    """Days since the plan started (None: no plan yet) and days from the referral to it."""
    if case_type == "EH":
        return (rng.randint(7, 400), rng.randint(7, 45)) if rng.random() < 0.85 else (None, rng.randint(5, 60))
    if case_type == "CIN":
        return (rng.randint(14, 640), rng.randint(20, 60)) if rng.random() < 0.75 else (None, rng.randint(5, 60))
    if case_type == "CP":  # most plans end within the year; a few drift past 18 months
        days = rng.randint(7, 540) if rng.random() < 0.9 else rng.randint(560, 820)
        return days, rng.randint(10, 35)
    if case_type == "CLA":
        return rng.randint(30, 3000), rng.randint(30, 400)
    return rng.randint(30, 1500), rng.randint(365, 4000)  # a care leaver's pathway plan, referred long ago


@dataclass
class _Team:
    name: str
    quality: float
    types: dict[str, float]


def _case_row(rng: random.Random, today: date, team: _Team, ref: str, case_type: str, worker: str | None,
              band: str | None, first_audit: date | None) -> list[object]:
    age = _age_of_band(rng, band, case_type)
    born_days = age * 365 + rng.randint(30, 360)
    plan_days, lead = _plan(rng, case_type)
    referral_days = (plan_days or 0) + lead
    if first_audit is None and referral_days >= born_days:  # referred after birth (an audited case may be pre-birth)
        scale = (born_days - 1) / referral_days
        plan_days = None if plan_days is None else max(1, int(plan_days * scale))
        referral_days = max((plan_days or 0) + 1, int(referral_days * scale))
    if first_audit is not None:  # referred before its first audit, a child before it
        audited_days = (today - first_audit).days
        if referral_days <= audited_days + 7:
            referral_days = audited_days + rng.randint(14, 150)
        if born_days < audited_days + 30:
            age = (audited_days + rng.randint(30, 200)) // 365
    standard = VISIT_DAYS[case_type]
    overdue = referral_days > standard + 7 and rng.random() < 0.03 + 0.28 * (1 - team.quality)
    visit_days = standard + rng.randint(1, 35) if overdue else rng.randint(0, standard - 1)
    visit_days = min(visit_days, referral_days)
    plan_start = None if plan_days is None else today - timedelta(days=plan_days)
    disabled = rng.random() < (DISABLED_TEAM if "Disabled" in team.name else DISABILITY)
    return [ref, CASE_TYPE_WORDS[case_type], team.name, worker, age, today - timedelta(days=referral_days),
            today - timedelta(days=visit_days), plan_start, rng.random() < REPEAT_REFERRAL[case_type], overdue,
            plan_start is not None and plan_start <= months_before(today, 18), disabled]


# ------------------------------------------------------------------------------------------ the list


def demo_case_list(session: Session, *, seed: int = 1, today: date | None = None
                   ) -> tuple[tuple[str, ...], list[list[object]]]:
    """The demo council's case list as rows under :data:`HEADERS`, in reference order (see the module)."""
    today = today or date.today()
    rng = random.Random(f"qadesk-demo-cases/{seed}/{today.isoformat()}")
    w = words()
    teams = {t["name"]: _Team(t["name"], t["quality"], t["types"]) for t in w["teams"]}
    workers = _practitioners(session)
    first, latest = _audited(session)
    known = session.execute(select(Case.reference, Case.case_type, Case.team, Case.age_band)
                            .where(Case.team.in_(list(teams))).order_by(Case.reference)).all()
    taken = set(session.execute(select(Case.reference)).scalars())
    load: dict[str, int] = defaultdict(int)
    rows: list[list[object]] = []
    for ref, case_type, team_name, band in known:
        team = teams[str(team_name)]
        people = workers[team.name]
        worker = latest.get(ref)
        if worker not in people:
            worker = rng.choice(people) if people else None
        if worker:
            load[worker] += 1
        kind = case_type if case_type in CASE_TYPE_WORDS else weighted(rng, team.types)
        rows.append(_case_row(rng, today, team, ref, kind, worker, band, first.get(ref)))
    for team in teams.values():
        for worker in workers[team.name]:
            wanted = rng.randint(*CASELOAD)
            holders: list[str | None] = [worker] * max(0, wanted - load[worker])
            holders += [None] * sum(rng.random() < UNALLOCATED for _ in holders)
            for holder in holders:
                ref = _new_reference(rng, taken)
                kind = weighted(rng, team.types)
                band = weighted(rng, w["age_bands"][kind])
                rows.append(_case_row(rng, today, team, ref, kind, holder, band, None))
    rows.sort(key=lambda r: str(r[0]))
    return HEADERS, rows


def _new_reference(rng: random.Random, taken: set[str]) -> str:
    while True:
        ref = f"CR-{rng.randrange(100000, 1000000)}"
        if ref not in taken:
            taken.add(ref)
            return ref


def write_demo_case_list(store: Store, path: Path | str, *, seed: int = 1, today: date | None = None) -> DemoCaseList:
    """Write the demo council's case list (:func:`demo_case_list`) to ``path`` (``.csv`` or ``.xlsx``)."""
    with store.session() as s:
        headers, rows = demo_case_list(s, seed=seed, today=today)
        audited = set(_audited(s)[0])
    written = write_case_table(Path(path), headers, rows)
    refs: set[Any] = {r[0] for r in rows}
    return DemoCaseList(written, len(rows), len(refs & audited), len({r[2] for r in rows}))
