"""Sampling a programme's cases from the case list, allocating them, and creating the assigned drafts.

Drawing and allocating write nothing (:func:`propose`): the window shows the sample with each case's
reason and the strata counts, and the allocation to adjust by hand, before anything is created.
Confirming (:func:`confirm`) creates exactly the drafts shown, each assigned to its auditor with a due
date, and keeps the sample whole with the programme (``programme_samples``) so it can be shown to an
inspector and drawn again.  The rules of the draw and of the allocation are in
:mod:`qadesk.core.sampling` and :mod:`qadesk.core.allocation`; docs/sampling.md tells them in words.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from types import EllipsisType
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from qadesk.core.allocation import AllocatedCase, Allocation, Auditor, allocate, check_auditors, refusal
from qadesk.core.audit import CASE_TYPES
from qadesk.core.cases import CaseRow
from qadesk.core.errors import Conflict, NotFound, ValidationError
from qadesk.core.permissions import Do
from qadesk.core.sampling import Sample, SampleOptions, draw_sample
from qadesk.services import permissions
from qadesk.services.audits import Actor, Subject, now_utc, start_audit
from qadesk.services.cases import list_cases
from qadesk.services.profile import get_profile
from qadesk.store import history
from qadesk.store.models import Assignment, Audit, Person, Programme, ProgrammeSample

MAX_SEED = 999_999_999_999


def read_cases(session: Session) -> list[CaseRow]:
    """The case list the sample is drawn from: every case still on its list (``qadesk case import``).

    The one place sampling reads cases; a case that left the council's list (kept with its history)
    is never drawn.  The sample orders the cases itself, so the order read here does not matter.
    """
    return list_cases(session)


def programme_row(session: Session, name: str) -> Programme:
    prog = session.execute(select(Programme).where(Programme.name == name)).scalar_one_or_none()
    if prog is None:
        raise NotFound(f"no programme called '{name}'")
    return prog


def _teams(prog: Programme) -> tuple[str, ...]:
    return tuple(json.loads(prog.teams)) if prog.teams else ()


def last_audited(session: Session) -> dict[str, date]:
    """The day each case was last audited (its newest audit's start, whatever its status)."""
    out = {}
    for ref, started in session.execute(select(Audit.case_ref, func.max(Audit.started_at))
                                        .where(Audit.case_ref.is_not(None)).group_by(Audit.case_ref)):
        if started is not None:
            out[str(ref)] = started.date() if isinstance(started, datetime) else date.fromisoformat(str(started)[:10])
    return out


def in_programme(session: Session, prog: Programme) -> set[str]:
    """The cases that already have an audit in the programme."""
    return {str(r) for r in session.execute(select(Audit.case_ref).where(Audit.programme_pk == prog.pk,
                                                                         Audit.case_ref.is_not(None))).scalars()}


def draw(session: Session, programme: str, options: SampleOptions, *, cases: Sequence[CaseRow] | None = None,
         today: date | None = None) -> Sample:
    """Draw the programme's sample (writes nothing); the programme's teams when the options name none."""
    if not (0 <= options.seed <= MAX_SEED):
        raise ValidationError(f"the seed is a whole number from 0 to {MAX_SEED:,}")
    prog = programme_row(session, programme)
    if not options.teams and _teams(prog):
        options = replace(options, teams=_teams(prog))
    rows = read_cases(session) if cases is None else list(cases)
    if not rows:
        raise ValidationError("the case list is empty: import one first (qadesk case import FILE)")
    return draw_sample(rows, options, last_audited=last_audited(session), in_programme=in_programme(session, prog),
                       today=today)


# ---- auditors ------------------------------------------------------------------------------------


def list_auditors(session: Session) -> list[Auditor]:
    """The people of this organisation who may audit (everyone with a name), by name."""
    rows = session.execute(select(Person).order_by(Person.name)).scalars().all()
    profile = get_profile(session)
    home = (profile.organisation or "") if profile else ""
    orgs = {p.organisation or "" for p in rows}
    if home and home in orgs:
        rows = [p for p in rows if (p.organisation or "") == home]
    seen: dict[str, Auditor] = {}
    for p in rows:
        seen.setdefault(p.name, Auditor(p.name, p.role, p.team))
    return list(seen.values())


def auditors_named(session: Session, names: Sequence[str]) -> list[Auditor]:
    """The auditors with these names: role and team from the people qadesk knows, else a name alone."""
    known = {a.name.casefold(): a for a in list_auditors(session)}
    out = [known.get(n.strip().casefold(), Auditor(n.strip())) for n in names if n.strip()]
    check_auditors(out)
    if not out:
        raise ValidationError("no auditors to allocate to: name at least one")
    return out


def existing_loads(session: Session, prog: Programme) -> dict[str, int]:
    """How many audits each auditor already holds in the programme."""
    return {str(n): int(c) for n, c in session.execute(
        select(Assignment.auditor_name, func.count()).where(Assignment.programme_pk == prog.pk)
        .group_by(Assignment.auditor_name))}


# ---- propose and confirm --------------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """A sample and its allocation, shown before anything is created."""

    programme: str
    sample: Sample
    allocation: Allocation
    auditors: tuple[Auditor, ...]
    due_on: date | None

    def case(self, case_ref: str) -> Any:
        return next(c for c in self.sample.chosen if c.case_ref == case_ref)


def propose(session: Session, programme: str, options: SampleOptions, auditors: Sequence[Auditor], *,
            not_own_team: bool = False, due_on: date | None | EllipsisType = ...,
            cases: Sequence[CaseRow] | None = None, today: date | None = None) -> Proposal:
    """Draw the sample and allocate it (writes nothing).

    Due by ``due_on``: a day, None for no due date, or (not given) the programme's end.
    """
    sample = draw(session, programme, options, cases=cases, today=today)
    prog = programme_row(session, programme)
    allocation = allocate(sample.chosen, auditors, seed=options.seed, not_own_team=not_own_team,
                          existing=existing_loads(session, prog))
    return Proposal(prog.name, sample, allocation, tuple(auditors), prog.ends_on if due_on is ... else due_on)


@dataclass(frozen=True)
class Created:
    case_ref: str
    team: str | None
    case_type: str | None
    auditor: str
    audit_id: str
    reference: str
    reason: str
    due_on: date | None


def confirm(session: Session, proposal: Proposal, *, actor: str,
            rows: Sequence[AllocatedCase] | None = None) -> list[Created]:
    """Create the assigned drafts of ``rows`` (the proposal's allocation, or as adjusted by hand).

    A row without an auditor is left out (and recorded so).  Refused whole when a row gives a case to its
    own worker (or own team, under that rule), names an auditor not offered, names a case not in the sample,
    or a case has meanwhile got an audit in the programme.
    """
    permissions.require(session, Do.PLAN_PROGRAMMES)
    prog = programme_row(session, proposal.programme)
    if not prog.template_id:
        raise ValidationError(f"the programme '{prog.name}' names no template: say which template its audits use")
    rows = list(proposal.allocation.rows if rows is None else rows)
    offered = {a.name: a for a in proposal.auditors}
    chosen = {c.case_ref: c for c in proposal.sample.chosen}
    problems = []
    seen: set[str] = set()
    for r in rows:
        if r.case_ref not in chosen:
            problems.append(f"{r.case_ref} is not in the sample")
            continue
        if r.case_ref in seen:
            problems.append(f"{r.case_ref} is twice in the allocation")
        seen.add(r.case_ref)
        if r.auditor is None:
            continue
        if r.auditor not in offered:
            problems.append(f"{r.case_ref}: {r.auditor} is not among the auditors")
            continue
        why = refusal(chosen[r.case_ref], offered[r.auditor], not_own_team=proposal.allocation.not_own_team)
        if why:
            problems.append(f"{r.case_ref}: {why}")
    if problems:
        raise ValidationError("; ".join(problems))
    already = in_programme(session, prog) & {r.case_ref for r in rows if r.auditor}
    if already:
        raise Conflict(f"already in the programme since the sample was drawn: {', '.join(sorted(already))}; "
                       "draw the sample again")
    at = now_utc()
    given = [r for r in rows if r.auditor]
    sample_row = ProgrammeSample(
        programme_pk=prog.pk, drawn_at=at, drawn_by=actor, seed=proposal.sample.options.seed,
        options=json.dumps(proposal.sample.options.to_dict(), ensure_ascii=False),
        record=json.dumps(proposal.sample.to_dict(), ensure_ascii=False),
        allocation=json.dumps(_allocation_record(proposal, rows), ensure_ascii=False),
        fingerprint=proposal.sample.fingerprint, chosen=len(proposal.sample.chosen), created=len(given))
    session.add(sample_row)
    session.flush()
    history.record(session, actor=actor, entity="sample", entity_id=str(sample_row.pk), action="draw",
                   after={"programme": prog.name, "options": proposal.sample.options.to_dict(),
                          "fingerprint": proposal.sample.fingerprint, "chosen": len(proposal.sample.chosen),
                          "assigned": len(given)}, at=at)
    out = []
    for r in given:
        c = chosen[r.case_ref]
        auditor = offered[str(r.auditor)]
        audit = start_audit(session, prog.template_id, Subject(
            case_ref=c.case_ref, case_type=c.case_type if c.case_type in CASE_TYPES else None, team=c.team,
            practitioner=c.worker), Actor(auditor.name, auditor.role), programme=prog.name, by=actor)
        session.add(Assignment(audit_id=audit.id, programme_pk=prog.pk, sample_pk=sample_row.pk, team=c.team,
                               auditor_name=auditor.name, auditor_role=auditor.role, due_on=proposal.due_on,
                               assigned_at=at, assigned_by=actor, reason=c.reason,
                               revision_assigned=audit.revision))
        history.record(session, actor=actor, entity="assignment", entity_id=audit.id, audit_id=audit.id,
                       action="assign", after={"auditor": auditor.name, "programme": prog.name,
                                               "due": proposal.due_on.isoformat() if proposal.due_on else None,
                                               "reason": c.reason, "sample": sample_row.pk}, at=at)
        out.append(Created(c.case_ref, c.team, c.case_type, auditor.name, audit.id, audit.reference, c.reason,
                           proposal.due_on))
    session.flush()
    return out


def _allocation_record(proposal: Proposal, rows: Sequence[AllocatedCase]) -> dict[str, Any]:
    first = {r.case_ref: r.auditor for r in proposal.allocation.rows}
    return {"seed": proposal.allocation.seed, "not_own_team": proposal.allocation.not_own_team,
            "due_on": proposal.due_on.isoformat() if proposal.due_on else None,
            "auditors": [{"name": a.name, "role": a.role, "team": a.team} for a in proposal.auditors],
            "rows": [{"case_ref": r.case_ref, "auditor": r.auditor, "note": r.note,
                      "by_hand": first.get(r.case_ref) != r.auditor} for r in rows]}


@dataclass(frozen=True)
class SampleRecord:
    """A confirmed sample as kept with its programme."""

    pk: int
    drawn_at: datetime
    drawn_by: str
    sample: Sample
    allocation: dict[str, Any]
    created: int


def sample_records(session: Session, programme: str) -> list[SampleRecord]:
    """The programme's confirmed samples, oldest first."""
    prog = programme_row(session, programme)
    rows = session.execute(select(ProgrammeSample).where(ProgrammeSample.programme_pk == prog.pk)
                           .order_by(ProgrammeSample.pk)).scalars()
    return [SampleRecord(r.pk, r.drawn_at, r.drawn_by, Sample.from_dict(json.loads(r.record)),
                         json.loads(r.allocation), r.created) for r in rows]
